"""The text tasks (character language model, skip-gram pairs) and their models."""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from hp_lib import sequence_models, text


def test_corpus_is_printable_ascii_and_cached():
    c = text.corpus()
    assert len(c) > 400_000
    assert all(ch == "\n" or " " <= ch <= "~" for ch in set(c))
    assert "The \"for\" statement" in c  # a help topic's text
    assert text.corpus() is c


def test_char_windows_decode_to_the_corpus_and_targets_are_shifted():
    x, y, num_classes = text._source_chars(100, None)
    vocab, _ = text._char_ids()
    c = text.corpus()
    assert num_classes == len(vocab) == len(set(c))
    assert x.shape == y.shape == (100, text.SEQ_LEN)
    assert x.dtype == y.dtype == np.int64
    assert x.min() >= 0 and x.max() < num_classes
    T = text.SEQ_LEN
    for i in (0, 1, 57, 99):  # non-overlapping windows from the start of the corpus
        assert "".join(vocab[k] for k in x[i]) == c[i * T:(i + 1) * T]
        assert "".join(vocab[k] for k in y[i]) == c[i * T + 1:(i + 1) * T + 1]
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])
    np.testing.assert_array_equal(x[1:, 0], y[:-1, -1])  # windows are consecutive


def test_char_windows_are_a_prefix_and_too_many_is_an_error():
    available = (len(text.corpus()) - 1) // text.SEQ_LEN
    x, y, _ = text._source_chars(available, None)
    assert len(x) == available
    np.testing.assert_array_equal(x[:10], text._source_chars(10, None)[0])
    with pytest.raises(ValueError, match="windows"):
        text._source_chars(available + 1, None)


def test_skipgram_vocabulary_is_the_most_frequent_words():
    vocab, stream = text._word_stream()
    words = re.findall(r"[a-z]+", text.corpus().lower())
    counts = Counter(words)
    kept = set(vocab)
    assert len(vocab) == len(kept) == text.VOCAB_WORDS
    assert vocab[0] == "the"
    # most frequent first, ties alphabetical
    assert all((-counts[a], a) < (-counts[b], b) for a, b in zip(vocab, vocab[1:]))
    # every dropped word is rarer than the last kept one, or as frequent and later in the alphabet
    assert all((-n, w) > (-counts[vocab[-1]], vocab[-1]) for w, n in counts.items() if w not in kept)
    index = {w: i for i, w in enumerate(vocab)}
    np.testing.assert_array_equal(stream, [index[w] for w in words if w in kept])


def test_skipgram_pairs_are_within_two_words():
    vocab, stream = text._word_stream()
    x, y, num_classes = text._source_skipgram(5_000, None)
    assert num_classes == text.VOCAB_WORDS
    assert x.shape == (5_000, 1) and y.shape == (5_000,)
    assert x.dtype == y.dtype == np.int64
    assert x.min() >= 0 and x.max() < num_classes and y.min() >= 0 and y.max() < num_classes
    # direct recomputation: the multiset of (center, context) pairs of the stream
    n = len(stream)
    direct = {}
    for i in range(n):
        for j in range(max(0, i - 2), min(n, i + 3)):
            if j != i:
                key = (int(stream[i]), int(stream[j]))
                direct[key] = direct.get(key, 0) + 1
    assert sum(direct.values()) == len(text._skipgram_pairs()) == 4 * n - 6
    for c, o in zip(x[:200, 0], y[:200]):
        assert (int(c), int(o)) in direct
    # every pair of the whole shuffled set, counted, is exactly the direct multiset
    pairs = text._skipgram_pairs()
    keys, counts = np.unique(pairs[:, 0] * num_classes + pairs[:, 1], return_counts=True)
    assert {(int(k) // num_classes, int(k) % num_classes): int(m) for k, m in zip(keys, counts)} == direct


def test_skipgram_is_shuffled_deterministically_and_too_many_is_an_error():
    x1, y1, _ = text._source_skipgram(1_000, None)
    x2, y2, _ = text._source_skipgram(300, None)
    np.testing.assert_array_equal(x1[:300], x2)
    np.testing.assert_array_equal(y1[:300], y2)
    _, stream = text._word_stream()
    assert not np.array_equal(x1[:50, 0], stream[:50])  # not in stream order
    with pytest.raises(ValueError, match="pairs"):
        text._source_skipgram(len(text._skipgram_pairs()) + 1, None)


def test_model_output_shapes():
    torch.manual_seed(0)
    lstm = sequence_models.CharLSTM((32,), 94)
    x = torch.randint(0, 94, (5, 32))
    logits = lstm(x)
    assert logits.shape == (5, 94, 32)
    y = torch.randint(0, 94, (5, 32))
    assert F.cross_entropy(logits, y).ndim == 0
    assert (logits.argmax(1) == y).shape == (5, 32)
    sg = sequence_models.SkipGram((1,), 1_000)
    out = sg(torch.randint(0, 1_000, (7, 1)))
    assert out.shape == (7, 1_000)
    assert torch.isfinite(out).all()


def test_char_lstm_learns():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    x, y, v = text._source_chars(2_000, None)
    x, y = torch.tensor(x), torch.tensor(y)
    model = sequence_models.CharLSTM(tuple(x.shape[1:]), v)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    g = torch.Generator().manual_seed(0)
    for _ in range(300):
        idx = torch.randint(0, len(y), (64,), generator=g)
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        final = F.cross_entropy(model(x[:500]), y[:500]).item()
    assert final < 0.8 * math.log(v), final
