"""The folder store and PostgreSQL answer alike: same rankings (up to ties), same ``found``,
same quotes, same keyword statistics, for questions with known words and with words that no
passage holds, over the whole index and restricted to some documents.

Runs with the fake embedder on a small corpus written here; the shared corpus with the real
model is compared in tests/test_postgres.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import index
import qa
from index._lexical import terms
from tests.fakes import FakeEmbedder
from tests.test_postgres import _assert_same_ranking, _hits

_DOCS = {
    "rivers.md": "# Rivers\n\nRivers carry water to the sea. The Nile is a long river in Africa. "
    "Its delta floods every year.\n\nThe Amazon carries more water than any other river. "
    "Bridges cross it in few places.\n",
    "stars.txt": "Stars are balls of hot gas. The Sun is the star nearest to the Earth.\n\n"
    "Comets orbit the Sun too. Their tails point away from it, pushed by the solar wind.\n",
    "bread.txt": "Bread is baked from flour and water. Yeast makes the dough rise.\n\n"
    "Sourdough uses wild yeast. The crust browns in a hot oven.\n\n"
    "Flat bread needs no yeast at all.\n",
    "tea.txt": "Green tea comes from the leaves of Camellia sinensis. It is steamed or "
    "pan-fired.\n\nBlack tea is fully oxidised before it is dried, which gives it a darker "
    "colour.\n",
}
QUESTIONS = [
    "Which river is long?",
    "What makes the dough rise?",
    "Which star is nearest to the Earth?",
    "Where does green tea come from?",
    "What pushes the tails of comets?",
    "Why does the crust brown?",
    # Words no passage holds, alone and beside known ones.
    "What is the airspeed velocity of an unladen swallow?",
    "zyxwv quorble flarn?",
    "Which river do zyxwv quorble?",
    "Is quorble tea oxidised?",
]
SOURCES = [None, ["bread.txt", "tea.txt"], ["stars.txt"]]


@pytest.fixture(scope="module")
def stores(pg_server: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[qa.Bot, qa.Bot]:
    docs = tmp_path_factory.mktemp("parity-docs")
    for name, text in _DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    folder = tmp_path_factory.mktemp("parity-index")
    url = pg_server.new_database()
    chunking = index.ChunkingOptions(max_tokens=24)
    for location in (folder, url):
        index.index_paths([docs], location, embedder=FakeEmbedder(), chunking=chunking)
    return qa.load(folder, embedder=FakeEmbedder()), qa.load(url, embedder=FakeEmbedder())


def _spans(items: Any) -> list[tuple[str, int, int]]:
    return [(x.source, x.start, x.end) for x in items]


@pytest.mark.slow
@pytest.mark.parametrize("sources", SOURCES, ids=["all", "two", "one"])
def test_searches_and_statistics_agree(stores: tuple[qa.Bot, qa.Bot], sources: Any) -> None:
    folder, pg = stores
    assert np.array_equal(folder.store.sentences, pg.store.sentences)
    for question in QUESTIONS:
        vector = folder.embedder.embed([question])[0]
        words = terms(question)
        for method, query in (("dense", vector), ("keyword", words)):
            a = _hits(folder.store, *getattr(folder.store, method)(query, 8, sources=sources))
            b = _hits(pg.store, *getattr(pg.store, method)(query, 8, sources=sources))
            _assert_same_ranking(a, b)
        for word in [*words, "zyxwv"]:
            assert folder.store.lexical.known(word) == pg.store.lexical.known(word), word
            assert folder.store.lexical.idf(word) == pytest.approx(
                pg.store.lexical.idf(word), rel=1e-6
            ), word


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["hybrid", "dense", "keyword"])
@pytest.mark.parametrize("sources", SOURCES, ids=["all", "two", "one"])
def test_answers_agree(stores: tuple[qa.Bot, qa.Bot], mode: str, sources: Any) -> None:
    folder, pg = stores
    found = 0
    for question in QUESTIONS:
        a = folder.ask(question, k=4, mode=mode, sources=sources)  # type: ignore[arg-type]
        b = pg.ask(question, k=4, mode=mode, sources=sources)  # type: ignore[arg-type]
        assert a.found == b.found, question
        assert a.confidence == pytest.approx(b.confidence, abs=1e-5), question
        assert _spans(a.passages) == _spans(b.passages), question
        assert _spans(a.quotes) == _spans(b.quotes), question
        found += a.found
    assert found > 0


@pytest.mark.slow
def test_features_of_unknown_words_agree(stores: tuple[qa.Bot, qa.Bot]) -> None:
    from qa._evidence import term_weights

    folder, pg = stores
    for question in QUESTIONS:
        for sources in SOURCES:
            a = term_weights(question, folder.store, sources=sources)
            b = term_weights(question, pg.store, sources=sources)
            assert a.weights.keys() == b.weights.keys()
            for t in a.weights:
                assert a.weights[t] == pytest.approx(b.weights[t], rel=1e-6), (question, t)
            assert a.unknown_share == pytest.approx(b.unknown_share, abs=1e-9), question
