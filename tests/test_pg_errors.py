"""PostgreSQL store: driver errors become one-line QAErrors that say what to do; the store
closes; a change of model is refused unless forced; the schema carries its own version."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

import index
import qa
from index._pg import open_pg_store
from tests.fakes import FakeEmbedder

TEXT = "Bread is baked from flour and water. Yeast makes the dough rise.\n"


@pytest.fixture
def pg_index(pg_url: str, tmp_path: Path) -> str:
    (tmp_path / "bread.txt").write_text(TEXT, encoding="utf-8")
    index.index_paths([tmp_path], pg_url, embedder=FakeEmbedder())
    return pg_url


@pytest.mark.slow
def test_a_large_k_is_answered_not_a_driver_error(pg_index: str, tmp_path: Path) -> None:
    with qa.load(pg_index, embedder=FakeEmbedder()) as bot:
        passages = bot.retrieve("What makes dough rise?", k=1500, mode="dense")
        assert 0 < len(passages) <= 1500
        folder = tmp_path / "idx"
        index.index_paths([tmp_path / "bread.txt"], folder, embedder=FakeEmbedder())
        other = qa.load(folder, embedder=FakeEmbedder()).retrieve(
            "What makes dough rise?", k=1500, mode="dense"
        )
        assert [(p.source, p.start) for p in passages] == [(p.source, p.start) for p in other]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["folder", "postgres"])
def test_a_nul_in_a_document_is_refused_alike(pg_url: str, tmp_path: Path, kind: str) -> None:
    location = pg_url if kind == "postgres" else str(tmp_path / "idx")
    doc = index.Document("nul.txt", "nul", "Bread\x00 is baked.", "text", "0" * 64)
    with pytest.raises(index.DocumentError, match=r"nul\.txt: .*NUL"):
        index.open_index(location).build([doc], embedder=FakeEmbedder())
    with pytest.raises(index.DocumentError, match=r"nul\.txt: .*NUL"):
        index.open_index(location).add([doc], embedder=FakeEmbedder())


@pytest.mark.slow
def test_driver_errors_are_one_line(pg_index: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import psycopg

    store = open_pg_store(pg_index)

    def broken(*args: object, **kwargs: object) -> None:
        raise psycopg.errors.InternalError_("something odd\nDETAIL: more")

    fake = type(
        "BrokenConnection",
        (),
        {
            "execute": broken,
            "transaction": lambda self: contextlib.nullcontext(),
            "closed": False,
            "broken": False,
        },
    )

    @contextlib.contextmanager
    def lend() -> Iterator[object]:  # every query gets the broken connection
        yield fake()

    monkeypatch.setattr(store, "_connection", lend)
    with pytest.raises(index.DatabaseError, match="something odd") as caught:
        store.keyword(["bread"], 3)
    assert "\n" not in str(caught.value)


@pytest.mark.slow
def test_a_bot_closes_its_connection(pg_index: str) -> None:
    bot = qa.load(pg_index, embedder=FakeEmbedder())
    with bot:
        assert bot.retrieve("What makes dough rise?", k=1)
    with pytest.raises(index.DatabaseError, match="closed"):
        bot.retrieve("What makes dough rise?", k=1)
    bot.close()  # twice is fine


@pytest.mark.slow
def test_the_schema_has_a_version_and_old_tables_are_migrated(pg_index: str) -> None:
    from index._pg_connect import SCHEMA_VERSION, connect

    conn = connect(pg_index)
    with conn:
        row = conn.execute("SELECT value FROM qa_meta WHERE key = 'schema_version'").fetchone()
        assert row is not None and int(row[0]) == SCHEMA_VERSION
        # Tables from before schema versions (no version row, no sentence vectors column).
        conn.execute("DELETE FROM qa_meta WHERE key = 'schema_version'")
        conn.execute("ALTER TABLE qa_documents DROP COLUMN sentence_vectors")
    store = open_pg_store(pg_index)  # readers cope with old tables ...
    assert store.sentence_vectors_of(int(store.keyword(["bread"], 1)[0][0])) is None
    store.close()
    index.open_index(pg_index).add(
        [index.Document("more.txt", "more", "Rye bread is dark.\n", "text", "1" * 64)],
        embedder=FakeEmbedder(),
    )  # ... and the next write migrates them
    conn = connect(pg_index)
    with conn:
        row = conn.execute("SELECT value FROM qa_meta WHERE key = 'schema_version'").fetchone()
        assert row is not None and int(row[0]) == SCHEMA_VERSION
    # A schema newer than this qa reads is refused with the fix.
    conn = connect(pg_index)
    with conn:
        conn.execute("UPDATE qa_meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(index.IndexCorruptError, match="upgrade qa"):
        open_pg_store(pg_index)
