"""Sentence choice for quotes on SQuAD dev: scoring options against "first sentence".

    .venv/bin/python -m benchmarks.quality_quotes --index .qa-eval/squad-dev --half odd \
        --limit 0

Each configuration answers the same questions through ``Bot.ask`` (abstention off, so the
figure is about sentence choice and retrieval only); quote accuracy is the share of
questions whose first quote contains one of SQuAD's gold answers. "first sentence" is the
first sentence of the best passage, expressed as options: no similarity or overlap weight,
one passage, so every sentence ties and the earliest wins.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import index
import qa
from qa._eval import _MemoEmbedder, evaluate, sample_questions
from qa._eval_data import load_dataset

CONFIGS = {
    "first sentence": qa.QuoteOptions(
        semantic_weight=0.0,
        overlap_weight=0.0,
        rank_weight=1.0,
        passage_weight=0.0,
        kind_weight=0.0,
        passages=1,
    ),
    "similarity only": qa.QuoteOptions(
        semantic_weight=1.0, overlap_weight=0.0, rank_weight=0.0, passage_weight=0.0, kind_weight=0
    ),
    "overlap only": qa.QuoteOptions(
        semantic_weight=0.0, overlap_weight=1.0, rank_weight=0.0, passage_weight=0.0, kind_weight=0
    ),
    "0.4 sim + 0.6 overlap, rank 0.1 (previous default)": qa.QuoteOptions(
        semantic_weight=0.4, overlap_weight=0.6, rank_weight=0.1, passage_weight=0.0, kind_weight=0
    ),
    "0.3 sim + 0.7 overlap, rank 0.05": qa.QuoteOptions(passage_weight=0.0, kind_weight=0.0),
    "+ answer kind 0.15": qa.QuoteOptions(passage_weight=0.0),
    "+ passage similarity 0.4": qa.QuoteOptions(kind_weight=0.0),
    "+ both (default)": qa.QuoteOptions(),
    "default, best passage only": qa.QuoteOptions(passages=1),
    "default, 5 passages": qa.QuoteOptions(passages=5),
}


def main() -> None:
    """Print one JSON line per configuration."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="../shared/eval/squad-dev")
    parser.add_argument("--index", default=".qa-eval/squad-dev")
    parser.add_argument("--limit", type=int, default=1000, help="questions; 0 for all")
    parser.add_argument("--backend", default=index.DEFAULT_BACKEND)
    parser.add_argument(
        "--half",
        choices=["even", "odd"],
        help="only the questions at even (0, 2, ...) or odd positions of queries.jsonl: "
        "the default weights were fitted on the even half, so the odd half checks them",
    )
    args = parser.parse_args()
    data = load_dataset(args.dataset)
    if args.half:
        data = dataclasses.replace(
            data, questions=data.questions[0 if args.half == "even" else 1 :: 2]
        )
    base = qa.load(args.index, backend=args.backend)
    memo = _MemoEmbedder(base.embedder, size=200_000)
    sample = sample_questions(data.questions, args.limit or None)
    memo.prime([qa.clean_question(q.text) for q in sample])
    cache = Path(str(Path(args.index)) + ".sentence-vectors.npz")
    for name, options in CONFIGS.items():
        bot = qa.Bot(base.store, memo, threshold=-1.0, quotes=options)  # type: ignore[arg-type]
        started = time.perf_counter()
        report = evaluate(bot, data, limit=args.limit or None, sentence_cache=cache)
        row = {
            "quotes": name,
            "quote_accuracy": round(report.metrics["quote_accuracy"], 4),
            "recall@1": round(report.metrics["recall@1"], 4),
            "questions": len(report.results),
            "seconds": round(time.perf_counter() - started, 1),
        }
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
