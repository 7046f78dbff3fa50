"""Features of the fitted reranker: how each candidate passage stands among a question's.

Score fusion weighs a passage's own figures (similarity, BM25, coverage...) the same way for
every question. The reranker (boosted trees in the answer model, fitted by
``benchmarks/answer_fit.py``) also sees how a candidate compares with the question's other
candidates, how its document does among them, and where it sits in its document, and
gives the probability that it holds the answer. :class:`qa.Bot` orders a hybrid search by
that probability when the model carries reranker trees.
"""

from __future__ import annotations

import numpy as np

#: Features of one candidate passage, in the order the reranker's trees read them.
RERANK_FEATURES = (
    "similarity",  # cosine of passage and question
    "keyword",  # BM25 over the question's best (0: not a keyword hit)
    "sentence",  # best cosine of one of its sentences
    "coverage",  # idf-weighted share of the question's terms it holds
    "heading",  # cosine of the heading it sits under (0: none)
    "similarity_below_best",  # the question's best similarity minus its own
    "keyword_below_best",
    "sentence_below_best",
    "coverage_below_best",
    "fused",  # the fitted score fusion
    "fused_below_best",
    "similarity_rank",  # log(1 + rank by similarity), rank from 0
    "keyword_rank",  # log(1 + rank by BM25)
    "fused_rank",  # log(1 + rank by the fused score)
    "keyword_hit",  # 1 when among the keyword side's best
    "unknown_share",  # weight of the question's terms no passage holds (one per question)
    "position",  # where the passage starts in its document, 0 (start) to 1 (end)
    "length",  # log(1 + characters)
    "document_below_best",  # best fused score of all minus its document's best
    "below_document_best",  # its document's best fused score minus its own
    "document_share",  # share of the candidates from its document
)

#: Monotone constraints of the fit, one per feature: more similarity, keyword score or
#: coverage never argues against a passage, a lower rank never for it (0: either way).
RERANK_MONOTONE = tuple(
    1
    if name in ("similarity", "keyword", "sentence", "coverage")
    else -1
    if name.endswith("_rank")
    else 0
    for name in RERANK_FEATURES
)


def _rank(values: np.ndarray) -> np.ndarray:
    # 0 for the highest; ties keep the candidates' order.
    order = np.lexsort((np.arange(len(values)), -values))
    rank = np.empty(len(values), dtype=np.float64)
    rank[order] = np.arange(len(values))
    return rank


def rerank_features(
    *,
    similarity: np.ndarray,
    keyword: np.ndarray,
    sentence: np.ndarray,
    coverage: np.ndarray,
    heading: np.ndarray,
    fused: np.ndarray,
    keyword_hit: np.ndarray,
    position: np.ndarray,
    length: np.ndarray,
    documents: np.ndarray,
    unknown_share: float,
) -> np.ndarray:
    """One row of :data:`RERANK_FEATURES` per candidate of one question; every argument but
    ``unknown_share`` has one value per candidate (``documents``: any label of the
    candidate's document, equal for passages of the same document)."""
    n = len(similarity)
    out = np.zeros((n, len(RERANK_FEATURES)), dtype=np.float64)
    if not n:
        return out
    columns = {
        "similarity": similarity,
        "keyword": keyword,
        "sentence": sentence,
        "coverage": coverage,
        "heading": heading,
        "fused": fused,
    }
    col = {name: i for i, name in enumerate(RERANK_FEATURES)}
    for name, values in columns.items():
        values = np.asarray(values, dtype=np.float64)
        out[:, col[name]] = values
        if f"{name}_below_best" in col:
            out[:, col[f"{name}_below_best"]] = values.max() - values
        if f"{name}_rank" in col:
            out[:, col[f"{name}_rank"]] = np.log1p(_rank(values))
    out[:, col["keyword_hit"]] = np.asarray(keyword_hit, dtype=np.float64)
    out[:, col["unknown_share"]] = unknown_share
    out[:, col["position"]] = position
    out[:, col["length"]] = np.log1p(np.asarray(length, dtype=np.float64))
    labels, doc = np.unique(np.asarray(documents), return_inverse=True)
    fused = np.asarray(fused, dtype=np.float64)
    doc_best = np.full(len(labels), -np.inf)
    np.maximum.at(doc_best, doc, fused)
    out[:, col["document_below_best"]] = fused.max() - doc_best[doc]
    out[:, col["below_document_best"]] = doc_best[doc] - fused
    out[:, col["document_share"]] = np.bincount(doc, minlength=len(labels))[doc] / n
    return out
