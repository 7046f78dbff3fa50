"""Renderers of the follow-up figures (docs/QUALITY.md, README), from
``benchmarks/results/followups.json`` (``benchmarks/followups.py``)."""

from __future__ import annotations

from pathlib import Path

from benchmarks._report_format import bold, fixed, pct, read_json, table

HALVES = {
    "test": "test half (odd lines, never fitted on)",
    "fit": "fit half (even lines)",
    "all": "whole set",
}


def followups_table(results: Path) -> str:
    """Second turns with and without history, per half, and the options chosen."""
    data = read_json(results, "followups.json")
    rows = []
    for key, label in HALVES.items():
        f = data[key]
        cells = [
            label,
            str(f["followups"]),
            f"{fixed(f['hit@1 without history'], 3)} \u2192 {fixed(f['hit@1 with history'], 3)}",
            f"{fixed(f['quote without history'], 3)} \u2192 {fixed(f['quote with history'], 3)}",
            pct(f["followups carried"]) + "%",
            str(f["new topics"]),
            pct(f["new topics dropped"]) + "%",
        ]
        rows.append([bold(c) for c in cells] if key == "test" else cells)
    header = [
        "conversations",
        "follow-ups",
        "evidence@1: alone \u2192 with history",
        "first quote right: alone \u2192 with history",
        "follow-ups carried",
        "new topics",
        "new topics searched alone",
    ]
    fitted = ", ".join(f"`{name}={value}`" for name, value in data["fitted"].items())
    note = (
        f"{data['conversations']} conversations, model {data['model']}; options chosen on the "
        f"fit half from {len(data['grid'])} grid points: {fitted}."
    )
    return table(header, rows) + "\n\n" + note


def followups_summary(results: Path) -> str:
    """The test half's gain, as a phrase."""
    f = read_json(results, "followups.json")["test"]
    return (
        f"on the held-out half, the first quote is right for "
        f"{pct(f['quote with history'])}% of follow-ups with the history against "
        f"{pct(f['quote without history'])}% asked alone, and "
        f"{pct(f['new topics dropped'])}% of new-topic questions are searched alone"
    )


FOLLOWUP_REGIONS = {"followups": followups_table, "followups-summary": followups_summary}
