"""``qa.retrieve``: one call, with the loaded bot cached per index and switched when the
index changes."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

from index import IndexLocation, ModelMismatchError, is_database_url, open_index

from ._bot import Bot, Mode, load
from ._types import Passage

# Per index: its location (asked for its version), the version loaded, and the bot.
_bots: dict[str, tuple[IndexLocation, str, Bot]] = {}
_bots_lock = threading.Lock()


def retrieve(
    question: str,
    *,
    index: str | os.PathLike[str],
    k: int = 5,
    mode: Mode = "hybrid",
    sources: Sequence[str] | None = None,
) -> list[Passage]:
    """One call: load the index at ``index`` and retrieve ``k`` passages.

    The index is loaded once per process, and again whenever a writer made a newer version
    of it (a cheap check per call: one small file, or one row of the database).
    """
    # A database URL is its own key; a folder is keyed by its absolute path.
    key = str(index) if is_database_url(index) else str(Path(index).resolve())
    with _bots_lock:
        cached = _bots.get(key)
        location = cached[0] if cached else open_index(key)
        version = location.version()
        if cached is None or cached[1] != version:
            old = cached[2] if cached else None
            embedder = old.embedder if old is not None else None
            try:
                bot = load(key, embedder=embedder)
            except ModelMismatchError:  # rebuilt with another model: load that one
                bot = load(key)
            _bots[key] = (location, version, bot)
        bot = _bots[key][2]
    return bot.retrieve(question, k=k, mode=mode, sources=sources)
