"""Example questions that fit the loaded corpus, made from the documents' titles and headings."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import index
from index import parts

_SITE_SUFFIX = re.compile(r"\s+[|\u2013\u2014-]\s+[^|\u2013\u2014]{1,40}$")  # "Title | Site"
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_MIN_WORDS, _MAX_WORDS = 2, 14


def example_questions(
    documents: Sequence[index.Document],
    *,
    configured: Sequence[str] = (),
    limit: int = 4,
) -> list[str]:
    """Up to ``limit`` example questions.

    Questions from the configuration come first. The rest are made from the documents, one
    per document in turn: a title or heading that is already a question is used as it is,
    others become "What does the text say about ...?".
    """
    out: list[str] = []
    seen: set[str] = set()

    def add(question: str) -> None:
        key = question.casefold()
        if question and key not in seen and len(out) < limit:
            seen.add(key)
            out.append(question)

    for q in configured:
        add(" ".join(q.split()))
    per_doc = [_headings(doc) for doc in documents]
    # Round-robin, questions first: every document gets a turn before one gets a second.
    rounds = [sorted(h, key=lambda s: not s.endswith("?")) for h in per_doc]
    depth = max((len(r) for r in rounds), default=0)
    for i in range(depth):
        for r in rounds:
            if i < len(r):
                add(_as_question(r[i]))
    return out


def _headings(doc: index.Document) -> list[str]:
    found: list[str] = []
    for text in _candidates(doc):
        text = _SITE_SUFFIX.sub("", _MD_HEADING.sub("", text)).strip(" :-#*")
        words = len(text.split())
        if _MIN_WORDS <= words <= _MAX_WORDS and text not in found and not text.isupper():
            found.append(text)
    return found


def _candidates(doc: index.Document) -> Iterator[str]:
    yield doc.title.strip()
    # Headings: one-line content paragraphs that do not end a sentence with a full stop.
    for start, end in parts.content_paragraphs(doc.text, kind=doc.kind)[:200]:
        para = doc.text[start:end].strip()
        if "\n" not in para and not para.endswith((".", ",", ";")) and len(para) <= 120:
            yield para


def _as_question(heading: str) -> str:
    if heading.endswith("?"):
        return heading
    return f"What does the text say about {heading.rstrip('.!:')}?"
