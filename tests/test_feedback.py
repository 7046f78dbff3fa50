"""Feedback kept with the index (folder and PostgreSQL), its export as an evaluation file,
and the PDF originals that citations open."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
from pathlib import Path
from typing import Any

import pytest

import index
import qa
from index._feedback import append_feedback
from index._originals import read_original
from index._pg_build import build_pg_index
from index._store import open_store
from tests.fakes import FakeEmbedder
from ui import _votes as votes
from ui._votes import evaluation_rows
from ui.cli import main

FACTS = [
    ("harbour", "The harbour of Valdoria opened in 1852 and handled grain exports."),
    ("lamp", "The lighthouse keeper Marta Ilsen kept the lamp burning for forty years."),
    ("railway", "The Valdoria railway reached the harbour in 1901, carrying coal and timber."),
    ("bell", "The museum keeps the old ship bell, which rings at noon on festival days."),
    ("bread", "The bakery on Quay Street sells rye bread every morning before dawn."),
    ("bridge", "The stone bridge over the Arlen river was rebuilt after the flood of 1923."),
    ("school", "The first village school taught forty pupils in a single room."),
    ("market", "The Saturday market sells cheese, honey and smoked fish from the coast."),
    ("choir", "The church choir sings the old sailors' hymn every Easter morning."),
    ("mill", "The windmill on the hill ground barley until the storm of 1962."),
    ("ferry", "The ferry to Orsa island leaves twice a day in the summer months."),
    ("library", "The town library lends maps of the old smuggling routes to visitors."),
]


def make_corpus(folder: Path) -> Path:
    """One text file per fact, and a three-page PDF."""
    from fpdf import FPDF

    folder.mkdir(parents=True, exist_ok=True)
    for name, text in FACTS:
        (folder / f"{name}.txt").write_text(text + "\n", encoding="utf-8")
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for page in ("Page one is about the weather.", "Page two: the tides rise at dawn.", "Three."):
        pdf.add_page()
        pdf.multi_cell(0, 10, page)
    pdf.output(str(folder / "tides.pdf"))
    return folder


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return make_corpus(tmp_path / "docs")


@pytest.fixture
def built(corpus: Path, tmp_path: Path, fake_embedder: FakeEmbedder) -> Path:
    out = tmp_path / "idx"
    index.build_index([corpus], out, embedder=fake_embedder)
    return out


def _question(name: str) -> str:
    text = dict(FACTS)[name]
    return "What about " + " ".join(text.split()[1:6]) + "?"


def test_records_survive_a_rebuild_and_a_torn_last_line(
    built: Path, corpus: Path, fake_embedder: FakeEmbedder
) -> None:
    bot = qa.load(built, embedder=fake_embedder)
    answer = bot.ask(_question("lamp"))
    assert answer.found
    record = votes.feedback_record(answer, vote="up", mode="hybrid", k=5, threshold=bot.threshold)
    votes.record_feedback(built, record)
    index.build_index([corpus], built, embedder=fake_embedder)  # `qa index` again
    stored = votes.load_feedback(built)
    assert stored == [record]
    quote = stored[0]["quotes"][0]
    # Offsets point into the indexed text, and the time and the vote are there.
    assert bot.store.document(quote["source"]).text[quote["start"] : quote["end"]] == quote["text"]
    assert stored[0]["vote"] == "up" and stored[0]["created"]
    # A crash half way through a write leaves a line without its newline: never read, and
    # the next record starts on a line of its own.
    with (built / "feedback.jsonl").open("ab") as fh:
        fh.write(b'{"vote": "do')
    assert votes.load_feedback(built) == [record]
    votes.record_feedback(built, {**record, "vote": "down"})
    assert [r["vote"] for r in votes.load_feedback(built)] == ["up", "down"]


def test_a_damaged_line_is_reported_with_its_place(built: Path) -> None:
    (built / "feedback.jsonl").write_text('{"vote": "up"}\nnot json\n', encoding="utf-8")
    with pytest.raises(qa.IndexCorruptError, match=r"feedback.jsonl:2"):
        votes.load_feedback(built)


def test_feedback_needs_an_index(tmp_path: Path) -> None:
    with pytest.raises(qa.IndexNotFoundError):
        votes.record_feedback(tmp_path / "nothing", {"vote": "up"})


def _append_many(location: str, worker: int, n: int) -> None:
    for i in range(n):
        append_feedback(location, {"worker": worker, "i": i, "pad": "x" * (i * 97 % 5000)})


def test_concurrent_writers_lose_and_corrupt_nothing(built: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_append_many, args=(str(built), w, 40)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(timeout=120)
        assert p.exitcode == 0
    records = votes.load_feedback(built)
    assert sorted((r["worker"], r["i"]) for r in records) == [
        (w, i) for w in range(4) for i in range(40)
    ]


def _record(bot: qa.Bot, name: str, vote: str, *, passage: int | None = None) -> dict[str, Any]:
    answer = bot.ask(_question(name))
    return votes.feedback_record(answer, vote=vote, mode="hybrid", k=5, passage=passage)  # type: ignore[arg-type]


def test_mapping_from_votes_to_labels(built: Path, fake_embedder: FakeEmbedder) -> None:
    bot = qa.load(built, embedder=fake_embedder)
    up = _record(bot, "lamp", "up")
    down = _record(bot, "bread", "down")
    marked = _record(bot, "bell", "answers", passage=1)
    changed = [_record(bot, "mill", "down"), _record(bot, "mill", "up")]  # the last one counts
    cleared = [_record(bot, "ferry", "up"), _record(bot, "ferry", "cleared")]
    # A refusal: the fake model's threshold answers nearly anything, so make one.
    refused = dataclasses.replace(bot.ask("Zebra quantum saxophone?"), found=False, quotes=())
    refusal_up = votes.feedback_record(refused, vote="up", mode="hybrid", k=5)
    refusal_down = votes.feedback_record(refused, vote="down", mode="hybrid", k=5)
    rows, left_out = evaluation_rows([up, down, marked, *changed, *cleared, refusal_up])
    by_q = {r["q"]: r for r in rows}
    assert by_q[up["question"]]["evidence"] == [q["text"] for q in up["quotes"]]
    assert by_q[down["question"]]["unanswerable"] is True
    assert by_q[down["question"]]["wrong_quotes"] == [q["text"] for q in down["quotes"]]
    assert by_q[marked["question"]]["evidence"] == [marked["passages"][1]["text"]]
    assert not by_q[changed[1]["question"]].get("unanswerable")
    assert cleared[0]["question"] not in by_q  # a thumb taken back says nothing
    assert by_q[refusal_up["question"]]["unanswerable"] is True
    assert left_out == 1
    # A refusal voted down names no evidence: left out.
    assert evaluation_rows([refusal_down]) == ([], 1)
    with pytest.raises(votes.FeedbackError):
        votes.feedback_record(refused, vote="answers", mode="hybrid", k=5)


def _vote_on_everything(bot: qa.Bot, location: str | Path) -> None:
    # Ten answers liked, one passage marked, three wrong answers, one refusal agreed with.
    for name, _ in FACTS[:10]:
        votes.record_feedback(location, _record(bot, name, "up"))
    votes.record_feedback(location, _record(bot, "library", "answers", passage=0))
    for question in ("Zebra quantum saxophone?", "Ferry timetable in winter?", "Harbour tax?"):
        votes.record_feedback(
            location, votes.feedback_record(bot.ask(question), vote="down", mode="hybrid", k=5)
        )


def test_export_then_eval_and_calibrate_read_it(
    built: Path, corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bot = qa.load(built, embedder=FakeEmbedder())
    _vote_on_everything(bot, built)
    out = tmp_path / "feedback-eval.jsonl"
    assert main(["feedback", "export", "--index", str(built), "--out", str(out)]) == 0
    assert "answerable" in capsys.readouterr().err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sum(1 for r in rows if not r.get("unanswerable")) == 11
    assert sum(1 for r in rows if r.get("unanswerable")) >= 1
    dataset = qa.load_dataset(out, corpus=corpus)
    assert len(dataset.questions) == len(rows)
    # qa calibrate and qa eval read the file (the fake model: `calibrate` with the bot).
    fitted, _ = qa.calibrate(bot, qa.load_dataset(out, need_corpus=False))
    assert fitted.answerable == 11 and fitted.unanswerable == len(rows) - 11
    evaluated = qa.evaluate(bot, dataset, progress=False)
    assert evaluated.summary()["questions"] == len(rows)


def test_export_without_feedback_says_what_to_do(built: Path, tmp_path: Path) -> None:
    with pytest.raises(votes.FeedbackError, match="vote on answers"):
        votes.export_feedback(built, tmp_path / "x.jsonl")
    assert main(["feedback", "export", "--index", str(built), "--out", str(tmp_path / "x")]) == 2


def test_pdf_original_kept_checked_and_pruned(
    built: Path, corpus: Path, fake_embedder: FakeEmbedder
) -> None:
    store = open_store(built)
    pdf = store.document("tides.pdf")
    data = read_original(built, pdf)
    assert data == (corpus / "tides.pdf").read_bytes()
    assert len(pdf.page_starts) == 3
    assert read_original(built, store.document("lamp.txt")) is None  # text: no copy
    kept = built / "originals" / f"{pdf.sha256}.pdf"
    kept.write_bytes(b"%PDF-damaged")
    assert read_original(built, pdf) is None  # a damaged copy is never served
    (corpus / "tides.pdf").unlink()
    index.build_index([corpus], built, embedder=fake_embedder)
    assert not kept.exists()


@pytest.mark.slow
def test_postgres_feedback_survives_a_rebuild_and_exports(
    pg_url: str, corpus: Path, tmp_path: Path
) -> None:
    embedder = FakeEmbedder()
    build_pg_index([corpus], pg_url, embedder=embedder)
    bot = qa.load(pg_url, embedder=embedder)
    assert votes.load_feedback(pg_url) == []
    _vote_on_everything(bot, pg_url)
    # Another model (asked for with force) drops and rebuilds the index's tables; votes stay.
    build_pg_index([corpus], pg_url, embedder=FakeEmbedder(name="other", dimension=32), force=True)
    stored = votes.load_feedback(pg_url)
    assert len(stored) == 14 and stored[0]["vote"] == "up"
    out = tmp_path / "pg-eval.jsonl"
    assert main(["feedback", "export", "--store", pg_url, "--out", str(out)]) == 0
    assert len(qa.load_dataset(out, need_corpus=False).questions) >= 12
    pdf = qa.load(pg_url, embedder=FakeEmbedder(name="other", dimension=32)).store
    document = pdf.document("tides.pdf")
    assert read_original(pg_url, document) == (corpus / "tides.pdf").read_bytes()
    os.remove(corpus / "tides.pdf")
    build_pg_index([corpus], pg_url, embedder=FakeEmbedder(name="other", dimension=32))
    assert read_original(pg_url, document) is None


@pytest.mark.slow
def test_cli_eval_and_calibrate_dry_run_read_the_export(
    corpus: Path, tmp_path: Path, real_embedder: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    built = tmp_path / "real"
    index.build_index([corpus], built, embedder=real_embedder)
    _vote_on_everything(qa.load(built, embedder=real_embedder), built)
    out = tmp_path / "feedback-eval.jsonl"
    assert main(["feedback", "export", "--index", str(built), "--out", str(out)]) == 0
    capsys.readouterr()
    args = ["calibrate", str(out), "--index", str(built), "--dry-run", "--quiet"]
    assert main(args) == 0
    assert "not stored (--dry-run)" in capsys.readouterr().out
    assert main(["eval", str(out), "--corpus", str(corpus), "--index", str(tmp_path / "e")]) == 0
    assert "questions" in capsys.readouterr().out.lower()


def test_links_name_the_page_and_escape_odd_names() -> None:
    from ui._open import document_url, page_of, text_page

    pdf = index.Document("a b/#1?.pdf", "t", "one\n\ntwo\n\nthree", "pdf", "0" * 64, (0, 5, 10))
    assert [page_of(pdf, o) for o in (0, 4, 5, 12)] == [1, 1, 2, 3]
    assert document_url(pdf, 5, 8) == "/qa/doc/a%20b/%231%3F.pdf?start=5&end=8#page=2"
    text = index.Document("n.md", "t", "x <b>bold</b> y", "markdown", "0" * 64)
    assert document_url(text, 2, 13).endswith("#quote")
    page = text_page(text, (2, 13))
    assert '<mark id="quote">&lt;b&gt;bold&lt;/b&gt;</mark>' in page and "<b>" not in page


def test_an_uploaded_pdf_is_kept_for_its_citations(
    built: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    from fpdf import FPDF

    from ui._uploads import Library

    library = Library(qa.load(built, embedder=fake_embedder))
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 10, "A new page about the lighthouse at Orsa.")
    fresh = tmp_path / "fresh.pdf"
    pdf.output(str(fresh))
    assert not (built / "originals" / f"{_sha(fresh)}.pdf").exists()
    assert library.add([fresh]).added == ("uploads/fresh.pdf",)
    document = library.bot.store.document("uploads/fresh.pdf")
    assert read_original(built, document) == fresh.read_bytes()


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
