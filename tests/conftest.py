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
from ui._defaults import DEFAULT_CORPUS

# pg_server / pg_url: a real PostgreSQL with pgvector (tests/pg_support.py).
pytest_plugins = ["tests.pg_support"]

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
SEED = SHARED / "eval" / "seed_dev.jsonl"
SQUAD = SHARED / "eval" / "squad-dev"
BUNDLED = DEFAULT_CORPUS  # ui/corpus, shipped in the package and served by default


def in_ci() -> bool:
    """True in CI (which sets CI=true), where shared data must be present."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def require_shared(path: Path) -> Path:
    """``path`` (under ../shared), or skip the test: in CI, fail it instead.

    A bare clone has no ../shared beside it; the tests that need its corpus or evaluation
    data are skipped there with this reason, but CI must run them all.
    """
    if path.exists():
        return path
    reason = f"needs {path}, which is missing: put shared/ beside the repo"
    if in_ci():
        pytest.fail(f"{reason} (CI=true: shared data is required in CI)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def real_embedder() -> Iterator[object]:
    """The packaged all-MiniLM-L6-v2, loaded once for the whole session."""
    from index import load_embedder

    yield load_embedder("all-MiniLM-L6-v2", backend="torch")


@pytest.fixture(scope="session")
def corpus_index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared corpus indexed with the real model, once per session."""
    from index import build_index

    require_shared(CORPUS)  # before the model loads: a bare clone skips at once
    real_embedder = request.getfixturevalue("real_embedder")
    out = tmp_path_factory.mktemp("corpus-index")
    build_index([CORPUS], out, embedder=real_embedder)  # type: ignore[arg-type]
    return out


@pytest.fixture(scope="session")
def bundled_index(real_embedder: object, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled corpus (ui/corpus) indexed with the real model, once per session."""
    from index import build_index

    out = tmp_path_factory.mktemp("bundled-index")
    build_index([BUNDLED], out, embedder=real_embedder)  # type: ignore[arg-type]
    return out
