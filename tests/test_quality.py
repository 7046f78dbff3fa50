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
from tests.fakes import FakeEmbedder, three_document_bot


@pytest.fixture
def bot(tmp_path: Path, fake_embedder: FakeEmbedder) -> qa.Bot:
    return three_document_bot(tmp_path, fake_embedder)


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


def test_names_the_question_writes() -> None:
    from qa._evidence import name_terms

    assert name_terms("Who is the author of Hamlet?") == {"hamlet"}
    assert name_terms("What does NATO consider cyberspace to be?") == {"nato"}
    # The first word is capitalised as any sentence is; a lone capital "I" is no name.
    assert name_terms("Where did I leave the violin?") == frozenset()
    assert name_terms("what is the best way to save money") == frozenset()
    assert name_terms("Did Stradivari work in Cremona?") == {"stradivari", "cremona"}


def test_unknown_names_are_the_share_of_names_no_passage_holds(bot: qa.Bot) -> None:
    # "Cremona" is in passage b, "Hamlet" in none; lower-case words are never names.
    assert term_weights("Was the violin made in Cremona?", bot.store).unknown_names == 0.0
    assert term_weights("Was Hamlet's violin made in Cremona?", bot.store).unknown_names == 0.5
    assert term_weights("who played hamlet on the violin", bot.store).unknown_names == 0.0
    # Asked of some documents only, a name only the others hold is unknown there.
    only_a = term_weights("Glaciers near Cremona?", bot.store, sources=["a"])
    assert only_a.unknown_names == 1.0


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
    # Without the reranker, whose trees would reorder what the weights fuse.
    plain = replace(bot.model, keyword_weight=50.0, rerank_trees=())
    heavy = qa.Bot(bot.store, bot.embedder, model=plain)
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
        trees=(),
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


def test_decision_trees_add_to_the_logit(bot: qa.Bot) -> None:
    # One stump on passage coverage: a question the documents' words cover is answered, one
    # they do not is refused (the linear part is all zeros).
    col = DECISION_FEATURES.index("passage_coverage")
    stump = ((col, 0.5, 1, 2, 0.0), (-1, 0.0, 0, 0, -6.0), (-1, 0.0, 0, 0, 6.0))
    model = replace(
        bot.model,
        decision=(0.0,) * len(DECISION_FEATURES),
        bias=0.0,
        trees=(stump,),
        threshold=0.5,
    )
    judge = qa.Bot(bot.store, bot.embedder, model=model)
    assert judge.ask("violin maker Cremona", k=1).confidence == pytest.approx(1 / (1 + np.exp(-6)))
    assert not judge.ask("zeppelin airship hangar", k=1).found
    # A second tree adds its leaf: two stumps give twice the logit.
    twice = replace(model, trees=(stump, stump))
    z = np.log(1 / qa.Bot(bot.store, bot.embedder, model=twice).ask("violin", k=1).confidence - 1)
    assert -z == pytest.approx(12.0)


def test_trees_walk_left_at_the_threshold_and_round_trip() -> None:
    from qa._trees import trees_from_json, trees_to_json, trees_value

    tree = (
        (0, 1.0, 1, 2, 0.0),
        (1, -0.5, 3, 4, 0.0),
        (-1, 0, 0, 0, 3.0),
        (-1, 0, 0, 0, -1.0),
        (-1, 0, 0, 0, 1.0),
    )
    assert trees_value([tree], [1.0, -0.5]) == -1.0  # <= goes left, twice
    assert trees_value([tree], [1.0, 0.0]) == 1.0
    assert trees_value([tree], [1.5, -9.0]) == 3.0
    assert trees_value([tree, tree], [1.5, 0.0]) == 6.0
    assert trees_from_json(trees_to_json([tree]), features=2) == (tree,)
    with pytest.raises(ValueError, match="lacks"):
        trees_from_json([[[5, 0.0, 1, 2, 0.0], [-1, 0, 0, 0, 1], [-1, 0, 0, 0, 1]]], features=2)
    with pytest.raises(ValueError, match="lacks"):
        trees_from_json([[[0, 0.0, 1, 7, 0.0], [-1, 0, 0, 0, 1]]], features=2)
    with pytest.raises(ValueError, match="loops"):
        trees_value([((0, 0.0, 1, 1, 0.0), (0, 0.0, 1, 1, 0.0))], [1.0])


def test_exported_trees_give_scikit_learns_probabilities() -> None:
    # The fitting script ships sklearn's trees as plain lists; qa must read them as sklearn
    # would predict, monotone constraints and sample weights included.
    from sklearn.ensemble import HistGradientBoostingClassifier

    from benchmarks.answer_fit import TREE_PARAMS, export_trees
    from qa._trees import trees_value

    rng = np.random.default_rng(0)
    x = rng.normal(size=(1500, len(DECISION_FEATURES)))
    y = x[:, 0] + 0.5 * x[:, 1] * x[:, 2] + rng.normal(scale=0.5, size=len(x)) > 0
    params = {**TREE_PARAMS, "min_samples_leaf": 20, "max_iter": 30}
    fitted = HistGradientBoostingClassifier(**params).fit(
        x, y, sample_weight=rng.uniform(0.5, 1.5, size=len(x))
    )
    bias, trees = export_trees(fitted)
    mine = [1 / (1 + np.exp(-(bias + trees_value(trees, row)))) for row in x[:200]]
    assert mine == pytest.approx(fitted.predict_proba(x[:200])[:, 1], abs=1e-9)


def test_a_malformed_tree_in_the_model_file_says_what_to_do(tmp_path: Path) -> None:
    data = load_answer_model().to_json()
    data["decision_trees"] = [[[len(DECISION_FEATURES), 0.0, 1, 2, 0.0]]]
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(qa.AnswerModelError, match="refit"):
        load_answer_model(path)


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
    plain = replace(bot.model, heading_weight=5.0, rerank_trees=())
    heavy = qa.Bot(bot.store, bot.embedder, model=plain)
    assert "220 dialogs" in heavy.retrieve("Which datasets?", k=1)[0].text
