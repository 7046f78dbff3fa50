"""Building an index: read, clean, chunk, embed, and write a new version atomically."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from ._chunk import ChunkingOptions, chunk_document
from ._clean import content_paragraphs
from ._context import embed_documents
from ._embed import Embedder
from ._errors import DocumentError, EmptyCorpusError, IndexCorruptError, IndexNotFoundError
from ._lexical import Lexical
from ._prepare import distinct, is_upload
from ._read import DEFAULT_MAX_FILE_BYTES, Document, read_source, scan_files
from ._split import split_documents
from ._stages import stage
from ._store import Manifest, SourceInfo, Store, load_store, read_manifest
from ._store_write import write_version, writer_lock

T = TypeVar("T")


@dataclass(frozen=True)
class BuildReport:
    """What a build did."""

    path: Path
    documents: int
    passages: int
    embedded: int  # passages embedded by this build
    reused: int  # passages whose vectors were kept from the previous version
    removed: tuple[str, ...]  # sources dropped since the previous version
    seconds: float
    #: Files passed over, as (source, one-line reason); only with ``skip_unreadable=True``.
    skipped: tuple[tuple[str, str], ...] = ()
    #: Byte-identical files indexed once, as (source not indexed, source indexed instead).
    duplicates: tuple[tuple[str, str], ...] = ()


def build_index(
    paths: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    embedder: Embedder,
    chunking: ChunkingOptions | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    progress: bool = False,
    skip_unreadable: bool = False,
    lock_timeout: float = 60.0,
    keep_all: bool | None = None,
) -> BuildReport:
    """Index the files and folders in ``paths`` into the index folder ``out``.

    ``keep_all=True`` indexes every line (no boilerplate cleaning); None keeps what the
    index at ``out`` was built with (cleaning on for a new index).

    Sources whose content is unchanged since the previous version keep their vectors; the
    new version replaces the old one atomically, and sources no longer found are dropped,
    except documents uploaded through the page (``uploads/...``), which are kept.
    Byte-identical files under several names are indexed once, under the name nearest the
    top folder; the others are listed in :attr:`BuildReport.duplicates`, so answers do not
    repeat.
    A file that cannot be indexed (unreadable, empty, binary, too large, a broken link)
    raises :class:`DocumentError`; with ``skip_unreadable=True`` the other files are indexed
    and the refused ones are listed in :attr:`BuildReport.skipped` instead.
    """
    from ._location import index_paths

    # force: this function has always replaced an index of another model or passage size.
    return index_paths(
        paths,
        out,
        embedder=embedder,
        chunking=chunking,
        max_file_bytes=max_file_bytes,
        progress=progress,
        skip_unreadable=skip_unreadable,
        lock_timeout=lock_timeout,
        force=True,
        keep_all=keep_all,
    )


def read_corpus(
    paths: Sequence[str | os.PathLike[str]],
    *,
    max_file_bytes: int,
    progress: bool,
    skip_unreadable: bool,
    keep: Callable[[Document, bytes], None] | None = None,
) -> tuple[list[Document], list[tuple[str, str]], tuple[tuple[str, str], ...]]:
    """Read the files below ``paths``: the documents, the refused files, the duplicates.

    Shared by every store's build, so all of them read, refuse and de-duplicate alike.
    ``keep(document, data)`` is called with each file's bytes as it is read (the store keeps
    the PDFs' originals), so no more than one file's bytes are held at a time.
    """
    found = scan_files(paths)
    skipped = list(found.skipped)
    if skipped and not skip_unreadable:
        raise DocumentError(skipped[0][1])
    documents: list[Document] = []
    for f in _progress(found.files, progress, "reading"):
        try:
            doc, data = read_source(f, max_bytes=max_file_bytes)
            if keep is not None:
                keep(doc, data)
            documents.append(doc)
        except DocumentError as exc:
            if not skip_unreadable:
                raise
            skipped.append((f.source, str(exc)))
    if not documents:
        raise EmptyCorpusError(
            f"none of the {len(skipped)} file(s) could be indexed; the first: {skipped[0][1]}"
        )
    documents, duplicates = _unique(documents)
    return documents, skipped, duplicates


def checked_options(
    documents: Sequence[Document], embedder: Embedder, chunking: ChunkingOptions | None
) -> ChunkingOptions:
    """Check a corpus before any store builds it, and settle the chunking options."""
    if not documents:
        raise EmptyCorpusError("nothing to index: the corpus has no documents")
    distinct(documents)
    options = chunking or ChunkingOptions(max_tokens=min(128, embedder.max_tokens))
    if options.max_tokens > embedder.max_tokens:
        raise DocumentError(
            f"chunks of {options.max_tokens} tokens exceed the model's limit of "
            f"{embedder.max_tokens}; use --chunk-tokens {embedder.max_tokens} or less"
        )
    return options


def build_from_documents(
    documents: Sequence[Document],
    out: str | os.PathLike[str],
    *,
    embedder: Embedder,
    chunking: ChunkingOptions | None = None,
    progress: bool = False,
    lock_timeout: float = 60.0,
    keep_all: bool | None = None,
) -> BuildReport:
    """Index documents that are already in memory (used by evaluation and uploads).

    ``keep_all`` as in :func:`build_index`.
    """
    started = time.perf_counter()
    options = checked_options(documents, embedder, chunking)
    root = Path(out)
    with writer_lock(root, timeout=lock_timeout):
        if keep_all is None:
            keep_all = recorded_keep_all(root)
        current = _current(root)
        # Uploads from the page are the page's: a rebuild from folders keeps them.
        documents = with_uploads(documents, current.documents if current else ())
        previous = _reusable(current, embedder.name, options)
        pieces = cut_documents(documents, embedder, options, progress=progress, keep_all=keep_all)
        vectors, sentence_vectors, embedded, reused = _vectors(
            documents, pieces, previous, embedder, progress
        )
        passages = np.array(
            [(d, s, e) for d, (_, spans) in enumerate(pieces) for s, e in spans], dtype=np.int64
        ).reshape(-1, 3)
        sentences = np.array(
            [(d, s, e) for d, (sents, _) in enumerate(pieces) for s, e in sents], dtype=np.int64
        ).reshape(-1, 3)
        if len(passages) == 0:
            raise EmptyCorpusError(
                "no text to index: every document was empty or boilerplate; check the files"
            )
        texts = [documents[d].text[s:e] for d, s, e in passages]
        with stage("BM25"):
            lexical = Lexical.build(texts)
        manifest = Manifest(
            model=embedder.name,
            dimension=int(vectors.shape[1]),
            chunking=options,
            sources=tuple(
                SourceInfo(d.source, d.sha256, d.title, d.kind, len(d.text), len(spans))
                for d, (_, spans) in zip(documents, pieces, strict=True)
            ),
            passages=len(passages),
            created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            keep_all=keep_all,
        )
        with stage("FAISS + saving"):
            write_version(
                root,
                manifest=manifest,
                documents=documents,
                passages=passages,
                sentences=sentences,
                vectors=vectors,
                sentence_vectors=sentence_vectors,
                lexical=lexical,
            )
    removed = tuple(sorted(set(previous) - {d.source for d in documents})) if previous else ()
    return BuildReport(
        path=root,
        documents=len(documents),
        passages=len(passages),
        embedded=embedded,
        reused=reused,
        removed=removed,
        seconds=time.perf_counter() - started,
    )


def _unique(documents: Sequence[Document]) -> tuple[list[Document], tuple[tuple[str, str], ...]]:
    # Of identical files, the one nearest the top folder keeps its name (then path order):
    # "notes.txt" rather than "backup/notes (1).txt".
    chosen: dict[str, str] = {}
    for doc in sorted(documents, key=lambda d: (d.source.count("/"), d.source)):
        chosen.setdefault(doc.sha256, doc.source)
    kept = [d for d in documents if chosen[d.sha256] == d.source]
    duplicates = tuple(
        (d.source, chosen[d.sha256]) for d in documents if chosen[d.sha256] != d.source
    )
    return kept, duplicates


_Pieces = tuple[list[tuple[int, int]], list[tuple[int, int]]]  # sentences, passage spans


def recorded_keep_all(root: Path) -> bool:
    """Whether the index folder ``root`` was built with cleaning off (False if none yet)."""
    try:
        return read_manifest(root).keep_all
    except (IndexNotFoundError, IndexCorruptError):
        return False


def cut_documents(
    documents: Sequence[Document],
    embedder: Embedder,
    options: ChunkingOptions,
    *,
    progress: bool,
    keep_all: bool = False,
) -> list[_Pieces]:
    """Each document's sentences and passage spans (sentences split on all cores if large)."""
    with stage("cleaning"):
        paragraphs = [
            content_paragraphs(doc.text, kind=doc.kind, keep_all=keep_all) for doc in documents
        ]
    jobs = [(d.text, p) for d, p in zip(documents, paragraphs, strict=True)]
    with stage("sentences"):
        sentences = split_documents(jobs, progress=progress)
    pieces: list[_Pieces] = []
    for i in _progress(range(len(documents)), progress, "chunking"):
        text = documents[i].text
        with stage("token counts"):
            chunked = chunk_document(
                text, paragraphs[i], embedder.token_spans, options, sentences=sentences[i]
            )
        spans = [chunked.chunk_span(c) for c in range(len(chunked.chunks))]
        pieces.append((chunked.sentences, spans))
    return pieces


# Vectors kept from the previous version, by source: (sha256, passage spans, passage vectors,
# sentence vectors).
_Previous = dict[str, tuple[str, list[tuple[int, int]], np.ndarray, np.ndarray]]


def _current(root: Path) -> Store | None:
    try:
        return load_store(root)  # another analyzer: BM25 is rebuilt anyway, vectors kept
    except (IndexNotFoundError, IndexCorruptError):
        return None  # nothing usable: a fresh build


def with_uploads(documents: Sequence[Document], current: Sequence[Document]) -> list[Document]:
    """``documents`` and the uploaded documents of ``current`` they do not name."""
    names = {d.source for d in documents}
    return [*documents, *(d for d in current if is_upload(d.source) and d.source not in names)]


def _reusable(store: Store | None, model: str, options: ChunkingOptions) -> _Previous:
    if store is None:
        return {}
    if store.manifest.model != model or store.manifest.chunking != options or not len(store):
        return {}
    if store.sentence_vectors is None:
        return {}  # written before sentences had vectors: embed everything once more
    vectors = store.vectors.reconstruct_n(0, len(store))
    previous: _Previous = {}
    for d, doc in enumerate(store.documents):
        rows = np.flatnonzero(store.passages[:, 0] == d)
        spans = [(int(s), int(e)) for _, s, e in store.passages[rows]]
        sentence_rows = np.flatnonzero(store.sentences[:, 0] == d)
        previous[doc.source] = (
            doc.sha256,
            spans,
            vectors[rows],
            np.asarray(store.sentence_vectors[sentence_rows], dtype=np.float32),
        )
    return previous


def _vectors(
    documents: Sequence[Document],
    pieces: Sequence[_Pieces],
    previous: _Previous,
    embedder: Embedder,
    progress: bool,
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Passage and sentence vectors, in document order: kept where unchanged, else embedded."""
    kept: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    todo: list[int] = []
    for d, (doc, (sentences, spans)) in enumerate(zip(documents, pieces, strict=True)):
        old = previous.get(doc.source)
        if (
            old is not None
            and old[0] == doc.sha256
            and old[1] == spans
            and len(old[3]) == len(sentences)
        ):
            kept[d] = (old[2], old[3])
            continue
        todo.append(d)
    with stage("embedding"):
        fresh, fresh_sentences = (
            embed_documents(
                [documents[d].text for d in todo],
                [pieces[d] for d in todo],
                embedder,
                progress=progress,
            )
            if todo
            else (np.zeros((0, 0), np.float32), [])
        )
    made: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    cursor = 0
    for d, sentence_vectors in zip(todo, fresh_sentences, strict=True):
        n = len(pieces[d][1])
        made[d] = (fresh[cursor : cursor + n], sentence_vectors)
        cursor += n
    dim = next(iter(kept.values()))[0].shape[1] if kept else (embedder.dimension if todo else 0)
    parts = [kept[d] if d in kept else made[d] for d in range(len(documents))]
    passage_parts = [p for p, _ in parts if len(p)]
    sentence_parts = [s for _, s in parts if len(s)]
    matrix = np.concatenate(passage_parts) if passage_parts else np.zeros((0, dim), np.float32)
    sentence_matrix = (
        np.concatenate(sentence_parts) if sentence_parts else np.zeros((0, dim), np.float32)
    )
    reused = sum(len(pieces[d][1]) for d in kept)
    return (
        np.ascontiguousarray(matrix, dtype=np.float32),
        np.ascontiguousarray(sentence_matrix, dtype=np.float32),
        len(matrix) - reused,
        reused,
    )


def _progress(items: Sequence[T], enabled: bool, what: str) -> Iterable[T]:
    if not enabled:
        return items
    from tqdm import tqdm

    bar: Iterable[T] = tqdm(items, desc=what, unit="doc")
    return bar
