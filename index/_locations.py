"""Where a passage sits, in words people use: "page 4 (OCR)", "slide 3", "Chapter 2, paragraph 5".

A :class:`~index.Document` keeps its places as character offsets: ``page_starts`` for PDF
pages, ``locations`` (offset, label) for slides and headings, ``ocr_pages`` for PDF pages
whose text was read by OCR. Documents read from flowing text (word processor files, e-books,
RTF) keep one blank line between paragraphs, so a paragraph number is a count of blank lines.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._read import Document

#: Kinds whose text is paragraphs separated by one blank line: labels count paragraphs.
PARAGRAPH_KINDS = frozenset({"docx", "odt", "epub", "rtf"})
#: Longest heading kept as a label; longer ones are cut at a word.
MAX_LABEL_CHARS = 60


@dataclass(frozen=True)
class Block:
    """One paragraph of a document being assembled; ``label`` starts a new location there."""

    text: str
    label: str | None = None


def assemble(blocks: Iterable[Block]) -> tuple[str, tuple[tuple[int, str], ...]]:
    """Join paragraphs with one blank line; return the text and where each label starts.

    Lines inside a paragraph are kept (one newline each), blank lines inside it are dropped,
    so the blank-line count that :func:`location_label` makes stays a paragraph count.
    """
    parts: list[str] = []
    locations: list[tuple[int, str]] = []
    offset = 0
    pending: str | None = None  # a label whose first paragraph is still to come
    for block in blocks:
        if block.label is not None:
            pending = short_label(block.label)
        lines = [" ".join(line.split()) for line in block.text.splitlines()]
        text = "\n".join(line for line in lines if line)
        if not text:
            continue
        if pending:
            locations.append((offset, pending))
            pending = None
        parts.append(text)
        offset += len(text) + 2
    return "\n\n".join(parts), tuple(locations)


def short_label(text: str) -> str:
    """A heading as a location label: one line, at most :data:`MAX_LABEL_CHARS` characters."""
    label = " ".join(text.split())
    if len(label) <= MAX_LABEL_CHARS:
        return label
    return label[:MAX_LABEL_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "\u2026"


def location_label(doc: Document, offset: int) -> str:
    """The place of character ``offset`` in ``doc``, as the answer shows it."""
    if doc.page_starts:
        page = bisect.bisect_right(doc.page_starts, offset)
        return f"page {page} (OCR)" if page in doc.ocr_pages else f"page {page}"
    if doc.locations:
        i = bisect.bisect_right([start for start, _ in doc.locations], offset) - 1
        if i >= 0:
            start, label = doc.locations[i]
            if doc.kind not in PARAGRAPH_KINDS:
                return label
            # The heading is paragraph 0 of its section, the first paragraph under it is 1.
            paragraph = doc.text.count("\n\n", start, offset)
            return f"{label}, paragraph {paragraph}" if paragraph else label
    if doc.kind in PARAGRAPH_KINDS:
        return f"paragraph {doc.text.count(chr(10) * 2, 0, offset) + 1}"
    return f"line {doc.text.count(chr(10), 0, offset) + 1}"
