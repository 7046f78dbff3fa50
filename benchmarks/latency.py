"""Question latency of warm bots against a bare single-query ``model.encode`` in the same run.

    .venv/bin/python benchmarks/latency.py --paragraphs 500 --questions 1000 --ask 300
    .venv/bin/python benchmarks/latency.py --paragraphs 500 --questions 300 --pad-to 100000
    .venv/bin/python benchmarks/latency.py --shared --json benchmarks/results/latency-shared.json

The SQuAD slice is indexed once; ``--pad-to N`` adds synthetic passages (words drawn from the
slice, clustered unit vectors) until the index holds N passages, to see how search scales.
Every contender (bare torch encode, bare ONNX embed, ``retrieve`` and ``ask`` with the torch
and ONNX backends) answers each block of 25 questions in turn, so the machine's load falls on
all of them alike. Prints p50/p95/p99, the ratios to the bare torch encode, and whether the ONNX
bot returns the same passages as the torch bot.

``--shared`` times what a user of the shared document sees: ``ask`` and ``retrieve`` of the
default (ONNX) bot on an index of ``../shared/corpus``, every seed question asked in turn,
round after round, warm.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import machine, percentiles, recall_at, squad, write_json


def build_slice(paras: list[Any], out: Path, embedder: Any) -> None:
    """Index the SQuAD paragraphs, one document per paragraph named ``<id>.txt``."""
    import index
    from index import parts

    docs = [
        index.parse_document(p.text.encode(), source=f"{p.pid}.txt", suffix=".txt") for p in paras
    ]
    parts.build_from_documents(docs, out, embedder=embedder)


def pad_index(src: Path, out: Path, total: int, *, seed: int = 0) -> int:
    """Copy the index at ``src`` into ``out`` with synthetic passages up to ``total``."""
    import hashlib

    import numpy as np

    import index
    from index import parts

    store: Any = index.open_index(src).open()
    extra = max(0, total - len(store))
    rng = np.random.default_rng(seed)
    words = sorted({w for d in store.documents for w in d.text.split() if w.isalpha()})
    pick = random.Random(seed)
    docs = list(store.documents)
    passages = [store.passages]
    sentences = [store.sentences]
    for i in range(extra):
        text = " ".join(pick.choices(words, k=80)) + "."
        docs.append(
            index.Document(
                f"synthetic-{i}.txt",
                f"synthetic {i}",
                text,
                "text",
                hashlib.sha256(text.encode()).hexdigest(),
            )
        )
    n_docs = len(store.documents)
    ids = np.arange(n_docs, n_docs + extra, dtype=np.int64)
    lengths = np.array([len(d.text) for d in docs[n_docs:]], dtype=np.int64)
    block = np.stack([ids, np.zeros_like(ids), lengths], axis=1)
    passages.append(block)
    sentences.append(block)
    # Clustered synthetic vectors: real embeddings are clustered, uniform noise is not.
    centres = rng.standard_normal((max(1, extra // 100), store.manifest.dimension))
    vecs = centres[rng.integers(0, len(centres), extra)] + 0.6 * rng.standard_normal(
        (extra, store.manifest.dimension)
    )
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    real = store.vectors.reconstruct_n(0, len(store))
    all_vecs = np.concatenate([real, vecs.astype(np.float32)])
    all_passages = np.concatenate(passages)
    texts = [docs[d].text[s:e] for d, s, e in all_passages]
    manifest = parts.Manifest(
        model=store.manifest.model,
        dimension=store.manifest.dimension,
        chunking=store.manifest.chunking,
        sources=tuple(
            parts.SourceInfo(d.source, d.sha256, d.title, d.kind, len(d.text), 1) for d in docs
        ),
        passages=len(all_passages),
        created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    )
    with parts.writer_lock(out):
        parts.write_version(
            out,
            manifest=manifest,
            documents=docs,
            passages=all_passages,
            sentences=np.concatenate(sentences),
            vectors=all_vecs,
            lexical=parts.Lexical.build(texts),
        )
    return len(all_passages)


#: Questions each contender answers before the next one takes over.
BLOCK = 25


def run(
    paragraphs: int | None, questions: int, ask: int, pad_to: int, *, workdir: Path
) -> dict[str, Any]:
    """Measure the contenders question by question; return the figures."""
    import qa
    from index import load_embedder, open_index

    paras, qs = squad(paragraphs, questions)
    onnx = load_embedder("all-MiniLM-L6-v2", backend="onnx")
    torch_embedder = load_embedder("all-MiniLM-L6-v2", backend="torch")
    t = time.perf_counter()
    build_slice(paras, workdir / "idx", onnx)
    build_s = time.perf_counter() - t
    path = workdir / "idx"
    if pad_to:
        t = time.perf_counter()
        pad_index(path, workdir / "padded", pad_to)
        path = workdir / "padded"
        print(f"padded to {pad_to:,} passages in {time.perf_counter() - t:.1f}s", flush=True)
    n_passages = len(open_index(path).open())
    bots = {"torch": qa.load(path, backend="torch"), "onnx": qa.load(path, backend="onnx")}
    model = torch_embedder.model  # type: ignore[attr-defined]
    for b in bots.values():  # warm: model loaded, first-call allocations done
        b.ask("warm up question about the documents?")
    model.encode("warm up")
    onnx.embed(["warm up"])

    contenders: dict[str, Any] = {
        "bare torch encode": lambda q: model.encode(q),
        "bare onnx embed": lambda q: onnx.embed([q]),
        "retrieve torch": lambda q: bots["torch"].retrieve(q, k=5),
        "retrieve onnx": lambda q: bots["onnx"].retrieve(q, k=5),
        "ask torch": lambda q: bots["torch"].ask(q, k=5),
        "ask onnx": lambda q: bots["onnx"].ask(q, k=5),
    }
    times: dict[str, list[float]] = {k: [] for k in contenders}
    outputs: dict[str, list[Any]] = {"retrieve torch": [], "retrieve onnx": []}
    names = list(contenders)
    # Blocks of questions, every contender in turn on each block: the machine's drift falls on
    # all alike, and a contender does not run while another's thread pool is still spinning
    # from the question before (which, question by question, slowed torch and onnxruntime
    # alike by up to 2.5x in one process; a real server runs one backend).
    for b, start in enumerate(range(0, len(qs), BLOCK)):
        block = list(enumerate(qs))[start : start + BLOCK]
        order = names[b % len(names) :] + names[: b % len(names)]  # rotate who goes first
        for name in order:
            for n, q in block:
                if name.startswith("ask") and n >= ask:
                    continue
                t = time.perf_counter()
                out = contenders[name](q.text)
                times[name].append(time.perf_counter() - t)
                if name in outputs:
                    outputs[name].append(out)
    stats = {k: percentiles(v) | {"n": len(v)} for k, v in times.items() if v}
    floor = stats["bare torch encode"]["p50"]
    same = sum(
        [(p.source, p.start) for p in a] == [(p.source, p.start) for p in b]
        for a, b in zip(outputs["retrieve torch"], outputs["retrieve onnx"], strict=True)
    )
    gold = [q.gold for q in qs]
    recall = {
        f"{backend} recall@{k}": recall_at(
            [[p.source.removesuffix(".txt") for p in r] for r in outputs[f"retrieve {backend}"]],
            gold,
            k,
        )
        for backend in ("torch", "onnx")
        for k in (1, 5)
    }
    return {
        "paragraphs": len(paras),
        "passages": n_passages,
        "questions": len(qs),
        "slice_build_s": build_s,
        "latency_ms": stats,
        "ratio_p50_to_bare_torch": {k: v["p50"] / floor for k, v in stats.items()},
        "same_top5_onnx_vs_torch": same / max(1, len(qs)),
        "recall": recall,
    }


def run_shared(rounds: int, *, workdir: Path) -> dict[str, Any]:
    """Time warm ``ask`` and ``retrieve`` of the default bot on the shared document."""
    import json

    import qa
    from benchmarks._common import REPO
    from index import build_index, load_embedder

    corpus = REPO.parent / "shared" / "corpus"
    seed = REPO.parent / "shared" / "eval" / "seed_dev.jsonl"
    if not corpus.is_dir() or not seed.is_file():
        raise SystemExit(f"the shared corpus and seed questions are needed: {corpus}, {seed}")
    questions = [json.loads(line)["q"] for line in seed.read_text().splitlines() if line.strip()]
    embedder = load_embedder("all-MiniLM-L6-v2")  # the default backend, as `qa ask` runs it
    build_index([corpus], workdir / "shared", embedder=embedder, progress=False)
    bot = qa.load(workdir / "shared", embedder=embedder)
    bot.ask("warm up question about the documents?")
    times: dict[str, list[float]] = {"ask": [], "retrieve": []}
    for _ in range(rounds):
        for q in questions:
            for name, call in (("ask", bot.ask), ("retrieve", bot.retrieve)):
                t = time.perf_counter()
                call(q, k=5)
                times[name].append(time.perf_counter() - t)
    return {
        "corpus": str(corpus.relative_to(REPO.parent)),
        "passages": len(bot.store),
        "questions": len(questions),
        "rounds": rounds,
        "backend": type(embedder).__name__,
        "latency_ms": {k: percentiles(v) | {"n": len(v)} for k, v in times.items()},
    }


def main(argv: list[str] | None = None) -> int:
    """Run the latency benchmark and print a table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paragraphs", type=int, default=500, help="SQuAD paragraphs (0 = all)")
    ap.add_argument("--questions", type=int, default=1000)
    ap.add_argument("--ask", type=int, default=300, help="questions also run through ask()")
    ap.add_argument("--pad-to", type=int, default=0, help="synthetic passages up to this count")
    ap.add_argument("--json", help="also write the results to this JSON file")
    ap.add_argument("--shared", action="store_true", help="time ask on the shared document")
    ap.add_argument("--rounds", type=int, default=20, help="--shared: rounds of seed questions")
    args = ap.parse_args(argv)
    print(f"machine: {machine()}", flush=True)
    if args.shared:
        with tempfile.TemporaryDirectory() as tmp:
            r = run_shared(args.rounds, workdir=Path(tmp))
        print(f"{r['corpus']}: {r['passages']} passages, {r['questions']} questions", end="")
        print(f" x {r['rounds']} rounds")
        for name, s in r["latency_ms"].items():
            print(f"{name:<10} p50 {s['p50']:6.1f} ms  p95 {s['p95']:6.1f} ms  n {s['n']}")
        write_json(args.json, {"machine": machine(), **r})
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        r = run(args.paragraphs or None, args.questions, args.ask, args.pad_to, workdir=Path(tmp))
    print(f"{r['paragraphs']} paragraphs, {r['passages']:,} passages, {r['questions']} questions")
    print(f"{'':<20}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'n':>6}  p50 / bare torch encode")
    for name, s in r["latency_ms"].items():
        ratio = r["ratio_p50_to_bare_torch"][name]
        print(f"{name:<20}{s['p50']:9.1f}{s['p95']:9.1f}{s['p99']:9.1f}{s['n']:6d}  {ratio:.2f}")
    print(
        f"onnx bot returns the torch bot's top 5: {r['same_top5_onnx_vs_torch']:.1%} of questions"
    )
    print("  ".join(f"{k} {v:.3f}" for k, v in r["recall"].items()))
    write_json(args.json, {"machine": machine(), **r})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
