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
        "command": f"qa eval {path.relative_to(REPO.parent)} --mode {mode}"
        + (f" --limit {limit}" if limit else ""),
        "machine": machine(),
        "seconds": round(time.perf_counter() - started, 1),
        **report.summary(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen sets and modes and write one results file each."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sets", nargs="+", choices=list(SETS), default=list(SETS))
    p.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    p.add_argument("--limit", type=int, help="a reproducible sample of N questions per set")
    args = p.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    for name in args.sets:
        for mode in args.modes:
            data = run(name, mode, limit=args.limit)
            target = OUT / f"{name}-{mode}.json"
            target.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
            print(f"wrote {target.relative_to(REPO)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
