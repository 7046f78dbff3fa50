"""Scoring the bot on a data set, through the same calls the product makes.

Every figure comes from :meth:`Bot.retrieve` and :meth:`Bot.ask` on a real index; nothing
here re-implements retrieval. For BEIR folders relevance is per document: a document counts
as found at the rank of its best passage.
"""

from __future__ import annotations

import hashlib
import os
import random
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from index import (
    ChunkingOptions,
    Embedder,
    IndexCorruptError,
    IndexNotFoundError,
    build_index,
)
from index.parts import (
    ANALYZER,
    SearchStore,
    build_from_documents,
    canonical_model_name,
    read_manifest,
)

from ._bot import Bot, Mode, clean_question
from ._eval_data import Dataset, EvalQuestion
from ._eval_metrics import (
    contains_any,
    distinct,
    first_hit,
    inside_any,
    is_evidence,
    ndcg_at,
    recall_at,
)
from ._tradeoff import TradeoffRow, tradeoff

#: Cut-offs reported for recall (documents for BEIR folders, passages for evidence files).
RECALL_AT = (1, 3, 5, 10, 100)
HIT_AT = (1, 3, 5, 10)
#: Roughly how many sentences an answer scores (three passages of a few sentences).
_SENTENCES_PER_ANSWER = 15


@dataclass(frozen=True)
class QuestionResult:
    """What happened to one question."""

    id: str
    rank: int | None  # rank of the first relevant document / evidence passage, from 1
    found: bool  # the answer's verdict: quotes given (True) or "not in the documents"
    confidence: float
    quote_correct: bool | None  # first quote holds a gold answer; None without gold answers
    unanswerable: bool
    ndcg10: float = 0.0  # BEIR only: nDCG@10 of the distinct-document ranking
    recall: tuple[float, ...] = ()  # BEIR only: recall at each of RECALL_AT
    #: Ranked distinct document ids (BEIR) used for nDCG/MRR/recall; empty for evidence files.
    ranking: tuple[str, ...] = ()
    #: The first quote lies inside one evidence text; None without evidence (BEIR).
    quote_in_evidence: bool | None = None


@dataclass(frozen=True)
class EvalReport:
    """Aggregate figures of one evaluation run, plus every question's result."""

    dataset: str
    kind: str
    mode: str
    k: int
    index: str
    questions: int
    metrics: dict[str, float]
    counts: dict[str, int]
    seconds: float  # answering the questions
    build_seconds: float  # preparing the index (0 when an existing one was reused)
    results: tuple[QuestionResult, ...] = field(default=(), repr=False)
    #: Share refused against share wrong at other thresholds (when answers were asked for).
    tradeoff: tuple[TradeoffRow, ...] = ()
    threshold: float = 0.0  # the bot's threshold, the first row of :attr:`tradeoff`

    def summary(self) -> dict[str, object]:
        """The report without per-question results, for ``--json``."""
        return {
            "dataset": self.dataset,
            "kind": self.kind,
            "mode": self.mode,
            "k": self.k,
            "index": self.index,
            "questions": self.questions,
            "metrics": self.metrics,
            "counts": self.counts,
            "seconds": round(self.seconds, 1),
            "build_seconds": round(self.build_seconds, 1),
            "threshold": self.threshold,
            "tradeoff": [asdict(row) for row in self.tradeoff],
        }

    def table(self) -> str:
        """The figures as a plain-text table."""
        lines = [
            f"{self.dataset} ({self.kind}), mode {self.mode}, {self.questions} questions, "
            f"answers with k={self.k}",
        ]
        width = max(len(name) for name in self.metrics)
        lines.append(f"  {'metric'.ljust(width)}  value")
        for name, value in self.metrics.items():
            lines.append(f"  {name.ljust(width)}  {value:.3f}")
        counted = ", ".join(f"{n} {v}" for n, v in self.counts.items())
        lines.append(f"  ({counted})")
        if self.tradeoff:
            lines.append("  trade-off (qa calibrate moves the threshold; * marks this one):")
            lines.append("    threshold  refused  refused answerable  wrong answers")
            for row in self.tradeoff:
                mark = "*" if row.threshold == self.threshold else " "
                lines.append(
                    f"   {mark}{row.threshold:9.4f}  {row.refused:7.1%}  "
                    f"{row.refused_answerable:18.1%}  {row.wrong:13.1%}"
                )
        lines.append(
            f"  index ready in {self.build_seconds:.1f}s, questions answered in "
            f"{self.seconds:.1f}s ({self.seconds / max(self.questions, 1) * 1000:.0f} ms each)"
        )
        return "\n".join(lines)


def prepare_index(
    dataset: Dataset,
    out: str | os.PathLike[str],
    *,
    embedder: Embedder,
    chunking: ChunkingOptions | None = None,
    progress: bool = False,
) -> float:
    """Build the index of ``dataset``'s corpus at ``out``, or reuse it when it matches.

    Returns the seconds spent (0.0 when the index was reused as it is). A BEIR index is
    reused when its manifest lists the same model, chunking and documents (ids and hashes);
    otherwise it is rebuilt, keeping the vectors of unchanged documents.
    """
    root = Path(out)
    wanted = chunking or ChunkingOptions(
        max_tokens=min(ChunkingOptions().max_tokens, embedder.max_tokens)
    )
    started = time.perf_counter()
    if dataset.kind == "beir":
        if _matches(root, dataset, embedder, wanted):
            return 0.0
        build_from_documents(
            dataset.documents, root, embedder=embedder, chunking=wanted, progress=progress
        )
    else:
        # Files on disk: the build itself notices unchanged files and keeps their vectors.
        build_index(
            dataset.corpus_paths, root, embedder=embedder, chunking=wanted, progress=progress
        )
    return time.perf_counter() - started


def _matches(root: Path, dataset: Dataset, embedder: Embedder, chunking: ChunkingOptions) -> bool:
    try:
        manifest = read_manifest(root)
    except (IndexNotFoundError, IndexCorruptError):
        return False
    have = [(s.source, s.sha256) for s in manifest.sources]
    want = [(d.source, d.sha256) for d in dataset.documents]
    return (
        manifest.model == canonical_model_name(embedder.name)
        and manifest.chunking == chunking
        and manifest.analyzer == ANALYZER
        and not manifest.keep_all
        and have == want
    )


def sample_questions(
    questions: Sequence[EvalQuestion], limit: int | None, *, seed: int = 0
) -> list[EvalQuestion]:
    """All questions, or a reproducible random ``limit`` of them in their original order."""
    if limit is None or limit >= len(questions):
        return list(questions)
    chosen = sorted(random.Random(seed).sample(range(len(questions)), limit))
    return [questions[i] for i in chosen]


def evaluate(
    bot: Bot,
    dataset: Dataset,
    *,
    mode: Mode = "hybrid",
    k: int = 5,
    limit: int | None = None,
    progress: bool = False,
    index: str = "",
    build_seconds: float = 0.0,
    answers: bool = True,
    sentence_cache: Path | None = None,
) -> EvalReport:
    """Ask every question of ``dataset`` (or a sample of ``limit``) and score the answers.

    ``k`` is the number of passages an answer is drawn from, as in ``qa ask -k``. Rankings
    for nDCG/MRR/recall come from :meth:`Bot.retrieve`; the verdict (found or not) and the
    quotes from :meth:`Bot.ask`. With ``answers=False`` only rankings are scored (for
    quick sweeps of retrieval options). ``sentence_cache`` is a file where the vectors of the
    index's sentences are kept between runs (they are the same model's vectors, keyed by the
    index version), so a second run over the same index does not embed them again.
    """
    started = time.perf_counter()
    questions = sample_questions(dataset.questions, limit)
    store = bot.store
    # Same model, same options, same vectors: texts are embedded once, in batches, up front
    # (the questions, and the sentences quotes are chosen from when enough questions will
    # need them); the calls below then find them remembered.
    sentences = [store.documents[d].text[s:e] for d, s, e in store.sentences]
    # Indexes built since sentences have vectors need none embedded (quotes read them).
    stored = len(store) > 0 and store.sentence_vectors_of(0) is not None
    prime_sentences = (
        answers and not stored and len(questions) * _SENTENCES_PER_ANSWER > len(sentences) // 4
    )
    memo = MemoEmbedder(
        bot.embedder, size=len(questions) + (len(sentences) if prime_sentences else 0) + 4096
    )
    memo.prime([clean_question(q.text) for q in questions], progress=progress)
    if prime_sentences:
        memo.prime_cached(sentences, cache=sentence_cache, key=_cache_key(store), progress=progress)
    bot = Bot(
        store,
        memo,
        threshold=bot.threshold,
        fusion=bot.fusion,
        quotes=bot.quote_options,
        model=bot.model,
    )
    items: Sequence[EvalQuestion] = questions
    if progress:
        from tqdm import tqdm

        items = tqdm(questions, desc="questions", unit="q")
    results = [_one(bot, dataset.kind, q, mode=mode, k=k, answers=answers) for q in items]
    seconds = time.perf_counter() - started
    metrics, counts = aggregate(results, kind=dataset.kind)
    rows = tradeoff(results, sorted({bot.threshold, *_deciles(results)})) if answers else []
    return EvalReport(
        dataset=dataset.name,
        kind=dataset.kind,
        mode=mode,
        k=k,
        index=index or str(bot.store.path),
        questions=len(results),
        metrics=metrics,
        counts=counts,
        seconds=seconds,
        build_seconds=build_seconds,
        results=tuple(results),
        tradeoff=tuple(rows),
        threshold=bot.threshold,
    )


def _deciles(results: Sequence[QuestionResult]) -> list[float]:
    ranked = sorted(r.confidence for r in results)
    return [ranked[len(ranked) * q // 10] for q in range(1, 10)] if ranked else []


def _one(
    bot: Bot, kind: str, q: EvalQuestion, *, mode: Mode, k: int, answers: bool = True
) -> QuestionResult:
    found, confidence = True, 0.0
    gold = q.answers or q.evidence
    quote_correct: bool | None = None
    quote_in_evidence: bool | None = None
    # A question meant for one document is asked of that document alone.
    sources = [q.source] if q.source else None
    if answers:
        answer = bot.ask(q.text, k=k, mode=mode, sources=sources)
        found, confidence = answer.found, answer.confidence
        if gold and not q.unanswerable:
            quote_correct = bool(answer.quotes) and contains_any(answer.quotes[0].text, gold)
        if q.evidence and not q.unanswerable:
            # Paragraph evidence holds the quote; phrase evidence is held by it.
            first = answer.quotes[0].text if answer.quotes else ""
            quote_in_evidence = bool(first) and (
                inside_any(first, q.evidence) or contains_any(first, q.evidence)
            )
    rank: int | None = None
    ranking: tuple[str, ...] = ()
    ndcg10 = 0.0
    recall: tuple[float, ...] = ()
    if kind == "beir":
        top = document_ranking(bot, q.text, mode=mode, documents=max(HIT_AT))
        deep = document_ranking(bot, q.text, mode=mode, documents=max(RECALL_AT))
        # The first ten come from a product-sized call (fusion depth as configured); the
        # deeper list only fills ranks beyond them, for recall@100.
        ranking = tuple(distinct([*top[: max(HIT_AT)], *deep]))
        rank = first_hit(ranking, q.relevant)
        ndcg10 = ndcg_at(ranking, q.relevant, 10)
        recall = tuple(recall_at(ranking, q.relevant, cut) for cut in RECALL_AT)
    elif not q.unanswerable:
        passages = bot.retrieve(q.text, k=max(HIT_AT), mode=mode, sources=sources)
        ranks = [i for i, p in enumerate(passages, start=1) if is_evidence(p.text, q.evidence)]
        rank = ranks[0] if ranks else None
    return QuestionResult(
        id=q.id,
        rank=rank,
        found=found,
        confidence=confidence,
        quote_correct=quote_correct,
        unanswerable=q.unanswerable,
        ndcg10=ndcg10,
        recall=recall,
        ranking=ranking,
        quote_in_evidence=quote_in_evidence,
    )


def document_ranking(bot: Bot, question: str, *, mode: Mode, documents: int) -> list[str]:
    """Distinct sources of the best passages, best first, until ``documents`` are listed."""
    total = len(bot.store)
    want = min(documents, len(bot.store.documents))
    n = min(total, max(2 * documents, 10))
    while True:
        ranked = distinct([p.source for p in bot.retrieve(question, k=n, mode=mode)])
        if len(ranked) >= want or n >= total:
            return ranked[:documents]
        n = min(total, 2 * n)


def aggregate(
    results: Sequence[QuestionResult], *, kind: str
) -> tuple[dict[str, float], dict[str, int]]:
    """Mean metrics and counts over ``results``."""
    answerable = [r for r in results if not r.unanswerable]
    unanswerable = [r for r in results if r.unanswerable]
    metrics: dict[str, float] = {}
    if answerable:
        mrr = [1.0 / r.rank if r.rank and r.rank <= 10 else 0.0 for r in answerable]
    if answerable and kind == "beir":
        metrics["ndcg@10"] = _mean([r.ndcg10 for r in answerable])
        metrics["mrr@10"] = _mean(mrr)
        for i, cut in enumerate(RECALL_AT):
            metrics[f"recall@{cut}"] = _mean([r.recall[i] for r in answerable])
    elif answerable:
        metrics["mrr@10"] = _mean(mrr)
        for cut in HIT_AT:
            metrics[f"hit@{cut}"] = _mean(
                [float(r.rank is not None and r.rank <= cut) for r in answerable]
            )
    graded = [r for r in answerable if r.quote_correct is not None]
    if graded:
        metrics["quote_accuracy"] = _mean([float(bool(r.quote_correct)) for r in graded])
    with_evidence = [r for r in answerable if r.quote_in_evidence is not None]
    if with_evidence:
        metrics["quote_in_evidence"] = _mean(
            [float(bool(r.quote_in_evidence)) for r in with_evidence]
        )
    if answerable:
        metrics["false_abstention"] = _mean([float(not r.found) for r in answerable])
    if unanswerable:
        metrics["correct_abstention"] = _mean([float(not r.found) for r in unanswerable])
    counts = {
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "with_gold_answers": len(graded),
    }
    return metrics, counts


def _mean(values: Sequence[float]) -> float:
    return float(np.mean(values)) if len(values) else 0.0


def _cache_key(store: SearchStore) -> str:
    # The vectors depend on the model and the sentence texts only, not on chunking.
    digest = hashlib.sha256(np.ascontiguousarray(store.sentences, dtype=np.int64).tobytes())
    for doc in store.documents:
        digest.update(doc.sha256.encode())
    return f"{store.manifest.model}|{digest.hexdigest()}"


class MemoEmbedder:
    """An embedder that remembers its last few thousand vectors (same model, same output)."""

    def __init__(self, inner: Embedder, *, size: int = 4096) -> None:
        self._inner = inner
        self._size = size
        self._memo: OrderedDict[str, np.ndarray] = OrderedDict()

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    @property
    def max_tokens(self) -> int:
        return self._inner.max_tokens

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return self._inner.token_spans(text)

    def prime(self, texts: Sequence[str], *, progress: bool = False) -> None:
        """Embed ``texts`` in batches now, so later calls find them."""
        todo = list(dict.fromkeys(t for t in texts if t not in self._memo))
        if todo:
            for text, vector in zip(todo, self._inner.embed(todo, progress=progress), strict=True):
                self._memo[text] = vector

    def prime_cached(
        self, texts: Sequence[str], *, cache: Path | None, key: str, progress: bool = False
    ) -> None:
        """Like :meth:`prime`, reading and writing the vectors of ``texts`` at ``cache``."""
        if cache is not None and cache.is_file():
            try:
                with np.load(cache, allow_pickle=False) as saved:
                    if str(saved["key"]) == key and saved["vectors"].shape[0] == len(texts):
                        for text, vector in zip(texts, saved["vectors"], strict=True):
                            self._memo[text] = vector
                        return
            except (OSError, ValueError, KeyError):
                pass  # an unreadable cache is only a slower run: embed again
        self.prime(texts, progress=progress)
        if cache is not None and texts:
            vectors = np.stack([self._memo[t] for t in texts]).astype(np.float32)
            tmp = cache.with_name(cache.name + ".tmp.npz")
            np.savez(tmp, key=np.array(key), vectors=vectors)
            os.replace(tmp, cache)

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        fresh: dict[str, np.ndarray] = {}
        todo = list(dict.fromkeys(t for t in texts if t not in self._memo))
        if todo:
            for text, vector in zip(todo, self._inner.embed(todo), strict=True):
                fresh[text] = vector
                self._memo[text] = vector
                if len(self._memo) > self._size:
                    self._memo.popitem(last=False)
        rows = [fresh[t] if t in fresh else self._memo[t] for t in texts]
        if not rows:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack(rows).astype(np.float32, copy=False)
