"""Reading documents from disk: files and folders in, :class:`Document` objects out."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ._errors import DocumentError, EmptyCorpusError

#: File types the indexer reads; anything else inside a folder is passed over.
SUPPORTED_SUFFIXES = frozenset(
    {".txt", ".text", ".md", ".markdown", ".html", ".htm", ".pdf"}
    | {".docx", ".pptx", ".odt", ".epub", ".rtf"}
)
#: The file types in words, for messages that say what can be indexed.
SUPPORTED_WORDS = "text, Markdown, HTML, PDF, Word, PowerPoint, OpenDocument, EPUB or RTF files"
#: Files larger than this are refused (configurable), so one huge file cannot exhaust memory.
DEFAULT_MAX_FILE_BYTES = 50_000_000  # 50 MB, as --max-file-mb counts them


@dataclass(frozen=True)
class Document:
    """One source's indexed text: every offset in the index points into ``text``."""

    source: str
    title: str
    text: str
    kind: str  # "text", "markdown", "html", "pdf", "docx", ...: decides boilerplate, locations
    sha256: str
    page_starts: tuple[int, ...] = ()  # character offset where each PDF page begins
    # (offset, label) where each slide or headed section begins: "slide 3", "Chapter 2".
    locations: tuple[tuple[int, str], ...] = ()
    ocr_pages: tuple[int, ...] = ()  # PDF pages (from 1) whose text was read by OCR


@dataclass(frozen=True)
class SourceFile:
    """A file found on disk and the source name it is indexed under."""

    path: Path
    source: str


@dataclass(frozen=True)
class Scan:
    """What :func:`scan_files` found: files to read, and entries it could not use."""

    files: list[SourceFile]
    skipped: list[tuple[str, str]]  # (source, one-line reason)


def find_files(paths: Sequence[str | os.PathLike[str]]) -> list[SourceFile]:
    """Expand files and folders into the supported files below them, named relative to a root.

    Source names are paths relative to the common folder of the arguments, so that two files
    called ``notes.txt`` in different folders keep different names. Entries that cannot be
    used (broken links, link loops) are left out; :func:`scan_files` reports them.
    """
    return scan_files(paths).files


def scan_files(paths: Sequence[str | os.PathLike[str]]) -> Scan:
    """Like :func:`find_files`, and also report entries inside folders that cannot be used.

    Files of other types are passed over without a report (a folder of documents often holds
    images and the like). A supported name that is not a readable regular file (a broken link,
    a link loop, a pipe) and a link to a folder (not followed, so a link loop cannot recurse)
    are reported in :attr:`Scan.skipped`.
    """
    if not paths:
        raise EmptyCorpusError("no documents given: name at least one file or folder to index")
    roots: list[Path] = []
    found: list[Path] = []
    odd: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise DocumentError(f"{raw}: no such file or folder; check the path")
        path = path.resolve()
        if path.is_dir():
            roots.append(path)
            _walk(path, found, odd)
        else:
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                raise DocumentError(
                    f"{raw}: unsupported file type {path.suffix or '(none)'!r}; "
                    f"use one of {', '.join(sorted(SUPPORTED_SUFFIXES))}"
                )
            roots.append(path.parent)
            found.append(path)
    base = Path(os.path.commonpath([str(r) for r in roots]))
    files = [SourceFile(p, p.relative_to(base).as_posix()) for p in sorted(set(found))]
    skipped = [_why_unusable(p, p.relative_to(base).as_posix()) for p in sorted(set(odd))]
    if not files and not skipped:
        raise EmptyCorpusError(
            f"no readable documents in {', '.join(str(p) for p in paths)}; "
            f"add files ending in {', '.join(sorted(SUPPORTED_SUFFIXES))}"
        )
    return Scan(files, skipped)


def _walk(folder: Path, found: list[Path], odd: list[Path]) -> None:
    # os.walk does not follow symlinked folders, so a link loop cannot recurse forever.
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in list(dirnames):
            if (Path(dirpath) / name).is_symlink():
                odd.append(Path(dirpath) / name)
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            if path.suffix.lower() in SUPPORTED_SUFFIXES:
                (found if path.is_file() else odd).append(path)


def _why_unusable(path: Path, source: str) -> tuple[str, str]:
    try:
        info = path.stat()
    except OSError as exc:
        kind = "a broken link" if path.is_symlink() else "unreadable"
        return source, f"{source}: {kind} ({exc.strerror}); fix or remove it"
    if stat.S_ISDIR(info.st_mode):
        return source, f"{source}: a link to a folder, not followed; name the folder itself"
    return source, f"{source}: not a regular file; index {SUPPORTED_WORDS}"


def read_document(file: SourceFile, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Document:
    """Read one file into a :class:`Document`, raising :class:`DocumentError` with the fix."""
    return read_source(file, max_bytes=max_bytes)[0]


def read_source(
    file: SourceFile, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> tuple[Document, bytes]:
    """Like :func:`read_document`, and also the file's bytes (kept for PDFs)."""
    try:
        info = file.path.stat()
        if not stat.S_ISREG(info.st_mode):  # a pipe or device would block or never end
            raise DocumentError(f"{file.source}: not a regular file; index {SUPPORTED_WORDS}")
        size = info.st_size
        if size > max_bytes:
            raise DocumentError(
                f"{file.source}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:g} MB limit; "
                "split the file or raise the limit with --max-file-mb"
            )
        data = file.path.read_bytes()
    except OSError as exc:
        raise DocumentError(
            f"{file.source}: cannot read the file ({exc.strerror}); check its permissions"
        ) from exc
    return parse_document(data, source=file.source, suffix=file.path.suffix.lower()), data


def parse_document(data: bytes, *, source: str, suffix: str) -> Document:
    """Turn a file's bytes into a :class:`Document` according to its type."""
    sha = hashlib.sha256(data).hexdigest()
    stem = Path(source).stem
    if suffix == ".pdf":
        from ._pdf import read_pdf

        pdf = read_pdf(data, source=source)
        title = pdf.title or _first_line(pdf.text) or stem
        return _checked(
            Document(source, title, pdf.text, "pdf", sha, pdf.page_starts, ocr_pages=pdf.ocr_pages)
        )
    if suffix in _OFFICE:
        from ._office import office_text

        title, text, locations = office_text(data, source=source, suffix=suffix)
        doc = Document(source, title or stem, text, _OFFICE[suffix], sha, locations=locations)
        return _checked(doc)
    text = decode_text(data, source=source)
    if suffix in (".html", ".htm"):
        from ._html import html_text

        title, body = html_text(text, source=source)
        return _checked(Document(source, title or stem, body, "html", sha))
    kind = "markdown" if suffix in (".md", ".markdown") else "text"
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _checked(Document(source, _first_line(text).lstrip("# ") or stem, text, kind, sha))


#: Word processor, slide and e-book files, by suffix, and the kind their documents get.
_OFFICE = {".docx": "docx", ".pptx": "pptx", ".odt": "odt", ".epub": "epub", ".rtf": "rtf"}


def decode_text(data: bytes, *, source: str) -> str:
    """Decode text bytes; refuse binary data.

    A UTF-16/32 byte-order mark decides; then UTF-8. A file that is UTF-8 but for a few bad
    bytes stays UTF-8, the bad bytes shown as U+FFFD (rather than the whole file read as
    cp1252 mojibake). Anything else is a legacy encoding (cp1252, latin-1, Shift-JIS,
    GB18030, ...), recognised by charset-normalizer.
    """
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe\x00\x00", "utf-32"),
        (b"\x00\x00\xfe\xff", "utf-32"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise DocumentError(
                    f"{source}: starts with a {codec} mark but is not valid {codec}; "
                    "re-save it as UTF-8"
                ) from exc
    if b"\x00" in data:
        raise DocumentError(
            f"{source}: looks like a binary file (it holds NUL bytes); index {SUPPORTED_WORDS} only"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    marked = data.decode("utf-8", errors="replace")
    bad = marked.count("\ufffd") - data.count("\ufffd".encode())
    valid = sum(1 for ch in marked if ord(ch) > 127) - bad
    if valid > 2 * bad:
        # Mostly valid multi-byte UTF-8: a legacy encoding would hardly make so many.
        return marked
    return _legacy(data)


def _legacy(data: bytes) -> str:
    from charset_normalizer import from_bytes

    results = from_bytes(data)
    best = results.best()
    if best is not None and best.encoding:
        # Short Western text fits several code pages equally well (cp1250, cp1252, Mac
        # Roman...); of those that fit as well as the best, Windows' Western one wins.
        for match in results:
            tied = match.chaos <= best.chaos + 0.02 and match.coherence >= best.coherence - 0.05
            if tied and "cp1252" in (match.encoding, *match.could_be_from_charset):
                return data.decode("cp1252", errors="replace")
        return data.decode(best.encoding, errors="replace")
    # Nothing fits well: cp1252 is a superset of latin-1's printable range.
    return data.decode("cp1252", errors="replace")


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:200]
    return ""


def _checked(doc: Document) -> Document:
    if not doc.text.strip():
        raise DocumentError(f"{doc.source}: no text found in the file; check that it is not empty")
    return doc
