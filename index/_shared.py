"""Logic both stores share, written once: idf of a term, and the sentences inside a passage.

The folder store (:mod:`index._store`, :mod:`index._lexical`) and PostgreSQL
(:mod:`index._pg`) call these, so a question's words weigh the same and a passage's sentences
are the same rows whichever store holds the index (``tests/test_parity.py``).
"""

from __future__ import annotations

import math

import numpy as np


def idf_array(df: np.ndarray, n: int | float) -> np.ndarray:
    """Inverse document frequency of terms held by ``df`` of ``n`` passages each (BM25's,
    never negative); a term no passage holds weighs ``log(1.5)``."""
    d = np.asarray(df, dtype=np.float64)
    held = np.log(1.0 + (n - d + 0.5) / (np.maximum(d, 0.0) + 0.5))
    return np.where(d > 0, held, math.log(1.5))


def idf(df: int | float, n: int | float) -> float:
    """:func:`idf_array` of one term."""
    return float(idf_array(np.array([df]), n)[0])


def sentences_inside(
    starts: np.ndarray, ends: np.ndarray, start: int, end: int, *, key: int = 0
) -> np.ndarray:
    """Positions of the sentences that start at or after ``start`` and end by ``end``.

    ``starts`` is sorted, each plus ``key`` (the folder store keys all its documents'
    sentences as ``document << 40 | start`` in one array); a bisection finds the first, so the
    cost is that of the passage's own sentences, not of the document's or the index's.
    """
    lo = int(np.searchsorted(starts, key + start, side="left"))
    hi = int(np.searchsorted(starts, key + end, side="left"))
    rows = np.arange(lo, hi)
    return rows[ends[lo:hi] <= end]
