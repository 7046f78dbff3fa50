"""Questions about the document itself: author, date, title, from the header's shape."""

from __future__ import annotations

from pathlib import Path

import pytest

import qa
from index import build_index
from qa._meta import metadata_kind
from tests.fakes import FakeEmbedder

BODY = (
    "Rivers carry goods, water and power across borders, and the states along them bargain "
    "over each use. Treaties about shared rivers are older than most other international "
    "agreements, and many still work."
)
PAGE = f"""Site name | Home
  • Home
  • About
  • Contact

Opinion

The Quiet Economics of Rivers

Maria van Houten
12 March 2024

{BODY}

Policy Makers
Most of them agree that data sharing comes first, because every later rule depends on it.

  • Home
  • About
  • Contact
"""


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who wrote the article?", "author"),
        ("Who is the author?", "author"),
        ("When was this essay published?", "date"),
        ("What is the title of the document?", "title"),
        ("Who wrote Hamlet?", None),
        ("When did the war end?", None),
        ("What do treaties about rivers do?", None),
    ],
)
def test_metadata_kind(question: str, kind: str | None) -> None:
    assert metadata_kind(question) == kind


@pytest.fixture
def bot(tmp_path: Path) -> qa.Bot:
    doc = tmp_path / "rivers.txt"
    doc.write_text(PAGE, encoding="utf-8")
    embedder = FakeEmbedder(max_tokens=60)
    build_index([doc], tmp_path / "idx", embedder=embedder)
    return qa.load(tmp_path / "idx", embedder=embedder)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who wrote the article?", "Maria van Houten"),
        ("When was the article published?", "12 March 2024"),
        ("What is the title of the article?", "The Quiet Economics of Rivers"),
    ],
)
def test_header_answers_metadata_questions(bot: qa.Bot, question: str, expected: str) -> None:
    answer = bot.ask(question)
    assert answer.found
    quote = answer.quotes[0]
    assert quote.text == expected
    assert bot.document(quote.source)[quote.start : quote.end] == expected


def test_heading_is_not_taken_for_an_author(bot: qa.Bot) -> None:
    # "Policy Makers" is name-shaped but is not next to a dateline or under "By"/"Authors".
    answer = bot.ask("Who wrote the article?")
    assert all(q.text != "Policy Makers" for q in answer.quotes)


def test_other_authors_are_not_invented(bot: qa.Bot) -> None:
    # Not about this document: the byline is not offered as Hamlet's author.
    answer = bot.ask("Who wrote Hamlet?")
    assert all(q.text != "Maria van Houten" for q in answer.quotes)


@pytest.mark.parametrize(
    "question",
    [
        "Who is the author of Hamlet?",
        "What is the text of Hamlet?",
        "Who is the writer of Ulysses?",
    ],
)
def test_questions_about_other_works_never_get_the_byline(bot: qa.Bot, question: str) -> None:
    # "author", "text" name a work, but another one: they go through the usual decision,
    # which the byline shortcut no longer overrides.
    answer = bot.ask(question)
    assert all(q.text != "Maria van Houten" for q in answer.quotes)
    assert all("12 March 2024" not in q.text for q in answer.quotes)


def test_the_author_of_a_work_no_document_names_is_refused(bot: qa.Bot) -> None:
    from qa._meta import about_other_work

    assert about_other_work("Who is the author of Hamlet?")
    assert about_other_work("What is the text of Ulysses?")
    assert not about_other_work("Who is the author of the article?")
    assert not about_other_work("Who wrote Hamlet?")
    # Even a bot that answers everything: no document names Hamlet, so none says who wrote it.
    eager = qa.Bot(bot.store, bot.embedder, threshold=0.0)
    refused = eager.ask("Who is the author of Hamlet?")
    assert not refused.found and refused.quotes == ()
    # A work the documents do name goes through the usual decision.
    assert eager.ask("Who is the author of The Quiet Economics of Rivers?").found
