"""Building, updating and pruning an index in PostgreSQL, one transaction per change.

Each write takes a transaction-level advisory lock, so two indexers on one database run one
after the other, and readers keep answering from the previous state until the commit.
Embedding, the slow part, happens before the lock is taken; whatever another writer changed
in the meantime is re-checked (and embedded if need be) under the lock.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from ._build import BuildReport, checked_options
from ._chunk import ChunkingOptions
from ._embed import Embedder, canonical_model_name
from ._errors import (
    DocumentError,
    EmptyCorpusError,
    IndexLockedError,
    IndexNotFoundError,
    ModelMismatchError,
)
from ._lexical import ANALYZER, terms
from ._pg import ADDED_COLUMNS, wait_for
from ._pg_connect import (
    LOCK_KEY,
    SCHEMA_VERSION,
    DatabaseError,
    chunking_from_meta,
    connect,
    driver,
    first_line,
    read_meta,
    redact,
    register_vector,
)
from ._prepare import Prepared, distinct, is_upload, prepare
from ._read import DEFAULT_MAX_FILE_BYTES, Document
from ._store import FORMAT_VERSION

if TYPE_CHECKING:
    import psycopg


@dataclass(frozen=True)
class PgBuildReport(BuildReport):
    """What a build into PostgreSQL did; ``store`` is the database URL without password."""

    store: str = ""


def build_pg_index(
    paths: Sequence[str | os.PathLike[str]],
    url: str,
    *,
    embedder: Embedder,
    chunking: ChunkingOptions | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    progress: bool = False,
    skip_unreadable: bool = False,
    lock_timeout: float = 60.0,
    keep_all: bool | None = None,
    force: bool = False,
) -> PgBuildReport:
    """Index the files and folders in ``paths`` into the PostgreSQL database at ``url``.

    The same contract as :func:`index.build_index`: afterwards the database holds exactly
    these sources; unchanged ones (same content hash, model and chunking) are kept as they
    are, changed ones are re-embedded, missing ones are deleted (uploads from the page are
    kept), all in one transaction. An index of another model or passage size is replaced
    only with ``force=True`` (:class:`ModelMismatchError` otherwise), in the same transaction;
    an index written with another keyword analyzer or cleaning is rebuilt whole.
    """
    from ._location import index_paths

    report = index_paths(
        paths,
        url,
        embedder=embedder,
        chunking=chunking,
        max_file_bytes=max_file_bytes,
        progress=progress,
        skip_unreadable=skip_unreadable,
        lock_timeout=lock_timeout,
        force=force,
        keep_all=keep_all,
    )
    return cast(PgBuildReport, report)  # a database build reports its URL


def build_pg_from_documents(
    documents: Sequence[Document],
    url: str,
    *,
    embedder: Embedder,
    chunking: ChunkingOptions | None = None,
    progress: bool = False,
    lock_timeout: float = 60.0,
    keep_all: bool | None = None,
    force: bool = False,
) -> PgBuildReport:
    """Index documents already in memory into the database at ``url`` (see above).

    ``keep_all`` as in :func:`index.build_index`: None keeps what the database recorded.
    Documents uploaded through the page (``uploads/...``) that ``documents`` does not name
    are kept.
    """
    with driver_errors(url):
        return _write(
            documents,
            url,
            embedder=embedder,
            chunking=chunking,
            progress=progress,
            lock_timeout=lock_timeout,
            replace=True,
            force=force,
            keep_all=keep_all,
        )


def add_pg_documents(
    documents: Sequence[Document],
    url: str,
    *,
    embedder: Embedder,
    chunking: ChunkingOptions | None = None,
    progress: bool = False,
    lock_timeout: float = 60.0,
) -> PgBuildReport:
    """Add ``documents`` to the index at ``url``, replacing those of the same name only.

    What the database holds is read under the writer lock, so documents that another writer
    added in the meantime stay. The index's own chunking wins over ``chunking``.
    """
    if not documents:
        raise EmptyCorpusError("nothing to add: no documents given")
    distinct(documents)
    conn = connect(url)
    try:
        meta = read_meta(conn)
    finally:
        conn.close()
    if meta:
        if meta.get("model") != canonical_model_name(embedder.name):
            raise ModelMismatchError(
                f"the index in {redact(url)} is built with {meta.get('model')!r}, not "
                f"{embedder.name!r}; reload the page, or rebuild the index with one model"
            )
        chunking = chunking_from_meta(meta)
    with driver_errors(url):
        return _write(
            documents,
            url,
            embedder=embedder,
            chunking=chunking,
            progress=progress,
            lock_timeout=lock_timeout,
            replace=False,
            force=False,
            keep_all=None,
        )


def _write(
    documents: Sequence[Document],
    url: str,
    *,
    embedder: Embedder,
    chunking: ChunkingOptions | None,
    progress: bool,
    lock_timeout: float,
    replace: bool,
    force: bool,
    keep_all: bool | None,
) -> PgBuildReport:
    # replace: afterwards the index holds ``documents`` and the uploads (a build);
    # otherwise ``documents`` and everything else it held (an add).
    started = time.perf_counter()
    options = checked_options(documents, embedder, chunking)
    conn = connect(url)
    try:
        if keep_all is None:
            keep_all = read_meta(conn).get("keep_all") == "1"
        # Any change here makes the stored passages unusable: the tables start afresh.
        settings = {
            "model": embedder.name,
            "dimension": str(embedder.dimension),
            "chunking": json.dumps(dataclasses.asdict(options), sort_keys=True),
            "analyzer": ANALYZER,
            "keep_all": "1" if keep_all else "0",
        }
        # Before the lock: embed what the database does not hold yet.
        prepared: dict[str, Prepared] = {}
        before = _held(conn, settings)
        todo = [d for d in documents if before.get(d.source) != d.sha256]
        prepared.update(prepare(todo, embedder, options, progress=progress, keep_all=keep_all))
        with conn.transaction():
            _lock(conn, url, lock_timeout)
            _ensure_schema(conn, url, settings, force=force)
            register_vector(conn, url)
            now = _rows(conn)
            late = [
                d
                for d in documents
                if d.source not in prepared and (now.get(d.source) or (0, "", 0))[1] != d.sha256
            ]
            prepared.update(prepare(late, embedder, options, keep_all=keep_all))
            wanted = {d.source: d for d in documents}
            stale = [
                doc_id
                for source, (doc_id, sha, _) in now.items()
                if (source in wanted and wanted[source].sha256 != sha)
                or (replace and source not in wanted and not is_upload(source))
            ]
            if stale:
                conn.execute("DELETE FROM qa_documents WHERE id = ANY(%s)", (stale,))
            fresh = [d for d in documents if (now.get(d.source) or (0, "", 0))[1] != d.sha256]
            _insert(conn, fresh, prepared)
            _finish(conn, settings)
            counts = conn.execute(
                "SELECT count(*), coalesce(sum(passages), 0) FROM qa_documents"
            ).fetchone()
            assert counts is not None
            if int(counts[1]) == 0:
                raise EmptyCorpusError(
                    "no text to index: every document was empty or boilerplate; check the files"
                )
    finally:
        conn.close()
    embedded = sum(len(p.spans) for p in prepared.values())
    passages = int(counts[1])
    inserted = sum(len(prepared[d.source].spans) for d in fresh)
    return PgBuildReport(
        path=Path(redact(url)),
        documents=int(counts[0]),
        passages=passages,
        embedded=embedded,
        reused=passages - inserted,
        removed=tuple(sorted(s for s in now if s not in wanted and replace and not is_upload(s))),
        seconds=time.perf_counter() - started,
        store=redact(url),
    )


def remove_pg_sources(
    url: str, sources: Sequence[str], *, lock_timeout: float = 60.0
) -> PgBuildReport:
    """Delete ``sources`` from the index in the database at ``url``, in one transaction.

    Raises :class:`DocumentError` for a source that is not indexed and
    :class:`EmptyCorpusError` when nothing would be left, like :func:`index.remove_sources`.
    """
    with driver_errors(url):
        return _remove_unmapped(url, sources, lock_timeout=lock_timeout)


def _remove_unmapped(
    url: str, sources: Sequence[str], *, lock_timeout: float = 60.0
) -> PgBuildReport:
    # remove_pg_sources, before driver errors are turned into DatabaseError.
    started = time.perf_counter()
    wanted = list(dict.fromkeys(sources))
    if not wanted:
        raise DocumentError("no source given; name the source to remove, as `qa ask` cites it")
    where = redact(url)
    conn = connect(url)
    try:
        with conn.transaction():
            _lock(conn, url, lock_timeout)
            if not read_meta(conn):
                raise IndexNotFoundError(
                    f"no qa index in {where}; build one with `qa index PATH... --store URL`"
                )
            now = _rows(conn)
            unknown = [s for s in wanted if s not in now]
            if unknown:
                indexed = sorted(now)
                shown = ", ".join(repr(s) for s in indexed[:5]) + (
                    ", ..." if len(indexed) > 5 else ""
                )
                raise DocumentError(
                    f"no source {unknown[0]!r} in the index in {where}; indexed sources: {shown}"
                )
            if len(set(now) - set(wanted)) == 0:
                raise EmptyCorpusError(
                    f"removing {len(wanted)} source(s) would leave the index in {where} empty; "
                    "drop its tables instead"
                )
            conn.execute(
                "DELETE FROM qa_documents WHERE id = ANY(%s)", ([now[s][0] for s in wanted],)
            )
            _finish(conn, {})
            counts = conn.execute(
                "SELECT count(*), coalesce(sum(passages), 0) FROM qa_documents"
            ).fetchone()
            assert counts is not None
    finally:
        conn.close()
    return PgBuildReport(
        path=Path(where),
        documents=int(counts[0]),
        passages=int(counts[1]),
        embedded=0,
        reused=int(counts[1]),
        removed=tuple(sorted(wanted)),
        seconds=time.perf_counter() - started,
        store=where,
    )


# -- internals -----------------------------------------------------------------------------


@contextlib.contextmanager
def driver_errors(url: str) -> Iterator[None]:
    """Turn a driver error inside a write into :class:`DatabaseError` (the transaction was
    rolled back: nothing changed)."""
    psycopg = driver()
    try:
        yield
    except psycopg.Error as exc:
        raise DatabaseError(
            f"the database at {redact(url)} refused the write ({first_line(exc)}); nothing "
            "was changed; check the server and its log, then try again"
        ) from exc


def _held(conn: psycopg.Connection[Any], settings: dict[str, str]) -> dict[str, str]:
    # Source -> sha256 of what the database holds with these settings (nothing otherwise).
    meta = read_meta(conn)
    if not meta or any(meta.get(k) != v for k, v in settings.items()):
        return {}
    return {str(s): str(h) for s, h in conn.execute("SELECT source, sha256 FROM qa_documents")}


def _rows(conn: psycopg.Connection[Any]) -> dict[str, tuple[int, str, int]]:
    return {
        str(source): (int(doc_id), str(sha), int(n))
        for doc_id, source, sha, n in conn.execute(
            "SELECT id, source, sha256, passages FROM qa_documents"
        )
    }


def _lock(conn: psycopg.Connection[Any], url: str, timeout: float) -> None:
    def take() -> bool:
        row = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (LOCK_KEY,)).fetchone()
        return bool(row and row[0])

    if not wait_for(take, timeout=timeout):
        raise IndexLockedError(
            f"another process is writing the index in {redact(url)}; "
            "wait for it to finish and try again"
        )


def describe(settings: dict[str, str]) -> str:
    """Model and passage size of an index's settings, for messages."""
    try:
        tokens = json.loads(settings.get("chunking", "{}")).get("max_tokens", "?")
    except ValueError:
        tokens = "?"
    return f"{settings.get('model', '?')!r} and {tokens}-token passages"


#: Settings whose change loses the stored vectors: replaced only with ``force``.
_NEEDS_FORCE = frozenset({"model", "dimension", "chunking"})


def _ensure_schema(
    conn: psycopg.Connection[Any], url: str, settings: dict[str, str], *, force: bool
) -> None:
    from psycopg import errors, sql

    has_vector = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone()
    if not has_vector:
        try:
            with conn.transaction():
                # In public, where every schema's search path finds it (see docs/SCALING.md).
                public = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'public'")
                where = " SCHEMA public" if public.fetchone() else ""
                conn.execute("CREATE EXTENSION IF NOT EXISTS vector" + where)
        except (
            errors.InsufficientPrivilege,
            errors.FeatureNotSupported,
            errors.UndefinedFile,
        ) as exc:
            raise DatabaseError(
                f"the pgvector extension is not available in {redact(url)} and this user "
                "cannot create it; run `CREATE EXTENSION vector` there as an administrator"
            ) from exc
    meta = read_meta(conn)
    changed = {k for k, v in settings.items() if meta.get(k) != v} if meta else set()
    if changed:
        # Another model or passage size loses every vector: only on request. Another keyword
        # analyzer or cleaning (a newer qa, --keep-all) is rebuilt from the same documents.
        if changed & _NEEDS_FORCE and not force:
            raise ModelMismatchError(
                f"the index in {redact(url)} is built with {describe(meta)}, not "
                f"{describe(settings)}; pass --force (force=True) to replace all of it, "
                "or index with its model and passage size"
            )
        # Nothing can be reused: start the tables afresh. In the
        # writer's transaction: readers see the old tables until the new ones are committed.
        settings_kept = {k: v for k, v in meta.items() if k.startswith("setting:")}
        conn.execute("DROP TABLE IF EXISTS qa_passages, qa_documents, qa_meta")
    else:
        settings_kept = {}
    conn.execute("CREATE TABLE IF NOT EXISTS qa_meta (key text PRIMARY KEY, value text NOT NULL)")
    conn.execute(
        """CREATE TABLE IF NOT EXISTS qa_documents (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            source text NOT NULL UNIQUE,
            sha256 text NOT NULL,
            title text NOT NULL,
            kind text NOT NULL,
            text text NOT NULL,
            page_starts integer[] NOT NULL,
            sentences integer[] NOT NULL,
            sentence_vectors bytea,
            locations jsonb,
            ocr_pages integer[],
            passages integer NOT NULL,
            added timestamptz NOT NULL DEFAULT now()
        )"""
    )
    conn.execute(
        sql.SQL(
            """CREATE TABLE IF NOT EXISTS qa_passages (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            document bigint NOT NULL REFERENCES qa_documents (id) ON DELETE CASCADE,
            source text NOT NULL,
            start_char integer NOT NULL,
            end_char integer NOT NULL,
            text text NOT NULL,
            embedding vector({}) NOT NULL,
            terms text NOT NULL,
            n_terms integer NOT NULL,
            tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', terms)) STORED
        )"""
        ).format(sql.Literal(int(settings["dimension"])))
    )
    # Tables made by older versions: documents written from now on carry the newer columns.
    # Checked first, since ALTER TABLE waits for every reader even when there is nothing to do.
    present = {
        row[0]
        for row in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'qa_documents'"
            " AND table_schema = current_schema()"
        ).fetchall()
    }
    for column, kind in ADDED_COLUMNS.items():
        if column not in present:
            conn.execute(f"ALTER TABLE qa_documents ADD COLUMN {column} {kind}")
    conn.execute("CREATE INDEX IF NOT EXISTS qa_passages_document ON qa_passages (document)")
    for key, value in settings_kept.items():  # a calibration outlives a rebuild
        conn.execute("INSERT INTO qa_meta (key, value) VALUES (%s, %s)", (key, value))


def _insert(
    conn: psycopg.Connection[Any], documents: Sequence[Document], prepared: dict[str, Prepared]
) -> None:
    from psycopg.types.json import Jsonb

    rows: list[tuple[int, str, int, int, str, np.ndarray, str, int]] = []
    for doc in documents:
        p = prepared[doc.source]
        flat = [int(v) for span in p.sentences for v in span]
        row = conn.execute(
            "INSERT INTO qa_documents"
            " (source, sha256, title, kind, text, page_starts, sentences, sentence_vectors,"
            " locations, ocr_pages, passages)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (
                doc.source,
                doc.sha256,
                doc.title,
                doc.kind,
                doc.text,
                list(doc.page_starts),
                flat,
                np.asarray(p.sentence_vectors, dtype="<f2").tobytes(),
                Jsonb([list(loc) for loc in doc.locations]),
                list(doc.ocr_pages),
                len(p.spans),
            ),
        ).fetchone()
        assert row is not None
        for (start, end), vector in zip(p.spans, p.vectors, strict=True):
            text = doc.text[start:end]
            words = terms(text)
            # BM25 counts an empty passage as one token long, as bm25s does.
            rows.append(
                (
                    int(row[0]),
                    doc.source,
                    start,
                    end,
                    text,
                    vector,
                    " ".join(words),
                    len(words) or 1,
                )
            )
    if not rows:
        return
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY qa_passages"
            " (document, source, start_char, end_char, text, embedding, terms, n_terms)"
            " FROM STDIN WITH (FORMAT BINARY)"
        ) as copy,
    ):
        copy.set_types(["int8", "text", "int4", "int4", "text", "vector", "text", "int4"])
        for r in rows:
            copy.write_row(r)


def _finish(conn: psycopg.Connection[Any], settings: dict[str, str]) -> None:
    # Indexes are made after the first load (faster than growing them row by row); later
    # writes keep them up to date.
    conn.execute(
        "CREATE INDEX IF NOT EXISTS qa_passages_embedding ON qa_passages"
        " USING hnsw (embedding vector_cosine_ops)"
    )
    conn.execute("CREATE INDEX IF NOT EXISTS qa_passages_tsv ON qa_passages USING gin (tsv)")
    row = conn.execute("SELECT count(*), coalesce(avg(n_terms), 0) FROM qa_passages").fetchone()
    assert row is not None
    values = {
        **settings,
        "format_version": str(FORMAT_VERSION),
        "schema_version": str(SCHEMA_VERSION),
        "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        # A new value per committed write: servers compare it to notice a newer index.
        "version": uuid.uuid4().hex,
        # Corpus statistics of BM25, read by every keyword search.
        "passages": str(int(row[0])),
        "mean_terms": repr(float(row[1])),
    }
    for key, value in values.items():
        conn.execute(
            "INSERT INTO qa_meta (key, value) VALUES (%s, %s)"
            " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            (key, value),
        )
