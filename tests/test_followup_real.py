"""Follow-up questions with the real model, on the bundled corpus (always present)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import qa
from qa._eval_metrics import contains_any

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bot(bundled_index: Path, real_embedder: Any) -> qa.Bot:
    return qa.load(bundled_index, embedder=real_embedder)


@pytest.mark.parametrize(
    ("first", "second", "evidence"),
    [
        ("Can several servers share one index?", "How do I install that?", "qa-quotes[postgres]"),
        (
            "Which file types can I index?",
            "And how is a PDF file read?",
            "A PDF file is read in reading order",
        ),
        ("How does re-indexing work?", "What about files that are gone?", "files that are gone"),
    ],
)
def test_follow_up_quotes_the_passage_its_topic_holds(
    bot: qa.Bot, first: str, second: str, evidence: str
) -> None:
    previous = bot.ask(first)
    answer = bot.ask(second, history=[previous])
    assert answer.searched_as is not None and first in answer.searched_as
    assert answer.found and contains_any(answer.quotes[0].text, [evidence])
    # The question texts alone (what the chat keeps) give the same answer.
    assert bot.ask(second, history=[first]) == answer


def test_follow_up_finds_what_the_question_alone_misses(bot: qa.Bot) -> None:
    question = "How do I install that?"
    alone = bot.ask(question)
    follow = bot.ask(question, history=["Can several servers share one index?"])
    assert not contains_any(alone.passages[0].text, ["qa-quotes[postgres]"])
    assert contains_any(follow.passages[0].text, ["qa-quotes[postgres]"])


def test_new_topic_is_answered_as_if_asked_first(bot: qa.Bot) -> None:
    previous = bot.ask("How do I install qa?")
    question = "Which file types can I index?"
    answer = bot.ask(question, history=[previous])
    assert answer.searched_as is None
    assert answer == bot.ask(question)
    assert contains_any(answer.quotes[0].text, ["You can index plain text files"])
