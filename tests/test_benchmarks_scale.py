"""The store's switch to an approximate (HNSW) index above a size, as benchmarks/scale.py chose."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import qa
from index import _store, parse_document
from index._build import build_from_documents
from index._store import open_store
from tests.fakes import FakeEmbedder

WORDS = [
    "apple",
    "pear",
    "plum",
    "grape",
    "lemon",
    "cherry",
    "melon",
    "peach",
    "mango",
    "kiwi",
    "fig",
    "date",
    "lime",
]


def _docs(n: int) -> list:  # type: ignore[type-arg]
    out = []
    for i in range(n):
        text = f"{WORDS[i % len(WORDS)]} orchard number {i} grows {WORDS[(i * 7) % len(WORDS)]}."
        out.append(parse_document(text.encode(), source=f"d{i}.txt", suffix=".txt"))
    return out


def test_small_indexes_stay_exact(tmp_path: Path) -> None:
    build_from_documents(_docs(5), tmp_path / "idx", embedder=FakeEmbedder())
    assert type(open_store(tmp_path / "idx").vectors).__name__ == "IndexFlatIP"


def test_large_indexes_use_hnsw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_store, "APPROXIMATE_ABOVE", 20)
    embedder = FakeEmbedder()
    build_from_documents(_docs(60), tmp_path / "idx", embedder=embedder)
    store = open_store(tmp_path / "idx")
    assert type(store.vectors).__name__ == "IndexHNSWFlat"
    assert store.vectors.hnsw.efSearch == _store.HNSW_EF_SEARCH  # saved with the index
    vector = embedder.embed(["plum orchard number 2 grows"])[0]
    ids, sims = store.dense(vector, 5)
    assert len(ids) == 5 and np.all(np.diff(sims) <= 1e-6)
    np.testing.assert_allclose(store.similarities(vector, ids.tolist()), sims, atol=1e-5)
    answer = qa.load(tmp_path / "idx", embedder=embedder).retrieve("plum orchard", k=3)
    assert answer and all("plum" in p.text or "orchard" in p.text for p in answer)
    # a rebuild reuses the vectors read back from the HNSW index
    before = embedder.embedded
    report = build_from_documents(_docs(61), tmp_path / "idx", embedder=embedder)
    assert report.reused == 60 and embedder.embedded - before == 1
