"""Finding the text worth indexing: paragraphs of content, without menus, link lists and footers.

HTML is cleaned by the extractor before it gets here. Plain text saved from a web page still
carries the site's navigation, "related" lists and footer; they are recognised by their shape:
runs of short lines without sentence punctuation, bulleted link lists, blocks repeated in the
document. The title, byline, date and an "Authors" block are kept, since people ask about them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

Span = tuple[int, int]

_BULLET = re.compile(r"^[\u2022\u00b7\u25aa\u2023\u25e6*\-\u2013\u2014>|+]\s")
# A sentence ends at the end of the line, or mid-line before a capitalised word.
_SENTENCE_END = re.compile(
    r"[.!?][\"'\u201d\u2019)\]]*$|[.!?][\"'\u201d\u2019)\]]*\s+[\"'\u201c\u2018(]?[A-Z0-9]"
)
_AUTHOR_HEADING = re.compile(r"^(authors?|written by|about the authors?|by)\b\W*$", re.IGNORECASE)
_BYLINE = re.compile(r"^by\s+\S", re.IGNORECASE)


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    text: str  # stripped

    @property
    def words(self) -> int:
        return len(self.text.split())

    @property
    def blank(self) -> bool:
        return not self.text

    @property
    def bullet(self) -> bool:
        return bool(_BULLET.match(self.text))

    @property
    def prose(self) -> bool:
        # A line of running text: several words and sentence punctuation, or simply long;
        # headlines (mostly capitalised words) are not running text even with a "?".
        words = self.text.split()
        n = len(words)
        if self.bullet or n < 8:
            return False
        capitalised = sum(1 for w in words if w[:1].isupper()) / n
        return capitalised < 0.5 and (n >= 25 or bool(_SENTENCE_END.search(self.text)))


def _lines(text: str) -> list[_Line]:
    lines = []
    pos = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        lead = len(raw) - len(raw.lstrip())
        start = pos + lead
        lines.append(_Line(start, start + len(stripped), stripped))
        pos += len(raw) + 1
    return lines


def content_paragraphs(text: str, *, kind: str) -> list[Span]:
    """Character spans of the paragraphs to index, in document order.

    A paragraph is a run of kept, non-blank lines; each span is trimmed of surrounding space.
    """
    lines = _lines(text)
    # Markdown, extracted HTML and PDF text are content already: only blank lines go.
    keep = _keep_plain_text(lines) if kind == "text" else [not line.blank for line in lines]
    spans: list[Span] = []
    current: Span | None = None
    for line, kept in zip(lines, keep, strict=True):
        if kept and not line.blank:
            current = (current[0], line.end) if current else (line.start, line.end)
        elif current is not None:
            spans.append(current)
            current = None
    if current is not None:
        spans.append(current)
    return spans


def _keep_plain_text(lines: list[_Line]) -> list[bool]:
    counts = Counter(line.text.casefold() for line in lines if not line.blank)
    repeated = [not line.blank and counts[line.text.casefold()] > 1 for line in lines]
    prose_at = [i for i, line in enumerate(lines) if line.prose]
    if not prose_at:
        # No running text at all (a list, a note): keep what is not repeated navigation.
        keep = [not line.blank and not rep for line, rep in zip(lines, repeated, strict=True)]
        return keep if any(keep) else [not line.blank for line in lines]

    first, last = prose_at[0], prose_at[-1]
    keep = [False] * len(lines)
    # The body: everything from the first to the last paragraph of running text (subheadings
    # and lists inside an article are content), except lines repeated elsewhere.
    for i in range(first, last + 1):
        keep[i] = not lines[i].blank and not repeated[i]
    _keep_header(lines, repeated, first, keep)
    _keep_title(lines, repeated, first, keep)
    _keep_author_blocks(lines, last, keep)
    # Text that is all repeated (one paragraph pasted many times) is content, not a menu.
    return keep if any(keep) else [not line.blank for line in lines]


def _keep_header(lines: list[_Line], repeated: list[bool], first: int, keep: list[bool]) -> None:
    # Title, byline and date sit just above the first paragraph, after the menus. The
    # author's name may be repeated further down, so a repeated line ends the header only
    # when it sits in a block of repeated lines (a menu printed twice).
    taken = 0
    i = first - 1
    previous_repeated = False
    while i >= 0 and taken < 6:
        line = lines[i]
        if not line.blank:
            if line.bullet or line.words > 25 or (repeated[i] and previous_repeated):
                break
            if repeated[i] and i > 0 and repeated[i - 1]:
                break
            keep[i] = True
            taken += 1
            previous_repeated = repeated[i]
        i -= 1


def _keep_title(lines: list[_Line], repeated: list[bool], first: int, keep: list[bool]) -> None:
    # The first line of a saved page is usually its title.
    for i, line in enumerate(lines[:first]):
        if not line.blank:
            if not line.bullet and not repeated[i] and line.words <= 25:
                keep[i] = True
            return


def _keep_author_blocks(lines: list[_Line], last: int, keep: list[bool]) -> None:
    # Below the article, an "Authors" heading introduces who wrote it and their affiliation.
    i = last + 1
    while i < len(lines):
        line = lines[i]
        if _AUTHOR_HEADING.match(line.text) or (_BYLINE.match(line.text) and line.words <= 8):
            keep[i] = True
            j = i + 1
            while j < len(lines) and lines[j].blank:
                j += 1
            block = 0
            while j < len(lines) and not lines[j].blank and block < 4:
                keep[j] = True
                j += 1
                block += 1
            i = j
        else:
            i += 1
