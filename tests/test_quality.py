"""The answer model's pieces: term weights and coverage, fusion, the fitted file, the decision."""

from __future__ import annotations

import json
import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import qa
from index import Document
from index._build import build_from_documents
from qa._answer_model import DECISION_FEATURES, SENTENCE_FEATURES, load_answer_model
from qa._evidence import term_weights
from tests.fakes import FakeEmbedder


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
    assert term_weights("violin maker Cremona", bot.store).coverage(passage) == pytest.approx(1.0)
    assert term_weights("volcano lava", bot.store).coverage(passage) == 0.0
    part = term_weights("violin volcano", bot.store).coverage(passage)
    assert 0.0 < part < 1.0
    assert term_weights("the of and", bot.store).coverage(passage) == 0.0  # stop words only


def test_unknown_words_weigh_as_much_as_the_rarest(bot: qa.Bot) -> None:
    passage = bot.document("b")
    # "zeppelin" is in no passage; "violin" in one: they weigh the same.
    weights = term_weights("violin zeppelin", bot.store)
    assert weights.coverage(passage) == pytest.approx(0.5)
    assert weights.unknown_share == pytest.approx(0.5)
    assert term_weights("violin", bot.store).unknown_share == 0.0


def test_the_shipped_model_is_loaded_and_used(bot: qa.Bot) -> None:
    shipped = json.loads((Path(qa.__file__).parent / "answer_model.json").read_text())
    model = load_answer_model()
    assert bot.model == model
    assert model.keyword_weight == shipped["fusion"]["keyword"]
    assert model.threshold == shipped["threshold"] == bot.threshold
    assert set(shipped["sentence"]) == set(SENTENCE_FEATURES)
    assert set(shipped["decision"]) == {"bias", *DECISION_FEATURES}
    # Where it came from travels with it.
    assert {"command", "date", "data"} <= set(shipped["provenance"])
    # The answer's confidence is the model's probability, compared with its threshold.
    answer = bot.ask("violin maker Cremona spruce maple", k=1)
    assert 0.0 <= answer.confidence <= 1.0
    assert answer.found == (answer.confidence >= bot.threshold)


def test_the_results_file_describes_the_shipped_model() -> None:
    # docs/QUALITY.md shows the coefficients and held-out figures of this results file.
    root = Path(qa.__file__).parents[1]
    fitted = json.loads((root / "benchmarks" / "results" / "answer_fit.json").read_text())
    shipped = json.loads((root / "qa" / "answer_model.json").read_text())
    assert fitted["model"] == shipped


def test_the_model_file_is_package_data() -> None:
    config = tomllib.loads((Path(qa.__file__).parents[1] / "pyproject.toml").read_text())
    assert "answer_model.json" in config["tool"]["setuptools"]["package-data"]["qa"]


def test_fusion_weights_come_from_the_model(bot: qa.Bot) -> None:
    # Keyword-only evidence for "c", dense-only for nothing: a large keyword weight puts the
    # BM25 hit first whatever the similarities.
    heavy = qa.Bot(bot.store, bot.embedder, model=replace(bot.model, keyword_weight=50.0))
    assert heavy.retrieve("lava sea night", k=1)[0].source == "c"
    ranking = heavy.rank("lava sea night", k=3)
    assert list(ranking.scores) == sorted(ranking.scores, reverse=True)


def test_the_decision_reads_its_features(bot: qa.Bot) -> None:
    # A model that trusts only coverage: a question whose words the documents hold is
    # answered, one whose words they lack is refused, with the same threshold.
    only_coverage = replace(
        bot.model,
        decision=tuple(8.0 if n == "passage_coverage" else 0.0 for n in DECISION_FEATURES),
        bias=-4.0,
        threshold=0.5,
    )
    judge = qa.Bot(bot.store, bot.embedder, model=only_coverage)
    assert judge.ask("violin maker Cremona", k=1).found
    refused = judge.ask("zeppelin airship hangar", k=1)
    assert not refused.found and refused.quotes == () and refused.passages
    # Unknown words push the other way when the model weighs them.
    wary = replace(
        only_coverage,
        decision=tuple(-20.0 if n == "unknown_share" else 0.0 for n in DECISION_FEATURES),
        bias=4.0,
    )
    judge = qa.Bot(bot.store, bot.embedder, model=wary)
    assert judge.ask("violin maker", k=1).found
    assert not judge.ask("violin zeppelin airship", k=1).found


def test_sentence_scores_are_the_weighted_features() -> None:
    model = load_answer_model()
    features = np.eye(len(SENTENCE_FEATURES))
    assert model.sentence_scores(features) == pytest.approx(np.array(model.sentence))
    assert 0.0 < model.probability([0.0] * len(DECISION_FEATURES)) < 1.0


def test_a_garbled_model_file_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"fusion": {"keyword": 1}}), encoding="utf-8")
    with pytest.raises(qa.AnswerModelError, match="refit"):
        load_answer_model(path)
    with pytest.raises(qa.AnswerModelError, match="cannot read"):
        load_answer_model(tmp_path / "missing.json")


def test_the_heading_a_passage_sits_under_is_found() -> None:
    from qa._evidence import heading_start, is_heading

    text = (
        "A Study of Rivers\n\nAbstract text that runs on for a while.\n\n"
        "Datasets\n\nWe collected 220 dialogs from volunteers.\n\nMore detail follows here.\n\n"
        "## Which rivers flood?\n\nThe Danube floods in spring."
    )
    datasets = text.index("Datasets")
    assert heading_start("doc", "h", text, text.index("We collected")) == datasets
    assert heading_start("doc", "h", text, text.index("More detail")) == datasets
    assert heading_start("doc", "h", text, datasets) == datasets  # a passage opening on it
    assert heading_start("doc", "h", text, text.index("The Danube")) == text.index("## Which")
    assert heading_start("doc", "h", text, text.index("Abstract")) == 0
    assert is_heading("Experiments ::: Datasets") and is_heading("## Can rivers be governed?")
    assert not is_heading("It floods.") and not is_heading("Is it a question?")
    assert not is_heading("one\ntwo") and not is_heading("")


def test_a_heading_lifts_the_passages_of_its_section(
    tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    filler = " ".join(["The annotators worked in pairs and met every week."] * 4)
    text = (
        "Results\n\nThe model scored well on every benchmark we tried in the end.\n\n"
        f"Datasets\n\n{filler}\n\n{filler}\n\n"
        "We collected 220 dialogs from volunteers over two months.\n\n"
        "Conclusion\n\nThe work opens several paths for future study of dialog."
    )
    build_from_documents(
        [Document("paper.md", "paper.md", text, "markdown", "p" * 64)],
        tmp_path / "idx",
        embedder=fake_embedder,
    )
    bot = qa.load(tmp_path / "idx", embedder=fake_embedder)
    ranking = bot.rank("Which datasets?", k=3)
    cands = ranking.candidates
    spans = [bot.store.passage_span(int(i)) for i in cands.ids]
    under = [n for n, (_, s, e) in enumerate(spans) if "220 dialogs" in text[s:e]]
    assert under and cands.heading[under[0]] > 0.5  # "Datasets" heads the passage
    heavy = qa.Bot(bot.store, bot.embedder, model=replace(bot.model, heading_weight=5.0))
    assert "220 dialogs" in heavy.retrieve("Which datasets?", k=1)[0].text
