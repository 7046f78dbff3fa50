"""Text from word processor, slide, e-book and RTF files, with the places people cite.

Each reader turns a file into paragraphs (:class:`~index._locations.Block`) in reading order;
a heading (Word, OpenDocument, EPUB) or a slide (PowerPoint) starts a labelled location.
The well-kept readers do the parsing: python-docx, python-pptx, odfpy, ebooklib and striprtf.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

from ._errors import DocumentError, QAError
from ._locations import Block, assemble

_NAMES = {
    ".docx": "Word (.docx)",
    ".pptx": "PowerPoint (.pptx)",
    ".odt": "OpenDocument text (.odt)",
    ".epub": "EPUB",
    ".rtf": "RTF",
}


def office_text(
    data: bytes, *, source: str, suffix: str
) -> tuple[str, str, tuple[tuple[int, str], ...]]:
    """Return ``(title, text, locations)`` of a .docx, .pptx, .odt, .epub or .rtf file."""
    readers: dict[str, Callable[[bytes], tuple[str, list[Block]]]] = {
        ".docx": _docx,
        ".pptx": _pptx,
        ".odt": _odt,
        ".epub": _epub,
        ".rtf": _rtf,
    }
    try:
        title, blocks = readers[suffix](data)
        text, locations = assemble(blocks)
    except QAError:
        raise
    except Exception as exc:
        # A damaged file can fail anywhere inside the parser (zip, XML, missing parts);
        # whatever the cause, the fix is the same.
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise DocumentError(
            f"{source}: not a readable {_NAMES[suffix]} file ({reason}); "
            "open it in its program and save it again"
        ) from exc
    if not text.strip():
        raise DocumentError(f"{source}: no text found in the file; check that it is not empty")
    return title.strip(), text, locations


# -- Word ------------------------------------------------------------------------------------


def _docx(data: bytes) -> tuple[str, list[Block]]:
    import docx
    from docx.table import Table

    document = docx.Document(io.BytesIO(data))
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            blocks.extend(Block(row) for row in _rows(item))
            continue
        style = item.style.name if item.style is not None else ""
        heading = style.startswith("Heading") or style == "Title"
        blocks.append(Block(item.text, label=item.text if heading else None))
    return document.core_properties.title or _first(blocks), blocks


def _rows(table: Any) -> Iterator[str]:
    # One paragraph per row, cells in order; merged cells repeat, so neighbours that are the
    # same cell are shown once.
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        yield " | ".join(cells)


# -- PowerPoint ------------------------------------------------------------------------------


def _pptx(data: bytes) -> tuple[str, list[Block]]:
    import pptx

    deck = pptx.Presentation(io.BytesIO(data))
    blocks: list[Block] = []
    title = deck.core_properties.title or ""
    for number, slide in enumerate(deck.slides, start=1):
        texts: list[str] = []
        title_shape = slide.shapes.title
        if title_shape is not None and title_shape.has_text_frame:
            texts.append(title_shape.text_frame.text)
            title = title or title_shape.text_frame.text
        # Shapes are fresh objects on every access: the title is known by its id.
        title_id = title_shape.shape_id if title_shape is not None else None
        others = [s for s in _shapes(slide.shapes) if s.shape_id != title_id]
        # Reading order on the slide: top to bottom, then left to right.
        others.sort(key=lambda s: (s.top or 0, s.left or 0))
        for shape in others:
            if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
                texts.append(shape.text_frame.text)
            elif getattr(shape, "has_table", False) and shape.has_table:
                texts.extend(_rows(shape.table))
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            texts.append(slide.notes_slide.notes_text_frame.text)
        texts = [t for t in texts if t.strip()]
        for i, text in enumerate(texts):
            blocks.append(Block(text, label=f"slide {number}" if i == 0 else None))
    return title, blocks


def _shapes(shapes: Any) -> Iterator[Any]:
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    for shape in shapes:
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            yield from _shapes(shape.shapes)
        else:
            yield shape


# -- OpenDocument ----------------------------------------------------------------------------


def _odt(data: bytes) -> tuple[str, list[Block]]:
    from odf import teletype
    from odf.opendocument import load

    document = load(io.BytesIO(data))
    blocks: list[Block] = []

    def walk(node: Any) -> None:
        for child in node.childNodes:
            name = child.qname[1] if hasattr(child, "qname") else ""
            if name == "h":
                text = teletype.extractText(child)
                blocks.append(Block(text, label=text))
            elif name == "p":
                blocks.append(Block(teletype.extractText(child)))
            elif name == "table-row":
                cells = [" ".join(teletype.extractText(c).split()) for c in child.childNodes]
                blocks.append(Block(" | ".join(c for c in cells if c)))
            elif name in (
                "list",
                "list-item",
                "section",
                "table",
                "table-rows",
                "table-header-rows",
                "note-body",
                "frame",
                "text-box",
            ):
                walk(child)

    walk(document.text)
    meta_title = ""
    for node in document.meta.childNodes:
        if getattr(node, "qname", ("", ""))[1] == "title":
            meta_title = teletype.extractText(node)
    return meta_title or _first(blocks), blocks


# -- EPUB ------------------------------------------------------------------------------------


def _epub(data: bytes) -> tuple[str, list[Block]]:
    from ._epub import epub_blocks

    return epub_blocks(data)


# -- RTF -------------------------------------------------------------------------------------


def _rtf(data: bytes) -> tuple[str, list[Block]]:
    from striprtf.striprtf import rtf_to_text

    if not data.lstrip().startswith(b"{\\rtf"):
        raise ValueError("it does not start with {\\rtf")
    # RTF is 7-bit ASCII; other characters come as escapes that striprtf decodes.
    text: str = rtf_to_text(  # type: ignore[no-untyped-call]
        data.decode("latin-1"), encoding="cp1252", errors="replace"
    )
    blocks = [Block(line) for line in text.splitlines() if line.strip()]
    return _first(blocks), blocks


def _first(blocks: list[Block]) -> str:
    for block in blocks:
        if block.text.strip():
            return block.text.strip().splitlines()[0][:200]
    return ""
