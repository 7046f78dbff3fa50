"""Fusing the dense and keyword rankings: by score (the default) or by reciprocal rank."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FusionOptions:
    """How dense and keyword rankings are combined."""

    # Score fusion beat every reciprocal-rank setting tried (docs/QUALITY.md); its weights
    # come from the fitted answer model unless given here.
    rrf_k: float = 60.0  # rank constant of "rrf": larger flattens the gap between ranks
    depth: int = 20  # candidates taken from each ranking
    dense_weight: float = 1.0  # "rrf" only
    #: Weight of BM25 / best BM25 (None: the answer model's).
    keyword_weight: float | None = None
    #: Weight of the passage's best sentence similarity (None: the answer model's).
    sentence_weight: float | None = None
    #: Weight of the passage's idf-weighted coverage of the question (None: the model's).
    coverage_weight: float | None = None
    #: Weight of the similarity of the heading the passage sits under (None: the model's).
    heading_weight: float | None = None
    #: "score": similarity + keyword weight x BM25 / best BM25 + sentence weight x best
    #: sentence similarity + coverage weight x coverage (magnitudes kept); "rrf": weighted
    #: reciprocal ranks.
    method: str = "score"
    #: Order a "score" fusion by the answer model's reranker, when it has one (False: by the
    #: fused score alone).
    rerank: bool = True


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[int]], *, weights: Sequence[float], k: float
) -> list[tuple[int, float]]:
    """Fuse best-first lists of ids into ``(id, score)`` pairs, best first.

    Each list adds ``weight / (k + rank)`` (rank counted from 1) to the ids it holds; ties
    keep the order in which ids were first seen, so the result is deterministic.
    """
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    order = {item: i for i, item in enumerate(scores)}
    return sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]]))
