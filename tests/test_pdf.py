"""PDFs as people have them: running heads, page numbers, a contents page, hyphenated line
ends and two columns, read into the text that is indexed and quoted."""

from __future__ import annotations

import bisect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import index
from index._pdf import join_pages, pdf_pages, read_pdf
from index._pdf_clean import clean_pages, keeps_hyphen
from index._store import open_store
from qa._quote import Candidate, is_title
from tests import pdf_samples
from tests.fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def manual(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pdf_samples.write_manual(tmp_path_factory.mktemp("pdf") / "quillmate.pdf")


@pytest.fixture(scope="module")
def document(manual: Path) -> index.Document:
    return index.parse_document(manual.read_bytes(), source="quillmate.pdf", suffix=".pdf")


def _page_of(doc: index.Document, start: int) -> int:
    return bisect.bisect_right(doc.page_starts, start)


def test_running_heads_page_numbers_and_contents_are_not_indexed(
    document: index.Document,
) -> None:
    text = document.text
    assert pdf_samples.RUNNING_HEAD not in text
    assert "Page 3 of 5" not in text and "of 5" not in text
    assert ". . . ." not in text and "Contents" not in text
    # The sections' own headings stay, as paragraphs of their own.
    for heading in ("\n\n1 Introduction\n\n", "\n\n2 Storage and export\n\n"):
        assert heading in text


def test_wrapped_lines_are_joined_and_hyphenation_mended(document: index.Document) -> None:
    text = document.text
    for sentence in (pdf_samples.WHAT_IS, pdf_samples.WHO_MAINTAINS, pdf_samples.WELL_KNOWN):
        assert sentence in text
    assert "manip-" not in text and "com-" not in text
    assert "quill_note_open()" in text


def test_two_columns_read_column_by_column(document: index.Document) -> None:
    text = document.text
    left, right = text.find(pdf_samples.LEFT_COLUMN), text.find(pdf_samples.RIGHT_COLUMN)
    assert 0 <= left < right
    # The whole left column comes before the right one begins.
    assert text.find("date and title of its note.") < right


def test_page_of_every_passage_is_right(document: index.Document) -> None:
    assert len(document.page_starts) == 5
    assert document.title == pdf_samples.NAME
    assert _page_of(document, document.text.index(pdf_samples.WHO_MAINTAINS)) == 3
    assert _page_of(document, document.text.index(pdf_samples.LEFT_COLUMN)) == 4
    assert _page_of(document, document.text.index("Settings are read")) == 5
    assert _page_of(document, document.text.index(pdf_samples.NAME)) == 1


def test_passages_hold_no_page_furniture(
    manual: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    out = tmp_path / "idx"
    index.build_index([manual], out, embedder=fake_embedder)
    store = open_store(out)
    passages = [store.passage_span(i) for i in range(len(store))]
    texts = [doc.text[start:end] for doc, start, end in passages]
    assert texts and all(pdf_samples.RUNNING_HEAD not in t and "Page " not in t for t in texts)
    assert any(pdf_samples.WHAT_IS in t for t in texts)


def test_pages_stay_apart_for_ocr(manual: Path) -> None:
    pages, title = pdf_pages(manual.read_bytes(), source="m.pdf")
    assert len(pages) == 5 and title == ""
    # A page without a text layer could be filled (by OCR) before cleaning and joining.
    pages[1] = "Scanned page\n\nA sentence read from the pic-\nture of a page."
    text, starts = join_pages(clean_pages(pages))
    page_two = text[starts[1] : starts[2]]
    assert "A sentence read from the picture of a page." in page_two


def test_running_heads_found_by_repetition_with_varying_numbers() -> None:
    words = ("apples", "pears", "plums", "figs", "limes", "dates")
    pages = ["The Fruit Book\n\nA cover page."]
    for n, word in enumerate(words):
        body = "\n\n".join(f"All about {word}, part {part}, in a sentence." for part in "abcd")
        pages.append(f"Chapter {1 + n // 2}: Fruit\n\n{n + 2}\n\n{body}\n\nPage {n + 2} of 7")
    pages[3] = pages[3].replace("Page 4 of 7", "Page 4 of 7\n\nvi")
    cleaned = clean_pages(pages)
    assert len(cleaned) == 7 and cleaned[0] == pages[0]
    for page, word in zip(cleaned[1:], words, strict=True):
        assert page.startswith(f"All about {word}, part a") and page.endswith(
            "part d, in a sentence."
        )


def test_a_line_repeated_in_the_body_is_kept() -> None:
    # Repetition counts only at the top and bottom of pages.
    body = "\n\n".join(f"Paragraph {n} of the text, long enough." for n in range(8))
    pages = [
        f"Intro {n}.\n\n{body}\n\nWarning: keep it dry.\n\n{body}\n\nEnd {n}." for n in range(4)
    ]
    assert all("Warning: keep it dry." in p for p in clean_pages(pages))


@pytest.mark.parametrize(
    ("first", "second", "keeps"),
    [
        ("manip", "ulation", False),
        ("iden", "tifier", False),
        ("com", "puter", False),
        ("well", "known", True),
        ("self", "contained", True),
        ("some", "thing", False),
    ],
)
def test_hyphen_kept_only_in_compounds(first: str, second: str, keeps: bool) -> None:
    assert keeps_hyphen(first, second) is keeps


def test_the_documents_own_spelling_decides() -> None:
    pages = [
        "A pre-allocated buffer is used here, and the\nbuffer is pre-\nallocated once.",
        "The co-\noperation of the parts; cooperation matters.",
    ]
    cleaned = clean_pages(pages)
    assert "buffer is pre-allocated once." in cleaned[0]
    assert "The cooperation of the parts" in cleaned[1]


def test_lists_and_code_keep_their_lines() -> None:
    page = (
        "The library supports these types of notes and a few more besides them:\n"
        "• plain text notes\n• Markdown notes\n"
        "Call it like this, with the name of the folder and nothing more here:\n"
        "quill open notes/\nquill list"
    )
    cleaned = clean_pages([page])[0]
    assert "them:\n• plain text notes\n• Markdown notes\nCall it" in cleaned
    assert "here:\nquill open notes/\nquill list" in cleaned


def test_protected_or_broken_pdf_is_one_clear_error() -> None:
    with pytest.raises(index.DocumentError, match="not a readable PDF"):
        read_pdf(b"%PDF-1.4\n garbage", source="x.pdf")


def _candidate(doc: index.Document, sentence: str) -> Candidate:
    start = doc.text.index(sentence)
    return Candidate(0, doc, start, start + len(sentence), 0.0, 0.5, 0.5, 0.5, False)


def test_title_and_headings_are_told_from_sentences(document: index.Document) -> None:
    assert is_title(_candidate(document, pdf_samples.NAME))
    assert is_title(_candidate(document, "1 Introduction"))
    assert not is_title(_candidate(document, pdf_samples.WHAT_IS))


def _qa(*args: str) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    return subprocess.run(
        [sys.executable, "-m", "ui", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
        timeout=600,
    )


@pytest.mark.slow
def test_cli_quotes_the_sentence_not_the_title_or_running_head(
    manual: Path, tmp_path: Path
) -> None:
    out = tmp_path / "idx"
    built = _qa("index", str(manual.parent), "--out", str(out), "--quiet")
    assert built.returncode == 0, built.stderr
    doc = index.parse_document(manual.read_bytes(), source="quillmate.pdf", suffix=".pdf")
    for question, sentence, page, first in (
        (f"What is {pdf_samples.NAME}?", pdf_samples.WHAT_IS, 3, True),
        (f"Who maintains {pdf_samples.NAME}?", pdf_samples.WHO_MAINTAINS, 3, True),
        ("Where are notes stored?", pdf_samples.LEFT_COLUMN, 4, True),
    ):
        asked = _qa("ask", question, "--index", str(out), "--json")
        assert asked.returncode == 0, asked.stderr
        answer = json.loads(asked.stdout)
        assert answer["found"], question
        quotes = answer["quotes"]
        for quote in quotes:  # whole sentences of the mended text, never a title or head
            assert doc.text[quote["start"] : quote["end"]] == quote["text"]
            assert "\n" not in quote["text"] and quote["text"].endswith(".")
            assert not is_title(_candidate(doc, quote["text"])), question
        texts = [q["text"] for q in quotes]
        # "What is X?" wants the sentence that defines X ("X is a ..."), not the other
        # sentence of page 3 that names X; the others want the sentence that answers them.
        assert (texts[0] == sentence) if first else (sentence in texts), (question, texts)
        assert quotes[texts.index(sentence)]["location"] == f"page {page}"
