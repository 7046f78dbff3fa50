"""Small PDF manuals written with fpdf2, laid out as printed manuals are.

The manual has a cover with its title, a contents page with dot leaders, a running head and
a page-number footer on every later page, prose wrapped at the end of lines with words
hyphenated there (and a compound whose hyphen falls at a line's end), and a page of two
columns whose lines are written across both columns in turn (left line, right line, ...),
so that only an extractor that reads the layout reads it column by column.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

NAME = "Quillmate"
RUNNING_HEAD = "Quillmate Reference Manual"
#: The sentences the questions should be answered with, as they read once mended.
WHAT_IS = (
    "Quillmate is a small library for the capture and manipulation of plain-text notes "
    "from the command line."
)
WHO_MAINTAINS = (
    "The Quillmate project is maintained by Ada Lovelace and the notes team at Example Labs."
)
WELL_KNOWN = "It is a well-known tool among people who keep their notes in Markdown files."
LEFT_COLUMN = (
    "Notes are stored one per file in a folder that the user chooses when the library is "
    "first set up on a new computer."
)
RIGHT_COLUMN = (
    "Exported notes keep their tags, so that a reader can search for them in the generated "
    "HTML pages of the whole collection."
)
CONTENTS = (
    ("1 Introduction", 3),
    ("2 Storage and export", 4),
    ("3 Configuration", 5),
)

_BODY = 11.0
_LEADING = 15.0
_LEFT = 72.0


def _page_furniture(pdf: FPDF, number: int, total: int) -> None:
    pdf.set_font("Helvetica", size=9)
    pdf.text(_LEFT, 40, RUNNING_HEAD)
    pdf.text(270, 810, f"Page {number} of {total}")


def _heading(pdf: FPDF, y: float, text: str) -> float:
    pdf.set_font("Helvetica", style="B", size=16)
    pdf.text(_LEFT, y, text)
    return y + 30


def _lines(pdf: FPDF, y: float, lines: list[str], x: float = _LEFT) -> float:
    pdf.set_font("Helvetica", size=_BODY)
    for line in lines:
        pdf.text(x, y, line)
        y += _LEADING
    return y + _LEADING  # a paragraph's gap


def write_manual(path: Path) -> Path:
    """Write the six-page manual to ``path`` and return it."""
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_title("")
    total = 5

    # 1: the cover.
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=32)
    pdf.text(_LEFT, 200, NAME)
    pdf.set_font("Helvetica", size=14)
    pdf.text(_LEFT, 240, "Notes from the command line, version 2.1")

    # 2: the contents, with dot leaders.
    pdf.add_page()
    _page_furniture(pdf, 2, total)
    y = _heading(pdf, 100, "Contents")
    pdf.set_font("Helvetica", size=_BODY)
    for title, page in CONTENTS:
        pdf.text(_LEFT, y, title + " " + ". " * (40 - len(title) // 2) + str(page))
        y += _LEADING

    # 3: prose, hyphenated at the ends of lines.
    pdf.add_page()
    _page_furniture(pdf, 3, total)
    y = _heading(pdf, 100, "1 Introduction")
    y = _lines(
        pdf,
        y,
        [
            "Quillmate is a small library for the capture and manip-",
            "ulation of plain-text notes from the command line. It is a well-",
            "known tool among people who keep their notes in Markdown files.",
        ],
    )
    y = _lines(
        pdf,
        y,
        [
            "The Quillmate project is maintained by Ada Lovelace and the notes",
            "team at Example Labs. New versions are announced on the project's",
            "mailing list, and the call quill_note_",
            "open() reads a note from its file.",
        ],
    )

    # 4: two columns, written across both in turn.
    pdf.add_page()
    _page_furniture(pdf, 4, total)
    y = _heading(pdf, 100, "2 Storage and export")
    left = [
        "Notes are stored one per file in a",
        "folder that the user chooses when the",
        "library is first set up on a new com-",
        "puter. Each file is named after the",
        "date and title of its note.",
    ]
    right = [
        "Exported notes keep their tags, so",
        "that a reader can search for them in",
        "the generated HTML pages of the",
        "whole collection. Export runs in the",
        "background while notes are edited.",
    ]
    pdf.set_font("Helvetica", size=_BODY)
    for n, (a, b) in enumerate(zip(left, right, strict=True)):
        pdf.text(_LEFT, y + n * _LEADING, a)
        pdf.text(320, y + n * _LEADING, b)

    # 5: more prose, so the running head repeats on several pages.
    pdf.add_page()
    _page_furniture(pdf, 5, total)
    y = _heading(pdf, 100, "3 Configuration")
    _lines(
        pdf,
        y,
        [
            "Settings are read from a file in the user's home folder when the",
            "program starts, and each setting may be overridden on the command",
            "line for a single run.",
        ],
    )
    pdf.output(str(path))
    return path
