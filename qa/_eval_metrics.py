"""Ranking metrics for one question, as used by BEIR/TREC: binary relevance, ranks from 1."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence


def first_hit(ranked: Sequence[str], relevant: Collection[str]) -> int | None:
    """Rank (from 1) of the first relevant item in ``ranked``, or None when there is none."""
    for rank, item in enumerate(ranked, start=1):
        if item in relevant:
            return rank
    return None


def recall_at(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Share of the relevant items found in the first ``k`` of ``ranked``."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]).intersection(relevant)) / len(relevant)


def reciprocal_rank_at(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """1/rank of the first relevant item within the first ``k``, else 0."""
    rank = first_hit(ranked[:k], relevant)
    return 1.0 / rank if rank is not None else 0.0


def ndcg_at(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Normalised discounted cumulative gain at ``k`` with binary gains."""
    if not relevant:
        return 0.0
    seen: set[str] = set()
    dcg = 0.0
    for rank, item in enumerate(ranked[:k], start=1):
        # A duplicate id earns nothing twice: callers pass distinct ids, this keeps it honest.
        if item in relevant and item not in seen:
            dcg += 1.0 / math.log2(rank + 1)
        seen.add(item)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(k, len(relevant)) + 1))
    return dcg / ideal


def distinct(items: Sequence[str]) -> list[str]:
    """``items`` without repeats, each kept at its best (first) rank."""
    seen: set[str] = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def normalise(text: str) -> str:
    """Lower case and single spaces, for matching answer strings inside quotes."""
    return " ".join(text.casefold().split())


def contains_any(text: str, needles: Sequence[str]) -> bool:
    """Whether ``text`` holds one of ``needles``, ignoring case and spacing."""
    hay = normalise(text)
    return any(normalise(n) in hay for n in needles if n.strip())
