"""The command line, with the fake embedder in place of the model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import index
import qa._bot
from tests.fakes import FakeEmbedder
from ui.cli import main


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_loader(name: str, **_: object) -> FakeEmbedder:
        return FakeEmbedder()

    monkeypatch.setattr(index, "load_embedder", fake_loader)
    monkeypatch.setattr(qa._bot, "load_embedder", fake_loader)


@pytest.fixture
def built(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "tea.txt").write_text(
        "Green tea comes from the leaves of Camellia sinensis. It is steamed or pan-fired.\n\n"
        "Black tea is fully oxidised before it is dried, which gives it a darker colour.\n",
        encoding="utf-8",
    )
    out = tmp_path / "idx"
    assert main(["index", str(docs), "--out", str(out), "--quiet", "--chunk-tokens", "30"]) == 0
    return out


def test_index_then_ask_json(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert (
        main(["ask", "Which tea is oxidised before drying?", "--index", str(built), "--json"]) == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["found"] is True
    quote = data["quotes"][0]
    assert "oxidised" in quote["text"] and quote["source"] == "tea.txt"
    text = (built.parent / "docs" / "tea.txt").read_text()
    assert text[quote["start"] : quote["end"]] == quote["text"]
    assert data["passages"] and "markdown" in data


def test_ask_plain_text(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "What is green tea made from?", "--index", str(built)]) == 0
    out = capsys.readouterr().out
    assert "Camellia sinensis" in out and "tea.txt" in out


def test_errors_are_one_line(
    tmp_path: Path, built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ask", "anything", "--index", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("qa: error: no index") and "\n" not in err
    assert main(["ask", "   ", "--index", str(built)]) == 2
    assert "empty" in capsys.readouterr().err
    assert main(["index", str(tmp_path / "nope"), "--out", str(tmp_path / "x"), "--quiet"]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["ask", "tea?", "--index", str(built), "-k", "0"]) == 2


def test_ask_restricted_to_sources(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, drink in (("tea.txt", "Tea"), ("coffee.txt", "Coffee"), ("cocoa.txt", "Cocoa")):
        (docs / name).write_text(
            f"{drink} is brewed from dried plant matter in hot water. "
            f"{drink} growers harvest by hand in the hills.\n",
            encoding="utf-8",
        )
    out = tmp_path / "idx"
    assert main(["index", str(docs), "--out", str(out), "--quiet", "--chunk-tokens", "30"]) == 0
    question = ["ask", "How is tea brewed?", "--index", str(out), "--json", "-k", "3"]
    assert main(question) == 0
    everywhere = json.loads(capsys.readouterr().out)
    assert everywhere["passages"][0]["source"] == "tea.txt"

    assert main([*question, "--source", "coffee.txt"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["passages"] and {p["source"] for p in data["passages"]} == {"coffee.txt"}
    assert all(q["source"] == "coffee.txt" for q in data["quotes"])
    assert set(data) == set(everywhere)  # the same fields as without --source

    assert main([*question, "--source", "coffee.txt", "--source", "cocoa.txt"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {p["source"] for p in data["passages"]} == {"coffee.txt", "cocoa.txt"}

    assert main([*question, "--source", "milk.txt"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("qa: error:") and "milk.txt" in err and "\n" not in err
