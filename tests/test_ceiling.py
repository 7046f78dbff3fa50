"""The measures of benchmarks/ceiling.py on small made-up items."""

from __future__ import annotations

import numpy as np

from tests.fakes import fit_item


def test_refused_at_sets_the_threshold_on_the_answerable_share() -> None:
    from benchmarks.ceiling import _refused_at

    answerable = np.arange(100) / 100  # 0.00 .. 0.99
    negatives = np.array([0.0, 0.01, 0.02, 0.03, 0.5])
    refused, answerable_refused = _refused_at(answerable, negatives, 0.03)
    # The cut sits just under the fourth answerable score: three answerable refused, and the
    # negatives scored below it.
    assert answerable_refused == 0.03
    assert refused == 3 / 5


def test_sentence_columns_summarise_each_candidate_s_sentences() -> None:
    from benchmarks.ceiling import _sentence_columns

    # Intrinsic columns: similarity, overlap, kind, question_like, short.
    item = fit_item(
        s_cand=np.array([0, 0, 2]),
        s_intrinsic=np.array([[0.4, 0.2, 0.0, 0, 0], [0.6, 0.1, 1.0, 0, 0], [0.3, 0.5, 0.0, 0, 0]]),
        s_label=np.zeros(3, bool),
    )
    columns = _sentence_columns(item)
    assert columns[0].tolist() == [0.2, 1.0, 0.4, 2.0]
    assert columns[1].tolist() == [0.0, 0.0, 0.0, 0.0]  # no sentence of its own
    assert columns[2].tolist() == [0.5, 0.0, 0.3, 1.0]


def test_ceiling_rows_have_the_columns_the_docs_count() -> None:
    from benchmarks.answer_fit import Ranker, decision_row
    from benchmarks.ceiling import ceiling_row
    from qa.tuning import DECISION_FEATURES

    item, ranker = fit_item(), Ranker((0.1, 0.0, 0.0, 0.0))
    row = ceiling_row(decision_row(item, ranker, np.zeros(8))[0], item, ranker)
    # The decision's, the top five of four candidate columns, the top three scores, the
    # number of documents and the first passage's three figures (docs/QUALITY.md: 39).
    assert len(row) == len(DECISION_FEATURES) + 20 + 3 + 1 + 3 == 39
    assert row[len(DECISION_FEATURES) : len(DECISION_FEATURES) + 5] == [0.7, 0.6, 0.5, 0.2, 0.0]
    assert row[-4] == 3.0  # documents x, y, z
    assert row[-3] == 0.7  # the first passage by the fused order
