"""Sentence vectors stored in the index: computed at build, kept on reuse and removal, used
by the quotes instead of embedding sentences per question."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

import qa
from index import build_index
from index._context import embed_documents, pool_spans, sentences_of
from index._remove import remove_source
from index._store import open_store
from tests.fakes import FakeEmbedder

TEXT = (
    "The river treaty was signed in Vienna in 1997 by twelve states. "
    "It came into force two years later, after a long debate. "
    "Fishing rights were left to a later agreement.\n"
)


class _NoContext(FakeEmbedder):
    """An embedder without ``embed_in_context``: sentences are embedded on their own."""

    embed_in_context = None  # type: ignore[assignment]


def _docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "treaty.txt").write_text(TEXT, encoding="utf-8")
    (folder / "tea.txt").write_text("Green tea is grown in the hills of Japan.\n", encoding="utf-8")
    return folder


def test_each_sentence_has_its_words_vector(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    build_index([_docs(tmp_path)], tmp_path / "idx", embedder=fake_embedder)
    store = open_store(tmp_path / "idx")
    assert store.sentence_vectors is not None
    assert store.sentence_vectors.shape == (len(store.sentences), fake_embedder.dimension)
    for pid in range(len(store)):
        doc = store.passage_span(pid)[0]
        spans = store.sentence_spans(pid)
        stored = store.sentence_vectors_of(pid)
        assert stored is not None and len(stored) == len(spans)
        alone = fake_embedder._vectors([doc.text[s:e] for s, e in spans])
        # float16 on disk: equal to ~1e-3.
        assert np.allclose(stored, alone, atol=2e-3)


def test_fallback_embeds_sentences_alone(tmp_path: Path) -> None:
    embedder = _NoContext()
    build_index([_docs(tmp_path)], tmp_path / "idx", embedder=embedder)
    store = open_store(tmp_path / "idx")
    vectors = store.sentence_vectors_of(0)
    assert vectors is not None
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=2e-3)


def test_reuse_and_removal_keep_sentence_vectors(
    tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    docs = _docs(tmp_path)
    build_index([docs], tmp_path / "idx", embedder=fake_embedder)
    first = open_store(tmp_path / "idx")
    treaty = first.documents.index(first.document("treaty.txt"))
    rows = first.sentences[:, 0] == treaty
    before = np.asarray(first.sentence_vectors, dtype=np.float32)[rows]
    (docs / "tea.txt").write_text("Black tea is grown in India.\n", encoding="utf-8")
    report = build_index([docs], tmp_path / "idx", embedder=fake_embedder)
    assert report.reused >= 1
    second = open_store(tmp_path / "idx")
    rows = second.sentences[:, 0] == second.documents.index(second.document("treaty.txt"))
    assert np.array_equal(np.asarray(second.sentence_vectors, dtype=np.float32)[rows], before)
    remove_source(tmp_path / "idx", "tea.txt")
    third = open_store(tmp_path / "idx")
    assert third.sentence_vectors is not None
    assert np.array_equal(np.asarray(third.sentence_vectors, dtype=np.float32), before)


def test_ask_uses_stored_vectors(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    build_index([_docs(tmp_path)], tmp_path / "idx", embedder=fake_embedder)
    bot = qa.load(tmp_path / "idx", embedder=fake_embedder, threshold=0.0)
    before = fake_embedder.embedded
    answer = bot.ask("What came into force after a long debate?")
    assert answer.found and "came into force" in answer.quotes[0].text
    assert fake_embedder.embedded - before == 1  # the question only


def test_old_index_without_sentence_vectors_still_answers(
    tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    build_index([_docs(tmp_path)], tmp_path / "idx", embedder=fake_embedder)
    for f in (tmp_path / "idx").glob("v-*/sentence_vectors.npy"):
        f.unlink()
    bot = qa.load(tmp_path / "idx", embedder=fake_embedder, threshold=0.0)
    assert bot.store.sentence_vectors_of(0) is None
    answer = bot.ask("What came into force after a long debate?")
    assert "came into force" in answer.quotes[0].text
    # A rebuild of the unchanged files embeds again, so the new version has the vectors.
    report = build_index([tmp_path / "docs"], tmp_path / "idx", embedder=fake_embedder)
    assert report.reused == 0 and open_store(tmp_path / "idx").sentence_vectors is not None


def test_pool_spans_means_the_tokens_inside() -> None:
    hidden = np.array([[9, 9], [1, 0], [0, 1], [3, 3]], dtype=np.float32)
    offsets = [(0, 0), (0, 4), (5, 9), (0, 0)]
    keep = [False, True, True, False]
    out = pool_spans(hidden, offsets, keep, [(0, 4), (5, 9), (0, 9)])
    assert np.allclose(out[0], [1, 0]) and np.allclose(out[1], [0, 1])
    assert np.allclose(out[2], [2**-0.5, 2**-0.5])


def test_sentences_of_and_overlap_mean(fake_embedder: FakeEmbedder) -> None:
    sentences: Sequence[tuple[int, int]] = [(0, 5), (6, 11), (12, 17)]
    assert sentences_of(sentences, (6, 17)) == range(1, 3)
    text = "aa bb cc dd ee ff"
    # The middle sentence is in both passages: its vector is the mean of both, normalised.
    _, per_doc = embed_documents([text], [(sentences, [(0, 11), (6, 17)])], fake_embedder)
    assert per_doc[0].shape == (3, fake_embedder.dimension)
    assert np.allclose(np.linalg.norm(per_doc[0], axis=1), 1.0)


def test_in_context_needs_one_span_list_per_text() -> None:
    from index._onnx import OnnxEmbedder

    with pytest.raises(ValueError, match="one list of spans per text"):
        OnnxEmbedder("all-MiniLM-L6-v2").embed_in_context(["a", "b"], [[(0, 1)]])
