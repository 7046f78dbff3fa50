"""The boilerplate cleaner on the labelled set: no content line lost, no menu line kept."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from benchmarks.cleaning import DATA, labelled_files, score_file, summary
from index._clean import content_paragraphs, explain_cleaning

FILES = labelled_files()


def test_the_set_is_large_and_varied() -> None:
    assert len(FILES) >= 30
    kinds = Counter(score_file(p).kind for p in FILES)
    assert kinds["text"] >= 20 and kinds["html"] >= 3 and kinds["markdown"] >= 3
    totals = summary([score_file(p) for p in FILES])
    assert totals["content_kept"] >= 300 and totals["boilerplate_dropped"] >= 100


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_content_lost_and_no_boilerplate_kept(path: Path) -> None:
    score = score_file(path)
    assert score.content_lost == (), f"content dropped from {path.name}"
    assert score.boilerplate_kept == (), f"boilerplate indexed from {path.name}"


def _kept(text: str) -> str:
    return "\n".join(text[s:e] for s, e in content_paragraphs(text, kind="text"))


def test_a_repeated_chorus_is_kept_every_time() -> None:
    text = (DATA / "song-river-road.txt").read_text(encoding="utf-8")
    assert _kept(text).count("where the willows bend and the lanterns glow") == 3


def test_headings_listed_in_a_table_of_contents_are_kept_twice() -> None:
    text = (DATA / "manual-kettle.txt").read_text(encoding="utf-8")
    assert _kept(text).count("Descaling") == 2


def test_an_unbulleted_menu_after_a_cookie_banner_goes() -> None:
    text = (
        "Title Of The Page\n\nWe use cookies for analytics. Accept all or manage preferences.\n"
        "Accept all\n\nHome\nNews\nSport\nContact\n\nThe article starts here and it runs on "
        "for a good number of words, as articles do.\n"
    )
    kept = _kept(text)
    assert "Sport" not in kept and "cookies" not in kept
    assert "Title Of The Page" in kept and "The article starts here" in kept


def test_a_list_right_after_prose_stays() -> None:
    text = (
        "We met on Tuesday and went through the plan for the spring fair in some detail.\n\n"
        "- Book Venue\n- Order Cake\n- Email Sam\n"
    )
    assert "Email Sam" in _kept(text)


def test_keep_all_keeps_every_line() -> None:
    text = (DATA / "news-harbour-ferry.txt").read_text(encoding="utf-8")
    spans = content_paragraphs(text, kind="text", keep_all=True)
    kept = "\n".join(text[s:e] for s, e in spans)
    assert all(line.strip() in kept for line in text.splitlines())
    assert "Weather" not in _kept(text)


def test_explain_lists_each_dropped_block_with_its_reason() -> None:
    text = (DATA / "news-harbour-ferry.txt").read_text(encoding="utf-8")
    dropped = explain_cleaning(text, kind="text")
    lines = text.splitlines()
    reasons = {d.reason for d in dropped}
    assert any("cookie" in r for r in reasons) and any("menu" in r for r in reasons)
    assert any("footer" in r or "copyright" in r for r in reasons)
    for d in dropped:
        assert lines[d.first_line - 1].strip().startswith(d.text.removesuffix("..."))
        assert 1 <= d.first_line <= d.last_line <= len(lines)
    kept = _kept(text)
    for d in dropped:  # what explain lists is exactly what the index leaves out
        for line in lines[d.first_line - 1 : d.last_line]:
            assert not line.strip() or line.strip() not in kept
    assert explain_cleaning(text, kind="markdown") == ()
