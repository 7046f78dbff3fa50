"""``qa index --explain FILE``: what the cleaner would keep out of a file, and why."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import index
from index import parts


def explain(paths: Sequence[str], *, max_file_bytes: int) -> list[str]:
    """One line per dropped block of each file (nothing is built or written)."""
    out: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            raise index.DocumentError(f"{raw}: --explain takes files, not folders; name a file")
        [found] = parts.find_files([path])
        doc = parts.read_document(found, max_bytes=max_file_bytes)
        dropped = parts.explain_cleaning(doc.text, kind=doc.kind)
        if doc.kind == "html":
            out.append(f"{raw}: HTML; its extractor (trafilatura) keeps the main text only")
        elif doc.kind != "text":
            out.append(f"{raw}: {doc.kind}; indexed whole (only plain text is cleaned)")
        elif not dropped:
            out.append(f"{raw}: nothing kept out")
        for d in dropped:
            where = (
                f"line {d.first_line}"
                if d.first_line == d.last_line
                else (f"lines {d.first_line}-{d.last_line}")
            )
            out.append(f"{raw}:{where}: {d.reason}: {d.text!r}")
    return out
