"""Page text in reading order from a PDF's layout, by pdfminer.six.

pdfminer.six groups characters into lines and lines into boxes by their position, and orders
the boxes so that a two-column page reads column by column (pypdf and pypdfium2 follow the
content stream, which may run across both columns; docs/RELIABILITY.md compares them). Its
boxes are not paragraphs (an indented first line starts a new box, a paragraph broken over a
column is two), so paragraphs are rebuilt here from the lines: a new paragraph starts at a
vertical gap, a change of type size, or a move to another column, and a heading (a line in
larger or bold type) is always a paragraph of its own, so that the answer layer knows it for
a heading and never quotes it as an answer.

The text of a page is its paragraphs separated by blank lines, each paragraph its lines as
printed (joined by ``\\n``): :mod:`index._pdf_clean` mends them.
"""

from __future__ import annotations

import io
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ._errors import DocumentError

_BOLD = re.compile(r"bold|black|heavy|\+CMBX|\+CMB\d", re.IGNORECASE)
_BULLET_ALONE = re.compile(r"^[\u2022\u00b7\u25aa\u2023\u25e6\u2013\u2014*\-]$")
#: A line in type this much larger than the body's is a heading.
HEADING_SCALE = 1.12
#: Most words a heading line has.
HEADING_WORDS = 15


@dataclass(frozen=True)
class _Line:
    text: str
    x0: float
    x1: float
    bottom: float
    top: float
    size: float  # median character size
    bold: bool  # every letter in a bold face


@dataclass(frozen=True)
class PdfLayout:
    """What pdfminer.six read: each page's text (paragraphs split by blank lines) and the
    document's title from its metadata ("" when it has none)."""

    pages: list[str]
    title: str


def read_layout(data: bytes, *, source: str) -> PdfLayout:
    """Read the pages of a PDF into text in reading order, one string per page.

    Raises :class:`DocumentError` for a file that is not a readable PDF or is protected.
    """
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFDocument, PDFPasswordIncorrect
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser
    from pdfminer.psparser import PSException

    try:
        document = PDFDocument(PDFParser(io.BytesIO(data)))
        manager = PDFResourceManager()
        device = PDFPageAggregator(manager, laparams=LAParams())
        interpreter = PDFPageInterpreter(manager, device)
        pages: list[list[_Line]] = []
        for page in PDFPage.create_pages(document):
            interpreter.process_page(page)
            pages.append(list(_lines(device.get_result())))
        title = _title(document.info)
    except PDFPasswordIncorrect as exc:
        raise DocumentError(
            f"{source}: the PDF is password-protected; save a copy without a password"
        ) from exc
    except (PSException, ValueError, KeyError, TypeError, AssertionError, IndexError) as exc:
        raise DocumentError(f"{source}: not a readable PDF ({exc}); re-export it as PDF") from exc
    body = _body_size(pages)
    return PdfLayout([_page_text(lines, body) for lines in pages], title)


def _title(info: list[dict[str, Any]]) -> str:
    from pdfminer.pdftypes import resolve1
    from pdfminer.utils import decode_text

    for entry in info:
        raw = resolve1(entry.get("Title"))
        if isinstance(raw, bytes):
            raw = decode_text(raw)
        if isinstance(raw, str) and raw.strip():
            return " ".join(raw.split())[:200]
    return ""


def _lines(layout: Any) -> Iterator[_Line]:
    # Lines in pdfminer's reading order: its boxes in order, each box's lines top down.
    from pdfminer.layout import LTChar, LTTextBox, LTTextLine

    boxes = [item for item in layout if isinstance(item, LTTextBox)]
    for box in boxes:
        for line in box:
            if not isinstance(line, LTTextLine):
                continue
            text = " ".join(line.get_text().split())
            if not text:
                continue
            chars = [c for c in line if isinstance(c, LTChar)]
            sizes = [c.size for c in chars] or [line.height]
            letters = [c for c in chars if c.get_text().isalpha()]
            bold = bool(letters) and all(_BOLD.search(c.fontname) for c in letters)
            yield _Line(text, line.x0, line.x1, line.y0, line.y1, statistics.median(sizes), bold)


def _body_size(pages: Iterable[list[_Line]]) -> float:
    # The size most of the text is set in, weighted by characters.
    counts: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            counts[round(line.size * 2) / 2] += len(line.text)
    return counts.most_common(1)[0][0] if counts else 0.0


def _is_heading(line: _Line, body: float) -> bool:
    if len(line.text.split()) > HEADING_WORDS or line.text.endswith((".", ",", ";")):
        return False
    return (body > 0 and line.size >= body * HEADING_SCALE) or line.bold


def _merge_bullets(lines: list[_Line]) -> list[_Line]:
    # A list's bullet glyph often stands in a box of its own, beside its item's first line.
    out: list[_Line] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _BULLET_ALONE.match(line.text):
            beside = next(
                (
                    j
                    for j in range(i + 1, min(i + 4, len(lines)))
                    if lines[j].bottom < (line.top + line.bottom) / 2 < lines[j].top
                    and lines[j].x0 >= line.x0
                ),
                None,
            )
            if beside is not None:
                item = lines[beside]
                out.append(
                    _Line(
                        f"{line.text} {item.text}",
                        line.x0,
                        item.x1,
                        item.bottom,
                        item.top,
                        item.size,
                        item.bold,
                    )
                )
                out.extend(lines[i + 1 : beside])
                del lines[beside]
                i += 1
                continue
        out.append(line)
        i += 1
    return out


def _new_paragraph(prev: _Line, line: _Line, body: float) -> bool:
    size = max(prev.size, line.size, 1.0)
    if abs(prev.size - line.size) > 0.1 * size:
        return True
    if line.top > prev.top + 0.5 * size:  # moved up: the next column or a box beside
        return True
    if line.x0 > prev.x1 or line.x1 < prev.x0:  # no horizontal overlap: another column
        return True
    gap = prev.bottom - line.top
    if gap > 0.6 * size:
        return True
    # An indented line after a finished one starts a paragraph (no space between them).
    return line.x0 > prev.x0 + size and prev.text.endswith((".", "!", "?", ":"))


def _margins_outside(lines: list[_Line]) -> list[_Line]:
    # pdfminer may place a running head among the page's boxes; a band of lines at the very
    # top (or bottom) of the page, set apart from the rest by more than a line's height, is
    # put first (or last), where running heads and page numbers are looked for.
    if len(lines) < 3:
        return lines
    size = statistics.median(line.size for line in lines)
    top = max(line.top for line in lines)
    head = [n for n, line in enumerate(lines) if line.top >= top - 0.5 * line.size]
    rest = [line for n, line in enumerate(lines) if n not in head]
    if not rest or min(lines[n].bottom for n in head) - max(r.top for r in rest) <= size:
        head = []
    bottom = min(line.bottom for line in lines)
    foot = [
        n
        for n, line in enumerate(lines)
        if line.bottom <= bottom + 0.5 * line.size and n not in head
    ]
    rest = [line for n, line in enumerate(lines) if n not in foot and n not in head]
    if not rest or min(r.bottom for r in rest) - max(lines[n].top for n in foot) <= size:
        foot = []
    middle = [line for n, line in enumerate(lines) if n not in head and n not in foot]
    return [lines[n] for n in head] + middle + [lines[n] for n in foot]


def _page_text(lines: list[_Line], body: float) -> str:
    lines = _merge_bullets(_margins_outside(list(lines)))
    paragraphs: list[list[str]] = []
    prev: _Line | None = None
    prev_heading = False
    for line in lines:
        heading = _is_heading(line, body)
        if prev is None or heading or prev_heading or _new_paragraph(prev, line, body):
            paragraphs.append([])
        paragraphs[-1].append(line.text)
        prev, prev_heading = line, heading
    return "\n\n".join("\n".join(p) for p in paragraphs)
