"""The trade-off a threshold moves along: questions refused against answers that are wrong."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._eval import QuestionResult


@dataclass(frozen=True)
class TradeoffRow:
    """At one threshold: how many questions are refused, and how many answers are wrong."""

    threshold: float
    refused: float  # share of all questions answered "not in the documents"
    refused_answerable: float  # share of answerable questions refused
    wrong: float  # share of the answers given that are wrong (unanswerable, or wrong quote)


def _wrong(result: QuestionResult) -> bool:
    if result.unanswerable:
        return True
    right = result.quote_in_evidence
    if right is None:
        right = result.quote_correct
    if right is None:  # no gold text: a relevant document first is the best we know
        right = result.rank == 1
    return not right


def tradeoff(results: Sequence[QuestionResult], thresholds: Sequence[float]) -> list[TradeoffRow]:
    """Share refused against share wrong at each threshold, from questions asked with
    their confidence recorded (and every threshold open)."""
    if not results:
        return []
    answerable = [r for r in results if not r.unanswerable]
    rows = []
    for t in thresholds:
        answered = [r for r in results if r.confidence >= t]
        rows.append(
            TradeoffRow(
                threshold=float(t),
                refused=1.0 - len(answered) / len(results),
                refused_answerable=(
                    sum(r.confidence < t for r in answerable) / len(answerable)
                    if answerable
                    else 0.0
                ),
                wrong=sum(_wrong(r) for r in answered) / len(answered) if answered else 0.0,
            )
        )
    return rows
