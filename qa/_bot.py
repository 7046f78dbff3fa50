"""The question-answering bot: hybrid retrieval, quote selection, abstention."""

from __future__ import annotations

import bisect
import os
import re
import unicodedata
from collections.abc import Sequence
from typing import Literal

import numpy as np

from index import (
    DEFAULT_BACKEND,
    Document,
    Embedder,
    ModelMismatchError,
    QuestionError,
    SearchStore,
    canonical_model_name,
    is_database_url,
    load_embedder,
    open_pg_store,
    open_store,
    terms,
)

from ._abstain import keyword_coverage
from ._fusion import FusionOptions, reciprocal_rank_fusion, score_fusion
from ._meta import Line, metadata_kind, metadata_line, passage_lines
from ._quote import QuoteOptions, pick_quotes, score_sentences
from ._types import Answer, Passage, Quote

Mode = Literal["hybrid", "dense", "keyword"]
MODES: tuple[str, ...] = ("hybrid", "dense", "keyword")
MAX_QUESTION_CHARS = 2000

#: A question counts as answered when the best passage's similarity plus the coverage weight
#: times (the top passage's keyword coverage - COVERAGE_CENTRE) reaches the threshold (see
#: qa._abstain.keyword_coverage). Both per model, fitted on SQuAD dev with held-out articles
#: and checked on the seed questions (docs/QUALITY.md).
THRESHOLDS = {"sentence-transformers/all-MiniLM-L6-v2": 0.35}
COVERAGE_WEIGHTS = {"sentence-transformers/all-MiniLM-L6-v2": 0.05}
COVERAGE_CENTRE = 0.5
#: For models without a calibrated threshold: similarity alone.
FALLBACK_THRESHOLD = 0.30

# Control characters, and lone surrogates (undecodable bytes in a command line) that the
# tokenizer cannot encode.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_question(question: str) -> str:
    """Normalise a question, or raise :class:`QuestionError` saying what to fix."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    if len(question) > 10 * MAX_QUESTION_CHARS:  # before any work on a huge input
        raise QuestionError(
            f"the question is {len(question):,} characters long; "
            f"ask in at most {MAX_QUESTION_CHARS:,} characters"
        )
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", question))
    text = " ".join(text.split())
    if not text:
        raise QuestionError("the question is empty; type a question about the documents")
    if not any(c.isalnum() for c in text):
        raise QuestionError(
            "the question has no words, only symbols; type a question about the documents"
        )
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"the question is {len(text):,} characters long; "
            f"ask in at most {MAX_QUESTION_CHARS:,} characters"
        )
    return text


class Bot:
    """Answers questions from one index. Create with :func:`qa.load`."""

    def __init__(
        self,
        store: SearchStore,
        embedder: Embedder,
        *,
        threshold: float | None = None,
        fusion: FusionOptions | None = None,
        quotes: QuoteOptions | None = None,
    ) -> None:
        if canonical_model_name(embedder.name) != store.manifest.model:
            raise ModelMismatchError(
                f"the index at {store.path} was built with {store.manifest.model!r}, not "
                f"{embedder.name!r}; load it without a model or rebuild it with that model"
            )
        self.store = store
        self.embedder = embedder
        self.threshold = (
            threshold
            if threshold is not None
            else THRESHOLDS.get(store.manifest.model, FALLBACK_THRESHOLD)
        )
        self.coverage_weight = COVERAGE_WEIGHTS.get(store.manifest.model, 0.0)
        self.fusion = fusion or FusionOptions()
        self.quote_options = quotes or QuoteOptions()

    @property
    def sources(self) -> list[str]:
        """Names of the indexed sources."""
        return [doc.source for doc in self.store.documents]

    def document(self, source: str) -> str:
        """The indexed text of ``source``; passages and quotes are slices of it."""
        try:
            return self.store.document(source).text
        except KeyError:
            raise KeyError(f"no source {source!r} in this index") from None

    def retrieve(self, question: str, *, k: int = 5, mode: Mode = "hybrid") -> list[Passage]:
        """The ``k`` passages that best match ``question``, best first."""
        ids, scores, sims, _ = self._search(clean_question(question), k=k, mode=mode)
        return [self._passage(i, s, m) for i, s, m in zip(ids, scores, sims, strict=True)]

    def ask(self, question: str, *, k: int = 5, mode: Mode = "hybrid") -> Answer:
        """Answer ``question`` with exact quotes, or say that the documents do not answer it."""
        text = clean_question(question)
        ids, scores, sims, vector = self._search(text, k=k, mode=mode)
        passages = tuple(self._passage(i, s, m) for i, s, m in zip(ids, scores, sims, strict=True))
        confidence = float(max(sims)) if len(sims) else 0.0
        found = bool(passages) and self._answers(text, confidence, passages[0].text)
        quotes: tuple[Quote, ...] = ()
        kind = metadata_kind(text)
        meta = metadata_line(kind, self._header_groups(passages)) if kind else None
        if meta is not None:
            # Who wrote it, when, under what title: answered by the header line itself.
            doc = self.store.document(passages[meta.passage].source)
            quotes = (self._quote(doc, meta.start, meta.end, 1.0, meta.passage),)
            found = True
        elif found:
            candidates = score_sentences(
                text,
                vector,
                ids,
                passage_similarities=[float(x) for x in sims],
                store=self.store,
                embedder=self.embedder,
                options=self.quote_options,
            )
            chosen = pick_quotes(candidates, self.quote_options)
            quotes = tuple(
                self._quote(c.document, c.start, c.end, c.score, c.passage) for c in chosen
            )
        return Answer(
            question=text, found=found, quotes=quotes, passages=passages, confidence=confidence
        )

    # -- internals ---------------------------------------------------------------------------

    def _answers(self, question: str, similarity: float, top_passage: str) -> bool:
        # Similarity alone misses short questions about long passages ("Who wrote it?");
        # the share of the question's rare words found in the top passage adds evidence.
        # Centred at half coverage, so the threshold stays a similarity (the one needed when
        # half the question's weighted terms are in the top passage) and reads as one in the UI.
        score = similarity
        if self.coverage_weight:
            coverage = keyword_coverage(question, top_passage, self.store)
            score += self.coverage_weight * (coverage - COVERAGE_CENTRE)
        return score >= self.threshold

    def _search(
        self, question: str, *, k: int, mode: str
    ) -> tuple[list[int], list[float], np.ndarray, np.ndarray]:
        if mode not in MODES:
            raise QuestionError(f"unknown search mode {mode!r}; use one of {', '.join(MODES)}")
        if k < 1:
            raise QuestionError("k must be at least 1")
        vector = self.embedder.embed([question])[0]
        depth = max(k, self.fusion.depth)
        rankings: list[Sequence[int]] = []
        weights: list[float] = []
        dense_sims: dict[int, float] = {}
        if mode in ("hybrid", "dense"):
            d_ids, d_sims = self.store.dense(vector, depth)
            dense_sims = dict(zip(d_ids.tolist(), d_sims.tolist(), strict=True))
            rankings.append(d_ids.tolist())
            weights.append(self.fusion.dense_weight)
        keyword: dict[int, float] = {}
        if mode in ("hybrid", "keyword"):
            b_ids, b_scores = self.store.keyword(terms(question), depth)
            keyword = dict(zip(b_ids.tolist(), b_scores.tolist(), strict=True))
            rankings.append(b_ids.tolist())
            weights.append(self.fusion.keyword_weight)
        if mode == "hybrid" and self.fusion.method == "score":
            # Every candidate needs its similarity: fetch those only the keyword side found.
            extra = [i for i in keyword if i not in dense_sims]
            for i, sim in zip(extra, self.store.similarities(vector, extra), strict=True):
                dense_sims[i] = float(sim)
            fused = score_fusion(dense_sims, keyword, keyword_weight=self.fusion.keyword_weight)[:k]
        else:
            fused = reciprocal_rank_fusion(rankings, weights=weights, k=self.fusion.rrf_k)[:k]
        ids = [i for i, _ in fused]
        missing = [i for i in ids if i not in dense_sims]
        for i, sim in zip(missing, self.store.similarities(vector, missing), strict=True):
            dense_sims[i] = float(sim)
        sims = np.array([dense_sims[i] for i in ids], dtype=np.float32)
        return ids, [s for _, s in fused], sims, vector

    def _location(self, doc: Document, start: int) -> str:
        if doc.page_starts:
            return f"page {bisect.bisect_right(doc.page_starts, start)}"
        return f"line {doc.text.count(chr(10), 0, start) + 1}"

    def _passage(self, pid: int, score: float, sim: float) -> Passage:
        doc, start, end = self.store.passage_span(pid)
        return Passage(
            text=doc.text[start:end],
            source=doc.source,
            start=start,
            end=end,
            score=float(score),
            similarity=float(sim),
            location=self._location(doc, start),
        )

    def _header_groups(self, passages: Sequence[Passage]) -> list[tuple[int, list[Line]]]:
        # The retrieved passages, then the opening lines of the best one's document: a
        # byline or dateline sits there even when no passage holding it was retrieved.
        groups = [(pos, passage_lines(p)) for pos, p in enumerate(passages)]
        if passages:
            source = passages[0].source
            numbers = [i for i, d in enumerate(self.store.documents) if d.source == source]
            doc = self.store.document(source)
            rows = self.store.sentences
            if numbers and len(rows):
                mine = rows[rows[:, 0] == numbers[0]][:8]
                lines = [(int(s), int(e), doc.text[int(s) : int(e)]) for _, s, e in mine]
                groups.append((0, [ln for ln in lines if "\n" not in ln[2]]))
        return groups

    def _quote(self, doc: Document, start: int, end: int, score: float, passage: int) -> Quote:
        return Quote(
            text=doc.text[start:end],
            source=doc.source,
            start=start,
            end=end,
            score=float(score),
            location=self._location(doc, start),
            passage=passage,
        )


def load(
    path: str | os.PathLike[str],
    *,
    model: str | None = None,
    embedder: Embedder | None = None,
    threshold: float | None = None,
    backend: str = DEFAULT_BACKEND,
) -> Bot:
    """Load the index at ``path`` and the model it was built with (or ``model``/``embedder``).

    ``path`` is an index folder, or a ``postgresql://`` URL of a database indexed with
    ``qa index PATH... --store URL`` (needs ``pip install 'qa-quotes[postgres]'``).

    The model is loaded lazily, on the first question. ``backend`` picks how it runs (see
    :func:`index.load_embedder`); the default, ONNX fp32 where the model allows, gives the
    same vectors as torch, so results do not depend on the backend an index was built with.
    """
    store: SearchStore = open_pg_store(str(path)) if is_database_url(path) else open_store(path)
    if embedder is None:
        wanted = model or store.manifest.model
        embedder = load_embedder(wanted, backend=backend)
    return Bot(store, embedder, threshold=threshold)
