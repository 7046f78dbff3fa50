"""The MCP tools (``qa serve --mcp``, ``qa mcp``), called with the official ``mcp`` client.

The in-process tests drive the same ``MCPServer`` the servers expose; the slow ones start the
real command line (fake model, then the real one on the bundled corpus) and connect over
Streamable HTTP or stdio as an MCP client such as Claude Desktop or an IDE would.
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import qa
from index import build_index
from tests.browser_support import free_port
from tests.fakes import FakeEmbedder
from tests.reliability_child import write_docs
from ui._mcp import MAX_K, _BasicAuth, build_server

REPO = Path(__file__).resolve().parents[1]
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
}


@pytest.fixture
def small_index(tmp_path: Path) -> Path:
    write_docs(tmp_path / "docs", 6)
    out = tmp_path / "idx"
    build_index([tmp_path / "docs"], out, embedder=FakeEmbedder(), progress=False)
    return out


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _session(server: Any, body: Any, **options: Any) -> Any:
    from mcp import Client

    async with Client(server, **options) as client:
        return await body(client)


def _check_tools(listed: Any) -> None:
    """The two tools, their arguments and limits, as a client sees them."""
    tools = {t.name: t for t in listed.tools}
    assert sorted(tools) == ["ask", "search"]
    ask, search = tools["ask"].input_schema, tools["search"].input_schema
    assert sorted(ask["properties"]) == ["history", "k", "mode", "question", "sources"]
    assert sorted(search["properties"]) == ["k", "question", "sources"]
    for schema in (ask, search):
        assert schema["required"] == ["question"]
        assert schema["properties"]["question"]["type"] == "string"
        k = schema["properties"]["k"]
        assert (k["type"], k["default"], k["minimum"], k["maximum"]) == ("integer", 5, 1, MAX_K)
        kinds = schema["properties"]["sources"]["anyOf"]
        assert {"type": "array", "items": {"type": "string"}} in kinds
    assert ask["properties"]["mode"]["enum"] == list(qa.MODES)
    assert "exact quotes" in (tools["ask"].description or "")
    for tool in tools.values():
        assert tool.output_schema and "passages" in tool.output_schema["properties"]
        assert tool.annotations and tool.annotations.read_only_hint
    assert {"found", "confidence", "quotes"} <= set(tools["ask"].output_schema["properties"])


def _check_slices(result: dict[str, Any], bot: qa.Bot) -> None:
    """Every quote and passage is document[start:end] of its source."""
    for item in [*result.get("quotes", []), *result["passages"]]:
        assert bot.document(item["source"])[item["start"] : item["end"]] == item["text"]
        assert item["location"].startswith(("line ", "page "))
    for quote in result.get("quotes", []):
        passage = result["passages"][quote["passage"]]
        assert passage["source"] == quote["source"]
        assert passage["start"] <= quote["start"] < quote["end"] <= passage["end"]


async def _exercise(client: Any, question: str) -> dict[str, Any]:
    """List the tools, ask, search and make one bad call; return what came back."""
    listed = await client.list_tools()
    asked = await client.call_tool("ask", {"question": question, "k": 4})
    searched = await client.call_tool("search", {"question": question, "k": 3})
    unknown = await client.call_tool("ask", {"question": question, "sources": ["nope.txt"]})
    return {"tools": listed, "ask": asked, "search": searched, "unknown": unknown}


def _check_exercise(seen: dict[str, Any], bot: qa.Bot, question: str) -> dict[str, Any]:
    _check_tools(seen["tools"])
    asked, searched, unknown = seen["ask"], seen["search"], seen["unknown"]
    assert not asked.is_error and not searched.is_error
    answer = asked.structured_content
    assert answer["question"] == question and len(answer["passages"]) == 4
    assert 0 <= answer["confidence"] <= 1 and answer["threshold"] == bot.threshold
    assert answer["found"] == bool(answer["quotes"])
    _check_slices(answer, bot)
    direct = bot.ask(question, k=4)  # the tool is the library's answer, not a copy of it
    assert [q["text"] for q in answer["quotes"]] == [q.text for q in direct.quotes]
    assert answer["found"] == direct.found
    found = searched.structured_content
    assert len(found["passages"]) == 3
    scores = [p["score"] for p in found["passages"]]
    assert scores == sorted(scores, reverse=True)
    _check_slices(found, bot)
    assert [p["text"] for p in found["passages"]] == [p.text for p in bot.retrieve(question, k=3)]
    assert unknown.is_error and not unknown.structured_content
    message = unknown.content[0].text
    assert "no document 'nope.txt'" in message and bot.sources[0] in message
    assert "Traceback" not in message and "\n" not in message
    return answer  # type: ignore[no-any-return]


# -- in process: the tools themselves -------------------------------------------------------


def test_tools_answer_with_exact_slices(small_index: Path) -> None:
    bot = qa.load(small_index, embedder=FakeEmbedder())
    question = "Where do the apples and the orchards grow?"
    seen = _run(_session(build_server(lambda: bot), lambda c: _exercise(c, question)))
    _check_exercise(seen, bot, question)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"question": "   "}, "the question is empty"),
        ({"question": "?!"}, "only symbols"),
        ({"question": "x" * 2001}, "at most 2,000 characters"),
        ({"question": "apples", "k": 0}, f"ask for 1 to {MAX_K} passages (k), not 0"),
        ({"question": "apples", "k": MAX_K + 1}, f"not {MAX_K + 1}"),
        ({"question": "apples", "mode": "fuzzy"}, "unknown search mode 'fuzzy'"),
        ({"question": "apples", "sources": []}, "no document chosen"),
        ({"question": "apples", "sources": ["doc-000.txt", "gone.txt"]}, "'gone.txt'"),
    ],
)
def test_bad_input_is_a_one_line_tool_error(
    small_index: Path, arguments: dict[str, Any], expected: str
) -> None:
    bot = qa.load(small_index, embedder=FakeEmbedder())

    async def calls(client: Any) -> list[Any]:
        tools = ["ask"] if "mode" in arguments else ["ask", "search"]
        return [await client.call_tool(tool, arguments) for tool in tools]

    for result in _run(_session(build_server(lambda: bot), calls)):
        assert result.is_error and not result.structured_content
        message = result.content[0].text
        assert expected in message and "\n" not in message and "Traceback" not in message


def test_ask_reads_a_follow_up_with_the_earlier_questions(small_index: Path) -> None:
    bot = qa.load(small_index, embedder=FakeEmbedder())
    first, follow = "Where do the apples and the orchards grow?", "Who depends on it?"

    async def calls(client: Any) -> list[Any]:
        return [
            await client.call_tool("ask", {"question": follow, "history": [first]}),
            await client.call_tool("ask", {"question": follow}),
        ]

    leaning, alone = (
        r.structured_content for r in _run(_session(build_server(lambda: bot), calls))
    )
    direct = bot.ask(follow, history=[first])
    assert direct.searched_as is not None and first in direct.searched_as
    assert leaning["searched_as"] == direct.searched_as
    assert [q["text"] for q in leaning["quotes"]] == [q.text for q in direct.quotes]
    assert [p["text"] for p in leaning["passages"]] == [p.text for p in direct.passages]
    assert alone["searched_as"] is None


def test_sources_limit_the_answer_and_the_search(small_index: Path) -> None:
    bot = qa.load(small_index, embedder=FakeEmbedder())
    source = bot.sources[2]

    async def calls(client: Any) -> list[Any]:
        args = {"question": "apples cider orchards", "sources": [source], "k": 10}
        return [await client.call_tool(tool, args) for tool in ("ask", "search")]

    for result in _run(_session(build_server(lambda: bot), calls)):
        passages = result.structured_content["passages"]
        assert passages and {p["source"] for p in passages} == {source}


def test_each_call_uses_the_current_index(small_index: Path, tmp_path: Path) -> None:
    """Documents added on the page are searched at once: the tool asks for the bot each call."""
    first = qa.load(small_index, embedder=FakeEmbedder())
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "zebras.txt").write_text("Zebras graze on the savanna grass.\n")
    other = tmp_path / "other"
    build_index([tmp_path / "more"], other, embedder=FakeEmbedder(), progress=False)
    bots = [first]
    server = build_server(lambda: bots[-1])

    async def calls(client: Any) -> list[Any]:
        before = await client.call_tool("search", {"question": "zebras savanna", "k": 1})
        bots.append(qa.load(other, embedder=FakeEmbedder()))
        after = await client.call_tool("search", {"question": "zebras savanna", "k": 1})
        return [before, after]

    before, after = _run(_session(server, calls))
    assert before.structured_content["passages"][0]["source"] != "zebras.txt"
    assert after.structured_content["passages"][0]["source"] == "zebras.txt"


def test_basic_login_check() -> None:
    check = _BasicAuth(None, [("ann", "pw:1"), ("bob", "two")])

    def basic(text: str) -> bytes:
        return b"Basic " + base64.b64encode(text.encode())

    assert check._allowed(basic("ann:pw:1")) and check._allowed(basic("bob:two"))
    for bad in (basic("ann:pw"), basic("ann"), basic("bob:pw:1"), b"Bearer x", b"Basic !!", b""):
        assert not check._allowed(bad)


def test_qa_mcp_without_an_index_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ui.cli import main

    assert main(["mcp", "--index", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qa: error:") and err.count("\n") == 1


# -- the real servers ----------------------------------------------------------------------


def _wait_for(url: str, child: subprocess.Popen[str], *, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise AssertionError(f"the server exited: {child.communicate()[1][-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"no server at {url} after {seconds}s")


@contextmanager
def _serve(args: list[str]) -> Iterator[str]:
    port = free_port()
    child = subprocess.Popen(
        [*args, "--port", str(port), "--mcp"],
        cwd=REPO,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/", child)
        yield f"http://127.0.0.1:{port}"
    finally:
        child.terminate()
        try:
            child.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["auto", "legacy"])  # this protocol and the handshake era's
def test_qa_serve_mcp_over_http(small_index: Path, mode: str) -> None:
    bot = qa.load(small_index, embedder=FakeEmbedder())
    question = "Where do the apples and the orchards grow?"
    serve = [sys.executable, "-m", "tests.reliability_child", "cli", "serve"]
    with _serve([*serve, "--index", str(small_index)]) as url:
        seen = _run(_session(f"{url}/mcp", lambda c: _exercise(c, question), mode=mode))
        _check_exercise(seen, bot, question)
        page = urllib.request.urlopen(f"{url}/", timeout=10).read().decode()
        assert "Ask the documents" in page  # the chat is still served beside it


@pytest.mark.slow
def test_qa_serve_mcp_asks_mcp_clients_for_the_login(small_index: Path) -> None:
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    serve = [sys.executable, "-m", "tests.reliability_child", "cli", "serve"]
    with _serve([*serve, "--index", str(small_index), "--auth", "ann:s3cret"]) as url:
        request = urllib.request.Request(f"{url}/mcp", data=b"{}", method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 401

        async def listed() -> Any:
            async with httpx2.AsyncClient(auth=("ann", "s3cret")) as http:
                transport = streamable_http_client(f"{url}/mcp", http_client=http)
                return await _session(transport, lambda c: c.list_tools())

        assert sorted(t.name for t in _run(listed()).tools) == ["ask", "search"]


@pytest.mark.slow
def test_qa_mcp_over_stdio(small_index: Path) -> None:
    from mcp import StdioServerParameters

    bot = qa.load(small_index, embedder=FakeEmbedder())
    question = "Where do the apples and the orchards grow?"
    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "tests.reliability_child", "cli", "mcp", "--index", str(small_index)],
        cwd=REPO,
        env=ENV,
    )
    seen = _run(_session(server, lambda c: _exercise(c, question)))
    _check_exercise(seen, bot, question)


@pytest.mark.slow
def test_qa_serve_mcp_with_the_real_model_on_the_bundled_corpus(
    bundled_index: Path, real_embedder: Any, tmp_path: Path
) -> None:
    copy = tmp_path / "index"
    shutil.copytree(bundled_index, copy)
    bot = qa.load(copy, embedder=real_embedder)
    question = "Which file types can I index?"
    # The torch backend, as the test's own model: the answers must match the library's.
    command = [sys.executable, "-m", "ui", "serve", "--index", str(copy), "--backend", "torch"]
    with _serve(command) as url:
        seen = _run(_session(f"{url}/mcp", lambda c: _exercise(c, question)))
        answer = _check_exercise(seen, bot, question)
        assert answer["found"] and answer["quotes"]
        quoted = " ".join(q["text"] for q in answer["quotes"]).lower()
        assert ".pdf" in quoted or "pdf" in quoted

        async def refused(client: Any) -> Any:
            return await client.call_tool("ask", {"question": "What is the capital of Australia?"})

        result = _run(_session(f"{url}/mcp", refused)).structured_content
        assert result["found"] is False and result["quotes"] == [] and result["passages"]
