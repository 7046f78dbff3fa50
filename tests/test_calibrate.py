"""Per-index calibration, the trade-off table, one-document questions, metadata negatives."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

import index
import qa
import qa._bot
import qa._calibrate
from index import Document
from index._build import build_from_documents
from qa._eval import QuestionResult
from qa._meta import metadata_kind, residual_terms
from qa._tradeoff import tradeoff
from tests.fakes import FakeEmbedder
from ui.cli import main

TEXTS = {
    "tea.md": "Green tea comes from the leaves of Camellia sinensis. It is steamed or pan-fired.",
    "coffee.md": "Coffee beans are roasted before they are ground. Arabica grows in the hills.",
    "rivers.md": "The Danube flows through ten countries. It reaches the Black Sea in Romania.",
}


@pytest.fixture
def built(tmp_path: Path, fake_embedder: FakeEmbedder) -> Path:
    docs = [Document(s, s, t, "markdown", str(n) * 64) for n, (s, t) in enumerate(TEXTS.items())]
    build_from_documents(docs, tmp_path / "idx", embedder=fake_embedder)
    return tmp_path / "idx"


def _result(confidence: float, *, unanswerable: bool = False, right: bool = True) -> QuestionResult:
    return QuestionResult(
        id=str(confidence),
        rank=1,
        found=True,
        confidence=confidence,
        quote_correct=right,
        unanswerable=unanswerable,
    )


def test_fit_threshold_refuses_at_most_the_allowed_share() -> None:
    answerable = [_result(c / 100) for c in range(40, 80)]  # 40 questions, 0.40..0.79
    unanswerable = [_result(c, unanswerable=True) for c in (0.1, 0.2, 0.45)]
    fitted = qa._calibrate.fit_threshold(
        answerable + unanswerable, model="m", max_false_abstention=0.05
    )
    # 5% of 40 is 2: the two least confident answerable ones may be refused, not a third.
    assert 0.41 < fitted.threshold <= 0.42
    assert fitted.false_abstention == pytest.approx(2 / 40)
    assert fitted.correct_abstention == pytest.approx(2 / 3)
    with pytest.raises(qa.CalibrationError, match="at least 10"):
        qa._calibrate.fit_threshold(answerable[:3], model="m")


def test_tradeoff_counts_refusals_and_wrong_answers() -> None:
    results = [
        _result(0.9),
        _result(0.8, right=False),
        _result(0.3),
        _result(0.2, unanswerable=True),
    ]
    low, high = tradeoff(results, [0.0, 0.5])
    assert (low.refused, low.refused_answerable, low.wrong) == (0.0, 0.0, 0.5)
    assert high.refused == 0.5 and high.refused_answerable == pytest.approx(1 / 3)
    assert high.wrong == 0.5  # of the two answered, the 0.8 one quotes the wrong sentence


def test_calibration_is_stored_with_the_index_and_used(
    built: Path, fake_embedder: FakeEmbedder
) -> None:
    bot = qa.load(built, embedder=fake_embedder)
    shipped = bot.threshold
    fitted = qa._calibrate.fit_threshold(
        [_result(0.5 + i / 100) for i in range(20)], model=bot.store.manifest.model
    )
    qa.save_calibration(built, fitted)
    assert json.loads((built / "settings.json").read_text())["calibration"]["threshold"] == (
        fitted.threshold
    )
    assert qa.load(built, embedder=fake_embedder).threshold == fitted.threshold != shipped
    # An explicit threshold still wins, and a calibration for another model is not used.
    assert qa.load(built, embedder=fake_embedder, threshold=0.9).threshold == 0.9
    qa.save_calibration(built, replace(fitted, model="another-model"))
    assert qa.load(built, embedder=fake_embedder).threshold == shipped
    # A rebuild keeps the calibration (it lives beside the versions).
    build_from_documents(
        [Document("new.md", "new.md", "Oolong is partly oxidised.", "markdown", "9" * 64)],
        built,
        embedder=fake_embedder,
    )
    assert (built / "settings.json").is_file()


def test_calibrate_command(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fake_loader(name: str, **_: object) -> FakeEmbedder:
        return FakeEmbedder()

    monkeypatch.setattr(index, "load_embedder", fake_loader)
    monkeypatch.setattr(qa._bot, "load_embedder", fake_loader)
    questions = tmp_path / "mine.jsonl"
    rows = [{"q": f"Where does the Danube flow {i}?", "evidence": ["Danube"]} for i in range(6)]
    rows += [{"q": f"What is green tea made of {i}?", "evidence": ["Camellia"]} for i in range(6)]
    rows += [{"q": "Who painted the Mona Lisa?", "unanswerable": True}]
    questions.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert main(["calibrate", str(questions), "--index", str(built), "--quiet", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "refuses" in out and "not stored" in out and not (built / "settings.json").exists()
    assert main(["calibrate", str(questions), "--index", str(built), "--quiet"]) == 0
    stored = json.loads((built / "settings.json").read_text())["calibration"]
    assert stored["answerable"] == 12 and stored["unanswerable"] == 1
    # Too few labelled questions: one line saying what to do, nothing stored over it.
    few = tmp_path / "few.jsonl"
    few.write_text(json.dumps(rows[0]), encoding="utf-8")
    assert main(["calibrate", str(few), "--index", str(built), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("qa: error:") and "at least 10" in err and "\n" not in err
    assert json.loads((built / "settings.json").read_text())["calibration"] == stored


def test_sources_limit_retrieval_and_answers(built: Path, fake_embedder: FakeEmbedder) -> None:
    bot = qa.load(built, embedder=fake_embedder, threshold=0.0)
    assert bot.retrieve("Danube Black Sea", k=1)[0].source == "rivers.md"
    only = bot.retrieve("Danube Black Sea", k=3, sources=["tea.md"])
    assert only and {p.source for p in only} == {"tea.md"}
    answer = bot.ask("Danube Black Sea", sources=["coffee.md", "tea.md"])
    assert {q.source for q in answer.quotes} <= {"coffee.md", "tea.md"}
    with pytest.raises(qa.QuestionError, match=r"milk\.md"):
        bot.ask("Danube", sources=["milk.md"])
    with pytest.raises(qa.QuestionError, match="no document chosen"):
        bot.retrieve("Danube", sources=[])


def test_words_only_other_documents_use_count_as_unknown(
    built: Path, fake_embedder: FakeEmbedder
) -> None:
    bot = qa.load(built, embedder=fake_embedder)
    everywhere = bot.rank("Danube Romania")
    in_tea = bot.rank("Danube Romania", sources=["tea.md"])
    assert everywhere.weights.unknown_share == 0.0
    assert in_tea.weights.unknown_share == pytest.approx(1.0)


def test_questions_about_other_works_are_not_about_this_document() -> None:
    assert metadata_kind("Who is the author of Hamlet?") is None
    assert metadata_kind("What is the text of Hamlet?") is None
    assert metadata_kind("Who wrote the text of the treaty?") is None
    assert metadata_kind("Who wrote Hamlet?") is None
    assert metadata_kind("Who is the author?") == "author"
    assert metadata_kind("Who is the author of the article?") == "author"
    assert metadata_kind("When was the commentary published?") == "date"
    assert metadata_kind("What is the title of this document?") == "title"
    assert residual_terms("Who wrote the commentary?") == []
    assert residual_terms("Who wrote the article on cyber norms?") == ["cyber", "norm"]


def test_an_answer_spread_over_two_documents_quotes_both(
    tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    texts = {
        "pay.md": "Staff are paid on the last working day of each month by bank transfer.",
        "leave.md": "Annual leave is twenty five days, booked through the holiday planner.",
        "misc.md": "The canteen opens at noon and closes at three in the afternoon.",
    }
    docs = [Document(s, s, t, "markdown", str(n) * 64) for n, (s, t) in enumerate(texts.items())]
    build_from_documents(docs, tmp_path / "idx", embedder=fake_embedder)
    bot = qa.load(tmp_path / "idx", embedder=fake_embedder, threshold=0.0)
    answer = bot.ask("When are staff paid and how many days of annual leave?", k=3)
    assert {q.source for q in answer.quotes} == {"pay.md", "leave.md"}
    # One document's sentence that covers everything needs no second quote from another.
    solo = bot.ask("When are staff paid each month by bank transfer?", k=3)
    assert [q.source for q in solo.quotes][:1] == ["pay.md"]
    assert "leave.md" not in {q.source for q in solo.quotes}
