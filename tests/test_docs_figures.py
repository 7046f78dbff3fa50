"""The figures in README.md and docs/*.md match benchmarks/results/ (benchmarks/report.py).

Fast: no model, no index; only the results files and the Markdown are read.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import report

HYBRID_RUN = """\
squad-dev (beir), mode hybrid, 10570 questions, answers with k=5
  metric            value
  ndcg@10           0.897
  mrr@10            0.875
  recall@1          0.816
  recall@3          0.930
  recall@5          0.950
  recall@10         0.963
  recall@100        0.997
  quote_accuracy    0.743
  false_abstention  0.022
  (answerable 10570, unanswerable 0, with_gold_answers 10570)
  index ready in 0.0s, questions answered in 366.1s (35 ms each)
"""


def eval_run(mode: str, recall_at_1: float) -> str:
    """A saved `qa eval` output like HYBRID_RUN, with another mode and recall@1."""
    return HYBRID_RUN.replace("mode hybrid", f"mode {mode}").replace(
        "recall@1          0.816", f"recall@1          {recall_at_1}"
    )


@pytest.fixture
def results(tmp_path: Path) -> Path:
    """A results folder holding the three full SQuAD runs."""
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "quality_squad_full_hybrid.txt").write_text(HYBRID_RUN)
    (folder / "quality_squad_full_bm25.txt").write_text(eval_run("keyword", 0.769))
    (folder / "quality_squad_full_dense.txt").write_text(eval_run("dense", 0.659))
    return folder


def test_docs_figures_are_up_to_date() -> None:
    changed, errors = report.update_documents(write=False)
    assert errors == []
    assert changed == [], "figures out of date; run: .venv/bin/python -m benchmarks.report"


def test_every_region_is_used_in_the_docs() -> None:
    # A renderer no document uses is dead code, or a region whose markers were lost in an edit.
    text = "".join(p.read_text(encoding="utf-8") for p in report.documents(report.REPO))
    used = {region.name for region in report.find_regions(text)}
    assert used == set(report.REGIONS)


def test_read_eval_parses_a_saved_qa_eval_output(results: Path) -> None:
    run = report.read_eval(results, "quality_squad_full_bm25.txt")
    assert (run.dataset, run.mode, run.questions) == ("squad-dev", "keyword", 10570)
    assert run.metrics["recall@1"] == 0.769 and run.metrics["false_abstention"] == 0.022
    assert len(run.metrics) == 9  # the counts and timing lines are not metrics


def test_squad_modes_table(results: Path) -> None:
    lines = report.squad_modes(results).splitlines()
    assert lines[0].startswith("| mode | nDCG@10 | MRR@10 | R@1 |")
    assert lines[1] == "|---|---|---|---|---|---|---|---|---|---|"
    assert lines[2] == (
        "| dense | 0.897 | 0.875 | 0.659 | 0.930 | 0.950 | 0.963 | 0.997 | 0.743 | 0.022 |"
    )
    assert lines[4].startswith("| **hybrid (default)** | **0.897** | **0.875** | **0.816** |")
    assert len(lines) == 5


def test_phrases_round_halves_up_and_compute_margins(results: Path) -> None:
    assert report.squad_r1_by_mode(results) == (
        "81.6% of questions, against 76.9% for BM25 alone and 65.9% for dense alone"
    )
    assert "**4.7 points above BM25** (0.769) and 15.7 above dense" in (
        report.squad_r1_margins(results)
    )
    # 0.585 is 0.58499... as a float; the docs show what the results file says, rounded up.
    assert report.fixed(0.585, 2) == "0.59" and report.fixed(0.9999998, 5) == "1.00000"
    assert report.span(["0.60", "0.59", "0.60"]) == "0.59-0.60" and report.span(["7"]) == "7"


def test_update_replaces_inline_and_block_regions() -> None:
    regions: dict[str, report.Renderer] = {
        "share": lambda _: "81.6%",
        "grid": lambda _: "| a |\n|---|\n| 1 |",
    }
    text = (
        "Found first for <!-- figures:share -->80.5%<!-- /figures --> of questions.\n\n"
        "<!-- figures:grid -->\n| old |\n<!-- /figures -->\n"
    )
    result = report.update_text(text, Path("unused"), regions)
    assert result.errors == []
    assert result.changed == ["line 1: share", "line 3: grid"]
    assert result.text == (
        "Found first for <!-- figures:share -->81.6%<!-- /figures --> of questions.\n\n"
        "<!-- figures:grid -->\n\n| a |\n|---|\n| 1 |\n\n<!-- /figures -->\n"
    )
    again = report.update_text(result.text, Path("unused"), regions)
    assert again.changed == [] and again.text == result.text


def test_unknown_region_is_a_one_line_error() -> None:
    text = "A\nB <!-- figures:nope -->1<!-- /figures -->.\n"
    result = report.update_text(text, Path("unused"), {})
    assert result.text == text and result.changed == []
    assert len(result.errors) == 1 and "\n" not in result.errors[0]
    assert result.errors[0].startswith("line 2: nope: unknown region name")


def test_missing_results_file_is_a_one_line_error(results: Path) -> None:
    (results / "quality_squad_full_dense.txt").unlink()
    text = "R@1 <!-- figures:squad-r1-by-mode -->81.6%<!-- /figures -->.\n"
    result = report.update_text(text, results)
    assert result.text == text
    assert result.errors == [
        f"line 1: squad-r1-by-mode: results file {results / 'quality_squad_full_dense.txt'}"
        " is missing"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a <!-- figures:x -->1\n", "line 1: region 'x' is not closed"),
        ("a <!-- /figures -->\n", "line 1: <!-- /figures --> closes no region"),
        ("<!-- figures:x -->1<!-- /figures --> b\n", "inline region 'x' begins its line"),
    ],
)
def test_misplaced_markers_are_errors(text: str, message: str) -> None:
    result = report.update_text(text, Path("unused"), {"x": lambda _: "2"})
    assert result.text == text
    assert len(result.errors) == 1 and message in result.errors[0]


def test_main_checks_then_writes(results: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = results.parent
    (root / "docs").mkdir()
    stale = "Hybrid finds it first for <!-- figures:squad-r1-by-mode -->80.5%<!-- /figures -->.\n"
    (root / "README.md").write_text(stale)
    (root / "docs" / "QUALITY.md").write_text("<!-- figures:squad-modes -->\n<!-- /figures -->\n")
    args = ["--root", str(root), "--results", str(results)]

    assert report.main(["--check", *args]) == 1
    out = capsys.readouterr().out
    assert "README.md:1: squad-r1-by-mode" in out and "docs/QUALITY.md:1: squad-modes" in out
    assert (root / "README.md").read_text() == stale  # --check writes nothing

    assert report.main(args) == 0
    assert "81.6% of questions, against 76.9%" in (root / "README.md").read_text()
    assert "| **hybrid (default)** |" in (root / "docs" / "QUALITY.md").read_text()
    assert report.main(["--check", *args]) == 0

    (root / "README.md").write_text(stale + "See <!-- figures:gone -->x<!-- /figures -->\n")
    assert report.main(args) == 2  # an error anywhere: nothing is written
    assert "README.md:2: gone: unknown region name" in capsys.readouterr().err
    assert "80.5%" in (root / "README.md").read_text()
