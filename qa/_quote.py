"""Choosing the sentences to quote from the candidates the answer model has scored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from index import Document

from ._evidence import TermWeights, is_heading, term_set


@dataclass(frozen=True)
class QuoteOptions:
    """Where quotes may come from and how many an answer carries."""

    passages: int = 3  # how many of the best passages quotes may come from
    max_quotes: int = 2
    #: A second quote must score within this much of the first (the model's scores are
    #: log-odds, so 0.5 means at least 60% as likely to be the sentence to quote).
    second_quote_margin: float = 0.5
    #: ... or, from another document and covering question terms the first does not, within
    #: this much: an answer spread over two documents quotes both.
    other_document_margin: float = 1.5


@dataclass(frozen=True)
class Candidate:
    """A scored sentence: passage position in the answer, document, span, scores."""

    passage: int
    document: Document
    start: int
    end: int
    score: float  # the answer model's sentence score (log-odds scale)
    probability: float  # share of the candidates' softmax: the chance it is the one (0..1)
    similarity: float  # cosine of sentence and question
    overlap: float  # idf-weighted share of the question's terms in the sentence
    question_like: bool  # a short sentence that is itself a question (a heading)

    @property
    def text(self) -> str:
        """The sentence as written."""
        return self.document.text[self.start : self.end]


def pick_quotes(
    candidates: Sequence[Candidate], options: QuoteOptions, *, weights: TermWeights
) -> list[Candidate]:
    """The best sentence, plus another close in score, or one from another document that
    covers a part of the question the first leaves out.

    A short sentence that is itself a question (a heading such as "Can X be governed?")
    repeats the question rather than answering it, and a heading or title (see
    :func:`is_title`) names a subject without saying anything of it, so either is quoted
    only when nothing else is left; a long sentence ending in a question can still carry
    the answer.
    """
    statements = [c for c in candidates if not c.question_like and not is_title(c)]
    pool = statements or list(candidates)
    if not pool:
        return []
    best = pool[0]
    chosen = [best]
    covered = weights.weights.keys() & term_set(best.text)
    for other in pool[1:]:
        if len(chosen) >= options.max_quotes:
            break
        gap = best.score - other.score
        if gap <= options.second_quote_margin:
            chosen.append(other)
            continue
        if gap > options.other_document_margin:
            break
        if other.document.source != best.document.source:
            adds = (weights.weights.keys() & term_set(other.text)) - covered
            if sum(weights.weights[t] for t in adds) >= 0.2 * weights.total:
                chosen.append(other)
    return chosen


def is_title(candidate: Candidate) -> bool:
    """A sentence that is a whole paragraph reading as a heading: a document's title
    ("Libtasn1"), a section heading or a running head."""
    text = candidate.document.text
    before = text[: candidate.start].rstrip(" \t")
    after = text[candidate.end :].lstrip(" \t")
    alone = (not before or before.endswith("\n\n")) and (not after or after.startswith("\n\n"))
    return alone and is_heading(candidate.text)
