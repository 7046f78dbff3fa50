"""The web chat's parts without a server: uploads, example questions, escaping, chat function."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

import index
import qa
from index._pg_build import build_pg_index
from index._store import SourceInfo
from tests.fakes import FakeEmbedder, fake_serve
from ui._examples import example_questions
from ui._uploads import UPLOAD_PREFIX, Library, safe_name
from ui._views import chat_markdown, citation, documents_html, sources_html
from ui.app import answer_json, chat_function

TEA = (
    "Green tea comes from the leaves of Camellia sinensis. It is steamed or pan-fired.\n\n"
    "Black tea is fully oxidised before it is dried, which gives it a darker colour.\n"
)


@pytest.fixture
def library(tmp_path: Path, fake_embedder: FakeEmbedder) -> Library:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "tea.txt").write_text(TEA, encoding="utf-8")
    out = tmp_path / "idx"
    chunking = index.ChunkingOptions(max_tokens=30)
    index.build_index([docs], out, embedder=fake_embedder, chunking=chunking)
    return Library(qa.load(out, embedder=fake_embedder))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("notes.txt", "notes.txt"),
        ("../../x.txt", "x.txt"),
        ("..\\..\\evil.md", "evil.md"),
        ("/etc/passwd", "passwd"),
        ("C:report.PDF", "report.pdf"),
        (".hidden.txt", "hidden.txt"),
        ("a<b>|c.html", "a_b_c.html"),
        ("line\nbreak.txt", "linebreak.txt"),
        ("", "upload"),
        ("..", "upload"),
    ],
)
def test_safe_name_stays_inside_the_folder(raw: str, expected: str) -> None:
    assert safe_name(raw) == expected
    assert "/" not in safe_name(raw) and "\\" not in safe_name(raw)


def test_upload_is_answerable_at_once_and_kept_in_the_index(
    library: Library, tmp_path: Path
) -> None:
    before = (Path(library.location) / "CURRENT").read_text()
    src = tmp_path / "in" / "../in2"
    src.mkdir(parents=True)
    f = src / "kites.txt"
    f.write_text("Box kites were invented by Lawrence Hargrave in 1893.\n", encoding="utf-8")
    report = library.add([f])
    assert report.added == (UPLOAD_PREFIX + "kites.txt",)
    assert report.failed == () and report.documents == 2
    assert (Path(library.location) / "CURRENT").read_text() != before  # a new version is live
    assert library.bot.document("uploads/kites.txt") == f.read_text(encoding="utf-8")
    top = library.bot.retrieve("Who invented box kites?", k=1)[0]
    assert top.source == "uploads/kites.txt" and "Hargrave" in top.text
    # A fresh load of the index on disk sees the same thing: the upload was written, not cached.
    again = qa.load(library.location, embedder=library.bot.embedder)
    assert "uploads/kites.txt" in again.sources


def test_upload_reports_unreadable_files_and_indexes_the_rest(
    library: Library, tmp_path: Path
) -> None:
    good = tmp_path / "good.md"
    good.write_text("# Bees\n\nBees make honey from nectar.\n", encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n", encoding="utf-8")
    binary = tmp_path / "blob.txt"
    binary.write_bytes(b"\x00\x01\x02binary")
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    report = library.add([good, empty, binary, exe])
    assert report.added == ("uploads/good.md",)
    reasons = {f.name: f.message for f in report.failed}
    assert set(reasons) == {"empty.txt", "blob.txt", "tool.exe"}
    assert "no text" in reasons["empty.txt"]
    assert "binary" in reasons["blob.txt"]
    assert "unsupported file type" in reasons["tool.exe"]
    assert library.bot.sources == ["tea.txt", "uploads/good.md"]


def test_failed_upload_changes_nothing(library: Library, tmp_path: Path) -> None:
    before = (Path(library.location) / "CURRENT").read_text()
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    report = library.add([empty])
    assert report.added == () and len(report.failed) == 1
    assert (Path(library.location) / "CURRENT").read_text() == before


def test_traversal_name_is_cleaned(library: Library, tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    # The browser sends only a name; a hostile client may send "../../x": the name is cleaned.
    evil = deep / "..%2F..%2Fx.txt"
    evil.write_text("Owls hunt at night using their hearing.\n", encoding="utf-8")
    report = library.add([evil])
    (name,) = report.added
    assert name.startswith(UPLOAD_PREFIX) and "/" not in name.removeprefix(UPLOAD_PREFIX)
    assert name == UPLOAD_PREFIX + safe_name(evil.name)


def test_remove_takes_the_document_out(library: Library, tmp_path: Path) -> None:
    f = tmp_path / "owls.txt"
    f.write_text("Owls hunt at night using their hearing.\n", encoding="utf-8")
    library.add([f])
    library.remove("uploads/owls.txt")
    assert "uploads/owls.txt" not in library.bot.sources
    assert (
        "uploads/owls.txt" not in qa.load(library.location, embedder=library.bot.embedder).sources
    )
    with pytest.raises(qa.DocumentError, match="not in the index"):
        library.remove("uploads/owls.txt")
    with pytest.raises(qa.EmptyCorpusError, match="only document"):
        library.remove("tea.txt")
    assert library.bot.sources == ["tea.txt"]


def test_a_rebuild_from_folders_keeps_uploads(
    library: Library, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    f = tmp_path / "owls.txt"
    f.write_text("Owls hunt at night using their hearing.\n", encoding="utf-8")
    library.add([f])
    (tmp_path / "docs" / "coffee.txt").write_text("Coffee beans are roasted seeds.\n", "utf-8")
    # `qa serve docs/` or `qa index docs/` rebuilds from docs/: the upload is the page's, kept.
    report = index.build_index(
        [tmp_path / "docs"],
        library.location,
        embedder=fake_embedder,
        chunking=library.bot.store.manifest.chunking,
    )
    assert report.removed == () and report.documents == 3
    library.refresh()
    assert sorted(library.bot.sources) == ["coffee.txt", "tea.txt", "uploads/owls.txt"]
    # Removing a file from docs/ drops it; the upload stays until removed on the page.
    (tmp_path / "docs" / "coffee.txt").unlink()
    report = index.build_index(
        [tmp_path / "docs"],
        library.location,
        embedder=fake_embedder,
        chunking=library.bot.store.manifest.chunking,
    )
    assert report.removed == ("coffee.txt",)
    assert sorted(qa.load(library.location, embedder=fake_embedder).sources) == [
        "tea.txt",
        "uploads/owls.txt",
    ]


def _doc(source: str, text: str, kind: str = "text", title: str = "") -> index.Document:
    return index.Document(source, title or source, text, kind, "0" * 64)


def test_example_questions_come_from_the_documents() -> None:
    docs = [
        _doc(
            "a.md",
            "# Growing tomatoes\n\nTomatoes need sun.\n\n## Why do leaves curl?\n\n"
            "Heat makes leaves curl.\n",
            "markdown",
            "Growing tomatoes",
        ),
        _doc(
            "b.txt",
            "Is coffee bad for sleep? | Health Site\n\nCaffeine stays for hours.\n",
            title="Is coffee bad for sleep? | Health Site",
        ),
    ]
    questions = example_questions(docs, limit=4)
    assert "Why do leaves curl?" in questions
    assert "Is coffee bad for sleep?" in questions  # the site name is cut off
    assert "What does the text say about Growing tomatoes?" in questions
    # Every document gets a turn before any gets a second one.
    assert {questions[0], questions[1]} & {"Is coffee bad for sleep?"}
    other = example_questions([_doc("c.txt", "Rust and ownership\n\nBorrowing rules.\n")])
    assert other == ["What does the text say about Rust and ownership?"]


def test_configured_example_questions_come_first() -> None:
    docs = [_doc("b.txt", "Is coffee bad for sleep?\n\nCaffeine stays for hours.\n")]
    questions = example_questions(docs, configured=["  How long does caffeine last? "], limit=2)
    assert questions == ["How long does caffeine last?", "Is coffee bad for sleep?"]


EVIL = (
    'Safe words <script>window.__xss=1</script> and <img src=x onerror="alert(1)"> '
    "[x](javascript:alert(1)) end."
)


def _evil_answer() -> tuple[qa.Answer, str]:
    passage = qa.Passage(EVIL, "e<vil>.txt", 0, len(EVIL), 1.0, 0.9, "line 1")
    start = EVIL.index("<script>")
    quote = qa.Quote(EVIL[start : start + 38], "e<vil>.txt", start, start + 38, 0.9, "line 1", 0)
    return qa.Answer("q", True, (quote,), (passage,), 0.9), EVIL


def test_sources_panel_escapes_document_text() -> None:
    answer, text = _evil_answer()
    out = sources_html(answer, document=lambda s: text, threshold=0.3)
    assert "<script>" not in out and "<img" not in out and "<vil>" not in out
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in out
    assert "<mark>&lt;script&gt;" in out  # the quote is highlighted, as text
    assert 'data-copy="&#x201c;' in out or 'data-copy="\u201c' in out
    assert html.escape(citation(answer.quotes[0]), quote=True) in out


def test_chat_reply_escapes_document_text() -> None:
    answer, _ = _evil_answer()
    reply = chat_markdown(answer, threshold=0.3)
    assert "<script>" not in reply and "<img" not in reply and "](javascript" not in reply
    assert "<mark>" in reply
    listing = chat_markdown(answer, threshold=0.3, search_only=True)
    assert listing.startswith("**Search only:**") and "<script>" not in listing


def test_documents_list_escapes_names() -> None:
    info = SourceInfo("uploads/<b>x.txt", "h", "<i>t</i>", "text", 10, 1)
    out = documents_html([info])
    assert "<b>" not in out and "&lt;b&gt;x.txt" in out and "1 document(s)" in out


def test_chat_function_is_plain(library: Library) -> None:
    fn = chat_function(library.bot)
    reply = fn("Where does green tea come from?", [])
    assert isinstance(reply, str) and "Camellia sinensis" in reply
    assert fn("   ", []).startswith("**Cannot answer:** the question is empty")
    assert fn("tea", [], 2, "keyword", True).startswith("**Search only:**")
    assert "ask for 1 to 50" in fn("tea", [], 500)


def test_answer_json_has_offsets(library: Library) -> None:
    answer = library.bot.ask("Where does green tea come from?")
    data = answer_json(answer, threshold=library.bot.threshold)
    assert data["found"] is answer.found and data["threshold"] == library.bot.threshold
    for p in data["passages"]:
        assert library.bot.document(p["source"])[p["start"] : p["end"]] == p["text"]
        assert {"score", "similarity", "location"} <= set(p)


def test_serve_command_passes_examples_and_keeps_uploads(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.cli import main

    served = fake_serve(monkeypatch)
    f = tmp_path / "owls.txt"
    f.write_text("Owls hunt at night using their hearing.\n", encoding="utf-8")
    library.add([f])
    docs = str(tmp_path / "docs")
    idx = library.location
    args = ["serve", docs, "--index", idx, "--chunk-tokens", "30", "--example", "Why tea?"]
    assert main(args) == 0
    assert served["examples"] == ["Why tea?"] and served["host"] == "127.0.0.1"
    restored = served["library"]
    assert isinstance(restored, Library)
    assert sorted(restored.bot.sources) == ["tea.txt", "uploads/owls.txt"]


def test_html_upload_is_indexed_without_its_markup(library: Library, tmp_path: Path) -> None:
    page = tmp_path / "storks.html"
    page.write_text(
        "<html><head><title>Storks</title><script>var secret = 1;</script></head><body>"
        "<nav><a href='/'>Home</a></nav><article><h1>White storks</h1>"
        "<p>White storks fly from Europe to Africa every autumn, a journey of "
        "thousands of kilometres.</p><p>They return to the same nest each spring.</p>"
        "</article></body></html>",
        encoding="utf-8",
    )
    report = library.add([page])
    assert report.added == ("uploads/storks.html",)
    text = library.bot.document("uploads/storks.html")
    assert "White storks fly from Europe to Africa" in text
    assert "<p>" not in text and "secret" not in text
    assert library.bot.retrieve("Where do storks fly in autumn?", k=1)[0].source.endswith(".html")


@pytest.mark.slow
def test_uploads_into_a_postgresql_index(
    pg_url: str, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "tea.txt").write_text(TEA, encoding="utf-8")
    chunking = index.ChunkingOptions(max_tokens=30)
    build_pg_index([docs], pg_url, embedder=fake_embedder, chunking=chunking)
    library = Library(qa.load(pg_url, embedder=fake_embedder))
    f = tmp_path / "kites.txt"
    f.write_text("Box kites were invented by Lawrence Hargrave in 1893.\n", encoding="utf-8")
    assert library.add([f]).added == ("uploads/kites.txt",)
    top = library.bot.retrieve("Who invented box kites?", k=1)[0]
    assert top.source == "uploads/kites.txt" and "Hargrave" in top.text
    # Another process opening the database sees the upload too.
    assert "uploads/kites.txt" in qa.load(pg_url, embedder=fake_embedder).sources
    library.remove("uploads/kites.txt")
    assert qa.load(pg_url, embedder=fake_embedder).sources == ["tea.txt"]
