"""Faults: a build killed at any point, damaged index files, two writers, readers during writes.

Builds that get killed run in a subprocess (tests/reliability_child.py) with the fake
embedder; the index they leave is then loaded here with the real loading code.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import qa
from index import build_index
from index._remove import remove_source
from index._store import open_store
from tests.fakes import FakeEmbedder
from tests.reliability_child import HOOKS, write_docs

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = (
    "What depends on the yeast?",
    "Where do apples grow?",
    "What does the crater hold?",
    "comets orbit telescope",
    "flood bridge",
)


def _child(*args: str, **kwargs: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability_child", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def _snapshot(out: Path) -> dict[str, Any]:
    """Everything a reader sees of an index, for exact comparison."""
    store = open_store(out)
    bot = qa.load(out, embedder=FakeEmbedder())
    return {
        "sources": [(s.source, s.sha256) for s in store.manifest.sources],
        "passages": store.passages.tobytes(),
        "sentences": store.sentences.tobytes(),
        "vectors": store.vectors.reconstruct_n(0, len(store)).tobytes(),
        "answers": [
            [(p.source, p.start, p.end, round(p.score, 6)) for p in bot.retrieve(q, k=5)]
            for q in QUESTIONS
        ],
    }


@pytest.fixture
def two_corpora(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old", tmp_path / "new"
    write_docs(old, 30, seed=1)
    write_docs(new, 45, seed=2)  # edits most files and adds 15
    return old, new


# -- SIGKILL at every write step ----------------------------------------------------------

KILL_POINTS = [
    "embed:1:before",
    "embed:1:after",
    "np.save:1:before",
    "np.save:2:after",
    "write_index:1:before",
    "write_index:1:after",
    "bm25.save:1:after",
    "fsync:1:before",
    "fsync:5:after",
    "os.replace:1:before",
    "os.replace:1:after",  # the new version folder exists, CURRENT not yet switched
    "os.replace:2:before",
    "os.replace:2:after",  # CURRENT switched, old versions not yet pruned
    "prune:1:before",
]


def test_every_hook_is_exercised() -> None:
    assert {p.split(":")[0] for p in KILL_POINTS} == set(HOOKS)


@pytest.mark.parametrize("point", KILL_POINTS)
def test_sigkill_during_build_keeps_an_intact_index(
    point: str, two_corpora: tuple[Path, Path], tmp_path: Path
) -> None:
    old, new = two_corpora
    out = tmp_path / "idx"
    build_index([old], out, embedder=FakeEmbedder())
    before = _snapshot(out)
    child = _child("build", str(new), str(out), "--kill-at", point)
    _, err = child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL, err
    after = _snapshot(out)  # loads without error, whatever the kill left behind
    fresh = tmp_path / "fresh"
    build_index([new], fresh, embedder=FakeEmbedder())
    # The index is either exactly the old one or exactly the new one, never a mixture.
    assert after == before or after == _snapshot(fresh), point
    # The next build cleans up after the killed one and reuses what it can.
    report = build_index([new], out, embedder=FakeEmbedder())
    assert _snapshot(out) == _snapshot(fresh)
    assert not [p for p in out.iterdir() if p.name.startswith(("tmp-", ".CURRENT."))]
    assert len([p for p in out.iterdir() if p.name.startswith("v-")]) <= 2
    assert report.documents == 45


def test_sigkill_at_random_moments(two_corpora: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = two_corpora
    out = tmp_path / "idx"
    build_index([old], out, embedder=FakeEmbedder())
    states = [_snapshot(out)]
    fresh = tmp_path / "fresh"
    build_index([new], fresh, embedder=FakeEmbedder())
    states.append(_snapshot(fresh))
    rng = random.Random(7)
    outcomes = {"old": 0, "new": 0}
    for _ in range(8):
        source = old if _snapshot(out) == states[0] else new
        target = new if source == old else old
        # The slow embedder stretches the build so the kill lands anywhere in it.
        child = _child("build", str(target), str(out), "--slow", "0.4")
        time.sleep(rng.uniform(0.2, 2.5))
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=60)
        now = _snapshot(out)
        assert now in states
        outcomes["old" if now == states[0] else "new"] += 1
    assert sum(outcomes.values()) == 8


# -- damaged index files -------------------------------------------------------------------


def _version(out: Path) -> Path:
    return out / (out / "CURRENT").read_text().strip()


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


DAMAGE = {
    "documents truncated": lambda v: _truncate(v / "documents.jsonl"),
    "documents missing": lambda v: (v / "documents.jsonl").unlink(),
    "documents one line short": lambda v: (v / "documents.jsonl").write_text(
        "".join((v / "documents.jsonl").read_text().splitlines(keepends=True)[:-1])
    ),
    "passages truncated": lambda v: _truncate(v / "passages.npy"),
    "passages missing": lambda v: (v / "passages.npy").unlink(),
    "passages out of range": lambda v: np.save(
        v / "passages.npy", np.load(v / "passages.npy") + 10_000
    ),
    "sentences truncated": lambda v: _truncate(v / "sentences.npy"),
    "sentences missing": lambda v: (v / "sentences.npy").unlink(),
    "vectors truncated": lambda v: _truncate(v / "vectors.faiss"),
    "vectors missing": lambda v: (v / "vectors.faiss").unlink(),
    "vectors garbage": lambda v: (v / "vectors.faiss").write_bytes(os.urandom(300)),
    "bm25 missing": lambda v: shutil.rmtree(v / "bm25"),
    "bm25 file truncated": lambda v: [_truncate(f) for f in (v / "bm25").iterdir()],
    "manifest truncated": lambda v: _truncate(v / "manifest.json"),
    "manifest missing": lambda v: (v / "manifest.json").unlink(),
    "manifest not json": lambda v: (v / "manifest.json").write_bytes(b"\x00\xff garbage"),
    "manifest wrong passages": lambda v: _edit_manifest(v, passages=3),
    "manifest wrong dimension": lambda v: _edit_manifest(v, dimension=7),
    "manifest other format": lambda v: _edit_manifest(v, format="something-else"),
    "manifest missing field": lambda v: _edit_manifest(v, model=None),
    "CURRENT empty": lambda v: (v.parent / "CURRENT").write_text(""),
    "CURRENT points nowhere": lambda v: (v.parent / "CURRENT").write_text("v-gone\n"),
    "CURRENT points outside": lambda v: (v.parent / "CURRENT").write_text("../../etc\n"),
    "CURRENT missing": lambda v: (v.parent / "CURRENT").unlink(),
    "version folder missing": lambda v: shutil.rmtree(v),
}


def _edit_manifest(version: Path, **changes: Any) -> None:
    data = json.loads((version / "manifest.json").read_text())
    for key, value in changes.items():
        if value is None:
            del data[key]
        else:
            data[key] = value
    (version / "manifest.json").write_text(json.dumps(data))


@pytest.fixture
def built(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    write_docs(docs, 6)
    out = tmp_path / "idx"
    build_index([docs], out, embedder=FakeEmbedder())
    return out


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_index_gives_one_clear_error(damage: str, built: Path) -> None:
    DAMAGE[damage](_version(built))
    with pytest.raises(qa.IndexCorruptError) as caught:
        qa.load(built, embedder=FakeEmbedder())
    message = str(caught.value)
    assert "\n" not in message and "rebuild" in message and str(built) in message


@pytest.mark.parametrize(
    "damage", ["vectors truncated", "manifest not json", "CURRENT points nowhere", "bm25 missing"]
)
def test_damaged_index_through_the_cli(damage: str, built: Path) -> None:
    DAMAGE[damage](_version(built))
    child = _child("cli", "ask", "Where do apples grow?", "--index", str(built))
    out, err = child.communicate(timeout=120)
    assert child.returncode == 2
    assert err.startswith("qa: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and "rebuild" in err and out == ""


def test_damaged_index_is_rebuilt_in_place(built: Path, tmp_path: Path) -> None:
    DAMAGE["vectors garbage"](_version(built))
    build_index([tmp_path / "docs"], built, embedder=FakeEmbedder())
    assert len(open_store(built)) > 0


def test_newer_format_and_other_model(built: Path) -> None:
    _edit_manifest(_version(built), format_version=99)
    child = _child("cli", "ask", "Where do apples grow?", "--index", str(built))
    _, err = child.communicate(timeout=120)
    assert child.returncode == 2 and "newer" in err and "upgrade qa" in err
    assert err.count("\n") == 1
    _edit_manifest(_version(built), format_version=1, model="another/model")
    child = _child("cli", "ask", "Where do apples grow?", "--index", str(built))
    _, err = child.communicate(timeout=120)
    # The fake loader hands back the fake model whatever name it is given: a mismatch.
    assert child.returncode == 2 and "another/model" in err and "rebuild" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    with pytest.raises(qa.ModelMismatchError):
        qa.load(built, embedder=FakeEmbedder())


def test_not_an_index_folder(tmp_path: Path) -> None:
    folder = tmp_path / "stuff"
    folder.mkdir()
    (folder / "notes.txt").write_text("hello")
    with pytest.raises(qa.IndexCorruptError, match="not a qa index"):
        open_store(folder)
    a_file = tmp_path / "file.txt"
    a_file.write_text("hello")
    with pytest.raises(qa.QAError):
        open_store(a_file)


# -- writers and readers --------------------------------------------------------------------


def test_second_writer_waits_or_fails_clearly(built: Path, tmp_path: Path) -> None:
    before = _snapshot(built)
    holder = _child("lock", str(built), "3")
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    locked_at = time.monotonic()
    try:
        with pytest.raises(qa.IndexLockedError, match="another process is writing"):
            build_index([tmp_path / "docs"], built, embedder=FakeEmbedder(), lock_timeout=0.3)
        with pytest.raises(qa.IndexLockedError):
            remove_source(built, "doc-000.txt", lock_timeout=0.3)
        assert _snapshot(built) == before
        # With time to wait, the second writer goes ahead once the first is done.
        more = tmp_path / "more"
        write_docs(more, 8, seed=5)
        report = build_index([more], built, embedder=FakeEmbedder(), lock_timeout=60)
        # The holder keeps the lock 3 s after saying so (its exit may come a moment later).
        assert time.monotonic() - locked_at >= 2.9, "the build must have waited for the lock"
        assert report.documents == 8
    finally:
        holder.kill()
        holder.communicate()


def test_readers_never_see_a_half_written_index(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    write_docs(a, 5, seed=3)
    write_docs(b, 9, seed=4)
    out = tmp_path / "idx"
    build_index([a], out, embedder=FakeEmbedder())
    expected = {5: _snapshot(out)["sources"]}
    build_index([b], tmp_path / "fresh-b", embedder=FakeEmbedder())
    expected[9] = _snapshot(tmp_path / "fresh-b")["sources"]
    writer = _child("churn", str(a), str(b), str(out), "30")
    loads = 0
    try:
        deadline = time.monotonic() + 120
        while writer.poll() is None and time.monotonic() < deadline:
            store = open_store(out)  # must never raise while versions come and go
            sources = [(s.source, s.sha256) for s in store.manifest.sources]
            assert sources == expected[len(sources)]
            assert len(store) == store.vectors.ntotal == store.manifest.passages
            loads += 1
    finally:
        writer.kill()
        _, err = writer.communicate()
    assert writer.returncode == 0, err
    assert loads > 5


@pytest.mark.slow
def test_index_built_with_a_model_this_machine_lacks(built: Path) -> None:
    _edit_manifest(_version(built), model="acme/missing-model")
    child = subprocess.run(
        [sys.executable, "-m", "ui", "ask", "Where do apples grow?", "--index", str(built)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert child.returncode == 2
    assert child.stderr.startswith("qa: error: cannot load embedding model 'acme/missing-model'")
    assert child.stderr.count("\n") == 1 and "Traceback" not in child.stderr
