"""The ONNX backend: same vectors and tokens as torch, cached export, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import index
import qa
from index import ModelNotFoundError, load_embedder
from index._embed import SentenceTransformerEmbedder
from index._onnx import OnnxEmbedder
from tests.conftest import CORPUS, SEED, require_shared

TEXTS = [
    "What are the five functions of diplomacy?",
    "short",
    "",
    "Ünïcode — dashes… and 2026 numbers, café au lait.",
    "The Internet is governed by many actors. " * 80,  # longer than 256 tokens: truncated
]


@pytest.fixture(scope="module")
def onnx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def onnx_embedder(onnx_dir: Path) -> OnnxEmbedder:
    embedder = OnnxEmbedder("all-MiniLM-L6-v2", cache_dir=onnx_dir)
    embedder.warm_up()
    return embedder


@pytest.mark.slow
def test_fp32_vectors_match_torch(
    onnx_embedder: OnnxEmbedder, real_embedder: index.Embedder
) -> None:
    ours = onnx_embedder.embed(TEXTS)
    torch_vectors = real_embedder.embed(TEXTS)
    assert ours.shape == torch_vectors.shape == (len(TEXTS), 384)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosines = (ours * torch_vectors).sum(axis=1)
    assert cosines.min() >= 0.99999, cosines
    assert onnx_embedder.name == real_embedder.name
    assert onnx_embedder.max_tokens == real_embedder.max_tokens
    assert onnx_embedder.dimension == real_embedder.dimension


@pytest.mark.slow
def test_token_spans_match_torch(
    onnx_embedder: OnnxEmbedder, real_embedder: index.Embedder
) -> None:
    text = next(require_shared(CORPUS).glob("*.txt")).read_text(encoding="utf-8")[:20000]
    assert onnx_embedder.token_spans(text) == real_embedder.token_spans(text)
    assert len(onnx_embedder.token_spans(TEXTS[-1])) > 256  # spans are never truncated


@pytest.mark.slow
def test_torch_span_tokenizer_matches_the_transformers_call(real_embedder: index.Embedder) -> None:
    # The torch embedder counts tokens with the Rust tokenizer behind the transformers one;
    # its offsets must be what the transformers call gives, untruncated.
    tokenizer = real_embedder.model.tokenizer  # type: ignore[attr-defined]
    text = next(require_shared(CORPUS).glob("*.txt")).read_text(encoding="utf-8")[:20000]
    for sample in [*TEXTS, text, "  leading space\tand\u200bzero width\x00nul  "]:
        via_transformers = tokenizer(
            sample, add_special_tokens=False, return_offsets_mapping=True, verbose=False
        )["offset_mapping"]
        assert real_embedder.token_spans(sample) == [tuple(p) for p in via_transformers]
    assert len(real_embedder.token_spans(TEXTS[-1])) > 256


@pytest.mark.slow
def test_batches_run_side_by_side_give_the_same_rows_in_order(
    onnx_embedder: OnnxEmbedder, onnx_dir: Path
) -> None:
    # Lengths vary so that the longest-first order differs from the input order.
    texts = [f"Passage {i}: " + "words of varying length " * (i % 7) for i in range(70)]
    assert len(texts) >= index._onnx.BULK_TEXTS  # the side-by-side path
    serial = OnnxEmbedder("all-MiniLM-L6-v2", cache_dir=onnx_dir, batch_size=32, workers=1)
    expected = serial.embed(texts)
    parallel = OnnxEmbedder("all-MiniLM-L6-v2", cache_dir=onnx_dir, batch_size=3, workers=4)
    got = parallel.embed(texts)
    np.testing.assert_allclose(got, expected, atol=2e-6)
    one_by_one = np.stack([onnx_embedder.embed([t])[0] for t in texts[:5]])
    np.testing.assert_allclose(got[:5], one_by_one, atol=2e-6)
    # questions never load the second (one-thread) session; a large embed does
    fresh = OnnxEmbedder("all-MiniLM-L6-v2", cache_dir=onnx_dir, workers=2)
    fresh.embed(texts[:5])
    assert fresh._bulk_session is None
    fresh.embed(texts)
    assert fresh._bulk_session is not None


@pytest.mark.slow
def test_a_failing_batch_is_raised(onnx_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    embedder = OnnxEmbedder("all-MiniLM-L6-v2", cache_dir=onnx_dir, batch_size=2, workers=2)
    real = embedder._embed_batch

    def flaky(session: object, texts: list[str], rows: list[int], **kw: object) -> np.ndarray:
        if any(texts[i] == "bad" for i in rows):
            raise RuntimeError("batch failed")
        return real(session, texts, rows, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(embedder, "_embed_batch", flaky)
    texts = [f"text {i}" for i in range(index._onnx.BULK_TEXTS)] + ["bad"]
    with pytest.raises(RuntimeError, match="batch failed"):
        embedder.embed(texts)  # run side by side
    with pytest.raises(RuntimeError, match="batch failed"):
        embedder.embed(["a", "bad"])  # run in the calling thread


def test_batch_size_and_workers_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        OnnxEmbedder("all-MiniLM-L6-v2", batch_size=0)
    with pytest.raises(ValueError, match="at least 1"):
        OnnxEmbedder("all-MiniLM-L6-v2", workers=0)


@pytest.mark.slow
def test_export_is_cached_and_reused(onnx_embedder: OnnxEmbedder, onnx_dir: Path) -> None:
    assert onnx_embedder.model_file == onnx_dir / "model.onnx"
    assert onnx_embedder.model_file.is_file()
    assert onnx_embedder.export_seconds > 0
    again = OnnxEmbedder("sentence-transformers/all-MiniLM-L6-v2", cache_dir=onnx_dir)
    np.testing.assert_allclose(again.embed(TEXTS[:2]), onnx_embedder.embed(TEXTS[:2]), atol=1e-6)
    assert again.export_seconds == 0.0
    assert not list(onnx_dir.glob(".export-*"))  # no temporary files left behind


@pytest.mark.slow
def test_int8_is_close_to_torch(
    onnx_embedder: OnnxEmbedder, onnx_dir: Path, real_embedder: index.Embedder
) -> None:
    int8 = OnnxEmbedder("all-MiniLM-L6-v2", quantize=True, cache_dir=onnx_dir)
    vectors = int8.embed(TEXTS)
    assert int8.model_file.name == "model-int8.onnx" and int8.model_file.is_file()
    assert int8.model_file.stat().st_size < onnx_embedder.model_file.stat().st_size / 2
    cosines = (vectors * real_embedder.embed(TEXTS)).sum(axis=1)
    assert cosines.min() >= 0.95, cosines
    assert int8.backend == "onnx-int8"


@pytest.mark.slow
def test_index_built_with_torch_answers_the_same_with_onnx(
    corpus_index: Path, real_embedder: index.Embedder, onnx_embedder: OnnxEmbedder
) -> None:
    torch_bot = qa.load(corpus_index, embedder=real_embedder)
    onnx_bot = qa.load(corpus_index, embedder=onnx_embedder)
    lines = require_shared(SEED).read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["q"] for line in lines]
    assert len(questions) >= 5
    for question in questions[:10]:
        a = torch_bot.retrieve(question, k=5)
        b = onnx_bot.retrieve(question, k=5)
        assert [(p.source, p.start) for p in a] == [(p.source, p.start) for p in b], question
        for x, y in zip(a, b, strict=True):
            assert abs(x.similarity - y.similarity) < 1e-4
        qa_, qb = torch_bot.ask(question).quotes, onnx_bot.ask(question).quotes
        assert [(q.start, q.end) for q in qa_] == [(q.start, q.end) for q in qb], question
        assert all(abs(x.score - y.score) < 1e-4 for x, y in zip(qa_, qb, strict=True))


def test_backend_choice(tmp_path: Path) -> None:
    assert isinstance(load_embedder("all-MiniLM-L6-v2", backend="onnx"), OnnxEmbedder)
    auto = load_embedder("all-MiniLM-L6-v2", backend="auto")
    assert isinstance(auto, OnnxEmbedder) and auto.backend == "onnx"
    int8 = load_embedder("all-MiniLM-L6-v2", backend="onnx-int8")
    assert isinstance(int8, OnnxEmbedder) and int8.backend == "onnx-int8"
    # The default is the one qa.load uses: the same backend whichever layer loads the model.
    default = load_embedder("all-MiniLM-L6-v2")
    assert isinstance(default, OnnxEmbedder) and default.backend == "onnx"
    torch = load_embedder("all-MiniLM-L6-v2", backend="torch")
    assert isinstance(torch, SentenceTransformerEmbedder)
    with pytest.raises(ModelNotFoundError, match="use one of auto, torch"):
        load_embedder("all-MiniLM-L6-v2", backend="tensorflow")


def test_unsupported_model_folder(tmp_path: Path) -> None:
    folder = tmp_path / "cls-model"
    (folder / "1_Pooling").mkdir(parents=True)
    (folder / "tokenizer.json").write_text("{}", encoding="utf-8")
    (folder / "config.json").write_text('{"hidden_size": 8}', encoding="utf-8")
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {
            "idx": 1,
            "name": "1",
            "path": "1_Pooling",
            "type": "sentence_transformers.models.Pooling",
        },
    ]
    (folder / "modules.json").write_text(json.dumps(modules), encoding="utf-8")
    (folder / "1_Pooling" / "config.json").write_text(
        '{"pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}', encoding="utf-8"
    )
    with pytest.raises(ModelNotFoundError, match="--backend torch"):
        OnnxEmbedder(str(folder))
    # auto falls back to torch for a model the ONNX backend does not reproduce
    assert isinstance(load_embedder(str(folder), backend="auto"), SentenceTransformerEmbedder)
    (folder / "1_Pooling" / "config.json").write_text(
        '{"pooling_mode_mean_tokens": true}', encoding="utf-8"
    )
    assert index._onnx.supported(folder)


def test_cache_root_follows_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("QA_ONNX_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert index._onnx.onnx_cache_root() == tmp_path / "xdg" / "qa-quotes" / "onnx"
    monkeypatch.setenv("QA_ONNX_CACHE", str(tmp_path / "mine"))
    assert index._onnx.onnx_cache_root() == tmp_path / "mine"
    embedder = OnnxEmbedder("all-MiniLM-L6-v2")
    assert embedder.model_file.parent.parent == tmp_path / "mine"
    assert not embedder.model_file.exists()  # nothing is exported before first use


@pytest.mark.slow
def test_fused_graph_is_used_only_when_it_gives_the_same_vectors(
    onnx_embedder: OnnxEmbedder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    real_embedder: index.Embedder,
) -> None:
    import onnx

    def ops(path: Path) -> set[str]:
        return {node.op_type for node in onnx.load(str(path)).graph.node}

    assert "Attention" in ops(onnx_embedder.model_file)  # the faithful fused graph
    # A fused graph that disagreed with the plain one would be dropped for the plain one.
    monkeypatch.setattr(index._onnx, "_probe_cosine", lambda *a: 0.5)
    plain = OnnxEmbedder("all-MiniLM-L6-v2", cache_dir=tmp_path)
    vectors = plain.embed(TEXTS)
    assert "Attention" not in ops(plain.model_file)
    assert not list(tmp_path.glob("*fused*"))
    assert (vectors * real_embedder.embed(TEXTS)).sum(axis=1).min() >= 0.99999


@pytest.mark.slow
def test_sentence_vectors_in_context_match_across_backends(onnx_dir: Path) -> None:
    texts = [
        "The treaty was signed in 1997. It came into force two years later, after a debate.",
        "Short one. Another sentence here!",
    ]
    spans = [[(0, 30), (31, len(texts[0]))], [(0, 10), (11, len(texts[1]))]]
    onnx = OnnxEmbedder("all-MiniLM-L6-v2", cache_dir=onnx_dir)
    torch_embedder = index.load_embedder("all-MiniLM-L6-v2", backend="torch")
    o_vectors, o_spans = onnx.embed_in_context(texts, spans)
    t_vectors, t_spans = torch_embedder.embed_in_context(texts, spans)  # type: ignore[attr-defined]
    # The text vectors are the plain embeddings; the span vectors agree between backends.
    assert np.min(np.sum(o_vectors * onnx.embed(texts), axis=1)) > 0.99999
    assert np.min(np.sum(t_vectors * o_vectors, axis=1)) > 0.99999
    for a, b in zip(o_spans, t_spans, strict=True):
        assert a.shape == (2, onnx.dimension) and np.min(np.sum(a * b, axis=1)) > 0.9999
    # A sentence in context is near, not equal, to the sentence embedded alone.
    alone = onnx.embed([texts[0][0:30]])[0]
    assert 0.6 < float(o_spans[0][0] @ alone) < 0.99999
