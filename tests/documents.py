"""Small real documents of every supported office format, written by the libraries people use.

Each maker writes a file at ``path`` whose text holds the facts in :data:`FACTS`, in the
place named there, so a test can ask for a fact and check the quote and its location.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

#: Per file name: (question, words the quote must hold, the location label it must carry).
FACTS: dict[str, tuple[str, str, str]] = {
    "harbour.docx": (
        "How many ships did the lighthouse keeper count during the storm?",
        "forty-two ships",
        "Chapter 2: The Storm, paragraph 1",
    ),
    "orchard.pptx": (
        "Which apples ripen first, in August?",
        "Discovery apples ripen first",
        "slide 3",
    ),
    "voyage.epub": (
        "What did the navigator use to find the island at night?",
        "brass sextant",
        "The Island, paragraph 2",
    ),
    "garden.odt": (
        "When are the tulip bulbs planted in the garden?",
        "tulip bulbs are planted in November",
        "Planting, paragraph 1",
    ),
    "recipe.rtf": (
        "How long does the sourdough rise overnight?",
        "rise for fourteen hours",
        "paragraph 3",
    ),
}


def make_docx(path: Path) -> None:
    """A Word file: a title, two headed chapters, a table."""
    import docx

    document = docx.Document()
    document.core_properties.title = "The Harbour"
    document.add_heading("The Harbour", level=0)
    document.add_heading("Chapter 1: The Keeper", level=1)
    document.add_paragraph("The keeper lived alone at the end of the northern pier.")
    document.add_paragraph("Every evening he lit the great lamp before the sun went down.")
    document.add_heading("Chapter 2: The Storm", level=1)
    document.add_paragraph(
        "On the night of the storm the lighthouse keeper counted forty-two ships "
        "sheltering in the harbour."
    )
    document.add_paragraph("By morning the wind had dropped and the ships sailed on.")
    table = document.add_table(rows=2, cols=2)
    for r, row in enumerate((("Ship", "Flag"), ("Albatross", "Norway"))):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.save(str(path))


def make_pptx(path: Path) -> None:
    """A slide deck of three slides with titles, bullets and speaker notes."""
    import pptx

    deck = pptx.Presentation()
    slides = (
        ("The Orchard", "A year among the apple trees"),
        ("Pruning", "Prune in winter while the trees are dormant.\nCut crossing branches."),
        ("Harvest", "Discovery apples ripen first, in August.\nBramley apples come last."),
    )
    for title, body in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
        slide.notes_slide.notes_text_frame.text = f"Say a word about {title.lower()}."
    deck.save(str(path))


def make_epub(path: Path) -> None:
    """An e-book of two chapters, with a table of contents."""
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("voyage-0001")
    book.set_title("The Voyage")
    book.set_language("en")
    book.add_author("A. Sailor")
    one = epub.EpubHtml(title="Departure", file_name="chap_01.xhtml", lang="en")
    one.content = (
        "<h1>Departure</h1><p>The ship left port on a grey morning in spring.</p>"
        "<p>The crew sang as they raised the sails.</p>"
    )
    two = epub.EpubHtml(title="The Island", file_name="chap_02.xhtml", lang="en")
    two.content = (
        "<h1>The Island</h1><p>Weeks passed with no land in sight.</p>"
        "<p>At night the navigator used a brass sextant and the stars to find the island.</p>"
        "<ul><li>Water</li><li>Fruit</li></ul>"
    )
    for chapter in (one, two):
        book.add_item(chapter)
    book.toc = (one, two)
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", one, two]
    epub.write_epub(str(path), book)


def make_odt(path: Path) -> None:
    """An OpenDocument text with headings, paragraphs and a list."""
    from odf.opendocument import OpenDocumentText
    from odf.text import H, List, ListItem, P

    document = OpenDocumentText()
    body = document.text
    body.addElement(H(outlinelevel=1, text="The Garden"))
    body.addElement(P(text="A small garden behind the house, facing south."))
    body.addElement(H(outlinelevel=2, text="Planting"))
    body.addElement(P(text="The tulip bulbs are planted in November, before the first frost."))
    bullets = List()
    for item in ("Spade", "Compost"):
        entry = ListItem()
        entry.addElement(P(text=item))
        bullets.addElement(entry)
    body.addElement(bullets)
    document.save(str(path))


def make_rtf(path: Path) -> None:
    """Rich Text Format written as markup, with an accented word and a bold run."""
    path.write_bytes(
        b"{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0 Times New Roman;}}\n"
        b"\\f0\\fs24 Country Sourdough\\par\n"
        b"Mix the flour, water and starter in the {\\b big} bowl.\\par\n"
        b"Let the dough rise for fourteen hours in a cool caf\\'e9 kitchen.\\par\n"
        b"Bake it hot.\\par\n}"
    )


MAKERS: dict[str, Callable[[Path], None]] = {
    "harbour.docx": make_docx,
    "orchard.pptx": make_pptx,
    "voyage.epub": make_epub,
    "garden.odt": make_odt,
    "recipe.rtf": make_rtf,
}


def make_scanned_pdf(path: Path, lines: list[str]) -> None:
    """A PDF whose only page is a picture of ``lines`` (no text layer), as a scanner makes."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=40)
    page = Image.new("RGB", (1240, 1754), "white")  # A4 at 150 dots per inch
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(lines):
        draw.text((110, 160 + 70 * i), line, fill="black", font=font)
    buffer = io.BytesIO()
    page.save(buffer, "PDF", resolution=150)
    path.write_bytes(buffer.getvalue())
