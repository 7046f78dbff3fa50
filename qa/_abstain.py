"""Evidence that the documents answer a question, beside the dense similarity.

:class:`qa.Bot` answers when ``similarity + weight * keyword_coverage >= threshold``; the
weight and threshold are fitted by logistic regression on SQuAD dev with held-out articles,
the cut-off set for at most 3% false abstentions on the calibration articles
(``benchmarks/quality_abstention.py``; figures in docs/QUALITY.md).
"""

from __future__ import annotations

import math

from index import SearchStore, terms


def keyword_coverage(question: str, passage: str, store: SearchStore) -> float:
    """Share of the question's terms, weighted by idf, that ``passage`` contains (0..1).

    Terms no passage holds weigh as much as the rarest known term: a word the documents
    never use is strong evidence that they do not answer the question.
    """
    q_terms = set(terms(question))
    if not q_terms:
        return 0.0
    n = max(len(store), 1)
    rarest = math.log(1.0 + (n - 1 + 0.5) / 1.5)
    weights = {t: (store.lexical.idf(t) if _known(store, t) else rarest) for t in q_terms}
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    present = q_terms.intersection(terms(passage))
    return sum(weights[t] for t in present) / total


def _known(store: SearchStore, term: str) -> bool:
    vocab = getattr(store.lexical, "_vocab", None)
    return vocab is None or term in vocab
