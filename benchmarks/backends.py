"""Embedding backends side by side: torch, ONNX fp32, ONNX int8 on the same passages.

    .venv/bin/python benchmarks/backends.py --paragraphs 500 --questions 1000 --latency 300

The SQuAD slice is chunked as the index chunks it; every backend embeds the same passages
(batch by batch, backends taking turns, so machine load falls on all alike) and the same
questions. Prints passages/s, single-question p50/p95, cosine to torch, and dense recall@1/@5
of the gold paragraph, including int8 passages searched with fp32 questions (int8 used for
indexing only).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import machine, percentiles, recall_at, squad, write_json

BACKENDS = ("torch", "onnx", "onnx-int8")


def run(paragraphs: int | None, questions: int, latency: int) -> dict[str, Any]:
    """Embed and search with each backend; return the figures."""
    import faiss
    import numpy as np

    import index
    from index import parts

    paras, qs = squad(paragraphs, questions)
    embedders = {b: index.load_embedder("all-MiniLM-L6-v2", backend=b) for b in BACKENDS}
    for e in embedders.values():
        e.embed(["warm up"] * 4)
    with tempfile.TemporaryDirectory() as tmp:
        docs = [
            index.parse_document(p.text.encode(), source=f"{p.pid}.txt", suffix=".txt")
            for p in paras
        ]
        parts.build_from_documents(docs, tmp, embedder=embedders["onnx"])
        store = index.open_index(tmp).open()
        texts = [store.passage_text(i) for i in range(len(store))]
        owner = [store.documents[int(d)].source.removesuffix(".txt") for d in store.passages[:, 0]]

    vectors: dict[str, list[Any]] = {b: [] for b in BACKENDS}
    embed_s = dict.fromkeys(BACKENDS, 0.0)
    for n, start in enumerate(range(0, len(texts), 64)):
        batch = texts[start : start + 64]
        order = BACKENDS[n % 3 :] + BACKENDS[: n % 3]
        for b in order:
            t = time.perf_counter()
            vectors[b].append(embedders[b].embed(batch))
            embed_s[b] += time.perf_counter() - t
    passage_vecs = {b: np.concatenate(v) for b, v in vectors.items()}
    query_vecs = {b: embedders[b].embed([q.text for q in qs]) for b in BACKENDS}

    # Blocks of 25 questions, each backend in turn: one backend's thread pool still spinning
    # from the question before would slow the next backend (a real process runs one).
    times: dict[str, list[float]] = {b: [] for b in BACKENDS}
    timed = qs[:latency]
    for n, start in enumerate(range(0, len(timed), 25)):
        for b in BACKENDS[n % 3 :] + BACKENDS[: n % 3]:
            for q in timed[start : start + 25]:
                t = time.perf_counter()
                embedders[b].embed([q.text])
                times[b].append(time.perf_counter() - t)

    def recall(passages: Any, queries: Any) -> dict[str, float]:
        flat = faiss.IndexFlatIP(passages.shape[1])
        flat.add(passages)
        _, ids = flat.search(queries, 20)
        ranked = [[owner[i] for i in row if i >= 0] for row in ids]
        gold = [q.gold for q in qs]
        return {"recall@1": recall_at(ranked, gold, 1), "recall@5": recall_at(ranked, gold, 5)}

    rows = []
    for b in BACKENDS:
        cos = np.sum(passage_vecs[b] * passage_vecs["torch"], axis=1)
        rows.append(
            {
                "backend": b,
                "passages_per_s": len(texts) / embed_s[b],
                "query_ms": percentiles(times[b]),
                "min_cosine_to_torch": float(cos.min()),
                "mean_cosine_to_torch": float(cos.mean()),
                **recall(passage_vecs[b], query_vecs[b]),
            }
        )
    mixed = recall(passage_vecs["onnx-int8"], query_vecs["onnx"])
    rows.append({"backend": "int8 passages + fp32 questions", **mixed})
    return {"paragraphs": len(paras), "passages": len(texts), "questions": len(qs), "rows": rows}


def main(argv: list[str] | None = None) -> int:
    """Run the backend comparison and print a table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paragraphs", type=int, default=500, help="SQuAD paragraphs (0 = all)")
    ap.add_argument("--questions", type=int, default=1000)
    ap.add_argument("--latency", type=int, default=300, help="questions timed one by one")
    ap.add_argument("--json", help="also write the results to this JSON file")
    args = ap.parse_args(argv)
    print(f"machine: {machine()}", flush=True)
    r = run(args.paragraphs or None, args.questions, args.latency)
    print(f"{r['paragraphs']} paragraphs, {r['passages']} passages, {r['questions']} questions")
    print(
        f"{'backend':<32}{'passages/s':>11}{'q p50 ms':>10}{'q p95 ms':>10}"
        f"{'min cos':>9}{'R@1':>7}{'R@5':>7}"
    )
    torch_p50 = r["rows"][0]["query_ms"]["p50"]
    for row in r["rows"]:
        if "query_ms" in row:
            print(
                f"{row['backend']:<32}{row['passages_per_s']:11.1f}{row['query_ms']['p50']:10.1f}"
                f"{row['query_ms']['p95']:10.1f}{row['min_cosine_to_torch']:9.4f}"
                f"{row['recall@1']:7.3f}{row['recall@5']:7.3f}"
                f"   query p50 {torch_p50 / row['query_ms']['p50']:.1f}x faster than torch"
            )
        else:
            print(
                f"{row['backend']:<32}{'':>11}{'':>10}{'':>10}{'':>9}"
                f"{row['recall@1']:7.3f}{row['recall@5']:7.3f}"
            )
    write_json(args.json, {"machine": machine(), **r})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
