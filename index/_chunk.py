"""Sentences and chunks, measured in the embedding model's own tokens, with exact offsets."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

Span = tuple[int, int]
TokenSpans = Callable[[str], list[tuple[int, int]]]

_TERMINAL = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*$")
_LINE_END_PUNCT = re.compile(r"[.!?:;\"'\u201d\u2019)\]]$")
_BULLET_START = re.compile(r"^\s*([\u2022\u00b7\u25aa*\-\u2013\u2014+]|\d+[.)])\s")


@dataclass(frozen=True)
class ChunkingOptions:
    """How text is cut: ``max_tokens`` per chunk (model tokens) and sentences of overlap."""

    max_tokens: int = 128
    overlap: int = 1


@dataclass(frozen=True)
class Chunked:
    """A document cut into sentences and chunks; a chunk is a run of sentences."""

    sentences: list[Span]
    chunks: list[tuple[int, int]]  # (first sentence, last sentence + 1)

    def chunk_span(self, i: int) -> Span:
        """Character span of chunk ``i``."""
        first, stop = self.chunks[i]
        return self.sentences[first][0], self.sentences[stop - 1][1]


@lru_cache(maxsize=1)
def _segmenter() -> Any:
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def _segment(text: str) -> list[str]:
    # pysbd's ``segment`` ends by finding each sentence in the text with a regex made for
    # that sentence (a third of its time, and a regex cache thrashed for the rest); a plain
    # str.find from the previous sentence's end does the same work. Pieces keep their
    # trailing white space, as pysbd returns them.
    segmenter = _segmenter()
    process = getattr(segmenter, "processor", None)
    if process is None:  # another pysbd version: its public call
        return list(segmenter.segment(text))
    pieces: list[str] = []
    cursor = 0
    for sentence in process(text).process():
        found = text.find(str(sentence), cursor)
        if found == -1:  # the processor changed this sentence: let pysbd match it
            return list(segmenter.segment(text))
        end = found + len(sentence)
        while end < len(text) and text[end].isspace():
            end += 1
        pieces.append(text[found:end])
        cursor = end
    return pieces


def split_sentences(text: str, paragraphs: Sequence[Span]) -> list[Span]:
    """Sentence spans inside the given paragraph spans, trimmed of white space."""
    spans: list[Span] = []
    for start, end in paragraphs:
        for seg_start, seg_end in _line_segments(text, start, end):
            spans.extend(_sentences_in(text, seg_start, seg_end))
    return spans


def _line_segments(text: str, start: int, end: int) -> list[Span]:
    # A line break ends a sentence when the line looks finished (punctuation, a short
    # heading or byline line, a list item next); hard-wrapped prose lines are joined.
    segments: list[Span] = []
    seg_start = start
    pos = start
    while True:
        nl = text.find("\n", pos, end)
        if nl == -1:
            segments.append((seg_start, end))
            return segments
        line = text[pos:nl].strip()
        next_nl = text.find("\n", nl + 1, end)
        following = text[nl + 1 : next_nl if next_nl != -1 else end]
        if len(line) < 50 or _LINE_END_PUNCT.search(line) or _BULLET_START.match(following):
            segments.append((seg_start, nl))
            seg_start = nl + 1
        pos = nl + 1


def _sentences_in(text: str, start: int, end: int) -> list[Span]:
    segment = text[start:end]
    if not segment.strip():
        return []
    spans: list[Span] = []
    cursor = 0
    for piece in _merge_fragments(_segment(segment)):
        piece = piece.strip()
        if not piece:
            continue
        found = segment.find(piece, cursor)
        if found == -1:
            # The segmenter changed the text: keep the rest as one sentence, offsets exact.
            break
        spans.append((start + found, start + found + len(piece)))
        cursor = found + len(piece)
    rest = segment[cursor:]
    if rest.strip():
        lead = len(rest) - len(rest.lstrip())
        spans.append((start + cursor + lead, start + cursor + len(rest.rstrip())))
    return spans


def _merge_fragments(pieces: list[str]) -> list[str]:
    # The segmenter cuts enumerations such as "1) ..., 2) ..." into pieces; a piece that
    # does not end like a sentence is joined to the next one.
    merged: list[str] = []
    carry = ""
    for piece in pieces:
        carry += piece
        if _TERMINAL.search(carry.rstrip()):
            merged.append(carry)
            carry = ""
    if carry:
        merged.append(carry)
    return merged


def fit_sentences(
    text: str, sentences: Sequence[Span], token_spans: TokenSpans, max_tokens: int
) -> tuple[list[Span], list[int]]:
    """Split sentences longer than ``max_tokens`` at token boundaries; return spans and counts."""
    out: list[Span] = []
    counts: list[int] = []
    for start, end in sentences:
        tokens = token_spans(text[start:end])
        if len(tokens) <= max_tokens:
            out.append((start, end))
            counts.append(len(tokens))
            continue
        i = 0
        while i < len(tokens):
            n = min(max_tokens, len(tokens) - i)
            while True:
                # The first piece starts with the sentence, so characters the tokenizer
                # skips (zero-width, control) before the first token stay in a chunk.
                piece_start = start if i == 0 else start + tokens[i][0]
                stop = tokens[i + n][0] if i + n < len(tokens) else end - start
                piece_end = max(start + len(text[start : start + stop].rstrip()), piece_start + 1)
                count = len(token_spans(text[piece_start:piece_end]))
                if count <= max_tokens or n == 1:
                    break
                n -= 1  # a cut inside a word: its end alone tokenises longer
            out.append((piece_start, piece_end))
            counts.append(count)
            i += n
    return out, counts


def chunk_document(
    text: str,
    paragraphs: Sequence[Span],
    token_spans: TokenSpans,
    options: ChunkingOptions,
    *,
    sentences: Sequence[Span] | None = None,
) -> Chunked:
    """Cut a document into chunks of whole sentences, each at most ``options.max_tokens``.

    ``sentences``, if given, are the document's :func:`split_sentences` spans, split already.
    """
    if sentences is None:
        sentences = split_sentences(text, paragraphs)
    sentences, counts = fit_sentences(text, sentences, token_spans, options.max_tokens)
    paragraph_ends = {end for _, end in paragraphs}

    def measure(first: int, stop: int) -> int:
        return len(token_spans(text[sentences[first][0] : sentences[stop - 1][1]]))

    chunks: list[tuple[int, int]] = []
    for first, stop in _runs(text, sentences):
        chunks.extend(_pack(sentences, counts, first, stop, paragraph_ends, options, measure))
    return Chunked(sentences, chunks)


def _runs(text: str, sentences: Sequence[Span]) -> list[tuple[int, int]]:
    # A chunk may cross a paragraph break but never skipped boilerplate: consecutive
    # sentences share a run only when the text between them is white space.
    runs: list[tuple[int, int]] = []
    first = 0
    for i in range(1, len(sentences) + 1):
        if i == len(sentences) or text[sentences[i - 1][1] : sentences[i][0]].strip():
            if i > first:
                runs.append((first, i))
            first = i
    return runs


def _pack(
    sentences: Sequence[Span],
    counts: Sequence[int],
    first: int,
    stop: int,
    paragraph_ends: set[int],
    options: ChunkingOptions,
    measure: Callable[[int, int], int],
) -> list[tuple[int, int]]:
    budget = options.max_tokens
    chunks: list[tuple[int, int]] = []
    i = first
    covered = first  # sentences before this index are in a chunk already
    while i < stop:
        j = _fit(counts, i, stop, budget, measure)
        if j <= covered:
            # The overlap leaves no room for a new sentence: start after it instead.
            i = covered
            j = _fit(counts, i, stop, budget, measure)
        if j < stop:
            # Prefer to end at a paragraph break once the chunk is at least half full.
            acc = 0
            best = None
            for m in range(i, j):
                acc += counts[m]
                if sentences[m][1] in paragraph_ends and acc >= budget // 2 and m >= covered:
                    best = m + 1
            if best is not None:
                j = best
        chunks.append((i, j))
        covered = j
        if j >= stop:
            break
        i = max(j - options.overlap, i + 1)
    return chunks


def _fit(
    counts: Sequence[int], i: int, stop: int, budget: int, measure: Callable[[int, int], int]
) -> int:
    # Sentence counts add up to about the joined text's count; the joined text is measured
    # too, since a sentence cut inside a word tokenises differently once joined again.
    j = _fill(counts, i, stop, budget)
    while j - i > 1 and measure(i, j) > budget:
        j -= 1
    return j


def _fill(counts: Sequence[int], i: int, stop: int, budget: int) -> int:
    # One token of slack per sentence: the joined text may tokenise a little longer.
    j, used = i, 0
    while j < stop and used + counts[j] + (j > i) <= budget:
        used += counts[j] + (j > i)
        j += 1
    return max(j, i + 1)
