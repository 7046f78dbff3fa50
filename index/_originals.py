"""The original bytes of PDF documents, kept with the index so a citation can open the PDF.

The index holds a PDF's extracted text, which is what offsets point into; the browser's PDF
viewer needs the file itself. A folder index keeps a copy in ``DIR/originals/<sha256>.pdf``
(outside the version folders, so a rebuild keeps it); a PostgreSQL index keeps it in the
table ``qa_originals`` (sha256, bytes). Copies are named by the hash of their bytes, which is
the document's ``sha256``: identical files share one copy, and a copy is checked against
its name when read. Copies of documents no longer indexed are dropped after each build.
Text, Markdown and HTML documents need no copy: they are shown from their indexed text.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import uuid
from pathlib import Path
from typing import Any

from ._pg_connect import connect, is_database_url
from ._read import Document
from ._store import live_version, read_manifest
from ._store_write import writer_lock

_FOLDER = "originals"
_SHA = re.compile(r"^[0-9a-f]{64}$")


def needs_original(document: Document) -> bool:
    """Whether the index keeps a copy of this document's file (PDFs only)."""
    return document.kind == "pdf"


def keep_original(location: str | os.PathLike[str], document: Document, data: bytes) -> None:
    """Keep ``data``, the file ``document`` was read from, if it is a PDF."""
    if not needs_original(document) or hashlib.sha256(data).hexdigest() != document.sha256:
        return
    if is_database_url(location):
        conn = connect(str(location))
        try:
            _ensure_table(conn)
            conn.execute(
                "INSERT INTO qa_originals (sha256, data) VALUES (%s, %s)"
                " ON CONFLICT (sha256) DO NOTHING",
                (document.sha256, data),
            )
        finally:
            conn.close()
        return
    folder = Path(location) / _FOLDER
    target = folder / f"{document.sha256}.pdf"
    if target.is_file():
        return
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{document.sha256}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def read_original(location: str | os.PathLike[str], document: Document) -> bytes | None:
    """The kept file of ``document``, or None when the index holds no (intact) copy."""
    if not needs_original(document) or not _SHA.match(document.sha256):
        return None
    data: bytes | None
    if is_database_url(location):
        conn = connect(str(location))
        try:
            exists = conn.execute("SELECT to_regclass('qa_originals') IS NOT NULL").fetchone()
            row = (
                conn.execute(
                    "SELECT data FROM qa_originals WHERE sha256 = %s", (document.sha256,)
                ).fetchone()
                if exists and exists[0]
                else None
            )
        finally:
            conn.close()
        data = bytes(row[0]) if row else None
    else:
        path = Path(location) / _FOLDER / f"{document.sha256}.pdf"
        try:
            data = path.read_bytes()
        except OSError:
            data = None
    if data is None or hashlib.sha256(data).hexdigest() != document.sha256:
        return None  # missing or damaged: the caller shows the indexed text instead
    return data


def prune_originals(location: str | os.PathLike[str]) -> None:
    """Drop the kept files of documents the live index no longer holds."""
    if is_database_url(location):
        conn = connect(str(location))
        try:
            exists = conn.execute("SELECT to_regclass('qa_originals') IS NOT NULL").fetchone()
            if exists and exists[0]:
                conn.execute(
                    "DELETE FROM qa_originals WHERE sha256 NOT IN (SELECT sha256 FROM qa_documents)"
                )
        finally:
            conn.close()
        return
    root = Path(location)
    folder = root / _FOLDER
    if not folder.is_dir():
        return
    live_version(root)
    with writer_lock(root):  # no build makes another version live while this looks
        wanted = {s.sha256 for s in read_manifest(root).sources}
        for child in folder.iterdir():
            if child.suffix == ".pdf" and child.stem not in wanted:
                child.unlink(missing_ok=True)


def _ensure_table(conn: Any) -> None:
    from psycopg import errors

    # Another writer creating it at the same moment: one wins, and the table is there.
    with contextlib.suppress(errors.UniqueViolation, errors.DuplicateTable):
        conn.execute(
            "CREATE TABLE IF NOT EXISTS qa_originals (sha256 text PRIMARY KEY, data bytea NOT NULL)"
        )
