"""Shared pieces of the benchmark scripts: the SQuAD slice, percentiles, the machine.

Only the standard library and numpy at import time, so that the peers' environment
(benchmarks/.peers-venv) can import this file too.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SQUAD = Path(os.environ.get("QA_SQUAD", REPO.parent / "shared" / "eval" / "squad-dev"))

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@dataclass(frozen=True)
class Paragraph:
    """One SQuAD paragraph (the unit of relevance)."""

    pid: str
    title: str
    text: str


@dataclass(frozen=True)
class Question:
    """One SQuAD question and the paragraph that answers it."""

    qid: str
    text: str
    gold: str


def squad(paragraphs: int | None, questions: int | None) -> tuple[list[Paragraph], list[Question]]:
    """The first ``paragraphs`` paragraphs and up to ``questions`` questions answered by them.

    Questions are taken evenly across the slice (every n-th), not just the first article's.
    """
    if not SQUAD.is_dir():
        raise SystemExit(f"SQuAD dev (BEIR layout) not found at {SQUAD}; set QA_SQUAD")
    paras: list[Paragraph] = []
    with (SQUAD / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                paras.append(Paragraph(d["_id"], d.get("title", ""), d["text"]))
    if paragraphs is not None:
        paras = paras[:paragraphs]
    keep = {p.pid for p in paras}
    gold: dict[str, str] = {}
    with (SQUAD / "qrels" / "test.tsv").open(encoding="utf-8") as fh:
        next(fh)  # header
        for line in fh:
            parts = line.strip().split("\t")
            if len(parts) >= 2 and parts[1] in keep:
                gold.setdefault(parts[0], parts[1])
    qs: list[Question] = []
    with (SQUAD / "queries.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                if d["_id"] in gold:
                    qs.append(Question(d["_id"], d["text"], gold[d["_id"]]))
    if questions == 0:
        return paras, []
    if questions is not None and len(qs) > questions:
        step = len(qs) / questions
        qs = [qs[int(i * step)] for i in range(questions)]
    return paras, qs


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99 and mean of ``samples`` (seconds in, milliseconds out)."""
    ms = sorted(s * 1000 for s in samples)
    if not ms:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan"), "mean": 0.0}

    def at(q: float) -> float:
        return ms[min(len(ms) - 1, round(q * (len(ms) - 1)))]

    return {"p50": at(0.5), "p95": at(0.95), "p99": at(0.99), "mean": statistics.fmean(ms)}


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    """Wall-clock seconds of ``repeat`` calls of ``fn``."""
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


@contextmanager
def stopwatch(into: dict[str, float], key: str) -> Iterator[None]:
    """Add the block's wall-clock seconds to ``into[key]``."""
    t = time.perf_counter()
    try:
        yield
    finally:
        into[key] = into.get(key, 0.0) + time.perf_counter() - t


def machine() -> str:
    """One line describing where the numbers came from."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {load:.2f} at start"
    )


def recall_at(ranked: Sequence[Sequence[str]], gold: Sequence[str], k: int) -> float:
    """Share of questions whose gold paragraph is among the first ``k`` (deduplicated) hits."""
    hits = 0
    for ids, g in zip(ranked, gold, strict=True):
        seen: list[str] = []
        for i in ids:
            if i not in seen:
                seen.append(i)
        hits += g in seen[:k]
    return hits / len(gold) if gold else 0.0


def write_json(path: str | None, data: object) -> None:
    """Save results as JSON when ``--json PATH`` was given."""
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(data, indent=2), encoding="utf-8")
