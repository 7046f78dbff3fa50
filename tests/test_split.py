"""Sentence splitting of many documents in child processes: same spans, failures recovered."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest

import index._split as split
from index._chunk import split_sentences
from index._clean import content_paragraphs
from tests.conftest import CORPUS, SQUAD, require_shared


def _jobs() -> list[tuple[str, list[tuple[int, int]]]]:
    folder = require_shared(CORPUS)
    texts = [p.read_text(encoding="utf-8") for p in sorted(folder.iterdir()) if p.is_file()]
    with (require_shared(SQUAD) / "corpus.jsonl").open(encoding="utf-8") as fh:
        texts += [json.loads(line)["text"] for _, line in zip(range(60), fh, strict=False)]
    # Odd characters must survive the trip to the child and back (JSON in ASCII).
    texts.append("Caf\u00e9 \u6771\u4eac. Emoji \U0001f600 here. A lone \ud800 surrogate. End.")
    return [(t, content_paragraphs(t, kind="text")) for t in texts]


@pytest.fixture
def child_shares(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many parts each child process was given (the real children still run)."""
    sizes: list[int] = []
    real = split.run_child

    def counted(share: list[split.Job]) -> list[list[tuple[int, int]]]:
        sizes.append(len(share))
        return real(share)

    monkeypatch.setattr(split, "run_child", counted)
    return sizes


def test_children_split_exactly_as_this_process_does(child_shares: list[int]) -> None:
    jobs = _jobs()
    expected = [split_sentences(text, paragraphs) for text, paragraphs in jobs]
    assert split.split_documents(jobs, workers=3, min_chars=0) == expected
    parts, _ = split._parts(jobs)
    assert len(child_shares) == 2 and sum(child_shares) < len(parts)  # this process split some


def test_one_long_document_is_split_in_parts_on_every_core(child_shares: list[int]) -> None:
    text = "\n\n".join([t for t, _ in _jobs()[1:]] * 2)  # one document, many paragraphs
    paragraphs = content_paragraphs(text, kind="text")
    assert len(text) > 2 * split.PART_CHARS
    [got] = split.split_documents([(text, paragraphs)], workers=2, min_chars=0)
    assert got == split_sentences(text, paragraphs)
    assert child_shares and child_shares[0] >= 1
    parts, owners = split._parts([(text, paragraphs)])
    assert len(parts) >= 2 and all(doc == 0 for doc, _ in owners)
    assert all(
        len(part) <= split.PART_CHARS + max(e - s for s, e in paragraphs) for part, _ in parts
    )


def test_small_corpora_stay_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(share: object) -> object:
        raise AssertionError("no child process for a small corpus")

    monkeypatch.setattr(split, "run_child", refuse)
    jobs = _jobs()[-3:]
    assert split.split_documents(jobs, workers=2) == [split_sentences(*j) for j in jobs]
    assert split.split_documents(jobs, workers=1, min_chars=0) == [
        split_sentences(*j) for j in jobs
    ]


def test_a_failing_child_is_logged_and_its_share_split_here(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\necho 'no python here' >&2\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(broken))
    jobs = _jobs()
    with caplog.at_level(logging.WARNING, logger="index._split"):
        got = split.split_documents(jobs, workers=2, min_chars=0)
    assert got == [split_sentences(*j) for j in jobs]
    assert "exit status 3: no python here" in caplog.text


@pytest.mark.parametrize(
    ("sizes", "parts", "expected"),
    [
        ([10, 10, 10, 10], 2, [(0, 2), (2, 4)]),
        ([100, 1, 1, 1], 2, [(0, 1), (1, 4)]),
        ([1, 1, 1, 100], 2, [(0, 3), (3, 4)]),
        ([5, 5, 5], 3, [(0, 1), (1, 2), (2, 3)]),
    ],
)
def test_shares_are_contiguous_and_balanced(
    sizes: list[int], parts: int, expected: list[tuple[int, int]]
) -> None:
    assert split._shares(sizes, parts) == expected


def test_workers_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        split.split_documents([], workers=0)


def test_shares_cover_every_document_once() -> None:
    import random

    rng = random.Random(7)
    for _ in range(500):
        sizes = [rng.randint(0, 50) for _ in range(rng.randint(1, 12))]
        parts = rng.randint(1, len(sizes))
        shares = split._shares(sizes, parts)
        assert len(shares) == parts
        assert shares[0][0] == 0 and shares[-1][1] == len(sizes)
        assert all(a < b for a, b in shares)
        assert all(shares[i][1] == shares[i + 1][0] for i in range(parts - 1))


def test_progress_counts_every_document(capsys: pytest.CaptureFixture[str]) -> None:
    jobs = _jobs()
    assert split.split_documents(jobs, workers=2, min_chars=0, progress=True) == [
        split_sentences(*j) for j in jobs
    ]
    err = capsys.readouterr().err
    assert "sentences" in err and "100%" in err
