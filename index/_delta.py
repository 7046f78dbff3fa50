"""Delta writes to a folder index: add documents, or remove sources, under the writer lock.

A delta reads the live version *under the lock* and changes only what it names, so two
writers never replace each other's work: each sees what the other committed before it.
The documents it keeps are carried over as they are (spans and vectors, nothing cut or
embedded again); the keyword index is rebuilt over the result.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._chunk import ChunkingOptions
from ._embed import Embedder, canonical_model_name
from ._errors import DocumentError, EmptyCorpusError, IndexNotFoundError, ModelMismatchError
from ._lexical import Lexical
from ._prepare import Prepared, distinct, prepare
from ._read import Document
from ._store import Manifest, SourceInfo, Store, open_store, read_manifest
from ._store_write import write_version


@dataclass
class Rows:
    """A version being assembled: documents and their passage and sentence rows."""

    dimension: int
    documents: list[Document] = field(default_factory=list)
    infos: list[SourceInfo] = field(default_factory=list)
    passages: list[np.ndarray] = field(default_factory=list)
    sentences: list[np.ndarray] = field(default_factory=list)
    vectors: list[np.ndarray] = field(default_factory=list)
    sentence_vectors: list[np.ndarray] | None = field(default_factory=list)

    def carry(self, store: Store, keep: Sequence[int]) -> int:
        """Take the documents numbered ``keep`` from ``store`` as they are; their passages."""
        if not keep:
            return 0
        renumber = np.full(len(store.documents), -1, dtype=np.int64)
        renumber[list(keep)] = np.arange(len(keep)) + len(self.documents)
        rows = np.flatnonzero(renumber[store.passages[:, 0]] >= 0)
        passages = store.passages[rows].copy()
        passages[:, 0] = renumber[passages[:, 0]]
        sentence_rows = np.flatnonzero(renumber[store.sentences[:, 0]] >= 0)
        sentences = store.sentences[sentence_rows].copy()
        sentences[:, 0] = renumber[sentences[:, 0]]
        self.passages.append(passages)
        self.sentences.append(sentences)
        if len(rows):
            self.vectors.append(store.vectors.reconstruct_batch(rows.astype(np.int64)))
        if store.sentence_vectors is None:
            self.sentence_vectors = None  # an index from before sentence vectors: none kept
        elif self.sentence_vectors is not None:
            self.sentence_vectors.append(
                np.asarray(store.sentence_vectors[sentence_rows], dtype=np.float32)
            )
        for i in keep:
            self.documents.append(store.documents[i])
            self.infos.append(store.manifest.sources[i])
        return len(rows)

    def append(self, doc: Document, prepared: Prepared) -> None:
        """Add a new document, cut and embedded."""
        d = len(self.documents)
        self.documents.append(doc)
        n = len(prepared.spans)
        self.infos.append(SourceInfo(doc.source, doc.sha256, doc.title, doc.kind, len(doc.text), n))
        self.passages.append(_rows(d, prepared.spans))
        self.sentences.append(_rows(d, prepared.sentences))
        if len(prepared.spans):
            self.vectors.append(prepared.vectors)
        if self.sentence_vectors is not None:
            self.sentence_vectors.append(prepared.sentence_vectors)

    def write(
        self, root: Path, *, model: str, chunking: ChunkingOptions, keep_all: bool
    ) -> tuple[int, int]:
        """Make this the live version of the index at ``root``; (documents, passages).
        ``keep_all`` is recorded as the index's cleaning setting."""
        passages = np.concatenate(self.passages) if self.passages else np.zeros((0, 3), np.int64)
        if not len(passages):
            raise EmptyCorpusError(
                f"the index at {root} would hold no passages; add a document with text"
            )
        sentences = np.concatenate(self.sentences) if self.sentences else np.zeros((0, 3))
        vectors = np.concatenate(self.vectors).astype(np.float32)
        sentence_vectors = None
        if self.sentence_vectors is not None:
            parts = [p for p in self.sentence_vectors if len(p)]
            sentence_vectors = (
                np.concatenate(parts).astype(np.float32)
                if parts
                else np.zeros((0, self.dimension), np.float32)
            )
        texts = [self.documents[d].text[s:e] for d, s, e in passages]
        manifest = Manifest(
            model=model,
            dimension=self.dimension,
            chunking=chunking,
            sources=tuple(self.infos),
            passages=len(passages),
            created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            keep_all=keep_all,
        )
        write_version(
            root,
            manifest=manifest,
            documents=self.documents,
            passages=passages.astype(np.int64),
            sentences=np.asarray(sentences, dtype=np.int64).reshape(-1, 3),
            vectors=vectors,
            sentence_vectors=sentence_vectors,
            lexical=Lexical.build(texts),
        )
        return len(self.documents), len(passages)


def _rows(d: int, spans: Sequence[tuple[int, int]]) -> np.ndarray:
    out = np.zeros((len(spans), 3), dtype=np.int64)
    if spans:
        out[:, 0] = d
        out[:, 1:] = np.asarray(spans, dtype=np.int64)
    return out


def current_store(root: Path) -> Store | None:
    """The live version at ``root``, or None when there is no index there yet."""
    try:
        return open_store(root)
    except IndexNotFoundError:
        return None


def check_model(manifest: Manifest, embedder: Embedder, where: object) -> None:
    """Refuse to add vectors of another model than the index's."""
    if canonical_model_name(embedder.name) != manifest.model:
        raise ModelMismatchError(
            f"the index at {where} is built with {manifest.model!r}, not {embedder.name!r}; "
            "reload the page, or rebuild the index with one model"
        )


def add_documents(
    path: str | Path,
    documents: Sequence[Document],
    *,
    embedder: Embedder,
    chunking: ChunkingOptions | None = None,
    progress: bool = False,
    lock_timeout: float = 60.0,
) -> tuple[int, int, int, int]:
    """Add ``documents`` to the folder index at ``path`` (replacing those of the same name).

    Everything else in the index is kept, whoever wrote it. Returns (documents, passages,
    embedded, reused) of the new version. The index's own chunking wins over ``chunking``,
    which only applies when there is no index yet.
    """
    from ._build import checked_options
    from ._store_write import writer_lock

    root = Path(path)
    distinct(documents)
    if not documents:
        raise EmptyCorpusError("nothing to add: no documents given")
    try:
        manifest: Manifest | None = read_manifest(root)
    except IndexNotFoundError:
        manifest = None
    if manifest is not None:
        check_model(manifest, embedder, root)
        options = manifest.chunking
    else:
        options = checked_options(documents, embedder, chunking)
    # Added documents are cleaned as the index records (``qa index --keep-all``).
    keep_all = manifest.keep_all if manifest is not None else False
    # The slow part, before the lock: cut and embed the new documents.
    prepared = prepare(documents, embedder, options, progress=progress, keep_all=keep_all)
    with writer_lock(root, timeout=lock_timeout):
        store = current_store(root)
        if store is not None:
            check_model(store.manifest, embedder, root)
            if (store.manifest.chunking, store.manifest.keep_all) != (options, keep_all):
                # Rebuilt in between with other chunking or cleaning: cut again.
                options, keep_all = store.manifest.chunking, store.manifest.keep_all
                prepared = prepare(documents, embedder, options, keep_all=keep_all)
        names = {d.source for d in documents}
        rows = Rows(dimension=store.manifest.dimension if store else embedder.dimension)
        reused = 0
        if store is not None:
            keep = [i for i, d in enumerate(store.documents) if d.source not in names]
            reused = rows.carry(store, keep)
        for doc in documents:
            rows.append(doc, prepared[doc.source])
        model = store.manifest.model if store is not None else embedder.name
        n_docs, n_passages = rows.write(root, model=model, chunking=options, keep_all=keep_all)
    embedded = sum(len(p.spans) for p in prepared.values())
    return n_docs, n_passages, embedded, reused


def remove_documents(
    root: Path, sources: Sequence[str], *, lock_timeout: float
) -> tuple[int, int, list[str]]:
    """Drop ``sources`` from the folder index at ``root``, under the lock: (documents,
    passages, indexed sources before) — or DocumentError/EmptyCorpusError, changing nothing."""
    from ._store_write import writer_lock

    open_store(root)  # a missing or damaged index fails here, before a lock file is made
    with writer_lock(root, timeout=lock_timeout):
        store = open_store(root)  # re-read under the lock: another writer may have run
        indexed = [doc.source for doc in store.documents]
        unknown = [s for s in sources if s not in indexed]
        if unknown:
            shown = ", ".join(repr(s) for s in indexed[:5]) + (", ..." if len(indexed) > 5 else "")
            raise DocumentError(
                f"no source {unknown[0]!r} in the index at {root}; indexed sources: {shown}"
            )
        gone = set(sources)
        keep = [i for i, source in enumerate(indexed) if source not in gone]
        if not keep:
            raise EmptyCorpusError(
                f"removing {len(gone)} source(s) would leave the index at {root} empty; "
                "delete the folder instead"
            )
        rows = Rows(dimension=store.manifest.dimension)
        rows.carry(store, keep)
        n_docs, n_passages = rows.write(
            root,
            model=store.manifest.model,
            chunking=store.manifest.chunking,
            keep_all=store.manifest.keep_all,
        )
    return n_docs, n_passages, indexed
