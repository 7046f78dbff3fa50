"""Index build time against the model's floor: a bare ``model.encode`` of the same passages.

    .venv/bin/python benchmarks/build.py --paragraphs 500 --backend torch --backend onnx

For each backend, in one process: build the SQuAD slice end to end (reading and cleaning,
chunking, embedding, FAISS, BM25, saving), then encode the very same passage texts with a
bare sentence-transformers ``model.encode`` (and with the backend's own embedder), and print
the stage breakdown and the ratios.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import machine, squad, stopwatch, write_json


def run(paragraphs: int | None, backend: str, *, batch_size: int = 64) -> dict[str, Any]:
    """Build the slice with ``backend`` and compare with bare encodes; return the figures."""
    import faiss
    import numpy as np

    import index
    from index import parts

    paras, _ = squad(paragraphs, 0)
    embedder = index.load_embedder("all-MiniLM-L6-v2", backend=backend)
    stages: dict[str, float] = {}
    # Warm up: load the model (and export ONNX) before any clock runs.
    embedder.embed(["warm up the model before timing"] * 4)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        with stopwatch(stages, "reading"):
            docs = [
                index.parse_document(p.text.encode(), source=f"{p.pid}.txt", suffix=".txt")
                for p in paras
            ]
        # Passages and their sentences' vectors come from one pass (index/_context.py).
        with parts.build_stages() as built:
            report = parts.build_from_documents(docs, Path(tmp) / "idx", embedder=embedder)
        total = time.perf_counter() - started
        stages.update(built)
        store: Any = index.open_index(Path(tmp) / "idx").open()
        texts = [store.passage_text(i) for i in range(len(store))]
        vectors = store.vectors.reconstruct_n(0, len(store))

    # FAISS alone (it is inside "FAISS + saving" above).
    t = time.perf_counter()
    faiss.IndexFlatIP(vectors.shape[1]).add(vectors)
    stages["FAISS (of which)"] = time.perf_counter() - t

    # The floor: a bare sentence-transformers encode of the same passage texts.
    torch_model = index.load_embedder("all-MiniLM-L6-v2", backend="torch").model  # type: ignore[attr-defined]
    torch_model.encode(["warm up"] * 4)
    t = time.perf_counter()
    bare = torch_model.encode(texts, batch_size=batch_size, normalize_embeddings=True)
    bare_torch = time.perf_counter() - t
    t = time.perf_counter()
    embedder.embed(texts)
    bare_backend = time.perf_counter() - t
    cosine = float(np.min(np.sum(np.asarray(bare) * vectors, axis=1)))
    tokens = sum(len(embedder.token_spans(x)) for x in texts) / max(1, len(texts))
    return {
        "backend": backend,
        "paragraphs": len(paras),
        "passages": report.passages,
        "tokens_per_passage": tokens,
        "end_to_end_s": total,
        "stages_s": stages,
        "bare_torch_encode_s": bare_torch,
        "bare_backend_embed_s": bare_backend,
        "ratio_vs_bare_torch": total / bare_torch,
        "ratio_vs_bare_backend": total / bare_backend,
        "passages_per_s": report.passages / total,
        "min_cosine_to_torch": cosine,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the build benchmark and print a table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paragraphs", type=int, default=500, help="SQuAD paragraphs (0 = all)")
    ap.add_argument("--backend", action="append", help="torch, onnx, onnx-int8 (repeatable)")
    ap.add_argument("--json", help="also write the results to this JSON file")
    args = ap.parse_args(argv)
    backends = args.backend or ["torch", "onnx"]
    print(f"machine: {machine()}")
    results = []
    for backend in backends:
        r = run(args.paragraphs or None, backend)
        results.append(r)
        print(
            f"\n[{backend}] {r['paragraphs']} paragraphs -> {r['passages']} passages "
            f"(~{r['tokens_per_passage']:.0f} tokens each)"
        )
        print(
            f"  end to end         {r['end_to_end_s']:8.2f} s"
            f"  ({r['passages_per_s']:.1f} passages/s)"
        )
        for stage, secs in r["stages_s"].items():
            print(f"    {stage:<17}{secs:8.2f} s")
        print(f"  bare torch encode  {r['bare_torch_encode_s']:8.2f} s")
        print(f"  bare {backend:<13} {r['bare_backend_embed_s']:8.2f} s")
        print(f"  ratio end-to-end / bare torch encode   {r['ratio_vs_bare_torch']:.2f}")
        print(f"  ratio end-to-end / bare {backend} embed  {r['ratio_vs_bare_backend']:.2f}")
        print(f"  min cosine of index vectors to torch   {r['min_cosine_to_torch']:.5f}")
    write_json(args.json, {"machine": machine(), "results": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
