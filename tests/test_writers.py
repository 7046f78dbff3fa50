"""Two writers on one index at the same moment, on both stores: nothing anyone added is lost.

Two upload pages (two :class:`ui._uploads.Library` objects, as two servers hold) and a
``qa index`` run beside a server write the same index, folder or PostgreSQL, again and
again; at the end every document that anyone added is there, and every server sees it.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import index
import qa
from tests.conftest import REPO
from tests.fakes import FakeEmbedder
from ui._uploads import Library

ROUNDS = 6
CHUNKING = index.ChunkingOptions(max_tokens=40)
TEA = "Green tea comes from the leaves of Camellia sinensis. It is steamed or pan-fired.\n"


@pytest.fixture(params=["folder", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An index holding one document, in a folder or in PostgreSQL."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "tea.txt").write_text(TEA, encoding="utf-8")
    if request.param == "folder":
        where = str(tmp_path / "idx")
        index.build_index([docs], where, embedder=FakeEmbedder(), chunking=CHUNKING)
    else:
        where = request.getfixturevalue("pg_url")
        index.build_pg_index([docs], where, embedder=FakeEmbedder(), chunking=CHUNKING)
    return where


def _upload_file(folder: Path, name: str, i: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(
        f"Upload {name} number {i} tells of lighthouse {i} and its keeper {i}.\n", "utf-8"
    )
    return path


def _sources(location: str) -> set[str]:
    return set(qa.load(location, embedder=FakeEmbedder()).sources)


@pytest.mark.slow
def test_two_servers_uploading_at_once_lose_nothing(location: str, tmp_path: Path) -> None:
    libraries = [Library(qa.load(location, embedder=FakeEmbedder())) for _ in range(2)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def upload(n: int) -> None:
        try:
            for i in range(ROUNDS):
                f = _upload_file(tmp_path / f"in{n}-{i}", f"s{n}-{i}.txt", i)
                barrier.wait(timeout=60)  # both pages upload at the same moment
                report = libraries[n].add([f])
                assert report.added == (f"uploads/s{n}-{i}.txt",) and not report.failed
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not errors, errors
    wanted = {"tea.txt"} | {f"uploads/s{n}-{i}.txt" for n in range(2) for i in range(ROUNDS)}
    assert _sources(location) == wanted
    time.sleep(1.1)  # servers look for a newer index at most once a second
    for library in libraries:  # and each server sees what the other added
        assert set(library.bot.sources) == wanted


@pytest.mark.slow
def test_qa_index_beside_a_server_loses_nothing(location: str, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    library = Library(qa.load(location, embedder=FakeEmbedder()))
    flag = "--store" if index.is_database_url(location) else "--out"
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.reliability_child",
            "index-loop",
            str(docs),
            flag,
            location,
            str(ROUNDS),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for i in range(ROUNDS):
            library.add([_upload_file(tmp_path / f"in-{i}", f"page-{i}.txt", i)])
        out, err = child.communicate(timeout=600)
    finally:
        child.kill()
    assert child.returncode == 0, err
    assert out.strip().endswith("done")
    wanted = (
        {"tea.txt"}
        | {f"cli-{i}.txt" for i in range(ROUNDS)}
        | {f"uploads/page-{i}.txt" for i in range(ROUNDS)}
    )
    assert _sources(location) == wanted
    library.refresh()
    assert set(library.bot.sources) == wanted
