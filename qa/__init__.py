"""Ask questions of your documents and get exact quotes with their sources.

>>> import qa
>>> bot = qa.load("my-index")
>>> answer = bot.ask("What are the five functions of diplomacy?")
>>> answer.found, answer.quotes[0].text

The names here are the user's: load an index (:func:`load`, :func:`retrieve`), ask it
(:class:`Bot`, :class:`Answer`, :class:`Passage`, :class:`Quote`), measure it
(:func:`evaluate`, :func:`load_dataset`), fit its answer/refuse threshold
(:func:`calibrate`, :func:`save_calibration`), and the errors to catch (all
:class:`QAError`). Rendering answers is the UI's (``ui``); the options, features and
helpers the benchmarks tune with are in :mod:`qa.tuning`.
"""

from index import (
    DatabaseError,
    DocumentError,
    EmptyCorpusError,
    IndexCorruptError,
    IndexLockedError,
    IndexNotFoundError,
    ModelMismatchError,
    ModelNotFoundError,
    QAError,
    QuestionError,
)

from ._answer_model import AnswerModelError
from ._bot import MAX_QUESTION_CHARS, MODES, Bot, Mode, clean_question, load
from ._calibrate import Calibration, CalibrationError, calibrate, save_calibration
from ._eval import EvalReport, evaluate, prepare_index
from ._eval_data import Dataset, DatasetError, load_dataset
from ._retrieve import retrieve
from ._types import Answer, Passage, Quote

__all__ = [
    "MAX_QUESTION_CHARS",
    "MODES",
    "Answer",
    "AnswerModelError",
    "Bot",
    "Calibration",
    "CalibrationError",
    "DatabaseError",
    "Dataset",
    "DatasetError",
    "DocumentError",
    "EmptyCorpusError",
    "EvalReport",
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
    "calibrate",
    "clean_question",
    "evaluate",
    "load",
    "load_dataset",
    "prepare_index",
    "retrieve",
    "save_calibration",
]
