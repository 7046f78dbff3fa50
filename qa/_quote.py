"""Choosing the sentences to quote: each candidate sentence is scored against the question."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index import Document, Embedder, SearchStore, terms

from ._answer_type import expected_kind, holds_kind


@dataclass(frozen=True)
class QuoteOptions:
    """Weights of the sentence score and how many quotes an answer carries."""

    # Weights fitted on half of SQuAD dev and checked on the other half (docs/QUALITY.md):
    # word overlap picks the answering sentence more often than similarity alone, the mix
    # beats either, and the passage's own similarity and the answer kind each add to it.
    semantic_weight: float = 0.3  # cosine similarity of sentence and question
    overlap_weight: float = 0.7  # share of the question's (idf-weighted) terms in the sentence
    rank_weight: float = 0.05  # prior for sentences from higher-ranked passages
    passage_weight: float = 0.4  # cosine similarity of the sentence's passage and question
    kind_weight: float = 0.15  # the sentence holds what a "when"/"how many" question wants
    passages: int = 3  # how many of the best passages quotes may come from
    max_quotes: int = 2
    second_quote_ratio: float = 0.9  # a second quote must score this close to the first


@dataclass(frozen=True)
class Candidate:
    """A scored sentence: passage position in the answer, document, span, score."""

    passage: int
    document: Document
    start: int
    end: int
    score: float


def score_sentences(
    question: str,
    question_vector: np.ndarray,
    passage_ids: Sequence[int],
    *,
    passage_similarities: Sequence[float] = (),
    store: SearchStore,
    embedder: Embedder,
    options: QuoteOptions,
) -> list[Candidate]:
    """Score every sentence of the first ``options.passages`` passages, best first.

    ``passage_similarities`` are the passages' cosine similarities to the question, in the
    order of ``passage_ids`` (missing ones count as 0).
    """
    seen: set[tuple[str, int, int]] = set()
    spans: list[tuple[int, Document, int, int]] = []  # passage position, document, start, end
    stored: list[np.ndarray | None] = []
    for pos, pid in enumerate(passage_ids[: options.passages]):
        doc = store.passage_span(int(pid))[0]
        vectors = store.sentence_vectors_of(int(pid))
        for row, (start, end) in enumerate(store.sentence_spans(int(pid))):
            if (doc.source, start, end) not in seen:
                seen.add((doc.source, start, end))
                spans.append((pos, doc, start, end))
                stored.append(None if vectors is None else vectors[row])
    if not spans:
        return []
    texts = [d.text[s:e] for _, d, s, e in spans]
    semantic = _sentence_vectors(texts, stored, embedder) @ question_vector.astype(np.float32)
    q_terms = set(terms(question))
    weights = {t: store.lexical.idf(t) for t in q_terms}
    total = sum(weights.values())
    kind = expected_kind(question)
    scored = []
    for (pos, doc, start, end), text, sim in zip(spans, texts, semantic, strict=True):
        overlap = 0.0
        if total > 0:
            present = q_terms.intersection(terms(text))
            overlap = sum(weights[t] for t in present) / total
        passage_sim = float(passage_similarities[pos]) if pos < len(passage_similarities) else 0.0
        score = (
            options.semantic_weight * float(sim)
            + options.overlap_weight * overlap
            + options.rank_weight / (1 + pos)
            + options.passage_weight * passage_sim
            + (options.kind_weight if kind is not None and holds_kind(kind, text) else 0.0)
        )
        scored.append(Candidate(pos, doc, start, end, score))
    scored.sort(key=lambda c: (-c.score, c.passage, c.start))
    return scored


def _sentence_vectors(
    texts: Sequence[str], stored: Sequence[np.ndarray | None], embedder: Embedder
) -> np.ndarray:
    # Indexes built since sentences have vectors answer without running the model again;
    # older ones embed the sentences they need.
    if stored and all(v is not None for v in stored):
        return np.stack([v for v in stored if v is not None]).astype(np.float32, copy=False)
    return embedder.embed(texts)


def pick_quotes(candidates: Sequence[Candidate], options: QuoteOptions) -> list[Candidate]:
    """The best sentence, plus another close in score from elsewhere.

    A short sentence that is itself a question (a heading such as "Can X be governed?")
    repeats the question rather than answering it, so it is quoted only when nothing else
    is left; a long sentence ending in a question can still carry the answer.
    """
    statements = [c for c in candidates if not _is_question(c)]
    candidates = statements or list(candidates)
    if not candidates:
        return []
    best = candidates[0]
    chosen = [best]
    for other in candidates[1:]:
        if len(chosen) >= options.max_quotes:
            break
        if other.score < options.second_quote_ratio * best.score:
            break
        chosen.append(other)
    return chosen


def _is_question(candidate: Candidate) -> bool:
    text = candidate.document.text[candidate.start : candidate.end]
    return len(text.split()) <= 12 and text.rstrip(" \"'\u201d\u2019)").endswith("?")
