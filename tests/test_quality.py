"""The pieces the quality tuning added: score fusion, keyword coverage, the abstention rule."""

from __future__ import annotations

from pathlib import Path

import pytest

import qa
from index import Document, build_from_documents
from qa._abstain import keyword_coverage
from qa._fusion import score_fusion
from tests.fakes import FakeEmbedder


def test_score_fusion_keeps_magnitudes() -> None:
    dense = {1: 0.50, 2: 0.45, 3: 0.20}
    keyword = {3: 10.0, 2: 9.0}
    # 2: 0.45 + 0.3 * 0.9 = 0.72; 3: 0.20 + 0.3 = 0.50; 1: 0.50.
    fused = score_fusion(dense, keyword, keyword_weight=0.3)
    assert [i for i, _ in fused] == [2, 1, 3]
    assert fused[0][1] == pytest.approx(0.72)


def test_score_fusion_without_keyword_hits_is_dense_order() -> None:
    fused = score_fusion({4: 0.1, 5: 0.9}, {}, keyword_weight=0.5)
    assert fused == [(5, 0.9), (4, 0.1)]


def test_score_fusion_ties_keep_first_seen() -> None:
    assert [i for i, _ in score_fusion({7: 0.3, 6: 0.3}, {}, keyword_weight=1.0)] == [7, 6]


@pytest.fixture
def bot(tmp_path: Path, fake_embedder: FakeEmbedder) -> qa.Bot:
    texts = {
        "a": "Glaciers carve valleys in the Alps over thousands of years.",
        "b": "The violin maker worked in Cremona with spruce and maple.",
        "c": "Lava from the volcano reached the sea in the night.",
    }
    docs = [Document(s, s, t, "markdown", s * 64) for s, t in texts.items()]
    build_from_documents(docs, tmp_path / "idx", embedder=fake_embedder)
    return qa.load(tmp_path / "idx", embedder=fake_embedder)


def test_coverage_all_none_and_part(bot: qa.Bot) -> None:
    passage = bot.document("b")
    assert keyword_coverage("violin maker Cremona", passage, bot.store) == pytest.approx(1.0)
    assert keyword_coverage("volcano lava", passage, bot.store) == 0.0
    part = keyword_coverage("violin volcano", passage, bot.store)
    assert 0.0 < part < 1.0
    assert keyword_coverage("the of and", passage, bot.store) == 0.0  # stop words only


def test_unknown_words_weigh_as_much_as_the_rarest(bot: qa.Bot) -> None:
    passage = bot.document("b")
    # "zeppelin" is in no passage; "violin" in one: they weigh the same.
    assert keyword_coverage("violin zeppelin", passage, bot.store) == pytest.approx(0.5)


def test_coverage_weight_can_tip_the_decision(bot: qa.Bot) -> None:
    question = "violin maker Cremona spruce maple"
    answer = bot.ask(question, k=1, mode="keyword")
    similarity = answer.confidence
    bot.threshold = similarity + 0.1
    bot.coverage_weight = 0.0
    assert not bot.ask(question, k=1, mode="keyword").found
    bot.coverage_weight = 0.5  # full coverage adds 0.5 * (1 - 0.5) = 0.25 > 0.1
    assert bot.ask(question, k=1, mode="keyword").found
