"""The running web server's ``ask`` endpoint, called with ``gradio_client`` like any user would."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import qa
from tests.browser_support import free_port
from tests.conftest import SEED, require_shared
from ui._uploads import Library
from ui.app import start

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(
    corpus_index: Path, real_embedder: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, qa.Bot]]:
    copy = tmp_path_factory.mktemp("api") / "index"
    shutil.copytree(corpus_index, copy)
    bot = qa.load(copy, embedder=real_embedder)
    app, url = start(Library(bot), host="127.0.0.1", port=free_port())
    try:
        yield url, bot
    finally:
        app.close()


def _seed() -> list[dict[str, Any]]:
    lines = require_shared(SEED).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line]


def test_ask_endpoint_returns_structured_quotes(server: tuple[str, qa.Bot]) -> None:
    from gradio_client import Client

    url, bot = server
    case = next(c for c in _seed() if c.get("evidence"))
    client = Client(url, verbose=False)
    result = client.predict(case["q"], 5, "hybrid", api_name="/ask")
    assert result["found"] is True
    assert result["question"] == case["q"]
    assert 0 < result["threshold"] <= result["confidence"] <= 1
    assert len(result["passages"]) == 5
    scores = [p["score"] for p in result["passages"]]
    assert scores == sorted(scores, reverse=True)
    for p in result["passages"]:
        assert bot.document(p["source"])[p["start"] : p["end"]] == p["text"]
        assert -1 <= p["similarity"] <= 1 and p["location"].startswith(("line", "page"))
    assert result["quotes"]
    for q in result["quotes"]:
        assert bot.document(q["source"])[q["start"] : q["end"]] == q["text"]
        passage = result["passages"][q["passage"]]
        assert passage["start"] <= q["start"] < q["end"] <= passage["end"]
    quoted = " ".join(q["text"] for q in result["quotes"]).lower()
    assert any(e.lower() in quoted for e in case["evidence"])
    # The same answer as the library gives: the endpoint is the product, not a copy of it.
    direct = bot.ask(case["q"], k=5, mode="hybrid")
    assert [q["text"] for q in result["quotes"]] == [q.text for q in direct.quotes]


def test_ask_endpoint_limits_the_answer_to_chosen_documents(server: tuple[str, qa.Bot]) -> None:
    from gradio_client import Client

    url, bot = server
    source = bot.sources[0]
    client = Client(url, verbose=False)
    question = "What does NATO consider cyberspace to be?"
    result = client.predict(question, 5, "hybrid", [source], api_name="/ask")
    assert result["passages"] and {p["source"] for p in result["passages"]} == {source}
    with pytest.raises(Exception, match="no document"):
        client.predict(question, 5, "hybrid", ["not-indexed.txt"], api_name="/ask")


def test_ask_endpoint_takes_the_conversation_for_a_follow_up(
    server: tuple[str, qa.Bot],
) -> None:
    from gradio_client import Client

    url, bot = server
    client = Client(url, verbose=False)
    first = "What is cyber diplomacy?"
    result = client.predict("And who wrote it?", 5, "hybrid", None, [first], api_name="/ask")
    direct = bot.ask("And who wrote it?", k=5, mode="hybrid", history=[first])
    assert result["searched_as"] == direct.searched_as is not None
    assert [q["text"] for q in result["quotes"]] == [q.text for q in direct.quotes]
    alone = client.predict("And who wrote it?", 5, "hybrid", api_name="/ask")
    assert alone["searched_as"] is None


def test_ask_endpoint_abstains_and_reports_bad_input(server: tuple[str, qa.Bot]) -> None:
    from gradio_client import Client

    url, bot = server
    client = Client(url, verbose=False)
    unanswerable = [c["q"] for c in _seed() if c.get("unanswerable")]
    abstained = [q for q in unanswerable if not bot.ask(q).found]
    assert abstained, "the bot answered every unanswerable seed question"
    result = client.predict(abstained[0], 3, "keyword", api_name="/ask")
    assert result["found"] is False and result["quotes"] == []
    assert len(result["passages"]) <= 3
    with pytest.raises(Exception, match="the question is empty"):
        client.predict("   ", 5, "hybrid", api_name="/ask")
    with pytest.raises(Exception, match="unknown search mode"):
        client.predict("cyberspace", 5, "fuzzy", api_name="/ask")


def test_only_the_api_endpoints_are_public(server: tuple[str, qa.Bot]) -> None:
    from gradio_client import Client

    client = Client(server[0], verbose=False)
    info = client.view_api(print_info=False, return_format="dict")
    assert isinstance(info, dict)
    assert set(info["named_endpoints"]) == {"/ask"}  # uploads/removal only from the page


def test_busy_port_gives_a_one_line_error(server: tuple[str, qa.Bot]) -> None:
    from ui.app import ServeError

    port = int(server[0].rstrip("/").rsplit(":", 1)[1])  # the running server's own port
    with pytest.raises(ServeError, match=f"cannot serve on 127.0.0.1:{port}.*another --port"):
        start(server[1], host="127.0.0.1", port=port)
