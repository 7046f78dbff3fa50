"""The error hierarchy shared by every layer.

Each message says what to do; the CLI and the web UI show ``str(error)`` as a one-line message.
"""

from __future__ import annotations


class QAError(Exception):
    """Base class of every error this project raises on purpose."""


class IndexNotFoundError(QAError):
    """No index at the given path."""


class IndexCorruptError(QAError):
    """An index folder exists but cannot be read."""


class ModelMismatchError(QAError):
    """The index was built with another embedding model than the one asked for."""


class ModelNotFoundError(QAError):
    """The embedding model cannot be loaded from this machine."""


class DocumentError(QAError):
    """A document cannot be read or has no text."""


class EmptyCorpusError(QAError):
    """There is nothing to index."""


class QuestionError(QAError):
    """The question cannot be answered as asked (empty, too long, ...)."""


class IndexLockedError(QAError):
    """Another process is writing the same index."""
