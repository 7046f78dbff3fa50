"""Evaluation data sets: BEIR folders, evidence files and QASPER-style folders, read into
one shape."""

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
    #: The document the question is asked of alone (its source name in the index), if any.
    source: str | None = None


@dataclass(frozen=True)
class Dataset:
    """Questions plus the corpus they are asked of (in memory, or as paths on disk)."""

    name: str
    kind: str  # "beir" (document-level relevance) or "evidence" (phrases or paragraphs)
    questions: tuple[EvalQuestion, ...]
    documents: tuple[Document, ...] = ()  # BEIR: the corpus, built in memory
    corpus_paths: tuple[Path, ...] = ()  # evidence files: files and folders to index


def load_dataset(
    path: str | os.PathLike[str],
    *,
    corpus: str | os.PathLike[str] | None = None,
    need_corpus: bool = True,
) -> Dataset:
    """Read a BEIR folder (``corpus.jsonl``, ``queries.jsonl``, ``qrels/test.tsv``), a
    QASPER-style folder (``questions.jsonl`` and ``docs/``) or an evidence file (JSON lines
    with ``q``, ``evidence`` and optional ``unanswerable``, ``source`` or ``paper``).

    An evidence file is asked of ``corpus`` (files or a folder); without it, a ``corpus``
    folder beside the file or beside its folder is used. ``need_corpus=False`` reads the
    questions of an evidence file alone (to ask them of an index built already).
    """
    root = Path(path)
    if root.is_dir() and (root / "questions.jsonl").is_file() and (root / "docs").is_dir():
        return load_qasper(root)
    if root.is_dir():
        return load_beir(root)
    if root.is_file():
        return load_evidence(root, corpus=corpus, need_corpus=need_corpus)
    raise DatasetError(
        f"no data set at {root}; give a BEIR folder (corpus.jsonl, queries.jsonl, "
        "qrels/test.tsv), a folder with questions.jsonl and docs/, or an evidence file (.jsonl)"
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


def load_evidence(
    path: Path, *, corpus: str | os.PathLike[str] | None = None, need_corpus: bool = True
) -> Dataset:
    """Read an evidence file and find the corpus it is asked of.

    A question with a ``source`` (or ``paper``) field is asked of that document alone: its
    source name in the index built from the corpus (the path below the corpus folder).
    """
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
                source=_source(record, path, line_no),
            )
        )
    if not questions:
        raise DatasetError(f"{path} holds no questions")
    if corpus is None and not need_corpus:
        return Dataset(name=path.stem, kind="evidence", questions=tuple(questions))
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


def load_qasper(folder: Path) -> Dataset:
    """Read a QASPER-style folder: ``questions.jsonl`` asked of the files in ``docs/``.

    Each question (``q``, ``paper``, ``evidence``, ``unanswerable``) is asked of its paper
    alone (``paper`` names the file in ``docs/``, which is its source name in the index).
    Its evidence is whole paragraphs of the paper. Answerable questions without evidence are
    left out: nothing could count as finding their answer.
    """
    path = folder / "questions.jsonl"
    docs = folder / "docs"
    questions = []
    for line_no, record in _jsonl(path):
        text = _field(record, "q", path, line_no)
        source = _source(record, path, line_no)
        if source is None:
            raise DatasetError(f"{path}:{line_no}: the field 'paper' is missing")
        if not (docs / source).is_file():
            raise DatasetError(
                f"{path}:{line_no}: the paper {source!r} is not in {docs}; add it or fix 'paper'"
            )
        raw = record.get("evidence") or []
        if not isinstance(raw, list):
            raise DatasetError(f"{path}:{line_no}: 'evidence' must be a list of paragraphs")
        evidence = tuple(str(e) for e in raw if str(e).strip())
        unanswerable = bool(record.get("unanswerable", False))
        if not evidence and not unanswerable:
            continue
        questions.append(
            EvalQuestion(
                id=str(record.get("id", line_no)),
                text=text,
                # QASPER's answers are not used as gold answers: many are written by the
                # annotators ("Yes", summaries), not copied from the paper.
                evidence=evidence,
                unanswerable=unanswerable,
                source=source,
            )
        )
    if not questions:
        raise DatasetError(f"{path} holds no questions with evidence or marked unanswerable")
    return Dataset(
        name=folder.resolve().name,
        kind="evidence",
        questions=tuple(questions),
        corpus_paths=(docs,),
    )


def _source(record: dict[str, Any], path: Path, line_no: int) -> str | None:
    # The document a question is asked of: "source" (a source name in the index), or
    # "paper" (QASPER's name for it: the file in the corpus folder).
    name = "source" if "source" in record else "paper"
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise DatasetError(f"{path}:{line_no}: {name!r} must be a document's name (text)")
    return value


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
