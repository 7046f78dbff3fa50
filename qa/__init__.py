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
    IndexLocation,
    IndexLockedError,
    IndexNotFoundError,
    ModelMismatchError,
    ModelNotFoundError,
    QAError,
    QuestionError,
    is_database_url,
    open_index,
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

# Per index: its location (asked for its version), the version loaded, and the bot.
_bots: dict[str, tuple[IndexLocation, str, Bot]] = {}
_bots_lock = threading.Lock()


def retrieve(
    question: str,
    *,
    index: str | os.PathLike[str],
    k: int = 5,
    mode: Mode = "hybrid",
    sources: Sequence[str] | None = None,
) -> list[Passage]:
    """One call: load the index at ``index`` and retrieve ``k`` passages.

    The index is loaded once per process, and again whenever a writer made a newer version
    of it (a cheap check per call: one small file, or one row of the database).
    """
    # A database URL is its own key; a folder is keyed by its absolute path.
    key = str(index) if is_database_url(index) else str(Path(index).resolve())
    with _bots_lock:
        cached = _bots.get(key)
        location = cached[0] if cached else open_index(key)
        version = location.version()
        if cached is None or cached[1] != version:
            old = cached[2] if cached else None
            embedder = old.embedder if old is not None else None
            try:
                bot = load(key, embedder=embedder)
            except ModelMismatchError:  # rebuilt with another model: load that one
                bot = load(key)
            _bots[key] = (location, version, bot)
        bot = _bots[key][2]
    return bot.retrieve(question, k=k, mode=mode, sources=sources)
