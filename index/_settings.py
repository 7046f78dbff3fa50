"""Small named settings kept with an index (a fitted threshold, for one), in either store.

A folder index keeps them in ``settings.json`` beside ``CURRENT``, so they outlive rebuilds
of the corpus; a PostgreSQL index keeps them as ``setting:NAME`` rows of ``qa_meta``.
Values are JSON objects.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ._errors import IndexCorruptError, IndexNotFoundError
from ._pg_connect import connect, is_database_url, read_meta, redact
from ._store import live_version
from ._store_write import writer_lock

_FILE = "settings.json"


def read_setting(location: str | os.PathLike[str], name: str) -> dict[str, Any] | None:
    """The setting ``name`` of the index at ``location``, or None when it has none."""
    if is_database_url(location):
        conn = connect(str(location))
        try:
            raw = read_meta(conn).get(f"setting:{name}")
        finally:
            conn.close()
        return None if raw is None else _parse(raw, redact(str(location)))
    path = Path(location) / _FILE
    if not path.is_file():
        return None
    try:
        settings = _parse(path.read_text(encoding="utf-8"), str(path))
    except OSError as exc:
        raise IndexCorruptError(f"cannot read {path} ({exc}); check its permissions") from None
    value = settings.get(name)
    return value if isinstance(value, dict) else None


def write_setting(location: str | os.PathLike[str], name: str, value: dict[str, Any]) -> None:
    """Store ``value`` as the setting ``name`` of the index at ``location`` (atomically)."""
    text = json.dumps(value, sort_keys=True)
    if is_database_url(location):
        conn = connect(str(location))
        try:
            if not read_meta(conn):
                raise IndexNotFoundError(
                    f"no qa index in {redact(str(location))}; build one with "
                    "`qa index PATH... --store URL`"
                )
            conn.execute(
                "INSERT INTO qa_meta (key, value) VALUES (%s, %s)"
                " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                (f"setting:{name}", text),
            )
        finally:
            conn.close()
        return
    root = Path(location)
    live_version(root)  # a missing index fails here, with its own message
    with writer_lock(root):
        path = root / _FILE
        settings = _parse(path.read_text(encoding="utf-8"), str(path)) if path.is_file() else {}
        settings[name] = value
        tmp = path.with_name(_FILE + ".tmp")
        tmp.write_text(json.dumps(settings, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, path)


def _parse(raw: str, where: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise IndexCorruptError(
            f"the settings of {where} are not a JSON object; delete them and calibrate again"
        )
    return value
