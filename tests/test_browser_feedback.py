"""Feedback, open-at-source and the Markdown export in a real browser (Chromium, headless)
against a real server; the index uses the fake embedder, for speed."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import index
import qa
from tests.browser_support import CHROMIUM_ARGS, ensure_chromium, free_port
from tests.fakes import FakeEmbedder
from tests.test_feedback import make_corpus
from ui import _votes as votes
from ui._uploads import Library
from ui.app import start

pytestmark = [pytest.mark.slow, pytest.mark.browser]

TIMEOUT_MS = 60_000
LAMP = "The lighthouse keeper Marta Ilsen kept the lamp burning for forty years."


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A real Gradio server on an index of text files and a three-page PDF."""
    root = tmp_path_factory.mktemp("feedback")
    corpus = make_corpus(root / "docs")
    (corpus / "lamp.txt").unlink()  # the lamp sentence is in the PDF alone
    _lamp_pdf(corpus / "keepers.pdf")
    embedder = FakeEmbedder()
    index.build_index([corpus], root / "idx", embedder=embedder)
    library = Library(qa.load(root / "idx", embedder=embedder))
    app, url = start(library, host="127.0.0.1", port=free_port())
    try:
        yield url, root / "idx"
    finally:
        app.close()


def _lamp_pdf(path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for text in ("Keepers of the coast.", "Harbour dues were paid in grain.", LAMP):
        pdf.add_page()
        pdf.multi_cell(0, 10, text)
    pdf.output(str(path))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = ensure_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Any, served: tuple[str, Path]) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    page.goto(served[0], wait_until="load")
    page.locator("#qa-question textarea").wait_for(state="visible")
    try:
        yield page
    finally:
        ctx.close()


def _ask(page: Any, question: str) -> Any:
    from playwright.sync_api import expect

    replies = page.locator('#qa-chat [data-testid="bot"]')
    before = replies.count()
    box = page.locator("#qa-question textarea")
    box.fill(question)
    box.press("Enter")
    expect(replies).to_have_count(before + 1)
    expect(box).to_have_value("")
    return replies.last


def _votes(folder: Path) -> list[dict[str, Any]]:
    return votes.load_feedback(folder)


def test_thumbs_down_then_up_are_stored_with_the_answer(
    page: Any, served: tuple[str, Path]
) -> None:
    from playwright.sync_api import expect

    before = len(_votes(served[1]))
    question = "Who kept the lamp burning for forty years?"
    _ask(page, question)
    status = page.locator("#qa-feedback-status")
    page.locator('#qa-chat button[aria-label="Dislike"]').last.click()
    expect(status).to_contain_text("wrong answer")
    expect(page.locator('#qa-chat button[aria-label="Disliked"]')).to_have_count(1)
    page.locator('#qa-chat button[aria-label="Like"]').last.click()
    expect(status).to_contain_text("good answer")
    stored = _votes(served[1])[before:]
    assert [r["vote"] for r in stored] == ["down", "up"]
    assert stored[-1]["question"] == question and stored[-1]["mode"] == "hybrid"
    quote = stored[-1]["quotes"][0]
    assert "Marta Ilsen" in quote["text"] and quote["end"] > quote["start"]
    assert stored[-1]["passages"] and stored[-1]["created"]


def test_this_answers_it_marks_a_passage(page: Any, served: tuple[str, Path]) -> None:
    from playwright.sync_api import expect

    before = len(_votes(served[1]))
    _ask(page, "When did the railway reach the harbour?")
    card = page.locator("#qa-sources .qa-card").nth(1)
    card.locator("button.qa-answers").click()
    expect(page.locator("#qa-feedback-status")).to_contain_text("passage 2")
    stored = _votes(served[1])[before:]
    assert [r["vote"] for r in stored] == ["answers"] and stored[0]["passage"] == 1
    marked = stored[0]["passages"][1]
    assert card.get_attribute("data-source") == marked["source"]


def test_a_pdf_citation_opens_the_pdf_at_its_page(page: Any, served: tuple[str, Path]) -> None:
    reply = _ask(page, "Who kept the lamp burning for forty years?")
    links = reply.locator('a[href*="keepers.pdf"]')
    assert links.count(), reply.inner_html()
    href = links.first.get_attribute("href")
    assert href is not None and href.endswith("#page=3")
    card_link = page.locator('#qa-sources .qa-card[data-source="keepers.pdf"] a.qa-open').first
    with page.context.expect_page() as opened:
        card_link.click()
    pdf_page = opened.value
    pdf_page.wait_for_load_state("load")
    assert re.search(r"/qa/doc/keepers\.pdf\?.*#page=3$", pdf_page.url)
    response = page.request.get(pdf_page.url.split("#")[0])
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body() == (served[1].parent / "docs" / "keepers.pdf").read_bytes()


def test_a_text_citation_opens_with_the_quote_highlighted(
    page: Any, served: tuple[str, Path]
) -> None:
    from playwright.sync_api import expect

    _ask(page, "Which bakery sells rye bread every morning?")
    link = page.locator('#qa-sources .qa-card[data-source="bread.txt"] a.qa-open').first
    with page.context.expect_page() as opened:
        link.click()
    doc = opened.value
    doc.wait_for_load_state("load")
    assert doc.url.endswith("#quote")
    mark = doc.locator("mark#quote")
    expect(mark).to_contain_text("rye bread")
    assert mark.evaluate(
        "e => { const r = e.getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; }"
    )


def test_unknown_and_traversing_documents_get_a_clear_404(served: tuple[str, Path]) -> None:
    for name in ("nothing.txt", "..%2F..%2Fetc%2Fpasswd", "../../etc/passwd"):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(served[0].rstrip("/") + "/qa/doc/" + name, timeout=30)
        assert err.value.code == 404
        assert b"not in the index" in err.value.read()


def test_markdown_export_downloads_the_quotes(page: Any) -> None:
    from playwright.sync_api import expect

    _ask(page, "Who kept the lamp burning for forty years?")
    button = page.locator("#qa-export")
    expect(button).to_be_visible()
    with page.expect_download() as download:
        button.click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename.endswith(".md")
    assert "## 1. Who kept the lamp burning for forty years?" in text
    assert f"> {LAMP}" in text
    link = r"\(\[open\]\(http://127\.0\.0\.1:\d+/qa/doc/keepers\.pdf\?[^)]*#page=3\)"
    assert re.search(link, text)


def test_documents_ask_for_the_login_the_chat_asks_for(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "docs")
    embedder = FakeEmbedder()
    index.build_index([corpus], tmp_path / "idx", embedder=embedder)
    library = Library(qa.load(tmp_path / "idx", embedder=embedder))
    app, url = start(library, host="127.0.0.1", port=free_port(), auth=[("ann", "secret")])
    try:
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(url.rstrip("/") + "/qa/doc/bread.txt", timeout=30)
        assert err.value.code == 401
    finally:
        app.close()
