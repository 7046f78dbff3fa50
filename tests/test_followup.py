"""Follow-up questions: cues, the context carried, new topics searched alone."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

import qa
from index import build_index
from qa._followup import FollowupOptions, leaning_cue, own_terms, resolve
from tests.conftest import REPO
from tests.fakes import FakeEmbedder
from ui._history import previous_questions
from ui._render import escape
from ui._uploads import Library
from ui.app import chat_function

LIGHTHOUSE = (
    "A history of the Eddystone Lighthouse\n\n"
    "Jane Smith\n07 September 2021\n\n"
    "The Eddystone Lighthouse stands on the Eddystone Rocks, south of Plymouth. "
    "The fourth tower was designed by James Douglass and first lit in 1882. "
    "Its light can be seen for 22 nautical miles.\n"
)
BRIDGE = (
    "The Forth Bridge\n\n"
    "The Forth Bridge crosses the Firth of Forth west of Edinburgh. "
    "The bridge was designed by John Fowler and Benjamin Baker and opened in 1890. "
    "It carries the railway across the estuary.\n"
)


@pytest.fixture
def bot(tmp_path: Path, fake_embedder: FakeEmbedder) -> qa.Bot:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "lighthouse.txt").write_text(LIGHTHOUSE, encoding="utf-8")
    (docs / "bridge.txt").write_text(BRIDGE, encoding="utf-8")
    build_index([docs], tmp_path / "idx", embedder=fake_embedder)
    return qa.load(tmp_path / "idx", embedder=fake_embedder, threshold=0.0)


@pytest.mark.parametrize(
    "question",
    [
        "And who wrote it?",
        "Who designed it?",
        "What about the bridge?",
        "how about PDF files?",
        "What does that mean?",
        "How does this work?",
        "Where are these interests identified?",
        "What is the first one?",
        "Why?",
        "Tell me more",
        "What is outpacing regulation, according to him?",
        "How do I require a login then?",
        "Does it work offline?",
    ],
)
def test_questions_that_lean_on_the_previous_turn(question: str) -> None:
    assert leaning_cue(question) is not None


@pytest.mark.parametrize(
    "question",
    [
        "Which file types can I index?",
        "Who wrote this commentary?",  # "this" names the document itself
        "Is it possible to index PDF files?",  # "it" that points at nothing
        "How long does it take to export the model?",
        "What are the rules that govern cyberspace?",  # "that" joins a clause
        "What is the capital of Australia?",
        "Who designed the Forth Bridge?",
    ],
)
def test_questions_that_start_a_new_topic(question: str) -> None:
    assert leaning_cue(question) is None


def test_few_words_of_its_own_leans_by_the_threshold() -> None:
    assert own_terms("What is BM25?") == ["bm25"]
    assert leaning_cue("What is BM25?", options=FollowupOptions(min_own_terms=1)) is None
    assert leaning_cue("What is BM25?", options=FollowupOptions(min_own_terms=2)) is not None


def test_context_carries_the_previous_question_and_where_its_topic_started() -> None:
    assert resolve("Who designed it?", []) is None
    assert resolve("Who designed the Forth Bridge?", ["What is the Eddystone Lighthouse?"]) is None
    one = resolve("Who designed it?", ["What is the Eddystone Lighthouse?"])
    assert one is not None and one.questions == ("What is the Eddystone Lighthouse?",)
    assert one.searched_as("Who designed it?") == (
        "Who designed it? What is the Eddystone Lighthouse?"
    )
    # A chain of follow-ups keeps the question that started the topic, not every turn.
    chain = resolve(
        "And when was it lit?",
        ["How tall is the bridge?", "What is the Eddystone Lighthouse?", "Who designed it?"],
    )
    assert chain is not None
    assert chain.questions == ("Who designed it?", "What is the Eddystone Lighthouse?")


def test_follow_up_is_searched_with_the_previous_turn(bot: qa.Bot) -> None:
    first = bot.ask("What is the Eddystone Lighthouse?")
    alone = bot.ask("Who designed it?")
    follow = bot.ask("Who designed it?", history=[first])
    assert alone.searched_as is None
    assert follow.searched_as == "Who designed it? What is the Eddystone Lighthouse?"
    assert follow.passages[0].source == "lighthouse.txt"
    assert follow.found and {q.source for q in follow.quotes} == {"lighthouse.txt"}
    designers = [p.source for p in follow.passages if "designed by" in p.text]
    assert designers[0] == "lighthouse.txt" and "bridge.txt" in designers
    # The same conversation from the question texts alone (as a chat keeps it).
    assert bot.ask("Who designed it?", history=["What is the Eddystone Lighthouse?"]) == follow
    # ... and about the other document, the other answer.
    other = bot.ask("Who designed it?", history=["Where does the Forth Bridge cross?"])
    assert other.passages[0].source == "bridge.txt"
    assert {q.source for q in other.quotes} == {"bridge.txt"}


def test_carried_terms_weigh_less_than_the_question_s_own(bot: qa.Bot) -> None:
    ranking = bot.rank("What about the bridge?", history=["Who designed the lighthouse?"])
    weights = ranking.weights.weights
    assert ranking.context is not None
    assert weights["lighthous"] < weights["bridg"]
    assert weights["lighthous"] == pytest.approx(
        bot.followup.carry_weight * bot.store.lexical.idf("lighthous")
    )


def test_who_wrote_it_after_a_question_is_answered_by_the_byline(bot: qa.Bot) -> None:
    first = bot.ask("What can be seen from the Eddystone Lighthouse?")
    answer = bot.ask("And who wrote it?", history=[first])
    assert answer.searched_as is not None
    assert answer.found and answer.quotes[0].text == "Jane Smith"
    # Without the conversation "it" is nothing: no byline is taken for an answer.
    assert not any(q.text == "Jane Smith" for q in bot.ask("And who wrote it?").quotes)


def test_new_topic_drops_the_context(bot: qa.Bot) -> None:
    first = bot.ask("What is the Eddystone Lighthouse?")
    question = "When did the Forth Bridge open?"
    assert bot.ask(question, history=[first]) == bot.ask(question)
    assert bot.retrieve(question, history=[first]) == bot.retrieve(question)


def test_no_history_changes_nothing(bot: qa.Bot) -> None:
    for question in ("Who designed it?", "When did the Forth Bridge open?", "What is it?"):
        plain = bot.ask(question)
        assert plain.searched_as is None
        assert bot.ask(question, history=[]) == plain
        assert bot.ask(question, history=()) == plain
        ranking = bot.rank(question)
        assert ranking.context is None and ranking.searched_as is None


def test_passage_bonus_favours_the_previous_answer_s_passage(bot: qa.Bot) -> None:
    first = bot.ask("Where does the Forth Bridge cross?")
    bot.followup = replace(bot.followup, passage_bonus=10.0)
    # "the lighthouse" pulls the other way; a huge bonus keeps the previous passage first.
    answer = bot.ask("And what about the lighthouse?", history=[first])
    assert answer.passages[0].source == first.passages[0].source == "bridge.txt"


def test_bad_history_turn_is_a_question_error(bot: qa.Bot) -> None:
    with pytest.raises(qa.QuestionError, match="empty"):
        bot.ask("Who designed it?", history=["   "])


def test_defaults_are_the_fitted_options() -> None:
    fitted = json.loads((REPO / "benchmarks" / "results" / "followups.json").read_text())
    assert {**FollowupOptions().__dict__} == fitted["fitted"]


# -- the chat --------------------------------------------------------------------------------


def test_previous_questions_read_gradio_history() -> None:
    escaped = escape("What is (the) *Eddystone* Lighthouse?")
    history = [
        {"role": "user", "content": [{"type": "text", "text": escaped}]},
        {"role": "assistant", "content": [{"type": "text", "text": "> quote"}]},
        {"role": "user", "content": "   "},  # not a question: left out
        {"role": "assistant", "content": "**Cannot answer:** ..."},
        ["Where does the Forth Bridge cross?", "> quote"],
    ]
    assert previous_questions(history) == [
        "What is (the) *Eddystone* Lighthouse?",
        "Where does the Forth Bridge cross?",
    ]
    assert previous_questions(None) == []


def test_chat_function_shows_what_a_follow_up_was_searched_as(bot: qa.Bot) -> None:
    chat = chat_function(Library(bot))
    history = [
        {"role": "user", "content": "What is the Eddystone Lighthouse?"},
        {"role": "assistant", "content": "..."},
    ]
    reply = chat("Who designed it?", history)
    assert "*Searched as:*" in reply and "Eddystone Lighthouse" in reply
    assert "lighthouse\\.txt, line" in reply  # the quote's citation, escaped
    assert "Searched as" not in chat("Who designed it?", [])
    assert "Searched as" not in chat("When did the Forth Bridge open?", history)
    searched = chat("Who designed it?", history, 5, "hybrid", True)
    assert searched.startswith("*Searched as:*")


# -- the measured set ------------------------------------------------------------------------


def test_the_follow_up_set_is_well_formed() -> None:
    from benchmarks.followups import CORPORA, load_cases
    from qa._eval_metrics import contains_any
    from tests.conftest import require_shared

    cases = load_cases()
    assert len(cases) >= 30
    for half in ("fit", "test"):
        mine = [c for c in cases if c.half == half]
        assert any(c.followup for c in mine) and any(not c.followup for c in mine)
    texts = {
        name: " ".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.*")))
        for name, folder in CORPORA.items()
        if name == "bundled" or require_shared(folder)
    }
    for case in cases:
        assert case.followup or case.evidence or "capital" in case.second
        for evidence in case.evidence:
            assert contains_any(texts[case.corpus], [evidence]), (case.corpus, evidence)


def test_benchmark_summary_counts_each_kind_of_turn() -> None:
    from benchmarks.followups import objective, summary

    def row(followup: bool, hit: bool, quote: bool, carried: bool) -> dict[str, bool]:
        return {
            "followup": followup,
            "hit@1": hit,
            "quote": quote,
            "carried": carried,
            "alone hit@1": False,
            "alone quote": False,
        }

    rows = [
        row(True, True, True, True),
        row(True, False, True, False),
        row(False, True, True, True),
    ]
    figures = summary(rows)
    assert figures["followups"] == 2 and figures["new topics"] == 1
    assert figures["hit@1 with history"] == 0.5 and figures["quote with history"] == 1.0
    assert figures["followups carried"] == 0.5 and figures["new topics dropped"] == 0.0
    assert 0 < objective(figures) < 1
