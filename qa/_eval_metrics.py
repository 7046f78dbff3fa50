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


#: Consecutive words a passage must share with an evidence paragraph to count as evidence:
#: a 128-token passage rarely holds a whole paragraph, and eight words in a row are rarely
#: shared by chance.
EVIDENCE_RUN = 8


def word_runs(text: str, length: int) -> set[tuple[str, ...]]:
    """Every run of ``length`` consecutive words of ``text`` (case and spacing ignored)."""
    words = normalise(text).split()
    return {tuple(words[i : i + length]) for i in range(len(words) - length + 1)}


def inside_any(text: str, texts: Sequence[str]) -> bool:
    """Whether ``text`` (not blank) lies wholly inside one of ``texts``, ignoring case and
    spacing."""
    needle = normalise(text)
    return bool(needle) and any(needle in normalise(t) for t in texts)


def is_evidence(passage: str, evidence: Sequence[str], *, run: int = EVIDENCE_RUN) -> bool:
    """Whether ``passage`` counts as evidence: it holds one of the ``evidence`` texts, or
    shares ``run`` consecutive words with one, or (shorter than ``run`` words) lies wholly
    inside one. Case and spacing are ignored."""
    if contains_any(passage, evidence):
        return True
    if len(normalise(passage).split()) < run:
        return inside_any(passage, evidence)
    runs = word_runs(passage, run)
    return any(not runs.isdisjoint(word_runs(e, run)) for e in evidence)
