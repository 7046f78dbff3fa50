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
import index._pg_connect
import qa
from index._pg_build import build_pg_index
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
        build_pg_index([docs], where, embedder=FakeEmbedder(), chunking=CHUNKING)
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


# -- servers and qa.retrieve switch to a newer version -----------------------------------------


def _another_writer_adds(location: str, tmp_path: Path, name: str) -> None:
    path = _upload_file(tmp_path / "other", name, 7)
    doc = index.parse_document(path.read_bytes(), source=name, suffix=".txt")
    index.open_index(location).add([doc], embedder=FakeEmbedder())


@pytest.mark.slow
def test_a_server_switches_to_the_version_another_wrote(location: str, tmp_path: Path) -> None:
    library = Library(qa.load(location, embedder=FakeEmbedder()), refresh_seconds=0)
    first = library.bot
    _another_writer_adds(location, tmp_path, "harbour.txt")
    assert "harbour.txt" in library.bot.sources  # without an upload of its own
    assert library.bot is not first
    assert library.bot.retrieve("Which lighthouse keeper?", k=1)[0].source == "harbour.txt"
    assert library.refresh() is False  # nothing newer: the same bot
    library.remove("harbour.txt")
    assert "harbour.txt" not in qa.load(location, embedder=FakeEmbedder()).sources


@pytest.mark.slow
def test_retrieve_switches_to_a_rebuilt_index(
    location: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qa._bot

    monkeypatch.setattr(qa._bot, "load_embedder", lambda name, **_: FakeEmbedder())
    monkeypatch.setattr(qa._retrieve, "_bots", {})
    question = "Which lighthouse keeper?"
    assert qa.retrieve(question, index=location, k=1)[0].source == "tea.txt"
    _another_writer_adds(location, tmp_path, "harbour.txt")
    assert qa.retrieve(question, index=location, k=1)[0].source == "harbour.txt"


# -- a server killed in the middle of an upload ------------------------------------------------

_KILLS = {
    "folder": [
        "embed:1:after",
        "np.save:2:after",
        "fsync:3:after",
        "os.replace:1:after",
        "os.replace:2:before",
        "os.replace:2:after",
        "prune:1:before",
        "refresh:1:before",
    ],
    "postgres": [
        "embed:1:after",
        "insert:1:before",
        "insert:1:after",
        "finish:1:after",
        "refresh:1:before",
    ],
}


def _consistent_pg(url: str) -> None:
    conn = index._pg_connect.connect(url)
    with conn:
        row = conn.execute(
            """SELECT
                (SELECT count(*) FROM qa_passages p
                 WHERE NOT EXISTS (SELECT 1 FROM qa_documents d WHERE d.id = p.document)),
                (SELECT count(*) FROM qa_documents d
                 WHERE d.passages <> (SELECT count(*) FROM qa_passages p
                                      WHERE p.document = d.id)),
                (SELECT value::int FROM qa_meta WHERE key = 'passages')
                  = (SELECT count(*) FROM qa_passages)"""
        ).fetchone()
    assert row == (0, 0, True)


@pytest.mark.slow
def test_a_server_killed_mid_upload_leaves_the_upload_whole_or_absent(
    location: str, tmp_path: Path
) -> None:
    kind = "postgres" if index.is_database_url(location) else "folder"
    outcomes = set()
    for n, spec in enumerate(_KILLS[kind]):
        f = _upload_file(tmp_path / f"k{n}", f"killed-{n}.txt", n)
        child = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.reliability_child",
                "upload",
                location,
                str(f),
                "--kill-at",
                spec,
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert child.returncode == -9, (spec, child.stderr[-2000:])
        bot = qa.load(location, embedder=FakeEmbedder())  # loads: the index is whole
        if kind == "postgres":
            _consistent_pg(location)
        source = f"uploads/killed-{n}.txt"
        present = source in bot.sources
        outcomes.add(present)
        if present:  # whole: its text and passages are all there
            assert bot.document(source) == f.read_text(encoding="utf-8")
            assert bot.retrieve(f"lighthouse {n} keeper {n}", k=1)[0].source == source
        # The lock died with the server: the next upload goes through at once.
        again = _upload_file(tmp_path / f"a{n}", f"after-{n}.txt", n)
        library = Library(bot)
        assert library.add([again]).added == (f"uploads/after-{n}.txt",)
    assert outcomes == {True, False}  # kills before and after the commit were both tried
