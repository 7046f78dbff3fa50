"""Text for scanned PDF pages: each page without a text layer is rendered and read by OCR.

Rendering is by PDFium (pypdfium2), recognition by RapidOCR on onnxruntime, whose wheel
carries its models: nothing is downloaded, nothing leaves the machine. Only pages whose
text layer is empty are read, so a PDF with text costs nothing extra.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import cache
from typing import Any

from ._errors import DocumentError

#: Rendering resolution: at 150 dots per inch body text is over 20 pixels tall, which the
#: recogniser reads well; detection time grows with the pixels, so more costs for little.
DPI = 150
#: Longest side of a rendered page, in pixels, so a poster-sized page cannot exhaust memory.
MAX_SIDE = 4000
#: Lines recognised with less confidence than this are dropped as noise (specks, stamps).
MIN_SCORE = 0.5
INSTALL_HINT = "install OCR with `make install` (or `pip install rapidocr-onnxruntime pypdfium2`)"

_lock = threading.Lock()  # one page at a time: the engine's sessions use every core anyway


def ocr_blank_pages(
    data: bytes, pages: Sequence[str], *, source: str
) -> tuple[list[str], tuple[int, ...]]:
    """Fill the pages that have no text by OCR.

    Returns the pages' text and the numbers (from 1) of the pages whose text came from OCR.
    A page that OCR finds nothing on (a blank page) stays empty and is not marked.
    """
    out = list(pages)
    blank = [i for i, text in enumerate(out) if not text.strip()]
    if not blank:
        return out, ()
    engine, pdfium = _engine(source, blank[0] + 1)
    read: list[int] = []
    try:
        pdf = pdfium.PdfDocument(data)
    except Exception as exc:
        raise DocumentError(
            f"{source}: cannot render the scanned pages for OCR ({exc}); re-export the PDF"
        ) from exc
    try:
        for i in blank:
            text = _read_page(engine, pdf[i], source=source, number=i + 1)
            if text:
                out[i] = text
                read.append(i + 1)
    finally:
        pdf.close()
    return out, tuple(read)


@cache
def _load() -> tuple[Any, Any]:
    import pypdfium2
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR(), pypdfium2


def _engine(source: str, page: int) -> tuple[Any, Any]:
    try:
        with _lock:
            return _load()
    except ImportError as exc:
        raise DocumentError(
            f"{source}: page {page} has no text layer and OCR is not installed "
            f"({exc.name or exc}); {INSTALL_HINT}"
        ) from exc
    except Exception as exc:
        raise DocumentError(
            f"{source}: page {page} has no text layer and OCR cannot start ({exc}); {INSTALL_HINT}"
        ) from exc


def _read_page(engine: Any, page: Any, *, source: str, number: int) -> str:
    import numpy as np

    try:
        width, height = page.get_size()  # in points, 72 to the inch
        scale = min(DPI / 72, MAX_SIDE / max(width, height, 1.0))
        image = page.render(scale=scale).to_pil().convert("RGB")
        with _lock:
            result, _ = engine(np.asarray(image))
    except Exception as exc:
        raise DocumentError(
            f"{source}: OCR failed on page {number} ({exc}); re-export the PDF with a text layer"
        ) from exc
    return lines_to_text(result or [])


def lines_to_text(result: Sequence[Any]) -> str:
    """Join OCR boxes ``[corners, text, score]`` into lines and paragraphs in reading order.

    Boxes whose vertical middles fall inside one another's height are one line, read left to
    right; a gap taller than a line between two lines starts a new paragraph. The lines of a
    paragraph are joined with spaces, as the sentence runs on (a break after a hyphen is
    joined without one), so a sentence wrapped on the page is one sentence in the index.
    """
    boxes = []
    for corners, text, score in result:
        if float(score) < MIN_SCORE or not str(text).strip():
            continue
        ys = [float(p[1]) for p in corners]
        xs = [float(p[0]) for p in corners]
        boxes.append((min(ys), max(ys), min(xs), str(text).strip()))
    boxes.sort()
    lines: list[list[tuple[float, float, float, str]]] = []
    for box in boxes:
        middle = (box[0] + box[1]) / 2
        if lines and lines[-1][0][0] <= middle <= lines[-1][0][1]:
            lines[-1].append(box)
        else:
            lines.append([box])
    if not lines:
        return ""
    heights = sorted(line[0][1] - line[0][0] for line in lines)
    typical = heights[len(heights) // 2]
    parts: list[str] = []
    bottom: float | None = None
    for line in lines:
        top = min(b[0] for b in line)
        if bottom is not None:
            parts.append("\n\n" if top - bottom > typical else "" if parts[-1][-1] == "-" else " ")
        parts.append(" ".join(b[3] for b in sorted(line, key=lambda b: b[2])))
        bottom = max(b[1] for b in line)
    return "".join(parts)
