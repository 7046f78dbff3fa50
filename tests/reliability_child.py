"""Test-only entry point, run in a subprocess by the reliability tests (never by users).

It runs the real code with the fake embedder, so another process can kill it, race it or
talk to it without loading the neural model:

    python -m tests.reliability_child build DOCS OUT [--kill-at HOOK:N:WHEN] [--slow S]
    python -m tests.reliability_child lock DIR SECONDS
    python -m tests.reliability_child churn DOCS_A DOCS_B OUT ROUNDS
    python -m tests.reliability_child cli ARGS...      (the `qa` command, fake model)
    python -m tests.reliability_child upload LOCATION FILE [--kill-at HOOK:N:WHEN]
        (a server's upload page adds FILE to the index at LOCATION, folder or database)
    python -m tests.reliability_child index-loop DOCS (--out DIR | --store URL) ROUNDS
        (adds cli-N.txt to DOCS and runs `qa index DOCS`, ROUNDS times)

``--kill-at`` sends SIGKILL to this process at the N-th call of a function the build uses
to write the index (HOOK is one of :data:`HOOKS`), just ``before`` or ``after`` the call.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np

import index
import index._lexical
import index._pg_build
import index._store
import index._store_write
from tests.fakes import FakeEmbedder

HOOKS = ("embed", "np.save", "write_index", "bm25.save", "fsync", "os.replace", "prune")
#: Where an upload into PostgreSQL can be killed: embedding (before the lock), inserting the
#: rows, and updating the statistics (the last step before the commit).
PG_HOOKS = ("embed", "insert", "finish", "refresh")


class SlowFakeEmbedder(FakeEmbedder):
    """The fake embedder, taking ``seconds`` per call, so a kill can land while it works."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self._seconds = seconds

    def embed(self, texts: Any, *, progress: bool = False) -> np.ndarray:
        time.sleep(self._seconds)
        return super().embed(texts, progress=progress)


def _die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _trap(owner: Any, attr: str, nth: int, when: str) -> None:
    original: Callable[..., Any] = getattr(owner, attr)
    calls = 0

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == nth and when == "before":
            _die()
        result = original(*args, **kwargs)
        if calls == nth and when == "after":
            _die()
        return result

    setattr(owner, attr, wrapper)


def _install_kill(spec: str) -> None:
    hook, nth, when = spec.split(":")
    import faiss

    owners: dict[str, tuple[Any, str]] = {
        "embed": (FakeEmbedder, "embed"),
        "np.save": (np, "save"),
        "write_index": (faiss, "write_index"),
        "bm25.save": (index._lexical.Lexical, "save"),
        "fsync": (os, "fsync"),
        "os.replace": (os, "replace"),
        "prune": (index._store_write, "_prune"),
    }
    from ui._uploads import Library

    owners["refresh"] = (Library, "refresh")  # after the write, before the server switches
    owners["insert"] = (index._pg_build, "_insert")
    owners["finish"] = (index._pg_build, "_finish")
    owner, attr = owners[hook]
    _trap(owner, attr, int(nth), when)


def _upload(args: argparse.Namespace) -> None:
    import qa
    from ui._uploads import Library

    library = Library(qa.load(args.location, embedder=FakeEmbedder()))
    if args.kill_at:
        _install_kill(args.kill_at)
    report = library.add([args.file])
    print(f"uploaded {report.documents}", flush=True)


def _build(args: argparse.Namespace) -> None:
    if args.kill_at:
        _install_kill(args.kill_at)
    embedder = SlowFakeEmbedder(args.slow) if args.slow else FakeEmbedder()
    report = index.build_index([args.docs], args.out, embedder=embedder)
    print(f"built {report.documents} {report.passages}", flush=True)


def _lock(args: argparse.Namespace) -> None:
    with index._store_write.writer_lock(Path(args.dir)):
        print("locked", flush=True)
        time.sleep(args.seconds)
    print("released", flush=True)


def _churn(args: argparse.Namespace) -> None:
    for i in range(args.rounds):
        docs = args.docs_a if i % 2 == 0 else args.docs_b
        index.build_index([docs], args.out, embedder=FakeEmbedder())
    print("done", flush=True)


_TOPICS = (
    ("apples", "orchards", "autumn", "cider", "blossom"),
    ("rivers", "delta", "flood", "bridge", "current"),
    ("volcano", "lava", "eruption", "crater", "ash"),
    ("comets", "orbit", "tail", "telescope", "ice"),
    ("bread", "flour", "yeast", "oven", "crust"),
)


def write_docs(folder: Path, count: int, *, seed: int = 0) -> list[Path]:
    """Write ``count`` small text files of plain sentences about a few topics."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        words = _TOPICS[i % len(_TOPICS)]
        sentences = []
        for j in range(int(rng.integers(4, 12))):
            picked = rng.choice(words, size=3, replace=False)
            sentences.append(
                f"Note {i}.{j} says that the {picked[0]} and the {picked[1]} depend on "
                f"the {picked[2]} in document number {i}."
            )
        path = folder / f"doc-{i:03d}.txt"
        path.write_text(" ".join(sentences) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def _cli(argv: list[str]) -> int:
    import qa._bot
    from ui.cli import main

    def fake_loader(name: str, **_: object) -> FakeEmbedder:
        return FakeEmbedder()

    index.load_embedder = fake_loader  # type: ignore[assignment]
    qa._bot.load_embedder = fake_loader  # type: ignore[assignment]
    return main(argv)


def _index_loop(argv: list[str]) -> int:
    # `qa index DOCS` again and again, a new file in DOCS each time, as a user running it
    # beside a server would.
    docs, flag, where, rounds = argv
    folder = Path(docs)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tea.txt").write_text(
        "Green tea comes from the leaves of Camellia sinensis. It is steamed or pan-fired.\n",
        encoding="utf-8",
    )
    for i in range(int(rounds)):
        (folder / f"cli-{i}.txt").write_text(
            f"Command line file {i} tells of harbour {i} and its pilot {i}.\n", encoding="utf-8"
        )
        status = _cli(["index", docs, flag, where, "--quiet", "--chunk-tokens", "40"])
        if status:
            return status
    print("done", flush=True)
    return 0


def main() -> int:
    if sys.argv[1:2] == ["cli"]:
        return _cli(sys.argv[2:])
    if sys.argv[1:2] == ["index-loop"]:
        return _index_loop(sys.argv[2:])
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build")
    p.add_argument("docs")
    p.add_argument("out")
    p.add_argument("--kill-at", default="")
    p.add_argument("--slow", type=float, default=0.0)
    p = sub.add_parser("upload")
    p.add_argument("location")
    p.add_argument("file")
    p.add_argument("--kill-at", default="")
    p = sub.add_parser("lock")
    p.add_argument("dir")
    p.add_argument("seconds", type=float)
    p = sub.add_parser("churn")
    p.add_argument("docs_a")
    p.add_argument("docs_b")
    p.add_argument("out")
    p.add_argument("rounds", type=int)
    args = parser.parse_args()
    {"build": _build, "lock": _lock, "churn": _churn, "upload": _upload}[args.command](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
