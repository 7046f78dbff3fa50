"""PostgreSQL store: searches from several threads share a pool of connections, run at the
same time and get the answers a lone search gets; dead connections are replaced."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

import index
import qa
from index._pg_connect import connect
from tests.fakes import FakeEmbedder

TOPICS = {
    "rivers.txt": "Rivers carry water to the sea. The Nile is a long river in Africa.",
    "stars.txt": "Stars are balls of hot gas. The Sun is the star nearest to the Earth.",
    "bread.txt": "Bread is baked from flour and water. Yeast makes the dough rise.",
    "tea.txt": "Tea is grown in Assam and Darjeeling. Green tea is not oxidised.",
}
QUESTIONS = [
    "Which river is long?",
    "What makes the dough rise?",
    "Which star is nearest to the Earth?",
    "Where is tea grown?",
]


@pytest.fixture
def pg_index(pg_url: str, tmp_path: Path) -> str:
    for name, text in TOPICS.items():
        paragraphs = [text + " Noted" * i + "." for i in range(4)]
        (tmp_path / name).write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    index.index_paths([tmp_path], pg_url, embedder=FakeEmbedder())
    return pg_url


def _key(answer: qa.Answer) -> tuple[Any, ...]:
    return (
        answer.found,
        tuple((q.source, q.start, q.end) for q in answer.quotes),
        tuple((p.source, p.start, p.end) for p in answer.passages),
    )


@pytest.mark.slow
def test_two_threads_searching_one_store_get_the_lone_answers(pg_index: str) -> None:
    with qa.load(pg_index, embedder=FakeEmbedder()) as bot:
        alone = {q: _key(bot.ask(q, k=3)) for q in QUESTIONS}
        keyword = {q: bot.retrieve(q, k=3, mode="keyword") for q in QUESTIONS}
        start = threading.Barrier(2)
        got: dict[int, list[tuple[str, tuple[Any, ...], list[qa.Passage]]]] = {0: [], 1: []}
        failed: list[BaseException] = []

        def ask(worker: int) -> None:
            try:
                start.wait(timeout=30)
                for _ in range(10):
                    for q in QUESTIONS[worker::2] + QUESTIONS[1 - worker :: 2]:
                        got[worker].append(
                            (q, _key(bot.ask(q, k=3)), bot.retrieve(q, k=3, mode="keyword"))
                        )
            except BaseException as exc:  # reported below, not lost in the thread
                failed.append(exc)

        threads = [threading.Thread(target=ask, args=(w,)) for w in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not failed, failed
        for worker in (0, 1):
            assert len(got[worker]) == 10 * len(QUESTIONS)
            for q, answer, passages in got[worker]:
                assert answer == alone[q], q
                assert passages == keyword[q], q


@pytest.mark.slow
def test_a_slow_query_does_not_hold_up_another_threads_search(pg_index: str) -> None:
    with qa.load(pg_index, embedder=FakeEmbedder()) as bot:
        expected = bot.retrieve(QUESTIONS[0], k=3)
        busy = threading.Event()

        def slow(conn: Any) -> None:
            busy.set()
            conn.execute("SELECT pg_sleep(3)")

        sleeper = threading.Thread(target=bot.store._run, args=(slow,))  # type: ignore[attr-defined]
        sleeper.start()
        assert busy.wait(timeout=30)
        started = time.perf_counter()
        assert bot.retrieve(QUESTIONS[0], k=3) == expected
        took = time.perf_counter() - started
        still_sleeping = sleeper.is_alive()
        sleeper.join(timeout=30)
        # One shared connection would have made the search wait for the sleep.
        assert still_sleeping and took < 2.0, took


@pytest.mark.slow
def test_connections_the_server_dropped_are_replaced(pg_index: str) -> None:
    location = index.open_index(pg_index)
    with qa.load(pg_index, embedder=FakeEmbedder()) as bot:
        before = _key(bot.ask(QUESTIONS[1], k=3))
        version = location.version()
        admin = connect(pg_index)
        try:  # what a server restart does to every open connection
            killed = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()
        finally:
            admin.close()
        assert killed is not None and killed[0] >= 2  # the store's and the version's
        assert _key(bot.ask(QUESTIONS[1], k=3)) == before
        assert location.version() == version
    location.close()  # type: ignore[attr-defined]


@pytest.mark.slow
def test_an_unreachable_server_fails_at_once_with_the_reason() -> None:
    url = "postgresql://someone:secret@/nodb?host=/nonexistent-qa-socket-dir"
    started = time.perf_counter()
    with pytest.raises(index.DatabaseError, match="cannot connect"):
        index.open_index(url).version()
    assert time.perf_counter() - started < 5  # the driver's reason, not a pool's timeout
