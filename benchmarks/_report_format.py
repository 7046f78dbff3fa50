"""Reading results files and formatting figures, for the renderers of benchmarks/report.py."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


class ReportError(Exception):
    """A region that cannot be written: unknown name, missing or unreadable results file."""


# ---------------------------------------------------------------------------------------------
# Reading results files


def _shown(path: Path) -> str:
    """The path as the messages show it: relative to the repository when it is inside."""
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


def _read(results: Path, name: str) -> str:
    path = results / name
    if not path.is_file():
        raise ReportError(f"results file {_shown(path)} is missing")
    return path.read_text(encoding="utf-8")


def read_json(results: Path, name: str) -> dict[str, Any]:
    """The JSON object in ``results/name``."""
    data = json.loads(_read(results, name))
    if not isinstance(data, dict):
        raise ReportError(f"{_shown(results / name)} does not hold a JSON object")
    return data


def read_jsonl(results: Path, name: str) -> list[dict[str, Any]]:
    """The JSON objects of ``results/name``, one a line (blank lines skipped)."""
    rows = [json.loads(line) for line in _read(results, name).splitlines() if line.strip()]
    if not all(isinstance(row, dict) for row in rows):
        raise ReportError(f"{_shown(results / name)} holds a line that is not a JSON object")
    return rows


@dataclass(frozen=True)
class EvalRun:
    """What a saved ``qa eval`` text output says: the run's header and its metric table."""

    dataset: str
    mode: str
    questions: int
    metrics: dict[str, float]


_EVAL_HEADER = re.compile(r"^(?P<dataset>\S+) \(\w+\), mode (?P<mode>\w+), (?P<n>\d+) questions")
_EVAL_METRIC = re.compile(r"^\s+(?P<metric>[a-z][\w@]*)\s+(?P<value>\d+(?:\.\d+)?)\s*$")


def read_eval(results: Path, name: str) -> EvalRun:
    """Parse a ``qa eval`` output saved as text, such as ``quality_squad_full_hybrid.txt``."""
    lines = _read(results, name).splitlines()
    header = _EVAL_HEADER.match(lines[0]) if lines else None
    if header is None:
        raise ReportError(f"{_shown(results / name)} does not start like a `qa eval` output")
    metrics = {
        m["metric"]: float(m["value"]) for line in lines[1:] if (m := _EVAL_METRIC.match(line))
    }
    return EvalRun(header["dataset"], header["mode"], int(header["n"]), metrics)


# ---------------------------------------------------------------------------------------------
# Formatting


def fixed(value: float, places: int, *, scale: int = 1) -> str:
    """``value * scale`` with ``places`` decimals, halves rounded up (0.585 -> "0.59").

    Rounding goes through the decimal text of the number: Python's own rounding works on the
    binary float (0.585 is 0.58499...) and would print 0.58 where the results file says 0.585.
    """
    exact = Decimal(repr(value)) * scale
    return str(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def pct(value: float, places: int = 1) -> str:
    """A share (0.816) as a percentage without the sign ("81.6")."""
    return fixed(value, places, scale=100)


def points(a: float, b: float, places: int = 1) -> str:
    """How many percentage points share ``a`` is above share ``b``."""
    return fixed(float(Decimal(repr(a)) - Decimal(repr(b))), places, scale=100)


def span(values: Iterable[str]) -> str:
    """ "lo-hi" of already formatted numbers, or the one value when they all print alike."""
    ordered = sorted(set(values), key=float)
    return ordered[0] if len(ordered) == 1 else f"{ordered[0]}-{ordered[-1]}"


def count_words(n: int) -> str:
    """Small counts as words ("three"), as the prose around them writes them."""
    words = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    return words[n] if 0 <= n < len(words) else f"{n:,}"


def bold(text: str) -> str:
    """``text`` in bold."""
    return f"**{text}**"


def table(header: Sequence[str], rows: Iterable[Sequence[str]], *, right_from: int = 0) -> str:
    """A Markdown table; columns from ``right_from`` on are right-aligned (0: none are)."""
    align = ["---:" if right_from and i >= right_from else "---" for i in range(len(header))]
    # The delimiter row is written "|---|---:|", as the hand-written tables were.
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)
