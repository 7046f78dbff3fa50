"""Property-based tests (hypothesis) of cleaning, tokenisation and chunking on arbitrary Unicode.

For any text: every span points into the text exactly, no chunk is over the token limit when
its own text is tokenised again, and every character the cleaner keeps is in some chunk.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index import ChunkingOptions, Document
from index._build import build_from_documents
from index._chunk import chunk_document
from index._clean import content_paragraphs
from index._store import open_store
from tests.fakes import FakeEmbedder

KINDS = ("text", "markdown", "html", "pdf")
PIECES = (
    " ", "  ", "\n", "\n\n", "\n\n\n", "\t", "\r\n", "\r", ". ", "? ", "! ", "...", "\u2026",
    "\xa0", "\u2028", "\u3000", "\x0c", "\x85", "- ", "\u2022 ", "* ", "1) ", "2. ", "# ",
    "Mr. ", "e.g. ", "U.S. ", '"', "\u201c", "\u201d", "(", ")", ":", ";", "\u200b", "\ufeff",
    "\u0301", "\U0001f375", "\u7da0\u8336\u3002", "\u0645\u0631\u062d\u0628\u0627",
)  # fmt: skip
WORD = st.from_regex(r"[A-Z]?[a-z]{1,12}", fullmatch=True)
LONG_WORD = st.from_regex(r"[a-z]{15,40}", fullmatch=True)
# Text shaped like documents (words, sentences, lines, lists) mixed with arbitrary Unicode.
DOCUMENTISH = st.lists(
    st.one_of(WORD, WORD, WORD, st.sampled_from(PIECES), st.text(max_size=8), LONG_WORD),
    max_size=300,
).map("".join)
ANY_TEXT = st.one_of(st.text(max_size=400), DOCUMENTISH)

TokenSpans = Callable[[str], list[tuple[int, int]]]


def _check(text: str, kind: str, token_spans: TokenSpans, options: ChunkingOptions) -> None:
    paragraphs = content_paragraphs(text, kind=kind)
    previous_end = 0
    for start, end in paragraphs:
        assert previous_end <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip()
        previous_end = end

    chunked = chunk_document(text, paragraphs, token_spans, options)
    for start, end in chunked.sentences:
        assert 0 <= start < end <= len(text)
        assert text[start:end].strip(), "an empty sentence"
        assert any(p_start <= start and end <= p_end for p_start, p_end in paragraphs)
    covered = bytearray(len(text))
    for i in range(len(chunked.chunks)):
        start, end = chunked.chunk_span(i)
        assert 0 <= start < end <= len(text)
        tokens = token_spans(text[start:end])
        assert len(tokens) <= options.max_tokens, (text[start:end], len(tokens))
        covered[start:end] = b"\x01" * (end - start)
    # Every character the cleaner kept (white space aside) is in some chunk.
    for p_start, p_end in paragraphs:
        for pos in range(p_start, p_end):
            if not text[pos].isspace():
                assert covered[pos], f"character {text[pos]!r} at {pos} is in no chunk"
    if kind != "text":  # only plain text has boilerplate to drop
        for pos, char in enumerate(text):
            assert covered[pos] or char.isspace(), f"{char!r} at {pos} dropped from {kind}"


FAKE = FakeEmbedder()


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=ANY_TEXT, kind=st.sampled_from(KINDS), max_tokens=st.integers(2, 40))
def test_chunks_with_fake_tokens(text: str, kind: str, max_tokens: int) -> None:
    overlap = 1 if max_tokens > 4 else 0
    _check(text, kind, FAKE.token_spans, ChunkingOptions(max_tokens=max_tokens, overlap=overlap))


@settings(max_examples=300, deadline=None)
@given(text=ANY_TEXT)
def test_fake_token_offsets_round_trip(text: str) -> None:
    spans = FAKE.token_spans(text)
    previous = 0
    for start, end in spans:
        assert previous <= start < end <= len(text)
        assert not text[start:end].isspace()
        previous = end
    rest = list(text)
    for start, end in spans:
        rest[start:end] = [" "] * (end - start)
    assert "".join(rest).strip() == "", "a character belongs to no token"


@settings(max_examples=200, deadline=None)
@given(text=ANY_TEXT, kind=st.sampled_from(KINDS))
def test_paragraphs_are_exact_and_ordered(text: str, kind: str) -> None:
    spans = content_paragraphs(text, kind=kind)
    assert spans == sorted(spans)
    for (_, a_end), (b_start, _) in itertools.pairwise(spans):
        assert a_end < b_start
        assert "\n" in text[a_end:b_start], "paragraphs are separated by a line break"
    if text.strip() and kind != "text":
        assert spans, "content kinds keep every non-blank line"


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    # NUL is refused by both stores alike, with a message (tests/test_pg_errors.py).
    texts=st.lists(
        ANY_TEXT.filter(lambda t: t.strip() and "\x00" not in t), min_size=1, max_size=4
    ),
    kind=st.sampled_from(KINDS),
)
def test_index_round_trip_keeps_every_character(
    texts: list[str], kind: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    docs = [
        Document(f"doc-{i}.txt", "title", text, kind, f"{i:064x}") for i, text in enumerate(texts)
    ]
    out = tmp_path_factory.mktemp("prop")
    try:
        build_from_documents(docs, out, embedder=FakeEmbedder())
    except Exception as exc:  # only "nothing to index" is acceptable, and only for no words
        from index import EmptyCorpusError

        assert isinstance(exc, EmptyCorpusError), exc
        return
    store = open_store(out)
    assert [d.text for d in store.documents] == texts
    for i in range(len(store)):
        doc, start, end = store.passage_span(i)
        assert doc.text[start:end] == store.passage_text(i) != ""
        for s_start, s_end in store.sentence_spans(i):
            assert start <= s_start < s_end <= end


# -- the real model's tokenizer ------------------------------------------------------------


@lru_cache(maxsize=1)
def _real_tokenizer() -> Any:
    from transformers import AutoTokenizer

    from index._embed import resolve_model_location

    return AutoTokenizer.from_pretrained(resolve_model_location("all-MiniLM-L6-v2"))


def _real_spans(text: str) -> list[tuple[int, int]]:
    encoded = _real_tokenizer()(
        text, add_special_tokens=False, return_offsets_mapping=True, verbose=False
    )
    return [(int(a), int(b)) for a, b in encoded["offset_mapping"]]


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=ANY_TEXT, kind=st.sampled_from(KINDS), max_tokens=st.integers(8, 128))
def test_chunks_with_the_real_tokenizer(text: str, kind: str, max_tokens: int) -> None:
    _check(text, kind, _real_spans, ChunkingOptions(max_tokens=max_tokens, overlap=1))


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(text=ANY_TEXT)
def test_real_token_offsets_round_trip(text: str) -> None:
    previous = 0
    for start, end in _real_spans(text):
        assert previous <= start <= end <= len(text)
        previous = start


def test_model_folder_is_packaged() -> None:
    from index._embed import resolve_model_location

    assert Path(resolve_model_location("all-MiniLM-L6-v2")).is_dir()
