"""Cutting and embedding documents before a writer takes the lock, shared by both stores.

Embedding is the slow part of a write; it runs outside the writer lock, so a second writer
waits only for the short part (reading the current state and writing the new one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._chunk import ChunkingOptions
from ._context import embed_documents
from ._embed import Embedder
from ._errors import DocumentError
from ._read import Document

#: Source names of documents uploaded through the web page. A rebuild from folders
#: (``qa index PATH...``) keeps them: they are the page's, not the folders'.
UPLOAD_PREFIX = "uploads/"


def is_upload(source: str) -> bool:
    """Whether ``source`` names a document uploaded through the page."""
    return source.startswith(UPLOAD_PREFIX)


@dataclass(frozen=True)
class Prepared:
    """One document cut and embedded: sentence spans, passage spans and their vectors."""

    sha256: str
    options: ChunkingOptions
    sentences: list[tuple[int, int]]
    spans: list[tuple[int, int]]
    vectors: np.ndarray
    sentence_vectors: np.ndarray


def prepare(
    documents: Sequence[Document],
    embedder: Embedder,
    options: ChunkingOptions,
    *,
    progress: bool = False,
    keep_all: bool = False,
) -> dict[str, Prepared]:
    """Cut and embed ``documents`` with ``options`` (``keep_all``: no boilerplate left out);
    by source name."""
    from ._build import cut_documents

    if not documents:
        return {}
    pieces = cut_documents(documents, embedder, options, progress=progress, keep_all=keep_all)
    vectors, sentence_vectors = embed_documents(
        [d.text for d in documents], pieces, embedder, progress=progress
    )
    out: dict[str, Prepared] = {}
    cursor = 0
    for doc, (sentences, spans), per_sentence in zip(
        documents, pieces, sentence_vectors, strict=True
    ):
        out[doc.source] = Prepared(
            doc.sha256,
            options,
            sentences,
            spans,
            np.asarray(vectors[cursor : cursor + len(spans)], dtype=np.float32),
            np.asarray(per_sentence, dtype=np.float32),
        )
        cursor += len(spans)
    return out


def distinct(documents: Sequence[Document]) -> None:
    """Refuse two documents of one name (the later would silently replace the earlier), and
    text that one of the stores cannot hold (NUL characters), in either store alike."""
    for doc in documents:
        if "\x00" in doc.text:
            raise DocumentError(
                f"{doc.source}: the text holds NUL characters, which an index cannot store; "
                "remove them (a file that holds them is taken for binary)"
            )
    names = [d.source for d in documents]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})[0]
        raise DocumentError(f"two documents are both called {dup!r}; give them distinct names")
