"""Renderers of the answer model's figures: `qa eval` on every set and mode, the held-out fit.

Their results files: ``benchmarks/results/eval/<set>-<mode>.json`` (``benchmarks/quality_sets.py``),
``benchmarks/results/answer_fit.json`` (``benchmarks/answer_fit.py``) and
``benchmarks/results/latency-shared.json`` (``benchmarks/latency.py --shared``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks._report_format import bold, fixed, pct, points, read_json, table

SETS = {
    "squad": "SQuAD dev",
    "fiqa": "FiQA dev",
    "qasper": "QASPER dev (each question of its paper)",
    "seed": "seed questions (a check, never fitted on)",
}
MODES = ("hybrid", "dense", "keyword")
#: The figure each set is judged by, as the issue states it.
PRIMARY = {"squad": "ndcg@10", "fiqa": "ndcg@10", "qasper": "hit@1", "seed": "hit@1"}
LABELS = {"ndcg@10": "nDCG@10", "hit@1": "evidence@1", "hit@3": "evidence@3"}


def _run(results: Path, name: str, mode: str) -> dict[str, Any]:
    return read_json(results, f"eval/{name}-{mode}.json")


def eval_sets(results: Path) -> str:
    """Every set in every mode: retrieval, quotes and the answer/refuse decision."""
    rows = []
    for name, label in SETS.items():
        for mode in MODES:
            run = _run(results, name, mode)
            m = run["metrics"]
            first = PRIMARY[name]
            second = "recall@5" if first == "ndcg@10" else "hit@3"
            quote = m.get("quote_in_evidence", m.get("quote_accuracy"))
            cells = [
                label if mode == "hybrid" else "",
                mode + (" (default)" if mode == "hybrid" else ""),
                f"{LABELS.get(first, first)} {fixed(m[first], 3)}",
                f"{LABELS.get(second, second).replace('recall', 'R')} {fixed(m[second], 3)}",
                "" if quote is None else fixed(quote, 3),
                pct(1 - m["false_abstention"]) + "%",
                "" if "correct_abstention" not in m else pct(m["correct_abstention"]) + "%",
                f"{run['questions']:,}",
            ]
            rows.append([bold(c) if mode == "hybrid" and c else c for c in cells])
    header = [
        "data set",
        "mode",
        "first passage",
        "top 3 / 5",
        "first quote right",
        "answerable answered",
        "unanswerable refused",
        "questions",
    ]
    return table(header, rows)


def hybrid_margins(results: Path) -> str:
    """Hybrid against the better of dense-only and keyword-only, per set, in points."""
    rows = []
    for name, label in SETS.items():
        metric = PRIMARY[name]
        value = {mode: _run(results, name, mode)["metrics"][metric] for mode in MODES}
        best_single = max(value["dense"], value["keyword"])
        rows.append(
            [
                label,
                LABELS.get(metric, metric),
                fixed(value["hybrid"], 3),
                fixed(value["dense"], 3),
                fixed(value["keyword"], 3),
                points(value["hybrid"], best_single),
            ]
        )
    return table(
        ["data set", "figure", "hybrid", "dense", "keyword", "hybrid - better single (points)"],
        rows,
        right_from=2,
    )


def squad_summary(results: Path) -> str:
    """SQuAD dev recall@1 by mode and first-quote accuracy, as a phrase."""
    r1 = {mode: _run(results, "squad", mode)["metrics"]["recall@1"] for mode in MODES}
    hybrid = _run(results, "squad", "hybrid")
    return (
        f"{pct(r1['hybrid'])}% of the {hybrid['questions']:,} questions, against "
        f"{pct(r1['keyword'])}% for BM25 alone and {pct(r1['dense'])}% for dense alone, and "
        f"the first quote holds the gold answer for "
        f"{pct(hybrid['metrics']['quote_accuracy'])}%"
    )


def fiqa_summary(results: Path) -> str:
    """FiQA nDCG@10 by mode, as a phrase."""
    n = {mode: _run(results, "fiqa", mode)["metrics"]["ndcg@10"] for mode in MODES}
    return (
        f"nDCG@10 {fixed(n['hybrid'], 3)} against {fixed(n['dense'], 3)} for dense and "
        f"{fixed(n['keyword'], 3)} for BM25 alone"
    )


def qasper_summary(results: Path) -> str:
    """QASPER evidence@1 and quotes inside the evidence, as a phrase."""
    m = _run(results, "qasper", "hybrid")["metrics"]
    return (
        f"the first passage overlaps the evidence for {pct(m['hit@1'])}% of questions and one "
        f"of the first three for {pct(m['hit@3'])}%, the first quote lies inside it for "
        f"{pct(m['quote_in_evidence'])}%, and {pct(1 - m['false_abstention'])}% of answerable "
        "questions are answered"
    )


def tradeoff_table(results: Path) -> str:
    """The refused/wrong trade-off of the default mode on each set, the shipped threshold
    marked."""
    rows = []
    for name, label in SETS.items():
        run = _run(results, name, "hybrid")
        for row in run["tradeoff"]:
            shipped = row["threshold"] == run["threshold"]
            cells = [
                label if row is run["tradeoff"][0] else "",
                fixed(row["threshold"], 4) + (" (shipped)" if shipped else ""),
                pct(row["refused"]) + "%",
                pct(row["refused_answerable"]) + "%",
                pct(row["wrong"]) + "%",
            ]
            rows.append([bold(c) if shipped and c else c for c in cells])
    return table(
        ["data set", "threshold", "refused", "answerable refused", "answers wrong"],
        rows,
        right_from=1,
    )


FIT_STYLES = {"squad": "SQuAD (by article)", "fiqa": "FiQA (by question)", "qasper": "QASPER"}
#: The decision is also fitted on one SQuAD article indexed alone (as a web page would be).
DECISION_STYLES = {**FIT_STYLES, "article": "one SQuAD article alone"}


def answer_fit_heldout(results: Path) -> str:
    """The fit's held-out halves: decision at the shipped and the calibrated threshold."""
    held = read_json(results, "answer_fit.json")["held_out"]
    rows = []
    for style, label in DECISION_STYLES.items():
        row = held[style]
        kinds = sorted(k.removeprefix("count: ") for k in row if k.startswith("count: "))
        for n, kind in enumerate(kinds):
            rows.append(
                [
                    label if n == 0 else "",
                    f"{kind} ({row['count: ' + kind]})",
                    pct(row["false abstention"]) + "%" if n == 0 else "",
                    pct(row[f"refused: {kind}"]) + "%",
                    pct(row["false abstention (calibrated)"]) + "%" if n == 0 else "",
                    pct(row[f"refused: {kind} (calibrated)"]) + "%",
                ]
            )
    return table(
        [
            "held-out half",
            "negatives",
            "answerable refused",
            "negatives refused",
            "answerable refused, calibrated",
            "negatives refused, calibrated",
        ],
        rows,
        right_from=2,
    )


def fusion_variants(results: Path) -> str:
    """Each style's held-out figure reranked, with the fitted fusion alone and without each
    of its terms."""
    variants = read_json(results, "answer_fit.json")["fusion_variants_held_out"]
    rows = []
    for label, figures in variants.items():
        cells = [label, *(fixed(figures[s], 3) for s in DECISION_STYLES)]
        rows.append([bold(c) for c in cells] if label == "fitted, reranked" else cells)
    header = [
        "ranking",
        "SQuAD nDCG@10",
        "FiQA nDCG@10",
        "QASPER evidence@1",
        "one article evidence@1",
    ]
    return table(header, rows, right_from=1)


def _splits(part: str, trees: list[Any], names: Sequence[str]) -> list[list[str]]:
    # Trees have no weights to show: how often each feature splits says what they read.
    if not trees:
        return []
    splits = [0] * len(names)
    for tree in trees:
        for feature, *_ in tree:
            if feature >= 0:
                splits[feature] += 1
    rows = [[part, f"boosted trees ({len(trees)})", "splits"]]
    return rows + [[part, f"trees: {n}", str(c)] for n, c in zip(names, splits, strict=True) if c]


def answer_model(results: Path) -> str:
    """The fitted coefficients, as the model file holds them."""
    model = read_json(results, "answer_fit.json")["model"]
    rows = [["fusion", k, fixed(v, 2)] for k, v in model["fusion"].items()]
    rows += [["sentence", k, fixed(v, 3)] for k, v in model["sentence"].items()]
    linear = {k: v for k, v in model["decision"].items() if k == "bias" or v}
    rows += [["decision", k, fixed(v, 3)] for k, v in linear.items()]
    from qa.tuning import DECISION_FEATURES, RERANK_FEATURES

    rows += _splits("decision", model.get("decision_trees", []), DECISION_FEATURES)
    rows.append(["decision", "threshold (probability)", fixed(model["threshold"], 4)])
    rows += _splits("rerank", model.get("rerank_trees", []), RERANK_FEATURES)
    return table(["part", "feature", "weight"], rows, right_from=2)


COMMANDS = {"seed": "qa eval ../shared/eval/seed_dev.jsonl --corpus ../shared/corpus"}


def eval_output(results: Path, name: str) -> str:
    """A saved run as ``qa eval`` printed it, in a code block with its command."""
    import qa
    from qa.tuning import TradeoffRow

    run = _run(results, name, "hybrid")
    report = qa.EvalReport(
        dataset=run["dataset"],
        kind=run["kind"],
        mode=run["mode"],
        k=run["k"],
        index=run["index"],
        questions=run["questions"],
        metrics=run["metrics"],
        counts=run["counts"],
        seconds=run["seconds"],
        build_seconds=run["build_seconds"],
        tradeoff=tuple(TradeoffRow(**row) for row in run["tradeoff"]),
        threshold=run["threshold"],
    )
    return f"```console\n$ {COMMANDS[name]}\n{report.table()}\n```"


def latency_shared(results: Path) -> str:
    """Warm ``ask`` latency on the shared document, as a phrase."""
    data = read_json(results, "latency-shared.json")
    ask, retrieve = data["latency_ms"]["ask"], data["latency_ms"]["retrieve"]
    return (
        f"p50 {fixed(ask['p50'], 1)} ms (p95 {fixed(ask['p95'], 1)} ms; `retrieve` p50 "
        f"{fixed(retrieve['p50'], 1)} ms) over {ask['n']:,} asks"
    )


def latency_same(results: Path) -> str:
    """Share of questions whose ONNX top 5 equals the torch top 5."""
    return pct(read_json(results, "latency.json")["same_top5_onnx_vs_torch"]) + "%"


def build_ratio(results: Path) -> str:
    """The default build's time over a bare torch encode of the same passages."""
    runs = read_json(results, "build.json")["results"]
    default = next(r for r in runs if r["backend"] == "onnx")
    return f"{fixed(default['ratio_vs_bare_torch'], 2)}\u00d7"


QUALITY_REGIONS = {
    "build-ratio": build_ratio,
    "latency-same": latency_same,
    "eval-sets": eval_sets,
    "hybrid-margins": hybrid_margins,
    "squad-summary": squad_summary,
    "fiqa-summary": fiqa_summary,
    "qasper-summary": qasper_summary,
    "tradeoff": tradeoff_table,
    "answer-fit-heldout": answer_fit_heldout,
    "answer-model": answer_model,
    "fusion-variants": fusion_variants,
    "latency-shared": latency_shared,
    "seed-output": partial(eval_output, name="seed"),
}
