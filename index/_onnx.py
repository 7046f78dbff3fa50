"""An ONNX Runtime embedder: the same model as sentence-transformers, without torch per query.

The model's transformer is exported to ONNX once, from the local model folder (no network),
and cached in ``$QA_ONNX_CACHE`` or ``~/.cache/qa-quotes/onnx/<key>/`` (``$XDG_CACHE_HOME`` is
honoured). Tokenisation uses the folder's ``tokenizer.json`` through ``tokenizers``; mean
pooling over the attention mask and L2 normalisation follow, as sentence-transformers does,
so fp32 vectors match the torch backend to about 1e-6.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from ._context import pool_spans
from ._embed import canonical_model_name, resolve_model_location, token_offsets, untruncated
from ._errors import ModelNotFoundError

#: Bump when the export recipe changes, so cached files from an older recipe are not used.
#: 3: attention exported as plain operators ("eager") and fused by onnxruntime's BERT
#: optimizer: faster than the graph traced from PyTorch's fused attention ("sdpa").
EXPORT_VERSION = 3
_OPSET = 17
_log = logging.getLogger(__name__)
#: From this many texts on, batches run side by side on one-thread sessions (see embed).
BULK_TEXTS = 64
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "config.json", "tokenizer.json")


def usable_cores() -> int:
    """How many cores this process may run on (its CPU affinity, where the OS tells)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def onnx_cache_root() -> Path:
    """The folder that holds exported ONNX models (created on first export)."""
    explicit = os.environ.get("QA_ONNX_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qa-quotes" / "onnx"


def supported(location: str | os.PathLike[str]) -> bool:
    """Whether the model folder is a Transformer + mean pooling (+ Normalize) model.

    Those are the models whose output this backend reproduces; others need ``torch``.
    """
    folder = Path(location)
    if not (folder / "tokenizer.json").is_file() or not (folder / "config.json").is_file():
        return False
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
            return False
        pooling_dir = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
        pooling = json.loads((folder / pooling_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError, StopIteration):
        return False
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v}
    return modes == {"pooling_mode_mean_tokens"}


def _cache_key(folder: Path) -> str:
    # Path, size and mtime of the weights identify a model version without hashing 90 MB on
    # every start; the recipe version and opset keep old exports from being reused.
    digest = hashlib.sha256(f"v{EXPORT_VERSION}-opset{_OPSET}\n".encode())
    digest.update(str(folder.resolve()).encode())
    for name in _WEIGHT_FILES:
        f = folder / name
        if f.is_file():
            st = f.stat()
            digest.update(f"{name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def _max_seq_length(folder: Path) -> int:
    try:
        cfg = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
        return int(cfg["max_seq_length"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        return int(cfg.get("max_position_embeddings", 512))
    except (OSError, ValueError, TypeError):
        return 512


def export_onnx(folder: Path, out: Path, *, fuse: bool = True) -> None:
    """Export the transformer of the model in ``folder`` to ``out`` (atomically).

    ``fuse`` applies onnxruntime's BERT fusions when they give the same vectors; the
    quantiser needs the plain graph.
    """
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        model = AutoModel.from_pretrained(
            str(folder), local_files_only=True, attn_implementation="eager"
        )
    except (TypeError, ValueError):  # a model class without that choice: its default
        model = AutoModel.from_pretrained(str(folder), local_files_only=True)

    class _Hidden(torch.nn.Module):
        # Only the last hidden state: pooling happens in numpy, where the mask is known.
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    wrapper = _Hidden(model).eval()
    dummy = torch.ones((1, 8), dtype=torch.int64)
    axes = {0: "batch", 1: "tokens"}
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=".export-", suffix=".onnx")
    os.close(fd)
    try:
        # The tracer warns about shape-dependent branches that are fixed for this model.
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapper,
                (dummy, dummy, torch.zeros_like(dummy)),
                tmp,
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["last_hidden_state"],
                dynamic_axes={
                    "input_ids": axes,
                    "attention_mask": axes,
                    "token_type_ids": axes,
                    "last_hidden_state": axes,
                },
                opset_version=_OPSET,
                dynamo=False,
            )
        if fuse:
            _fuse_if_faithful(Path(tmp), folder)
        os.replace(tmp, out)  # readers never see a half-written file
    finally:
        Path(tmp).unlink(missing_ok=True)


#: Texts of different lengths (so with padding) on which a fused graph must match the plain one.
_PROBE = (
    "What are the five functions of diplomacy?",
    "short",
    "A longer sentence, with punctuation; numbers such as 2026 and 3.5%, and rarer words.",
)


def _fuse_if_faithful(path: Path, folder: Path) -> None:
    """Rewrite ``path`` with onnxruntime's BERT fusions if its outputs stay the same.

    The fused attention, layer-norm and GELU kernels answer a question ~10% faster. The
    optimizer matches BERT-shaped graphs; on any other shape, or any doubt, the plain graph
    stays (it computes the same vectors, only a little slower).
    """
    fused = path.with_name(path.stem + "-fused.onnx")
    try:
        from onnxruntime.transformers.optimizer import optimize_model

        cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        model = optimize_model(
            str(path),
            model_type="bert",
            num_heads=int(cfg["num_attention_heads"]),
            hidden_size=int(cfg["hidden_size"]),
        )
        model.save_model_to_file(str(fused))
        if _probe_cosine(path, folder, fused) >= 0.99999:
            os.replace(fused, path)
    except Exception as exc:  # an optional speed-up: keep the plain graph
        _log.info("kept the unfused ONNX graph (%s: %s)", type(exc).__name__, exc)
    finally:
        fused.unlink(missing_ok=True)


def _probe_cosine(plain: Path, folder: Path, fused: Path) -> float:
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_padding(pad_id=tokenizer.token_to_id("[PAD]") or 0)
    encoded = tokenizer.encode_batch(list(_PROBE))
    plain_vectors, fused_vectors = (
        _mean_pooled(ort.InferenceSession(str(g), providers=["CPUExecutionProvider"]), encoded)
        for g in (plain, fused)
    )
    return float((plain_vectors * fused_vectors).sum(axis=1).min())


def _mean_pooled(
    session: Any, encoded: Sequence[Any], inputs: set[str] | None = None
) -> np.ndarray:
    """Run tokenised texts through ``session``; mean-pool and normalise as sentence-transformers."""
    return _mean_pooled_with_states(session, encoded, inputs)[0]


def _mean_pooled_with_states(
    session: Any, encoded: Sequence[Any], inputs: set[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`_mean_pooled`, also returning the token states ``(texts, tokens, dim)``."""
    if inputs is None:
        inputs = {i.name for i in session.get_inputs()}
    ids = np.array([e.ids for e in encoded], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
    feed = {"input_ids": ids, "attention_mask": mask}
    if "token_type_ids" in inputs:
        feed["token_type_ids"] = np.array([e.type_ids for e in encoded], dtype=np.int64)
    hidden = session.run(None, feed)[0]
    weights = mask[:, :, None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return np.asarray(pooled / np.clip(norms, 1e-12, None), dtype=np.float32), hidden


def quantize_int8(fp32: Path, out: Path) -> None:
    """Dynamic int8 quantisation of ``fp32`` into ``out`` (per channel keeps cosine ~0.99)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=".quant-", suffix=".onnx")
    os.close(fd)
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    root.setLevel(logging.ERROR)  # it logs advice about pre-processing to the root logger
    try:
        quantize_dynamic(fp32, tmp, weight_type=QuantType.QInt8, per_channel=True)
        os.replace(tmp, out)
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers  # and it installs a root handler, which must not stay
        Path(tmp).unlink(missing_ok=True)


class OnnxEmbedder:
    """The model run by onnxruntime: fp32 (``quantize=False``) or dynamic int8.

    Exports and loads on first use; :attr:`export_seconds` tells what the export cost (0 when
    the cached file was used). Texts are embedded ``batch_size`` at a time. A question or a
    few sentences run as one call on ``workers`` threads (default: the usable cores), the
    fastest for one short text; from :data:`BULK_TEXTS` texts on, ``workers`` batches run side
    by side on a second, one-thread session, loaded on first need: small batches keep this
    model's activations in the CPU cache, and one thread per call wastes no time
    synchronising, ~1.7x the throughput of 32 texts a batch on all cores
    (docs/BENCHMARKS.md).
    """

    def __init__(
        self,
        name: str,
        *,
        quantize: bool = False,
        batch_size: int = 4,
        workers: int | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self._name = canonical_model_name(name)
        self._folder = Path(resolve_model_location(name))
        if not supported(self._folder):
            raise ModelNotFoundError(
                f"the ONNX backend needs a local sentence-transformers folder with mean pooling; "
                f"{name!r} is not one: use --backend torch"
            )
        if batch_size < 1 or (workers is not None and workers < 1):
            raise ValueError("batch_size and workers must be at least 1")
        self._quantize = quantize
        self._batch_size = batch_size
        self._workers = workers or usable_cores()
        self._cache_dir = Path(cache_dir) if cache_dir is not None else None
        self._max_len = _max_seq_length(self._folder)
        self._lock = threading.Lock()
        self._session: Any = None
        self._bulk_session: Any = None
        self._executor: ThreadPoolExecutor | None = None
        self._batch_tokenizer: Any = None
        self._span_tokenizer: Any = None
        self._dimension: int | None = None
        self._inputs: set[str] = set()
        self.export_seconds = 0.0

    @property
    def name(self) -> str:
        return self._name

    @property
    def backend(self) -> str:
        """``onnx`` or ``onnx-int8``."""
        return "onnx-int8" if self._quantize else "onnx"

    @property
    def model_file(self) -> Path:
        """Where the ONNX file used by this embedder lives (it may not exist yet)."""
        root = self._cache_dir or onnx_cache_root() / _cache_key(self._folder)
        return root / ("model-int8.onnx" if self._quantize else "model.onnx")

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            cfg = json.loads((self._folder / "config.json").read_text(encoding="utf-8"))
            self._dimension = int(cfg["hidden_size"])
        return self._dimension

    @property
    def max_tokens(self) -> int:
        # [CLS] and [SEP] take two of the model's positions.
        return self._max_len - 2

    def _ensure(self) -> Any:
        # The session for questions and other small calls: one call on all the cores.
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._tokenizers()
                    self._session = self._load_session(threads=self._workers)
        return self._session

    def _ensure_bulk(self) -> Any:
        # The session for many texts: one thread per call, ``workers`` calls side by side.
        # Loaded only when a large embed comes (indexing), since it holds its own weights.
        query = self._ensure()
        if self._workers == 1:
            return query
        if self._bulk_session is None:
            with self._lock:
                if self._bulk_session is None:
                    self._bulk_session = self._load_session(threads=1)
        return self._bulk_session

    def _tokenizers(self) -> tuple[Any, Any]:
        if self._span_tokenizer is None:
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            from tokenizers import Tokenizer

            batch = Tokenizer.from_file(str(self._folder / "tokenizer.json"))
            # The file may carry its own truncation/padding: set what sentence-transformers uses.
            batch.enable_truncation(max_length=self._max_len)
            pad = batch.token_to_id("[PAD]")
            batch.enable_padding(pad_id=pad if pad is not None else 0)
            self._batch_tokenizer = batch
            self._span_tokenizer = untruncated(batch)
        return self._batch_tokenizer, self._span_tokenizer

    def _load_session(self, *, threads: int) -> Any:
        import onnxruntime as ort

        path = self.model_file
        try:
            if not path.is_file():
                _log.warning("preparing the ONNX model once (about 10 s) in %s", path.parent)
                started = time.perf_counter()
                if self._quantize:
                    # From the plain graph: the quantiser cannot type the fused operators.
                    path.parent.mkdir(parents=True, exist_ok=True)
                    fd, name = tempfile.mkstemp(dir=path.parent, prefix=".plain-", suffix=".onnx")
                    os.close(fd)
                    plain = Path(name)
                    try:
                        export_onnx(self._folder, plain, fuse=False)
                        quantize_int8(plain, path)
                    finally:
                        plain.unlink(missing_ok=True)
                else:
                    export_onnx(self._folder, path)
                self.export_seconds = time.perf_counter() - started
            options = ort.SessionOptions()
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # export or load: one message with the way out
            raise ModelNotFoundError(
                f"cannot prepare the ONNX model for {self._name!r} at {path} "
                f"({type(exc).__name__}: {str(exc)[:80]}); use --backend torch"
            ) from exc
        self._inputs = {i.name for i in session.get_inputs()}
        return session

    def warm_up(self) -> None:
        """Export (if needed) and load the model now rather than on the first question."""
        self._ensure()

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._run(
            texts, lambda session, rows: self._embed_batch(session, texts, rows), progress
        )

    def embed_in_context(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        *,
        progress: bool = False,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors of ``texts`` (as :meth:`embed`) and of each text's character ``spans``.

        A span's vector is the unit mean of its tokens' states in the same pass that embeds
        its text (see :mod:`index._context`): sentence vectors cost nothing extra.
        """
        if len(spans) != len(texts):
            raise ValueError("one list of spans per text")
        pooled: list[np.ndarray] = [np.zeros((0, self.dimension), np.float32)] * len(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), pooled

        def batch(session: Any, rows: list[int]) -> np.ndarray:
            return self._embed_batch(session, texts, rows, spans=spans, pooled=pooled)

        return self._run(texts, batch, progress), pooled

    def _run(
        self,
        texts: Sequence[str],
        batch: Callable[[Any, list[int]], np.ndarray],
        progress: bool,
    ) -> np.ndarray:
        # Longest first, like sentence-transformers: batches of similar length pad little.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        batches = [order[i : i + self._batch_size] for i in range(0, len(order), self._batch_size)]
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        bulk = len(texts) >= BULK_TEXTS and self._workers > 1
        session = self._ensure_bulk() if bulk else self._ensure()

        def run(rows: list[int]) -> None:
            out[rows] = batch(session, rows)

        done: Iterator[None] = self._pool().map(run, batches) if bulk else map(run, batches)
        if progress:
            from tqdm import tqdm

            done = iter(tqdm(done, total=len(batches), desc="embedding", unit="batch"))
        for _ in done:  # in order; the first failure is raised here
            pass
        return out

    def _embed_batch(
        self,
        session: Any,
        texts: Sequence[str],
        rows: list[int],
        *,
        spans: Sequence[Sequence[tuple[int, int]]] | None = None,
        pooled: list[np.ndarray] | None = None,
    ) -> np.ndarray:
        encoded = self._batch_tokenizer.encode_batch([texts[i] for i in rows])
        if spans is None or pooled is None:
            return _mean_pooled(session, encoded, self._inputs)
        vectors, hidden = _mean_pooled_with_states(session, encoded, self._inputs)
        for j, i in enumerate(rows):
            e = encoded[j]
            keep = [
                m == 1 and not sp
                for m, sp in zip(e.attention_mask, e.special_tokens_mask, strict=True)
            ]
            pooled[i] = pool_spans(hidden[j], e.offsets, keep, spans[i])
        return vectors

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            with self._lock:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(
                        max_workers=self._workers, thread_name_prefix="qa-embed"
                    )
        return self._executor

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return token_offsets(self._tokenizers()[1], text)
