"""`qa eval` on small corpora: index built or reused, figures from the product's answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import qa
from qa._eval import evaluate, prepare_index
from qa._eval_data import load_dataset
from tests.conftest import CORPUS, SEED, require_shared
from tests.fakes import FakeEmbedder
from tests.test_eval_metrics import write_beir
from ui.cli import main

DOCS = {
    "volcano": "Mount Etna is an active volcano on the east coast of Sicily. "
    "It erupts often and its lava flows reach the villages below.",
    "violin": "Antonio Stradivari built violins in Cremona. "
    "His instruments are prized for their tone and sell for millions.",
    "glacier": "The Aletsch Glacier is the largest glacier in the Alps. "
    "It flows for twenty kilometres through the canton of Valais.",
}
QUERIES = [
    ("q1", "Which volcano is on the coast of Sicily?", "volcano"),
    ("q2", "Where did Stradivari build violins?", "violin"),
    ("q3", "What is the largest glacier in the Alps?", "glacier"),
]


def _beir(tmp_path: Path) -> Path:
    folder = write_beir(tmp_path / "tiny", DOCS, QUERIES)
    # Gold answers for quote accuracy, as SQuAD has them.
    answers = {"q1": "Mount Etna", "q2": "Cremona", "q3": "Aletsch Glacier"}
    lines = []
    for qid, text, _ in QUERIES:
        record = {"_id": qid, "text": text, "metadata": {"answers": [answers[qid]]}}
        lines.append(json.dumps(record))
    (folder / "queries.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_evaluate_small_beir_with_fake_model(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    data = load_dataset(_beir(tmp_path))
    out = tmp_path / "idx"
    assert prepare_index(data, out, embedder=fake_embedder) > 0
    embedded = fake_embedder.embedded
    # The same corpus again: the index is reused as it is, nothing is embedded.
    assert prepare_index(data, out, embedder=fake_embedder) == 0.0
    assert fake_embedder.embedded == embedded
    bot = qa.Bot(qa.load(out, embedder=fake_embedder).store, fake_embedder, threshold=-1.0)
    report = evaluate(bot, data, mode="keyword")
    assert report.questions == 3
    # Each question shares rare words with its own document only: a perfect ranking.
    assert report.metrics["ndcg@10"] == 1.0
    assert report.metrics["recall@1"] == 1.0
    assert report.metrics["false_abstention"] == 0.0
    assert 0.0 <= report.metrics["quote_accuracy"] <= 1.0
    assert [r.ranking[0] for r in report.results] == ["volcano", "violin", "glacier"]
    assert "recall@100" in report.table()


def test_changed_corpus_is_rebuilt(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    data = load_dataset(_beir(tmp_path))
    out = tmp_path / "idx"
    prepare_index(data, out, embedder=fake_embedder)
    with (tmp_path / "tiny" / "corpus.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"_id": "extra", "title": "", "text": "A new document."}) + "\n")
    changed = load_dataset(tmp_path / "tiny")
    assert prepare_index(changed, out, embedder=fake_embedder) > 0
    assert "extra" in qa.load(out, embedder=fake_embedder).sources


def test_abstention_counts_unanswerable(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notes.md").write_text(" ".join(DOCS.values()), encoding="utf-8")
    path = tmp_path / "questions.jsonl"
    records = [
        {"q": "Where did Stradivari build violins?", "evidence": ["Cremona"]},
        {"q": "Zebra quantum pancake?", "evidence": [], "unanswerable": True},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    data = load_dataset(path, corpus=corpus)
    prepare_index(data, tmp_path / "idx", embedder=fake_embedder)
    bot = qa.load(tmp_path / "idx", embedder=fake_embedder)
    report = evaluate(bot, data, mode="keyword")
    assert report.counts["answerable"] == 1 and report.counts["unanswerable"] == 1
    assert report.metrics["hit@1"] == 1.0
    assert report.metrics["correct_abstention"] == 1.0


@pytest.mark.slow
def test_cli_eval_beir_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _beir(tmp_path)
    out = tmp_path / "idx"
    args = ["eval", str(folder), "--index", str(out), "--json", "--quiet", "--mode", "bm25"]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["questions"] == 3 and data["mode"] == "keyword"
    assert data["metrics"]["recall@1"] == 1.0
    assert data["build_seconds"] > 0
    assert main([*args[:-2], "--mode", "hybrid"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["build_seconds"] == 0.0  # the index was reused
    assert again["metrics"]["recall@3"] == 1.0


@pytest.mark.slow
def test_cli_eval_seed_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    require_shared(CORPUS)
    seed = require_shared(SEED)
    assert main(["eval", str(seed), "--index", str(tmp_path / "idx"), "--quiet"]) == 0
    table = capsys.readouterr().out
    assert "hit@3" in table and "correct_abstention" in table
    assert "unanswerable 2" in table


def test_cli_eval_bad_dataset_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(tmp_path / "missing"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("qa: error: no data set at") and "\n" not in err
