"""Removing sources from an index without re-embedding anything."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

from ._build import BuildReport
from ._delta import remove_documents
from ._errors import DocumentError


def remove_sources(
    path: str | os.PathLike[str],
    sources: Sequence[str],
    *,
    lock_timeout: float = 60.0,
) -> BuildReport:
    """Drop ``sources`` from the index at ``path`` and make the result the live version.

    The remaining passages keep their vectors; the keyword index is rebuilt over them, so
    the result retrieves exactly what a fresh build of the remaining files retrieves.
    Raises :class:`DocumentError` for a source that is not indexed and
    :class:`EmptyCorpusError` when nothing would be left.
    """
    started = time.perf_counter()
    root = Path(path)
    wanted = list(dict.fromkeys(sources))
    if not wanted:
        raise DocumentError("no source given; name the source to remove, as `qa ask` cites it")
    documents, passages, _ = remove_documents(root, wanted, lock_timeout=lock_timeout)
    return BuildReport(
        path=root,
        documents=documents,
        passages=passages,
        embedded=0,
        reused=passages,
        removed=tuple(sorted(wanted)),
        seconds=time.perf_counter() - started,
    )


def remove_source(
    path: str | os.PathLike[str], source: str, *, lock_timeout: float = 60.0
) -> BuildReport:
    """Drop one source from the index at ``path`` (see :func:`remove_sources`)."""
    return remove_sources(path, [source], lock_timeout=lock_timeout)
