"""Shared fixtures: a fake embedder for unit tests, one real model per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from tests.fakes import FakeEmbedder

# pg_server / pg_url: a real PostgreSQL with pgvector (tests/pg_support.py).
pytest_plugins = ["tests.pg_support"]

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
SEED = SHARED / "eval" / "seed_dev.jsonl"
SQUAD = SHARED / "eval" / "squad-dev"


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def real_embedder() -> Iterator[object]:
    """The packaged all-MiniLM-L6-v2, loaded once for the whole session."""
    from index import load_embedder

    yield load_embedder("all-MiniLM-L6-v2")


@pytest.fixture(scope="session")
def corpus_index(real_embedder: object, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared corpus indexed with the real model, once per session."""
    from index import build_index

    if not CORPUS.is_dir():
        pytest.fail(f"the shared corpus is missing at {CORPUS}; put shared/ beside the repo")
    out = tmp_path_factory.mktemp("corpus-index")
    build_index([CORPUS], out, embedder=real_embedder)  # type: ignore[arg-type]
    return out
