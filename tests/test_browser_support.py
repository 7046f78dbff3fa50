"""The browser tests' set-up: what happens on a machine without Chromium."""

from __future__ import annotations

import pytest

from tests import browser_support


@pytest.fixture
def no_chromium(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser_support, "find_chromium", lambda: None)


def test_skips_only_when_asked(no_chromium: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_SKIP_BROWSER", "1")
    with pytest.raises(pytest.skip.Exception, match="QA_SKIP_BROWSER=1"):
        browser_support.ensure_chromium()


def test_fails_with_the_install_command_when_it_cannot_install(
    no_chromium: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QA_SKIP_BROWSER", raising=False)
    monkeypatch.setattr(browser_support.os, "geteuid", lambda: 1000)  # not root: no apt-get
    with pytest.raises(pytest.fail.Exception) as failed:
        browser_support.ensure_chromium()
    message = str(failed.value)
    assert "\n" not in message
    assert "apt-get install -y chromium chromium-driver" in message


def test_finds_the_installed_chromium() -> None:
    path = browser_support.find_chromium()
    if path is None:
        pytest.skip("no Chromium on this machine; the browser tests install or ask for it")
    assert path.endswith(("chromium", "chromium-browser"))
