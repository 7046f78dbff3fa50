"""The MCP server: the bot's ``ask`` and ``search`` as tools for AI assistants.

Two ways to reach it, both built on the official ``mcp`` SDK (``MCPServer``, its FastMCP):

- ``qa serve --mcp``: Streamable HTTP at ``/mcp`` on the chat's own server (same port, same
  live index: documents added on the page are searched at once);
- ``qa mcp --index DIR``: stdio, for clients that start the server themselves.

Why not Gradio's built-in MCP server (``launch(mcp_server=True)``): its ``gradio[mcp]`` extra
pins ``mcp<2`` and ``pydantic<=2.12.5``, which would downgrade pydantic under Gradio itself,
and it derives each tool's schema from the Gradio endpoint, so the tools could not carry the
constraints and descriptions below nor turn the project's errors into one-line tool errors.

The HTTP transport is stateless and answers in JSON (no SSE stream): each call is one request
and one response, nothing is held per client, and the tools never call back to the client.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import inspect
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

import qa

from ._chat import MAX_K

#: Where ``qa serve --mcp`` answers MCP requests.
MCP_PATH = "/mcp"

#: How many document names an "unknown document" error lists.
_LISTED = 20

_INSTRUCTIONS = (
    "Answers questions from a fixed set of indexed documents. Every answer is an exact "
    "quote: `text` is document[start:end] of `source`, character offsets into the indexed "
    "text. Nothing is paraphrased or generated. When `found` is false the documents do not "
    "answer the question: say so rather than guess; `passages` are only the closest matches. "
    "Use `search` to browse ranked passages without an answer decision."
)


class QuoteResult(BaseModel):
    """An exact quotation from a document."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(description="the quoted text, exactly as in the document")
    source: str = Field(description="the document's name")
    start: int = Field(description="character offset where the quote starts in the document")
    end: int = Field(description="character offset just past the quote's end")
    location: str = Field(description='place in the document: "page 4" or "line 93"')
    score: float = Field(description="how well this sentence answers the question, 0..1")
    passage: int = Field(description="index into `passages` of the passage it was taken from")


class PassageResult(BaseModel):
    """A retrieved passage of a document."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(description="the passage, exactly as in the document")
    source: str = Field(description="the document's name")
    start: int = Field(description="character offset where the passage starts")
    end: int = Field(description="character offset just past the passage's end")
    location: str = Field(description='place in the document: "page 4" or "line 93"')
    score: float = Field(description="ranking score: higher is better, comparable within a call")
    similarity: float = Field(description="cosine similarity to the question, -1..1")


class AskResult(BaseModel):
    """The answer to a question: exact quotes when found, else a refusal."""

    model_config = ConfigDict(frozen=True)

    question: str = Field(description="the question as it was asked (whitespace normalised)")
    found: bool = Field(
        description="true: the quotes answer the question; false: refused, the documents "
        "do not answer it (quotes is empty)"
    )
    confidence: float = Field(description="probability that the documents answer it, 0..1")
    threshold: float = Field(description="the confidence needed to answer rather than refuse")
    quotes: list[QuoteResult] = Field(description="the answer, best first; empty when refused")
    passages: list[PassageResult] = Field(
        description="the passages retrieved, best first (the closest matches when refused)"
    )
    searched_as: str | None = Field(
        default=None,
        description="what was searched when the question was a follow-up read with the "
        "earlier questions (null: the question alone)",
    )


class SearchResult(BaseModel):
    """Ranked passages for a question, without an answer decision."""

    model_config = ConfigDict(frozen=True)

    question: str = Field(description="the question as it was searched (whitespace normalised)")
    passages: list[PassageResult] = Field(description="the best passages, best first")


# The schema tells clients the limits; the tools check them themselves so that a bad value
# gets the project's one-line message, not a validation report.
Question = Annotated[
    str, Field(description="the question, in plain words (at most 2,000 characters)")
]
K = Annotated[
    int,
    Field(
        description=f"passages to retrieve, 1 to {MAX_K}",
        json_schema_extra={"minimum": 1, "maximum": MAX_K},
    ),
]
Sources = Annotated[
    list[str] | None,
    Field(
        description="answer from these documents only, by name as results cite them "
        "(omit for all documents)"
    ),
]
History = Annotated[
    list[str] | None,
    Field(
        description="the conversation's earlier questions, oldest first: a follow-up such as "
        "'and who wrote it?' is then searched with them (omit for a question on its own)"
    ),
]
Mode = Annotated[
    str,
    Field(
        description="hybrid (meaning and keywords, the default), dense (meaning only) or "
        "keyword (BM25 only)",
        json_schema_extra={"enum": list(qa.MODES)},
    ),
]


class ToolInputError(qa.QuestionError):
    """A tool was called with an argument it cannot use."""


def build_server(current: Callable[[], qa.Bot]) -> Any:
    """An ``MCPServer`` with the ``ask`` and ``search`` tools over ``current()``'s index.

    ``current`` is called once per tool call, so a bot swapped in by an upload is used at once.
    """
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.types import ToolAnnotations

    server: Any = MCPServer(
        "qa-quotes",
        title="Ask the documents",
        instructions=_INSTRUCTIONS,
        log_level="WARNING",
    )
    read_only = ToolAnnotations(
        read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
    )

    def ask(
        question: Question,
        k: K = 5,
        sources: Sources = None,
        mode: Mode = "hybrid",
        history: History = None,
    ) -> AskResult:
        """Answer a question from the indexed documents with exact quotes and their sources.

        Returns found (false: the documents do not answer it, so nothing is quoted), the
        confidence and the threshold it is compared with, the quotes (text, source, start and
        end character offsets, location such as "page 4", score) and the passages retrieved.
        Pass the conversation's earlier questions as history to ask a follow-up.
        """
        try:
            bot = current()
            answer = bot.ask(
                question,
                k=_check_k(k),
                mode=_check_mode(mode),
                sources=sources,
                history=[str(h) for h in history or ()],
            )
        except qa.QAError as exc:
            raise ToolError(_message(exc, current)) from None
        return AskResult(
            question=answer.question,
            found=answer.found,
            confidence=answer.confidence,
            threshold=bot.threshold,
            quotes=[QuoteResult(**_fields(q, QuoteResult)) for q in answer.quotes],
            passages=[PassageResult(**_fields(p, PassageResult)) for p in answer.passages],
            searched_as=answer.searched_as,
        )

    def search(question: Question, k: K = 5, sources: Sources = None) -> SearchResult:
        """Find the passages of the indexed documents that best match a question.

        Returns them best first, each with its source, start and end character offsets,
        location such as "page 4", ranking score and similarity. Unlike ask, it does not
        decide whether they answer the question.
        """
        try:
            bot = current()
            text = qa.clean_question(question)
            passages = bot.retrieve(text, k=_check_k(k), sources=sources)
        except qa.QAError as exc:
            raise ToolError(_message(exc, current)) from None
        return SearchResult(
            question=text, passages=[PassageResult(**_fields(p, PassageResult)) for p in passages]
        )

    for tool, title in ((ask, "Answer with exact quotes"), (search, "Search passages")):
        server.add_tool(tool, title=title, description=inspect.getdoc(tool), annotations=read_only)
    return server


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise ToolInputError(f"ask for 1 to {MAX_K} passages (k), not {k}")
    return k


def _check_mode(mode: str) -> qa.Mode:
    if mode not in qa.MODES:
        raise ToolInputError(f"unknown search mode {mode!r}; use one of {', '.join(qa.MODES)}")
    return mode  # type: ignore[return-value]


def _fields(item: Any, model: type[BaseModel]) -> dict[str, Any]:
    return {name: getattr(item, name) for name in model.model_fields}


def _message(exc: qa.QAError, current: Callable[[], qa.Bot]) -> str:
    """The error's one line; an unknown document also lists the names there are."""
    text = str(exc)
    if text.startswith("no document ") and "in this index" in text:
        try:
            names = current().sources
        except qa.QAError:
            return text
        listed = ", ".join(repr(n) for n in names[:_LISTED])
        more = f" and {len(names) - _LISTED} more" if len(names) > _LISTED else ""
        text = f"{text} (documents: {listed}{more})"
    return text


def http_app_kwargs(
    current: Callable[[], qa.Bot],
    *,
    host: str,
    auth: Sequence[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """FastAPI options that add the MCP endpoint at :data:`MCP_PATH` to the chat's server.

    For ``Blocks.launch(app_kwargs=...)``: a route for the endpoint and a lifespan that runs
    the SDK's session manager while the server runs. ``auth``: the server's logins, asked of
    MCP clients as HTTP Basic credentials (Gradio's own login is a cookie a client lacks).
    """
    from starlette.routing import Route

    server = build_server(current)
    # Bound to this machine, the SDK also checks the Host header (DNS rebinding protection).
    http = server.streamable_http_app(
        streamable_http_path=MCP_PATH, stateless_http=True, json_response=True, host=host
    )
    endpoint: Any = _BasicAuth(http, auth) if auth else http

    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        async with server.session_manager.run():
            yield

    return {"routes": [Route(MCP_PATH, endpoint=endpoint)], "lifespan": lifespan}


class _BasicAuth:
    """ASGI wrapper: answer 401 unless the request carries one of the logins (HTTP Basic)."""

    def __init__(self, app: Any, logins: Sequence[tuple[str, str]]) -> None:
        self.app = app
        self.logins = [(u.encode(), p.encode()) for u, p in logins]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        headers = dict(scope.get("headers") or [])
        if scope["type"] != "http" or self._allowed(headers.get(b"authorization", b"")):
            await self.app(scope, receive, send)
            return
        from starlette.responses import PlainTextResponse

        response = PlainTextResponse(
            "log in: send the server's user:password as HTTP Basic credentials",
            status_code=401,
            headers={"WWW-Authenticate": 'Basic realm="qa"'},
        )
        await response(scope, receive, send)

    def _allowed(self, header: bytes) -> bool:
        scheme, _, value = header.partition(b" ")
        if scheme.lower() != b"basic":
            return False
        try:
            user, colon, password = base64.b64decode(value.strip(), validate=True).partition(b":")
        except (binascii.Error, ValueError):
            return False
        # Compare with every login, in constant time, so timing tells nothing.
        ok = False
        for u, p in self.logins:
            ok |= bool(colon) & hmac.compare_digest(user, u) & hmac.compare_digest(password, p)
        return ok


def run_stdio(current: Callable[[], qa.Bot]) -> None:
    """Serve the tools over stdin/stdout until the client closes them (``qa mcp``)."""
    build_server(current).run("stdio")
