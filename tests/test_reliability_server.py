"""The running server: login, bad questions over the API, answering while an upload indexes.

Servers bind to 127.0.0.1 only. The fake embedder keeps them fast; the login test starts the
real `qa serve` command line in a subprocess.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import qa
from index import build_index
from tests.fakes import FakeEmbedder
from tests.reliability_child import write_docs
from ui._auth import AuthError, logins, parse_login, read_logins
from ui.cli import main

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str, child: subprocess.Popen[str], *, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise AssertionError(f"the server exited: {child.communicate()[1]}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # it answers (a login page counts)
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"no server at {url} after {seconds}s")


@pytest.fixture
def small_index(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    write_docs(docs, 6)
    out = tmp_path / "idx"
    build_index([docs], out, embedder=FakeEmbedder())
    return out


# -- login ---------------------------------------------------------------------------------


def test_login_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_login("ann:s3cret:with:colons") == ("ann", "s3cret:with:colons")
    for bad in ("ann", "ann:", ":pw", "  :pw", ""):
        with pytest.raises(AuthError, match="user:password"):
            parse_login(bad)
    file = tmp_path / "logins"
    file.write_text("# team\nann:one\n\n  bob:two  \n")
    file.chmod(0o600)
    assert read_logins(file) == [("ann", "one"), ("bob", "two")]
    assert capsys.readouterr().err == ""
    file.chmod(0o644)
    read_logins(file)
    assert "chmod 600" in capsys.readouterr().err
    file.write_text("ann:one\nnot a login\n")
    with pytest.raises(AuthError, match="line 2"):
        read_logins(file)
    file.write_text("# nothing\n")
    with pytest.raises(AuthError, match="no user:password"):
        read_logins(file)
    with pytest.raises(AuthError, match="cannot read"):
        read_logins(tmp_path / "missing")
    assert logins(None, None) is None
    assert logins("a:b", None) == [("a", "b")]


def test_bad_login_options_stop_serve_at_once(
    small_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--index", str(small_index), "--auth", "nopassword"]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("qa: error: --auth: give a login as user:password") and err.count("\n") == 1
    )
    assert main(["serve", "--index", str(small_index), "--auth-file", str(tmp_path / "x")]) == 2
    assert "cannot read it" in capsys.readouterr().err


@pytest.mark.slow
def test_login_is_required_when_asked_for(small_index: Path, tmp_path: Path) -> None:
    from gradio_client import Client

    file = tmp_path / "logins"
    file.write_text("ann:correct horse\n")
    file.chmod(0o600)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    child = subprocess.Popen(
        [
            *(sys.executable, "-m", "tests.reliability_child", "cli", "serve"),
            *("--index", str(small_index), "--port", str(port), "--auth-file", str(file)),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
    )
    try:
        _wait_for(url, child)
        with pytest.raises(Exception):  # noqa: B017 - any refusal will do; no answer leaks
            Client(url, verbose=False).predict(
                "Where do apples grow?", 5, "hybrid", api_name="/ask"
            )
        with pytest.raises(Exception):  # noqa: B017
            Client(url, verbose=False, auth=("ann", "wrong")).predict(
                "Where do apples grow?", 5, "hybrid", api_name="/ask"
            )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url + "config", timeout=5)  # the page's setup stays private
        assert refused.value.code == 401
        client = Client(url, verbose=False, auth=("ann", "correct horse"))
        result = client.predict("Where do apples grow?", 5, "hybrid", api_name="/ask")
        assert result["passages"] and result["question"] == "Where do apples grow?"
    finally:
        child.terminate()
        child.communicate(timeout=30)


# -- the API under bad input and during uploads ----------------------------------------------


class UploadSlowEmbedder(FakeEmbedder):
    """Slow for batches (indexing), fast for one text (a question)."""

    def embed(self, texts: Any, *, progress: bool = False) -> np.ndarray:
        if len(texts) > 1:
            time.sleep(0.02 * len(texts))
        return super().embed(texts, progress=progress)


@pytest.fixture
def live(small_index: Path) -> Iterator[tuple[str, Any]]:
    from ui._uploads import Library
    from ui.app import start

    bot = qa.load(small_index, embedder=UploadSlowEmbedder())
    library = Library(bot)
    app, url = start(library, host="127.0.0.1", port=_free_port())
    try:
        yield url, library
    finally:
        app.close()


@pytest.mark.slow
def test_bad_questions_over_the_api_then_a_good_one(live: tuple[str, Any]) -> None:
    from gradio_client import Client

    url, _ = live
    client = Client(url, verbose=False)
    bad = ["", "   ", "?!?", "\U0001f375\U0001f375", "x" * 100_000, "\x00\x01\x02"]
    for question in bad:
        with pytest.raises(Exception) as caught:
            client.predict(question, 5, "hybrid", api_name="/ask")
        assert "question" in str(caught.value), str(caught.value)
    for question in ("Where do apples grow?", "緑茶は何?", "What\x07 is lava?"):
        result = client.predict(question, 5, "hybrid", api_name="/ask")
        assert result["passages"]
    with pytest.raises(Exception, match="passages"):
        client.predict("Where do apples grow?", 0, "hybrid", api_name="/ask")
    assert client.predict("Where do apples grow?", 3, "keyword", api_name="/ask")["passages"]


@pytest.mark.slow
def test_server_keeps_answering_while_an_upload_is_indexed(
    live: tuple[str, Any], tmp_path: Path
) -> None:
    from gradio_client import Client

    url, library = live
    uploads = tmp_path / "incoming"
    write_docs(uploads, 40, seed=8)  # about 300 passages: a few seconds of slow embedding
    (uploads / "doc-000.txt").write_text("The lighthouse keeper logs every passing ship.\n")
    done = threading.Event()
    report: list[Any] = []

    def upload() -> None:
        try:
            report.append(library.add(sorted(uploads.iterdir())))
        finally:
            done.set()

    client = Client(url, verbose=False)
    writer = threading.Thread(target=upload)
    writer.start()
    during = 0
    try:
        deadline = time.monotonic() + 300
        while not done.is_set() and time.monotonic() < deadline:
            result = client.predict("Where do apples grow?", 5, "hybrid", api_name="/ask")
            assert result["passages"]
            during += 1
    finally:
        writer.join(timeout=300)
    assert report and not report[0].failed
    assert during >= 3, "the server must answer while the upload is being indexed"
    after = client.predict("Who logs every passing ship?", 3, "hybrid", api_name="/ask")
    assert any("lighthouse" in p["text"] for p in after["passages"])


# -- memory: what the server keeps per session ------------------------------------------------


def _until(check: Any, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return bool(check())


@pytest.mark.slow
def test_the_server_frees_closed_sessions_and_bounds_open_ones(
    small_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gradio_client import Client

    from ui.app import start

    monkeypatch.setenv("GRADIO_HEARTBEAT_INTERVAL", "0.5")  # notice a closed client sooner
    bot = qa.load(small_index, embedder=FakeEmbedder())
    app, url = start(bot, host="127.0.0.1", port=_free_port(), max_sessions=3)
    clients: list[Any] = []
    try:
        sessions = app.state_holder.session_data
        for _ in range(2):
            clients.append(Client(url, verbose=False))
            assert clients[-1].predict("Where do apples grow?", 3, "hybrid", api_name="/ask")
        first, second = (c.session_hash for c in clients)
        assert {first, second} <= set(sessions)
        clients[0].close()
        assert _until(lambda: first not in sessions), "a closed session must be freed"
        assert second in sessions  # an open one is kept
        assert first not in app.state_holder.time_last_used
        # Clients that never close: the oldest sessions go once there are more than 3.
        for _ in range(4):
            clients.append(Client(url, verbose=False))
            assert clients[-1].predict("What is lava?", 3, "hybrid", api_name="/ask")
        assert len(sessions) <= 3
        assert clients[-1].session_hash in sessions
        assert clients[1].predict("What is lava?", 3, "hybrid", api_name="/ask")["passages"]
    finally:
        for client in clients:
            client.close()
        app.close()


def test_max_sessions_must_be_positive(small_index: Path) -> None:
    from ui.app import DEFAULT_MAX_SESSIONS, ServeError, start
    from ui.cli import _parser

    assert _parser().parse_args(["serve"]).max_sessions == DEFAULT_MAX_SESSIONS
    assert _parser().parse_args(["serve", "--max-sessions", "20"]).max_sessions == 20

    with pytest.raises(ServeError, match="--max-sessions"):
        start(qa.load(small_index, embedder=FakeEmbedder()), max_sessions=0)
