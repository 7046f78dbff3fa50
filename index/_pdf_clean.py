"""Turning printed pages into the text to index: no running heads, no contents, whole words.

Works on plain page text (paragraphs split by blank lines, lines as printed), so pages read
by OCR are cleaned the same way as pages with a text layer:

* running headers and footers are recognised by repetition: a line near the top or bottom
  of several pages, page numbers allowed to vary (digits compare equal), and bare page
  numbers ("12", "iv", "Page 3 of 9") near the top or bottom of any page;
* table-of-contents lines (a title, dot leaders, a page number) are dropped;
* a paragraph's lines are joined: wrapped prose with a space, a word hyphenated at the end
  of a line mended ("manip-" + "ulation" -> "manipulation") unless it is a compound that
  keeps its hyphen ("well-" + "known" -> "well-known"), an identifier broken after "_" or
  "/" joined without a space. Lines that end a sentence, end short of the paragraph's width
  (code, addresses) or precede a list item keep their line break.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

#: Lines this close to the top or bottom of a page may be running heads or page numbers.
EDGE_LINES = 3
_PAGE_NUMBER = re.compile(
    r"^(page\s+)?(\d{1,4}|[ivxlcdm]{1,7})(\s*(/|of)\s*\d{1,4})?$|^[-\u2013\u2014]\s*\d{1,4}\s*[-\u2013\u2014]$",
    re.IGNORECASE,
)
#: A contents line: dot leaders (". . . ." or "....") then a page number.
_TOC_LINE = re.compile(r"(?:\.\s?){4,}\s*(\d{1,4}|[ivxlcdm]{1,7})\s*$", re.IGNORECASE)
_CONTENTS_HEADING = re.compile(r"^(table of )?contents$", re.IGNORECASE)
#: On a contents page, a line of section numbers only (pdfminer may read them apart).
_NUMBERS_ONLY = re.compile(r"^(?:(?:[A-Z]|\d{1,3})(?:\.\d{1,3})*\.?\s*)+$")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_HYPHENATED_END = re.compile(r"([^\W\d_]+)[-\u00ad]$")
_WORD_START = re.compile(r"[^\W\d_]+")
_LIST_ITEM = re.compile(
    r"^([\u2022\u00b7\u25aa\u2023\u25e6*\-\u2013\u2014+>]|\d{1,3}[.)]|\([a-z0-9]\))\s"
)
_SENTENCE_END = re.compile(r"[.!?:;][\"'\u201d\u2019)\]]*$")
#: A line shorter than this share of its paragraph's longest line ended early on purpose.
SHORT_LINE = 0.6


@dataclass(frozen=True)
class _Vocabulary:
    words: frozenset[str]  # every word the document writes whole (lower case)
    compounds: frozenset[str]  # hyphenated words it writes within a line ("well-known")


def clean_pages(pages: Sequence[str]) -> list[str]:
    """Each page's text without running heads, page numbers and contents lines, its
    paragraphs' lines joined and hyphenated words mended; paragraphs stay split by blank
    lines, and a page stays a page (an emptied page is "")."""
    split = [_paragraphs(page) for page in pages]
    running = _running_lines(split)
    cover = _cover_title(split, running)
    kept: list[list[list[str]]] = []
    for number, paragraphs in enumerate(split):
        edges = _edge_positions(paragraphs)
        toc = sum(1 for p in paragraphs for line in p if _TOC_LINE.search(line)) >= 3
        page: list[list[str]] = []
        for n, paragraph in enumerate(paragraphs):
            lines = [
                line
                for m, line in enumerate(paragraph)
                if (number, n, m) == cover
                or not (
                    ((n, m) in edges and (_running(line, running) or _PAGE_NUMBER.match(line)))
                    or _TOC_LINE.search(line)
                    or (toc and (_CONTENTS_HEADING.match(line) or _NUMBERS_ONLY.match(line)))
                )
            ]
            if lines:
                page.append(lines)
        kept.append(page)
    vocabulary = _vocabulary(kept)
    return ["\n\n".join(_join(p, vocabulary) for p in page) for page in kept]


def _paragraphs(page: str) -> list[list[str]]:
    text = page.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for block in re.split(r"\n\s*\n", text):
        lines = [" ".join(line.split()) for line in block.split("\n")]
        lines = [line for line in lines if line]
        if lines:
            out.append(lines)
    return out


def _edge_positions(paragraphs: list[list[str]]) -> set[tuple[int, int]]:
    # (paragraph, line) of the first and last few lines of a page.
    where = [(n, m) for n, p in enumerate(paragraphs) for m in range(len(p))]
    return set(where[:EDGE_LINES]) | set(where[-EDGE_LINES:])


def _keys(line: str) -> tuple[str, ...]:
    # Running heads compare with their page numbers (and chapter numbers) made equal; a
    # numbered head that changes with the chapter ("Chapter 2: Usage") also by its first
    # word and number.
    key = re.sub(r"\d+", "#", line.casefold())
    first = key.split()[0]
    if "#" in key and first.isalpha():
        return key, f"{first} #..."
    return (key,)


def _running_lines(pages: list[list[list[str]]]) -> set[str]:
    counts: Counter[str] = Counter()
    for paragraphs in pages:
        edges = _edge_positions(paragraphs)
        counts.update({k for n, m in edges for k in _keys(paragraphs[n][m])})
    # On at least three pages, or on half of a short document's pages (two at least).
    least = min(3, max(2, (len(pages) + 1) // 2))
    return {key for key, count in counts.items() if count >= least}


def _running(line: str, running: set[str]) -> bool:
    return any(k in running for k in _keys(line))


def _cover_title(pages: list[list[list[str]]], running: set[str]) -> tuple[int, int, int] | None:
    # A running head that is also the document's first line is its title on the cover:
    # kept there (as a heading paragraph of its own, it is never quoted as an answer).
    if not pages or not pages[0] or len(pages[0][0]) != 1:
        return None
    return (0, 0, 0) if _running(pages[0][0][0], running) else None


def _vocabulary(pages: list[list[list[str]]]) -> _Vocabulary:
    words: set[str] = set()
    compounds: set[str] = set()
    for page in pages:
        for paragraph in page:
            broken = False
            for line in paragraph:
                found = _WORD.findall(line.casefold())
                if found and broken:
                    found = found[1:]  # the rest of a word broken on the line before
                broken = line.endswith(("-", "\u00ad"))
                if found and broken:
                    found = found[:-1]  # the broken word at the end is not written whole
                for word in found:
                    if "-" in word:
                        compounds.add(word)
                        words.update(word.split("-"))
                    else:
                        words.add(word)
    return _Vocabulary(frozenset(words), frozenset(compounds))


@lru_cache(maxsize=1)
def _dictionary() -> frozenset[str]:
    # English words with their frequencies, from pyspellchecker's shipped list (no network).
    from spellchecker import SpellChecker

    return frozenset(SpellChecker(language="en", distance=1).word_frequency.keys())


def keeps_hyphen(first: str, second: str, vocabulary: _Vocabulary | None = None) -> bool:
    """Whether ``first-`` at the end of a line and ``second`` at the start of the next are a
    hyphenated compound ("well-known") rather than one word broken by hyphenation.

    The document's own spelling decides first (the word written whole, or the compound
    written with its hyphen, elsewhere); then an English word list: a known whole word is
    joined, two known words keep the hyphen, anything else is joined.
    """
    joined = (first + second).casefold()
    compound = f"{first}-{second}".casefold()
    if vocabulary is not None:
        if joined in vocabulary.words and compound not in vocabulary.compounds:
            return False
        if compound in vocabulary.compounds:
            return True
    words = _dictionary()
    if joined in words:
        return False
    return (
        len(first) > 1
        and len(second) > 1
        and first.casefold() in words
        and (second.casefold() in words)
    )


def _join(lines: list[str], vocabulary: _Vocabulary) -> str:
    widest = max(len(line) for line in lines)
    out = lines[0]
    for prev, line in itertools.pairwise(lines):
        hyphen = _HYPHENATED_END.search(prev)
        start = _WORD_START.match(line)
        caps = hyphen and start and hyphen.group(1).isupper() and start.group().isupper()
        if hyphen and start and (line[0].islower() or caps):
            if prev.endswith("\u00ad") or not keeps_hyphen(
                hyphen.group(1), start.group(), vocabulary
            ):
                out = out[:-1]
            out += line
        elif prev.endswith("_") or (
            prev.endswith("/") and not prev.endswith(" /") and len(prev) >= SHORT_LINE * widest
        ):
            out += line  # an identifier or path broken where the typesetter could
        elif (
            _SENTENCE_END.search(prev) or _LIST_ITEM.match(line) or len(prev) < SHORT_LINE * widest
        ):
            out += "\n" + line
        else:
            out += " " + line
    return out
