"""Start-up: ``import qa`` time, and ``qa serve`` until the first question is answered.

    .venv/bin/python benchmarks/startup.py --backend onnx --backend torch --cold-onnx

The index of the shared corpus is built once (not timed). Then, per backend, ``qa serve`` is
started in a fresh process and asked one question through the API (``gradio_client``, loaded
before the clock starts) as soon as the server answers; the time from spawning the process
to the first answer is split into "server up" and "first answer". ``--cold-onnx`` adds a run
with an empty ONNX cache, which includes the one-time export.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import REPO, machine, write_json

CORPUS = REPO.parent / "shared" / "corpus"
QUESTION = "What are the functions of diplomacy?"
HEAVY = ("torch", "gradio", "faiss", "sentence_transformers", "onnxruntime", "transformers")


def import_time(repeat: int = 5) -> dict[str, Any]:
    """Median seconds of ``import qa`` in a fresh interpreter, and heavy modules it pulled in."""
    code = (
        "import time, sys; t = time.perf_counter(); import qa; d = time.perf_counter() - t; "
        f"print(d, ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    times, heavy = [], ""
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
        ).stdout.split()
        times.append(float(out[0]))
        heavy = out[1] if len(out) > 1 else ""
    return {"median_s": statistics.median(times), "min_s": min(times), "heavy": heavy}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_to_first_answer(
    index_dir: Path, backend: str, *, env: dict[str, str], timeout: float = 600
) -> dict[str, Any]:
    """Spawn ``qa serve`` and time it until one question is answered."""
    from gradio_client import Client

    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    cmd = [
        str(Path(sys.executable).with_name("qa")),
        "serve",
        "--index",
        str(index_dir),
        "--port",
        str(port),
        "--backend",
        backend,
    ]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        client = None
        while client is None:
            if proc.poll() is not None:
                raise SystemExit(f"qa serve exited: {proc.stderr.read().decode()[-500:]}")  # type: ignore[union-attr]
            if time.perf_counter() - started > timeout:
                raise SystemExit("qa serve did not come up in time")
            try:
                client = Client(url, verbose=False)
            except Exception:
                time.sleep(0.1)
        up = time.perf_counter() - started
        try:
            result = client.predict(QUESTION, 5, "hybrid", api_name="/ask")
        except Exception:  # an older page: the chat endpoint
            result = client.predict(QUESTION, api_name="/chat")
        total = time.perf_counter() - started
        if not result:
            raise SystemExit("qa serve gave an empty answer")
        return {
            "backend": backend,
            "server_up_s": up,
            "first_answer_s": total - up,
            "total_s": total,
        }
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def main(argv: list[str] | None = None) -> int:
    """Measure and print start-up times."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", action="append", help="onnx, torch, onnx-int8 (repeatable)")
    ap.add_argument("--cold-onnx", action="store_true", help="also time a first-ever ONNX start")
    ap.add_argument("--repeat", type=int, default=5, help="import-time samples")
    ap.add_argument("--json", help="also write the results to this JSON file")
    args = ap.parse_args(argv)
    print(f"machine: {machine()}", flush=True)
    imp = import_time(args.repeat)
    print(
        f"import qa: median {imp['median_s'] * 1000:.0f} ms (min {imp['min_s'] * 1000:.0f} ms), "
        f"heavy modules imported: {imp['heavy'] or 'none'}",
        flush=True,
    )
    import index

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        idx = Path(tmp) / "idx"
        index.build_index(
            [CORPUS], idx, embedder=index.load_embedder("all-MiniLM-L6-v2", backend="onnx")
        )
        env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
        runs = [(b, env) for b in (args.backend or ["onnx", "torch"])]
        if args.cold_onnx:
            runs.append(("onnx", dict(env, QA_ONNX_CACHE=str(Path(tmp) / "empty-cache"))))
        for backend, run_env in runs:
            r = serve_to_first_answer(idx, backend, env=run_env)
            r["cold_onnx_cache"] = "QA_ONNX_CACHE" in run_env and run_env is not env
            rows.append(r)
            label = backend + (" (empty ONNX cache)" if r["cold_onnx_cache"] else "")
            print(
                f"qa serve --backend {label}: server up {r['server_up_s']:.1f}s, first answer "
                f"{r['first_answer_s']:.1f}s later, total {r['total_s']:.1f}s",
                flush=True,
            )
    write_json(args.json, {"machine": machine(), "import": imp, "serve": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
