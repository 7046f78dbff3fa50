"""Follow-up questions: the second turn of two-turn conversations, with and without history.

    .venv/bin/python -m benchmarks.followups     # writes benchmarks/results/followups.json

The conversations (``tests/data/followups.jsonl``) are about the bundled corpus (ui/corpus)
and the shared commentary (../shared/corpus). Each gives the second question's evidence (a
text of the document) and whether it leans on the first; those that start a new topic must
be searched alone. The real model (``index.load_embedder``'s default backend) answers.

The follow-up options (:class:`qa._followup.FollowupOptions`) are chosen on the even lines of
the set (the fit half) by a grid search; the figures reported are those of the odd lines
(the test half), which the choice never saw, and of the whole set.
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks._common import REPO, machine, write_json

DATA = REPO / "tests" / "data" / "followups.jsonl"
CORPORA = {"bundled": REPO / "ui" / "corpus", "shared": REPO.parent / "shared" / "corpus"}
OUT = REPO / "benchmarks" / "results" / "followups.json"
MODEL = "all-MiniLM-L6-v2"

#: The grid, gentlest values first: ties keep the first.
GRID = {
    "min_own_terms": (1, 2, 3),
    "carry_weight": (0.25, 0.5, 1.0),
    "carry_keywords": (False, True),
    "passage_bonus": (0.0, 0.05, 0.1, 0.2),
    "quote_by_question": (False, True),
}


@dataclass(frozen=True)
class Case:
    """One conversation: its corpus, two questions, the second's evidence, whether it leans
    on the first, and which half it belongs to."""

    corpus: str
    first: str
    second: str
    evidence: tuple[str, ...]
    followup: bool
    half: str  # "fit" or "test"


def load_cases(path: Path = DATA) -> list[Case]:
    """The conversations; even lines (from 0) are the fit half, odd lines the test half."""
    cases = []
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for n, line in enumerate(lines):
        row = json.loads(line)
        first, second = row["turns"]
        cases.append(
            Case(
                corpus=row["corpus"],
                first=first,
                second=second,
                evidence=tuple(row["evidence"]),
                followup=bool(row["followup"]),
                half="fit" if n % 2 == 0 else "test",
            )
        )
    return cases


def judge(answer: Any, case: Case) -> dict[str, bool]:
    """Whether the first passage holds the evidence and the first quote does (a refusal is
    right only when there is no evidence), and whether context was carried."""
    from qa.tuning import contains_any

    first_passage = answer.passages[0].text if answer.passages else ""
    quote = answer.quotes[0].text if answer.found and answer.quotes else ""
    return {
        "hit@1": bool(case.evidence) and contains_any(first_passage, case.evidence),
        "quote": contains_any(quote, case.evidence) if case.evidence else not answer.found,
        "carried": answer.searched_as is not None,
    }


def summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The figures of some judged conversations: second turns that lean on the first, with
    and without history; and the share of new-topic turns searched alone."""
    follow = [r for r in rows if r["followup"]]
    new = [r for r in rows if not r["followup"]]

    def share(items: Sequence[dict[str, Any]], key: str) -> float:
        return round(sum(bool(r[key]) for r in items) / len(items), 4) if items else 0.0

    return {
        "followups": len(follow),
        "hit@1 without history": share(follow, "alone hit@1"),
        "hit@1 with history": share(follow, "hit@1"),
        "quote without history": share(follow, "alone quote"),
        "quote with history": share(follow, "quote"),
        "followups carried": share(follow, "carried"),
        "new topics": len(new),
        "new topics dropped": round(1 - share(new, "carried"), 4) if new else 0.0,
        "new topic quote with history": share(new, "quote"),
        "new topic quote without history": share(new, "alone quote"),
    }


def objective(figures: dict[str, Any]) -> float:
    """What the grid maximises on the fit half: follow-ups answered right with history, and
    new topics searched alone and answered right."""
    follow, new = figures["followups"], figures["new topics"]
    right = (figures["hit@1 with history"] + figures["quote with history"]) * follow / 2
    kept = (figures["new topics dropped"] + figures["new topic quote with history"]) * new / 2
    return (right + kept) / max(follow + new, 1)


def main(argv: Sequence[str] | None = None) -> int:
    """Build both indexes, answer every conversation under each grid point, write the file."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.followups", description=__doc__)
    parser.add_argument("--json", default=str(OUT), help="results file (default: %(default)s)")
    args = parser.parse_args(argv)

    import qa
    from index import build_index, load_embedder
    from qa.tuning import FollowupOptions

    cases = load_cases()
    missing = [str(p) for name, p in CORPORA.items() if any(c.corpus == name for c in cases)]
    missing = [p for p in missing if not Path(p).is_dir()]
    if missing:
        raise SystemExit(f"corpus missing: {missing[0]}; put shared/ beside the repo")
    embedder = load_embedder(MODEL)
    started = time.perf_counter()
    bots: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, folder in CORPORA.items():
            build_index([folder], Path(tmp) / name, embedder=embedder)
            bots[name] = qa.load(Path(tmp) / name, embedder=embedder)
        # The first turn and the second asked alone do not depend on the options.
        firsts = [bots[c.corpus].ask(c.first) for c in cases]
        alone = [judge(bots[c.corpus].ask(c.second), c) for c in cases]
        grid = []
        best: tuple[float, FollowupOptions, list[dict[str, Any]]] | None = None
        for values in itertools.product(*GRID.values()):
            options = FollowupOptions(**dict(zip(GRID, values, strict=True)))
            rows = []
            for case, first, solo in zip(cases, firsts, alone, strict=True):
                bot = bots[case.corpus]
                bot.followup = options
                answer = bot.ask(case.second, history=[first])
                rows.append(
                    {
                        "corpus": case.corpus,
                        "first": case.first,
                        "second": case.second,
                        "followup": case.followup,
                        "half": case.half,
                        "searched_as": answer.searched_as,
                        **judge(answer, case),
                        **{f"alone {k}": v for k, v in solo.items()},
                    }
                )
            fit = summary([r for r in rows if r["half"] == "fit"])
            score = objective(fit)
            grid.append({**asdict(options), "fit objective": round(score, 4)})
            if best is None or score > best[0] + 1e-12:
                best = (score, options, rows)
    assert best is not None
    _, chosen, rows = best
    result = {
        "machine": machine(),
        "model": MODEL,
        "seconds": round(time.perf_counter() - started, 1),
        "data": str(DATA.relative_to(REPO)),
        "split": "options fitted on the even lines (fit half), reported on the odd lines",
        "conversations": len(cases),
        "fitted": asdict(chosen),
        "fit": summary([r for r in rows if r["half"] == "fit"]),
        "test": summary([r for r in rows if r["half"] == "test"]),
        "all": summary(rows),
        "by corpus": {name: summary([r for r in rows if r["corpus"] == name]) for name in CORPORA},
        "grid": grid,
        "rows": rows,
    }
    write_json(args.json, result)
    print(json.dumps({k: result[k] for k in ("fitted", "fit", "test", "all")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
