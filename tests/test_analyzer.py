"""Keyword analyzer (NFKC, case folding) recorded with the index; text encodings; --keep-all."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

import index
import index._pg_connect
import qa
from index import build_index
from index._lexical import ANALYZER, terms
from index._pg import open_pg_store
from index._pg_build import build_pg_index
from index._read import decode_text
from index._store import open_store
from tests.fakes import FakeEmbedder

PROSE = (
    "The caf\u00e9 on the corner serves a fine espresso every morning. Its "
    "\ufb01nance director, Ms Stra\u00dfe, keeps the books in order for the owners.\n"
)
PAGE = "Corner Caf\u00e9 News\n\nHome\nMenu Board\nOpening Times\nContact Us\n\n" + PROSE


# -- the analyzer ---------------------------------------------------------------------------


def test_decomposed_accents_and_ligatures_match_their_composed_forms() -> None:
    decomposed = unicodedata.normalize("NFD", "caf\u00e9")
    assert decomposed != "caf\u00e9" and terms(decomposed) == terms("caf\u00e9")
    assert terms("\ufb01nance") == terms("finance") == terms("FINANCE")
    assert terms("STRASSE") == terms("Stra\u00dfe")  # case folding, not just lower-casing


def test_a_decomposed_question_finds_the_composed_passage(tmp_path: Path) -> None:
    (tmp_path / "cafe.txt").write_text(PROSE, encoding="utf-8")
    build_index([tmp_path], tmp_path / "idx", embedder=FakeEmbedder())
    store = open_store(tmp_path / "idx")
    assert store.manifest.analyzer == ANALYZER
    for question in (unicodedata.normalize("NFD", "caf\u00e9 espresso"), "finance director"):
        ids, _ = store.keyword(terms(question), 3)
        assert len(ids) == 1, question


def _old_analyzer(folder: Path) -> None:
    # Rewrite the live manifest as an index written by the previous analyzer.
    version = index._store.live_version(folder)
    data = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    del data["analyzer"]
    (version / "manifest.json").write_text(json.dumps(data), encoding="utf-8")


def test_an_index_of_another_analyzer_is_refused_then_rebuilt(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "cafe.txt").write_text(PROSE, encoding="utf-8")
    out = tmp_path / "idx"
    build_index([docs], out, embedder=FakeEmbedder())
    _old_analyzer(out)
    with pytest.raises(qa.IndexCorruptError, match=r"keyword analyzer .*rebuild it with `qa index"):
        open_store(out)
    with pytest.raises(qa.IndexCorruptError, match="rebuild"):
        qa.load(out, embedder=FakeEmbedder())
    report = build_index([docs], out, embedder=FakeEmbedder())  # qa index: a rebuild
    assert report.reused == report.passages > 0  # the vectors stay; BM25 is rebuilt
    assert open_store(out).manifest.analyzer == ANALYZER


def test_the_cli_says_to_rebuild(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ui.cli import main

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "cafe.txt").write_text(PROSE, encoding="utf-8")
    out = tmp_path / "idx"
    build_index([docs], out, embedder=FakeEmbedder())
    _old_analyzer(out)
    assert main(["ask", "who keeps the books?", "--index", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qa: error: ") and "rebuild it with `qa index" in err
    assert err.count("\n") == 1


# -- encodings ------------------------------------------------------------------------------

LEGACY = {
    "cp1252": "Le caf\u00e9 sert une cr\u00e8me br\u00fbl\u00e9e. \u00ab Tr\u00e8s bon \u00bb, "
    "dit-il \u2014 \u00e7a co\u00fbte 5 \u20ac. Les \u00e9l\u00e8ves "
    "pr\u00e9f\u00e8rent le th\u00e9.",
    "latin-1": "Der B\u00e4cker verkauft Br\u00f6tchen und K\u00e4sekuchen. Gr\u00f6\u00dfe ist "
    "nicht alles, sagte die M\u00fcllerin. \u00dcber Nacht schneite es.",
    "shift_jis": "\u56db\u6708\u306b\u306a\u3063\u3066\u3001\u3088\u3046\u3084\u304f\u5ead\u306e"
    "\u30c1\u30e5\u30fc\u30ea\u30c3\u30d7\u304c\u54b2\u304d\u59cb\u3081\u305f\u3002\u53bb\u5e74"
    "\u306e\u79cb\u306b\u690d\u3048\u305f\u7403\u6839\u306e\u3046\u3061\u3001\u82bd\u304c\u51fa"
    "\u306a\u304b\u3063\u305f\u306e\u306f\u4e8c\u3064\u3060\u3051\u3060\u3063\u305f\u3002",
    "gb18030": "\u6625\u5929\u7684\u7b2c\u4e00\u6279\u8336\u53f6\u901a\u5e38\u5728\u6e05\u660e"
    "\u8282\u524d\u91c7\u6458\uff0c\u4eba\u4eec\u628a\u5b83\u53eb\u505a\u660e\u524d\u8336\u3002"
    "\u8fd9\u65f6\u7684\u8336\u82bd\u7ec6\u5ae9\uff0c\u4ea7\u91cf\u5f88\u5c11\uff0c\u6240\u4ee5"
    "\u4ef7\u683c\u4e5f\u6700\u9ad8\u3002",
}


@pytest.mark.parametrize("encoding", sorted(LEGACY))
def test_legacy_encodings_decode_right(encoding: str) -> None:
    text = LEGACY[encoding]
    data = text.encode(encoding)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # not UTF-8 by accident: the detector is what decodes it
    assert decode_text(data, source="x.txt") == text


def test_mostly_utf8_keeps_utf8_and_marks_the_bad_bytes() -> None:
    good = "Caf\u00e9 cr\u00e8me, na\u00efve r\u00e9sum\u00e9 \u2014 \u6771\u4eac. "
    data = good.encode() * 3 + b"one bad \xff\xfe pair, " + "\u00e7a va.".encode()
    text = decode_text(data, source="x.txt")
    assert text.startswith(good * 3)  # not cp1252 mojibake such as "CafÃ©"
    assert "one bad \ufffd\ufffd pair, \u00e7a va." in text and "\u00c3" not in text


# -- --keep-all, recorded for rebuilds ------------------------------------------------------


def test_keep_all_is_recorded_and_kept_by_a_rebuild(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "page.txt").write_text(PAGE, encoding="utf-8")
    out = tmp_path / "idx"

    def indexed() -> str:
        store = open_store(out)
        return "\n".join(store.passage_text(i) for i in range(len(store)))

    build_index([docs], out, embedder=FakeEmbedder())
    assert "Opening Times" not in indexed() and not open_store(out).manifest.keep_all
    build_index([docs], out, embedder=FakeEmbedder(), keep_all=True)
    assert "Opening Times" in indexed() and open_store(out).manifest.keep_all
    build_index([docs], out, embedder=FakeEmbedder())  # a rebuild without the flag
    assert "Opening Times" in indexed()
    build_index([docs], out, embedder=FakeEmbedder(), keep_all=False)  # `qa index --clean`
    assert "Opening Times" not in indexed()


def test_explain_prints_without_building(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ui.cli import main

    page = tmp_path / "page.txt"
    page.write_text(PAGE, encoding="utf-8")
    assert main(["index", "--explain", str(page), "--out", str(tmp_path / "idx")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{page}:lines 3-6: site menu: a run of short link-like lines outside the article: 'Home'"
    ]
    assert not (tmp_path / "idx").exists()


# -- PostgreSQL -----------------------------------------------------------------------------


def test_postgres_records_the_analyzer_and_refuses_another(pg_url: str, tmp_path: Path) -> None:
    (tmp_path / "cafe.txt").write_text(PROSE, encoding="utf-8")
    build_pg_index([tmp_path], pg_url, embedder=FakeEmbedder())
    store = open_pg_store(pg_url)
    assert store.manifest.analyzer == ANALYZER
    ids, _ = store.keyword(terms(unicodedata.normalize("NFD", "caf\u00e9")), 3)
    assert len(ids) == 1
    store.close()
    conn = index._pg_connect.connect(pg_url)
    conn.execute("DELETE FROM qa_meta WHERE key = 'analyzer'")  # as an older qa wrote it
    conn.close()
    with pytest.raises(qa.IndexCorruptError, match=r"keyword analyzer .*--store URL"):
        open_pg_store(pg_url)
    report = build_pg_index([tmp_path], pg_url, embedder=FakeEmbedder())
    assert report.embedded == report.passages > 0  # rebuilt whole
    assert open_pg_store(pg_url).manifest.analyzer == ANALYZER


def test_postgres_keeps_keep_all_for_rebuilds(pg_url: str, tmp_path: Path) -> None:
    (tmp_path / "page.txt").write_text(PAGE, encoding="utf-8")

    def indexed() -> str:
        conn = index._pg_connect.connect(pg_url)
        try:
            row = conn.execute("SELECT string_agg(text, ' ') FROM qa_passages").fetchone()
        finally:
            conn.close()
        assert row is not None
        return str(row[0])

    build_pg_index([tmp_path], pg_url, embedder=FakeEmbedder(), keep_all=True)
    assert "Opening Times" in indexed()
    build_pg_index([tmp_path], pg_url, embedder=FakeEmbedder())
    assert "Opening Times" in indexed()
    build_pg_index([tmp_path], pg_url, embedder=FakeEmbedder(), keep_all=False)
    assert "Opening Times" not in indexed()
