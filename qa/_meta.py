"""Questions about a document itself: who wrote it, when, under what title.

Such questions share few words and little meaning with the header that answers them ("Who
wrote the commentary?" against "Luigi Martino / 07 September 2021"), so similarity alone
refuses them. A question of this kind that refers to the document ("the article", "the
author") is answered from the byline, dateline or title line of the best passages, found by
their shape; a question about anything else ("Who wrote Hamlet?") is left to the usual rule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from index.parts import terms

from ._types import Passage

_DOC = (
    r"(commentary|article|document|paper|text|page|report|post|piece|essay|analysis|"
    r"publication|note|op-ed|blog|study|brief|story)"
)
_THIS_DOC = re.compile(rf"\b(this|the|that)\s+{_DOC}\b", re.IGNORECASE)
_AUTHOR = re.compile(r"\b(authors?|writers?)\b", re.IGNORECASE)
# "the author of Hamlet", "the text of the treaty": about another work, unless what follows
# "of" is this document ("the author of the article").
_OF_OTHER = re.compile(rf"\s+of\s+(?!(this|the|that)\s+{_DOC}\b)\S", re.IGNORECASE)
# What a work is called, who made it, when: "the author of", "the text of", "the date of".
_OF_WHAT = re.compile(r"\b(authors?|writers?|text|title|publisher|date)\b", re.IGNORECASE)
#: Words a question about the document itself uses; what is left is what else it asks.
_META_WORDS = re.compile(
    rf"\b(who|when|what|which|is|was|were|the|this|that|a|an|of|by|did|does|do|it|its|name|"
    rf"wrote|write|written|writes|authored|authors?|writers?|published|publish|posted|"
    rf"released|dated|date|appear(ed)?|come|came|out|publication|release|title|titled|"
    rf"headline|called|{_DOC[1:-1]})\b",
    re.IGNORECASE,
)
_KINDS = (
    (
        "author",
        re.compile(
            r"\bwho\b.*\b(wrote|write|written|authored|author|by)\b|\bauthor|"
            r"\bwriter\b|\bwritten by\b",
            re.IGNORECASE,
        ),
    ),
    (
        "date",
        re.compile(
            r"\bwhen\b.*\b(published|written|posted|released|dated|wrote|"
            r"appear|come out)|\b(publication|release)\s+date\b|\bwhat\s+date\b|"
            r"\bdate\s+of\b",
            re.IGNORECASE,
        ),
    ),
    ("title", re.compile(r"\b(title|headline)\b|\bwhat\s+is\s+.*\bcalled\b", re.IGNORECASE)),
)
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(
    rf"\b\d{{1,2}}(st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}\b|\b{_MONTH}\s+\d{{1,2}}(st|nd|rd|th)?,?"
    rf"\s+\d{{4}}\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b",
    re.IGNORECASE,
)
_NAME_WORD = re.compile(r"^([A-Z][\w'\u2019.-]*|de|del|der|di|da|van|von|al-\w+|bin|le|la)$")
_AUTHOR_HEADING = re.compile(r"^(authors?|written by|about the authors?)\W*$", re.IGNORECASE)


@dataclass(frozen=True)
class MetaLine:
    """A header line that answers: the passage it is in and its span in the document."""

    passage: int
    start: int
    end: int


def metadata_kind(question: str) -> str | None:
    """``"author"``, ``"date"`` or ``"title"`` for a question about the document itself."""
    if not _refers(question):
        return None
    for kind, pattern in _KINDS:
        if pattern.search(question):
            return kind
    return None


def about_other_work(question: str) -> bool:
    """Whether the question asks who wrote, or what is the text, title or date of, a work
    other than this document ("Who is the author of Hamlet?")."""
    return any(_OF_OTHER.match(question, m.end()) for m in _OF_WHAT.finditer(question))


def residual_terms(question: str) -> list[str]:
    """The question's words beyond those of asking who wrote this, when or under what title:
    "Who wrote the article on cyber norms?" leaves "cyber norms"."""
    return terms(_META_WORDS.sub(" ", question))


def _refers(question: str) -> bool:
    # The question names this document ("the article", "the author"), not another work.
    for pattern in (_THIS_DOC, _AUTHOR):
        for match in pattern.finditer(question):
            if not _OF_OTHER.match(question, match.end()):
                return True
    return False


Line = tuple[int, int, str]  # start, end (document offsets) and text of one line


def metadata_line(kind: str, groups: Sequence[tuple[int, list[Line]]]) -> MetaLine | None:
    """The first byline, dateline or title line in ``groups`` of (passage position, lines)."""
    for pos, lines in groups:
        for i, (start, end, text) in enumerate(lines):
            if _matches(kind, lines, i, text):
                return MetaLine(pos, start, end)
    return None


def passage_lines(passage: Passage) -> list[Line]:
    """The non-blank lines of a passage, with document offsets."""
    out = []
    offset = passage.start
    for raw in passage.text.split("\n"):
        stripped = raw.strip()
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            out.append((offset + lead, offset + lead + len(stripped), stripped))
        offset += len(raw) + 1
    return out


def _is_date(text: str) -> bool:
    return len(text.split()) <= 8 and bool(_DATE.search(text))


def _is_name(text: str) -> bool:
    words = text.removeprefix("By ").removeprefix("by ").split()
    return (
        2 <= len(words) <= 4
        and not any(c.isdigit() for c in text)
        and not text.endswith(("?", ".", ":", "!"))
        and all(_NAME_WORD.match(w.strip(",")) for w in words)
    )


def _matches(kind: str, lines: Sequence[Line], i: int, text: str) -> bool:
    near = [t for _, _, t in lines[max(0, i - 2) : i + 3] if t != text]
    if kind == "date":
        return _is_date(text)
    if kind == "author":
        # A name-shaped line counts next to a dateline, under an "Authors" heading or
        # after "By": a two-word heading elsewhere in the text is not a byline.
        previous = lines[i - 1][2] if i > 0 else ""
        return _is_name(text) and (
            text.lower().startswith("by ")
            or bool(_AUTHOR_HEADING.match(previous))
            or any(_is_date(t) for t in near)
        )
    if kind == "title":
        # The title sits just above the byline or dateline.
        following = lines[i + 1][2] if i + 1 < len(lines) else ""
        return (
            2 <= len(text.split()) <= 20
            and not text.endswith(".")  # a sentence, not a title
            and not _is_date(text)
            and not _is_name(text)
            and (_is_date(following) or _is_name(following))
        )
    return False
