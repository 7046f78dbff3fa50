"""Checks for files that arrive over the network: a safe name, an allowed type, a size limit."""

from __future__ import annotations

import re
import unicodedata

from ._errors import DocumentError
from ._read import DEFAULT_MAX_FILE_BYTES, SUPPORTED_SUFFIXES

#: File systems allow 255 bytes per name; this leaves room for a temporary prefix and suffix.
MAX_NAME_BYTES = 200
_UNSAFE = re.compile(r"[^\w.\- ()]+")


def safe_upload_name(name: str) -> str:
    """A file name that can be created inside an upload folder and nowhere else.

    Folders, drive letters, control and format characters (such as a right-to-left override
    hiding the real suffix) and leading dots are dropped, other odd characters become ``_``,
    and the name is cut to :data:`MAX_NAME_BYTES` of UTF-8: ``../../x.txt`` becomes
    ``x.txt``. Never empty; cleaning a cleaned name changes nothing.
    """
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name))[-1]
    base = base.split(":")[-1]
    base = _UNSAFE.sub("_", "".join(c for c in base if c.isprintable()))
    base = " ".join(base.split()).lstrip(". ")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    suffix = suffix.lower()[:10].rstrip(" ")
    room = MAX_NAME_BYTES - len(suffix.encode("utf-8")) - 1
    stem = stem.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    stem = unicodedata.normalize("NFC", stem).rstrip(". ") or "upload"
    return f"{stem}.{suffix}" if suffix else stem


def check_upload(name: str, size: int, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> str:
    """The safe name for an upload, or :class:`DocumentError` if its type or size is refused."""
    clean = safe_upload_name(name)
    suffix = "." + clean.rpartition(".")[2] if "." in clean else ""
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(
            f"{clean}: unsupported file type {suffix or '(none)'!r}; "
            f"upload one of {', '.join(sorted(SUPPORTED_SUFFIXES))}"
        )
    if size > max_bytes:
        raise DocumentError(
            f"{clean}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:g} MB limit; "
            "split the file or ask for a higher limit (--max-file-mb)"
        )
    return clean
