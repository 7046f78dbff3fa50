"""Reciprocal-rank fusion."""

from __future__ import annotations

import pytest

from qa._fusion import reciprocal_rank_fusion


def test_item_ranked_high_by_both_wins() -> None:
    fused = reciprocal_rank_fusion([[1, 2, 3], [2, 1, 4]], weights=[1, 1], k=60)
    assert [i for i, _ in fused][:2] in ([1, 2], [2, 1])
    assert dict(fused)[1] == pytest.approx(1 / 61 + 1 / 62)
    assert {i for i, _ in fused} == {1, 2, 3, 4}


def test_agreement_beats_single_first_place() -> None:
    fused = reciprocal_rank_fusion([[9, 5], [7, 5]], weights=[1, 1], k=60)
    assert fused[0][0] == 5


def test_weights_and_constant_matter() -> None:
    fused = reciprocal_rank_fusion([[1], [2]], weights=[1.0, 2.0], k=10)
    assert fused[0][0] == 2
    assert fused[0][1] == pytest.approx(2 / 11)


def test_ties_are_deterministic_and_scores_sorted() -> None:
    a = reciprocal_rank_fusion([[1, 2], [2, 1]], weights=[1, 1], k=60)
    b = reciprocal_rank_fusion([[1, 2], [2, 1]], weights=[1, 1], k=60)
    assert a == b
    scores = [s for _, s in a]
    assert scores == sorted(scores, reverse=True)


def test_empty_and_mismatched() -> None:
    assert reciprocal_rank_fusion([[], []], weights=[1, 1], k=60) == []
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([[1]], weights=[1, 1], k=60)
