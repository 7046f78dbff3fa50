"""Text from PDF files, page by page, by pypdf."""

from __future__ import annotations

import io

from ._errors import DocumentError


def pdf_text(data: bytes, *, source: str) -> tuple[str, tuple[int, ...], tuple[int, ...]]:
    """Return the text of every page joined by blank lines, where each page starts, and the
    pages (from 1) whose text was read by OCR because they had no text layer."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise DocumentError(f"{source}: not a readable PDF ({exc}); re-export it as PDF") from exc
    from ._ocr import ocr_blank_pages

    pages, ocr = ocr_blank_pages(data, pages, source=source)  # scanned pages: OCR their image
    starts: list[int] = []
    parts: list[str] = []
    offset = 0
    for page in pages:
        page = page.replace("\r\n", "\n").replace("\r", "\n")
        starts.append(offset)
        parts.append(page)
        offset += len(page) + 2
    text = "\n\n".join(parts)
    if not text.strip():
        raise DocumentError(
            f"{source}: the PDF has no text layer and OCR found no text on its pages; "
            "check that it is not blank"
        )
    return text, tuple(starts), ocr
