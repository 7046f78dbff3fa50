"""Follow-up questions in the web chat, in a real browser (Chromium, headless)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_browser import _ask, browser, page, server  # noqa: F401  (fixtures)
from ui._uploads import Library

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_follow_up_shows_what_it_was_searched_as_and_quotes_its_topic(
    page: Any,  # noqa: F811
    server: tuple[str, Library],  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    first = _ask(page, "What is cyber diplomacy?")
    expect(first.locator("mark").first).to_be_visible()
    expect(first).not_to_contain_text("Searched as")

    reply = _ask(page, "And who wrote it?")
    expect(reply).to_contain_text("Searched as:")
    expect(reply).to_contain_text("What is cyber diplomacy?")
    # The byline answers it, quoted with its citation.
    expect(reply.locator("blockquote").first).to_contain_text("\u201cLuigi Martino\u201d")
    expect(reply.locator("blockquote").first).to_contain_text("can-cyberspace-be-governed.txt")

    reply = _ask(page, "According to Bull, what are the main functions of diplomacy?")
    expect(reply).not_to_contain_text("Searched as")  # a new topic, searched alone
    reply = _ask(page, "What about the third one?")
    expect(reply).to_contain_text("Searched as:")
    marks = " ".join(reply.locator("mark").all_inner_texts())
    assert "gathering intelligence" in marks, marks
