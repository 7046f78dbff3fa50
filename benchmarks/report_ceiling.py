"""Renderers of how far the open answer-layer goals are from what its features reach.

Their results file: ``benchmarks/results/ceiling.json`` (``benchmarks/ceiling.py``).
"""

from __future__ import annotations

from pathlib import Path

from benchmarks._report_format import fixed, pct, read_json, table
from benchmarks.report_quality import DECISION_STYLES


def _pair(refused: float, answerable: float) -> str:
    return f"{pct(refused)}% at {pct(answerable)}%"


def refusal_ceiling(results: Path) -> str:
    """Negatives refused (at answerable refused) by the shipped decision and by the
    cross-validated per-style ceiling, and what the ceiling pays for 95% refused."""
    data = read_json(results, "ceiling.json")["refusal"]
    rows = []
    for style, label in DECISION_STYLES.items():
        row = data[style]
        rows.append(
            [
                label,
                f"{row['negatives']} ({row['held-out negatives']})",
                _pair(row["shipped: negatives refused"], row["shipped: answerable refused"]),
                _pair(row["at 3%: negatives refused"], row["at 3%: answerable refused"]),
                _pair(
                    row["ceiling at 3%: negatives refused"],
                    row["ceiling at 3%: answerable refused"],
                ),
                pct(row["ceiling: answerable refused for 95% of negatives"]) + "%",
            ]
        )
    header = [
        "style",
        "negatives (held-out half)",
        "shipped threshold",
        "threshold at 3% of this half",
        "per-style ceiling at 3%",
        "answerable the ceiling refuses to refuse 95%",
    ]
    return table(header, rows, right_from=2)


def answerable_negatives(results: Path) -> str:
    """How many negatives the indexed documents answer, as a phrase."""
    data = read_json(results, "ceiling.json")
    squad = data["squad negatives answered"]
    qasper = data["qasper shared questions"]
    return (
        f"{pct(squad['gold answer in the first three passages'])}% of the "
        f"{squad['questions']:,} held-out SQuAD questions asked of the other articles have "
        f"their gold answer text in the first three passages, and "
        f"{pct(qasper['asked of more than one paper'])}% of QASPER's {qasper['questions']} "
        f"answerable questions are asked word for word of more than one paper"
    )


def qasper_evidence_ceiling(results: Path) -> str:
    """The shipped QASPER order against the QASPER-only reranker, as a phrase."""
    data = read_json(results, "ceiling.json")["qasper evidence"]
    return (
        f"evidence@1 {fixed(data['ceiling@1'], 3)} and evidence@3 {fixed(data['ceiling@3'], 3)}"
        f" against the shipped order's {fixed(data['shipped@1'], 3)} and "
        f"{fixed(data['shipped@3'], 3)} (the evidence is among the candidates for "
        f"{pct(data['evidence among the candidates'])}% of the {data['questions']} questions)"
    )


CEILING_REGIONS = {
    "refusal-ceiling": refusal_ceiling,
    "answerable-negatives": answerable_negatives,
    "qasper-evidence-ceiling": qasper_evidence_ceiling,
}
