"""Text from PDF files, page by page, by pypdf."""

from __future__ import annotations

import io

from ._errors import DocumentError


def pdf_text(data: bytes, *, source: str) -> tuple[str, tuple[int, ...]]:
    """Return the text of every page joined by blank lines, and where each page starts."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise DocumentError(f"{source}: not a readable PDF ({exc}); re-export it as PDF") from exc
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
            f"{source}: the PDF has no text layer (scanned pages?); run OCR on it first"
        )
    return text, tuple(starts)
