"""The web chat in a real browser: Debian's Chromium, headless, driven by Playwright."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import qa
from tests.browser_support import CHROMIUM_ARGS, ensure_chromium, free_port
from tests.conftest import REPO, SEED, require_shared
from ui._uploads import Library
from ui.app import start

pytestmark = [pytest.mark.slow, pytest.mark.browser]

TIMEOUT_MS = 120_000  # first answers load the model: generous, never asserted as a speed
SCREENSHOT = REPO / "docs" / "screenshot.png"


@pytest.fixture(scope="module")
def server(
    corpus_index: Path, real_embedder: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Library]]:
    """A real Gradio server on a copy of the corpus index (uploads change the copy only)."""
    copy = tmp_path_factory.mktemp("browser") / "index"
    shutil.copytree(corpus_index, copy)
    library = Library(qa.load(copy, embedder=real_embedder))
    app, url = start(library, host="127.0.0.1", port=free_port())
    try:
        yield url, library
    finally:
        app.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = ensure_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # launch() gives the browser a fresh, temporary profile of its own every time.
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


#: Requests the pages made to anything but the local server, by page.
OUTSIDE: dict[int, list[str]] = {}


def _open(browser: Any, url: str, **context: Any) -> Any:
    ctx = browser.new_context(**context)
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    outside = OUTSIDE.setdefault(id(page), [])
    local = ("http://127.0.0.1:", "data:", "blob:", "about:")
    page.on("request", lambda r: None if r.url.startswith(local) else outside.append(r.url))
    # Gradio keeps connections open: wait for `load` and then the page's own elements.
    page.goto(url, wait_until="load")
    page.locator("#qa-question textarea").wait_for(state="visible")
    return page


@pytest.fixture
def page(browser: Any, server: tuple[str, Library]) -> Iterator[Any]:
    page = _open(
        browser,
        server[0],
        viewport={"width": 1280, "height": 900},
        permissions=["clipboard-read", "clipboard-write"],
    )
    try:
        yield page
    finally:
        page.context.close()


def _ask(page: Any, question: str) -> Any:
    """Type ``question``, press Enter, and return the new reply once it is shown."""
    from playwright.sync_api import expect

    replies = page.locator('#qa-chat [data-testid="bot"]')
    before = replies.count()
    box = page.locator("#qa-question textarea")
    box.fill(question)
    box.press("Enter")
    expect(replies).to_have_count(before + 1, timeout=TIMEOUT_MS)
    expect(box).to_have_value("")
    return replies.last


def _screenshot(page: Any, path: Path) -> None:
    """The top of the page, with the chat scrolled to the start of the question."""
    page.evaluate(
        "document.querySelectorAll('#qa-chat *').forEach(e => {"
        " if (e.scrollHeight > e.clientHeight + 4) e.scrollTop = 0; })"
    )
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)  # let the scroll settle before the picture
    path.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(path))
    assert path.stat().st_size > 20_000


def _seed() -> list[dict[str, Any]]:
    lines = require_shared(SEED).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line]


def _open_documents(page: Any) -> None:
    upload = page.locator("#qa-upload input[type=file]")
    if not upload.count() or not page.locator("#qa-doc-list").is_visible():
        page.locator("#qa-documents").get_by_text("Documents", exact=True).first.click()
    page.locator("#qa-doc-list").wait_for(state="visible")


def _upload(page: Any, *files: Path) -> str:
    from playwright.sync_api import expect

    _open_documents(page)
    status = page.locator("#qa-upload-status")
    page.locator("#qa-upload input[type=file]").set_input_files([str(f) for f in files])
    # While it works the status shows the progress ("indexing - 30%"); then the outcome.
    expect(status).to_contain_text(re.compile(r"Indexed|Could not"), timeout=TIMEOUT_MS)
    text: str = status.inner_text()
    return text


def test_answer_shows_highlighted_quote_source_and_panel(
    page: Any, server: tuple[str, Library]
) -> None:
    from playwright.sync_api import expect

    case = next(c for c in _seed() if c.get("evidence"))
    reply = _ask(page, case["q"])
    marks = reply.locator("mark")
    expect(marks.first).to_be_visible()
    highlighted = " ".join(marks.all_inner_texts()).lower()
    assert any(e.lower() in highlighted for e in case["evidence"]), highlighted
    source = server[1].bot.sources[0]
    expect(reply).to_contain_text(f"{source}, line ")
    expect(reply).to_contain_text("Relevance:")

    # The sources panel lists every passage used, with the quote highlighted in its passage.
    cards = page.locator("#qa-sources .qa-card")
    expect(cards).to_have_count(5)
    _screenshot(page, SCREENSHOT)
    first = cards.first
    expect(first.locator(".qa-passage mark")).to_contain_text(marks.first.inner_text().strip())
    expect(first.locator(".qa-rel")).to_contain_text("\u00b7")
    # Expanding shows the surrounding text, the quote still highlighted inside it.
    context = first.locator(".qa-context-text")
    expect(context).to_be_hidden()
    first.get_by_text("Show surrounding text").click()
    expect(context).to_be_visible()
    assert len(context.inner_text()) > len(first.locator(".qa-passage").inner_text())
    expect(context.locator("mark")).to_be_visible()
    # The copy button puts the quote and its citation on the clipboard.
    first.get_by_role("button", name="Copy quote with citation").first.click()
    expect(first.get_by_role("button", name="Copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("\u201c") and f"\u201d \u2014 {source}, line " in copied
    assert "characters" in copied
    # The page fetched nothing from the internet: no fonts, no analytics, no CDN.
    assert OUTSIDE[id(page)] == []


def test_unanswerable_question_says_not_in_the_documents(
    page: Any, server: tuple[str, Library]
) -> None:
    from playwright.sync_api import expect

    bot = server[1].bot
    question = next(c["q"] for c in _seed() if c.get("unanswerable") and not bot.ask(c["q"]).found)
    reply = _ask(page, question)
    expect(reply).to_contain_text("Not in the documents.")
    expect(reply).to_contain_text("Closest matches (these do not answer it)")
    expect(reply.locator("mark")).to_have_count(0)
    expect(page.locator("#qa-sources .qa-sources-title")).to_contain_text(
        "they do not answer the question"
    )


def test_upload_answers_from_the_new_document_then_remove_it(
    page: Any, server: tuple[str, Library], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    doc = tmp_path / "Lighthouse notes.txt"
    doc.write_text(
        "The Eddystone Lighthouse\n\n"
        "The fourth Eddystone Lighthouse was designed by James Douglass and first lit in 1882.\n"
        "Its light can be seen from 22 nautical miles away.\n",
        encoding="utf-8",
    )
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    status = _upload(page, doc, empty)
    assert "Indexed uploads/Lighthouse notes.txt" in status
    assert "Could not index empty.txt: no text found in the file" in status
    expect(page.locator("#qa-doc-list")).to_contain_text("uploads/Lighthouse notes.txt")

    reply = _ask(page, "Who designed the fourth Eddystone Lighthouse?")
    expect(reply.locator("mark").first).to_contain_text("James Douglass")
    expect(reply).to_contain_text("uploads/Lighthouse notes.txt, line ")

    # Remove it again: the list and the answers no longer have it.
    page.locator("#qa-remove-pick input").click()
    page.get_by_role("option", name="uploads/Lighthouse notes.txt").click()
    page.get_by_role("button", name="Remove from index").click()
    expect(page.locator("#qa-upload-status")).to_contain_text(
        "Removed uploads/Lighthouse notes.txt"
    )
    expect(page.locator("#qa-doc-list")).not_to_contain_text("Lighthouse")
    reply = _ask(page, "Who designed the fourth Eddystone Lighthouse?")
    expect(reply).not_to_contain_text("uploads/Lighthouse notes.txt")
    assert "uploads/Lighthouse notes.txt" not in server[1].bot.sources


def test_document_picker_limits_the_answer_to_the_chosen_documents(
    page: Any, server: tuple[str, Library], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    doc = tmp_path / "Harbour rules.txt"
    doc.write_text(
        "Harbour rules\n\nShips entering the harbour must lower their speed to five knots.\n"
        "The harbour master assigns every berth before a ship may dock.\n",
        encoding="utf-8",
    )
    assert "Indexed uploads/Harbour rules.txt" in _upload(page, doc)
    question = "What must ships entering the harbour do?"
    reply = _ask(page, question)
    expect(reply).to_contain_text("uploads/Harbour rules.txt, line ")

    # Choose the shared document only: the harbour file is no longer searched or cited.
    shared = next(s for s in server[1].bot.sources if not s.startswith("uploads/"))
    page.locator("#qa-sources-pick input").click()
    page.get_by_role("option", name=shared).click()
    page.keyboard.press("Escape")
    reply = _ask(page, question)
    expect(reply).not_to_contain_text("Harbour rules.txt")
    cards = page.locator("#qa-sources .qa-card")
    expect(cards.first).to_be_visible()
    for card in cards.all():
        expect(card).not_to_contain_text("Harbour rules.txt")
    server[1].remove("uploads/Harbour rules.txt")


def test_markup_in_documents_is_shown_as_text_and_never_runs(
    page: Any, server: tuple[str, Library], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    script = "<script>window.__qa_xss = 'script'</script>"
    image = "<img src=x onerror=\"window.__qa_xss = 'img'\">"
    evil = tmp_path / "zebra <b>facts<b>.txt"
    evil.write_text(
        f"Zebra herds of the Okavango {script} and {image} graze together.\n\n"
        "Zebras of the Okavango migrate 500 kilometres to the Makgadikgadi pans every year. "
        "[Read more](javascript:window.__qa_xss='link') about the migration.\n",
        encoding="utf-8",
    )
    assert "Indexed" in _upload(page, evil)
    reply = _ask(page, "How far do the zebras of the Okavango migrate?")
    panel = page.locator("#qa-sources")
    expect(panel.locator(".qa-card").first).to_contain_text(script)
    expect(panel.locator(".qa-card").first).to_contain_text(image)
    expect(reply).to_contain_text("Zebras of the Okavango migrate 500 kilometres")
    expect(reply).to_contain_text(script)  # quotes and all, as typed
    # The file name had markup too: it is shown as cleaned, never as bold text.
    (name,) = [s for s in server[1].bot.sources if s.startswith("uploads/zebra")]
    assert "<" not in name
    expect(reply).to_contain_text(f"{name}, line ")
    expect(reply.locator("b")).to_have_count(0)
    page.locator(".qa-context summary").first.click()
    for where in ("#qa-chat", "#qa-sources", "#qa-doc-list"):
        scope = page.locator(where)
        expect(scope.locator("script")).to_have_count(0)
        expect(scope.locator("img")).to_have_count(0)
        expect(scope.locator('a[href^="javascript"]')).to_have_count(0)
    page.wait_for_timeout(500)  # an onerror handler would have run by now
    assert page.evaluate("window.__qa_xss") is None


def test_settings_search_only_mode_and_passage_count(page: Any) -> None:
    from playwright.sync_api import expect

    page.locator("#qa-settings").get_by_text("Settings").first.click()
    slider = page.locator("#qa-settings input[type=number]")
    track = page.locator("#qa-settings input[type=range]")
    # Typed into the box before the opened accordion's slider listens, the count is lost and
    # the question goes out with the old one: type again until the slider holds it.
    for _ in range(10):
        slider.fill("3")
        slider.press("Enter")
        slider.blur()
        if track.input_value() == "3":
            break
        page.wait_for_timeout(300)
    expect(track).to_have_value("3")
    page.get_by_label("keyword").check()
    page.get_by_label("Search only: show the passages without picking an answer").check()
    reply = _ask(page, "diplomacy in cyberspace")
    expect(reply).to_contain_text("Search only: the 3 best passages")
    expect(reply.locator("mark")).to_have_count(0)
    expect(page.locator("#qa-sources .qa-card")).to_have_count(3)
    expect(page.locator("#qa-sources .qa-sources-title")).to_contain_text("search only")


def test_dark_mode_narrow_screen_examples_and_keyboard(
    browser: Any, server: tuple[str, Library], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page = _open(
        browser,
        server[0] + "?__theme=dark",
        viewport={"width": 390, "height": 844},
        color_scheme="dark",
        is_mobile=True,
        has_touch=True,
    )
    try:
        expect(page.locator("body")).to_have_class(re.compile(r"\bdark\b"))
        # An example question made from the documents fills the box; Enter sends it.
        example = page.locator("#qa-examples button").first
        # Gradio may draw the button before its label: wait for a label, then read it.
        expect(example).to_have_text(re.compile(r"\S"))
        text = example.inner_text().strip()
        assert text
        example.click()
        box = page.locator("#qa-question textarea")
        expect(box).to_have_value(text)
        replies = page.locator('#qa-chat [data-testid="bot"]')
        box.focus()
        page.keyboard.press("Enter")
        expect(replies).to_have_count(1)
        expect(page.locator("#qa-sources .qa-card").first).to_be_visible()
        # Nothing is wider than the phone's screen.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        # Dark page, light text; quotes stay readable: dark text on the yellow mark.
        bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
        card = page.locator("#qa-sources .qa-card").first
        fg = card.evaluate("e => getComputedStyle(e).color")
        assert _luminance(bg) < 0.2 and _luminance(fg) > 0.6, (bg, fg)
        mark = page.locator("#qa-sources mark").first
        if mark.count():
            assert _luminance(mark.evaluate("e => getComputedStyle(e).color")) < 0.2
        _screenshot(page, tmp_path / "dark-narrow.png")
    finally:
        page.context.close()


def _luminance(css: str) -> float:
    """Relative luminance of a CSS ``rgb(...)``/``rgba(...)`` colour, 0 (black) to 1 (white)."""
    inner = css[css.index("(") + 1 : css.index(")")].replace("/", " ").replace(",", " ")
    r, g, b = (float(v) / 255 for v in inner.split()[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
