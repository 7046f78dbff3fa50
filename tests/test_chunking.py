"""Chunking: exact offsets, token limit, overlap, boilerplate out, byline in."""

from __future__ import annotations

import pytest

from index import ChunkingOptions
from index._chunk import chunk_document
from index._clean import content_paragraphs
from tests.conftest import CORPUS, require_shared
from tests.fakes import FakeEmbedder

PROSE = (
    "The first sentence is about apples and their orchards. The second sentence talks about "
    "pears, which grow nearby. A third one mentions plums; plums are purple. Then comes a "
    "fourth sentence on cherries. Finally a fifth sentence closes the paragraph about fruit."
)


def _chunks(text: str, *, kind: str = "markdown", max_tokens: int = 40, overlap: int = 1):
    emb = FakeEmbedder(max_tokens=max_tokens)
    paragraphs = content_paragraphs(text, kind=kind)
    chunked = chunk_document(
        text, paragraphs, emb.token_spans, ChunkingOptions(max_tokens=max_tokens, overlap=overlap)
    )
    return emb, chunked, [chunked.chunk_span(i) for i in range(len(chunked.chunks))]


def test_offsets_round_trip_and_sentences_are_exact() -> None:
    text = PROSE + "\n\n" + PROSE.replace("fruit", "trees")
    _, chunked, spans = _chunks(text)
    assert len(chunked.sentences) == 10
    for start, end in chunked.sentences:
        piece = text[start:end]
        assert piece == piece.strip() and piece
    for start, end in spans:
        assert text[start:end].startswith("The") or text[start:end][0].isupper()
        assert text[start:end] == text[start:end].strip()


def test_no_chunk_over_token_limit_and_long_sentence_split() -> None:
    long_sentence = " ".join(f"word{i}" for i in range(100)) + "."
    text = PROSE + "\n\n" + long_sentence
    emb, _, spans = _chunks(text, max_tokens=25)
    assert spans
    for start, end in spans:
        assert len(emb.token_spans(text[start:end])) <= 25
    covered = "".join(text[s:e] for s, e in spans)
    assert "word0" in covered and "word99" in covered  # nothing silently dropped


def test_chunks_overlap_by_one_sentence() -> None:
    _, chunked, _ = _chunks(PROSE, max_tokens=24)
    assert len(chunked.chunks) >= 3
    for (_, a_stop), (b_first, _) in zip(chunked.chunks, chunked.chunks[1:], strict=False):
        assert b_first == a_stop - 1, "the next chunk starts with the last sentence of this one"


def test_no_overlap_when_asked() -> None:
    _, chunked, _ = _chunks(PROSE, max_tokens=24, overlap=0)
    for (_, a_stop), (b_first, _) in zip(chunked.chunks, chunked.chunks[1:], strict=False):
        assert b_first == a_stop


def test_enumerations_stay_in_one_sentence() -> None:
    text = (
        "There are three rules: 1) be kind to others, 2) be brief in speech, "
        "3) be clear in writing. That is all there is to say."
    )
    _, chunked, _ = _chunks(text, max_tokens=60)
    first = text[slice(*chunked.sentences[0])]
    assert first.startswith("There are three rules") and first.endswith("writing.")


@pytest.fixture(scope="module")
def saved_page() -> str:
    return next(require_shared(CORPUS).glob("*.txt")).read_text(encoding="utf-8")


def test_boilerplate_kept_out_of_saved_page(saved_page: str) -> None:
    _, _, spans = _chunks(saved_page, kind="text", max_tokens=120)
    indexed = "\n".join(saved_page[s:e] for s, e in spans)
    for menu in (
        "Skip to main content",
        "CLERICI PALACE",
        "Radicalization and International",
        "Versione stampabile",
        "SUBSCRIBE TO NEWSLETTER",
        "Read more:",
        "EU and US: Cyber Friends or Digital Foes?",
        "P.IVA",
    ):
        assert menu not in indexed, f"boilerplate {menu!r} was indexed"
    assert "five main functions of diplomacy" in indexed


def test_title_byline_and_affiliation_kept(saved_page: str) -> None:
    _, _, spans = _chunks(saved_page, kind="text", max_tokens=120)
    indexed = "\n".join(saved_page[s:e] for s, e in spans)
    for wanted in (
        "Can Cyberspace Be Governed?",
        "Luigi Martino",
        "07 September 2021",
        "ISPI Associate Research Fellow",
    ):
        assert wanted in indexed, f"{wanted!r} should be indexed"


def test_every_body_sentence_is_in_a_chunk(saved_page: str) -> None:
    _, chunked, spans = _chunks(saved_page, kind="text", max_tokens=120)
    for s_start, s_end in chunked.sentences:
        assert any(c_start <= s_start and s_end <= c_end for c_start, c_end in spans)


def test_chunks_never_span_skipped_boilerplate() -> None:
    text = (
        "A real paragraph of running text that explains the topic in words. It has two "
        "sentences of content.\n  • Home\n  • About\n  • Contact\n  • Home\n  • About\n"
        "Another real paragraph of running text goes here with more content. It also has "
        "two sentences."
    )
    _, _, spans = _chunks(text, kind="text", max_tokens=200)
    for start, end in spans:
        assert "• Home" not in text[start:end]


def test_sentence_pieces_are_what_pysbd_segment_returns() -> None:
    # The chunker skips pysbd's own regex search for each sentence's position; its pieces
    # must still be exactly pysbd's, white space included.
    from index._chunk import _segment, _segmenter

    texts = [
        "Dr. Smith met Mr. Jones at 5 p.m. in the U.S. embassy.  They spoke for an hour.",
        "There are three rules: 1) be kind, 2) be brief, 3) be clear. That is all.",
        '"Is it governed?" she asked. Nobody knew.\n\nA new paragraph...   And more!',
        "Prices rose 3.5% in Q1 (see Fig. 2). Analysts, e.g. at the I.M.F., disagreed.",
        "Überall gilt: Régimes différents. 東京は大きい。 Done.",
        "   ",
        "No full stop at the end",
    ]
    for text in texts:
        assert _segment(text) == _segmenter().segment(text)
