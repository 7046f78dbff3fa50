"""Text from PDF files: pages read in reading order, cleaned, and joined with page offsets.

The steps are separate so that pages without a text layer can be filled in (by OCR) before
cleaning: :func:`pdf_pages` reads each page's text ("" for a page with no text layer),
:func:`~index._pdf_clean.clean_pages` drops running heads, page numbers and contents lines
and mends wrapped lines, and :func:`join_pages` joins the pages and records where each
starts, so the page of every character of the indexed text stays known.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ._errors import DocumentError
from ._pdf_clean import clean_pages
from ._pdf_layout import read_layout


@dataclass(frozen=True)
class PdfText:
    """A PDF's indexed text, where each page starts in it, and its title ("" if unknown)."""

    text: str
    page_starts: tuple[int, ...]
    title: str
    ocr_pages: tuple[int, ...] = ()  # pages (from 1) read by OCR: they had no text layer


def pdf_pages(data: bytes, *, source: str) -> tuple[list[str], str]:
    """Each page's raw text in reading order (paragraphs split by blank lines, lines as
    printed; "" for a page without a text layer) and the title from the PDF's metadata."""
    layout = read_layout(data, source=source)
    return layout.pages, layout.title


def join_pages(pages: Sequence[str]) -> tuple[str, tuple[int, ...]]:
    """Join cleaned pages with blank lines; return the text and where each page starts."""
    starts: list[int] = []
    offset = 0
    for page in pages:
        starts.append(offset)
        offset += len(page) + 2
    return "\n\n".join(pages), tuple(starts)


def read_pdf(data: bytes, *, source: str) -> PdfText:
    """Read a PDF into the text to index (see the module's description).

    Raises :class:`DocumentError` when the file is not a readable PDF or has no text at all.
    """
    from ._ocr import ocr_blank_pages

    pages, title = pdf_pages(data, source=source)
    pages, ocr = ocr_blank_pages(data, pages, source=source)  # scanned pages: OCR their image
    text, starts = join_pages(clean_pages(pages))
    if not text.strip():
        raise DocumentError(
            f"{source}: the PDF has no text layer and OCR found no text on its pages; "
            "check that it is not blank"
        )
    return PdfText(text, starts, title, ocr)


def pdf_text(data: bytes, *, source: str) -> tuple[str, tuple[int, ...]]:
    """Return the indexed text of a PDF and where each page starts in it."""
    found = read_pdf(data, source=source)
    return found.text, found.page_starts
