"""`qa eval` on every development set in every mode, saved for the docs.

    .venv/bin/python -m benchmarks.quality_sets                  # all sets, all modes
    .venv/bin/python -m benchmarks.quality_sets --sets seed qasper --modes hybrid

Each run goes through the product's own calls (:func:`qa.evaluate`, as ``qa eval`` does)
and is written to ``benchmarks/results/eval/<set>-<mode>.json``: the metrics, the counts
and the refused/wrong trade-off. Indexes are built once under ``.qa-eval/`` and reused.
QASPER questions are asked of their own paper only.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks._common import REPO, machine

SHARED = REPO.parent / "shared"
OUT = REPO / "benchmarks" / "results" / "eval"
SETS = {
    "seed": (SHARED / "eval" / "seed_dev.jsonl", SHARED / "corpus"),
    "squad": (SHARED / "eval" / "squad-dev", None),
    "fiqa": (SHARED / "eval" / "fiqa-dev", None),
    "qasper": (SHARED / "eval" / "qasper-dev", None),
}
MODES = ("hybrid", "dense", "keyword")


def run(name: str, mode: str, *, limit: int | None) -> dict[str, object]:
    """Evaluate one set in one mode; return what is saved."""
    import qa
    from index import load_embedder

    path, corpus = SETS[name]
    dataset = qa.load_dataset(path, corpus=corpus)
    out = REPO / ".qa-eval" / dataset.name
    embedder = load_embedder("all-MiniLM-L6-v2")
    build_seconds = qa.prepare_index(dataset, out, embedder=embedder)
    bot = qa.load(out, embedder=embedder)
    started = time.perf_counter()
    report = qa.evaluate(
        bot,
        dataset,
        mode=mode,  # type: ignore[arg-type]
        limit=limit,
        index=str(out.relative_to(REPO)),
        build_seconds=build_seconds,
        sentence_cache=out.with_name(out.name + ".sentence-vectors.npz"),
    )
    print(report.table(), flush=True)
    return {
        "set": name,
        "command": f"qa eval ../{path.relative_to(REPO.parent)} --mode {mode}"
        + (f" --limit {limit}" if limit else ""),
        "machine": machine(),
        "seconds": round(time.perf_counter() - started, 1),
        **report.summary(),
    }


PLOT = REPO / "docs" / "tradeoff.svg"
COLOURS = {"squad": "#1f77b4", "fiqa": "#2ca02c", "qasper": "#d62728", "seed": "#9467bd"}


def plot(out: Path = PLOT) -> None:
    """Draw share wrong against share refused for each set's default mode, as SVG (no
    plotting library needed), the shipped threshold as a dot."""
    width, height, pad = 560, 360, 50
    legend = width + 10  # the legend sits right of the plot, clear of the lines

    def xy(refused: float, wrong: float) -> tuple[float, float]:
        return pad + refused * (width - 2 * pad), height - pad - wrong * (height - 2 * pad)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + 170}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{width + 170}" height="{height}" fill="white"/>',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        'stroke="black"/>',
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="black"/>',
        f'<text x="{width / 2}" y="{height - 12}" text-anchor="middle">share of questions '
        "refused</text>",
        f'<text x="14" y="{height / 2}" text-anchor="middle" transform="rotate(-90 14 '
        f'{height / 2})">share of answers wrong</text>',
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x, y = xy(tick, tick)
        parts.append(
            f'<text x="{x}" y="{height - pad + 16}" text-anchor="middle">{tick:.2f}</text>'
        )
        parts.append(f'<text x="{pad - 6}" y="{y + 4}" text-anchor="end">{tick:.2f}</text>')
    for n, name in enumerate(SETS):
        path = OUT / f"{name}-hybrid.json"
        if not path.is_file():
            continue
        run = json.loads(path.read_text(encoding="utf-8"))
        rows = sorted(run["tradeoff"], key=lambda r: r["refused"])
        points = " ".join("{:.1f},{:.1f}".format(*xy(r["refused"], r["wrong"])) for r in rows)
        colour = COLOURS[name]
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        for r in rows:
            if r["threshold"] == run["threshold"]:
                x, y = xy(r["refused"], r["wrong"])
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{colour}"/>')
        parts.append(f'<text x="{legend}" y="{pad + 16 * n}" fill="{colour}">{name}</text>')
    parts.append(f'<text x="{legend}" y="{pad + 16 * len(SETS)}">dot: shipped threshold</text>')
    parts.append("</svg>")
    out.write_text("\n".join(parts) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen sets and modes and write one results file each."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sets", nargs="+", choices=list(SETS), default=list(SETS))
    p.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    p.add_argument("--limit", type=int, help="a reproducible sample of N questions per set")
    p.add_argument("--plot-only", action="store_true", help="only redraw docs/tradeoff.svg")
    args = p.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    if args.plot_only:
        plot()
        return 0
    for name in args.sets:
        for mode in args.modes:
            data = run(name, mode, limit=args.limit)
            target = OUT / f"{name}-{mode}.json"
            target.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
            print(f"wrote {target.relative_to(REPO)}", flush=True)
    plot()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
