"""Feedback on answers, and the evaluation file it becomes.

The chat stores one record per vote (:func:`record_feedback`): the question, how it was
asked (mode, passages, documents), the answer's quotes and passages with their sources and
character offsets, the vote and the time. ``qa feedback export`` turns the records into an
evidence file (JSON lines with ``q``, ``evidence``, ``unanswerable``, optional ``source``),
the format ``qa eval`` and ``qa calibrate`` read. Per question (its text and the documents
it was asked of), the mapping is:

* a passage marked "this answers it": **answerable**, the marked passages are its evidence;
* thumbs up on an answer: **answerable**, its quotes are the evidence (with any marked passages);
* thumbs up on a refusal ("not in the documents"): **unanswerable**; the refusal was right;
* thumbs down on an answer, no passage marked: **unanswerable**; the bot should not have
  answered with those quotes, and nothing better was named (mark the passage that does
  answer it, and the question becomes answerable);
* thumbs down on a refusal, no passage marked: left out (the right evidence is unknown).

The latest thumb on a question decides (a thumb taken back leaves none); marked passages
always count.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from index import QAError
from index.parts import append_feedback, read_feedback
from qa import Answer

#: up / down: thumbs on the answer; cleared: a thumb taken back; answers: a passage marked.
Vote = Literal["up", "down", "cleared", "answers"]
VOTES: tuple[str, ...] = ("up", "down", "cleared", "answers")


class FeedbackError(QAError):
    """Feedback cannot be stored or exported as asked."""


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote."""

    path: Path
    answerable: int
    unanswerable: int
    left_out: int  # questions whose feedback names no evidence (a refusal voted down)
    records: int


def feedback_record(
    answer: Answer,
    *,
    vote: Vote,
    mode: str,
    k: int,
    sources: Sequence[str] | None = None,
    passage: int | None = None,
    threshold: float | None = None,
) -> dict[str, Any]:
    """The record of a vote on ``answer`` (``passage``: the passage marked "answers it")."""
    if vote not in VOTES:
        raise FeedbackError(f"a vote is one of {', '.join(VOTES)}, not {vote!r}")
    if (vote == "answers") != (passage is not None):
        raise FeedbackError("name the passage that answers it, and only with that vote")
    if passage is not None and not 0 <= passage < len(answer.passages):
        raise FeedbackError(f"the answer has no passage {passage}; reload the page")
    return {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "vote": vote,
        "question": answer.question,
        "mode": mode,
        "k": int(k),
        "sources": sorted(sources) if sources else None,
        "found": answer.found,
        "confidence": answer.confidence,
        "threshold": threshold,
        "quotes": [
            {
                "text": q.text,
                "source": q.source,
                "start": q.start,
                "end": q.end,
                "location": q.location,
                "passage": q.passage,
            }
            for q in answer.quotes
        ],
        "passages": [
            {
                "text": p.text,
                "source": p.source,
                "start": p.start,
                "end": p.end,
                "location": p.location,
                "similarity": p.similarity,
            }
            for p in answer.passages
        ],
        "passage": passage,
    }


def record_feedback(location: str | os.PathLike[str], record: dict[str, Any]) -> None:
    """Store a record made by :func:`feedback_record` with the index at ``location``."""
    append_feedback(location, record)


def load_feedback(location: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every feedback record of the index at ``location``, oldest first."""
    return read_feedback(location)


def evaluation_rows(records: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Evidence-file rows for ``records`` (see the module's mapping), and how many questions
    were left out for want of evidence."""
    groups: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = {}
    for r in records:
        key = (" ".join(str(r.get("question", "")).split()), tuple(r.get("sources") or ()))
        if key[0]:
            groups.setdefault(key, []).append(r)
    rows: list[dict[str, Any]] = []
    left_out = 0
    for (question, sources), group in groups.items():
        marked = [
            r["passages"][r["passage"]]
            for r in group
            if r.get("vote") == "answers" and _valid_passage(r)
        ]
        votes = [r for r in group if r.get("vote") in ("up", "down", "cleared")]
        last = votes[-1] if votes and votes[-1]["vote"] != "cleared" else None
        evidence = [p["text"] for p in marked]
        if last is not None and last["vote"] == "up" and last.get("found"):
            evidence += [q["text"] for q in last.get("quotes", [])]
        row: dict[str, Any] = {"id": _id(question, sources), "q": question}
        if len(sources) == 1:
            row["source"] = sources[0]  # asked of that document alone, as the chat did
        if evidence:
            row["evidence"] = list(dict.fromkeys(evidence))
        elif last is not None and (last["vote"] == "down") == bool(last.get("found")):
            # Down on an answer (wrong quotes, nothing better named) or up on a refusal.
            row["unanswerable"] = True
            row["evidence"] = []
            if last.get("found"):
                row["wrong_quotes"] = [q["text"] for q in last.get("quotes", [])]
        else:
            left_out += 1
            continue
        rows.append(row)
    return rows, left_out


def export_feedback(location: str | os.PathLike[str], out: str | os.PathLike[str]) -> ExportReport:
    """Write the feedback of the index at ``location`` as an evidence file at ``out``."""
    records = load_feedback(location)
    if not records:
        raise FeedbackError(
            f"no feedback stored with {location}; vote on answers in the chat first"
        )
    rows, left_out = evaluation_rows(records)
    if not rows:
        raise FeedbackError(
            f"none of the {len(records)} feedback record(s) names evidence or a wrong answer; "
            "mark the passages that answer the questions"
        )
    path = Path(out)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
        os.replace(tmp, path)
    except OSError as exc:
        raise FeedbackError(f"cannot write {path} ({exc.strerror}); choose another --out") from None
    unanswerable = sum(1 for r in rows if r.get("unanswerable"))
    return ExportReport(path, len(rows) - unanswerable, unanswerable, left_out, len(records))


def _valid_passage(record: dict[str, Any]) -> bool:
    i = record.get("passage")
    passages = record.get("passages") or []
    return isinstance(i, int) and 0 <= i < len(passages)


def _id(question: str, sources: tuple[str, ...]) -> str:
    key = json.dumps([question, list(sources)], ensure_ascii=False)
    return "fb-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
