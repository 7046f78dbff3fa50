"""Uploads: whatever a file is called, it lands inside the upload folder, or is refused clearly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import index
import qa
from index import build_index
from index._uploads import MAX_NAME_BYTES, check_upload, safe_upload_name
from tests.fakes import FakeEmbedder
from ui._uploads import Library, safe_name

TEA = "Green tea comes from the leaves of Camellia sinensis. It is steamed or pan-fired.\n"
HOSTILE = (
    "../../x.txt",
    "..\\..\\x.txt",
    "/etc/passwd.txt",
    "C:\\Windows\\system32\\x.txt",
    "C:x.txt",
    "..",
    ".",
    "...txt",
    ".bashrc.txt",
    "\x00evil.txt",
    "a\x00/../../b.txt",
    "x.txt\u202egnp.exe",  # right-to-left override hides the real suffix
    " \t.txt",
    "con.txt",
    "%2e%2e%2fx.txt",
    "~/.ssh/authorized_keys.txt",
    "\u7da0\u8336" * 200 + ".txt",  # 400 CJK characters: 1,200 bytes of UTF-8
    "e\u0301" * 300 + ".md",
    "x" * 5000 + ".pdf",
)


NAMES = st.one_of(st.text(max_size=300), st.sampled_from(HOSTILE))


@given(name=NAMES)
@settings(max_examples=500, deadline=None)
def test_page_upload_names_stay_inside_the_folder(name: str) -> None:
    _inside(safe_name(name))


@given(name=NAMES)
@settings(max_examples=500, deadline=None)
def test_safe_upload_name_stays_inside_the_folder(name: str) -> None:
    clean = safe_upload_name(name)
    _inside(clean)
    assert len(clean.encode("utf-8")) <= MAX_NAME_BYTES
    assert safe_upload_name(clean) == clean, "cleaning twice changes nothing"


def _inside(clean: str) -> None:
    folder = Path("/srv/uploads")
    assert clean and clean not in (".", "..") and not clean.startswith(".")
    assert "/" not in clean and "\\" not in clean and "\x00" not in clean
    assert all(c.isprintable() for c in clean)
    assert os.path.normpath(folder / clean).startswith(str(folder) + "/")


@given(name=st.one_of(st.text(min_size=1, max_size=400), st.sampled_from(HOSTILE)))
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_cleaned_names_can_be_written(name: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    # The file system limits a name to 255 bytes, not characters.
    folder = tmp_path_factory.mktemp("up")
    clean = safe_upload_name(name)
    (folder / clean).write_bytes(b"x")
    (folder / f".{clean}.12345678.tmp").write_bytes(b"x")  # the temporary name used on the way
    assert sorted(p.parent for p in folder.iterdir()) == [folder, folder]


@pytest.fixture
def library(tmp_path: Path) -> Library:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "base.txt").write_text("Rivers flow into the sea through deltas and estuaries.\n")
    out = tmp_path / "idx"
    build_index([docs], out, embedder=FakeEmbedder())
    bot = qa.load(out, embedder=FakeEmbedder())
    return Library(bot, max_file_bytes=10_000)


def _names_outside(root: Path, allowed: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and allowed not in p.parents]


def test_hostile_names_write_nothing_outside_the_index(library: Library, tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    paths = []
    for i, name in enumerate(("..\\..\\x.txt", "C:evil.md", " .hidden.txt", "ok.txt")):
        path = incoming / str(i) / name  # on Linux a backslash is part of the name
        path.parent.mkdir()
        path.write_text(TEA.replace("Green", f"Green{i}"))
        paths.append(path)
    before = {p for p in tmp_path.rglob("*") if p.is_file()}
    report = library.add(paths)
    assert not report.failed and len(report.added) == 4
    new_files = {p for p in tmp_path.rglob("*") if p.is_file()} - before
    # The text goes into the index (a new version folder), and nowhere else.
    assert new_files and all(Path(library.location) in p.parents for p in new_files)
    assert sorted(report.added) == [
        "uploads/evil.md",
        "uploads/hidden.txt",
        "uploads/ok.txt",
        "uploads/x.txt",
    ]


def test_unsupported_and_oversized_uploads_are_refused(library: Library, tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "run.exe").write_bytes(b"MZ\x90\x00")
    (incoming / "noext").write_text(TEA)
    (incoming / "big.txt").write_text(TEA * 200)  # over the library's 10 kB limit
    (incoming / "nul.txt").write_bytes(b"abc\x00def")
    (incoming / "good.txt").write_text(TEA)
    report = library.add(sorted(incoming.iterdir()))
    assert report.added == ("uploads/good.txt",)
    reasons = {f.name: f.message for f in report.failed}
    assert set(reasons) == {"run.exe", "noext", "big.txt", "nul.txt"}
    assert "unsupported file type '.exe'" in reasons["run.exe"]
    assert "MB limit" in reasons["big.txt"] and "binary" in reasons["nul.txt"]
    assert all("\n" not in m for m in reasons.values())
    assert sorted(library.bot.sources) == ["base.txt", "uploads/good.txt"]


def test_check_upload() -> None:
    assert check_upload("../../Report.PDF", 1000) == "Report.pdf"
    assert check_upload("C:\\docs\\notes.md", 10) == "notes.md"
    for name in ("x.exe", "x", "x.txt.sh", "x.txt\u202egnp.exe", ".txt"):
        with pytest.raises(qa.DocumentError, match="unsupported file type"):
            check_upload(name, 10)
    with pytest.raises(qa.DocumentError, match=r"200\.0 MB is over the 50 MB limit"):
        check_upload("big.txt", 200_000_000)
    with pytest.raises(qa.DocumentError, match=r"over the 0\.001 MB limit"):
        check_upload("big.txt", 1001, max_bytes=1000)


def test_supported_types_are_the_reader_types() -> None:
    assert {".txt", ".md", ".html", ".pdf"} <= index.SUPPORTED_SUFFIXES
    assert not {".exe", ".sh", ".py", ".js", ".svg"} & index.SUPPORTED_SUFFIXES
