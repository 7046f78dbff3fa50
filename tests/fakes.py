"""A small deterministic embedder for fast tests: hashed bag of words, unit length."""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import qa
from index import Document
from index._build import build_from_documents

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
        return self._vectors(texts)

    def embed_in_context(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        *,
        progress: bool = False,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """As the real embedders: span vectors from the same call (here, of the span's words)."""
        pooled = [
            self._vectors([t[s:e] for s, e in ss]) for t, ss in zip(texts, spans, strict=True)
        ]
        return self.embed(texts), pooled

    def _vectors(self, texts: Sequence[str]) -> np.ndarray:
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


def fake_serve(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """Make `qa serve` load the fake embedder and record what it would serve, not block."""
    import index
    import qa._bot
    import ui.app

    def fake_loader(name: str, **_: object) -> FakeEmbedder:
        return FakeEmbedder()

    monkeypatch.setattr(index, "load_embedder", fake_loader)
    monkeypatch.setattr(qa._bot, "load_embedder", fake_loader)
    served: dict[str, object] = {}

    def fake_serve(target: object, **options: object) -> None:  # the real one blocks
        served["library"] = target
        served.update(options)

    monkeypatch.setattr(ui.app, "serve", fake_serve)
    return served


def three_document_bot(folder: Path, embedder: FakeEmbedder) -> qa.Bot:
    """A bot over three one-sentence documents ("a" glaciers, "b" a violin maker, "c" lava)
    indexed under ``folder``: small enough that a test can say which should come first."""
    texts = {
        "a": "Glaciers carve valleys in the Alps over thousands of years.",
        "b": "The violin maker worked in Cremona with spruce and maple.",
        "c": "Lava from the volcano reached the sea in the night.",
    }
    docs = [Document(s, s, t, "markdown", s * 64) for s, t in texts.items()]
    build_from_documents(docs, folder / "idx", embedder=embedder)
    return qa.load(folder / "idx", embedder=embedder)


def fit_item(**fields: Any) -> Any:
    """A ``benchmarks`` fitting item of four candidates (no sentences unless given), with
    ``fields`` replacing the defaults."""
    from benchmarks._fit_data import Item

    n = 4
    defaults: dict[str, Any] = {
        "style": "squad",
        "split": "train",
        "positive": True,
        "kind": "own",
        "question": "q",
        "unknown_share": 0.0,
        "unknown_names": 0.0,
        "sim": np.array([0.5, 0.7, 0.6, 0.2]),
        "kw": np.zeros(n),
        "sent": np.zeros(n),
        "coverage": np.zeros(n),
        "heading": np.zeros(n),
        "relevant": np.array([True, True, False, True]),
        "agreement": 0.0,
        "docs": ["x", "x", "y", "z"],
        "position": np.zeros(n),
        "length": np.ones(n),
        "s_cand": np.zeros(0, np.int64),
        "s_intrinsic": np.zeros((0, 5)),
        "s_label": np.zeros(0, bool),
    }
    return Item(**{**defaults, **fields})
