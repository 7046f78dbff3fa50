"""What question answering needs from a store, whichever backend holds the index.

Two backends satisfy it: :class:`index.Store` (FAISS and BM25 files in a folder, loaded into
memory) and :class:`index.PgStore` (PostgreSQL with pgvector, queried live). Passage ids are
opaque integers: row numbers in one, database keys in the other.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from ._read import Document
from ._store import Manifest


class IdfSource(Protocol):
    """Inverse document frequency of terms, to weigh a question's words in quotes."""

    def idf(self, term: str) -> float:
        """Inverse document frequency of a stemmed term."""
        ...

    def known(self, term: str) -> bool:
        """Whether some passage holds the stemmed term."""
        ...


class SearchStore(Protocol):
    """The retrieval interface that :class:`qa.Bot` uses."""

    @property
    def path(self) -> str | os.PathLike[str]:
        """Where the index lives (a folder, or a database URL without its password)."""
        ...

    @property
    def manifest(self) -> Manifest:
        """Model, chunking and sources of the index."""
        ...

    @property
    def documents(self) -> Sequence[Document]:
        """Every indexed document."""
        ...

    @property
    def sentences(self) -> np.ndarray:
        """Every sentence as a row (index into :attr:`documents`, start, end)."""
        ...

    @property
    def lexical(self) -> IdfSource:
        """Term statistics of the keyword side."""
        ...

    def __len__(self) -> int: ...

    def close(self) -> None:
        """Release what the store holds open (a database connection); idempotent."""
        ...

    def document(self, source: str) -> Document:
        """The indexed document called ``source`` (KeyError if there is none)."""
        ...

    def passage_span(self, i: int) -> tuple[Document, int, int]:
        """Document and character span of passage ``i``."""
        ...

    def sentence_spans(self, i: int) -> list[tuple[int, int]]:
        """Spans of the sentences inside passage ``i``."""
        ...

    def sentence_vectors_of(self, i: int) -> np.ndarray | None:
        """Unit vectors of :meth:`sentence_spans` ``(i)``, row for row; None if not stored."""
        ...

    def sentence_vector_at(self, document: Document, start: int) -> np.ndarray | None:
        """Unit vector of the sentence of ``document`` that starts at ``start``; None if no
        sentence starts there or vectors are not stored."""
        ...

    def dense(
        self, vector: np.ndarray, k: int, *, sources: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Ids and cosine similarities of the ``k`` passages nearest to ``vector``.

        With ``sources``, only passages of the documents with those source names are searched;
        a name that is not indexed matches nothing.
        """
        ...

    def keyword(
        self, query_terms: Sequence[str], k: int, *, sources: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Ids and scores of the ``k`` best keyword matches, best first.

        With ``sources``, only passages of those documents are ranked; term statistics (idf)
        stay those of the whole index.
        """
        ...

    def similarities(self, vector: np.ndarray, ids: Sequence[int]) -> np.ndarray:
        """Cosine similarity of ``vector`` to the given passages."""
        ...
