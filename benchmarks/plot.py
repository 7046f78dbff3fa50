"""Draw query latency against corpus size from benchmarks/scale.py results (needs matplotlib).

    benchmarks/.peers-venv/bin/python benchmarks/plot.py benchmarks/results/scale-*.json \\
        --out docs/scale.png

matplotlib is not a project dependency; the benchmark environment (.peers-venv) has it.
For HNSW and IVF the plotted point is the fastest setting with recall@10 >= 0.95.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def best_rows(rows: list[dict[str, Any]], *, min_recall: float = 0.95) -> dict[str, list[Any]]:
    """Per index kind, (n, p50 ms, label) of the fastest setting meeting ``min_recall``."""
    out: dict[str, list[Any]] = {}
    for kind in ("flat", "hnsw", "ivf", "bm25"):
        for n in sorted({r["n"] for r in rows if r["index"] == kind}):
            ok = [
                r
                for r in rows
                if r["index"] == kind
                and r["n"] == n
                and (r["recall@10"] is None or r["recall@10"] >= min_recall)
            ]
            if ok:
                best = min(ok, key=lambda r: r["p50"])
                out.setdefault(kind, []).append((n, best["p50"], best["param"]))
    return out


def main(argv: list[str] | None = None) -> int:
    """Read the JSON files and write the PNG."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="+", help="JSON files written by scale.py --json")
    ap.add_argument("--out", default="docs/scale.png")
    args = ap.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows: list[dict[str, Any]] = []
    for f in args.results:
        rows += json.loads(Path(f).read_text(encoding="utf-8"))["rows"]
    series = best_rows(rows)
    labels = {
        "flat": "FAISS flat (exact)",
        "hnsw": "FAISS HNSW, recall@10 >= 0.95",
        "ivf": "FAISS IVF, recall@10 >= 0.95",
        "bm25": "BM25 (bm25s, 60-word passages)",
    }
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for kind, points in series.items():
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        ax.plot(xs, ys, marker="o", label=labels[kind])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("passages in the index")
    ax.set_ylabel("one query, p50 (ms)")
    ax.set_title("Search latency against corpus size (384-d, 2 busy cores)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
