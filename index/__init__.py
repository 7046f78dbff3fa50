"""Turning documents into a saved, searchable index (the lowest layer; knows nothing of qa/ui).

>>> from index import build_index, load_embedder, open_store
>>> build_index(["docs/"], "my-index", embedder=load_embedder("all-MiniLM-L6-v2"))
"""

from ._build import BuildReport, build_from_documents, build_index
from ._chunk import ChunkingOptions, chunk_document, split_sentences
from ._clean import Dropped, content_paragraphs, explain_cleaning
from ._embed import (
    BACKENDS,
    DEFAULT_BACKEND,
    PACKAGED_MODEL,
    Embedder,
    SentenceTransformerEmbedder,
    canonical_model_name,
    load_embedder,
)
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
from ._feedback import append_feedback, read_feedback
from ._lexical import ANALYZER, terms
from ._location import FolderIndex, IndexLocation, PgIndex, index_paths, open_index
from ._locations import location_label
from ._onnx import OnnxEmbedder
from ._originals import keep_original, read_original
from ._pg import DatabaseError, PgStore, is_database_url, open_pg_store
from ._pg_build import PgBuildReport, build_pg_from_documents, build_pg_index, remove_pg_sources
from ._prepare import UPLOAD_PREFIX, is_upload
from ._protocol import IdfSource, SearchStore
from ._read import (
    DEFAULT_MAX_FILE_BYTES,
    SUPPORTED_SUFFIXES,
    Document,
    Scan,
    find_files,
    parse_document,
    read_document,
    scan_files,
)
from ._remove import remove_source, remove_sources
from ._settings import read_setting, write_setting
from ._store import Manifest, SourceInfo, Store, open_store, read_manifest
from ._uploads import MAX_NAME_BYTES, check_upload, safe_upload_name

__all__ = [
    "ANALYZER",
    "BACKENDS",
    "DEFAULT_BACKEND",
    "DEFAULT_MAX_FILE_BYTES",
    "MAX_NAME_BYTES",
    "PACKAGED_MODEL",
    "SUPPORTED_SUFFIXES",
    "UPLOAD_PREFIX",
    "BuildReport",
    "ChunkingOptions",
    "DatabaseError",
    "Document",
    "DocumentError",
    "Dropped",
    "Embedder",
    "EmptyCorpusError",
    "FolderIndex",
    "IdfSource",
    "IndexCorruptError",
    "IndexLocation",
    "IndexLockedError",
    "IndexNotFoundError",
    "Manifest",
    "ModelMismatchError",
    "ModelNotFoundError",
    "OnnxEmbedder",
    "PgBuildReport",
    "PgIndex",
    "PgStore",
    "QAError",
    "QuestionError",
    "Scan",
    "SearchStore",
    "SentenceTransformerEmbedder",
    "SourceInfo",
    "Store",
    "append_feedback",
    "build_from_documents",
    "build_index",
    "build_pg_from_documents",
    "build_pg_index",
    "canonical_model_name",
    "check_upload",
    "chunk_document",
    "content_paragraphs",
    "explain_cleaning",
    "find_files",
    "index_paths",
    "is_database_url",
    "is_upload",
    "keep_original",
    "load_embedder",
    "location_label",
    "open_index",
    "open_pg_store",
    "open_store",
    "parse_document",
    "read_document",
    "read_feedback",
    "read_manifest",
    "read_original",
    "read_setting",
    "remove_pg_sources",
    "remove_source",
    "remove_sources",
    "safe_upload_name",
    "scan_files",
    "split_sentences",
    "terms",
    "write_setting",
]
