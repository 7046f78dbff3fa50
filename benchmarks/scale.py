"""Search at scale: flat vs HNSW vs IVF (and BM25) on synthetic corpora of 10k to 1M passages.

    .venv/bin/python benchmarks/scale.py --sizes 10000 100000 --json benchmarks/results/scale.json
    benchmarks/.peers-venv/bin/python benchmarks/plot.py benchmarks/results/scale*.json

Vectors are 384-d unit vectors drawn around random centres (clustered like real embeddings;
uniform random vectors make every approximate index look far worse than it is on real data).
Queries are perturbed corpus vectors. Recall@10 is against exact (flat) search. Memory is the
serialised index size, which is what the index holds in RAM. BM25 runs over synthetic texts
with a Zipf vocabulary, through the same ``Lexical`` class the store uses.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import machine, percentiles, write_json

DIM = 384


def clustered(n: int, *, seed: int, spread: float = 0.6) -> Any:
    """``n`` unit vectors around ``n // 100`` random centres."""
    import numpy as np

    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(1, n // 100), DIM)).astype(np.float32)
    out = np.empty((n, DIM), dtype=np.float32)
    step = 100_000
    for a in range(0, n, step):  # in blocks: 1M x 384 temporaries would double the memory
        b = min(n, a + step)
        block = centres[rng.integers(0, len(centres), b - a)]
        block += spread * rng.standard_normal((b - a, DIM)).astype(np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[a:b] = block
    return out


def _single_query_ms(index: Any, queries: Any, k: int) -> dict[str, float]:
    import faiss

    # As Store.dense does: one query on one OpenMP thread (more threads only add waiting).
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        return _timed_queries(index, queries, k)
    finally:
        faiss.omp_set_num_threads(threads)


def _timed_queries(index: Any, queries: Any, k: int) -> dict[str, float]:
    times = []
    for q in queries:
        t = time.perf_counter()
        index.search(q.reshape(1, -1), k)
        times.append(time.perf_counter() - t)
    return percentiles(times)


def _recall(found: Any, truth: Any) -> float:
    hits = sum(len(set(f) & set(t)) for f, t in zip(found.tolist(), truth.tolist(), strict=True))
    return hits / truth.size


def vector_size(n: int, *, queries: int, hnsw: bool, seed: int = 0) -> list[dict[str, Any]]:
    """Flat, HNSW and IVF at size ``n``: build seconds, p50, recall@10, bytes."""
    import faiss
    import numpy as np

    # Batched search (used for ground truth) is far slower in faiss 1.15 via its BLAS path.
    faiss.cvar.distance_compute_blas_threshold = 1 << 30
    data = clustered(n, seed=seed)
    rng = np.random.default_rng(seed + 1)
    picks = data[rng.integers(0, n, queries)]
    q = picks + 0.3 * rng.standard_normal(picks.shape).astype(np.float32) / np.sqrt(DIM) * 4
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    q = np.ascontiguousarray(q, dtype=np.float32)
    rows: list[dict[str, Any]] = []

    t = time.perf_counter()
    flat = faiss.IndexFlatIP(DIM)
    flat.add(data)
    build = time.perf_counter() - t
    _, truth = flat.search(q, 10)
    lat = _single_query_ms(flat, q, 10)
    rows.append(
        {
            "n": n,
            "index": "flat",
            "param": "",
            "build_s": build,
            "recall@10": 1.0,
            "bytes": n * DIM * 4,
            **lat,
        }
    )
    print(f"  flat   n={n:>9,}  build {build:7.1f}s  p50 {lat['p50']:7.2f} ms", flush=True)

    if hnsw:
        t = time.perf_counter()
        h = faiss.IndexHNSWFlat(DIM, 32, faiss.METRIC_INNER_PRODUCT)
        h.hnsw.efConstruction = 40
        h.add(data)
        build = time.perf_counter() - t
        size = faiss.serialize_index(h).nbytes
        for ef in (32, 64, 128, 256, 512):
            h.hnsw.efSearch = ef
            _, found = h.search(q, 10)
            lat = _single_query_ms(h, q, 10)
            rec = _recall(found, truth)
            rows.append(
                {
                    "n": n,
                    "index": "hnsw",
                    "param": f"M=32 efSearch={ef}",
                    "build_s": build,
                    "recall@10": rec,
                    "bytes": size,
                    **lat,
                }
            )
            print(
                f"  hnsw   n={n:>9,}  build {build:7.1f}s  ef {ef:4d}  p50 {lat['p50']:7.2f} ms"
                f"  recall@10 {rec:.3f}",
                flush=True,
            )

    # nlist ~ 4 sqrt(n) is the usual advice; above 100k it is capped at 2 sqrt(n) with a 32x
    # training sample, or k-means alone takes half an hour on two busy cores.
    nlist = max(16, int((4 if n <= 100_000 else 2) * np.sqrt(n)))
    sample = (64 if n <= 100_000 else 32) * nlist
    t = time.perf_counter()
    quantizer = faiss.IndexFlatIP(DIM)
    ivf = faiss.IndexIVFFlat(quantizer, DIM, nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.train(data[rng.choice(n, min(n, sample), replace=False)])
    ivf.add(data)
    build = time.perf_counter() - t
    size = faiss.serialize_index(ivf).nbytes
    for nprobe in (4, 8, 16, 32, 64):
        ivf.nprobe = nprobe
        _, found = ivf.search(q, 10)
        lat = _single_query_ms(ivf, q, 10)
        rec = _recall(found, truth)
        rows.append(
            {
                "n": n,
                "index": "ivf",
                "param": f"nlist={nlist} nprobe={nprobe}",
                "build_s": build,
                "recall@10": rec,
                "bytes": size,
                **lat,
            }
        )
        print(
            f"  ivf    n={n:>9,}  build {build:7.1f}s  nprobe {nprobe:3d}  p50 {lat['p50']:7.2f} ms"
            f"  recall@10 {rec:.3f}",
            flush=True,
        )
    return rows


def bm25_size(n: int, *, queries: int, seed: int = 0) -> dict[str, Any]:
    """BM25 over ``n`` synthetic 60-word passages: build seconds and query p50/p95."""
    import bm25s
    import numpy as np

    from index.parts import Lexical

    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(50_000)])
    ranks = np.arange(1, len(vocab) + 1)
    p = 1.0 / ranks
    p /= p.sum()
    words = rng.choice(len(vocab), size=(n, 60), p=p)
    t = time.perf_counter()
    bm25 = bm25s.BM25()
    bm25.index([list(vocab[row]) for row in words], show_progress=False)
    lexical = Lexical(bm25)
    build = time.perf_counter() - t
    times = []
    for _ in range(queries):
        terms = list(vocab[rng.choice(len(vocab), size=6, p=p)])
        t = time.perf_counter()
        scores = lexical.scores(terms)
        if scores is not None:  # what Store.keyword does with them
            k = min(50, len(scores))
            top = np.argpartition(-scores, k - 1)[:k]
            top[np.argsort(-scores[top], kind="stable")]
        times.append(time.perf_counter() - t)
    lat = percentiles(times)
    print(f"  bm25   n={n:>9,}  build {build:7.1f}s  p50 {lat['p50']:7.2f} ms", flush=True)
    return {
        "n": n,
        "index": "bm25",
        "param": "",
        "build_s": build,
        "recall@10": None,
        "bytes": None,
        **lat,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the scale benchmark and print what it measures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--no-hnsw-above", type=int, default=10**9, help="skip HNSW above this size")
    ap.add_argument("--no-bm25", action="store_true")
    ap.add_argument("--json", help="also write the results to this JSON file")
    args = ap.parse_args(argv)
    print(f"machine: {machine()}", flush=True)
    rows: list[dict[str, Any]] = []
    for n in args.sizes:
        rows += vector_size(n, queries=args.queries, hnsw=n <= args.no_hnsw_above)
        if not args.no_bm25:
            rows.append(bm25_size(n, queries=args.queries))
        write_json(args.json, {"machine": machine(), "dim": DIM, "rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
