"""Two text tasks from a corpus that ships with Python, standing in for Dozat's word2vec and LSTM
language-model tasks.

The corpus is CPython's help topics (``pydoc_data.topics.topics``, about 465k characters): it is part of
the standard library, so both tasks work offline. Its text changes with the Python version, so the arrays
(and the fingerprints computed from them) do too.

* ``_source_chars``: character-level language modelling: windows of ``T = 32`` character ids, each
  position labelled with the character that follows it.
* ``_source_skipgram``: word2vec's skip-gram pairs (center word, context word) over the 1,000 most
  frequent lower-case words, within 2 words on each side.

Both follow ``data.py``'s ``_source_*`` convention: ``(total, root) -> (x, y, num_classes)`` as numpy
arrays; ``root`` is ignored.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import numpy as np

SEQ_LEN = 32  # characters per window
VOCAB_WORDS = 1_000  # skip-gram vocabulary
WINDOW = 2  # skip-gram context words on each side
SHUFFLE_SEED = 0


@lru_cache(maxsize=1)
def corpus() -> str:
    """The help topics' texts in sorted-key order, joined by newlines, keeping printable ASCII and newlines."""
    from pydoc_data.topics import topics

    text = "\n".join(topics[k] for k in sorted(topics))
    return "".join(c for c in text if c == "\n" or " " <= c <= "~")


@lru_cache(maxsize=1)
def _char_ids() -> tuple[str, np.ndarray]:
    """The character vocabulary (sorted) and the corpus as int64 ids into it."""
    text = corpus()
    vocab = "".join(sorted(set(text)))
    lookup = np.zeros(128, dtype=np.int64)
    lookup[[ord(c) for c in vocab]] = np.arange(len(vocab))
    codes = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    return vocab, lookup[codes]


def _source_chars(total: int, root: Path | None):
    """``total`` non-overlapping windows from the start of the corpus: ``x`` (N, T) character ids and
    ``y`` (N, T) the next character at every position (``x`` shifted by one)."""
    vocab, ids = _char_ids()
    available = (len(ids) - 1) // SEQ_LEN  # the last window needs one more character for its target
    if total > available:
        raise ValueError(f"the character corpus has {available} windows of {SEQ_LEN} characters; "
                         f"{total} were asked for")
    n = total * SEQ_LEN
    x = ids[:n].reshape(total, SEQ_LEN)
    y = ids[1:n + 1].reshape(total, SEQ_LEN)
    return x.copy(), y.copy(), len(vocab)


@lru_cache(maxsize=1)
def _word_stream() -> tuple[tuple[str, ...], np.ndarray]:
    """The vocabulary (most frequent first, ties alphabetical) and the corpus' in-vocabulary words as ids."""
    words = re.findall(r"[a-z]+", corpus().lower())
    counts = Counter(words)
    vocab = tuple(sorted(counts, key=lambda w: (-counts[w], w))[:VOCAB_WORDS])
    index = {w: i for i, w in enumerate(vocab)}
    return vocab, np.array([index[w] for w in words if w in index], dtype=np.int64)


@lru_cache(maxsize=1)
def _skipgram_pairs() -> np.ndarray:
    """All (center, context) pairs within ``WINDOW`` words, in stream order, then shuffled (seed 0)."""
    _, stream = _word_stream()
    n = len(stream)
    pairs = []
    for i in range(n):
        for j in range(max(0, i - WINDOW), min(n, i + WINDOW + 1)):
            if j != i:
                pairs.append((stream[i], stream[j]))
    pairs = np.array(pairs, dtype=np.int64)
    return pairs[np.random.default_rng(SHUFFLE_SEED).permutation(len(pairs))]


def _source_skipgram(total: int, root: Path | None):
    """The first ``total`` shuffled skip-gram pairs: ``x`` (N, 1) center word ids, ``y`` (N,) context ids."""
    pairs = _skipgram_pairs()
    if total > len(pairs):
        raise ValueError(f"the skip-gram corpus has {len(pairs)} pairs; {total} were asked for")
    return pairs[:total, :1].copy(), pairs[:total, 1].copy(), VOCAB_WORDS
