"""Passage and sentence vectors from one pass of the model.

Every sentence gets a vector at build time, so answering a question compares it with stored
vectors instead of embedding sentences per question. An embedder that can return its token
states (both shipped ones can: :meth:`embed_in_context`) gives each sentence the mean of its
own tokens' states inside the passage ("late pooling"), at no cost beyond the passage pass;
the context also tells a sentence's "it" and "they" what they stand for. Any other embedder
has its sentences embedded on their own, which gives the same kind of vector at extra cost.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np

from ._embed import Embedder

Span = tuple[int, int]


def pool_spans(
    hidden: np.ndarray, offsets: Sequence[Span], keep: Sequence[bool], spans: Sequence[Span]
) -> np.ndarray:
    """Unit mean of the token states whose characters lie inside each of ``spans``.

    ``hidden`` is one text's token states ``(tokens, dimension)``, ``offsets`` each token's
    character span in the text and ``keep`` which tokens are real text (not special or
    padding). A span holding no whole token (it cannot happen for the sentences of a
    passage, which never cut a token) falls back to the tokens that overlap it, then to the
    whole text.
    """
    starts = np.array([a for a, _ in offsets], dtype=np.int64)
    ends = np.array([b for _, b in offsets], dtype=np.int64)
    real = np.asarray(keep, dtype=bool) & (ends > starts)
    out = np.zeros((len(spans), hidden.shape[1]), dtype=np.float32)
    for row, (s, e) in enumerate(spans):
        chosen = real & (starts >= s) & (ends <= e)
        if not chosen.any():
            chosen = real & (starts < e) & (ends > s)
        if not chosen.any():
            chosen = real
        if chosen.any():
            out[row] = hidden[chosen].mean(axis=0)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.asarray(out / np.clip(norms, 1e-12, None), dtype=np.float32)


def sentences_of(sentences: Sequence[Span], passage: Span) -> range:
    """Indices of the sentences that lie inside ``passage`` (sentences sorted by start)."""
    starts = [s for s, _ in sentences]
    lo = bisect.bisect_left(starts, passage[0])
    hi = lo
    while hi < len(sentences) and sentences[hi][1] <= passage[1]:
        hi += 1
    return range(lo, hi)


def embed_documents(
    texts: Sequence[str],
    pieces: Sequence[tuple[Sequence[Span], Sequence[Span]]],
    embedder: Embedder,
    *,
    progress: bool = False,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Passage vectors of every document (stacked) and sentence vectors of each document.

    ``pieces`` holds each document's (sentence spans, passage spans). A sentence in two
    passages (the overlap) gets the mean of its two in-context vectors; a sentence outside
    every passage gets a zero vector (it is never quoted).
    """
    passage_texts: list[str] = []
    relative: list[list[Span]] = []
    members: list[tuple[int, range]] = []  # document, sentence indices of each passage
    for d, (text, (sentences, spans)) in enumerate(zip(texts, pieces, strict=True)):
        for start, end in spans:
            ids = sentences_of(sentences, (start, end))
            passage_texts.append(text[start:end])
            relative.append([(sentences[i][0] - start, sentences[i][1] - start) for i in ids])
            members.append((d, ids))
    dim = embedder.dimension
    in_context = getattr(embedder, "embed_in_context", None)
    if not passage_texts:
        passage_vectors = np.zeros((0, dim), dtype=np.float32)
        per_passage: list[np.ndarray] = []
    elif callable(in_context):
        passage_vectors, per_passage = in_context(passage_texts, relative, progress=progress)
    else:
        passage_vectors = embedder.embed(passage_texts, progress=progress)
        flat = [t[s:e] for t, spans in zip(passage_texts, relative, strict=True) for s, e in spans]
        alone = embedder.embed(flat) if flat else np.zeros((0, dim), dtype=np.float32)
        per_passage, cursor = [], 0
        for spans in relative:
            per_passage.append(alone[cursor : cursor + len(spans)])
            cursor += len(spans)
    sums = [np.zeros((len(s), dim), dtype=np.float32) for s, _ in pieces]
    for (d, ids), vectors in zip(members, per_passage, strict=True):
        if len(ids):
            sums[d][ids.start : ids.stop] += vectors
    out = []
    for matrix in sums:
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        out.append(np.asarray(matrix / np.clip(norms, 1e-12, None), dtype=np.float32))
    return np.ascontiguousarray(passage_vectors, dtype=np.float32), out
