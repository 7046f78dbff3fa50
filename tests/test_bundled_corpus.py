"""The bundled corpus (ui/corpus, qa's own documentation): a bare clone has documents to serve."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import index
import qa
import qa._bot
from tests.conftest import BUNDLED, REPO
from tests.fakes import FakeEmbedder, fake_serve

DOCS = ("getting-started.md", "how-answers-work.md", "indexing.md", "troubleshooting.md")


@pytest.fixture(scope="module")
def fake_bundled_bot(tmp_path_factory: pytest.TempPathFactory) -> qa.Bot:
    out = tmp_path_factory.mktemp("bundled-fake") / "idx"
    embedder = FakeEmbedder()
    index.build_index([BUNDLED], out, embedder=embedder)
    return qa.load(out, embedder=embedder)


def test_the_bundled_corpus_is_short_documentation_under_the_license() -> None:
    assert BUNDLED == REPO / "ui" / "corpus"
    assert sorted(p.name for p in BUNDLED.glob("*.md")) == sorted(DOCS)
    for name in DOCS:
        text = (BUNDLED / name).read_text(encoding="utf-8")
        assert text.startswith("# ")
        assert 400 <= len(text.split()) <= 1200, name
        assert "MIT license" in " ".join(text.split())
    assert "MIT License" in (BUNDLED / "LICENSE").read_text(encoding="utf-8")


def test_the_bundled_corpus_is_package_data() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["ui"]
    shipped = {p.name for pattern in patterns for p in (REPO / "ui").glob(pattern)}
    assert shipped == {*DOCS, "LICENSE"}


def test_bundled_corpus_answers_which_file_types(fake_bundled_bot: qa.Bot) -> None:
    bot = fake_bundled_bot
    assert sorted(bot.sources) == sorted(DOCS)
    answer = bot.ask("Which file types can I index?")
    assert answer.found
    # The fake embedder's bag of words cannot tell the list of types from the page's opening
    # line, nor from another page's sentence on "the file types qa indexes" (the real-model
    # test below checks the ".pdf" sentence); the page, the exactness of every quote and
    # that the heading repeating the question is not quoted it can check.
    assert answer.passages[0].source == "indexing.md"
    assert any(q.source == "indexing.md" for q in answer.quotes)
    for quote in answer.quotes:
        assert not quote.text.endswith("?")
        assert bot.document(quote.source)[quote.start : quote.end] == quote.text


def test_bundled_corpus_answers_about_abstention(fake_bundled_bot: qa.Bot) -> None:
    answer = fake_bundled_bot.ask("What happens when the documents do not answer a question?")
    assert answer.found
    quote = answer.quotes[0]
    assert "do not answer" in quote.text and "says so" in quote.text, answer.quotes


def test_serve_without_paths_or_index_serves_the_bundled_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ui._uploads import Library
    from ui.cli import main

    served = fake_serve(monkeypatch)
    idx = tmp_path / "idx"
    assert main(["serve", "--index", str(idx), "--chunk-tokens", "30"]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if "bundled" in line]
    assert notes == [f"qa: no index at {idx}; serving the bundled corpus {BUNDLED}"]
    library = served["library"]
    assert isinstance(library, Library)
    assert sorted(library.bot.sources) == sorted(DOCS)

    # An index that exists is served as it is: nothing is said about the bundled corpus.
    tea = tmp_path / "tea.txt"
    tea.write_text("Green tea comes from the leaves of Camellia sinensis.\n", encoding="utf-8")
    other = tmp_path / "other"
    assert main(["index", str(tea), "--out", str(other), "--quiet", "--chunk-tokens", "30"]) == 0
    capsys.readouterr()
    assert main(["serve", "--index", str(other)]) == 0
    assert "bundled" not in capsys.readouterr().err
    library = served["library"]
    assert isinstance(library, Library)
    assert library.bot.sources == ["tea.txt"]


@pytest.mark.slow
def test_bundled_corpus_answers_with_the_real_model(
    bundled_index: Path, real_embedder: index.Embedder
) -> None:
    bot = qa.load(bundled_index, embedder=real_embedder)
    answer = bot.ask("Which file types can I index?")
    assert answer.found
    assert ".pdf" in answer.quotes[0].text
    assert answer.quotes[0].source == "indexing.md"
    assert not bot.ask("What is the capital of Australia?").found
