"""Writing the index folder: the writer lock, and new versions made live atomically.

A version is written to a ``tmp-`` folder, synced to disk, renamed to its ``v-`` name and made
live by replacing ``CURRENT`` (see :mod:`index._store` for the layout); the version before it
is kept one round for readers that were loading it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from ._errors import IndexLockedError
from ._lexical import Lexical
from ._read import Document
from ._store import CURRENT_FILE, MANIFEST_FILE, Manifest, current_name, vector_index


@contextlib.contextmanager
def writer_lock(path: Path, *, timeout: float = 60.0) -> Iterator[None]:
    """Hold the index's writer lock; wait up to ``timeout`` seconds for another writer."""
    path.mkdir(parents=True, exist_ok=True)
    busy = f"another process is writing the index at {path}; wait for it to finish and try again"
    with file_lock(path / ".lock", timeout=timeout, busy=busy):
        yield


@contextlib.contextmanager
def file_lock(lock_file: Path, *, timeout: float, busy: str, poll: float = 0.1) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_file`` (made if missing), waiting up to ``timeout``
    seconds; :class:`IndexLockedError` with the message ``busy`` after that."""
    with open(lock_file, "a+") as fh:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexLockedError(busy) from None
                time.sleep(poll)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def write_version(
    path: Path,
    *,
    manifest: Manifest,
    documents: Sequence[Document],
    passages: np.ndarray,
    sentences: np.ndarray,
    vectors: np.ndarray,
    lexical: Lexical,
    sentence_vectors: np.ndarray | None = None,
) -> Path:
    """Write a new version of the index and make it live. Call with the writer lock held."""
    import faiss

    version = path / f"v-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
    staging = path / f"tmp-{version.name}"
    staging.mkdir(parents=True)
    try:
        with (staging / "documents.jsonl").open("w", encoding="utf-8") as fh:
            for doc in documents:
                record = {
                    "source": doc.source,
                    "title": doc.title,
                    "kind": doc.kind,
                    "sha256": doc.sha256,
                    "page_starts": list(doc.page_starts),
                    "locations": [list(loc) for loc in doc.locations],
                    "ocr_pages": list(doc.ocr_pages),
                    "text": doc.text,
                }
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        np.save(staging / "passages.npy", passages.astype(np.int64), allow_pickle=False)
        np.save(staging / "sentences.npy", sentences.astype(np.int64), allow_pickle=False)
        if sentence_vectors is not None:
            # float16: half the disk and page cache; cosines move by ~1e-3 at most.
            np.save(
                staging / "sentence_vectors.npy",
                np.asarray(sentence_vectors, dtype=np.float16),
                allow_pickle=False,
            )
        faiss.write_index(vector_index(vectors, manifest.dimension), str(staging / "vectors.faiss"))
        lexical.save(staging / "bm25")
        # The manifest goes last: a version folder with a manifest is complete.
        (staging / MANIFEST_FILE).write_text(manifest.to_json(), encoding="utf-8")
        _fsync_tree(staging)
        os.replace(staging, version)
        pointer_tmp = path / f".{CURRENT_FILE}.{uuid.uuid4().hex[:8]}"
        pointer_tmp.write_text(version.name + "\n", encoding="utf-8")
        _fsync_file(pointer_tmp)
        previous = current_name(path)
        os.replace(pointer_tmp, path / CURRENT_FILE)
        _fsync_dir(path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _prune(path, keep={version.name, previous})
    return version


def _prune(path: Path, *, keep: set[str]) -> None:
    # Keep the previous version one round, for readers that were loading it just now.
    for child in path.iterdir():
        if child.name in keep:
            continue
        if child.is_dir() and (child.name.startswith("v-") or child.name.startswith("tmp-")):
            shutil.rmtree(child, ignore_errors=True)
        elif child.name.startswith(f".{CURRENT_FILE}."):
            child.unlink(missing_ok=True)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    for root, _, files in os.walk(folder):
        for name in files:
            _fsync_file(Path(root) / name)
        _fsync_dir(Path(root))
