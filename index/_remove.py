"""Removing sources from an index without re-embedding anything."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ._build import BuildReport
from ._errors import DocumentError, EmptyCorpusError
from ._lexical import Lexical
from ._store import open_store, write_version, writer_lock


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
    open_store(root)  # a missing or damaged index fails here, before a lock file is made
    with writer_lock(root, timeout=lock_timeout):
        store = open_store(root)  # re-read under the lock: another writer may have run
        indexed = [doc.source for doc in store.documents]
        unknown = [s for s in wanted if s not in indexed]
        if unknown:
            shown = ", ".join(repr(s) for s in indexed[:5]) + (", ..." if len(indexed) > 5 else "")
            raise DocumentError(
                f"no source {unknown[0]!r} in the index at {root}; indexed sources: {shown}"
            )
        gone = set(wanted)
        keep = [i for i, source in enumerate(indexed) if source not in gone]
        if not keep:
            raise EmptyCorpusError(
                f"removing {len(wanted)} source(s) would leave the index at {root} empty; "
                "delete the folder instead"
            )
        renumber = np.full(len(indexed), -1, dtype=np.int64)
        renumber[keep] = np.arange(len(keep))
        rows = np.flatnonzero(renumber[store.passages[:, 0]] >= 0)
        passages = store.passages[rows].copy()
        passages[:, 0] = renumber[passages[:, 0]]
        sentence_rows = renumber[store.sentences[:, 0]] >= 0
        sentences = store.sentences[sentence_rows].copy()
        sentences[:, 0] = renumber[sentences[:, 0]]
        vectors = (
            store.vectors.reconstruct_batch(rows.astype(np.int64))
            if len(rows)
            else np.zeros((0, store.manifest.dimension), dtype=np.float32)
        )
        documents = [store.documents[i] for i in keep]
        lexical = Lexical.build([documents[d].text[s:e] for d, s, e in passages])
        manifest = dataclasses.replace(
            store.manifest,
            sources=tuple(store.manifest.sources[i] for i in keep),
            passages=len(passages),
            created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        )
        write_version(
            root,
            manifest=manifest,
            documents=documents,
            passages=passages,
            sentences=sentences,
            vectors=np.asarray(vectors, dtype=np.float32),
            sentence_vectors=(
                None
                if store.sentence_vectors is None
                else np.asarray(store.sentence_vectors[sentence_rows], dtype=np.float32)
            ),
            lexical=lexical,
        )
    return BuildReport(
        path=root,
        documents=len(documents),
        passages=len(passages),
        embedded=0,
        reused=len(passages),
        removed=tuple(sorted(gone)),
        seconds=time.perf_counter() - started,
    )


def remove_source(
    path: str | os.PathLike[str], source: str, *, lock_timeout: float = 60.0
) -> BuildReport:
    """Drop one source from the index at ``path`` (see :func:`remove_sources`)."""
    return remove_sources(path, [source], lock_timeout=lock_timeout)
