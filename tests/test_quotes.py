"""Quote choice: a heading that repeats the question is not its answer."""

from __future__ import annotations

from pathlib import Path

import qa
from index import build_index
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
