"""What kind of answer a question asks for, and whether a sentence holds one.

Only kinds that show on the surface of a sentence are recognised: a time ("When...?",
"In what year...?") wants a year, a century, a decade or a month; a quantity ("How many...?",
"What percentage...?") wants a number, written in digits or words; a definition ("What is
libtasn1?", "Who was Ada Lovelace?") wants a sentence that says what its subject is ("X is a
...", "X, the ...", "X (...), which is a ..."). A sentence that repeats the question's words
but holds no such token rarely answers it. Questions of other kinds, and questions in other
languages, get no expectation (``None``) and so no bonus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["time", "quantity", "definition"]

_TIME_QUESTION = re.compile(
    r"^\s*when\b|\bwhen\s+(?:did|was|were|is|are|does|do|will|would|had|has|have|could)\b"
    r"|\b(?:what|which)\s+(?:year|years|century|decade|date|month|day|era|period)\b",
    re.IGNORECASE,
)
_QUANTITY_QUESTION = re.compile(
    r"\bhow\s+(?:many|much|long|old|far|large|big|tall|high|often|fast|deep|wide|heavy)\b"
    r"|\bwhat\s+(?:percentage|percent|proportion|number|amount|fraction|share|size|age"
    r"|population|temperature|speed|distance)\b",
    re.IGNORECASE,
)
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_TIME_ANSWER = re.compile(
    rf"\b(?:1\d{{3}}|20\d{{2}}|\d{{1,2}}(?:st|nd|rd|th)\s+century|\d{{2,4}}s)\b"
    rf"|\b(?:{_MONTHS})\b|\bcentur(?:y|ies)\b"
)
_QUANTITY_ANSWER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen"
    r"|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty"
    r"|sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|trillions?"
    r"|dozens?|half|percent|several)\b",
    re.IGNORECASE,
)


# "What is X?" / "Who were X?" and nothing more: X is what the answer defines. Longer
# subjects ("the name of the ship that...") ask for something else than a definition.
_DEFINITION_QUESTION = re.compile(
    r"^\s*(?:what|who)\s+(?:is|are|was|were)\s+(?:(?:an?|the)\s+)?(?P<subject>[^?]+?)\s*\??\s*$",
    re.IGNORECASE,
)
_NOT_A_SUBJECT = frozenset(
    [
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "they",
        "them",
        "he",
        "she",
        "him",
        "her",
        "you",
        "we",
        "us",
        "i",
        "me",
        "there",
        "here",
    ]
)
_POSSESSIVES = frozenset(["their", "our", "his", "her", "its", "your", "my"])
_MAX_SUBJECT_WORDS = 4
# What follows the subject in a defining sentence: a copula with an article, or an apposition.
_DEFINES = (
    r"(?:(?!\.\s).){0,80}?\b(?:is|are|was|were)\s+(?:also\s+)?(?:an?|the|one)\b"
    r"|(?:(?!\.\s).){0,80}?\b(?:refers?\s+to|means|stands\s+for|denotes)\b"
    r"|\s*(?:\([^)]*\)\s*)?,\s*(?:an?|the)\s"
)


@dataclass(frozen=True)
class Expectation:
    """What a question's answer must hold: its kind and, for a definition, the subject."""

    kind: Kind
    subject: str = ""

    def held_by(self, sentence: str) -> bool:
        """Whether ``sentence`` holds an answer of this kind."""
        if self.kind == "definition":
            words = r"\s+".join(re.escape(w) for w in self.subject.split())
            pattern = rf"\b{words}\b(?:{_DEFINES})"
            return re.search(pattern, sentence, re.IGNORECASE) is not None
        return holds_kind(self.kind, sentence)


def expectation(question: str) -> Expectation | None:
    """What ``question``'s answer must hold, when its wording says so."""
    kind = expected_kind(question)
    if kind is not None:
        return Expectation(kind)
    match = _DEFINITION_QUESTION.match(question)
    if match is None:
        return None
    words = match.group("subject").strip(" \"'\u201c\u201d").split()
    if words and words[0].casefold() in _POSSESSIVES:  # "their baseline": "baseline"
        words = words[1:]
    if (
        not words
        or len(words) > _MAX_SUBJECT_WORDS
        or words[0].casefold() in _NOT_A_SUBJECT
        or any(w.casefold() in ("of", "for", "in", "on", "to") for w in words)
    ):
        return None
    return Expectation("definition", " ".join(words))


def expected_kind(question: str) -> Kind | None:
    """The kind of time or quantity answer ``question`` asks for, when its wording says so."""
    if _TIME_QUESTION.search(question):
        return "time"
    if _QUANTITY_QUESTION.search(question):
        return "quantity"
    return None


def holds_kind(kind: Kind, sentence: str) -> bool:
    """Whether ``sentence`` holds a token of a time or quantity kind (a year, a number...)."""
    pattern = _TIME_ANSWER if kind == "time" else _QUANTITY_ANSWER
    return pattern.search(sentence) is not None
