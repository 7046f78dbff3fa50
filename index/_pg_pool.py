"""The PostgreSQL store's connection pool (psycopg_pool): threads share a few connections.

Each query of a :class:`index._pg.PgStore` takes a connection of the pool for itself and
gives it back, so the threads of one server search at the same time.
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any

from ._pg_connect import (
    EF_SEARCH,
    DatabaseError,
    connect,
    first_line,
    redact,
    register_vector,
)

if TYPE_CHECKING:
    import psycopg
    import psycopg_pool

#: Most connections one store keeps to the database: searches running at the same moment.
POOL_SIZE = 8
#: Seconds a search waits for a connection (all busy, or the server being reconnected to).
POOL_TIMEOUT = 10.0


def _psycopg_pool() -> Any:
    try:
        import psycopg_pool
    except ImportError as exc:
        raise DatabaseError(
            "the PostgreSQL store needs psycopg_pool; "
            "install it with `pip install 'qa-quotes[postgres]'`"
        ) from exc
    return psycopg_pool


def open_pool(
    url: str,
    *,
    max_size: int = POOL_SIZE,
    vectors: bool = True,
    workers: int = 2,
    reached: bool = False,
) -> psycopg_pool.ConnectionPool[Any]:
    """A pool of autocommit connections to ``url`` that threads share (at most ``max_size``
    open at once, one kept while idle); with ``vectors``, each set up as searches need it.

    Unless the caller has just ``reached`` it, the server is reached once first, so a wrong
    URL or a server that is down is a :class:`DatabaseError` now, with the driver's reason,
    not a wait for a pooled connection.
    """
    pool_module = _psycopg_pool()
    if not reached:
        connect(url).close()

    def configure(conn: psycopg.Connection[Any]) -> None:
        if vectors:
            _set_up_search(conn, url)

    pool: psycopg_pool.ConnectionPool[Any] = pool_module.ConnectionPool(
        url,
        min_size=1,
        max_size=max_size,
        kwargs={"autocommit": True, "connect_timeout": 10},
        configure=configure,
        timeout=POOL_TIMEOUT,
        num_workers=workers,
        name=f"qa {redact(url)}",
        open=False,
    )
    pool.open(wait=False)
    return pool


def close_pool_when_collected(owner: object, pool: psycopg_pool.ConnectionPool[Any]) -> None:
    """Close ``pool`` once ``owner`` is garbage (a reader swapped for a newer one is dropped,
    not closed: a question may still be using it)."""
    # In a thread of its own: the pool joins its workers, which a collection running in one
    # of them could not do.
    weakref.finalize(owner, lambda: threading.Thread(target=pool.close, daemon=True).start())


def pooled_failure(exc: BaseException, where: str) -> DatabaseError | None:
    """A :class:`DatabaseError` for the pool's own errors (closed, timed out), else None."""
    pool_module = _psycopg_pool()
    if isinstance(exc, pool_module.PoolClosed):
        return DatabaseError(f"the connection to {where} is closed; load the index again")
    if isinstance(exc, pool_module.PoolTimeout):
        return DatabaseError(
            f"no connection to {where} within {POOL_TIMEOUT:.0f} s ({first_line(exc)}); "
            "check that the server is running"
        )
    return None


def _set_up_search(conn: psycopg.Connection[Any], url: str) -> None:
    register_vector(conn, url)
    conn.execute("SELECT set_config('hnsw.ef_search', %s, false)", (str(EF_SEARCH),))


def search_connection(url: str) -> psycopg.Connection[Any]:
    """A connection set up as the store's searches are: pgvector's type registered and
    ``hnsw.ef_search`` at :data:`EF_SEARCH`."""
    conn = connect(url)
    try:
        _set_up_search(conn, url)
    except BaseException:
        conn.close()
        raise
    return conn
