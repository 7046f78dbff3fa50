"""Sweep the fusion options on a sample of SQuAD dev questions (retrieval only).

    .venv/bin/python -m benchmarks.quality_sweep --index .qa-eval/squad-dev --limit 2000

Every configuration runs through ``qa.Bot.retrieve`` on the same index; question vectors
are embedded once and shared by all configurations (same model, same vectors).
"""

from __future__ import annotations

import argparse
import itertools
import json
import time

import qa
from index import parts
from qa.tuning import FusionOptions, MemoEmbedder, sample_questions


def main() -> None:
    """Print one JSON line per configuration."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="../shared/eval/squad-dev")
    parser.add_argument("--index", default=".qa-eval/squad-dev")
    parser.add_argument("--limit", type=int, default=2000)
    parser.add_argument("--backend", default=parts.DEFAULT_BACKEND)
    parser.add_argument("--grid", choices=("rrf", "score", "score-weight"), default="rrf")
    args = parser.parse_args()
    data = qa.load_dataset(args.dataset)
    base = qa.load(args.index, backend=args.backend)
    memo = MemoEmbedder(base.embedder, size=len(data.questions) + 4096)
    memo.prime([qa.clean_question(q.text) for q in sample_questions(data.questions, args.limit)])
    configs: list[tuple[str, FusionOptions]] = []
    if args.grid == "rrf":
        configs += [("dense", FusionOptions()), ("keyword", FusionOptions())]
        for rrf_k, depth, kw in itertools.product((10, 30, 60), (20, 50, 100), (0.7, 1.0, 1.4)):
            options = FusionOptions(rrf_k=rrf_k, depth=depth, keyword_weight=kw)
            configs.append(("hybrid", options))
    elif args.grid == "score-weight":
        # The keyword weight around the default, after a change of the BM25 side.
        for depth, kw in itertools.product((20, 30), (0.45, 0.6, 0.8, 1.0)):
            options = FusionOptions(method="score", depth=depth, keyword_weight=kw)
            configs.append(("hybrid", options))
    else:
        for depth, kw in itertools.product((20, 50), (0.1, 0.2, 0.3, 0.45, 0.6)):
            options = FusionOptions(method="score", depth=depth, keyword_weight=kw)
            configs.append(("hybrid", options))
    for mode, fusion in configs:
        bot = qa.Bot(base.store, memo, fusion=fusion)  # type: ignore[arg-type]
        started = time.perf_counter()
        report = qa.evaluate(bot, data, mode=mode, limit=args.limit, answers=False)  # type: ignore[arg-type]
        row = {
            "mode": mode,
            "rrf_k": fusion.rrf_k,
            "depth": fusion.depth,
            "keyword_weight": fusion.keyword_weight,
            "method": fusion.method,
            "seconds": round(time.perf_counter() - started, 1),
        }
        row.update({k: round(v, 4) for k, v in report.metrics.items() if "abstention" not in k})
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
