"""A small deterministic embedder for fast tests: hashed bag of words, unit length."""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

import numpy as np

_TOKEN = re.compile(r"\w+|[^\w\s]")


class FakeEmbedder:
    """Implements ``index.Embedder`` without a neural model."""

    def __init__(
        self, *, name: str = "fake-hash-64", dimension: int = 64, max_tokens: int = 40
    ) -> None:
        self._name = name
        self._dimension = dimension
        self._max_tokens = max_tokens
        self.embedded = 0  # texts embedded so far, for tests of reuse

    @property
    def name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return [(m.start(), m.end()) for m in _TOKEN.finditer(text)]

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        self.embedded += len(texts)
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[row, zlib.crc32(word.encode()) % self._dimension] += 1.0
            norm = np.linalg.norm(out[row])
            if norm == 0:
                out[row, 0] = 1.0
            else:
                out[row] /= norm
        return out
