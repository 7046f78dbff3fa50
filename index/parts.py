"""The index's parts, for the layers above and the project's tools; users want :mod:`index`.

``import index`` is what a user needs: open, build and change an index, load a model, read
documents, and the errors. The answer layer (:mod:`qa`), the interfaces (``ui``) and the
benchmarks build on more of it; this module names that, so nothing outside :mod:`index`
imports a private ``index._x`` module. It is public and kept working for them, but not part
of ``index``'s namespace:

- searching an index: :class:`SearchStore` (what :meth:`index.IndexLocation.open` returns),
  its :class:`Manifest` and :class:`SourceInfo`, :func:`read_manifest`, the keyword
  analyzer :func:`terms` (:data:`ANALYZER` names it), :func:`location_label`;
- models: :func:`canonical_model_name`, :data:`BACKENDS`, :data:`DEFAULT_BACKEND`;
- reading and cleaning: :func:`find_files` and :func:`read_document` (files one by one),
  :data:`DEFAULT_MAX_FILE_BYTES`,
  :func:`content_paragraphs`, :func:`explain_cleaning`;
- building in memory: :func:`build_from_documents` (a folder, without the model check of
  :meth:`index.IndexLocation.build`);
- what an index keeps besides passages: :func:`read_setting` / :func:`write_setting`
  (calibration), :func:`append_feedback` / :func:`read_feedback` (the chat's votes), uploads
  (:func:`check_upload`, :func:`safe_upload_name`, :data:`UPLOAD_PREFIX`) and originals
  (:func:`keep_original`, :func:`read_original`);
- for benchmarks that time or assemble an index part by part: :func:`build_stages` (seconds
  per build stage), :class:`Lexical` (the BM25 side), :func:`write_version` /
  :func:`writer_lock` (write a version folder directly), :func:`search_connection` and
  :func:`keyword_query` (PostgreSQL: a connection as searches use it, the BM25 SQL).
"""

from __future__ import annotations

from ._build import build_from_documents
from ._clean import content_paragraphs, explain_cleaning
from ._embed import BACKENDS, DEFAULT_BACKEND, canonical_model_name
from ._feedback import append_feedback, read_feedback
from ._lexical import ANALYZER, Lexical, terms
from ._locations import location_label
from ._originals import keep_original, read_original
from ._pg_pool import search_connection
from ._pg_sql import keyword_query
from ._prepare import UPLOAD_PREFIX
from ._protocol import SearchStore
from ._read import DEFAULT_MAX_FILE_BYTES, find_files, read_document
from ._settings import read_setting, write_setting
from ._stages import build_stages
from ._store import Manifest, SourceInfo, read_manifest
from ._store_write import write_version, writer_lock
from ._uploads import check_upload, safe_upload_name

__all__ = [
    "ANALYZER",
    "BACKENDS",
    "DEFAULT_BACKEND",
    "DEFAULT_MAX_FILE_BYTES",
    "UPLOAD_PREFIX",
    "Lexical",
    "Manifest",
    "SearchStore",
    "SourceInfo",
    "append_feedback",
    "build_from_documents",
    "build_stages",
    "canonical_model_name",
    "check_upload",
    "content_paragraphs",
    "explain_cleaning",
    "find_files",
    "keep_original",
    "keyword_query",
    "location_label",
    "read_document",
    "read_feedback",
    "read_manifest",
    "read_original",
    "read_setting",
    "safe_upload_name",
    "search_connection",
    "terms",
    "write_setting",
    "write_version",
    "writer_lock",
]
