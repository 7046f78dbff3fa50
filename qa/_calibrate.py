"""Per-index calibration of the answer/refuse threshold, and the trade-off it moves along.

The shipped threshold is fitted across question styles for the default model. A corpus of
its own kind, or another model, may need another: ``qa calibrate EVAL_FILE --index DIR``
asks the user's labelled questions, keeps the highest threshold that still answers all but
``max_false_abstention`` of the answerable ones, and stores it with the index (it then
applies to every :func:`qa.load` of that index with that model).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from index import QAError
from index.parts import read_setting, write_setting

from ._bot import Bot
from ._eval import EvalReport, QuestionResult, evaluate
from ._eval_data import Dataset

#: Name of the setting that holds a calibration.
SETTING = "calibration"
#: Fewest answerable questions a calibration accepts: fewer say little about a threshold.
MIN_ANSWERABLE = 10


class CalibrationError(QAError):
    """The labelled questions cannot calibrate a threshold."""


@dataclass(frozen=True)
class Calibration:
    """A threshold fitted for one index and model, with what it was fitted on."""

    threshold: float
    model: str
    answerable: int
    unanswerable: int
    false_abstention: float  # answerable questions it refuses (on the calibration questions)
    correct_abstention: float | None  # unanswerable questions it refuses (None: none given)
    created: str


def fit_threshold(
    results: Sequence[QuestionResult], *, model: str, max_false_abstention: float = 0.03
) -> Calibration:
    """The highest threshold that refuses at most ``max_false_abstention`` of the
    answerable questions: every unanswerable question it can also refuse, it does."""
    answerable = sorted(r.confidence for r in results if not r.unanswerable)
    unanswerable = [r.confidence for r in results if r.unanswerable]
    if len(answerable) < MIN_ANSWERABLE:
        raise CalibrationError(
            f"{len(answerable)} answerable question(s) is too few to calibrate; label at least "
            f"{MIN_ANSWERABLE} questions the documents answer"
        )
    if not 0.0 <= max_false_abstention < 1.0:
        raise CalibrationError("the share of answerable questions to refuse must be in [0, 1)")
    allowed = math.floor(max_false_abstention * len(answerable))
    # Just below the confidence of the first answerable question that must be answered.
    threshold = max(0.0, answerable[allowed] - 1e-6)
    return Calibration(
        threshold=round(threshold, 6),
        model=model,
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        false_abstention=sum(c < threshold for c in answerable) / len(answerable),
        correct_abstention=(
            sum(c < threshold for c in unanswerable) / len(unanswerable) if unanswerable else None
        ),
        created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    )


def calibrate(
    bot: Bot,
    dataset: Dataset,
    *,
    max_false_abstention: float = 0.03,
    limit: int | None = None,
    progress: bool = False,
) -> tuple[Calibration, EvalReport]:
    """Ask ``dataset``'s questions of ``bot`` with every threshold open, and fit one.

    Nothing is stored: :func:`save_calibration` does that.
    """
    open_bot = Bot(
        bot.store,
        bot.embedder,
        threshold=0.0,
        fusion=bot.fusion,
        quotes=bot.quote_options,
        model=bot.model,
    )
    report = evaluate(open_bot, dataset, limit=limit, progress=progress)
    fitted = fit_threshold(
        report.results, model=bot.store.manifest.model, max_false_abstention=max_false_abstention
    )
    return fitted, report


def save_calibration(location: str | os.PathLike[str], calibration: Calibration) -> None:
    """Store ``calibration`` with the index at ``location`` (folder or database URL)."""
    write_setting(location, SETTING, asdict(calibration))


def load_calibration(location: str | os.PathLike[str], *, model: str) -> Calibration | None:
    """The calibration stored with the index, if it was made for ``model``."""
    data: dict[str, Any] | None = read_setting(location, SETTING)
    if not data or data.get("model") != model:
        return None
    try:
        return Calibration(**data)
    except TypeError:
        return None  # written by another version: the shipped threshold applies
