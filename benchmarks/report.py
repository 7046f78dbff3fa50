"""Write the figures in README.md and docs/*.md from the files in benchmarks/results/.

Figures in the documentation are not typed by hand. Each sits in a region between two HTML
comments, which stay in the Markdown and are invisible once it is rendered. A region whose
opening marker is alone on its line is a block (a table, a code block):

    <!-- figures:squad-modes -->

    | mode | nDCG@10 | ... |

    <!-- /figures -->

Any other region is inline, inside a sentence:

    found first for <!-- figures:x -->81.6%<!-- /figures --> of questions

(never at the start of a line: Markdown would take that line for raw HTML). The name after
``figures:`` is a key of ``REGIONS``; its renderer reads one or more results files and returns
the Markdown that goes between the markers.

    .venv/bin/python -m benchmarks.report           # rewrite the regions in place
    .venv/bin/python -m benchmarks.report --check   # list the regions out of date, exit 1

An unknown region name, a missing or unreadable results file, or a marker out of place is an
error: one line each, exit status 2, and nothing is written.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"

Renderer = Callable[[Path], str]
"""Takes the results folder, returns the Markdown of one region."""


from benchmarks._report_format import (  # noqa: E402  (re-exported for the renderers)
    EvalRun,
    ReportError,
    _read,
    bold,
    count_words,
    fixed,
    pct,
    points,
    read_eval,
    read_json,
    read_jsonl,
    span,
    table,
)
from benchmarks.report_ceiling import CEILING_REGIONS  # noqa: E402
from benchmarks.report_cleaning import CLEANING_REGIONS  # noqa: E402
from benchmarks.report_followups import FOLLOWUP_REGIONS  # noqa: E402
from benchmarks.report_quality import QUALITY_REGIONS  # noqa: E402

# ---------------------------------------------------------------------------------------------
# Renderers: SQuAD dev quality (docs/QUALITY.md, README)

SQUAD_MODES = {"dense": "dense", "bm25": "bm25", "hybrid": "hybrid (default)"}
SQUAD_COLUMNS = {
    "ndcg@10": "nDCG@10",
    "mrr@10": "MRR@10",
    "recall@1": "R@1",
    "recall@3": "R@3",
    "recall@5": "R@5",
    "recall@10": "R@10",
    "recall@100": "R@100",
    "quote_accuracy": "quote acc.",
    "false_abstention": "false abst.",
}


def _squad(results: Path, mode: str) -> EvalRun:
    return read_eval(results, f"quality_squad_full_{mode}.txt")


def squad_modes(results: Path) -> str:
    """The by-mode table of the full SQuAD dev runs, the default (hybrid) row in bold."""
    rows = []
    for mode, label in SQUAD_MODES.items():
        run = _squad(results, mode)
        cells = [label, *(fixed(run.metrics[m], 3) for m in SQUAD_COLUMNS)]
        rows.append([bold(c) for c in cells] if mode == "hybrid" else cells)
    return table(["mode", *SQUAD_COLUMNS.values()], rows)


def squad_hybrid_output(results: Path) -> str:
    """The full hybrid run as `qa eval` printed it, in a code block with its command."""
    text = _read(results, "quality_squad_full_hybrid.txt").rstrip("\n")
    command = "$ qa eval ../shared/eval/squad-dev --index .qa-eval/squad-dev"
    return f"```\n{command}\n{text}\n```"


def squad_r1_by_mode(results: Path) -> str:
    """Recall@1 of hybrid against BM25 and dense alone, as a phrase."""
    r1 = {mode: _squad(results, mode).metrics["recall@1"] for mode in SQUAD_MODES}
    return (
        f"{pct(r1['hybrid'])}% of questions, against {pct(r1['bm25'])}% for BM25 alone and "
        f"{pct(r1['dense'])}% for dense alone"
    )


def squad_r1_margins(results: Path) -> str:
    """How far hybrid recall@1 is above BM25's and dense's, as a phrase."""
    r1 = {mode: _squad(results, mode).metrics["recall@1"] for mode in SQUAD_MODES}
    return (
        f"hybrid recall@1 {fixed(r1['hybrid'], 3)} is "
        f"**{points(r1['hybrid'], r1['bm25'])} points above BM25** ({fixed(r1['bm25'], 3)}) "
        f"and {points(r1['hybrid'], r1['dense'])} above dense ({fixed(r1['dense'], 3)})"
    )


def squad_hybrid_summary(results: Path) -> str:
    """Recall@1, recall@5 and quote accuracy of the default mode, as a phrase."""
    run = _squad(results, "hybrid")
    m = run.metrics
    return (
        f"{pct(m['recall@1'])}% of the {run.questions:,} questions and within the top 5 for "
        f"{pct(m['recall@5'])}%, and the first quote holds the gold answer for "
        f"{pct(m['quote_accuracy'])}%"
    )


def quote_choice(results: Path) -> str:
    """Quote accuracy of the default sentence choice against the first-sentence baseline."""
    rows = {row["quotes"]: row for row in read_jsonl(results, "quality_quotes_odd_half.jsonl")}
    default = next(row for label, row in rows.items() if label.endswith("(default)"))
    baseline = rows["first sentence"]
    return (
        f"the first quote holds the gold answer for {pct(default['quote_accuracy'])}% of the "
        f"{default['questions']:,} questions, against {pct(baseline['quote_accuracy'])}% for "
        '"first sentence of the best passage"'
    )


# ---------------------------------------------------------------------------------------------
# Renderers: speed (docs/BENCHMARKS.md, README)

PEER_LABELS = {
    "qa-onnx": "qa, default (ONNX, hybrid)",
    "qa-torch": "qa, `--backend torch`",
    "langchain": "LangChain FAISS + HuggingFaceEmbeddings",
    "llamaindex": "LlamaIndex VectorStoreIndex + HuggingFaceEmbedding",
    "sentence-transformers": "sentence-transformers `semantic_search`",
    "bm25s": "bm25s alone (no model)",
}
# The peers the README compares with: the systems that run the same model (bm25s runs none).
MODEL_PEERS = ("langchain", "llamaindex", "sentence-transformers")


def _peers(results: Path) -> dict[str, dict[str, Any]]:
    return {row["system"]: row for row in read_json(results, "peers.json")["median"]}


def peers_table(results: Path) -> str:
    """The peers table: median of the rounds per system, each round's build, recall."""
    systems = _peers(results)
    rounds = max(len(row["build_s_each"]) for row in systems.values())
    header = [
        "system",
        "build (median)",
        f"build, rounds {' / '.join(str(i + 1) for i in range(rounds))}",
        "query p50",
        "query p95",
        "recall@1",
        "recall@5",
    ]
    rows = []
    for name, row in systems.items():
        each = " / ".join(fixed(s, 1) for s in row["build_s_each"]) + " s"
        cells = [
            PEER_LABELS.get(name, name),
            f"{fixed(row['build_s'], 1)} s",
            each,
            f"{fixed(row['query_ms']['p50'], 1)} ms",
            f"{fixed(row['query_ms']['p95'], 1)} ms",
            fixed(row["recall@1"], 3),
            fixed(row["recall@5"], 3),
        ]
        if name == "qa-onnx":  # the default: bold except the per-round column
            cells = [c if i == 2 else bold(c) for i, c in enumerate(cells)]
        rows.append(cells)
    return table(header, rows, right_from=1)


def speed_build_query(results: Path) -> str:
    """Build time against a bare encode, and question latency against torch, as a sentence."""
    build = read_json(results, "build.json")
    onnx = next(row for row in build["results"] if row["backend"] == "onnx")
    cores = re.search(r"(\d+) cores", build["machine"])
    latency = read_json(results, "latency.json")["latency_ms"]
    ours, torch = latency["retrieve onnx"]["p50"], latency["retrieve torch"]["p50"]
    machine = f", {cores[1]} cores" if cores else ""
    return (
        f"On SQuAD dev ({onnx['paragraphs']:,} paragraphs{machine}) the default build takes "
        f"{fixed(onnx['ratio_vs_bare_torch'], 2)}× the time of a bare sentence-transformers "
        f"encode of the same passages and a question is retrieved in ~{fixed(ours, 1)} ms "
        f"({fixed(torch / ours, 1)}× less than with torch)"
    )


def speed_peers(results: Path) -> str:
    """Our build, latency and recall against the peers that run the model, as a phrase.

    The sentence around it says we are faster to build and to ask than those peers, so that
    claim is checked here: a results file that contradicts it fails the check.
    """
    systems = _peers(results)
    ours, peers = systems["qa-onnx"], [systems[name] for name in MODEL_PEERS]
    fastest_build = min(p["build_s"] for p in peers)
    fastest_query = min(p["query_ms"]["p50"] for p in peers)
    if ours["build_s"] >= fastest_build or ours["query_ms"]["p50"] >= fastest_query:
        raise ReportError(
            "peers.json no longer has qa faster to build and to ask than every peer; "
            "rewrite the README's sentence around this region"
        )
    return (
        f"({fixed(ours['build_s'], 0)} s against "
        f"{span(fixed(p['build_s'], 0) for p in peers)} s, "
        f"{fixed(ours['query_ms']['p50'], 1)} ms against "
        f"{span(fixed(p['query_ms']['p50'], 0) for p in peers)} ms, "
        f"medians of {count_words(ours['rounds'])} rounds), with recall@1 "
        f"{fixed(ours['recall@1'], 2)} against their "
        f"{span(fixed(p['recall@1'], 2) for p in peers)}"
    )


LATENCY_LABELS = {
    "bare torch encode": "bare torch `model.encode(question)`",
    "bare onnx embed": "bare ONNX embed of the question",
    "retrieve torch": "`bot.retrieve`, torch backend",
    "retrieve onnx": "`bot.retrieve`, ONNX backend (default)",
    "ask torch": "`bot.ask`, torch backend",
    "ask onnx": "`bot.ask`, ONNX backend (default)",
}


def latency_table(results: Path, name: str) -> str:
    """The question-latency table of ``benchmarks/latency.py``'s JSON output ``name``."""
    data = read_json(results, name)
    ratios = data["ratio_p50_to_bare_torch"]
    rows = []
    for contender, ms in data["latency_ms"].items():
        cells = [
            LATENCY_LABELS.get(contender, contender),
            *(f"{fixed(ms[p], 1)} ms" for p in ("p50", "p95", "p99")),
            str(ms["n"]),
            fixed(ratios[contender], 2),
        ]
        if contender == "retrieve onnx":  # the headline: what a question costs by default
            cells = [bold(c) if i in (0, 1, 5) else c for i, c in enumerate(cells)]
        rows.append(cells)
    header = ["contender", "p50", "p95", "p99", "n", "p50 / bare torch encode"]
    return table(header, rows, right_from=1)


BUILD_STAGES = {
    "reading": "reading",
    "cleaning": "cleaning",
    "sentences": "sentence splitting (pysbd, on both cores)",
    "token counts": "token counts and packing into passages",
    "embedding": "embedding",
    "BM25": "BM25",
    "FAISS + saving": "FAISS + saving",
}


# (label, key in each backend's result, decimals, unit, bold in the default's column)
BUILD_TOTALS = (
    ("end to end", "end_to_end_s", 1, " s", True),
    ("bare torch encode, same texts", "bare_torch_encode_s", 1, " s", False),
    ("bare embed with the build's backend", "bare_backend_embed_s", 1, " s", False),
    ("end to end / bare torch encode", "ratio_vs_bare_torch", 2, "", True),
    ("end to end / bare embed, same backend", "ratio_vs_bare_backend", 2, "", False),
    ("min cosine of the index vectors to torch", "min_cosine_to_torch", 5, "", False),
)


def build_table(results: Path) -> str:
    """The build table: stage times, end to end, and the ratios to a bare encode, per backend."""
    runs = read_json(results, "build.json")["results"]
    default = [False, *(r["backend"] == "onnx" for r in runs)]  # per column; 0 is the label

    def line(label: str, values: Iterable[str], strong: bool = False) -> list[str]:
        cells = [label, *values]
        return [bold(c) if strong and (i == 0 or default[i]) else c for i, c in enumerate(cells)]

    rows = [
        line(label, (f"{fixed(r['stages_s'][stage], 2)} s" for r in runs))
        for stage, label in BUILD_STAGES.items()
    ]
    rows += [
        line(label, (fixed(r[key], places) + unit for r in runs), strong)
        for label, key, places, unit, strong in BUILD_TOTALS
    ]
    header = [
        bold(f"{r['backend']} (default)") if default[i + 1] else r["backend"]
        for i, r in enumerate(runs)
    ]
    return table(["stage", *header], rows, right_from=1)


REGIONS: dict[str, Renderer] = {
    # docs/QUALITY.md
    "squad-modes": squad_modes,
    "squad-hybrid-output": squad_hybrid_output,
    "squad-r1-margins": squad_r1_margins,
    # README.md
    "squad-r1-by-mode": squad_r1_by_mode,
    "squad-hybrid-summary": squad_hybrid_summary,
    "quote-choice": quote_choice,
    "speed-build-query": speed_build_query,
    "speed-peers": speed_peers,
    # docs/BENCHMARKS.md
    "latency": partial(latency_table, name="latency.json"),
    "latency-100k": partial(latency_table, name="latency-100k.json"),
    "build": build_table,
    "peers": peers_table,
    # the answer model (docs/QUALITY.md, README)
    **QUALITY_REGIONS,
    # how far the open goals are from what the features reach (docs/QUALITY.md)
    **CEILING_REGIONS,
    # docs/RELIABILITY.md
    **CLEANING_REGIONS,
    # follow-up questions (docs/QUALITY.md, README)
    **FOLLOWUP_REGIONS,
}
"""Region name -> renderer. A name used in a document but missing here is an error."""


# ---------------------------------------------------------------------------------------------
# Finding and replacing regions

_MARKER = re.compile(r"<!-- (?:figures:(?P<name>\S+)|(?P<close>/figures)) -->")


@dataclass(frozen=True)
class Region:
    """One region of a document: its name, where its body lies, the line it opens on."""

    name: str
    start: int  # just after the opening marker
    end: int  # at the closing marker
    line: int

    def is_block(self, text: str) -> bool:
        """A block region's opening marker is alone on its line."""
        return text.startswith("\n", self.start)


def find_regions(text: str) -> list[Region]:
    """The regions of a document, in order; ``ReportError`` when the markers do not pair up."""
    regions: list[Region] = []
    opened: tuple[str, int, int] | None = None
    for marker in _MARKER.finditer(text):
        line = text.count("\n", 0, marker.start()) + 1
        if marker["name"] is None:
            if opened is None:
                raise ReportError(f"line {line}: <!-- /figures --> closes no region")
            regions.append(Region(opened[0], opened[1], marker.start(), opened[2]))
            opened = None
        elif opened is not None:
            raise ReportError(f"line {opened[2]}: region {opened[0]!r} is not closed")
        else:
            opened = (marker["name"], marker.end(), line)
            line_start = text.rfind("\n", 0, marker.start()) + 1
            inline = not text.startswith("\n", marker.end())
            # A line that begins with "<!--" starts an HTML block in Markdown: the rest of the
            # line would be shown raw and the paragraph around it cut in two.
            if inline and not text[line_start : marker.start()].strip():
                raise ReportError(
                    f"line {line}: inline region {marker['name']!r} begins its line; "
                    "put a word before it"
                )
    if opened is not None:
        raise ReportError(f"line {opened[2]}: region {opened[0]!r} is not closed")
    return regions


def render_region(name: str, results: Path, regions: Mapping[str, Renderer] = REGIONS) -> str:
    """The Markdown of region ``name``; ``ReportError`` (one line) when it cannot be made."""
    renderer = regions.get(name)
    if renderer is None:
        raise ReportError(
            "unknown region name; add its renderer to REGIONS in benchmarks/report.py"
        )
    try:
        return renderer(results)
    except (KeyError, IndexError, TypeError, ValueError, StopIteration) as error:
        # A results file written by an older or newer script: a line that names the region
        # helps more than a traceback.
        raise ReportError(
            f"unexpected content in its results file ({type(error).__name__}: {error})"
        ) from error


@dataclass(frozen=True)
class Update:
    """A document with its regions rendered, and what changed or failed (one line each)."""

    text: str
    changed: list[str]
    errors: list[str]


def update_text(
    text: str, results: Path = RESULTS, regions: Mapping[str, Renderer] = REGIONS
) -> Update:
    """Render every region of one document; regions that fail keep their old body."""
    try:
        found = find_regions(text)
    except ReportError as error:
        return Update(text, [], [str(error)])
    parts: list[str] = []
    changed: list[str] = []
    errors: list[str] = []
    done = 0
    for region in found:
        old = text[region.start : region.end]
        new = old
        try:
            rendered = render_region(region.name, results, regions)
            if region.is_block(text):
                new = f"\n\n{rendered.strip(chr(10))}\n\n"
            elif "\n" in rendered:
                raise ReportError("renders several lines; put its markers on lines of their own")
            else:
                new = rendered
        except ReportError as error:
            errors.append(f"line {region.line}: {region.name}: {error}")
        if new != old:
            changed.append(f"line {region.line}: {region.name}")
        parts += [text[done : region.start], new]
        done = region.end
    parts.append(text[done:])
    return Update("".join(parts), changed, errors)


def documents(root: Path) -> list[Path]:
    """The files whose regions are rendered: README.md and docs/*.md."""
    return [p for p in [root / "README.md", *sorted((root / "docs").glob("*.md"))] if p.is_file()]


def update_documents(
    root: Path = REPO,
    results: Path = RESULTS,
    *,
    write: bool,
    regions: Mapping[str, Renderer] = REGIONS,
) -> tuple[list[str], list[str]]:
    """Render the regions of every document under ``root``: (out of date, errors).

    Each entry is one line, "README.md:97: ...". With ``write``, the out-of-date documents
    are rewritten, but only when there is no error anywhere, so a half-readable results
    folder never leaves the documents half updated.
    """
    changed: list[str] = []
    errors: list[str] = []
    rewritten: dict[Path, str] = {}
    for path in documents(root):
        # Bytes, not read_text: the file is written back exactly, line endings included.
        text = path.read_bytes().decode("utf-8")
        result = update_text(text, results, regions)
        where = path.relative_to(root).as_posix()
        changed += [f"{where}:{line.removeprefix('line ')}" for line in result.changed]
        errors += [f"{where}:{line.removeprefix('line ')}" for line in result.errors]
        if result.text != text:
            rewritten[path] = result.text
    if write and not errors:
        for path, text in rewritten.items():
            path.write_bytes(text.encode("utf-8"))
    return changed, errors


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite the regions (0), or with ``--check`` list those out of date (1); errors: 2."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.report",
        description="Write the figures in README.md and docs/*.md from benchmarks/results/.",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a region is out of date"
    )
    parser.add_argument("--root", type=Path, default=REPO, help="the repository (default: this)")
    parser.add_argument(
        "--results", type=Path, help="results folder (default: ROOT/benchmarks/results)"
    )
    args = parser.parse_args(argv)
    results = args.results or args.root / "benchmarks" / "results"
    changed, errors = update_documents(args.root, results, write=not args.check)
    for error in errors:
        print(f"report: error: {error}", file=sys.stderr)
    if errors:
        return 2
    if args.check:
        for line in changed:
            print(f"out of date: {line}")
        if changed:
            print("run: .venv/bin/python -m benchmarks.report")
        return 1 if changed else 0
    for line in changed:
        print(f"rewrote: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
