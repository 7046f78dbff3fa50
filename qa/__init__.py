"""Ask questions of your documents and get exact quotes with their sources.

>>> import qa
>>> bot = qa.load("my-index")
>>> answer = bot.ask("What are the five functions of diplomacy?")
>>> answer.found, answer.quotes[0].text
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

from index import (
    DocumentError,
    EmptyCorpusError,
    IndexCorruptError,
    IndexLockedError,
    IndexNotFoundError,
    ModelMismatchError,
    ModelNotFoundError,
    QAError,
    QuestionError,
    is_database_url,
)

from ._answer_model import AnswerModel, AnswerModelError, load_answer_model
from ._bot import MODES, Bot, Mode, Ranking, clean_question, load
from ._calibrate import Calibration, CalibrationError, calibrate, load_calibration, save_calibration
from ._eval import EvalReport, evaluate, prepare_index
from ._eval_data import Dataset, DatasetError, load_dataset
from ._feedback import (
    ExportReport,
    FeedbackError,
    export_feedback,
    feedback_record,
    load_feedback,
    record_feedback,
)
from ._fusion import FusionOptions, reciprocal_rank_fusion
from ._quote import QuoteOptions
from ._tradeoff import TradeoffRow, tradeoff
from ._types import Answer, Passage, Quote

__all__ = [
    "MODES",
    "Answer",
    "AnswerModel",
    "AnswerModelError",
    "Bot",
    "Calibration",
    "CalibrationError",
    "Dataset",
    "DatasetError",
    "DocumentError",
    "EmptyCorpusError",
    "EvalReport",
    "ExportReport",
    "FeedbackError",
    "FusionOptions",
    "IndexCorruptError",
    "IndexLockedError",
    "IndexNotFoundError",
    "Mode",
    "ModelMismatchError",
    "ModelNotFoundError",
    "Passage",
    "QAError",
    "QuestionError",
    "Quote",
    "QuoteOptions",
    "Ranking",
    "TradeoffRow",
    "calibrate",
    "clean_question",
    "evaluate",
    "export_feedback",
    "feedback_record",
    "load",
    "load_answer_model",
    "load_calibration",
    "load_dataset",
    "load_feedback",
    "prepare_index",
    "reciprocal_rank_fusion",
    "record_feedback",
    "retrieve",
    "save_calibration",
    "tradeoff",
]

_bots: dict[str, Bot] = {}
_bots_lock = threading.Lock()


def retrieve(
    question: str,
    *,
    index: str | os.PathLike[str],
    k: int = 5,
    mode: Mode = "hybrid",
    sources: Sequence[str] | None = None,
) -> list[Passage]:
    """One call: load the index at ``index`` (once per process) and retrieve ``k`` passages."""
    # A database URL is its own key; a folder is keyed by its absolute path.
    key = str(index) if is_database_url(index) else str(Path(index).resolve())
    with _bots_lock:
        bot = _bots.get(key)
        if bot is None:
            bot = _bots[key] = load(key)
    return bot.retrieve(question, k=k, mode=mode, sources=sources)
