"""What tuning and measuring the answer layer needs beyond :mod:`qa`'s user API.

``import qa`` is what a user needs: load an index, ask, evaluate, calibrate. This module is
for the project's own tools, the benchmarks that fit the answer model
(``benchmarks/answer_fit.py``) and sweep the fusion settings, and the command line's
trade-off table. It is public (nothing outside :mod:`qa` imports a private ``qa._x``
module), kept working with the repository's tools, but not part of ``qa``'s namespace:

- the options a :class:`qa.Bot` is built with: :class:`FusionOptions`,
  :class:`QuoteOptions`, :class:`FollowupOptions`;
- the answer model and its features: :class:`AnswerModel`, :func:`load_answer_model`,
  :data:`SENTENCE_FEATURES` / :func:`sentence_features`, :data:`DECISION_FEATURES` /
  :func:`decision_features`, :func:`trees_value` (the decision's boosted trees),
  :data:`RERANK_FEATURES` / :data:`RERANK_MONOTONE` / :func:`rerank_features` and
  :class:`Forest` (the reranker's trees, scored many rows at once);
- evaluation helpers: :class:`MemoEmbedder` (an embedder that remembers its vectors),
  :func:`sample_questions`, the text matches :func:`contains_any`, :func:`inside_any` and
  :func:`is_evidence`, and :func:`tradeoff` / :class:`TradeoffRow` (refused against wrong
  at each threshold, the rows of :attr:`qa.EvalReport.tradeoff`).
"""

from __future__ import annotations

from ._answer_model import (
    DECISION_FEATURES,
    SENTENCE_FEATURES,
    AnswerModel,
    load_answer_model,
)
from ._eval import MemoEmbedder, sample_questions
from ._eval_metrics import contains_any, inside_any, is_evidence
from ._evidence import decision_features, sentence_features
from ._followup import FollowupOptions
from ._fusion import FusionOptions
from ._quote import QuoteOptions
from ._rerank import RERANK_FEATURES, RERANK_MONOTONE, rerank_features
from ._tradeoff import TradeoffRow, tradeoff
from ._trees import Forest, trees_value

__all__ = [
    "DECISION_FEATURES",
    "RERANK_FEATURES",
    "RERANK_MONOTONE",
    "SENTENCE_FEATURES",
    "AnswerModel",
    "FollowupOptions",
    "Forest",
    "FusionOptions",
    "MemoEmbedder",
    "QuoteOptions",
    "TradeoffRow",
    "contains_any",
    "decision_features",
    "inside_any",
    "is_evidence",
    "load_answer_model",
    "rerank_features",
    "sample_questions",
    "sentence_features",
    "tradeoff",
    "trees_value",
]
