"""Sentence choice for quotes on SQuAD dev: scoring options against "first sentence".

    .venv/bin/python -m benchmarks.quality_quotes --index .qa-eval/squad-dev --limit 1000

Each configuration answers the same questions through ``Bot.ask`` (abstention off, so the
figure is about sentence choice and retrieval only); quote accuracy is the share of
questions whose first quote contains one of SQuAD's gold answers. "first sentence" is the
first sentence of the best passage, expressed as options: no similarity or overlap weight,
one passage, so every sentence ties and the earliest wins.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import index
import qa
from qa._eval import _MemoEmbedder, evaluate, sample_questions
from qa._eval_data import load_dataset

CONFIGS = {
    "first sentence": qa.QuoteOptions(
        semantic_weight=0.0, overlap_weight=0.0, rank_weight=1.0, passages=1
    ),
    "similarity only": qa.QuoteOptions(semantic_weight=1.0, overlap_weight=0.0),
    "overlap only": qa.QuoteOptions(semantic_weight=0.0, overlap_weight=1.0),
    "0.6 sim + 0.4 overlap, rank 0.1": qa.QuoteOptions(),
    "0.6 sim + 0.4 overlap, rank 0": qa.QuoteOptions(rank_weight=0.0),
    "0.6 sim + 0.4 overlap, rank 0.3": qa.QuoteOptions(rank_weight=0.3),
    "0.4 sim + 0.6 overlap, rank 0.1": qa.QuoteOptions(semantic_weight=0.4, overlap_weight=0.6),
    "0.4 sim + 0.6 overlap, rank 0.3": qa.QuoteOptions(
        semantic_weight=0.4, overlap_weight=0.6, rank_weight=0.3
    ),
    "0.6 sim + 0.4 overlap, 1 passage": qa.QuoteOptions(passages=1),
}


def main() -> None:
    """Print one JSON line per configuration."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="../shared/eval/squad-dev")
    parser.add_argument("--index", default=".qa-eval/squad-dev")
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--backend", default=index.DEFAULT_BACKEND)
    args = parser.parse_args()
    data = load_dataset(args.dataset)
    base = qa.load(args.index, backend=args.backend)
    memo = _MemoEmbedder(base.embedder, size=200_000)
    memo.prime([qa.clean_question(q.text) for q in sample_questions(data.questions, args.limit)])
    cache = Path(str(Path(args.index)) + ".sentence-vectors.npz")
    for name, options in CONFIGS.items():
        bot = qa.Bot(base.store, memo, threshold=-1.0, quotes=options)  # type: ignore[arg-type]
        started = time.perf_counter()
        report = evaluate(bot, data, limit=args.limit, sentence_cache=cache)
        row = {
            "quotes": name,
            "quote_accuracy": round(report.metrics["quote_accuracy"], 4),
            "recall@1": round(report.metrics["recall@1"], 4),
            "seconds": round(time.perf_counter() - started, 1),
        }
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
