"""Chromium for the browser tests: Debian's package, driven by Playwright, no network.

Playwright's own browser download needs internet; the tests use Debian's ``chromium``
instead. On a machine without it the set-up installs it when it can (root and apt-get), and
otherwise fails with one line saying how to install it, unless ``QA_SKIP_BROWSER=1``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = (
    "Chromium is missing: run `sudo apt-get install -y chromium chromium-driver` "
    "(or set QA_SKIP_BROWSER=1 to skip the browser tests)"
)


def find_chromium() -> str | None:
    """The path of an installed Chromium, if any."""
    for path in CHROMIUM_CANDIDATES:
        if Path(path).is_file() and os.access(path, os.X_OK):
            return path
    found = shutil.which("chromium")
    return found


def _apt_install() -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update"], check=True, env=env, capture_output=True, timeout=900)
    subprocess.run(
        ["apt-get", "install", "-y", "--no-install-recommends", "chromium", "chromium-driver"],
        check=True,
        env=env,
        capture_output=True,
        timeout=1800,
    )


def ensure_chromium() -> str:
    """Chromium's path: found, or installed with apt-get when running as root; else skip/fail."""
    path = find_chromium()
    if path:
        return path
    if os.environ.get("QA_SKIP_BROWSER") == "1":
        pytest.skip("QA_SKIP_BROWSER=1: browser tests skipped")
    if os.geteuid() == 0 and shutil.which("apt-get"):
        try:
            _apt_install()
        except (subprocess.SubprocessError, OSError) as exc:
            pytest.fail(f"{INSTALL_HINT} (installing it failed: {exc})", pytrace=False)
        path = find_chromium()
        if path:
            return path
    pytest.fail(INSTALL_HINT, pytrace=False)


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
