"""The fitted reranker: its features, its trees as qa reads them, and its use by the bot."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import qa
from qa.tuning import (
    RERANK_FEATURES,
    RERANK_MONOTONE,
    Forest,
    FusionOptions,
    load_answer_model,
    rerank_features,
    trees_value,
)
from tests.fakes import FakeEmbedder, fit_item, three_document_bot

COL = {name: n for n, name in enumerate(RERANK_FEATURES)}


def _stump(feature: str, threshold: float, left: float, right: float) -> tuple:
    return ((COL[feature], threshold, 1, 2, 0.0), (-1, 0.0, 0, 0, left), (-1, 0.0, 0, 0, right))


@pytest.fixture
def bot(tmp_path: Path, fake_embedder: FakeEmbedder) -> qa.Bot:
    return three_document_bot(tmp_path, fake_embedder)


def test_features_compare_each_candidate_with_the_question_s_others() -> None:
    rows = rerank_features(
        similarity=np.array([0.5, 0.75, 0.25]),
        keyword=np.array([1.0, 0.0, 0.5]),
        sentence=np.array([0.5, 0.8, 0.3]),
        coverage=np.array([0.5, 0.25, 1.0]),
        heading=np.zeros(3),
        fused=np.array([2.0, 1.0, 1.5]),
        keyword_hit=np.array([True, False, True]),
        position=np.array([0.0, 0.5, 0.9]),
        length=np.array([99.0, 9.0, 0.0]),
        documents=np.array(["x", "y", "x"]),
        unknown_share=0.2,
    )
    assert rows.shape == (3, len(RERANK_FEATURES))
    assert rows[:, COL["similarity_below_best"]] == pytest.approx([0.25, 0.0, 0.5])
    assert rows[:, COL["fused_rank"]] == pytest.approx(np.log1p([0, 2, 1]))
    assert rows[:, COL["keyword_rank"]] == pytest.approx(np.log1p([0, 2, 1]))
    assert rows[:, COL["length"]] == pytest.approx(np.log1p([99, 9, 0]))
    assert rows[:, COL["unknown_share"]] == pytest.approx([0.2] * 3)
    # Document "x" holds the best fused candidate; "y" is 1.0 below it.
    assert rows[:, COL["document_below_best"]] == pytest.approx([0.0, 1.0, 0.0])
    assert rows[:, COL["below_document_best"]] == pytest.approx([0.0, 0.0, 0.5])
    assert rows[:, COL["document_share"]] == pytest.approx([2 / 3, 1 / 3, 2 / 3])
    empty = {k: np.zeros(0) for k in ("similarity", "keyword", "sentence", "coverage")}
    assert rerank_features(
        **empty,
        heading=np.zeros(0),
        fused=np.zeros(0),
        keyword_hit=np.zeros(0, bool),
        position=np.zeros(0),
        length=np.zeros(0),
        documents=np.zeros(0),
        unknown_share=0.0,
    ).shape == (0, len(RERANK_FEATURES))


def test_monotone_constraints_say_more_evidence_never_demotes() -> None:
    assert len(RERANK_MONOTONE) == len(RERANK_FEATURES)
    assert RERANK_MONOTONE[COL["similarity"]] == RERANK_MONOTONE[COL["coverage"]] == 1
    assert RERANK_MONOTONE[COL["fused_rank"]] == -1


def test_the_forest_gives_each_row_the_sum_of_its_trees() -> None:
    deep = (
        (0, 0.5, 1, 2, 0.0),
        (1, 0.0, 3, 4, 0.0),
        (-1, 0.0, 0, 0, 3.0),
        (-1, 0.0, 0, 0, -1.0),
        (-1, 0.0, 0, 0, 1.0),
    )
    leaf = ((-1, 0.0, 0, 0, 0.25),)
    forest = Forest([deep, leaf, deep])
    rows = np.random.default_rng(1).normal(size=(50, 2))
    expected = [trees_value([deep, leaf, deep], row) for row in rows]
    assert forest.values(rows) == pytest.approx(expected)
    assert len(forest) == 3 and forest.depth == 2
    assert Forest([]).values(rows) == pytest.approx(np.zeros(50))


def test_the_forest_gives_scikit_learns_probabilities() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    from benchmarks.answer_fit import RERANK_PARAMS, export_trees

    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, len(RERANK_FEATURES)))
    y = x[:, 0] - x[:, 13] + x[:, 4] * x[:, 16] + rng.normal(scale=0.5, size=len(x)) > 0
    params = {**RERANK_PARAMS, "min_samples_leaf": 20, "max_iter": 40}
    fitted = HistGradientBoostingClassifier(monotonic_cst=list(RERANK_MONOTONE), **params).fit(
        x, y, sample_weight=rng.uniform(0.5, 1.5, size=len(x))
    )
    bias, trees = export_trees(fitted)
    mine = 1 / (1 + np.exp(-(bias + Forest(trees).values(x))))
    assert mine == pytest.approx(fitted.predict_proba(x)[:, 1], abs=1e-9)


def test_a_looping_tree_is_refused_when_laid_out() -> None:
    with pytest.raises(ValueError, match="loops"):
        Forest([((0, 0.0, 1, 1, 0.0), (0, 0.0, 0, 1, 0.0))])


def test_the_bot_orders_a_hybrid_search_by_the_reranker(bot: qa.Bot) -> None:
    question = "violin maker Cremona"
    plain = qa.Bot(bot.store, bot.embedder, model=replace(bot.model, rerank_trees=()))
    assert plain.retrieve(question, k=1)[0].source == "b"
    # Trees that demote the best by similarity and by fused score put another match first:
    # the order is theirs (monotone by fit, not by load: a hand-made tree may say anything).
    demote = (_stump("similarity_rank", 0.1, -5.0, 0.0), _stump("fused_rank", 0.1, -5.0, 0.0))
    backwards = replace(bot.model, rerank_bias=0.0, rerank_trees=demote)
    flipped = qa.Bot(bot.store, bot.embedder, model=backwards)
    assert flipped.retrieve(question, k=1)[0].source != "b"
    ranking = flipped.rank(question, k=3)
    assert all(0.0 < s < 1.0 for s in ranking.scores)  # probabilities
    assert list(ranking.scores) == sorted(ranking.scores, reverse=True)
    # FusionOptions(rerank=False) keeps the fused order, and the other modes never rerank.
    off = qa.Bot(bot.store, bot.embedder, model=backwards, fusion=FusionOptions(rerank=False))
    assert off.retrieve(question, k=1)[0].source == "b"
    assert flipped.retrieve(question, k=1, mode="dense")[0].source == "b"


def test_the_shipped_model_carries_a_reranker_for_the_features_qa_computes() -> None:
    shipped = json.loads((Path(qa.__file__).parent / "answer_model.json").read_text())
    model = load_answer_model()
    assert shipped["rerank"]["features"] == list(RERANK_FEATURES)
    assert len(model.rerank_trees) == len(shipped["rerank_trees"]) > 0
    probabilities = model.rerank_scores(np.zeros((4, len(RERANK_FEATURES))))
    assert probabilities.shape == (4,) and np.all((probabilities > 0) & (probabilities < 1))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rerank_trees": [[[len(RERANK_FEATURES), 0.0, 1, 2, 0.0]]]}, "refit"),
        ({"rerank_trees": [[[0, 0.0, 1, 1, 0.0], [0, 0.0, 1, 1, 0.0]]]}, "refit"),
        ({"rerank": {"bias": 0.0, "features": ["similarity"]}}, "refit"),
    ],
)
def test_a_malformed_reranker_says_what_to_do(tmp_path: Path, change: dict, message: str) -> None:
    data = {**load_answer_model().to_json(), **change}
    if "rerank" in change:
        data["rerank_trees"] = [[[-1, 0.0, 0, 0, 1.0]]]
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(qa.AnswerModelError, match=message):
        load_answer_model(path)


def test_document_labels_teach_only_the_document_s_best_passage() -> None:
    from benchmarks.answer_fit import rerank_labels

    def item(style: str) -> Any:
        return fit_item(style=style)

    # FiQA names relevant posts: of post "x", only its best passage (row 1) is learnt from.
    keep, labels = rerank_labels(item("fiqa"), (0.0, 0.0, 0.0, 0.0))
    assert keep.tolist() == [False, True, True, True]
    assert labels[keep].tolist() == [True, False, True]
    # QASPER names evidence passages: every candidate is learnt from as labelled.
    keep, labels = rerank_labels(item("qasper"), (0.0, 0.0, 0.0, 0.0))
    assert keep.all() and labels.tolist() == [True, True, False, True]
