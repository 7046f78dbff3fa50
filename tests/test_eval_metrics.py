"""Ranking metrics and data set parsing on tiny hand-made cases with known answers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from qa._eval import QuestionResult, aggregate, sample_questions
from qa._eval_data import DatasetError, EvalQuestion, load_beir, load_dataset, read_qrels
from qa._eval_metrics import (
    contains_any,
    distinct,
    first_hit,
    inside_any,
    is_evidence,
    ndcg_at,
    recall_at,
    reciprocal_rank_at,
    word_runs,
)


def test_perfect_ranking_scores_one() -> None:
    assert ndcg_at(["a", "b", "c"], {"a"}, 10) == 1.0
    assert ndcg_at(["a", "b", "c"], {"a", "b"}, 10) == 1.0
    assert reciprocal_rank_at(["a", "b"], {"a"}, 10) == 1.0
    assert recall_at(["a", "b"], {"a", "b"}, 2) == 1.0


def test_miss_scores_zero() -> None:
    assert ndcg_at(["x", "y"], {"a"}, 10) == 0.0
    assert reciprocal_rank_at(["x", "y"], {"a"}, 10) == 0.0
    assert recall_at(["x", "y"], {"a"}, 10) == 0.0
    assert first_hit(["x", "y"], {"a"}) is None
    assert ndcg_at(["a"], set(), 10) == 0.0


def test_known_values_at_lower_ranks() -> None:
    # One relevant document at rank 3: DCG 1/log2(4) = 0.5, ideal 1.
    assert ndcg_at(["x", "y", "a"], {"a"}, 10) == pytest.approx(0.5)
    assert reciprocal_rank_at(["x", "y", "a"], {"a"}, 10) == pytest.approx(1 / 3)
    # Two relevant at ranks 1 and 3: (1 + 0.5) / (1 + 1/log2(3)).
    expected = 1.5 / (1 + 1 / math.log2(3))
    assert ndcg_at(["a", "x", "b"], {"a", "b"}, 10) == pytest.approx(expected)
    assert recall_at(["a", "x", "b"], {"a", "b"}, 2) == 0.5
    assert first_hit(["x", "a"], {"a"}) == 2


def test_cutoff_excludes_later_ranks() -> None:
    ranked = [f"d{i}" for i in range(20)]
    assert reciprocal_rank_at(ranked, {"d10"}, 10) == 0.0
    assert ndcg_at(ranked, {"d10"}, 10) == 0.0
    assert recall_at(ranked, {"d10"}, 11) == 1.0


def test_duplicates_do_not_earn_twice() -> None:
    assert ndcg_at(["a", "a"], {"a", "b"}, 10) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert distinct(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]


def test_answer_matching_ignores_case_and_spacing() -> None:
    assert contains_any("It was played at  Levi's\nStadium.", ["levi's stadium"])
    assert not contains_any("It was played in Santa Clara.", ["Levi's Stadium", " "])


def test_aggregate_counts_abstentions_and_quotes() -> None:
    results = [
        QuestionResult("1", 1, True, 0.9, True, False, 1.0, (1.0,) * 5, ("a",)),
        QuestionResult("2", None, False, 0.1, False, False, 0.0, (0.0,) * 5, ("x",)),
        QuestionResult("3", None, False, 0.1, None, True),
        QuestionResult("4", None, True, 0.5, None, True),
    ]
    metrics, counts = aggregate(results, kind="beir")
    assert metrics["ndcg@10"] == 0.5
    assert metrics["mrr@10"] == 0.5
    assert metrics["recall@1"] == 0.5
    assert metrics["quote_accuracy"] == 0.5
    assert metrics["false_abstention"] == 0.5
    assert metrics["correct_abstention"] == 0.5
    assert counts == {"answerable": 2, "unanswerable": 2, "with_gold_answers": 2}


def test_qrels_with_header_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "test.tsv"
    path.write_bytes(b"query-id\tcorpus-id\tscore\r\nq1\td1\t1\r\nq1\td2\t1\r\nq2\td3\t0\r\n\r\n")
    assert read_qrels(path) == {"q1": {"d1", "d2"}}


def test_qrels_without_header(tmp_path: Path) -> None:
    path = tmp_path / "test.tsv"
    path.write_text("q1\td1\t1\nq2\td2\t2\n", encoding="utf-8")
    assert read_qrels(path) == {"q1": {"d1"}, "q2": {"d2"}}


def test_qrels_bad_score_is_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "test.tsv"
    path.write_text("query-id\tcorpus-id\tscore\nq1\td1\thigh\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"test.tsv:2: the score 'high' is not a number"):
        read_qrels(path)


def write_beir(folder: Path, docs: dict[str, str], queries: list[tuple[str, str, str]]) -> Path:
    """A BEIR folder: docs id -> text; queries (id, text, relevant doc id); CRLF qrels."""
    (folder / "qrels").mkdir(parents=True)
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as fh:
        for doc_id, text in docs.items():
            fh.write(json.dumps({"_id": doc_id, "title": doc_id.title(), "text": text}) + "\n")
    with (folder / "queries.jsonl").open("w", encoding="utf-8") as fh:
        for qid, text, _ in queries:
            record = {"_id": qid, "text": text, "metadata": {"answers": []}}
            fh.write(json.dumps(record) + "\n")
    rows = ["query-id\tcorpus-id\tscore"] + [f"{q}\t{d}\t1" for q, _, d in queries]
    (folder / "qrels" / "test.tsv").write_bytes("\r\n".join(rows).encode() + b"\r\n")
    return folder


def test_load_beir_keeps_judged_questions(tmp_path: Path) -> None:
    folder = write_beir(tmp_path / "b", {"d1": "One.", "d2": "Two."}, [("q1", "one?", "d1")])
    with (folder / "queries.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"_id": "q9", "text": "unjudged?"}) + "\n")
    data = load_dataset(folder)
    assert data.kind == "beir"
    assert [q.id for q in data.questions] == ["q1"]
    assert data.questions[0].relevant == frozenset({"d1"})
    assert [d.source for d in data.documents] == ["d1", "d2"]
    assert data.documents[0].title == "D1"


def test_load_beir_missing_file_names_it(tmp_path: Path) -> None:
    folder = write_beir(tmp_path / "b", {"d1": "One."}, [("q1", "one?", "d1")])
    (folder / "queries.jsonl").unlink()
    with pytest.raises(DatasetError, match=r"queries\.jsonl is missing"):
        load_beir(folder)


def test_load_dataset_missing_path(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no data set at"):
        load_dataset(tmp_path / "nothing")


def test_evidence_file_needs_evidence_or_unanswerable(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text(json.dumps({"q": "Why?", "evidence": []}) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"e\.jsonl:1: give evidence phrases"):
        load_dataset(path, corpus=tmp_path)


def test_evidence_file_without_corpus(tmp_path: Path) -> None:
    (tmp_path / "eval").mkdir()
    path = tmp_path / "eval" / "e.jsonl"
    path.write_text(json.dumps({"q": "Why?", "evidence": ["x"]}) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="pass --corpus"):
        load_dataset(path)
    (tmp_path / "corpus").mkdir()
    assert load_dataset(path).corpus_paths == (tmp_path / "corpus",)


def test_sample_is_reproducible_and_ordered() -> None:
    items = [EvalQuestion(id=str(i), text=f"question {i}?") for i in range(100)]
    a = [int(q.id) for q in sample_questions(items, 10)]
    assert a == [int(q.id) for q in sample_questions(items, 10)]
    assert a == sorted(a) and len(set(a)) == 10
    assert sample_questions(items, None) == items


PARAGRAPH = (
    "We collected 220 human-human dialogs. The average conversation length is 12.45 turns "
    "and the average utterance length is 11.13 words."
)


def test_word_runs_ignore_case_and_spacing() -> None:
    assert word_runs("A  b\nC d", 3) == {("a", "b", "c"), ("b", "c", "d")}
    assert word_runs("a b", 3) == set()


def test_a_passage_sharing_eight_words_with_a_paragraph_is_evidence() -> None:
    # The passage ends inside the paragraph: not a whole phrase, but eight words in a row.
    passage = "Data collection.\n\nWe collected 220 HUMAN-HUMAN dialogs. The average conversation"
    assert not contains_any(passage, [PARAGRAPH])
    assert is_evidence(passage, [PARAGRAPH])
    # Seven words in a row are not enough.
    seven = "Then we collected 220 human-human dialogs. The average of something else entirely."
    assert not is_evidence(seven, [PARAGRAPH])
    assert is_evidence(seven, [PARAGRAPH], run=7)
    # A passage holding a short evidence phrase counts, as before.
    assert is_evidence("It was played at Levi's  Stadium in 2016.", ["levi's stadium"])
    assert not is_evidence("Nothing shared here at all, not one run of eight.", [PARAGRAPH, " "])


def test_a_short_passage_counts_when_wholly_inside_evidence() -> None:
    assert is_evidence("The average conversation length", [PARAGRAPH])
    assert not is_evidence("The average conversation height", [PARAGRAPH])
    assert not is_evidence("   ", [PARAGRAPH])


def test_inside_any_ignores_case_and_spacing() -> None:
    assert inside_any("the AVERAGE\nconversation length is 12.45 turns", ["x", PARAGRAPH])
    assert not inside_any("We collected 220 dialogs.", [PARAGRAPH])
    assert not inside_any(" ", [PARAGRAPH])


def test_aggregate_quote_in_evidence_over_answerable_questions() -> None:
    results = [
        QuestionResult("1", 1, True, 0.9, False, False, quote_in_evidence=True),
        QuestionResult("2", 3, True, 0.6, False, False, quote_in_evidence=False),
        QuestionResult("3", None, False, 0.1, False, False, quote_in_evidence=False),
        QuestionResult("4", None, False, 0.1, None, True),
    ]
    metrics, _ = aggregate(results, kind="evidence")
    assert metrics["quote_in_evidence"] == pytest.approx(1 / 3)
    assert metrics["quote_accuracy"] == 0.0  # kept as it was: whole evidence in the quote
    # Without evidence (BEIR), there is no such figure.
    beir = [QuestionResult("1", 1, True, 0.9, True, False, 1.0, (1.0,) * 5, ("a",))]
    assert "quote_in_evidence" not in aggregate(beir, kind="beir")[0]
