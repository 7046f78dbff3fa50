"""Result types: small frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Passage:
    """A retrieved passage: ``document(source)[start:end] == text``."""

    text: str
    source: str
    start: int
    end: int
    score: float  # ranking score, higher is better, compared within one question (hybrid: 0..1)
    similarity: float  # cosine similarity of the passage to the question, -1..1
    location: str  # human-readable place in the source: "line 93" or "page 4"


@dataclass(frozen=True)
class Quote:
    """An exact quotation: ``document(source)[start:end] == text``."""

    text: str
    source: str
    start: int
    end: int
    score: float  # how well the sentence answers the question, 0..1
    location: str
    passage: int  # index into ``Answer.passages`` of the passage it was taken from


@dataclass(frozen=True)
class Answer:
    """The answer to a question: quotes when ``found``, else only the closest passages."""

    question: str
    found: bool
    quotes: tuple[Quote, ...]
    passages: tuple[Passage, ...]
    confidence: float  # the best passage's similarity, compared with the threshold
    #: For a follow-up question: the text it was searched as, with the earlier questions it
    #: leans on (None: searched as asked).
    searched_as: str | None = None
