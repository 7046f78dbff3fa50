"""What kind of answer a question asks for, and whether a sentence holds one.

Only kinds that show on the surface of a sentence are recognised: a time ("When...?",
"In what year...?") wants a year, a century, a decade or a month; a quantity ("How many...?",
"What percentage...?") wants a number, written in digits or words. A sentence that repeats
the question's words but holds no such token rarely answers it. Questions of other kinds, and
questions in other languages, get no expectation (``None``) and so no bonus.
"""

from __future__ import annotations

import re
from typing import Literal

Kind = Literal["time", "quantity"]

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


def expected_kind(question: str) -> Kind | None:
    """The kind of answer ``question`` asks for, when its wording says so."""
    if _TIME_QUESTION.search(question):
        return "time"
    if _QUANTITY_QUESTION.search(question):
        return "quantity"
    return None


def holds_kind(kind: Kind, sentence: str) -> bool:
    """Whether ``sentence`` holds a token of that kind (a year, a number...)."""
    pattern = _TIME_ANSWER if kind == "time" else _QUANTITY_ANSWER
    return pattern.search(sentence) is not None
