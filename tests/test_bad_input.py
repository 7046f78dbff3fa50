"""Bad input: odd questions and odd files each get a clear answer or a one-line refusal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import index
import qa
from index import build_index
from index._store import open_store
from tests.fakes import FakeEmbedder
from ui._render import answer_markdown
from ui.cli import main

REPO = Path(__file__).resolve().parents[1]
TEA = (
    "Green tea comes from the leaves of Camellia sinensis. It is steamed or pan-fired.\n\n"
    "Black tea is fully oxidised before it is dried, which gives it a darker colour.\n"
)


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    import qa._bot

    monkeypatch.setattr(index, "load_embedder", lambda name, **_: FakeEmbedder())
    monkeypatch.setattr(qa._bot, "load_embedder", lambda name, **_: FakeEmbedder())


@pytest.fixture
def tea_index(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "tea.txt").write_text(TEA, encoding="utf-8")
    out = tmp_path / "idx"
    build_index([docs], out, embedder=FakeEmbedder())
    return out


# -- questions -------------------------------------------------------------------------------

REFUSED_QUESTIONS = {
    "empty": ("", "empty"),
    "spaces": ("   \t \n  ", "empty"),
    "control characters only": ("\x00\x07\x1b\x7f", "empty"),
    "punctuation": ("?!?... ,;", "no words"),
    "emoji": ("\U0001f375\U0001f375 \u2615?", "no words"),
    "zero-width characters": ("\u200b\u200d\ufeff", "no words"),
    "100 KB": ("tea " * 25_600, "characters long"),
    "100 KB of one character": ("a" * 102_400, "characters long"),
    "just over the limit": ("t" * 2001, "at most 2,000"),
}

ANSWERED_QUESTIONS = {
    "control characters inside": "What\x00 is\x1b green\x07 tea\x7f made from?",
    "lone surrogate (undecodable command-line byte)": "green tea\udcff leaves?",
    "Japanese": "緑茶は何から作られますか？",
    "Russian": "Из чего делают зелёный чай?",
    "Arabic (right to left)": "مم يصنع الشاي الأخضر؟",
    "Hindi": "हरी चाय किससे बनती है?",
    "combining accents": "Whe\u0301re does gree\u0308n tea come from?",
    "mixed scripts and emoji": "\U0001f375 green tea 緑茶 leaves?",
    "exactly the limit": "tea " * 499 + "tea?",
    "one letter": "a",
    "a number": "42",
}


@pytest.mark.parametrize("name", sorted(REFUSED_QUESTIONS))
def test_bad_questions_are_refused_clearly(name: str, tea_index: Path) -> None:
    question, expected = REFUSED_QUESTIONS[name]
    bot = qa.load(tea_index, embedder=FakeEmbedder())
    with pytest.raises(qa.QuestionError, match=expected) as caught:
        bot.ask(question)
    message = str(caught.value)
    assert "\n" not in message
    assert "type a question" in message or "ask in at most" in message
    with pytest.raises(qa.QuestionError):
        bot.retrieve(question)
    # The bot keeps working after a refusal.
    assert bot.ask("What is green tea made from?").found


@pytest.mark.parametrize("name", sorted(ANSWERED_QUESTIONS))
def test_odd_but_valid_questions_get_an_answer(name: str, tea_index: Path) -> None:
    bot = qa.load(tea_index, embedder=FakeEmbedder())
    answer = bot.ask(ANSWERED_QUESTIONS[name])
    assert answer.passages, "retrieval must still return the closest passages"
    text = bot.document("tea.txt")
    for quote in answer.quotes:
        assert text[quote.start : quote.end] == quote.text
    assert not any(0xD800 <= ord(c) <= 0xDFFF or ord(c) < 32 for c in answer.question)
    assert answer_markdown(answer)  # renders


def test_questions_through_the_cli(tea_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for question, expected in REFUSED_QUESTIONS.values():
        assert main(["ask", question, "--index", str(tea_index)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("qa: error: the question") and err.count("\n") == 1
        assert expected.split()[0] in err
    for question in ANSWERED_QUESTIONS.values():
        assert main(["ask", question, "--index", str(tea_index), "--json"]) == 0
        assert '"passages"' in capsys.readouterr().out


def test_undecodable_bytes_on_a_real_command_line(tea_index: Path) -> None:
    # A question with bytes that are not UTF-8 reaches Python as lone surrogates.
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.reliability_child",
            "cli",
            "ask",
            b"green tea \xff\xfe leaves?",  # type: ignore[list-item]
            "--index",
            str(tea_index),
        ],
        cwd=REPO,
        capture_output=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr.decode(errors="replace")
    assert b"Camellia" in child.stdout


# -- files -----------------------------------------------------------------------------------


def _build(paths: list[Path], tmp_path: Path, **options: object) -> index.BuildReport:
    return build_index(paths, tmp_path / "idx", embedder=FakeEmbedder(), **options)  # type: ignore[arg-type]


def _blank_pdf(path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    with path.open("wb") as fh:
        writer.write(fh)


BAD_FILES = {
    "empty.txt": (lambda p: p.write_bytes(b""), "no text found"),
    "blank.md": (lambda p: p.write_text(" \n\t\n   \n"), "no text found"),
    "binary.txt": (lambda p: p.write_bytes(bytes(range(256)) * 40), "binary"),
    "nul.txt": (lambda p: p.write_bytes(b"Green tea is good.\x00\x00 More text."), "binary"),
    "scan.pdf": (_blank_pdf, "no text layer"),
    "broken.pdf": (lambda p: p.write_bytes(b"%PDF-1.4\n garbage \x00\x01"), "not a readable PDF"),
    "fake.pdf": (lambda p: p.write_text("this is plain text, not a PDF"), "not a readable PDF"),
    "script.html": (
        lambda p: p.write_text("<html><head><script>var x = 1;</script></head><body></body>"),
        "no main text",
    ),
    "bad-utf16.txt": (lambda p: p.write_bytes(b"\xff\xfe\x00\xd8"), "re-save it as UTF-8"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_files_are_refused_with_the_fix(name: str, tmp_path: Path) -> None:
    make, expected = BAD_FILES[name]
    path = tmp_path / name
    make(path)
    with pytest.raises(qa.DocumentError, match=expected) as caught:
        _build([path], tmp_path)
    message = str(caught.value)
    assert message.startswith(name + ": ") and "\n" not in message
    assert not (tmp_path / "idx" / "CURRENT").exists()


def test_a_folder_of_bad_files_beside_good_ones(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "tea.txt").write_text(TEA)
    for name, (make, _) in BAD_FILES.items():
        make(docs / name)
    (docs / "gone.txt").symlink_to(docs / "nowhere.txt")  # broken link
    (docs / "loop-a.txt").symlink_to(docs / "loop-b.txt")  # a link loop
    (docs / "loop-b.txt").symlink_to(docs / "loop-a.txt")
    (docs / "sub").mkdir()
    (docs / "sub" / "up").symlink_to(docs)  # a folder loop
    os.mkfifo(docs / "pipe.txt")  # reading it would block forever
    (docs / "photo.png").write_bytes(b"\x89PNG\r\n")  # other types are passed over
    with pytest.raises(qa.DocumentError):
        _build([docs], tmp_path)  # strict by default in the library
    report = _build([docs], tmp_path, skip_unreadable=True)
    assert report.documents == 1
    assert [d.source for d in open_store(tmp_path / "idx").documents] == ["tea.txt"]
    skipped = dict(report.skipped)
    expected = set(BAD_FILES) | {"gone.txt", "loop-a.txt", "loop-b.txt", "sub/up", "pipe.txt"}
    assert set(skipped) == expected
    assert "broken link" in skipped["gone.txt"] and "symbolic links" in skipped["loop-a.txt"]
    assert "not followed" in skipped["sub/up"] and "not a regular file" in skipped["pipe.txt"]
    for message in skipped.values():
        assert "\n" not in message


def test_cli_lists_skipped_files_and_strict_stops(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "tea.txt").write_text(TEA)
    (docs / "empty.txt").write_bytes(b"")
    (docs / "nul.txt").write_bytes(b"a\x00b")
    out = tmp_path / "idx"
    args = ["index", str(docs), "--out", str(out), "--quiet", "--chunk-tokens", "30"]
    assert main(args) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "qa: skipped empty.txt: no text found in the file; check that it is not empty"
    assert err[1].startswith("qa: skipped nul.txt: looks like a binary file")
    assert err[2].startswith("indexed 1 document(s)")
    assert main([*args, "--strict"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qa: error: empty.txt: no text found") and err.count("\n") == 1
    assert [d.source for d in open_store(out).documents] == ["tea.txt"]  # kept as it was


ENCODINGS = {
    "utf-8": "Caf\u00e9 cr\u00e8me \u2014 \u201cquoted\u201d \u00fcber na\u00efve".encode(),
    "utf-8 with BOM": "\ufeffCaf\u00e9 cr\u00e8me \u2014 \u00fcber na\u00efve".encode(),
    "latin-1": "Caf\u00e9 cr\u00e8me \u00fcber na\u00efve".encode("latin-1"),
    "cp1252": "Caf\u00e9 cr\u00e8me \u2014 \u201cquoted\u201d \u20ac5".encode("cp1252"),
    "utf-16 LE BOM": "Caf\u00e9 cr\u00e8me \u00fcber na\u00efve \u7da0\u8336".encode("utf-16"),
    "utf-16 BE BOM": b"\xfe\xff" + "Caf\u00e9 cr\u00e8me \u00fcber".encode("utf-16-be"),
    "utf-32 BOM": "Caf\u00e9 cr\u00e8me \u00fcber na\u00efve".encode("utf-32"),
}


@pytest.mark.parametrize("name", sorted(ENCODINGS))
def test_text_encodings_are_decoded(name: str, tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_bytes(ENCODINGS[name])
    _build([path], tmp_path)
    text = open_store(tmp_path / "idx").document("note.txt").text
    assert text.startswith("Caf\u00e9 cr\u00e8me") and "\ufffd" not in text and "\x00" not in text
    bot = qa.load(tmp_path / "idx", embedder=FakeEmbedder())
    hit = bot.retrieve("caf\u00e9 cr\u00e8me", k=1)[0]
    assert text[hit.start : hit.end] == hit.text and "cr\u00e8me" in hit.text


def test_a_200_mb_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as fh:  # sparse: takes no disk space, and is never read
        fh.truncate(200 * 1024 * 1024)
    with pytest.raises(qa.DocumentError, match=r"209\.7 MB is over the 50 MB limit.*--max-file-mb"):
        _build([big], tmp_path)
    small = tmp_path / "small.txt"
    small.write_text(TEA * 20)
    with pytest.raises(qa.DocumentError, match=r"over the 0\.001 MB limit"):
        _build([small], tmp_path, max_file_bytes=1000)
    assert _build([small], tmp_path, max_file_bytes=10_000).documents == 1


def test_cli_size_limit_is_configurable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    small = tmp_path / "small.txt"
    small.write_text(TEA * 20)
    args = ["index", str(small), "--out", str(tmp_path / "idx"), "--quiet", "--chunk-tokens", "30"]
    assert main([*args, "--max-file-mb", "0.001", "--strict"]) == 2
    assert "over the 0.001 MB limit" in capsys.readouterr().err
    assert main([*args, "--max-file-mb", "1"]) == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_text(TEA)
    path.chmod(0)
    with pytest.raises(qa.DocumentError, match=r"cannot read the file.*permissions"):
        _build([path], tmp_path)


def test_duplicate_files_are_indexed_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = tmp_path / "docs"
    (docs / "copies").mkdir(parents=True)
    (docs / "tea.txt").write_text(TEA)
    (docs / "copies" / "tea (1).txt").write_text(TEA)
    (docs / "x-link.txt").symlink_to(docs / "tea.txt")
    (docs / "coffee.txt").write_text("Coffee beans are roasted seeds of the coffee plant.")
    report = _build([docs], tmp_path)
    assert report.documents == 2
    assert report.duplicates == (("copies/tea (1).txt", "tea.txt"), ("x-link.txt", "tea.txt"))
    bot = qa.load(tmp_path / "idx", embedder=FakeEmbedder())
    hits = bot.retrieve("green tea leaves", k=5)
    assert len({(h.text) for h in hits}) == len(hits), "the same passage twice"
    args = ["index", str(docs), "--out", str(tmp_path / "i2"), "--quiet", "--chunk-tokens", "30"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "qa: copies/tea (1).txt is the same file as tea.txt; indexed once" in err


def test_empty_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    (pictures / "a.png").write_bytes(b"\x89PNG")
    (pictures / ".hidden.txt").write_text(TEA)
    for folder in (empty, pictures):
        with pytest.raises(qa.EmptyCorpusError, match="no readable documents"):
            _build([folder], tmp_path)
        assert main(["index", str(folder), "--out", str(tmp_path / "idx"), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("qa: error: no readable documents") and err.count("\n") == 1
    only_bad = tmp_path / "bad"
    only_bad.mkdir()
    (only_bad / "a.txt").write_bytes(b"")
    with pytest.raises(qa.EmptyCorpusError, match="none of the 1 file"):
        _build([only_bad], tmp_path, skip_unreadable=True)
    with pytest.raises(qa.EmptyCorpusError):
        build_index([], tmp_path / "idx", embedder=FakeEmbedder())
    assert not (tmp_path / "idx" / "CURRENT").exists()


def test_boilerplate_only_file(tmp_path: Path) -> None:
    path = tmp_path / "menu.txt"
    path.write_text("Home\nAbout\nContact\nHome\nAbout\nContact\n")
    report = _build([path], tmp_path)  # a list without prose is kept, not dropped
    assert report.passages >= 1


def test_a_file_of_one_paragraph_pasted_many_times_is_indexed(tmp_path: Path) -> None:
    path = tmp_path / "repeated.txt"
    path.write_text(TEA * 5)
    report = _build([path], tmp_path)
    bot = qa.load(tmp_path / "idx", embedder=FakeEmbedder())
    assert report.passages >= 1 and "Camellia" in bot.retrieve("green tea leaves", k=1)[0].text
