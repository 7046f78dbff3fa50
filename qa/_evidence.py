"""The features the answer model reads, computed once per question from the store.

:class:`qa.Bot` and the fitting script (``benchmarks/answer_fit.py``) both go through these
functions, so the model is fitted on exactly the numbers it later sees.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from index import Document, Embedder
from index.parts import SearchStore, terms

from ._answer_model import SENTENCE_FEATURES
from ._answer_type import expectation

#: Sentence features that do not depend on the passage ranking (the rest are filled in by
#: :func:`sentence_features` once the ranking is known).
INTRINSIC = ("similarity", "overlap", "kind", "question_like", "short")


@dataclass(frozen=True)
class TermWeights:
    """The question's terms weighted by idf; terms the corpus lacks weigh as the rarest."""

    weights: dict[str, float]
    total: float
    unknown_share: float
    terms: tuple[str, ...] = ()  # the question's terms as it asked them (repeats kept)
    unknown_names: float = 0.0  # share of the question's names that no passage holds

    def coverage(self, text: str) -> float:
        """Share of the question's weight in terms that ``text`` holds (0..1)."""
        if self.total <= 0:
            return 0.0
        present = self.weights.keys() & term_set(text)
        return sum(self.weights[t] for t in present) / self.total


@lru_cache(maxsize=16384)
def term_set(text: str) -> frozenset[str]:
    """The distinct terms of a passage or sentence (remembered: the same passages come back
    question after question)."""
    return frozenset(terms(text))


_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def name_terms(question: str) -> frozenset[str]:
    """Terms of the words the question writes as names: capitalised after its first word,
    or in capitals ("Hamlet", "NATO"). Documents that never use a name the question asks
    about rarely answer it, however close the rest of the question comes."""
    words = _WORD.findall(question)
    names = [w for n, w in enumerate(words) if (n > 0 and w[0].isupper()) or w.isupper()]
    return frozenset(t for w in names if len(w) > 1 for t in terms(w))


def term_weights(
    question: str, store: SearchStore, *, sources: Sequence[str] | None = None
) -> TermWeights:
    """Weigh the question's terms by the store's idf.

    A word no passage holds (no passage of ``sources``, when given) weighs as much as the
    rarest possible one: it is strong evidence that the documents are about something else.
    """
    asked = terms(question)
    q_terms = sorted(set(asked))
    n = max(len(store), 1)
    rarest = math.log(1.0 + (n - 1 + 0.5) / 1.5)
    lexical = store.lexical
    weights: dict[str, float] = {}
    unknown = 0.0
    lacking: set[str] = set()
    for t in q_terms:
        known = lexical.known(t)
        if known and sources is not None:
            # Asked of some documents only: a word only the others use is unknown here.
            known = len(store.keyword([t], 1, sources=sources)[0]) > 0
        if known:
            weights[t] = lexical.idf(t)
        else:
            weights[t] = rarest
            unknown += rarest
            lacking.add(t)
    total = sum(weights.values())
    names = name_terms(question)
    missing = len(names & lacking)
    return TermWeights(
        weights,
        total,
        unknown / total if total > 0 else 0.0,
        tuple(asked),
        unknown_names=missing / len(names) if names else 0.0,
    )


@dataclass(frozen=True)
class Candidates:
    """Candidate passages of one question, with the features fusion reads (one per row)."""

    ids: np.ndarray  # passage ids
    similarity: np.ndarray  # cosine of passage and question
    keyword: np.ndarray  # BM25 score over the question's best (0 when not a keyword hit)
    sentence: np.ndarray  # best cosine of one of its sentences (its own similarity if none)
    coverage: np.ndarray  # idf-weighted share of the question's terms the passage holds
    heading: np.ndarray  # cosine of the question and the heading the passage sits under (0: none)
    dense_hit: np.ndarray  # among the dense side's best (bool)
    keyword_hit: np.ndarray  # among the keyword side's best (bool)
    position: np.ndarray  # where the passage starts in its document, 0 (start) to 1 (end)
    length: np.ndarray  # the passage's length in characters
    documents: np.ndarray  # its document, numbered in the order candidates first name them

    @property
    def agreement(self) -> float:
        """Share of the dense side's passages the keyword side found too: when the documents
        answer, the two tend to agree on where."""
        dense = int(self.dense_hit.sum())
        return float((self.dense_hit & self.keyword_hit).sum()) / dense if dense else 0.0


def candidates(
    store: SearchStore,
    vector: np.ndarray,
    weights: TermWeights,
    *,
    depth: int,
    sources: Sequence[str] | None = None,
) -> Candidates:
    """The ``depth`` best passages of each side, dense and keyword, merged."""
    d_ids, d_sims = store.dense(vector, depth, sources=sources)
    sims = dict(zip(d_ids.tolist(), d_sims.tolist(), strict=True))
    kw: dict[int, float] = {}
    b_ids, b_scores = store.keyword(list(weights.terms), depth, sources=sources)
    best = float(b_scores.max()) if len(b_scores) else 0.0
    if best > 0:
        kw = {i: float(s) / best for i, s in zip(b_ids.tolist(), b_scores.tolist(), strict=True)}
    ids = list(dict.fromkeys([*sims, *kw]))
    dense_hit = np.array([i in sims for i in ids], dtype=bool)
    missing = [i for i in ids if i not in sims]
    for i, sim in zip(missing, store.similarities(vector, missing), strict=True):
        sims[i] = float(sim)
    q = vector.astype(np.float32)
    best_sentence = []
    coverage = []
    heading = []
    position = []
    length = []
    numbers: dict[str, int] = {}
    documents = []
    for i in ids:
        vectors = store.sentence_vectors_of(i)
        best_sentence.append(
            float((vectors @ q).max()) if vectors is not None and len(vectors) else sims[i]
        )
        doc, start, end = store.passage_span(i)
        position.append(start / max(len(doc.text), 1))
        length.append(end - start)
        documents.append(numbers.setdefault(doc.source, len(numbers)))
        coverage.append(weights.coverage(doc.text[start:end]) if weights.total else 0.0)
        at = heading_start(doc.source, doc.sha256, doc.text, start)
        found = store.sentence_vector_at(doc, at) if at is not None else None
        heading.append(float(found @ q) if found is not None else 0.0)
    return Candidates(
        ids=np.array(ids, dtype=np.int64),
        similarity=np.array([sims[i] for i in ids], dtype=np.float64),
        keyword=np.array([kw.get(i, 0.0) for i in ids], dtype=np.float64),
        sentence=np.array(best_sentence, dtype=np.float64),
        coverage=np.array(coverage, dtype=np.float64),
        heading=np.array(heading, dtype=np.float64),
        dense_hit=dense_hit,
        keyword_hit=np.array([i in kw for i in ids], dtype=bool),
        position=np.array(position, dtype=np.float64),
        length=np.array(length, dtype=np.float64),
        documents=np.array(documents, dtype=np.int64),
    )


#: How far back a heading is looked for, in characters: a section rarely runs longer.
HEADING_REACH = 20_000


def is_heading(paragraph: str) -> bool:
    """A paragraph that reads as a heading: one short line without closing punctuation."""
    stripped = paragraph.strip()
    text = stripped.lstrip("#").strip()
    if not 0 < len(text.split()) <= 12 or "\n" in text:
        return False
    # A Markdown heading may be a question ("## Which files can I index?"); a plain line
    # that ends like a sentence is a sentence.
    return stripped.startswith("#") or not text.endswith((".", "?", "!", ":", ";", ",", ")"))


@lru_cache(maxsize=65536)
def heading_start(source: str, sha256: str, text: str, position: int) -> int | None:
    """Start of the heading paragraph the text at ``position`` sits under: the nearest
    paragraph at or before it that reads as a heading (None when there is none in reach).

    Documents split into sections answer section-wide questions ("What datasets do they
    use?") in passages that never repeat the section's name; the heading carries it.
    ``source`` and ``sha256`` key the cache, so a document's text is not hashed per call.
    """
    floor = max(0, position - HEADING_REACH)
    cursor = position
    while cursor >= floor:
        begin = text.rfind("\n\n", floor, cursor)
        begin = floor if begin < 0 else begin + 2
        end = text.find("\n\n", begin)
        paragraph = text[begin : end if end >= 0 else len(text)]
        if begin <= position and is_heading(paragraph):
            return begin + (len(paragraph) - len(paragraph.lstrip()))
        if begin <= floor:
            return None
        cursor = begin - 2
    return None


@dataclass(frozen=True)
class Sentences:
    """Candidate sentences: where each is, which candidate passage holds it, its features."""

    candidate: np.ndarray  # row in :class:`Candidates` of the passage it is quoted from
    documents: tuple[Document, ...]
    starts: np.ndarray
    ends: np.ndarray
    intrinsic: np.ndarray  # one row of :data:`INTRINSIC` per sentence

    def __len__(self) -> int:
        return len(self.documents)

    def text(self, row: int) -> str:
        """The sentence's text."""
        return self.documents[row].text[int(self.starts[row]) : int(self.ends[row])]


def sentences(
    store: SearchStore,
    embedder: Embedder,
    question: str,
    vector: np.ndarray,
    weights: TermWeights,
    cands: Candidates,
    rows: Sequence[int],
) -> Sentences:
    """The sentences of the candidate passages at ``rows`` (a sentence shared by two
    neighbouring passages is kept once, with the first of them)."""
    seen: set[tuple[str, int, int]] = set()
    spans: list[tuple[int, Document, int, int]] = []
    stored: list[np.ndarray | None] = []
    for row in rows:
        pid = int(cands.ids[row])
        doc = store.passage_span(pid)[0]
        vectors = store.sentence_vectors_of(pid)
        for n, (start, end) in enumerate(store.sentence_spans(pid)):
            if (doc.source, start, end) not in seen:
                seen.add((doc.source, start, end))
                spans.append((row, doc, start, end))
                stored.append(None if vectors is None else vectors[n])
    texts = [d.text[s:e] for _, d, s, e in spans]
    if spans and all(v is not None for v in stored):
        matrix = np.stack([v for v in stored if v is not None]).astype(np.float32, copy=False)
    elif spans:
        # An index built before sentences had vectors: embed the few sentences needed.
        matrix = embedder.embed(texts)
    else:
        matrix = np.zeros((0, len(vector)), dtype=np.float32)
    similarity = matrix @ vector.astype(np.float32)
    expected = expectation(question)
    intrinsic = np.zeros((len(spans), len(INTRINSIC)), dtype=np.float64)
    for n, text in enumerate(texts):
        words = len(text.split())
        intrinsic[n] = (
            float(similarity[n]),
            weights.coverage(text),
            float(expected is not None and expected.held_by(text)),
            float(words <= 12 and text.rstrip(" \"'\u201d\u2019)").endswith("?")),
            float(words < 5),
        )
    return Sentences(
        candidate=np.array([r for r, _, _, _ in spans], dtype=np.int64),
        documents=tuple(d for _, d, _, _ in spans),
        starts=np.array([s for _, _, s, _ in spans], dtype=np.int64),
        ends=np.array([e for _, _, _, e in spans], dtype=np.int64),
        intrinsic=intrinsic,
    )


def sentence_features(
    candidate: np.ndarray,
    intrinsic: np.ndarray,
    *,
    similarity: np.ndarray,
    keyword: np.ndarray,
    position: np.ndarray,
) -> np.ndarray:
    """Rows of :data:`SENTENCE_FEATURES` for sentences of the candidate passages at rows
    ``candidate`` with :data:`INTRINSIC` features ``intrinsic``; ``similarity``,
    ``keyword`` and ``position`` (rank from 0) are per candidate passage."""
    out = np.zeros((len(candidate), len(SENTENCE_FEATURES)), dtype=np.float64)
    col = {name: n for n, name in enumerate(SENTENCE_FEATURES)}
    for n, name in enumerate(INTRINSIC):
        out[:, col[name]] = intrinsic[:, n]
    c = candidate
    out[:, col["passage_similarity"]] = similarity[c]
    out[:, col["passage_keyword"]] = keyword[c]
    out[:, col["rank"]] = 1.0 / (1.0 + position[c])
    return out


def decision_features(
    *,
    top_similarity: float,
    sentence_similarity: float,
    passage_coverage: float,
    sentence_coverage: float,
    unknown_share: float,
    unknown_names: float,
    agreement: float,
    similarity: np.ndarray,
    sentence: np.ndarray,
    coverage: np.ndarray,
    heading: np.ndarray,
) -> tuple[float, ...]:
    """The decision's features in the order of ``DECISION_FEATURES``; ``similarity``,
    ``sentence``, ``coverage`` and ``heading`` are the columns of every candidate
    (:class:`Candidates`), which say how the best stands out from the rest."""
    ranked = np.sort(np.asarray(similarity, dtype=np.float64))[::-1]
    best = float(ranked[0]) if len(ranked) else 0.0
    return (
        top_similarity,
        sentence_similarity,
        passage_coverage,
        sentence_coverage,
        unknown_share,
        unknown_names,
        agreement,
        best - float(np.median(ranked)) if len(ranked) else 0.0,
        float(np.max(sentence)) if len(sentence) else 0.0,
        float(np.max(coverage)) if len(coverage) else 0.0,
        float(np.max(heading)) if len(heading) else 0.0,
        best - float(ranked[1]) if len(ranked) > 1 else 0.0,
    )
