"""Load test: concurrent sessions asking a running `qa serve` through gradio_client.

    .venv/bin/python benchmarks/load.py                      # starts its own server
    .venv/bin/python benchmarks/load.py --url http://127.0.0.1:7860/ --pid 12345

By default the script indexes the shared corpus, starts `qa serve` on a free loopback port
with the real model, and drives it with ``--sessions`` concurrent clients (each its own
gradio_client session) asking ``--questions`` questions each, for ``--rounds`` rounds. It
reports errors, client-side latency p50/p95/p99 per round, and the server's resident memory
(from /proc) before, during and after, to show whether memory stays flat. Only loopback
addresses are accepted. Each session closes its client when done, as a page does.

``--in-process`` serves from the script's own process instead and reports, after each round,
how many sessions the server still keeps and the size of its Python heap (``tracemalloc``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def questions(limit: int, seed: int) -> list[str]:
    """Questions about the shared corpus (answerable or not), then SQuAD questions (off-topic)."""
    found: list[str] = []
    seed_file = SHARED / "eval" / "seed_dev.jsonl"
    if seed_file.is_file():
        for line in seed_file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                found.append(json.loads(line)["q"])
    squad = SHARED / "eval" / "squad-dev" / "queries.jsonl"
    if squad.is_file():
        with squad.open(encoding="utf-8") as fh:
            for line in fh:
                if len(found) >= limit:
                    break
                if line.strip():
                    found.append(json.loads(line)["text"])
    if not found:
        raise SystemExit(f"no questions found under {SHARED / 'eval'}")
    random.Random(seed).shuffle(found)
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (1e6 bytes), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError(f"no VmRSS for process {pid}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, child: subprocess.Popen[bytes] | None, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if child is not None and child.poll() is not None:
            raise SystemExit(f"the server exited with status {child.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"no server at {url} after {seconds:.0f}s")


def start_server(work: Path, corpus: Path) -> tuple[subprocess.Popen[bytes], str]:
    index_dir = work / "index"
    subprocess.run(
        [sys.executable, "-m", "ui", "index", str(corpus), "--out", str(index_dir), "--quiet"],
        cwd=REPO,
        check=True,
    )
    port = free_port()
    log = (work / "server.log").open("wb")
    child = subprocess.Popen(
        [
            *(sys.executable, "-m", "ui", "serve", "--index", str(index_dir)),
            *("--host", "127.0.0.1", "--port", str(port)),
        ],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    wait_for(url, child, 300)
    return child, url


class Asker:
    """One session: its own gradio_client connection, using the ``ask`` endpoint if present."""

    def __init__(self, url: str) -> None:
        from gradio_client import Client

        self.client = Client(url, verbose=False)
        endpoints = self.client.view_api(print_info=False, return_format="dict")
        self.ask_api = "/ask" in endpoints.get("named_endpoints", {})

    def __call__(self, question: str) -> bool:
        if self.ask_api:
            result = self.client.predict(question, 5, "hybrid", api_name="/ask")
            return bool(result["passages"])
        return bool(self.client.predict(question, api_name="/chat"))

    def close(self) -> None:
        """End the session, as a page does when it closes (the server then frees its state)."""
        self.client.close()


def run_round(
    url: str, qs: list[str], sessions: int, per_session: int, offset: int
) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    done = [0]

    def session(s: int) -> None:
        try:
            asker = Asker(url)
        except Exception as exc:  # no connection: each of its questions counts as failed
            with lock:
                errors.extend([f"connect: {type(exc).__name__}: {str(exc)[:100]}"] * per_session)
            return
        try:
            ask_all(asker, s)
        finally:
            asker.close()

    def ask_all(asker: Asker, s: int) -> None:
        for i in range(per_session):
            q = qs[(offset + s * per_session + i) % len(qs)]
            started = time.perf_counter()
            try:
                ok = asker(q)
                if not ok:
                    raise RuntimeError("empty answer")
            except Exception as exc:  # every failure is counted and reported, none hidden
                with lock:
                    errors.append(f"{type(exc).__name__}: {str(exc)[:120]}")
            finally:
                with lock:
                    latencies.append(time.perf_counter() - started)
                    done[0] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=sessions) as pool:
        list(pool.map(session, range(sessions)))
    wall = time.perf_counter() - started
    return {
        "questions": len(latencies),
        "errors": len(errors),  # questions never asked for want of a connection included
        "error_samples": sorted(set(errors))[:5],
        "wall_s": round(wall, 1),
        "throughput_qps": round(len(latencies) / wall, 2),
        "p5_ms": round(1000 * percentile(latencies, 5), 1),
        "p50_ms": round(1000 * percentile(latencies, 50), 1),
        "p95_ms": round(1000 * percentile(latencies, 95), 1),
        "p99_ms": round(1000 * percentile(latencies, 99), 1),
        "max_ms": round(1000 * max(latencies), 1),
    }


def direct(corpus: Path, total: int, every: int, seed: int) -> dict[str, Any]:
    """No server: one bot in this process answers ``total`` questions; memory every ``every``.

    Tells the bot's own memory use apart from the web server's.
    """
    import qa

    with tempfile.TemporaryDirectory(prefix="qa-direct-") as tmp:
        subprocess.run(
            [sys.executable, "-m", "ui", "index", str(corpus), "--out", f"{tmp}/i", "--quiet"],
            cwd=REPO,
            check=True,
        )
        bot = qa.load(f"{tmp}/i")
        qs = questions(total, seed)
        memory = [("loaded", rss_mb(os.getpid()))]
        for q in qs[:10]:
            bot.ask(q)
        memory.append(("after 10 warm-up questions", rss_mb(os.getpid())))
        for i in range(total):
            bot.ask(qs[i % len(qs)])
            if (i + 1) % every == 0:
                memory.append((f"after {i + 1} questions", rss_mb(os.getpid())))
    return {"direct_questions": total, "memory_mb": [(k, round(v, 1)) for k, v in memory]}


def in_process(
    corpus: Path, sessions: int, per_session: int, rounds: int, seed: int
) -> dict[str, Any]:
    """The server in this process: the sessions it keeps and its Python heap after each round.

    Clients close at the end of each session, as pages do. Python's heap is traced
    (``tracemalloc``) from after the warm-up; the clients' own objects are gone by the time it
    is read.
    """
    import gc
    import tracemalloc

    sys.path.insert(0, str(REPO))  # this checkout's ui and qa, whatever is installed
    os.environ.setdefault("GRADIO_HEARTBEAT_INTERVAL", "1")  # notice closed clients in ~1 s
    import qa
    from ui.app import start

    with tempfile.TemporaryDirectory(prefix="qa-inproc-") as tmp:
        subprocess.run(
            [sys.executable, "-m", "ui", "index", str(corpus), "--out", f"{tmp}/i", "--quiet"],
            cwd=REPO,
            check=True,
        )
        app, url = start(qa.load(f"{tmp}/i"), host="127.0.0.1", port=free_port())
        try:
            qs = questions(sessions * per_session * rounds, seed)
            warm = Asker(url)
            for q in qs[:10]:
                warm(q)
            warm.close()
            time.sleep(5)
            gc.collect()
            tracemalloc.start()
            rows: list[dict[str, Any]] = []
            total = 0
            for _ in range(rounds):
                result = run_round(url, qs, sessions, per_session, offset=total)
                total += result["questions"]
                time.sleep(5)  # the server notices the closed clients
                gc.collect()
                row = {
                    "after_questions": total,
                    "errors": result["errors"],
                    "p50_ms": result["p50_ms"],
                    "sessions_kept": len(app.state_holder.session_data),
                    "python_heap_mb": round(tracemalloc.get_traced_memory()[0] / 1e6, 2),
                    "rss_mb": round(rss_mb(os.getpid()), 1),
                }
                rows.append(row)
                print(json.dumps(row), file=sys.stderr)
        finally:
            tracemalloc.stop()
            app.close()
    return {
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "mode": "in-process server, traced",
        "sessions": sessions,
        "questions_per_session_per_round": per_session,
        "rounds": rows,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server (loopback only); default: start one")
    parser.add_argument("--pid", type=int, help="the running server's process id, for memory")
    parser.add_argument("--corpus", default=str(SHARED / "corpus"), help="what to serve")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--questions", type=int, default=50, help="per session and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--baseline", type=int, default=50, help="questions asked by one session alone first"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="write the results as JSON here")
    parser.add_argument(
        "--direct", type=int, default=0, help="no server: ask N questions of a bot in-process"
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="serve from this process and report the sessions it keeps and its Python heap",
    )
    args = parser.parse_args()
    if args.in_process:
        result = in_process(
            Path(args.corpus), args.sessions, args.questions, args.rounds, args.seed
        )
        print(json.dumps(result, indent=2))
        if args.out:
            Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        return 1 if any(r["errors"] for r in result["rounds"]) else 0
    if args.direct:
        result = direct(Path(args.corpus), min(args.direct, 100_000), 250, args.seed)
        print(json.dumps(result, indent=2))
        return 0
    if not (1 <= args.sessions <= 200 and 1 <= args.questions <= 1000 and 1 <= args.rounds <= 20):
        raise SystemExit("keep to 1-200 sessions, 1-1000 questions, 1-20 rounds")

    child = None
    tmp = tempfile.TemporaryDirectory(prefix="qa-load-")
    try:
        if args.url:
            host = urlparse(args.url).hostname or ""
            if host not in LOOPBACK:
                raise SystemExit(f"refusing {host!r}: the load test only talks to loopback")
            url, pid = args.url, args.pid
            wait_for(url, None, 30)
        else:
            child, url = start_server(Path(tmp.name), Path(args.corpus))
            pid = child.pid
        qs = questions(args.sessions * args.questions * args.rounds, args.seed)
        memory: list[tuple[str, float]] = []
        if pid:
            memory.append(("started", rss_mb(pid)))
        warm = Asker(url)
        for q in qs[:10]:
            warm(q)
        warm.close()
        if pid:
            memory.append(("after 10 warm-up questions", rss_mb(pid)))
        load_before = os.getloadavg()
        baseline = run_round(url, qs, 1, args.baseline, offset=0) if args.baseline else None
        if baseline:
            print(f"one session alone: {json.dumps(baseline)}", file=sys.stderr)
        rounds = []
        total = 0
        for r in range(args.rounds):
            result = run_round(url, qs, args.sessions, args.questions, offset=total)
            total += result["questions"]
            if pid:
                result["rss_after_mb"] = round(rss_mb(pid), 1)
                memory.append((f"after {total} questions", result["rss_after_mb"]))
            rounds.append(result)
            print(f"round {r + 1}: {json.dumps(result)}", file=sys.stderr)
        report = {
            "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}",
            "load_average_before_after": [round(load_before[0], 1), round(os.getloadavg()[0], 1)],
            "one_session_alone": baseline,
            "sessions": args.sessions,
            "questions_per_session_per_round": args.questions,
            "rounds": rounds,
            "total_questions": total,
            "total_errors": sum(r["errors"] for r in rounds),
            "memory_mb": [(label, round(mb, 1)) for label, mb in memory],
        }
        print(json.dumps(report, indent=2))
        if args.out:
            Path(args.out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        return 1 if report["total_errors"] else 0
    finally:
        if child is not None:
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
        tmp.cleanup()


if __name__ == "__main__":
    raise SystemExit(main())
