"""The PostgreSQL + pgvector store: the index lives in a database that several servers share.

Tables (in the connection's ``search_path``, so one database can hold several indexes in
different schemas)::

    qa_meta       key/value: format version, model, dimension, chunking, keyword analyzer,
                  cleaning (keep_all), last update
    qa_documents  one row per source: sha256, title, kind, text, page starts, sentence spans
    qa_passages   one row per passage: document, source, offsets, text, embedding vector(d),
                  terms (the passage's stemmed words), n_terms, and
                  tsv (generated ``to_tsvector('simple', terms)``)
                  HNSW index (vector_cosine_ops) on embedding, GIN index on tsv

The words in ``terms`` come from :func:`index.terms`, the same stemmer and stop words as the
BM25 side of the FAISS store, and keyword search ranks the full-text matches by the same
BM25 formula in SQL: both backends rank keyword hits alike.

Readers query the database live (no copy of the vectors in memory) through a pool of
connections (psycopg_pool), so searches from several threads run at the same time, each on a
connection of its own; documents are cached by their row id, which is never reused, so a
cache entry can never go stale. Writers (:mod:`index._pg_build`) change the tables in one
transaction under an advisory lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from ._errors import IndexCorruptError, IndexNotFoundError
from ._lexical import LEGACY_ANALYZER
from ._pg_connect import (
    EF_SEARCH,
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
from ._pg_sql import DENSE_EXACT_SQL, DENSE_SOURCES_SQL, keyword_query, source_names, tsquery_any
from ._read import Document
from ._shared import idf, sentences_inside
from ._store import FORMAT_VERSION, Manifest, SourceInfo, check_analyzer

if TYPE_CHECKING:
    import psycopg
    import psycopg_pool

T = TypeVar("T")

#: pgvector's largest ``hnsw.ef_search``; a dense search for more passages scans exactly.
EF_SEARCH_MAX = 1000


@dataclass(frozen=True)
class _Cached:
    document: Document
    sentences: np.ndarray  # (n, 2) sentence spans, sorted by start
    sentence_vectors: np.ndarray | None  # (n, dimension), None if written without them


class PgStore:
    """An index in PostgreSQL with pgvector, queried live. Create with :func:`open_pg_store`.

    Dense search is pgvector's HNSW over cosine distance; keyword search is PostgreSQL full
    text search (``tsvector`` with a GIN index), ranked by BM25 computed in SQL. The store is
    safe to share between threads: each query takes a connection of the pool for itself, so
    threads search at the same time; the caches are guarded by a lock.
    """

    def __init__(self, url: str, pool: psycopg_pool.ConnectionPool[Any]) -> None:
        self.url = url
        from ._pg_pool import close_pool_when_collected

        self._pool = pool
        close_pool_when_collected(self, pool)
        self._lock = threading.RLock()
        self._documents: dict[int, _Cached] = {}
        # Source name -> id of its cached document, for lookups by document.
        self._by_source: dict[str, int] = {}
        self._spans: dict[int, tuple[int, int, int]] = {}  # passage id -> document id, span
        self._closed = False
        # Tables written by older versions lack the newer columns until the next build.
        present = {
            row[0]
            for row in self._run(
                lambda conn: conn.execute(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_name = 'qa_documents' AND table_schema = current_schema()"
                ).fetchall()
            )
        }
        self._fetch = _FETCH
        for column in ADDED_COLUMNS:
            if column not in present:
                self._fetch = self._fetch.replace(f", {column}", f", NULL AS {column}")
        # Document frequencies of the last keyword search's terms, and the passage count:
        # the quotes of the same question weigh its words by them without asking again.
        self._df: dict[str, tuple[int, int]] = {}

    # -- connection --------------------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        # A connection of the pool for one piece of work, returned to it afterwards.
        with self._pool.connection() as conn:
            yield conn

    def _run(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        psycopg = driver()
        for attempt in (0, 1):
            if self._closed:
                raise DatabaseError(
                    f"the connection to {self.path} is closed; load the index again"
                )
            try:
                with self._connection() as conn:
                    try:
                        return work(conn)
                    except psycopg.OperationalError:
                        if attempt or not (conn.closed or conn.broken):
                            raise
                # The server restarted or dropped the connection: the pool drops the dead
                # connections it holds, and the work runs once more on a new one.
                self._pool.check()
            except psycopg.errors.UndefinedTable as exc:
                raise IndexNotFoundError(
                    f"the index in {self.path} is gone; "
                    f"rebuild it with `qa index PATH... --store URL`"
                ) from exc
            except psycopg.OperationalError as exc:
                from ._pg_pool import pooled_failure

                pooled = pooled_failure(exc, self.path)
                if pooled is not None:
                    raise pooled from exc
                raise DatabaseError(
                    f"the database at {self.path} failed a query ({first_line(exc)}); "
                    "check that the server is running"
                ) from exc
            except psycopg.Error as exc:  # any other driver error: one line with the fix
                raise DatabaseError(
                    f"the database at {self.path} refused a query ({first_line(exc)}); "
                    "check the server's log, or rebuild the index with `qa index ... "
                    "--store URL --force` if its tables were changed by hand"
                ) from exc
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close the pool's connections (searches then raise :class:`DatabaseError`)."""
        with self._lock:
            self._closed = True
        self._pool.close()

    # -- the SearchStore interface -----------------------------------------------------------

    @property
    def path(self) -> str:
        """The database URL without its password."""
        return redact(self.url)

    @property
    def manifest(self) -> Manifest:
        """Model, chunking and sources, read from the database now."""

        def read(conn: psycopg.Connection[Any]) -> Manifest:
            meta = read_meta(conn)
            if not meta:
                raise IndexNotFoundError(f"no qa index in {self.path}")
            rows = conn.execute(
                "SELECT source, sha256, title, kind, char_length(text), passages"
                " FROM qa_documents ORDER BY source"
            ).fetchall()
            sources = tuple(
                SourceInfo(str(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]), int(r[5]))
                for r in rows
            )
            return Manifest(
                model=meta["model"],
                dimension=int(meta["dimension"]),
                chunking=chunking_from_meta(meta),
                sources=sources,
                passages=sum(s.passages for s in sources),
                created=meta.get("updated", ""),
                analyzer=meta.get("analyzer", LEGACY_ANALYZER),
                keep_all=meta.get("keep_all") == "1",
            )

        return self._run(_snapshot(read))

    @property
    def documents(self) -> list[Document]:
        """Every indexed document, by source name, all from one committed state."""

        def read(conn: psycopg.Connection[Any]) -> tuple[list[int], list[tuple[Any, ...]]]:
            ids = [int(r[0]) for r in conn.execute("SELECT id FROM qa_documents ORDER BY source")]
            missing = [i for i in ids if i not in self._documents]
            return ids, (conn.execute(self._fetch, (missing,)).fetchall() if missing else [])

        ids, rows = self._run(_snapshot(read))
        with self._lock:
            self._remember(rows)
            # Forget documents that are no longer indexed.
            live = set(ids)
            for gone in [i for i in self._documents if i not in live]:
                source = self._documents.pop(gone).document.source
                if self._by_source.get(source) == gone:
                    del self._by_source[source]
            return [self._documents[i].document for i in ids]

    @property
    def sentences(self) -> np.ndarray:
        """Every sentence as a row (index into :attr:`documents`, start, end)."""
        documents = self.documents
        by_source = {d.source: i for i, d in enumerate(documents)}
        with self._lock:
            cached = [c for c in self._documents.values() if c.document.source in by_source]
        parts = [
            np.column_stack([np.full(len(c.sentences), by_source[c.document.source]), c.sentences])
            for c in cached
            if len(c.sentences)
        ]
        if not parts:
            return np.zeros((0, 3), dtype=np.int64)
        rows = np.concatenate(parts).astype(np.int64)
        return rows[np.lexsort((rows[:, 1], rows[:, 0]))]

    @property
    def lexical(self) -> PgStore:
        """Term statistics: this store answers :meth:`idf` itself."""
        return self

    def __len__(self) -> int:
        row = self._run(
            lambda c: c.execute("SELECT coalesce(sum(passages), 0) FROM qa_documents").fetchone()
        )
        return int(row[0]) if row else 0

    def document(self, source: str) -> Document:
        """The indexed document called ``source`` (KeyError if there is none)."""
        row = self._run(
            lambda c: c.execute(
                "SELECT id FROM qa_documents WHERE source = %s", (source,)
            ).fetchone()
        )
        if row is None:
            raise KeyError(source)
        return self._cached(int(row[0])).document

    def passage_span(self, i: int) -> tuple[Document, int, int]:
        """Document and character span of passage ``i``."""
        doc_id, start, end = self._span(i)
        return self._cached(doc_id).document, start, end

    def passage_text(self, i: int) -> str:
        """Text of passage ``i``."""
        doc, start, end = self.passage_span(i)
        return doc.text[start:end]

    def sentence_spans(self, i: int) -> list[tuple[int, int]]:
        """Spans of the sentences inside passage ``i``."""
        cached, rows = self._sentence_rows(i)
        return [(int(s), int(e)) for s, e in cached.sentences[rows]]

    def sentence_vectors_of(self, i: int) -> np.ndarray | None:
        """Vectors of :meth:`sentence_spans` ``(i)``, row for row (None if not stored)."""
        cached, rows = self._sentence_rows(i)
        if cached.sentence_vectors is None:
            return None
        return np.asarray(cached.sentence_vectors[rows], dtype=np.float32)

    def sentence_vector_at(self, document: Document, start: int) -> np.ndarray | None:
        """Vector of the sentence of ``document`` that starts at ``start`` (None if none)."""
        with self._lock:
            doc_id = self._by_source.get(document.source)
            cached = self._documents.get(doc_id) if doc_id is not None else None
        if cached is None or cached.document.sha256 != document.sha256:
            return None
        if cached.sentence_vectors is None or not len(cached.sentences):
            return None
        row = int(np.searchsorted(cached.sentences[:, 0], start, side="left"))
        if row >= len(cached.sentences) or int(cached.sentences[row, 0]) != start:
            return None
        return np.asarray(cached.sentence_vectors[row], dtype=np.float32)

    def _sentence_rows(self, i: int) -> tuple[_Cached, np.ndarray]:
        # The passage's document and the rows of its sentences inside passage ``i``.
        doc_id, start, end = self._span(i)
        cached = self._cached(doc_id)
        sentences = cached.sentences
        return cached, sentences_inside(sentences[:, 0], sentences[:, 1], start, end)

    def dense(
        self, vector: np.ndarray, k: int, *, sources: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Ids and cosine similarities of the ``k`` passages nearest to ``vector`` (HNSW).

        With ``sources``, only passages of the documents so named are searched, exactly
        (a name that is not indexed matches nothing).
        """
        query = np.asarray(vector, dtype=np.float32).reshape(-1)

        def search(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
            if sources is not None:
                return conn.execute(
                    DENSE_SOURCES_SQL, {"v": query, "k": k, "sources": source_names(sources)}
                ).fetchall()
            if k > EF_SEARCH_MAX:  # more than HNSW can return: score every passage
                return conn.execute(DENSE_EXACT_SQL, {"v": query, "k": k}).fetchall()
            if k > EF_SEARCH:  # HNSW returns at most ef_search rows: for this search only
                conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(k),))
            return conn.execute(
                "SELECT id, document, start_char, end_char, 1 - (embedding <=> %(v)s)"
                " FROM qa_passages ORDER BY embedding <=> %(v)s LIMIT %(k)s",
                {"v": query, "k": k},
            ).fetchall()

        return self._ranked(self._search(search))

    def keyword(
        self, query_terms: Sequence[str], k: int, *, sources: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Ids and BM25 scores of the ``k`` passages best matching the (stemmed) terms.

        With ``sources``, only passages of the documents so named are ranked; document
        frequencies stay those of the whole index.
        """
        words = [t for t in query_terms if t]
        query = keyword_query(words, k, sources=sources)
        if query is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        sql, params = query

        def search(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
            return conn.execute(sql, params).fetchall()

        rows = self._search(search)
        if rows:
            n = int(rows[0][6])
            self._df = {str(t): (int(df), n) for t, df in (rows[0][5] or {}).items()}
        elif sources is None:  # no passage holds any of the words
            self._df = {t: (0, 0) for t in words}
        else:  # none in those documents, which says nothing of the others: ask when needed
            self._df = {}
        return self._ranked([r[:5] for r in rows])

    def similarities(self, vector: np.ndarray, ids: Sequence[int]) -> np.ndarray:
        """Cosine similarity of ``vector`` to the given passages (0 for a deleted one)."""
        if len(ids) == 0:
            return np.zeros(0, dtype=np.float32)
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        wanted = [int(i) for i in ids]
        rows = self._run(
            lambda c: c.execute(
                "SELECT id, 1 - (embedding <=> %s) FROM qa_passages WHERE id = ANY(%s)",
                (query, wanted),
            ).fetchall()
        )
        found = {int(r[0]): float(r[1]) for r in rows}
        return np.array([found.get(i, 0.0) for i in wanted], dtype=np.float32)

    def idf(self, term: str) -> float:
        """Inverse document frequency of a stemmed term, counted through the GIN index.

        The same formula as the BM25 side of the FAISS store; an unknown term weighs
        ``log(1.5)`` there too.
        """
        df, n = self._document_frequency(term)
        return idf(df, n)

    def known(self, term: str) -> bool:
        """Whether some passage holds the stemmed term."""
        return self._document_frequency(term)[0] > 0

    def _document_frequency(self, term: str) -> tuple[int, int]:
        # Passages holding ``term`` and all passages; the last keyword search counted both.
        known = self._df.get(term)
        if known is not None:
            return known
        row = self._run(
            lambda c: c.execute(
                "SELECT (SELECT count(*) FROM qa_passages"
                " WHERE tsv @@ to_tsquery('simple', %s)),"
                " (SELECT value::bigint FROM qa_meta WHERE key = 'passages')",
                (tsquery_any([term]) or "''",),
            ).fetchone()
        )
        return (int(row[0]), int(row[1])) if row else (0, 0)

    # -- internals ---------------------------------------------------------------------------

    def _search(
        self, query: Callable[[psycopg.Connection[Any]], list[tuple[Any, ...]]]
    ) -> list[tuple[Any, ...]]:
        # Hits (rows whose second column is the document id) and the documents they come
        # from, read in one state: a writer committing in between cannot leave a hit whose
        # document is gone.
        def run(conn: psycopg.Connection[Any]) -> tuple[list[Any], list[Any]]:
            rows = query(conn)
            missing = sorted({int(r[1]) for r in rows} - self._documents.keys())
            return rows, (conn.execute(self._fetch, (missing,)).fetchall() if missing else [])

        rows, documents = self._run(_snapshot(run))
        with self._lock:
            self._remember(documents)
        return rows

    def _ranked(self, rows: list[tuple[Any, ...]]) -> tuple[np.ndarray, np.ndarray]:
        # Remember where each hit lives, so showing it needs no second query.
        with self._lock:
            if len(self._spans) > 200_000:
                self._spans.clear()
            for pid, doc, start, end, _ in rows:
                self._spans[int(pid)] = (int(doc), int(start), int(end))
        ids = np.array([int(r[0]) for r in rows], dtype=np.int64)
        scores = np.array([float(r[4]) for r in rows], dtype=np.float32)
        return ids, scores

    def _span(self, pid: int) -> tuple[int, int, int]:
        span = self._spans.get(int(pid))
        if span is not None:
            return span
        row = self._run(
            lambda c: c.execute(
                "SELECT document, start_char, end_char FROM qa_passages WHERE id = %s",
                (int(pid),),
            ).fetchone()
        )
        if row is None:
            raise KeyError(f"no passage {pid} in {self.path}")
        span = (int(row[0]), int(row[1]), int(row[2]))
        self._spans[int(pid)] = span
        return span

    def _cached(self, doc_id: int) -> _Cached:
        cached = self._documents.get(doc_id)
        if cached is None:
            self._fetch_documents([doc_id])
            cached = self._documents.get(doc_id)
            if cached is None:
                raise KeyError(f"no document {doc_id} in {self.path}")
        return cached

    def _fetch_documents(self, ids: Sequence[int]) -> None:
        missing = [i for i in ids if i not in self._documents]
        if not missing:
            return
        rows = self._run(lambda c: c.execute(self._fetch, (missing,)).fetchall())
        with self._lock:
            self._remember(rows)

    def _remember(self, rows: Sequence[tuple[Any, ...]]) -> None:
        # Rows are never updated in place (a changed document gets a new id), so a cached
        # document stays right for as long as its id is indexed.
        for row in rows:
            doc_id, source, title, text, kind, sha, pages, sentences, packed, places, ocr = row
            spans = np.asarray(sentences or [], dtype=np.int64).reshape(-1, 2)
            vectors = (
                np.frombuffer(bytes(packed), dtype="<f2").reshape(len(spans), -1)
                if packed is not None and len(spans)
                else None
            )
            self._documents[int(doc_id)] = _Cached(
                Document(
                    source=source,
                    title=title,
                    text=text,
                    kind=kind,
                    sha256=sha,
                    page_starts=tuple(pages or ()),
                    locations=tuple((int(o), str(label)) for o, label in places or ()),
                    ocr_pages=tuple(ocr or ()),
                ),
                spans,
                vectors,
            )
            self._by_source[source] = int(doc_id)


#: Columns of qa_documents added after its first version (ALTER TABLE adds them on a build).
ADDED_COLUMNS = {"sentence_vectors": "bytea", "locations": "jsonb", "ocr_pages": "integer[]"}
_FETCH = (
    "SELECT id, source, title, text, kind, sha256, page_starts, sentences, sentence_vectors,"
    " locations, ocr_pages FROM qa_documents WHERE id = ANY(%s)"
)


def _snapshot(
    work: Callable[[psycopg.Connection[Any]], T],
) -> Callable[[psycopg.Connection[Any]], T]:
    # Several statements that must see one committed state: a writer may commit between
    # two autocommit statements, so run them in one repeatable-read transaction.
    def run(conn: psycopg.Connection[Any]) -> T:
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            return work(conn)

    return run


def open_pg_store(url: str, *, pool_size: int | None = None) -> PgStore:
    """Open the index in the PostgreSQL database at ``url`` (``postgresql://...``), searched
    through a pool of at most ``pool_size`` connections (:data:`index._pg_pool.POOL_SIZE`)."""
    from ._pg_pool import POOL_SIZE, open_pool

    conn = connect(url)
    try:
        meta = read_meta(conn)
        if not meta:
            raise IndexNotFoundError(
                f"no qa index in {redact(url)}; build one with `qa index PATH... --store URL`"
            )
        if (
            int(meta.get("format_version", "0")) > FORMAT_VERSION
            or int(meta.get("schema_version", "1")) > SCHEMA_VERSION
        ):
            raise IndexCorruptError(
                f"the index in {redact(url)} has tables of a newer qa (schema "
                f"{meta.get('schema_version', '1')}, this qa reads {SCHEMA_VERSION}); "
                "upgrade qa or rebuild the index with --force"
            )
        # Passages hold the words of the analyzer they were written with.
        check_analyzer(
            meta.get("analyzer", LEGACY_ANALYZER), f"the index in {redact(url)}", "--store URL"
        )
        register_vector(conn, url)
    finally:
        conn.close()
    pool = open_pool(url, max_size=pool_size or POOL_SIZE, reached=True)
    try:
        return PgStore(url, pool)
    except BaseException:
        pool.close()
        raise


def wait_for(predicate: Callable[[], bool], *, timeout: float, step: float = 0.2) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(step)
