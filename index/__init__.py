"""Turning documents into a saved, searchable index (the lowest layer; knows nothing of qa/ui).

>>> import index
>>> embedder = index.load_embedder("all-MiniLM-L6-v2")
>>> index.index_paths(["docs/"], "my-index", embedder=embedder)   # or a postgresql:// URL
>>> location = index.open_index("my-index")
>>> new = index.parse_document(b"Tea is grown in Assam.", source="tea.md", suffix=".md")
>>> location.add([new], embedder=embedder)   # one more document; the others stay

The names here are the user's: build an index from files (:func:`index_paths`,
:func:`build_index`), open one wherever it lives and change it (:func:`open_index`,
:class:`IndexLocation`), load a model (:func:`load_embedder`), read documents
(:func:`parse_document`), and the errors (all :class:`QAError`). What
the layers above and the benchmarks build on besides is in :mod:`index.parts`.
"""

from ._build import BuildReport, build_index
from ._chunk import ChunkingOptions
from ._embed import Embedder, load_embedder
from ._errors import (
    DocumentError,
    EmptyCorpusError,
    IndexCorruptError,
    IndexLockedError,
    IndexNotFoundError,
    ModelMismatchError,
    ModelNotFoundError,
    QAError,
    QuestionError,
)
from ._location import IndexLocation, index_paths, open_index
from ._pg_connect import DatabaseError, is_database_url
from ._read import SUPPORTED_SUFFIXES, Document, parse_document

__all__ = [
    "SUPPORTED_SUFFIXES",
    "BuildReport",
    "ChunkingOptions",
    "DatabaseError",
    "Document",
    "DocumentError",
    "Embedder",
    "EmptyCorpusError",
    "IndexCorruptError",
    "IndexLocation",
    "IndexLockedError",
    "IndexNotFoundError",
    "ModelMismatchError",
    "ModelNotFoundError",
    "QAError",
    "QuestionError",
    "build_index",
    "index_paths",
    "is_database_url",
    "load_embedder",
    "open_index",
    "parse_document",
]
