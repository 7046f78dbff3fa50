"""The chat's feedback and export: thumbs on answers, "this answers it" on passages, and the
conversation as a Markdown file.

Each answer the chat shows is remembered in the page's session as a :class:`Turn`; a vote
finds its turn and is stored with the index (:func:`ui._votes.record_feedback`), where
``qa feedback export`` reads it back.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import qa

from ._open import document_url, storage
from ._uploads import Library
from ._votes import Vote, feedback_record, record_feedback

#: Added to the sources panel's script: a click on "This answers it" reports the passage.
ANSWERS_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('button.qa-answers');
  if (!button) return;
  trigger('answers_it', {passage: Number(button.dataset.passage)});
  button.textContent = 'Marked as the answer';
  button.disabled = true;
});
"""

#: File name of the downloaded conversation.
EXPORT_NAME = "conversation.md"
#: Exported files older than this are deleted from the temporary folder.
KEEP_EXPORTS_SECONDS = 3600


@dataclass(frozen=True)
class Turn:
    """One answer the chat showed, and how it was asked."""

    message: int  # index of the assistant's message in the chat history
    answer: qa.Answer
    mode: str
    k: int
    sources: tuple[str, ...] | None
    search_only: bool
    threshold: float


def add_turn(
    turns: Sequence[Turn] | None,
    history: Sequence[Any],
    answer: qa.Answer,
    *,
    mode: str,
    k: int,
    sources: Sequence[str] | None,
    search_only: bool,
    threshold: float,
) -> list[Turn]:
    """``turns`` with the answer just appended to ``history`` (its last message)."""
    turn = Turn(
        message=len(history) - 1,
        answer=answer,
        mode=mode,
        k=int(k),
        sources=tuple(sources) if sources else None,
        search_only=search_only,
        threshold=threshold,
    )
    return [*(turns or []), turn]


def vote_on_answer(library: Library, turns: Sequence[Turn], index: Any, liked: Any) -> str:
    """Store a thumb on the chat message ``index``; return the message for the page."""
    position = index[0] if isinstance(index, list | tuple) else index
    turn = next((t for t in turns if t.message == position), None)
    if turn is None:
        return "Feedback is for answers: this message has none."
    if turn.search_only:
        return "Search-only results take no thumbs: mark the passage that answers it instead."
    vote: Vote = "up" if liked is True else "down" if liked is False else "cleared"
    _store(library, turn, vote, None)
    return {
        "up": "Thanks: marked as a good answer.",
        "down": "Thanks: marked as a wrong answer. Mark a passage that answers it, if one does.",
        "cleared": "Your vote on that answer is taken back.",
    }[vote]


def mark_passage(library: Library, turns: Sequence[Turn], passage: Any) -> str:
    """Store "this answers it" for a passage of the latest answer (the one the panel shows)."""
    if not turns:
        return "Ask a question first."
    turn = turns[-1]
    if not isinstance(passage, int | float) or not 0 <= int(passage) < len(turn.answer.passages):
        return "That passage is no longer shown; ask again."
    _store(library, turn, "answers", int(passage))
    p = turn.answer.passages[int(passage)]
    return f"Thanks: passage {int(passage) + 1} ({p.source}, {p.location}) marked as the answer."


def _store(library: Library, turn: Turn, vote: Vote, passage: int | None) -> None:
    record = feedback_record(
        turn.answer,
        vote=vote,
        mode=turn.mode,
        k=turn.k,
        sources=turn.sources,
        passage=passage,
        threshold=turn.threshold,
    )
    record_feedback(storage(library), record)


def conversation_markdown(turns: Sequence[Turn], library: Library, *, base_url: str = "") -> str:
    """The conversation as Markdown: each question, the answer's quotes as blockquotes with
    their source, place and a link that opens it there."""
    store = library.bot.store
    lines = ["# Conversation", "", f"Exported {time.strftime('%Y-%m-%d %H:%M')}.", ""]
    for n, turn in enumerate(turns, 1):
        a = turn.answer
        lines += [f"## {n}. {_line(a.question)}", ""]
        if turn.search_only:
            lines += ["*Search only: the passages found, no answer picked.*", ""]
            cited: Sequence[qa.Quote | qa.Passage] = a.passages
        elif a.found:
            cited = a.quotes
        else:
            lines += ["*Not in the documents: nothing in them answers this question.*", ""]
            cited = ()
        for c in cited:
            lines += [f"> {line}" if line else ">" for line in c.text.strip().splitlines()]
            where = f"{c.source}, {c.location}, characters {c.start}\u2013{c.end}"
            try:
                url = base_url.rstrip("/") + document_url(store.document(c.source), c.start, c.end)
                lines += [">", f"> \u2014 {where} ([open]({url}))", ""]
            except KeyError:  # removed since
                lines += [">", f"> \u2014 {where}", ""]
        if not turn.search_only:
            lines += [f"Confidence {a.confidence:.2f} (threshold {turn.threshold:.2f}).", ""]
    return "\n".join(lines).rstrip() + "\n"


def write_conversation(
    turns: Sequence[Turn], library: Library, *, base_url: str = ""
) -> str | None:
    """Write the conversation to a fresh temporary ``conversation.md``; its path (None: no
    answers yet)."""
    if not turns:
        return None
    exports = Path(tempfile.gettempdir()) / "qa-exports"
    exports.mkdir(exist_ok=True)
    # Gradio copies the file into its own cache at once: older ones here are done with.
    for old in exports.iterdir():
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < time.time() - KEEP_EXPORTS_SECONDS:
                shutil.rmtree(old, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix="export-", dir=exports))
    path = folder / EXPORT_NAME
    path.write_text(conversation_markdown(turns, library, base_url=base_url), encoding="utf-8")
    return str(path)


def _line(text: str) -> str:
    return " ".join(text.split())


def base_url(request: Any) -> str:
    """The server's address as the browser reached it (for links in the exported file)."""
    try:
        return str(request.request.base_url)
    except AttributeError:
        return ""


def wire(
    library: Library, *, chatbot: Any, panel: Any, turns: Any, status: Any, export: Any
) -> None:
    """Attach the feedback and export events to the page's components."""
    import gradio as gr

    def on_like(turns: list[Turn], data: gr.LikeData) -> str:
        try:
            return vote_on_answer(library, turns or [], data.index, data.liked)
        except qa.QAError as exc:
            return f"**Feedback not saved:** {exc}"

    def on_answers(turns: list[Turn], data: gr.EventData) -> str:
        try:
            return mark_passage(library, turns or [], getattr(data, "passage", None))
        except qa.QAError as exc:
            return f"**Feedback not saved:** {exc}"

    def on_turns(turns: list[Turn], request: gr.Request) -> Any:
        path = write_conversation(turns or [], library, base_url=base_url(request))
        return gr.update(value=path, visible=path is not None)

    # Real annotations (not strings): Gradio passes event data to parameters typed so.
    on_like.__annotations__ = {"turns": list, "data": gr.LikeData, "return": str}
    on_answers.__annotations__ = {"turns": list, "data": gr.EventData, "return": str}
    on_turns.__annotations__ = {"turns": list, "request": gr.Request, "return": Any}
    chatbot.like(on_like, [turns], [status], api_visibility="private")
    panel.answers_it(on_answers, [turns], [status], api_visibility="private")
    turns.change(on_turns, [turns], [export], api_visibility="private")
