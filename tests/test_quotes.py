"""Quote choice: a heading that repeats the question is not its answer."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import qa
from index import build_index
from qa._answer_model import SENTENCE_FEATURES
from tests.fakes import FakeEmbedder


def _bot(tmp_path: Path, text: str) -> qa.Bot:
    doc = tmp_path / "notes.md"
    doc.write_text(text, encoding="utf-8")
    embedder = FakeEmbedder()
    build_index([doc], tmp_path / "idx", embedder=embedder)
    return qa.load(tmp_path / "idx", embedder=embedder, threshold=0.0)


def test_question_heading_is_not_quoted(tmp_path: Path) -> None:
    bot = _bot(
        tmp_path,
        "# Can rivers be governed?\n\n"
        "Rivers can be governed by treaties between the states along their banks. "
        "Such treaties share water and settle disputes.\n",
    )
    answer = bot.ask("Can rivers be governed?")
    assert answer.found
    assert not answer.quotes[0].text.endswith("?")
    assert "treaties" in answer.quotes[0].text


def test_long_sentence_ending_in_a_question_can_be_quoted(tmp_path: Path) -> None:
    bot = _bot(
        tmp_path,
        "This remains an open issue: what happens if, after a flood on a shared river, the "
        "states along it are called upon to respond in line with their treaty?\n",
    )
    answer = bot.ask("What is the open issue about floods?")
    assert answer.quotes and "open issue" in answer.quotes[0].text


def test_questions_that_want_a_time_or_a_quantity_are_told() -> None:
    from qa._answer_type import expected_kind, holds_kind

    assert expected_kind("When did the treaty come into force?") == "time"
    assert expected_kind("In what year was the office opened?") == "time"
    assert expected_kind("How many states signed it?") == "quantity"
    assert expected_kind("What percentage of the budget goes to defence?") == "quantity"
    assert expected_kind("Who wrote the commentary?") is None
    assert expected_kind("What is cyber diplomacy?") is None
    assert holds_kind("time", "It came into force in 1994.")
    assert holds_kind("time", "By the 17th century the city had recovered.")
    assert not holds_kind("time", "It came into force after a long debate.")
    assert holds_kind("quantity", "Twelve states signed it.")
    assert holds_kind("quantity", "It cost 3 million euros.")
    assert not holds_kind("quantity", "Many states signed it.")


def test_definition_questions_want_a_sentence_that_defines_the_subject() -> None:
    from qa._answer_type import expectation

    what = expectation("What is libtasn1?")
    assert what is not None and what.kind == "definition" and what.subject == "libtasn1"
    assert what.held_by("GNU Libtasn1 (version 4.19.0, 2022), which is a library for ASN.1.")
    assert what.held_by("Libtasn1 is the ASN.1 library of the GNU project.")
    assert not what.held_by("The libtasn1 project is maintained by the GNU team.")
    who = expectation("Who was Ada Lovelace?")
    assert who is not None and who.held_by("Ada Lovelace, the daughter of Byron, wrote it.")
    theirs = expectation("What is their baseline?")
    assert theirs is not None and theirs.subject == "baseline"
    # Not definitions: a longer or relational subject, a pronoun, other kinds.
    assert expectation("What is the name of the ship?") is None
    assert expectation("What is it?") is None
    assert expectation("What is the capital of France?") is None
    when = expectation("When did the treaty come into force?")
    assert when is not None and when.kind == "time" and when.held_by("It did in 1994.")


def test_a_when_question_quotes_the_sentence_with_the_date(tmp_path: Path) -> None:
    # Both sentences share the question's words; only one says when.
    bot = _bot(
        tmp_path,
        "The treaty on shared rivers came into force after a long debate among the states. "
        "The treaty on shared rivers came into force in 1997 among the states.\n",
    )
    answer = bot.ask("When did the treaty on shared rivers come into force?")
    assert answer.quotes and "1997" in answer.quotes[0].text
    weights = dict(zip(SENTENCE_FEATURES, bot.model.sentence, strict=True))
    assert weights["kind"] > 0
    blind = replace(
        bot.model, sentence=tuple(0.0 if n == "kind" else w for n, w in weights.items())
    )
    no_kind = qa.Bot(bot.store, bot.embedder, threshold=0.0, model=blind)
    assert (
        "1997"
        not in no_kind.ask("When did the treaty on shared rivers come into force?").quotes[0].text
    )
