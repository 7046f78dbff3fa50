"""`qa eval` on small corpora: index built or reused, figures from the product's answers."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

import index
import qa
from qa._eval import evaluate, prepare_index
from qa._eval_data import load_dataset
from qa._eval_metrics import contains_any
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


# Two papers whose data sections answer the same question differently: only asking each
# question of its own paper finds the right one for both.
_PAPERS = {
    "1901.00001.txt": (
        "Sentiment in short messages",
        "We use the SemEval tweet corpus of fifty thousand messages, collected over two years "
        "and labelled by three annotators each for positive, negative or neutral sentiment, "
        "with disagreements settled by a fourth expert annotator who read every message again.",
    ),
    "1901.00002.txt": (
        "Parsing court rulings",
        "We use a corpus of nine hundred court rulings from the German federal courts, split "
        "into sentences and annotated with dependency trees by two law students over six "
        "months, with a shared guideline revised after every hundred rulings they annotated.",
    ),
}


def _qasper(tmp_path: Path) -> Path:
    folder = tmp_path / "qasper-tiny"
    (folder / "docs").mkdir(parents=True)
    records = []
    for n, (paper, (title, data)) in enumerate(_PAPERS.items()):
        text = (
            f"{title}\n\nAbstract\n\nA study of {title.lower()}.\n\nData\n\n{data}\n\n"
            "Results\n\nOur model beats the baseline by four points on every measure.\n"
        )
        (folder / "docs" / paper).write_text(text, encoding="utf-8")
        records.append(
            {
                "id": f"q{n}",
                "q": "Which corpus do they use?",
                "paper": paper,
                "evidence": [data],
                "answers": ["Yes"],  # QASPER's answers are not copied from the paper
                "unanswerable": False,
            }
        )
    records.append(
        {
            "id": "u",
            "q": "Which GPU?",
            "paper": "1901.00001.txt",
            "evidence": [],
            "unanswerable": True,
        }
    )
    # Answerable without evidence: nothing could count as found, so it is left out.
    records.append({"id": "x", "q": "Is it good?", "paper": "1901.00002.txt", "evidence": []})
    lines = [json.dumps(r) for r in records]
    (folder / "questions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_load_qasper_folder(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    folder = _qasper(tmp_path)
    data = load_dataset(folder)
    assert (data.name, data.kind, data.corpus_paths) == (
        "qasper-tiny",
        "evidence",
        (folder / "docs",),
    )
    assert [q.id for q in data.questions] == ["q0", "q1", "u"]
    assert [q.source for q in data.questions] == [
        "1901.00001.txt",
        "1901.00002.txt",
        "1901.00001.txt",
    ]
    assert data.questions[0].evidence == (_PAPERS["1901.00001.txt"][1],)
    assert all(q.answers == () for q in data.questions)
    assert [q.unanswerable for q in data.questions] == [False, False, True]
    # The names are the index's own source names for the files of docs/.
    prepare_index(data, tmp_path / "idx", embedder=fake_embedder)
    assert sorted(qa.load(tmp_path / "idx", embedder=fake_embedder).sources) == sorted(_PAPERS)


def test_evidence_file_source_field(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    records = [
        {"q": "Why?", "evidence": ["x"], "source": "a.txt"},
        {"q": "How?", "evidence": ["y"], "paper": "b.txt"},
        {"q": "When?", "evidence": ["z"]},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    data = load_dataset(path, corpus=tmp_path)
    assert [q.source for q in data.questions] == ["a.txt", "b.txt", None]
    path.write_text(json.dumps({"q": "Why?", "evidence": ["x"], "paper": 3}) + "\n")
    with pytest.raises(qa.DatasetError, match=r"e\.jsonl:1: 'paper' must be"):
        load_dataset(path, corpus=tmp_path)


def test_evaluate_qasper_asks_each_paper_alone(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    data = load_dataset(_qasper(tmp_path))
    prepare_index(data, tmp_path / "idx", embedder=fake_embedder)
    bot = qa.Bot(
        qa.load(tmp_path / "idx", embedder=fake_embedder).store, fake_embedder, threshold=-1.0
    )
    # No passage holds a whole data paragraph: evidence is found by shared runs of words.
    spans = [bot.store.passage_span(i) for i in range(len(bot.store))]
    assert not any(
        contains_any(d.text[s:e], q.evidence) for d, s, e in spans for q in data.questions
    )
    report = evaluate(bot, data, mode="keyword")
    assert report.counts["answerable"] == 2 and report.counts["unanswerable"] == 1
    assert report.metrics["hit@1"] == 1.0  # by overlap: each paper's own data paragraph
    assert 0.0 < report.metrics["quote_in_evidence"] <= 1.0
    assert "quote_in_evidence" in report.table() and "quote_accuracy" in report.metrics
    # The same questions asked of every paper: one of the two finds the other paper first.
    everywhere = replace(data, questions=tuple(replace(q, source=None) for q in data.questions))
    assert evaluate(bot, everywhere, mode="keyword").metrics["hit@1"] < 1.0


def test_cli_eval_qasper_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(index, "load_embedder", lambda name, **_: FakeEmbedder())
    folder = _qasper(tmp_path)
    args = ["eval", str(folder), "--index", str(tmp_path / "idx"), "--json", "--quiet"]
    assert main([*args, "--mode", "bm25", "--chunk-tokens", "30"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["dataset"] == "qasper-tiny" and data["kind"] == "evidence"
    assert data["metrics"]["hit@1"] == 1.0
    assert 0.0 <= data["metrics"]["quote_in_evidence"] <= 1.0
