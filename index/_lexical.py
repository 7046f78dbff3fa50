"""Keyword side of retrieval: BM25 by bm25s over stemmed, stop-worded terms.

Text is NFKC-normalised and case-folded before it is cut into words, so that a decomposed
accent ("cafe" + U+0301) matches the composed one and a ligature ("\ufb01nance") matches
its letters. An index records :data:`ANALYZER`; one built with another analyzer is rebuilt
by ``qa index`` and refused by readers, since its words would not match the questions'.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ._shared import idf, idf_array

_WORD = re.compile(r"(?u)\b\w\w+\b|\b\d\b")

# BM25 parameters for passages of a paragraph or so: k1 = 0.9, b = 0.4 (the defaults of
# Anserini's passage runs). Against bm25s's own defaults (1.5, 0.75) they gave +0.9 points
# of keyword recall@1 and +0.6 of hybrid recall@1 on SQuAD dev (docs/QUALITY.md). An index
# keeps the values it was built with.
K1 = 0.9
B = 0.4

#: Name and version of :func:`terms`, recorded in every index (manifest, ``qa_meta``).
ANALYZER = "nfkc-casefold/snowball-english/bm25s-stopwords-en/v2"
#: What an index written before the analyzer was recorded used (lower-case, no NFKC).
LEGACY_ANALYZER = "lowercase/snowball-english/bm25s-stopwords-en/v1"


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def terms(text: str) -> list[str]:
    """NFKC-normalised, case-folded, stemmed words of ``text`` without English stop words."""
    stop = _stopwords()
    folded = unicodedata.normalize("NFKC", text).casefold()
    words = [w for w in _WORD.findall(folded) if w not in stop]
    return list(_stemmer().stemWords(words)) if words else []


class Lexical:
    """A BM25 index over passages, saved beside the vectors and never rebuilt per query."""

    def __init__(self, bm25: Any) -> None:
        self._bm25 = bm25
        indptr = np.asarray(bm25.scores["indptr"])
        n_docs = int(bm25.scores["num_docs"])
        df = np.diff(indptr)
        # Inverse document frequency per term id, used to weigh term overlap in quotes.
        self._idf = idf_array(df, n_docs)
        self._vocab: dict[str, int] = bm25.vocab_dict

    @classmethod
    def build(cls, texts: Sequence[str]) -> Lexical:
        """Index the given passage texts."""
        import bm25s

        bm25 = bm25s.BM25(k1=K1, b=B)
        tokens = [terms(t) or ["\u2205"] for t in texts]  # bm25s needs a token per passage
        bm25.index(tokens, show_progress=False)
        return cls(bm25)

    def save(self, folder: Path) -> None:
        """Write the bm25s files into ``folder``."""
        self._bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> Lexical:
        """Read an index written by :meth:`save`."""
        import bm25s

        return cls(bm25s.BM25.load(str(folder), show_progress=False))

    def scores(self, query_terms: Sequence[str]) -> np.ndarray | None:
        """BM25 score of every passage, or None when no query term is in the vocabulary."""
        known = [t for t in query_terms if t in self._vocab]
        if not known:
            return None
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def known(self, term: str) -> bool:
        """Whether some passage holds ``term``."""
        return term in self._vocab

    def idf(self, term: str) -> float:
        """Inverse document frequency of a term (``log(1.5)`` for unknown terms)."""
        tid = self._vocab.get(term)
        return float(self._idf[tid]) if tid is not None else idf(0, 1)
