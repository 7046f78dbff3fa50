"""Sentence splitting for many documents, on several cores when the corpus is large.

pysbd is pure Python and most of a build's chunking time (docs/BENCHMARKS.md, section 3), so
a large corpus is cut between paragraphs into parts, and the parts are split in shares: this
process splits one, and a child Python process (``python -P -m index._split``) per other
usable core splits the rest. Children are started with
``subprocess`` rather than ``multiprocessing``: nothing of the caller's ``__main__`` is
imported again (a script without an ``if __name__ == "__main__"`` guard still works), and no
process with threads (a running web server, onnxruntime's pools) is forked.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._chunk import Span, split_sentences
from ._onnx import usable_cores

_log = logging.getLogger(__name__)

#: Below this many characters in all, splitting stays in this process: a child costs ~0.3 s
#: to start, about what it takes to split 50,000 characters.
PARALLEL_CHARS = 400_000

#: A large document is cut, between paragraphs, into parts of about this many characters,
#: so that one long book is split on every core too.
PART_CHARS = 20_000

Job = tuple[str, Sequence[Span]]  # a document's text and its paragraph spans


def split_documents(
    jobs: Sequence[Job],
    *,
    workers: int | None = None,
    min_chars: int = PARALLEL_CHARS,
    progress: bool = False,
) -> list[list[Span]]:
    """Sentence spans of each ``(text, paragraph spans)``, as :func:`split_sentences` gives.

    With ``workers`` (default: the usable cores) above one and at least ``min_chars``
    characters in all, the documents are cut between paragraphs into parts and ``workers -
    1`` child processes split shares of the parts while this process splits its own. The
    result is the same either way; a child that fails is logged and its share split here.
    ``progress`` shows a bar of characters (a child's share counts when it is done).
    """
    count = usable_cores() if workers is None else workers
    if count < 1:
        raise ValueError("workers must be at least 1")
    parts, owners = _parts(jobs)
    total = sum(len(text) for text, _ in parts)
    bar = _bar(total) if progress else None
    if count == 1 or total < min_chars or len(parts) < 2 or not sys.executable:
        spans = _split_here(parts, bar)
    else:
        spans = _split_shared(parts, count, bar)
    if bar is not None:
        bar.close()
    out: list[list[Span]] = [[] for _ in jobs]
    for (doc, offset), found in zip(owners, spans, strict=True):
        out[doc].extend((s + offset, e + offset) for s, e in found)
    return out


def _parts(jobs: Sequence[Job]) -> tuple[list[Job], list[tuple[int, int]]]:
    # Runs of whole paragraphs, each as its own text (paragraph spans shifted to it) with its
    # document and offset: sentences never cross a paragraph, so parts split independently.
    parts: list[Job] = []
    owners: list[tuple[int, int]] = []
    for doc, (text, paragraphs) in enumerate(jobs):
        run: list[Span] = []
        for span in paragraphs:
            run.append(span)
            if span[1] - run[0][0] >= PART_CHARS:
                parts.append(_part(text, run))
                owners.append((doc, run[0][0]))
                run = []
        if run:
            parts.append(_part(text, run))
            owners.append((doc, run[0][0]))
    return parts, owners


def _part(text: str, run: Sequence[Span]) -> Job:
    start = run[0][0]
    return text[start : run[-1][1]], [(s - start, e - start) for s, e in run]


def _split_shared(parts: Sequence[Job], count: int, bar: Any) -> list[list[Span]]:
    shares = _shares([len(text) for text, _ in parts], min(count, len(parts)))
    results: list[list[list[Span]] | None] = [None] * len(shares)
    threads = [
        threading.Thread(target=_child_share, args=(parts[a:b], results, n), daemon=True)
        for n, (a, b) in enumerate(shares[1:], start=1)
    ]
    for t in threads:
        t.start()
    a, b = shares[0]
    out = _split_here(parts[a:b], bar)
    for t in threads:
        t.join()
    for n, (a, b) in enumerate(shares[1:], start=1):
        share = results[n]
        if share is None:  # the child failed (logged): split its share here
            share = _split_here(parts[a:b], bar)
        elif bar is not None:
            bar.update(sum(len(text) for text, _ in parts[a:b]))
        out.extend(share)
    return out


def _split_here(parts: Sequence[Job], bar: Any) -> list[list[Span]]:
    out = []
    for text, paragraphs in parts:
        out.append(split_sentences(text, paragraphs))
        if bar is not None:
            bar.update(len(text))
    return out


def _bar(total: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc="sentences", unit="char", unit_scale=True)


def _shares(sizes: Sequence[int], parts: int) -> list[tuple[int, int]]:
    # Contiguous, non-empty runs of parts with about the same number of characters each: a
    # run ends before the part whose middle passes its share of the total.
    total = sum(sizes)
    bounds = [0]
    acc = 0
    for i, size in enumerate(sizes):
        if len(bounds) < parts and i > bounds[-1]:
            past = acc + size / 2 > total * len(bounds) / parts
            if past or len(sizes) - i == parts - len(bounds):
                bounds.append(i)
        acc += size
    bounds.append(len(sizes))
    return list(itertools.pairwise(bounds))


def _child_share(jobs: Sequence[Job], results: list[list[list[Span]] | None], n: int) -> None:
    try:
        results[n] = run_child(jobs)
    except Exception as exc:  # a lost speed-up, not a lost result
        _log.warning("sentence splitting in a child process failed (%s); splitting here", exc)


def run_child(jobs: Sequence[Job]) -> list[list[Span]]:
    """Split ``jobs`` in a child Python process (``python -m index._split``)."""
    root = str(Path(__file__).resolve().parents[1])  # so the child imports this very package
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    payload = json.dumps([[text, [list(p) for p in paragraphs]] for text, paragraphs in jobs])
    done = subprocess.run(
        # -P: the working folder does not go first on the path (a local "index" would win).
        [sys.executable, "-P", "-m", "index._split"],
        input=payload.encode("ascii"),
        capture_output=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        tail = (done.stderr.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"exit status {done.returncode}: {tail[:200]}")
    spans = json.loads(done.stdout)
    if len(spans) != len(jobs):
        raise RuntimeError(f"{len(spans)} results for {len(jobs)} parts")
    return [[(int(s), int(e)) for s, e in doc] for doc in spans]


def _main() -> None:
    jobs = json.loads(sys.stdin.buffer.read())
    out = [split_sentences(text, [tuple(p) for p in paragraphs]) for text, paragraphs in jobs]
    # ASCII JSON: lone surrogates and any encoding of the pipe survive the trip.
    sys.stdout.write(json.dumps(out))


if __name__ == "__main__":
    _main()
