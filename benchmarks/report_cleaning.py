"""Renderer of the boilerplate-cleaning figures (docs/RELIABILITY.md), from cleaning.json."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from benchmarks._report_format import read_json, table


def cleaning_set(results: Path) -> str:
    """Totals over the labelled set, then its files with their counts."""
    data = read_json(results, "cleaning.json")
    kinds = ", ".join(f"{n} {kind}" for kind, n in data["kinds"].items())
    totals = table(
        [
            "files",
            "content lines kept",
            "content lines lost",
            "boilerplate dropped",
            "boilerplate kept",
        ],
        [
            [
                f"{data['files']} ({kinds})",
                str(data["content_kept"]),
                str(data["content_lost"]),
                str(data["boilerplate_dropped"]),
                str(data["boilerplate_kept"]),
            ]
        ],
        right_from=1,
    )
    rows = [
        [
            f"`{f['name']}`",
            f["kind"],
            str(f["content_kept"]),
            str(len(f["content_lost"])),
            str(f["boilerplate_dropped"]),
            str(len(f["boilerplate_kept"])),
        ]
        for f in data["per_file"]
    ]
    files = table(
        ["file", "kind", "content kept", "lost", "boilerplate dropped", "kept"], rows, right_from=2
    )
    return totals + "\n\n" + files


CLEANING_REGIONS: dict[str, Callable[[Path], str]] = {"cleaning-set": cleaning_set}
