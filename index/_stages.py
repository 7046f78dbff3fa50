"""Where a build's time goes: :func:`build_stages` collects seconds per stage.

Each stage of :func:`index._build.build_from_documents` runs inside :func:`stage`; outside
:func:`build_stages` that costs one context-variable lookup, inside it adds the stage's
wall-clock seconds to the dict it yields (``benchmarks/build.py`` prints them).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

#: The stages a folder build reports.
STAGES = ("cleaning", "sentences", "token counts", "embedding", "BM25", "FAISS + saving")

_into: ContextVar[dict[str, float] | None] = ContextVar("index_build_stages", default=None)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Count the block's seconds towards stage ``name`` (when :func:`build_stages` is on)."""
    into = _into.get()
    if into is None:
        yield
        return
    started = time.perf_counter()
    try:
        yield
    finally:
        into[name] = into.get(name, 0.0) + time.perf_counter() - started


@contextmanager
def build_stages() -> Iterator[dict[str, float]]:
    """Seconds per stage (:data:`STAGES`) of the folder builds run inside, in this thread.

    >>> with build_stages() as seconds:
    ...     open_index("idx").build(documents, embedder=embedder)
    >>> seconds["embedding"]
    """
    seconds: dict[str, float] = {}
    token = _into.set(seconds)
    try:
        yield seconds
    finally:
        _into.reset(token)
