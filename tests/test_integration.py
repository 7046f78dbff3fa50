"""End to end with the real model on the shared corpus and the seed questions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import qa
from tests.conftest import SEED, require_shared
from ui._render import answer_markdown

pytestmark = pytest.mark.slow


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _seed() -> list[dict[str, object]]:
    lines = require_shared(SEED).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line]


@pytest.fixture(scope="module")
def bot(corpus_index: Path, real_embedder: object) -> qa.Bot:
    return qa.load(corpus_index, embedder=real_embedder)  # type: ignore[arg-type]


def test_seed_questions(bot: qa.Bot) -> None:
    hit1 = hit3 = answerable = 0
    failures: list[str] = []
    refused: list[str] = []
    for item in _seed():
        question = str(item["q"])
        answer = bot.ask(question, k=5)
        for quote in answer.quotes:
            assert bot.document(quote.source)[quote.start : quote.end] == quote.text
        for passage in answer.passages:
            assert bot.document(passage.source)[passage.start : passage.end] == passage.text
        if item.get("unanswerable"):
            if answer.found:
                failures.append(f"answered an unanswerable question: {question}")
            continue
        answerable += 1
        evidence = [_norm(str(e)) for e in item["evidence"]]  # type: ignore[attr-defined]
        ranks = [
            i for i, p in enumerate(answer.passages) if any(e in _norm(p.text) for e in evidence)
        ]
        hit1 += bool(ranks and ranks[0] == 0)
        hit3 += bool(ranks and ranks[0] < 3)
        if not ranks or ranks[0] >= 3:
            failures.append(f"no evidence in the top 3 for: {question}")
        if not answer.found:
            refused.append(question)
    print(f"\nseed: hit@1 {hit1 / answerable:.3f}  hit@3 {hit3 / answerable:.3f}", end=" ")
    print(f"({answerable} answerable, {len(refused)} refused: {refused})")
    assert not failures, "\n".join(failures)
    # The decision is fitted to refuse about 1-3% of answerable questions of other data (and
    # never on these): one refusal in 13 is within that; two are a regression.
    assert len(refused) <= 1, f"refused answerable questions: {refused}"


def test_bull_question_quotes_the_list(bot: qa.Bot) -> None:
    answer = bot.ask("What are the five functions of diplomacy according to Bull?")
    assert answer.found
    first = answer.quotes[0]
    assert "five main functions of diplomacy" in first.text
    assert re.search(r"1\).*5\)", first.text), "the whole enumeration is one quote"
    assert first.source == "can-cyberspace-be-governed.txt"
    shown = answer_markdown(answer, threshold=bot.threshold)
    assert "<mark>" in shown and "line " in shown


def test_retrieve_contract(bot: qa.Bot, corpus_index: Path) -> None:
    hits = qa.retrieve("Which scholar described the grey zone?", k=3, index=corpus_index)
    assert 1 <= len(hits) <= 3
    assert all(isinstance(h, qa.Passage) for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert any("Nye" in h.text for h in hits)


def test_boilerplate_never_quoted(bot: qa.Bot) -> None:
    for question in ("Where can I subscribe to the newsletter?", "What is in the research menu?"):
        answer = bot.ask(question)
        for passage in answer.passages:
            assert "SUBSCRIBE TO NEWSLETTER" not in passage.text
            assert "Radicalization and International Terrorism" not in passage.text


@pytest.mark.parametrize(
    "question", ["Who is the author of Hamlet?", "What is the text of Hamlet?", "Who wrote Hamlet?"]
)
def test_other_works_are_refused(bot: qa.Bot, question: str) -> None:
    answer = bot.ask(question)
    assert not answer.found and answer.quotes == ()


def test_this_documents_byline_and_a_named_quote(bot: qa.Bot) -> None:
    author = bot.ask("Who wrote the commentary?")
    assert author.found and author.quotes[0].text == "Luigi Martino"
    # A question whose words all point at one passage is answered from it.
    kissinger = bot.ask("What did Kissinger say in 2014?")
    assert kissinger.found and "Kissinger stated" in kissinger.quotes[0].text
