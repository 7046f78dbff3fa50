"""Evaluation data sets: BEIR folders and evidence files, read into one shape."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index import Document, QAError


class DatasetError(QAError):
    """An evaluation data set is missing or malformed."""


@dataclass(frozen=True)
class EvalQuestion:
    """One question and what counts as a right answer to it."""

    id: str
    text: str
    #: Ids of the relevant documents (BEIR qrels); empty for evidence files.
    relevant: frozenset[str] = frozenset()
    #: Phrases a passage must contain to count as evidence (evidence files).
    evidence: tuple[str, ...] = ()
    #: Gold answer strings (SQuAD's ``metadata.answers``), for quote accuracy.
    answers: tuple[str, ...] = ()
    unanswerable: bool = False


@dataclass(frozen=True)
class Dataset:
    """Questions plus the corpus they are asked of (in memory, or as paths on disk)."""

    name: str
    kind: str  # "beir" (document-level relevance) or "evidence" (phrases in passages)
    questions: tuple[EvalQuestion, ...]
    documents: tuple[Document, ...] = ()  # BEIR: the corpus, built in memory
    corpus_paths: tuple[Path, ...] = ()  # evidence files: files and folders to index


def load_dataset(
    path: str | os.PathLike[str], *, corpus: str | os.PathLike[str] | None = None
) -> Dataset:
    """Read a BEIR folder (``corpus.jsonl``, ``queries.jsonl``, ``qrels/test.tsv``) or an
    evidence file (JSON lines with ``q``, ``evidence`` and optional ``unanswerable``).

    An evidence file is asked of ``corpus`` (files or a folder); without it, a ``corpus``
    folder beside the file or beside its folder is used.
    """
    root = Path(path)
    if root.is_dir():
        return load_beir(root)
    if root.is_file():
        return load_evidence(root, corpus=corpus)
    raise DatasetError(
        f"no data set at {root}; give a BEIR folder (corpus.jsonl, queries.jsonl, "
        "qrels/test.tsv) or an evidence file (.jsonl)"
    )


def load_beir(folder: Path, *, split: str = "test") -> Dataset:
    """Read a BEIR folder; only questions with relevance judgements are kept."""
    corpus_file = folder / "corpus.jsonl"
    queries_file = folder / "queries.jsonl"
    qrels_file = folder / "qrels" / f"{split}.tsv"
    for needed in (corpus_file, queries_file, qrels_file):
        if not needed.is_file():
            raise DatasetError(
                f"{folder} is not a BEIR folder: {needed.relative_to(folder)} is missing"
            )
    documents = []
    seen: set[str] = set()
    for line_no, record in _jsonl(corpus_file):
        doc_id = _field(record, "_id", corpus_file, line_no)
        text = _field(record, "text", corpus_file, line_no)
        if doc_id in seen:
            raise DatasetError(f"{corpus_file}:{line_no}: document id {doc_id!r} appears twice")
        seen.add(doc_id)
        if not text.strip():
            continue  # nothing to index; questions pointing here can only be missed
        title = str(record.get("title") or "")
        documents.append(
            Document(
                source=doc_id,
                title=title or doc_id,
                text=text,
                kind="markdown",  # content as is: no web-page boilerplate to strip
                sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            )
        )
    if not documents:
        raise DatasetError(f"{corpus_file} holds no documents with text")
    qrels = read_qrels(qrels_file)
    questions = []
    for line_no, record in _jsonl(queries_file):
        qid = _field(record, "_id", queries_file, line_no)
        if qid not in qrels:
            continue
        metadata = record.get("metadata") or {}
        answers = metadata.get("answers", []) if isinstance(metadata, dict) else []
        questions.append(
            EvalQuestion(
                id=qid,
                text=_field(record, "text", queries_file, line_no),
                relevant=frozenset(qrels[qid]),
                answers=tuple(str(a) for a in answers if str(a).strip()),
            )
        )
    if not questions:
        raise DatasetError(f"no question in {queries_file} has a judgement in {qrels_file}")
    return Dataset(
        name=folder.resolve().name,
        kind="beir",
        questions=tuple(questions),
        documents=tuple(documents),
    )


def read_qrels(path: Path) -> dict[str, set[str]]:
    """Relevant document ids per query id from a BEIR qrels TSV (header, any line ends)."""
    relevant: dict[str, set[str]] = {}
    text = path.read_text(encoding="utf-8-sig")
    for line_no, line in enumerate(text.splitlines(), start=1):  # CRLF or LF alike
        cells = line.strip().split("\t")
        if not line.strip():
            continue
        if line_no == 1 and not _is_number(cells[-1]):
            continue  # the header: query-id, corpus-id, score
        if len(cells) < 2:
            raise DatasetError(f"{path}:{line_no}: expected query-id<TAB>corpus-id<TAB>score")
        score = cells[2] if len(cells) > 2 else "1"
        if not _is_number(score):
            raise DatasetError(f"{path}:{line_no}: the score {score!r} is not a number")
        if float(score) > 0:
            relevant.setdefault(cells[0].strip(), set()).add(cells[1].strip())
    return relevant


def load_evidence(path: Path, *, corpus: str | os.PathLike[str] | None = None) -> Dataset:
    """Read an evidence file and find the corpus it is asked of."""
    questions = []
    for line_no, record in _jsonl(path):
        text = _field(record, "q", path, line_no)
        evidence = record.get("evidence") or []
        if not isinstance(evidence, list):
            raise DatasetError(f"{path}:{line_no}: 'evidence' must be a list of phrases")
        unanswerable = bool(record.get("unanswerable", False))
        if not evidence and not unanswerable:
            raise DatasetError(
                f'{path}:{line_no}: give evidence phrases or mark it "unanswerable": true'
            )
        questions.append(
            EvalQuestion(
                id=str(record.get("id", line_no)),
                text=text,
                evidence=tuple(str(e) for e in evidence),
                answers=tuple(str(a) for a in record.get("answers", [])),
                unanswerable=unanswerable,
            )
        )
    if not questions:
        raise DatasetError(f"{path} holds no questions")
    if corpus is None:
        candidates = [path.parent / "corpus", path.parent.parent / "corpus"]
        found = next((c for c in candidates if c.exists()), None)
        if found is None:
            raise DatasetError(
                f"no corpus for {path.name}: pass --corpus PATH (the files the questions ask of)"
            )
        corpus = found
    corpus_path = Path(corpus)
    if not corpus_path.exists():
        raise DatasetError(f"the corpus {corpus_path} does not exist; check --corpus")
    return Dataset(
        name=path.stem,
        kind="evidence",
        questions=tuple(questions),
        corpus_paths=(corpus_path,),
    )


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8-sig") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path}:{line_no}: not valid JSON ({exc.msg})") from None
            if not isinstance(record, dict):
                raise DatasetError(f"{path}:{line_no}: expected a JSON object")
            yield line_no, record


def _field(record: dict[str, Any], name: str, path: Path, line_no: int) -> str:
    value = record.get(name)
    if value is None or isinstance(value, dict | list):
        raise DatasetError(f"{path}:{line_no}: the field {name!r} is missing")
    return str(value)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
