"""One way to read and write an index, wherever it lives: :func:`open_index`.

A location is a folder or a ``postgresql://`` URL; both kinds answer the same calls, so the
command line, the upload page and ``qa.retrieve`` never ask which one they have:

- :meth:`IndexLocation.build`: the index holds these documents (and the page's uploads);
- :meth:`IndexLocation.add` / :meth:`IndexLocation.remove`: deltas, applied to the state
  read under the writer lock, so no writer replaces the corpus with a list it read earlier;
- :meth:`IndexLocation.version`: a token that changes with every committed write, cheap
  enough to ask before each question, so readers notice a newer index and switch to it.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ._build import BuildReport, build_from_documents, read_corpus
from ._chunk import ChunkingOptions
from ._delta import add_documents
from ._embed import Embedder
from ._errors import IndexCorruptError, IndexNotFoundError, ModelMismatchError
from ._pg_connect import DatabaseError, is_database_url, redact
from ._protocol import SearchStore
from ._read import DEFAULT_MAX_FILE_BYTES, Document
from ._remove import remove_sources
from ._store import current_name, open_store, read_manifest

if TYPE_CHECKING:
    import psycopg_pool


class IndexLocation(Protocol):
    """An index in a folder or a database: read it, change it, ask whether it changed."""

    @property
    def where(self) -> str:
        """The location for messages (a database URL without its password)."""
        ...

    def version(self) -> str:
        """A token that changes with every committed write ("" when there is no index)."""
        ...

    def open(self) -> SearchStore:
        """The index as it is now, for searching."""
        ...

    def build(
        self,
        documents: Sequence[Document],
        *,
        embedder: Embedder,
        chunking: ChunkingOptions | None = None,
        progress: bool = False,
        lock_timeout: float = 60.0,
        force: bool = False,
        keep_all: bool | None = None,
    ) -> BuildReport:
        """Make the index hold ``documents`` and the uploads it holds; sources not given are
        dropped, unchanged ones keep their vectors. Another model or passage size replaces
        everything, and only with ``force`` (:class:`ModelMismatchError` otherwise).
        ``keep_all`` turns boilerplate cleaning off (True) or on (False); None keeps what the
        index records."""
        ...

    def add(
        self,
        documents: Sequence[Document],
        *,
        embedder: Embedder,
        chunking: ChunkingOptions | None = None,
        progress: bool = False,
        lock_timeout: float = 60.0,
    ) -> BuildReport:
        """Add ``documents`` (replacing those of the same name); keep everything else."""
        ...

    def remove(self, sources: Sequence[str], *, lock_timeout: float = 60.0) -> BuildReport:
        """Drop ``sources``; keep everything else."""
        ...


class FolderIndex:
    """An index folder (FAISS and BM25 files, see :mod:`index._store`)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @property
    def where(self) -> str:
        """The folder."""
        return str(self.path)

    def version(self) -> str:
        """The name of the live version folder."""
        return current_name(self.path)

    def open(self) -> SearchStore:
        """Load the live version into memory."""
        return open_store(self.path)

    def build(
        self,
        documents: Sequence[Document],
        *,
        embedder: Embedder,
        chunking: ChunkingOptions | None = None,
        progress: bool = False,
        lock_timeout: float = 60.0,
        force: bool = False,
        keep_all: bool | None = None,
    ) -> BuildReport:
        """See :meth:`IndexLocation.build`."""
        if not force:
            try:
                manifest = read_manifest(self.path)
            except (IndexNotFoundError, IndexCorruptError):
                manifest = None  # nothing usable to keep (a folder of kept PDFs only): build
            if manifest is not None:
                _check_same(self.where, manifest.model, manifest.chunking, embedder, chunking)
        return build_from_documents(
            documents,
            self.path,
            embedder=embedder,
            chunking=chunking,
            progress=progress,
            lock_timeout=lock_timeout,
            keep_all=keep_all,
        )

    def add(
        self,
        documents: Sequence[Document],
        *,
        embedder: Embedder,
        chunking: ChunkingOptions | None = None,
        progress: bool = False,
        lock_timeout: float = 60.0,
    ) -> BuildReport:
        """See :meth:`IndexLocation.add`."""
        started = time.perf_counter()
        n_docs, passages, embedded, reused = add_documents(
            self.path,
            documents,
            embedder=embedder,
            chunking=chunking,
            progress=progress,
            lock_timeout=lock_timeout,
        )
        return BuildReport(
            path=self.path,
            documents=n_docs,
            passages=passages,
            embedded=embedded,
            reused=reused,
            removed=(),
            seconds=time.perf_counter() - started,
        )

    def remove(self, sources: Sequence[str], *, lock_timeout: float = 60.0) -> BuildReport:
        """See :meth:`IndexLocation.remove`."""
        return remove_sources(self.path, sources, lock_timeout=lock_timeout)


class PgIndex:
    """An index in a PostgreSQL database with pgvector (see :mod:`index._pg`)."""

    def __init__(self, url: str) -> None:
        self.url = url
        # For version(): a small pool, made on the first call, shared by the threads asking.
        self._pool: psycopg_pool.ConnectionPool[Any] | None = None
        self._lock = threading.Lock()

    @property
    def where(self) -> str:
        """The URL without its password."""
        return redact(self.url)

    def version(self) -> str:
        """The ``version`` row of ``qa_meta``, new with every committed write."""
        from ._pg_connect import driver, first_line, read_version
        from ._pg_pool import close_pool_when_collected, open_pool, pooled_failure

        errors = driver()
        with self._lock:
            if self._pool is None:
                self._pool = open_pool(self.url, max_size=2, vectors=False, workers=1)
                close_pool_when_collected(self, self._pool)
            pool = self._pool
        for attempt in (0, 1):
            try:
                with pool.connection() as conn:
                    return read_version(conn)
            except errors.OperationalError as exc:
                pooled = pooled_failure(exc, self.where)
                if pooled is not None:
                    raise pooled from exc
                if attempt:
                    raise DatabaseError(
                        f"the database at {self.where} failed a query "
                        f"({first_line(exc)}); check that the server is running"
                    ) from exc
                pool.check()  # the server restarted: drop the dead connections, ask again
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close the connections :meth:`version` keeps."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def open(self) -> SearchStore:
        """Connect to the database; searches query it live."""
        from ._pg import open_pg_store

        return open_pg_store(self.url)

    def build(
        self,
        documents: Sequence[Document],
        *,
        embedder: Embedder,
        chunking: ChunkingOptions | None = None,
        progress: bool = False,
        lock_timeout: float = 60.0,
        force: bool = False,
        keep_all: bool | None = None,
    ) -> BuildReport:
        """See :meth:`IndexLocation.build`."""
        from ._pg_build import build_pg_from_documents

        return build_pg_from_documents(
            documents,
            self.url,
            embedder=embedder,
            chunking=chunking,
            progress=progress,
            lock_timeout=lock_timeout,
            force=force,
            keep_all=keep_all,
        )

    def add(
        self,
        documents: Sequence[Document],
        *,
        embedder: Embedder,
        chunking: ChunkingOptions | None = None,
        progress: bool = False,
        lock_timeout: float = 60.0,
    ) -> BuildReport:
        """See :meth:`IndexLocation.add`."""
        from ._pg_build import add_pg_documents

        return add_pg_documents(
            documents,
            self.url,
            embedder=embedder,
            chunking=chunking,
            progress=progress,
            lock_timeout=lock_timeout,
        )

    def remove(self, sources: Sequence[str], *, lock_timeout: float = 60.0) -> BuildReport:
        """See :meth:`IndexLocation.remove`."""
        from ._pg_build import remove_pg_sources

        return remove_pg_sources(self.url, sources, lock_timeout=lock_timeout)


def open_index(location: str | os.PathLike[str]) -> IndexLocation:
    """The index at ``location``: a folder, or a ``postgresql://`` URL."""
    if is_database_url(location):
        return PgIndex(str(location))
    return FolderIndex(location)


def index_paths(
    paths: Sequence[str | os.PathLike[str]],
    location: str | os.PathLike[str],
    *,
    embedder: Embedder,
    chunking: ChunkingOptions | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    progress: bool = False,
    skip_unreadable: bool = False,
    lock_timeout: float = 60.0,
    force: bool = False,
    keep_all: bool | None = None,
) -> BuildReport:
    """Index the files and folders in ``paths`` into the index at ``location`` (any kind);
    see :meth:`IndexLocation.build`. The PDFs read are kept with the index, so citations can
    open them at their page."""
    from ._originals import keep_original, prune_originals

    documents, skipped, duplicates = read_corpus(
        paths,
        max_file_bytes=max_file_bytes,
        progress=progress,
        skip_unreadable=skip_unreadable,
        keep=lambda doc, data: keep_original(location, doc, data),
    )
    report = open_index(location).build(
        documents,
        embedder=embedder,
        chunking=chunking,
        progress=progress,
        lock_timeout=lock_timeout,
        force=force,
        keep_all=keep_all,
    )
    prune_originals(location)
    return dataclasses.replace(report, skipped=tuple(skipped), duplicates=duplicates)


def _check_same(
    where: str,
    model: str,
    held: ChunkingOptions,
    embedder: Embedder,
    chunking: ChunkingOptions | None,
) -> None:
    from ._embed import canonical_model_name

    wanted = chunking or ChunkingOptions(max_tokens=min(128, embedder.max_tokens))
    if canonical_model_name(embedder.name) != model or wanted != held:
        raise ModelMismatchError(
            f"the index at {where} is built with {model!r} and {held.max_tokens}-token "
            f"passages, not {embedder.name!r} and {wanted.max_tokens}; pass --force "
            "(force=True) to replace all of it, or index with its model and passage size"
        )
