"""The index on disk and in memory: a folder of plain files with a JSON manifest.

Layout of an index folder ``DIR``::

    DIR/CURRENT            name of the live version folder (replaced atomically)
    DIR/.lock              taken by writers, so two builds never interleave
    DIR/v-<id>/manifest.json   format version, model, dimension, chunking, sources
    DIR/v-<id>/documents.jsonl the indexed text of every source
    DIR/v-<id>/passages.npy    (document, start, end) of every passage
    DIR/v-<id>/sentences.npy   (document, start, end) of every sentence
    DIR/v-<id>/sentence_vectors.npy  float16 unit vector of every sentence, row for row
    DIR/v-<id>/vectors.faiss   FAISS index of the passage embeddings
    DIR/v-<id>/bm25/           bm25s files

A new version is written beside the live one and made live by replacing ``CURRENT``, so a
crash or an error half way leaves the previous index as it was, and readers never see a
half-written one (the writing is in :mod:`index._store_write`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._chunk import ChunkingOptions
from ._errors import IndexCorruptError, IndexNotFoundError
from ._lexical import ANALYZER, LEGACY_ANALYZER, Lexical
from ._read import Document
from ._shared import sentences_inside

FORMAT = "qa-index"
FORMAT_VERSION = 1
CURRENT_FILE = "CURRENT"
MANIFEST_FILE = "manifest.json"

#: Above this many passages the vectors go into an HNSW graph rather than a flat (exact)
#: index: one flat query then costs more than encoding the question (benchmarks/scale.py,
#: docs/BENCHMARKS.md). Up to here results are exact.
APPROXIMATE_ABOVE = 100_000
#: HNSW graph degree, build beam and search beam. At 1M clustered vectors a build beam of 40
#: gave recall@10 0.789 at efSearch 256; 160 gives 1.000 at ~3 ms a query (flat: 104 ms),
#: for a longer build that is still small next to embedding a million passages.
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 160, 256
#: A search restricted to some sources scores up to this many passages exactly (one matrix
#: product of their vectors, as a flat index would); above it, FAISS searches with an id
#: filter, which keeps HNSW's cost for large selections.
EXACT_FILTER_UP_TO = 100_000


@dataclass(frozen=True)
class SourceInfo:
    """What the manifest records of one source."""

    source: str
    sha256: str
    title: str
    kind: str
    chars: int
    passages: int


@dataclass(frozen=True)
class Manifest:
    """The index's description, stored as ``manifest.json``."""

    model: str
    dimension: int
    chunking: ChunkingOptions
    sources: tuple[SourceInfo, ...]
    passages: int
    created: str
    format: str = FORMAT
    format_version: int = FORMAT_VERSION
    #: The keyword analyzer the BM25 side was built with (:data:`index._lexical.ANALYZER`).
    analyzer: str = ANALYZER
    #: Built with boilerplate cleaning off (``qa index --keep-all``); rebuilds keep it so.
    keep_all: bool = False

    def to_json(self) -> str:
        """Serialise to pretty JSON."""
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse and validate a manifest (raises KeyError/TypeError/ValueError if malformed)."""
        data = json.loads(text)
        return cls(
            model=str(data["model"]),
            dimension=int(data["dimension"]),
            chunking=ChunkingOptions(**data["chunking"]),
            sources=tuple(SourceInfo(**s) for s in data["sources"]),
            passages=int(data["passages"]),
            created=str(data["created"]),
            format=str(data["format"]),
            format_version=int(data["format_version"]),
            analyzer=str(data.get("analyzer", LEGACY_ANALYZER)),
            keep_all=bool(data.get("keep_all", False)),
        )


class Store:
    """A loaded index: documents, passages, sentences, vectors and BM25, all in memory."""

    def __init__(
        self,
        *,
        path: Path,
        manifest: Manifest,
        documents: Sequence[Document],
        passages: np.ndarray,
        sentences: np.ndarray,
        vectors: Any,
        lexical: Lexical,
        sentence_vectors: np.ndarray | None = None,
    ) -> None:
        self.path = path
        self.manifest = manifest
        self.documents = list(documents)
        self.passages = passages
        self.sentences = sentences
        self.vectors = vectors
        self.lexical = lexical
        #: One row per sentence (float16, memory-mapped), or None for an index written before
        #: sentences had vectors (the bot then embeds them per question).
        self.sentence_vectors = sentence_vectors
        self._by_source = {doc.source: i for i, doc in enumerate(self.documents)}
        # Sentence rows are sorted by (document, start): passages find theirs by bisection.
        self._sentence_keys = sentences[:, 0].astype(np.int64) * (1 << 40) + sentences[:, 1]

    def __len__(self) -> int:
        return int(self.passages.shape[0])

    def close(self) -> None:
        """Nothing to release: the index is in memory (and memory-mapped files close when
        the store is collected)."""

    def document(self, source: str) -> Document:
        """The indexed document called ``source`` (KeyError if there is none)."""
        return self.documents[self._by_source[source]]

    def passage_span(self, i: int) -> tuple[Document, int, int]:
        """Document and character span of passage ``i``."""
        doc, start, end = (int(v) for v in self.passages[i])
        return self.documents[doc], start, end

    def passage_text(self, i: int) -> str:
        """Text of passage ``i``."""
        doc, start, end = self.passage_span(i)
        return doc.text[start:end]

    def sentence_spans(self, i: int) -> list[tuple[int, int]]:
        """Spans of the sentences inside passage ``i``."""
        return [(int(s), int(e)) for _, s, e in self.sentences[self._sentence_rows(i)]]

    def sentence_vectors_of(self, i: int) -> np.ndarray | None:
        """Vectors of :meth:`sentence_spans` ``(i)``, row for row (None if not stored)."""
        if self.sentence_vectors is None:
            return None
        return np.asarray(self.sentence_vectors[self._sentence_rows(i)], dtype=np.float32)

    def sentence_vector_at(self, document: Document, start: int) -> np.ndarray | None:
        """Vector of the sentence of ``document`` that starts at ``start`` (None if none)."""
        number = self._by_source.get(document.source)
        if number is None or self.sentence_vectors is None:
            return None
        key = number * (1 << 40) + start
        row = int(np.searchsorted(self._sentence_keys, key, side="left"))
        if row >= len(self._sentence_keys) or int(self._sentence_keys[row]) != key:
            return None
        return np.asarray(self.sentence_vectors[row], dtype=np.float32)

    def _sentence_rows(self, i: int) -> np.ndarray:
        # Rows of the sentences that start and end inside passage ``i``.
        doc, start, end = (int(v) for v in self.passages[i])
        return sentences_inside(
            self._sentence_keys, self.sentences[:, 2], start, end, key=doc * (1 << 40)
        )

    def dense(
        self, vector: np.ndarray, k: int, *, sources: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Ids and cosine similarities of the ``k`` passages nearest to ``vector``.

        With ``sources``, only passages of the documents so named are searched (a name that
        is not indexed matches nothing).
        """
        import faiss

        allowed = None if sources is None else self._passages_of(sources)
        if allowed is not None and len(allowed) <= EXACT_FILTER_UP_TO:
            # Exact inner products of the allowed rows: cheaper than a filtered search over
            # the whole index, and exact even where the index itself is approximate (HNSW).
            if not len(allowed) or k < 1:
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
            rows = self.vectors.reconstruct_batch(allowed)
            sims = np.asarray(rows @ vector.astype(np.float32), dtype=np.float32)
            top = _top(sims, k)
            return allowed[top], sims[top]
        k = min(k, len(self))
        params = selector = None
        if allowed is not None:
            # Held in a local too: the parameters refer to the selector without owning it.
            selector = faiss.IDSelectorBatch(allowed)
            params = faiss.SearchParameters()
            params.sel = selector
        # One query is memory-bound: extra OpenMP threads only add waiting, up to 3x the time
        # on a busy machine (benchmarks/scale.py). The setting is per thread, so restore it.
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            sims, ids = self.vectors.search(
                vector.reshape(1, -1).astype(np.float32), k, params=params
            )
        finally:
            faiss.omp_set_num_threads(threads)
        keep = ids[0] >= 0
        return ids[0][keep], sims[0][keep]

    def similarities(self, vector: np.ndarray, ids: Sequence[int]) -> np.ndarray:
        """Cosine similarity of ``vector`` to the given passages."""
        if len(ids) == 0:
            return np.zeros(0, dtype=np.float32)
        rows = self.vectors.reconstruct_batch(np.asarray(ids, dtype=np.int64))
        return np.asarray(rows @ vector.astype(np.float32), dtype=np.float32)

    def keyword(
        self, query_terms: Sequence[str], k: int, *, sources: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Ids and BM25 scores of the ``k`` best keyword matches (none if no term is known).

        With ``sources``, only passages of the documents so named are ranked; the term
        statistics stay those of the whole index.
        """
        scores = self.lexical.scores(query_terms)
        if scores is None or k < 1:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        ids = np.arange(len(scores), dtype=np.int64)
        if sources is not None:
            ids = self._passages_of(sources)
            scores = scores[ids]
        top = _top(scores, k)
        top = top[scores[top] > 0]
        return ids[top], scores[top]

    def _passages_of(self, sources: Sequence[str]) -> np.ndarray:
        # Ids (row numbers, ascending) of the passages of the named documents.
        names = [sources] if isinstance(sources, str) else sources  # one name, not letters
        numbers = [self._by_source[s] for s in dict.fromkeys(names) if s in self._by_source]
        if not numbers:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(np.isin(self.passages[:, 0], numbers)).astype(np.int64)


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    # Positions of the ``k`` highest scores, best first; ties in position (id) order, as the
    # database store breaks them.
    k = min(k, len(scores))
    if k < 1:
        return np.zeros(0, dtype=np.int64)
    top = np.argpartition(-scores, k - 1)[:k]
    return top[np.lexsort((top, -scores[top]))]


# -- reading -------------------------------------------------------------------------------


def live_version(path: Path) -> Path:
    """The folder holding the live version of the index at ``path``."""
    path = Path(path)
    if (path / MANIFEST_FILE).is_file():  # a version folder named directly
        return path
    pointer = path / CURRENT_FILE
    if not pointer.is_file():
        if path.is_dir() and any(path.iterdir()):
            raise IndexCorruptError(
                f"{path} is not a qa index (no {CURRENT_FILE} file); "
                f"rebuild it with `qa index PATH... --out {path}`"
            )
        raise IndexNotFoundError(
            f"no index at {path}; build one with `qa index PATH... --out {path}`"
        )
    name = pointer.read_text(encoding="utf-8").strip()
    version = path / name
    if not name or "/" in name or not version.is_dir():
        raise IndexCorruptError(
            f"index at {path} points to a missing version {name!r}; "
            f"rebuild it with `qa index PATH... --out {path}`"
        )
    return version


def read_manifest(path: Path) -> Manifest:
    """Read and check the manifest of the index at ``path``."""
    return _manifest_at(live_version(path), path)


def _manifest_at(version: Path, path: Path) -> Manifest:
    try:
        raw = (version / MANIFEST_FILE).read_text(encoding="utf-8")
        data = json.loads(raw)
        if data.get("format") != FORMAT:
            raise ValueError("not a qa index manifest")
        if int(data.get("format_version", 0)) > FORMAT_VERSION:
            raise IndexCorruptError(
                f"index at {path} has format {data['format_version']}, newer than this qa "
                f"reads ({FORMAT_VERSION}); upgrade qa or rebuild the index"
            )
        return Manifest.from_json(raw)
    except IndexCorruptError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexCorruptError(
            f"index at {path} has an unreadable manifest ({type(exc).__name__}); "
            f"rebuild it with `qa index PATH... --out {path}`"
        ) from exc


def open_store(path: str | os.PathLike[str]) -> Store:
    """Load the index at ``path`` into memory.

    An index whose keyword analyzer is not this qa's is refused (:class:`IndexCorruptError`,
    saying to rebuild it): its BM25 words would not match the questions'.
    """
    store = load_store(path)
    check_analyzer(store.manifest.analyzer, f"the index at {path}", f"--out {path}")
    return store


def check_analyzer(analyzer: str, where: str, target: str) -> None:
    """Refuse an index built with another keyword analyzer than :data:`ANALYZER`."""
    if analyzer != ANALYZER:
        raise IndexCorruptError(
            f"{where} was built with the keyword analyzer {analyzer!r}, not this qa's "
            f"{ANALYZER!r}; rebuild it with `qa index PATH... {target}`"
        )


def load_store(path: str | os.PathLike[str]) -> Store:
    """Load the index at ``path`` whatever its analyzer (a build reuses its vectors)."""
    root = Path(path)
    # A writer may make a new version live, and prune this one, while it is being read:
    # a failed read is retried on the new version, so readers never see a half-gone one.
    for attempt in range(5):
        name = current_name(root)
        try:
            version = live_version(root)
            return _load(root, version, _manifest_at(version, root))
        except IndexCorruptError:
            if attempt == 4 or current_name(root) == name:
                raise
    raise AssertionError("unreachable")


def _load(root: Path, version: Path, manifest: Manifest) -> Store:
    import faiss

    try:
        documents = [
            Document(
                source=d["source"],
                title=d["title"],
                text=d["text"],
                kind=d["kind"],
                sha256=d["sha256"],
                page_starts=tuple(d.get("page_starts", ())),
                locations=tuple((int(o), str(label)) for o, label in d.get("locations", ())),
                ocr_pages=tuple(d.get("ocr_pages", ())),
            )
            for d in _read_jsonl(version / "documents.jsonl")
        ]
        passages = np.load(version / "passages.npy", allow_pickle=False)
        sentences = np.load(version / "sentences.npy", allow_pickle=False)
        sentence_file = version / "sentence_vectors.npy"
        sentence_vectors = (
            np.load(sentence_file, mmap_mode="r", allow_pickle=False)
            if sentence_file.is_file()
            else None
        )
        vectors = faiss.read_index(str(version / "vectors.faiss"))
        lexical = Lexical.load(version / "bm25")
    except Exception as exc:  # any damaged file: one message with the fix
        raise IndexCorruptError(
            f"index at {root} is damaged ({type(exc).__name__}: {str(exc)[:80]}); "
            f"rebuild it with `qa index PATH... --out {root}`"
        ) from exc
    n = manifest.passages
    if (
        passages.shape != (n, 3)
        or vectors.ntotal != n
        or vectors.d != manifest.dimension
        or len(documents) != len(manifest.sources)
        or [d.source for d in documents] != [s.source for s in manifest.sources]
        or sentences.ndim != 2
        or sentences.shape[1:] != (3,)
        or not _spans_fit(passages, documents)
        or not _spans_fit(sentences, documents)
        or (
            sentence_vectors is not None
            and sentence_vectors.shape != (len(sentences), manifest.dimension)
        )
    ):
        raise IndexCorruptError(
            f"index at {root} is inconsistent (files do not match the manifest); "
            f"rebuild it with `qa index PATH... --out {root}`"
        )
    return Store(
        path=root,
        manifest=manifest,
        documents=documents,
        passages=passages,
        sentences=sentences,
        vectors=vectors,
        lexical=lexical,
        sentence_vectors=sentence_vectors,
    )


def _spans_fit(spans: np.ndarray, documents: Sequence[Document]) -> bool:
    # Every (document, start, end) row must point inside its document's text.
    if not len(spans):
        return True
    doc = spans[:, 0]
    if int(doc.min()) < 0 or int(doc.max()) >= len(documents):
        return False
    lengths = np.array([len(d.text) for d in documents], dtype=np.int64)
    return bool(
        np.all((spans[:, 1] >= 0) & (spans[:, 1] <= spans[:, 2]) & (spans[:, 2] <= lengths[doc]))
    )


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def vector_index(vectors: np.ndarray, dimension: int) -> Any:
    """The FAISS index for ``vectors``: exact up to :data:`APPROXIMATE_ABOVE`, HNSW above."""
    import faiss

    if len(vectors) > APPROXIMATE_ABOVE:
        index: Any = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH  # saved with the index
    else:
        index = faiss.IndexFlatIP(dimension)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def current_name(path: Path) -> str:
    try:
        return (path / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return ""
