"""Persistence: round trip, manifest checks, atomic writes, incremental reuse."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import index
import qa
from index import build_index
from index._lexical import terms
from index._store import Store, open_store, read_manifest
from tests.fakes import FakeEmbedder

DOCS = {
    "apples.txt": "Apples grow in orchards in cold climates. Farmers pick apples in autumn.\n",
    "rivers.md": "# Rivers\n\nThe Danube flows through ten countries. It ends in the Black Sea.\n",
    "page.html": (
        "<html><head><title>Volcano facts</title></head><body><nav><a href='/'>Home</a></nav>"
        "<article><h1>Volcano facts</h1><p>Mount Etna is one of the most active volcanoes in "
        "the world, and it stands on the east coast of Sicily.</p><p>Its eruptions have been "
        "recorded for thousands of years by the people living on its slopes.</p></article>"
        "<footer>Copyright - Privacy</footer></body></html>"
    ),
}


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_round_trip(docs: Path, tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    out = tmp_path / "idx"
    report = build_index([docs], out, embedder=fake_embedder)
    assert report.documents == 3 and report.passages >= 3
    store = open_store(out)
    assert sorted(d.source for d in store.documents) == sorted(DOCS)
    assert len(store) == report.passages
    for i in range(len(store)):
        doc, start, end = store.passage_span(i)
        assert doc.text[start:end] == store.passage_text(i)
    bot = qa.load(out, embedder=fake_embedder)
    hits = bot.retrieve("Where does the Danube end?", k=2)
    assert hits[0].source == "rivers.md"
    assert bot.document(hits[0].source)[hits[0].start : hits[0].end] == hits[0].text
    assert "Black Sea" in hits[0].text
    html_doc = bot.document("page.html")
    assert "Mount Etna" in html_doc and "Copyright" not in html_doc and "Home" not in html_doc


def test_manifest_records_model_chunking_and_hashes(
    docs: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    out = tmp_path / "idx"
    build_index([docs], out, embedder=fake_embedder)
    manifest = read_manifest(out)
    assert manifest.model == "fake-hash-64" and manifest.dimension == 64
    assert manifest.chunking.max_tokens <= fake_embedder.max_tokens
    assert {s.source: len(s.sha256) for s in manifest.sources} == {n: 64 for n in DOCS}


def test_other_model_is_refused(docs: Path, tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    out = tmp_path / "idx"
    build_index([docs], out, embedder=fake_embedder)
    with pytest.raises(qa.ModelMismatchError, match="rebuild"):
        qa.load(out, embedder=FakeEmbedder(name="other-model"))


def test_missing_and_corrupt_index(docs: Path, tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    with pytest.raises(qa.IndexNotFoundError, match="qa index"):
        open_store(tmp_path / "nothing-here")
    out = tmp_path / "idx"
    build_index([docs], out, embedder=fake_embedder)
    version = out / (out / "CURRENT").read_text().strip()
    (version / "vectors.faiss").write_bytes(b"garbage")
    with pytest.raises(qa.IndexCorruptError, match="rebuild"):
        open_store(out)


def test_newer_format_is_refused(docs: Path, tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    out = tmp_path / "idx"
    build_index([docs], out, embedder=fake_embedder)
    manifest = out / (out / "CURRENT").read_text().strip() / "manifest.json"
    data = json.loads(manifest.read_text())
    data["format_version"] = 99
    manifest.write_text(json.dumps(data))
    with pytest.raises(qa.IndexCorruptError, match="newer"):
        open_store(out)


def test_failed_build_leaves_previous_index(
    docs: Path, tmp_path: Path, fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "idx"
    build_index([docs], out, embedder=fake_embedder)
    before = open_store(out)
    (docs / "new.txt").write_text("Brand new text about comets and their tails.", encoding="utf-8")

    def broken_save(self: object, folder: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(index._lexical.Lexical, "save", broken_save)
    with pytest.raises(OSError):
        build_index([docs], out, embedder=fake_embedder)
    after = open_store(out)
    assert [d.source for d in after.documents] == [d.source for d in before.documents]
    assert np.array_equal(after.passages, before.passages)
    assert not [p for p in out.iterdir() if p.name.startswith("tmp-")]


def test_rebuild_reuses_unchanged_sources(
    docs: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    out = tmp_path / "idx"
    first = build_index([docs], out, embedder=fake_embedder)
    (docs / "apples.txt").write_text("Apples are red or green. They keep well.\n", encoding="utf-8")
    (docs / "page.html").unlink()
    second = build_index([docs], out, embedder=fake_embedder)
    assert second.reused > 0 and second.embedded < first.embedded
    assert second.removed == ("page.html",)
    fresh = build_index([docs], tmp_path / "fresh", embedder=FakeEmbedder())
    a, b = open_store(out), open_store(tmp_path / "fresh")
    assert np.array_equal(a.passages, b.passages)
    assert np.allclose(a.vectors.reconstruct_n(0, len(a)), b.vectors.reconstruct_n(0, len(b)))
    assert fresh.passages == second.passages


def test_empty_and_unsupported_inputs(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(qa.EmptyCorpusError):
        build_index([empty], tmp_path / "idx", embedder=fake_embedder)
    odd = tmp_path / "data.xyz"
    odd.write_text("hello")
    with pytest.raises(qa.DocumentError, match="unsupported"):
        build_index([odd], tmp_path / "idx", embedder=fake_embedder)
    blank = tmp_path / "blank.txt"
    blank.write_text("   \n\n")
    with pytest.raises(qa.DocumentError, match="no text"):
        build_index([blank], tmp_path / "idx", embedder=fake_embedder)


# Four documents of several passages each, all about rivers, so that every document has
# passages that match the question on both sides and no two passages tie.
_RIVER_DOCS = {
    f"{name}.txt": "\n\n".join(
        f"The {name} river flows past {town} and carries {cargo} toward the sea. "
        f"Boats on the river moved {i + 1} loads of {cargo} in the year {1900 + 7 * i}."
        for i, (town, cargo) in enumerate(stops)
    )
    + "\n"
    for name, stops in {
        "danube": [("Vienna", "grain"), ("Budapest", "timber"), ("Belgrade", "coal")],
        "rhine": [("Basel", "salt"), ("Cologne", "wine"), ("Rotterdam", "steel")],
        "volga": [("Tver", "fish"), ("Kazan", "oil"), ("Samara", "wheat")],
        "thames": [("Oxford", "wool"), ("London", "tea"), ("Gravesend", "sugar")],
    }.items()
}


def _source_of(store: Store, ids: np.ndarray) -> list[str]:
    return [store.passage_span(int(i))[0].source for i in ids]


def _assert_same_ranking(
    ids: np.ndarray, scores: np.ndarray, expected: list[tuple[int, float]]
) -> None:
    """Same scores rank by rank and the same passages, in any order among tied scores (and
    any of several tied at the cut-off)."""
    assert len(ids) == len(expected)
    assert np.allclose(scores, [s for _, s in expected], atol=1e-5)
    got = list(zip(ids.tolist(), scores.tolist(), strict=True))
    start = 0
    while start < len(got):
        end = start + 1
        while end < len(got) and abs(got[end][1] - got[start][1]) <= 1e-5:
            end += 1
        if end < len(got):  # a tie group whole inside the list holds the same passages
            assert {i for i, _ in got[start:end]} == {i for i, _ in expected[start:end]}
        start = end


@pytest.mark.parametrize("filtered_search", [False, True])
def test_search_restricted_to_sources(
    tmp_path: Path,
    fake_embedder: FakeEmbedder,
    monkeypatch: pytest.MonkeyPatch,
    filtered_search: bool,
) -> None:
    if filtered_search:  # as above 100,000 allowed passages: FAISS with an id selector
        monkeypatch.setattr(index._store, "EXACT_FILTER_UP_TO", 0)
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in _RIVER_DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    build_index([folder], tmp_path / "idx", embedder=fake_embedder)
    store = open_store(tmp_path / "idx")
    wanted = ["rhine.txt", "thames.txt"]
    assert 4 < sum(s in wanted for s in _source_of(store, np.arange(len(store)))) < len(store)
    question = "Which river carries wine and tea past the river boats?"
    vector = fake_embedder.embed([question])[0]
    words = terms(question)

    def dense(k: int, sources: list[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        return store.dense(vector, k, sources=sources)

    def keyword(k: int, sources: list[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        return store.keyword(words, k, sources=sources)

    for search in (dense, keyword):
        all_ids, all_scores = search(len(store))
        expected = [
            (int(i), float(s))
            for i, s, src in zip(all_ids, all_scores, _source_of(store, all_ids), strict=True)
            if src in wanted
        ]
        assert len(expected) > 3
        for k in (1, 3, len(store)):
            ids, scores = search(k, wanted)
            assert set(_source_of(store, ids)) <= set(wanted)
            _assert_same_ranking(ids, scores, expected[:k])
        # A name that is not indexed matches nothing; beside one that is, it is ignored.
        assert len(search(5, ["nile.txt"])[0]) == 0
        assert len(search(5, [])[0]) == 0
        only, _ = search(5, ["nile.txt", "volga.txt"])
        assert len(only) > 0 and set(_source_of(store, only)) == {"volga.txt"}


def test_build_stages_time_each_stage_of_a_build(
    docs: Path, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    from index.parts import build_stages

    build_index([docs], tmp_path / "before", embedder=fake_embedder)  # outside: nothing kept
    with build_stages() as seconds:
        build_index([docs], tmp_path / "idx", embedder=fake_embedder)
        after_one = dict(seconds)
        build_index([docs], tmp_path / "again", embedder=fake_embedder)
    assert set(after_one) == {"cleaning", "sentences", "token counts", "embedding", "BM25"} | {
        "FAISS + saving"
    }
    assert all(s > 0 for s in after_one.values())
    assert all(seconds[k] > after_one[k] for k in after_one)  # a second build adds to them
    closed = dict(seconds)
    build_index([docs], tmp_path / "after", embedder=fake_embedder)
    assert seconds == closed  # closed: later builds add nothing
