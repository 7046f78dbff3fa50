"""Smoke tests of the benchmark scripts on tiny inputs: they run and report what they claim.

No timing is asserted: the figures belong in docs/BENCHMARKS.md, measured by the scripts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import _common, backends, build, latency, peers, plot, scale, startup
from tests.conftest import SQUAD, require_shared


@pytest.fixture
def squad() -> None:
    """The benchmarks that read SQuAD dev need ../shared (skipped without it, failed in CI)."""
    require_shared(SQUAD)


@pytest.mark.usefixtures("squad")
def test_squad_slice_and_recall() -> None:
    paras, qs = _common.squad(5, 7)
    assert len(paras) == 5 and 0 < len(qs) <= 7
    assert {q.gold for q in qs} <= {p.pid for p in paras}
    assert _common.recall_at([["a", "a", "b"], ["c"]], ["b", "d"], 2) == 0.5
    assert _common.recall_at([["a", "a", "b"]], ["b"], 1) == 0.0
    stats = _common.percentiles([0.001, 0.002, 0.003])
    assert stats["p50"] == pytest.approx(2.0) and stats["p99"] == pytest.approx(3.0)


@pytest.mark.slow
@pytest.mark.usefixtures("squad")
def test_build_benchmark(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "build.json"
    assert build.main(["--paragraphs", "6", "--backend", "onnx", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "ratio end-to-end / bare torch encode" in printed
    result = json.loads(out.read_text())["results"][0]
    assert result["passages"] >= 6
    assert set(result["stages_s"]) >= {"reading", "sentences", "token counts", "embedding", "BM25"}
    assert result["min_cosine_to_torch"] > 0.9999  # onnx fp32 index vectors are torch's


@pytest.mark.slow
@pytest.mark.usefixtures("squad")
def test_latency_benchmark(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "latency.json"
    args = ["--paragraphs", "6", "--questions", "5", "--ask", "2", "--pad-to", "300"]
    assert latency.main([*args, "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    assert r["passages"] == 300
    assert r["latency_ms"]["retrieve onnx"]["n"] == 5 and r["latency_ms"]["ask onnx"]["n"] == 2
    assert r["same_top5_onnx_vs_torch"] == 1.0
    assert "p50 / bare torch encode" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.usefixtures("squad")
def test_backends_benchmark(tmp_path: Path) -> None:
    out = tmp_path / "backends.json"
    args = ["--paragraphs", "5", "--questions", "8", "--latency", "2", "--json", str(out)]
    assert backends.main(args) == 0
    rows = {r["backend"]: r for r in json.loads(out.read_text())["rows"]}
    assert set(rows) == {"torch", "onnx", "onnx-int8", "int8 passages + fp32 questions"}
    assert rows["onnx"]["min_cosine_to_torch"] > 0.9999
    assert rows["onnx"]["recall@5"] == rows["torch"]["recall@5"]


def test_scale_benchmark_and_plot(tmp_path: Path) -> None:
    out = tmp_path / "scale.json"
    assert scale.main(["--sizes", "1500", "--queries", "10", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert {r["index"] for r in rows} == {"flat", "hnsw", "ivf", "bm25"}
    assert all(0.0 <= r["recall@10"] <= 1.0 for r in rows if r["index"] != "bm25")
    assert max(r["recall@10"] for r in rows if r["index"] == "hnsw") >= 0.9
    best = plot.best_rows(rows)
    assert [n for n, _, _ in best["flat"]] == [1500]
    pytest.importorskip("matplotlib")
    png = tmp_path / "scale.png"
    assert plot.main([str(out), "--out", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
@pytest.mark.usefixtures("squad")
def test_peers_benchmark_runs_ours_and_reports_missing_peers(tmp_path: Path) -> None:
    out = tmp_path / "peers.json"
    args = ["--paragraphs", "5", "--questions", "4", "--rounds", "2", "--only", "qa-onnx", "bm25s"]
    assert peers.main([*args, "--json", str(out)]) == 0
    saved = json.loads(out.read_text())
    assert [[r["system"] for r in one] for one in saved["rounds"]] == [
        ["qa-onnx", "bm25s"],
        ["bm25s", "qa-onnx"],  # the order rotates
    ]
    rows = {r["system"]: r for r in saved["median"]}
    assert rows["qa-onnx"]["rounds"] == 2 and 0 <= rows["qa-onnx"]["recall@5"] <= 1
    if peers.PEERS_PY.exists():
        assert rows["bm25s"]["recall@5"] >= 0
    else:
        assert "not found" in rows["bm25s"]["error"]


def test_peers_summary_takes_medians_and_keeps_errors() -> None:
    def run(system: str, build: float, p50: float) -> dict[str, object]:
        q = {"p50": p50, "p95": 2 * p50}
        return {"system": system, "build_s": build, "query_ms": q, "recall@1": 0.5, "recall@5": 0.9}

    rounds = [
        [run("a", 10.0, 5.0), {"system": "b", "error": "not found"}],
        [run("a", 30.0, 1.0), {"system": "b", "error": "not found"}],
        [run("a", 12.0, 9.0), {"system": "b", "error": "not found"}],
    ]
    a, b = peers.summarise(rounds)
    assert a["build_s"] == 12.0 and a["query_ms"] == {"p50": 5.0, "p95": 10.0}
    assert a["build_s_each"] == [10.0, 30.0, 12.0] and a["rounds"] == 3
    assert b == {"system": "b", "error": "not found"}


def test_import_time_reports_no_heavy_modules() -> None:
    result = startup.import_time(repeat=1)
    assert result["heavy"] == ""
    assert result["median_s"] > 0
