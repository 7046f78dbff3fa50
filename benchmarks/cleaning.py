"""How well the boilerplate cleaner keeps content and drops site furniture, on a labelled set.

The set is tests/data/cleaning/: each file comes with ``FILE.labels``. For plain text and
Markdown the labels go line for line: ``C`` content, ``B`` boilerplate, ``?`` either (not
counted), ``.`` blank. For HTML (cleaned by its extractor, so lines do not survive as they
are) each label line is ``C phrase`` or ``B phrase``: a phrase that must, or must not, be
in the indexed text.

    .venv/bin/python -m benchmarks.cleaning    # writes benchmarks/results/cleaning.json
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data" / "cleaning"
OUT = REPO / "benchmarks" / "results" / "cleaning.json"


@dataclass(frozen=True)
class FileScore:
    """One labelled file: its kind and the lines (or phrases) kept and dropped by label."""

    name: str
    kind: str
    content_kept: int
    content_lost: tuple[str, ...]
    boilerplate_dropped: int
    boilerplate_kept: tuple[str, ...]


def labelled_files(folder: Path = DATA) -> list[Path]:
    """The files of the set: every file that has a ``.labels`` sidecar."""
    return sorted(p for p in folder.iterdir() if (p.parent / (p.name + ".labels")).is_file())


def score_file(path: Path) -> FileScore:
    """Index ``path`` as ``qa index`` reads it and compare what is kept with its labels."""
    from index import parse_document
    from index.parts import content_paragraphs

    doc = parse_document(path.read_bytes(), source=path.name, suffix=path.suffix.lower())
    spans = content_paragraphs(doc.text, kind=doc.kind)
    labels = (path.parent / (path.name + ".labels")).read_text(encoding="utf-8").splitlines()
    if doc.kind == "html":
        kept_text = " ".join(" ".join(doc.text[s:e].split()) for s, e in spans)
        return _score_phrases(path.name, doc.kind, kept_text, labels)
    lines = doc.text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) != len(labels):
        raise ValueError(f"{path.name}: {len(lines)} lines but {len(labels)} labels")
    content_kept = boilerplate_dropped = 0
    lost: list[str] = []
    survived: list[str] = []
    pos = 0
    for line, tag in zip(lines, labels, strict=True):
        start = pos + len(line) - len(line.lstrip())
        end = pos + len(line.rstrip())
        pos += len(line) + 1
        if tag not in ("C", "B"):
            if tag not in ("?", "."):
                raise ValueError(f"{path.name}: unknown label {tag!r}")
            continue
        kept = any(s <= start and end <= e for s, e in spans)
        if tag == "C":
            content_kept += kept
            if not kept:
                lost.append(line.strip())
        else:
            boilerplate_dropped += not kept
            if kept:
                survived.append(line.strip())
    return FileScore(
        path.name, doc.kind, content_kept, tuple(lost), boilerplate_dropped, tuple(survived)
    )


def _score_phrases(name: str, kind: str, kept_text: str, labels: list[str]) -> FileScore:
    content_kept = boilerplate_dropped = 0
    lost: list[str] = []
    survived: list[str] = []
    for raw in labels:
        if not raw.strip():
            continue
        tag, phrase = raw.split(" ", 1)
        present = phrase in kept_text
        if tag == "C":
            content_kept += present
            if not present:
                lost.append(phrase)
        elif tag == "B":
            boilerplate_dropped += not present
            if present:
                survived.append(phrase)
        else:
            raise ValueError(f"{name}: unknown label {tag!r}")
    return FileScore(name, kind, content_kept, tuple(lost), boilerplate_dropped, tuple(survived))


def summary(scores: list[FileScore]) -> dict[str, object]:
    """The totals written to the results file."""
    return {
        "files": len(scores),
        "kinds": dict(sorted(Counter(s.kind for s in scores).items())),
        "content_kept": sum(s.content_kept for s in scores),
        "content_lost": sum(len(s.content_lost) for s in scores),
        "boilerplate_dropped": sum(s.boilerplate_dropped for s in scores),
        "boilerplate_kept": sum(len(s.boilerplate_kept) for s in scores),
        "per_file": [asdict(s) for s in scores],
    }


def main() -> int:
    """Score every labelled file and write the results file."""
    scores = [score_file(p) for p in labelled_files()]
    result = summary(scores)
    OUT.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for s in scores:
        for line in s.content_lost:
            print(f"{s.name}: content lost: {line}", file=sys.stderr)
        for line in s.boilerplate_kept:
            print(f"{s.name}: boilerplate kept: {line}", file=sys.stderr)
    print(
        f"{result['files']} files: content kept {result['content_kept']}, "
        f"lost {result['content_lost']}; boilerplate dropped {result['boilerplate_dropped']}, "
        f"kept {result['boilerplate_kept']}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
