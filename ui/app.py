"""The Gradio web chat. The chat function is a plain ``fn(message, history)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import qa

from ._defaults import DEFAULT_HOST, DEFAULT_PORT, quiet_network


def chat_function(bot: qa.Bot) -> Callable[[str, list[Any]], str]:
    """The chat function for ``bot``: a question in, the answer's Markdown out."""

    def respond(message: str, history: list[Any]) -> str:
        try:
            return bot.ask(message).markdown
        except qa.QAError as exc:
            return f"**Cannot answer:** {exc}"

    return respond


def example_questions(bot: qa.Bot, *, limit: int = 3) -> list[str]:
    """Questions that fit the loaded corpus, made from the documents' titles."""
    out = []
    for doc in bot.store.documents[:limit]:
        title = doc.title.strip().rstrip("?.!")
        if title:
            out.append(f"What does the document say about {title}?")
    return out


def build_app(bot: qa.Bot) -> Any:
    """The Gradio Blocks app for ``bot``."""
    quiet_network()
    import gradio as gr

    return gr.ChatInterface(
        chat_function(bot),
        title="Ask the documents",
        description=(
            f"Answers are exact quotes from {len(bot.sources)} indexed document(s), "
            "highlighted in their passage, with source and position."
        ),
        examples=example_questions(bot) or None,
        api_name="chat",
        flagging_mode="never",
    )


def serve(bot: qa.Bot, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Start the web chat and block until it is stopped."""
    app = build_app(bot)
    app.launch(server_name=host, server_port=port, share=False, show_error=False, footer_links=[])
