"""The chat function and the answer behind every turn, shared by the page and its API.

:func:`chat_function` is Gradio's plain ``fn(message, history)``; the page (:mod:`ui.app`)
builds its panels around the same :func:`answer_turn`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

import qa

from ._history import previous_questions
from ._render import escape
from ._uploads import Library
from ._views import chat_markdown

#: Most passages one question may ask for (the page's API and the MCP tools).
MAX_K = 50


def as_library(target: qa.Bot | Library) -> Library:
    """``target`` as a :class:`Library` (a bare bot is served as one without uploads)."""
    return target if isinstance(target, Library) else Library(target)


def answer_turn(
    library: Library,
    message: str,
    *,
    k: int,
    mode: str,
    search_only: bool,
    sources: Sequence[str] | None = None,
    history: Sequence[str] = (),
) -> tuple[qa.Bot, qa.Answer]:
    """One turn's answer (or, with ``search_only``, its passages and no decision) and the
    bot that gave it, whose threshold the page shows."""
    bot = library.bot  # one version of the index for the whole turn
    k = int(k)
    if not 1 <= k <= MAX_K:
        raise qa.QuestionError(f"ask for 1 to {MAX_K} passages, not {k}")
    # Nothing picked means every document, as an empty picker reads.
    chosen = list(sources) if sources else None
    if search_only:
        passages = tuple(
            bot.retrieve(message, k=k, mode=mode, sources=chosen, history=history)  # type: ignore[arg-type]
        )
        best = max((p.similarity for p in passages), default=0.0)
        searched = bot.searched_as(message, history=history)
        answer = qa.Answer(qa.clean_question(message), False, (), passages, best, searched)
        return bot, answer
    return bot, bot.ask(message, k=k, mode=mode, sources=chosen, history=history)  # type: ignore[arg-type]


def chat_function(target: qa.Bot | Library) -> Callable[..., str]:
    """The chat function: ``fn(message, history)`` returns the answer as Markdown.

    Optional ``k``, ``mode`` and ``search_only`` follow the page's settings. A question that
    leans on the previous one ("and who wrote it?") is searched with the questions ``history``
    holds.
    """
    library = as_library(target)

    def respond(
        message: str,
        history: list[Any],
        k: int = 5,
        mode: str = "hybrid",
        search_only: bool = False,
    ) -> str:
        try:
            bot, answer = answer_turn(
                library,
                message,
                k=k,
                mode=mode,
                search_only=search_only,
                history=previous_questions(history),
            )
        except qa.QAError as exc:
            return f"**Cannot answer:** {escape(str(exc))}"
        return chat_markdown(answer, threshold=bot.threshold, search_only=search_only)

    return respond


def answer_json(answer: qa.Answer, *, threshold: float) -> dict[str, Any]:
    """An answer as JSON-ready data: found, quotes and passages with sources and offsets."""
    data = asdict(answer)
    data["threshold"] = threshold
    return data
