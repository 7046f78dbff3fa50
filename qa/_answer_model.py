"""The fitted answer model: how passages are ranked, which sentence is quoted, when to refuse.

Three small parts, fitted together by ``benchmarks/answer_fit.py`` on training
splits of several question styles (SQuAD, FiQA, QASPER) and stored in ``answer_model.json``
beside this module, with the data, command and date that produced them:

- **fusion**: a passage scores ``similarity + keyword * bm25/best_bm25 + sentence *
  best_sentence_similarity + coverage * idf-weighted share of the question's terms +
  heading * similarity of the heading the passage sits under``;
- **sentence**: a candidate sentence scores ``sum(weight * feature)`` over
  :data:`SENTENCE_FEATURES`; the best is quoted;
- **decision**: the probability that the documents answer is the logistic of
  ``bias + sum(weight * feature) + sum(tree(features))`` over :data:`DECISION_FEATURES`: a
  linear part and boosted trees (:mod:`qa._trees`), either of which may be empty. Trees let
  one threshold serve several kinds of documents: a paper's answers match its questions less
  closely than an encyclopedia's, and a linear score cannot tell the two apart. The answer is
  given when the probability reaches ``threshold`` (an index may carry its own: ``qa
  calibrate``);
- **rerank** (optional): boosted trees over :data:`qa._rerank.RERANK_FEATURES` give each
  fused candidate of a hybrid search the probability that it holds the answer, the
  logistic of ``rerank_bias + sum(tree(features))``; a hybrid search is ordered by it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from index import QAError

from ._rerank import RERANK_FEATURES
from ._trees import Forest, Tree, trees_from_json, trees_to_json, trees_value

#: Features of a candidate sentence, in the order of :attr:`AnswerModel.sentence`.
SENTENCE_FEATURES = (
    "similarity",  # cosine of sentence (in-context vector) and question
    "overlap",  # idf-weighted share of the question's terms in the sentence
    "passage_similarity",  # cosine of the sentence's passage and the question
    "passage_keyword",  # the passage's BM25 score over the question's best
    "rank",  # 1 / (1 + position of the passage in the ranking)
    "kind",  # 1 when the question wants a time or a quantity and the sentence holds one
    "question_like",  # 1 for a short sentence that is itself a question (a heading)
    "short",  # 1 for a sentence of fewer than five words
)
#: Features of the answer/refuse decision, in the order of :attr:`AnswerModel.decision`.
DECISION_FEATURES = (
    "passage_similarity",  # best similarity among the answer's passages
    "sentence_similarity",  # similarity of the best-matching sentence of the top passages
    "passage_coverage",  # idf-weighted share of the question's terms in the top passage
    "sentence_coverage",  # the same share in the quoted sentence
    "unknown_share",  # weight of the question's terms that no passage holds
    "unknown_names",  # share of the names the question writes ("Hamlet") no passage holds
    "agreement",  # share of the dense side's passages that the keyword side found too
    "similarity_spread",  # best candidate's similarity above the candidates' median
    "candidate_sentence",  # best sentence similarity among all candidates
    "candidate_coverage",  # best idf-weighted coverage among all candidates
    "candidate_heading",  # best heading similarity among all candidates (0: no headings)
    "similarity_gap",  # best candidate's similarity above the second's
)

_FILE = Path(__file__).with_name("answer_model.json")


class AnswerModelError(QAError):
    """The answer model file is missing or malformed."""


@dataclass(frozen=True)
class AnswerModel:
    """Coefficients of fusion, sentence choice and decision (see the module docstring)."""

    keyword_weight: float
    sentence_weight: float
    coverage_weight: float
    heading_weight: float
    sentence: tuple[float, ...]
    decision: tuple[float, ...]
    bias: float
    threshold: float
    trees: tuple[Tree, ...] = ()
    rerank_bias: float = 0.0
    rerank_trees: tuple[Tree, ...] = ()
    provenance: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        # Laid out once (and checked for loops) when the model is made, not per question.
        object.__setattr__(self, "_forest", Forest(self.rerank_trees))

    def rerank_scores(self, features: np.ndarray) -> np.ndarray:
        """Probability that each candidate holds the answer, from rows of
        :data:`RERANK_FEATURES` (the logistic of ``rerank_bias`` alone without trees)."""
        forest: Forest = object.__getattribute__(self, "_forest")
        return forest.probabilities(features, bias=self.rerank_bias)

    def sentence_scores(self, features: np.ndarray) -> np.ndarray:
        """Scores of candidate sentences, one row of :data:`SENTENCE_FEATURES` each."""
        weights = np.asarray(self.sentence, dtype=np.float64)
        return np.asarray(np.asarray(features, dtype=np.float64) @ weights, dtype=np.float64)

    def probability(self, features: Sequence[float]) -> float:
        """Probability that the documents answer, from :data:`DECISION_FEATURES`."""
        z = self.bias + float(np.dot(self.decision, features))
        if self.trees:
            z += trees_value(self.trees, features)
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def to_json(self) -> dict[str, Any]:
        """The model as the JSON object stored in ``answer_model.json``."""
        return {
            "fusion": {
                "keyword": self.keyword_weight,
                "sentence": self.sentence_weight,
                "coverage": self.coverage_weight,
                "heading": self.heading_weight,
            },
            "sentence": dict(zip(SENTENCE_FEATURES, self.sentence, strict=True)),
            "decision": {
                "bias": self.bias,
                **dict(zip(DECISION_FEATURES, self.decision, strict=True)),
            },
            "decision_trees": trees_to_json(self.trees),
            "rerank": {"bias": self.rerank_bias, "features": list(RERANK_FEATURES)},
            "rerank_trees": trees_to_json(self.rerank_trees),
            "threshold": self.threshold,
            "provenance": dict(self.provenance),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AnswerModel:
        """Read the JSON object written by :meth:`to_json`."""
        try:
            return cls(
                keyword_weight=float(data["fusion"]["keyword"]),
                sentence_weight=float(data["fusion"]["sentence"]),
                coverage_weight=float(data["fusion"]["coverage"]),
                heading_weight=float(data["fusion"]["heading"]),
                sentence=tuple(float(data["sentence"][n]) for n in SENTENCE_FEATURES),
                decision=tuple(float(data["decision"][n]) for n in DECISION_FEATURES),
                bias=float(data["decision"]["bias"]),
                threshold=float(data["threshold"]),
                trees=trees_from_json(
                    data.get("decision_trees", ()), features=len(DECISION_FEATURES)
                ),
                rerank_bias=float(data.get("rerank", {}).get("bias", 0.0)),
                rerank_trees=_rerank_trees(data),
                provenance=dict(data.get("provenance", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise AnswerModelError(
                f"the answer model lacks or garbles {exc}; reinstall qa or refit it with "
                "benchmarks/answer_fit.py"
            ) from None


def _rerank_trees(data: Mapping[str, Any]) -> tuple[Tree, ...]:
    trees = data.get("rerank_trees", ())
    named = data.get("rerank", {}).get("features")
    if trees and named is not None and tuple(named) != RERANK_FEATURES:
        # Trees read features by column: fitted on other columns, they would misrank.
        raise ValueError("rerank features that this qa does not compute")
    return trees_from_json(trees, features=len(RERANK_FEATURES))


def load_answer_model(path: str | Path | None = None) -> AnswerModel:
    """The answer model at ``path``, or the one shipped with qa."""
    return _load(str(path) if path is not None else str(_FILE))


@lru_cache(maxsize=8)
def _load(path: str) -> AnswerModel:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AnswerModelError(
            f"cannot read the answer model {path} ({exc}); reinstall qa"
        ) from None
    return AnswerModel.from_json(data)
