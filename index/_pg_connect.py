"""Connecting to the PostgreSQL store: URLs, the driver, errors and the ``qa_meta`` table.

Everything here is shared by the readers (:mod:`index._pg`), the writers
(:mod:`index._pg_build`), the pool (:mod:`index._pg_pool`) and the side tables (settings,
feedback, originals); none of it searches.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from ._chunk import ChunkingOptions
from ._errors import QAError

if TYPE_CHECKING:
    import psycopg

#: URL schemes that name a PostgreSQL database instead of an index folder.
URL_SCHEMES = ("postgresql://", "postgres://")
#: Key of the advisory lock that serialises writers of one database.
LOCK_KEY = 0x71612D696E646578  # "qa-index"
#: HNSW candidate list per search: pgvector returns at most this many rows.
EF_SEARCH = 100
#: Version of the tables' layout, kept as ``schema_version`` in ``qa_meta``. Writers migrate
#: older tables when they take the lock (``index._pg_build._ensure_schema``); readers cope
#: with older ones and refuse newer ones.
#: 1: no version row; 2: ``sentence_vectors`` on documents, ``version`` in qa_meta.
SCHEMA_VERSION = 2


class DatabaseError(QAError):
    """The PostgreSQL store cannot be used (driver missing, server unreachable, no pgvector)."""


def first_line(exc: BaseException) -> str:
    """The first line of a driver error, shortened: the part a message can show."""
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:160]


def is_database_url(location: object) -> bool:
    """Whether ``location`` names a PostgreSQL database (``postgresql://...``)."""
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


def redact(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password:
        host = parts.netloc.rsplit("@", 1)[1]
        user = parts.username or ""
        return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
    return url


def driver() -> Any:
    """The psycopg module, with pgvector's adapter importable, or a :class:`DatabaseError`
    that says how to install them."""
    try:
        import pgvector.psycopg  # noqa: F401
        import psycopg
    except ImportError as exc:
        raise DatabaseError(
            "the PostgreSQL store needs psycopg 3 and pgvector; "
            "install them with `pip install 'qa-quotes[postgres]'`"
        ) from exc
    return psycopg


def connect(url: str) -> psycopg.Connection[Any]:
    """An autocommit connection to ``url``, or :class:`DatabaseError` saying what to check."""
    pg = driver()
    try:
        conn: psycopg.Connection[Any] = pg.connect(url, autocommit=True, connect_timeout=10)
    except pg.Error as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise DatabaseError(
            f"cannot connect to {redact(url)} ({reason}); "
            "check the URL and that the server is running"
        ) from exc
    return conn


def register_vector(conn: psycopg.Connection[Any], url: str) -> None:
    """Teach the connection the ``vector`` type (the pgvector extension must exist)."""
    from pgvector.psycopg import register_vector as register

    try:
        register(conn)
    except Exception as exc:  # psycopg.ProgrammingError: vector type not found
        raise DatabaseError(
            f"the pgvector extension is missing in {redact(url)}; "
            "run `CREATE EXTENSION vector` there as an administrator"
        ) from exc


def has_index(conn: psycopg.Connection[Any]) -> bool:
    """Whether the qa tables exist in the connection's search path."""
    row = conn.execute(
        "SELECT to_regclass('qa_meta') IS NOT NULL AND to_regclass('qa_passages') IS NOT NULL"
        " AND to_regclass('qa_documents') IS NOT NULL"
    ).fetchone()
    return bool(row and row[0])


def read_meta(conn: psycopg.Connection[Any]) -> dict[str, str]:
    """The ``qa_meta`` table as a dict (empty when there is no index)."""
    if not has_index(conn):
        return {}
    return {str(k): str(v) for k, v in conn.execute("SELECT key, value FROM qa_meta")}


def read_version(conn: psycopg.Connection[Any]) -> str:
    """The ``version`` of the index, new with every committed write ("" if there is none)."""
    if not has_index(conn):
        return ""
    row = conn.execute(
        "SELECT coalesce((SELECT value FROM qa_meta WHERE key = 'version'),"
        " (SELECT value FROM qa_meta WHERE key = 'updated'), '')"
    ).fetchone()
    return str(row[0]) if row else ""


def chunking_from_meta(meta: dict[str, str]) -> ChunkingOptions:
    """The chunking options recorded in ``qa_meta``."""
    return ChunkingOptions(**json.loads(meta["chunking"]))
