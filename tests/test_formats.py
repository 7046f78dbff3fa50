"""Documents as people have them: Word, PowerPoint, OpenDocument, EPUB, RTF and scanned PDFs.

Every file is made here by the library people write such files with; it is indexed and
asked through the ``qa`` command, and the quote must carry the place a reader would look:
"slide 3", "Chapter 2: The Storm, paragraph 1", "page 1 (OCR)".
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

import index
import index._ocr
import qa
from index._build import build_from_documents
from index._locations import location_label
from index._pg import open_pg_store
from index._pg_build import build_pg_from_documents
from index._store import open_store
from index._uploads import check_upload
from tests.documents import FACTS, MAKERS, make_scanned_pdf
from tests.fakes import FakeEmbedder

REPO = Path(__file__).resolve().parents[1]
SCAN_LINES = [
    "The lighthouse keeper counted",
    "forty-two ships in the harbour",
    "on the night of the great storm.",
]
SCAN_QUESTION = "How many ships did the lighthouse keeper count in the harbour?"


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }


def _qa(*args: str, real: bool = False, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    # The real `qa` command; without `real`, with the fake embedder (tests.reliability_child).
    entry = ["-m", "ui"] if real else ["-m", "tests.reliability_child", "cli"]
    return subprocess.run(
        [sys.executable, *entry, *args],
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _ask(idx: Path, question: str, *, real: bool = False) -> dict[str, Any]:
    child = _qa("ask", question, "--index", str(idx), "--json", real=real)
    assert child.returncode == 0, child.stderr
    answer: dict[str, Any] = json.loads(child.stdout)
    return answer


def _quote_for(answer: dict[str, Any], source: str, words: str) -> dict[str, Any]:
    for quote in answer["quotes"]:
        if quote["source"] == source and words in quote["text"]:
            return quote
    raise AssertionError(f"no quote from {source} holding {words!r} in {answer['quotes']}")


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("formats") / "docs"
    folder.mkdir()
    for name, make in MAKERS.items():
        make(folder / name)
    return folder


@pytest.fixture(scope="module")
def fake_index(docs: Path) -> Path:
    out = docs.parent / "idx"
    child = _qa("index", str(docs), "--out", str(out), "--chunk-tokens", "30", "--quiet")
    assert child.returncode == 0, child.stderr
    return out


@pytest.mark.parametrize("name", sorted(FACTS))
def test_each_format_is_quoted_with_its_place(name: str, fake_index: Path, docs: Path) -> None:
    question, words, location = FACTS[name]
    quote = _quote_for(_ask(fake_index, question), name, words)
    assert quote["location"] == location
    # Offsets point into the indexed text, which the store keeps.
    store = open_store(fake_index)
    doc = next(d for d in store.documents if d.source == name)
    assert doc.text[quote["start"] : quote["end"]] == quote["text"]
    assert doc.kind == Path(name).suffix[1:]


def test_locations_survive_the_store(fake_index: Path) -> None:
    store = open_store(fake_index)
    by_source = {d.source: d for d in store.documents}
    deck = by_source["orchard.pptx"]
    assert [label for _, label in deck.locations] == ["slide 1", "slide 2", "slide 3"]
    assert deck.text[deck.locations[2][0] :].startswith("Harvest")
    book = by_source["voyage.epub"]
    assert [label for _, label in book.locations] == ["Departure", "The Island"]
    assert book.title == "The Voyage" and "Say a word" in deck.text  # speaker notes are kept


def test_word_tables_and_headings(docs: Path) -> None:
    doc = index.parse_document(
        (docs / "harbour.docx").read_bytes(), source="harbour.docx", suffix=".docx"
    )
    assert "Albatross | Norway" in doc.text
    labels = [label for _, label in doc.locations]
    assert labels == ["The Harbour", "Chapter 1: The Keeper", "Chapter 2: The Storm"]
    keeper = doc.text.index("Every evening")
    assert location_label(doc, keeper) == "Chapter 1: The Keeper, paragraph 2"
    assert location_label(doc, doc.text.index("Chapter 1")) == "Chapter 1: The Keeper"


def test_rtf_decodes_escapes_and_drops_markup(docs: Path) -> None:
    doc = index.parse_document((docs / "recipe.rtf").read_bytes(), source="r.rtf", suffix=".rtf")
    assert "café kitchen" in doc.text and "\\par" not in doc.text and "fonttbl" not in doc.text
    assert doc.title == "Country Sourdough"
    assert "in the big bowl" in doc.text


def _zip_with(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buffer.getvalue()


BAD_FILES = {
    "notzip.docx": b"This is plain text that was renamed to .docx",
    "truncated.pptx": None,  # the first half of a real deck
    "empty-zip.odt": _zip_with({"readme.txt": b"nothing here"}),
    "broken.epub": _zip_with({"mimetype": b"application/epub+zip"}),
    "plain.rtf": b"Just text, no RTF header at all.",
    "blank.docx": None,  # a real Word file with no text
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_files_get_a_one_line_error(name: str, tmp_path: Path, docs: Path) -> None:
    data = BAD_FILES[name]
    if name == "truncated.pptx":
        whole = (docs / "orchard.pptx").read_bytes()
        data = whole[: len(whole) // 2]
    elif name == "blank.docx":
        import docx

        docx.Document().save(str(tmp_path / name))
        data = (tmp_path / name).read_bytes()
    assert data is not None
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(qa.DocumentError) as caught:
        index.build_index([path], tmp_path / "idx", embedder=FakeEmbedder())
    message = str(caught.value)
    assert message.startswith(name + ": ") and "\n" not in message
    assert ("save it again" in message) or ("no text found" in message)
    assert not (tmp_path / "idx" / "CURRENT").exists()
    child = _qa("index", str(path), "--out", str(tmp_path / "idx2"), "--quiet")
    assert child.returncode == 2
    assert child.stderr.startswith("qa: error: ") and child.stderr.count("\n") == 1
    assert message in child.stderr  # the CLI says which file and what to do, in one line


def test_uploads_accept_the_new_types() -> None:
    for name in ("Report.DOCX", "deck.pptx", "book.epub", "notes.odt", "old.rtf"):
        assert check_upload(name, 1000) == name.rsplit(".", 1)[0] + "." + (
            name.rsplit(".", 1)[1].lower()
        )


def test_an_uploaded_slide_deck_is_answered_from_its_slide(
    tmp_path: Path, docs: Path, fake_embedder: FakeEmbedder
) -> None:
    from ui._uploads import Library

    start = tmp_path / "start"
    start.mkdir()
    (start / "tea.txt").write_text("Green tea comes from Camellia sinensis leaves.\n")
    chunking = index.ChunkingOptions(max_tokens=30)
    index.build_index([start], tmp_path / "idx", embedder=fake_embedder, chunking=chunking)
    library = Library(qa.load(tmp_path / "idx", embedder=fake_embedder))
    report = library.add([docs / "orchard.pptx"])
    assert report.added == ("uploads/orchard.pptx",) and not report.failed
    question, words, location = FACTS["orchard.pptx"]
    answer = library.bot.ask(question)
    quote = next(q for q in answer.quotes if words in q.text)
    assert (quote.source, quote.location) == ("uploads/orchard.pptx", location)


# -- OCR -------------------------------------------------------------------------------------


def test_ocr_lines_are_joined_in_reading_order() -> None:
    def box(x: float, y: float, w: float, text: str, score: float = 0.9) -> list[Any]:
        return [[[x, y], [x + w, y], [x + w, y + 20], [x, y + 20]], text, score]

    result = [
        box(300, 102, 100, "right half"),  # same line as "left", listed first
        box(10, 100, 200, "left half"),
        box(10, 125, 200, "next line"),
        box(10, 200, 200, "new para-"),
        box(10, 225, 200, "graph"),
        box(10, 300, 200, "speck", score=0.2),  # noise is dropped
    ]
    assert index._ocr.lines_to_text(result) == "left half right half next line\n\nnew para-graph"
    assert index._ocr.lines_to_text([]) == ""


def test_without_ocr_a_scanned_pdf_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing() -> None:
        raise ModuleNotFoundError("No module named 'rapidocr_onnxruntime'", name="rapidocr")

    monkeypatch.setattr(index._ocr, "_load", missing)
    path = tmp_path / "scan.pdf"
    make_scanned_pdf(path, SCAN_LINES)
    with pytest.raises(qa.DocumentError) as caught:
        index.build_index([path], tmp_path / "idx", embedder=FakeEmbedder())
    message = str(caught.value)
    assert message.startswith("scan.pdf: page 1 has no text layer and OCR is not installed")
    assert "make install" in message and "\n" not in message


def test_ocr_that_fails_on_a_page_is_an_error_not_a_gap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_engine(image: Any) -> Any:
        raise RuntimeError("onnxruntime: bad input")

    import pypdfium2

    monkeypatch.setattr(index._ocr, "_load", lambda: (broken_engine, pypdfium2))
    path = tmp_path / "scan.pdf"
    make_scanned_pdf(path, SCAN_LINES)
    with pytest.raises(qa.DocumentError, match=r"^scan.pdf: OCR failed on page 1 \(onnx"):
        index.parse_document(path.read_bytes(), source="scan.pdf", suffix=".pdf")


@pytest.mark.slow
def test_a_scanned_page_is_read_by_ocr_and_marked(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    # Page 1 has a text layer, page 2 is a scan: only page 2 is read by OCR.
    docs = tmp_path / "docs"
    docs.mkdir()
    scan = tmp_path / "scan.pdf"
    make_scanned_pdf(scan, SCAN_LINES)
    writer = PdfWriter()
    writer.append(str(_text_pdf(tmp_path / "text.pdf")))
    writer.append(str(scan))
    with (docs / "logbook.pdf").open("wb") as fh:
        writer.write(fh)
    out = tmp_path / "idx"
    child = _qa("index", str(docs), "--out", str(out), "--chunk-tokens", "30", "--quiet")
    assert child.returncode == 0, child.stderr
    doc = open_store(out).documents[0]
    assert doc.ocr_pages == (2,) and len(doc.page_starts) == 2
    page_two = doc.text[doc.page_starts[1] :]
    assert "forty-two ships" in page_two and "harbour" in page_two  # read off the picture
    quote = _quote_for(_ask(out, SCAN_QUESTION), "logbook.pdf", "forty-two ships")
    assert quote["location"] == "page 2 (OCR)"
    assert "page 2 (OCR)" in _ask(out, SCAN_QUESTION)["markdown"]  # shown as the UI shows it
    answer = _ask(out, "When did the harbour master write the first logbook entry?")
    assert _quote_for(answer, "logbook.pdf", "harbour master")["location"] == "page 1"


def _text_pdf(path: Path) -> Path:
    # A one-page PDF with a real text layer, drawn by Pillow would have none: write it by hand.
    stream = (
        b"BT /F1 14 Tf 72 720 Td (The harbour master wrote the first logbook entry in 1887.) Tj ET"
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))
    return path


@pytest.mark.slow
def test_every_format_through_the_real_command_and_model(tmp_path: Path, docs: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in MAKERS:
        (folder / name).write_bytes((docs / name).read_bytes())
    ferry = ["Timetable", "", "The ferry to the island leaves", "at seven in the morning."]
    make_scanned_pdf(folder / "scan.pdf", ferry)
    out = tmp_path / "idx"
    child = _qa("index", str(folder), "--out", str(out), "--quiet", real=True)
    assert child.returncode == 0, child.stderr
    scanned = ("When does the ferry to the island leave?", "seven in the morning", "page 1 (OCR)")
    cases = {**FACTS, "scan.pdf": scanned}
    for name, (question, words, location) in cases.items():
        answer = _ask(out, question, real=True)
        assert answer["found"], (name, answer["quotes"])
        quote = _quote_for(answer, name, words)
        assert quote["location"] == location


# -- both stores keep the places -------------------------------------------------------------


def _placed_documents(docs: Path) -> list[index.Document]:
    deck = index.parse_document(
        (docs / "orchard.pptx").read_bytes(), source="orchard.pptx", suffix=".pptx"
    )
    text = "Page one has a text layer.\n\nPage two was scanned and read by OCR."
    scan = index.Document(
        "scan.pdf", "Page one", text, "pdf", "0" * 64, page_starts=(0, 28), ocr_pages=(2,)
    )
    return [deck, scan]


def _check_places(store: Any) -> None:
    by_source = {d.source: d for d in store.documents}
    assert [label for _, label in by_source["orchard.pptx"].locations][-1] == "slide 3"
    scan = by_source["scan.pdf"]
    assert scan.ocr_pages == (2,)
    assert location_label(scan, scan.text.index("scanned")) == "page 2 (OCR)"
    assert location_label(scan, 3) == "page 1"


def test_the_folder_store_keeps_locations_and_ocr_pages(tmp_path: Path, docs: Path) -> None:
    build_from_documents(_placed_documents(docs), tmp_path / "idx", embedder=FakeEmbedder())
    _check_places(open_store(tmp_path / "idx"))


@pytest.mark.slow
def test_postgresql_keeps_locations_and_ocr_pages(pg_url: str, docs: Path) -> None:
    build_pg_from_documents(_placed_documents(docs), pg_url, embedder=FakeEmbedder())
    store = open_pg_store(pg_url)
    try:
        _check_places(store)
    finally:
        store.close()
