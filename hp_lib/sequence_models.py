"""Models for the text tasks of ``text.py``, with ``models.py``'s constructor convention
``(input_shape, num_classes, ...)``.

For both tasks the input vocabulary is the output vocabulary, so ``num_classes`` also sizes the embedding:

* ``CharLSTM``: character embedding, one LSTM layer, a linear read-out at every position (Dozat's LSTM
  language model, at character level). Logits come shaped (B, num_classes, T), so ``F.cross_entropy(logits,
  y)`` with ``y`` (B, T) and ``logits.argmax(1) == y`` work per position.
* ``SkipGram``: word2vec's skip-gram: the center word's embedding, then a full softmax over the vocabulary
  (no negative sampling).
"""

from __future__ import annotations

from torch import nn


class CharLSTM(nn.Module):
    def __init__(self, input_shape: tuple[int, ...], num_classes: int = 10, embed: int = 32, hidden: int = 128):
        super().__init__()
        self.embed = nn.Embedding(num_classes, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=1, batch_first=True)
        self.fc = nn.Linear(hidden, num_classes)

    def forward(self, x):
        out, _ = self.lstm(self.embed(x))  # (B, T, hidden)
        return self.fc(out).transpose(1, 2)  # (B, num_classes, T)


class SkipGram(nn.Module):
    def __init__(self, input_shape: tuple[int, ...], num_classes: int = 10, dim: int = 64):
        super().__init__()
        self.embed = nn.Embedding(num_classes, dim)
        self.fc = nn.Linear(dim, num_classes)

    def forward(self, x):
        return self.fc(self.embed(x[:, 0]))  # x: (B, 1) center word ids
