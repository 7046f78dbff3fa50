"""Feedback records kept with an index, in either store: append-only, outliving rebuilds.

A folder index keeps them in ``DIR/feedback.jsonl`` beside ``CURRENT`` (never inside a
version folder, so ``qa index`` again keeps them); a PostgreSQL index keeps them as rows of
``qa_feedback``, a table that building the index never drops. A record is any JSON object;
what it holds is the caller's business (:mod:`ui._votes`).

Several servers may append at once. In a folder, appends take ``DIR/.feedback.lock`` (an
``flock``, not the writer lock: a long build must not hold votes up) and write one whole line
with ``O_APPEND``, then ``fsync``. A line cut short by a crash has no newline: the next
append drops it before writing, and readers never count it.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._errors import IndexCorruptError
from ._pg_connect import connect, has_index, is_database_url, redact
from ._store import live_version
from ._store_write import file_lock

_FILE = "feedback.jsonl"
_LOCK = ".feedback.lock"


def append_feedback(location: str | os.PathLike[str], record: dict[str, Any]) -> None:
    """Add ``record`` (a JSON object) to the feedback of the index at ``location``."""
    line = json.dumps(record, ensure_ascii=False, sort_keys=True)
    if is_database_url(location):
        conn = connect(str(location))
        try:
            _require_pg_index(conn, str(location))
            _ensure_table(conn)
            conn.execute("INSERT INTO qa_feedback (record) VALUES (%s::jsonb)", (line,))
        finally:
            conn.close()
        return
    root = Path(location)
    live_version(root)  # a missing index fails here, with its own message
    with _locked(root):
        path = root / _FILE
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            _drop_torn_tail(fd)
            os.write(fd, (line + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)


def read_feedback(location: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every feedback record of the index at ``location``, oldest first (none: empty)."""
    if is_database_url(location):
        conn = connect(str(location))
        try:
            exists = conn.execute("SELECT to_regclass('qa_feedback') IS NOT NULL").fetchone()
            if not exists or not exists[0]:
                return []
            rows = conn.execute("SELECT record FROM qa_feedback ORDER BY id").fetchall()
        finally:
            conn.close()
        return [_as_record(r[0], redact(str(location))) for r in rows]
    path = Path(location) / _FILE
    if not path.is_file():
        return []
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IndexCorruptError(
            f"cannot read {path} ({exc.strerror}); check its permissions"
        ) from None
    records = []
    lines = data.split(b"\n")
    # The last piece has no newline: empty, or a line a crash cut short (never written whole).
    for number, raw in enumerate(lines[:-1], start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise IndexCorruptError(
                f"{path}:{number} is not a JSON record; fix or delete that line"
            ) from None
        records.append(_as_record(value, f"{path}:{number}"))
    return records


def _as_record(value: Any, where: str) -> dict[str, Any]:
    if isinstance(value, str):  # a driver that hands jsonb back as text
        value = json.loads(value)
    if not isinstance(value, dict):
        raise IndexCorruptError(f"the feedback record at {where} is not a JSON object")
    return value


def _drop_torn_tail(fd: int) -> None:
    # A crash during an earlier write can leave a last line without its newline: cut it off,
    # so the new record starts on a line of its own.
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return
    block = 65536
    end = size
    while end > 0:
        start = max(0, end - block)
        chunk = os.pread(fd, end - start, start)
        cut = chunk.rfind(b"\n")
        if cut >= 0:
            os.ftruncate(fd, start + cut + 1)
            return
        end = start
    os.ftruncate(fd, 0)


@contextlib.contextmanager
def _locked(root: Path, *, timeout: float = 30.0) -> Iterator[None]:
    # A lock of its own, not the writer lock: a long `qa index` never holds votes up.
    busy = f"another process holds the feedback of {root}; try again"
    with file_lock(root / _LOCK, timeout=timeout, busy=busy, poll=0.02):
        yield


def _require_pg_index(conn: Any, url: str) -> None:
    from ._errors import IndexNotFoundError

    if not has_index(conn):
        raise IndexNotFoundError(
            f"no qa index in {redact(url)}; build one with `qa index PATH... --store URL`"
        )


def _ensure_table(conn: Any) -> None:
    # Its own table: the build drops and recreates the index's tables, never this one.
    from psycopg import errors

    # Two servers creating it at the same moment: one wins, and the table is there.
    with contextlib.suppress(errors.UniqueViolation, errors.DuplicateTable):
        conn.execute(
            "CREATE TABLE IF NOT EXISTS qa_feedback ("
            " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
            " created timestamptz NOT NULL DEFAULT now(),"
            " record jsonb NOT NULL)"
        )
