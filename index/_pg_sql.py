"""The SQL of the PostgreSQL store's searches: BM25 over the GIN index, exact dense scans.

The keyword search ranks full-text matches by the same BM25 formula (and k1, b) as the
folder store's bm25s index, so both backends rank keyword hits alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._lexical import K1, B

# Keyword search: the GIN index finds passages holding any query term; each is scored by
# BM25 with idf from document frequencies (counted through the GIN index too) and the
# passage count and mean length kept in qa_meta by writers.
_BM25_TEMPLATE = """
WITH stats AS (
    SELECT (SELECT value::float8 FROM qa_meta WHERE key = 'passages') AS n,
           (SELECT value::float8 FROM qa_meta WHERE key = 'mean_terms') AS mean
), query AS (
    SELECT t AS term, count(*) AS times FROM unnest(%(terms)s::text[]) AS t GROUP BY t
), weights AS (
    SELECT term, times, (SELECT count(*) FROM qa_passages
                         WHERE tsv @@ to_tsquery('simple', quote_literal(term))) AS df
    FROM query
), hits AS (
    SELECT id, document, start_char, end_char, tsv, n_terms FROM qa_passages
    WHERE tsv @@ to_tsquery('simple', %(any)s){only}
)
SELECT h.id, h.document, h.start_char, h.end_char,
       sum(w.times * ln(1 + (s.n - w.df + 0.5) / (w.df + 0.5))
           * cardinality(u.positions)
           / (cardinality(u.positions)
              + %(k1)s * (1 - %(b)s + %(b)s * h.n_terms / greatest(s.mean, 1e-9)))) AS score,
       (SELECT json_object_agg(term, df) FROM weights) AS dfs, max(s.n) AS n
FROM hits h
CROSS JOIN stats s
CROSS JOIN LATERAL unnest(h.tsv) AS u(lexeme, positions, weights)
JOIN weights w ON w.term = u.lexeme
GROUP BY h.id, h.document, h.start_char, h.end_char
ORDER BY score DESC, h.id
LIMIT %(k)s
"""
# Only passages of the documents named in %(sources)s. In keyword search, document
# frequencies (``weights``) and the passage count stay those of the whole index, as in the
# folder store.
_IN_SOURCES = "document IN (SELECT id FROM qa_documents WHERE source = ANY(%(sources)s::text[]))"
_BM25_SQL = _BM25_TEMPLATE.format(only="")
_BM25_SOURCES_SQL = _BM25_TEMPLATE.format(only=f"\n      AND {_IN_SOURCES}")
# Dense search in some documents scores every passage of theirs exactly. An HNSW scan with
# the filter drops candidates from other documents after the search, leaving fewer than k
# (none, for a small document in a large index); the passages of a few documents are few,
# and found through the index on qa_passages (document). MATERIALIZED keeps the planner
# from answering the ORDER BY with the HNSW index.
DENSE_SOURCES_SQL = f"""
WITH scored AS MATERIALIZED (
    SELECT id, document, start_char, end_char, embedding <=> %(v)s AS distance
    FROM qa_passages WHERE {_IN_SOURCES}
)
SELECT id, document, start_char, end_char, 1 - distance FROM scored
ORDER BY distance, id
LIMIT %(k)s
"""


DENSE_EXACT_SQL = """
WITH scored AS MATERIALIZED (
    SELECT id, document, start_char, end_char, embedding <=> %(v)s AS distance
    FROM qa_passages
)
SELECT id, document, start_char, end_char, 1 - distance FROM scored
ORDER BY distance, id
LIMIT %(k)s
"""


def source_names(sources: Sequence[str]) -> list[str]:
    """Source names as a list for ``ANY(...)``; one name given as a string is one name."""
    return [sources] if isinstance(sources, str) else [str(s) for s in sources]


def tsquery_any(query_terms: Sequence[str]) -> str:
    """A ``to_tsquery('simple', ...)`` text matching any of the (already stemmed) terms."""
    unique = dict.fromkeys(t for t in query_terms if t)
    return " | ".join("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in unique)


def keyword_query(
    query_terms: Sequence[str], k: int, *, sources: Sequence[str] | None = None
) -> tuple[str, dict[str, Any]] | None:
    """The BM25 SQL of a keyword search for the (stemmed) terms and its parameters, or None
    when no term is left to search for."""
    words = [t for t in query_terms if t]
    text = tsquery_any(words)
    if not text:
        return None
    params: dict[str, Any] = {"terms": words, "any": text, "k": k, "k1": K1, "b": B}
    if sources is None:
        return _BM25_SQL, params  # the same k1 and b as the folder store
    return _BM25_SOURCES_SQL, {**params, "sources": source_names(sources)}
