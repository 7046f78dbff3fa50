"""The previous questions of a chat, read from Gradio's history (messages format).

The chat function is a plain ``fn(message, history)``, so a follow-up question must find
the turns before it in ``history`` alone, whether it comes from the page or from the API.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

import qa

#: Questions looked back over: enough to find where the current topic started.
MAX_TURNS = 8

# What qa._render.escape puts before Markdown's special characters.
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~])")


def _text(content: Any) -> str:
    # Gradio 6 hands content back as a list of parts ({"type": "text", "text": ...});
    # an API client may send a plain string.
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or "")
    if isinstance(content, Sequence):
        return " ".join(_text(part) for part in content)
    return ""


def previous_questions(history: Sequence[Any] | None) -> list[str]:
    """The user's questions in ``history``, oldest first, as they were asked.

    Accepts messages (``{"role": "user", "content": ...}``) and ``[question, answer]``
    pairs. The page shows a question escaped, so the escaping is undone; turns that are not
    questions (empty, only symbols) are left out.
    """
    asked: list[str] = []
    for turn in history or []:
        if isinstance(turn, dict):
            if turn.get("role") != "user":
                continue
            raw = _text(turn.get("content"))
        elif isinstance(turn, (list, tuple)) and turn:
            raw = _text(turn[0])
        else:
            continue
        text = _ESCAPED.sub(r"\1", html.unescape(raw))
        try:
            asked.append(qa.clean_question(text))
        except qa.QuestionError:
            continue
    return asked[-MAX_TURNS:]
