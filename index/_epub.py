"""Text from EPUB e-books: the chapters in reading order (the spine), read by ebooklib.

Each chapter is an XHTML page; its paragraphs, list items and headings become blocks, and a
heading (h1 to h3) starts a location named after it. A chapter without such a heading is
named "chapter N" from its place in the book.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

from ._locations import Block

#: Elements whose text is one paragraph; elements inside a taken one are not taken again.
_BLOCKS = frozenset(
    {
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "blockquote",
        "pre",
        "dt",
        "dd",
        "tr",
        "figcaption",
        "caption",
    }
)
_HEADINGS = frozenset({"h1", "h2", "h3"})


def epub_blocks(data: bytes) -> tuple[str, list[Block]]:
    """Return the book's title and its paragraphs in reading order."""
    import ebooklib
    from ebooklib import epub

    with warnings.catch_warnings():  # ebooklib warns about options it will change one day
        warnings.simplefilter("ignore")
        book = epub.read_epub(io.BytesIO(data), options={"ignore_ncx": True})
    blocks: list[Block] = []
    chapter = 0
    for item_id, _linear in book.spine:
        item = book.get_item_with_id(item_id)
        if item is None or item.get_type() != ebooklib.ITEM_DOCUMENT:
            continue
        if isinstance(item, epub.EpubNav):  # the table of contents, not the text
            continue
        found = _page_blocks(item.get_content())
        if not any(b.text.strip() for b in found):
            continue
        chapter += 1
        if found[0].label is None:
            found[0] = Block(found[0].text, label=f"chapter {chapter}")
        blocks.extend(found)
    titles = book.get_metadata("DC", "title")
    title = str(titles[0][0]) if titles else ""
    return title, blocks


def _page_blocks(content: bytes) -> list[Block]:
    import lxml.html

    root = lxml.html.document_fromstring(content)
    body = root.find("body")
    if body is None:
        body = root
    for junk in body.xpath("//script|//style"):
        junk.drop_tree()
    blocks: list[Block] = []
    for element in body.iter():
        tag = _local(element.tag)
        if tag not in _BLOCKS or any(_local(a.tag) in _BLOCKS for a in element.iterancestors()):
            continue
        if tag == "tr":
            cells = [" ".join(c.text_content().split()) for c in element if _is_cell(c)]
            text = " | ".join(c for c in cells if c)
        elif tag == "pre":
            text = element.text_content()
        else:  # line breaks in the markup are not breaks on the page
            text = " ".join(element.text_content().split())
        blocks.append(Block(text, label=text if tag in _HEADINGS else None))
    if not blocks:  # text straight in <div>s: one paragraph per line
        blocks = [Block(line) for line in body.text_content().splitlines()]
    return [b for b in blocks if b.text.strip()]


def _local(tag: Any) -> str:
    # Comments and processing instructions have a function for a tag; XHTML tags a namespace.
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _is_cell(element: Any) -> bool:
    return _local(element.tag) in ("td", "th")
