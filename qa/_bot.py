"""The question-answering bot: hybrid retrieval, quote selection, abstention."""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from index import (
    Document,
    Embedder,
    ModelMismatchError,
    QuestionError,
    load_embedder,
    open_index,
)
from index.parts import DEFAULT_BACKEND, SearchStore, canonical_model_name, location_label

from ._answer_model import AnswerModel, load_answer_model
from ._evidence import (
    Candidates,
    Sentences,
    TermWeights,
    candidates,
    decision_features,
    sentence_features,
    sentences,
    term_weights,
)
from ._followup import (
    Context,
    FollowupOptions,
    Turn,
    carry_terms,
    followup_kind,
    passage_bonus,
    resolve,
    with_passages,
)
from ._fusion import FusionOptions, reciprocal_rank_fusion
from ._meta import (
    Line,
    about_other_work,
    metadata_kind,
    metadata_line,
    passage_lines,
    residual_terms,
)
from ._quote import Candidate, QuoteOptions, pick_quotes
from ._rerank import rerank_features
from ._types import Answer, Passage, Quote

Mode = Literal["hybrid", "dense", "keyword"]
MODES: tuple[str, ...] = ("hybrid", "dense", "keyword")
MAX_QUESTION_CHARS = 2000

# Control characters, and lone surrogates (undecodable bytes in a command line) that the
# tokenizer cannot encode.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_question(question: str) -> str:
    """Normalise a question, or raise :class:`QuestionError` saying what to fix."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    if len(question) > 10 * MAX_QUESTION_CHARS:  # before any work on a huge input
        raise QuestionError(
            f"the question is {len(question):,} characters long; "
            f"ask in at most {MAX_QUESTION_CHARS:,} characters"
        )
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", question))
    text = " ".join(text.split())
    if not text:
        raise QuestionError("the question is empty; type a question about the documents")
    if not any(c.isalnum() for c in text):
        raise QuestionError(
            "the question has no words, only symbols; type a question about the documents"
        )
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"the question is {len(text):,} characters long; "
            f"ask in at most {MAX_QUESTION_CHARS:,} characters"
        )
    return text


@dataclass(frozen=True)
class Ranking:
    """One question's candidates and their order: what :meth:`Bot.ask` decides from."""

    question: str
    vector: np.ndarray
    weights: TermWeights
    candidates: Candidates
    order: np.ndarray  # rows of ``candidates``, best first
    scores: np.ndarray  # the ranking score of each row of ``order``
    context: Context | None = None  # what a follow-up carried from the previous turn
    searched_as: str | None = None  # the text embedded, when not the question alone


class Bot:
    """Answers questions from one index. Create with :func:`qa.load`."""

    def __init__(
        self,
        store: SearchStore,
        embedder: Embedder,
        *,
        threshold: float | None = None,
        fusion: FusionOptions | None = None,
        quotes: QuoteOptions | None = None,
        model: AnswerModel | None = None,
        followup: FollowupOptions | None = None,
    ) -> None:
        if canonical_model_name(embedder.name) != store.manifest.model:
            raise ModelMismatchError(
                f"the index at {store.path} was built with {store.manifest.model!r}, not "
                f"{embedder.name!r}; load it without a model or rebuild it with that model"
            )
        self.store = store
        self.embedder = embedder
        self.model = model or load_answer_model()
        #: The answer/refuse cut-off on the answer model's probability: given, else the
        #: index's own calibration (``qa calibrate``), else the fitted default.
        self.threshold = threshold if threshold is not None else self.model.threshold
        self.fusion = fusion or FusionOptions()
        self.quote_options = quotes or QuoteOptions()
        self.followup = followup or FollowupOptions()

    def close(self) -> None:
        """Release the store (a database connection; nothing for a folder index)."""
        self.store.close()

    def __enter__(self) -> Bot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def sources(self) -> list[str]:
        """Names of the indexed sources."""
        return [doc.source for doc in self.store.documents]

    def document(self, source: str) -> str:
        """The indexed text of ``source``; passages and quotes are slices of it."""
        try:
            return self.store.document(source).text
        except KeyError:
            raise KeyError(f"no source {source!r} in this index") from None

    def retrieve(
        self,
        question: str,
        *,
        k: int = 5,
        mode: Mode = "hybrid",
        sources: Sequence[str] | None = None,
        history: Sequence[Turn] = (),
    ) -> list[Passage]:
        """The ``k`` passages that best match ``question``, best first.

        ``sources`` limits the search to those documents (names as :attr:`sources` lists);
        ``history`` is the conversation so far, as in :meth:`ask`.
        """
        ranking = self.rank(question, k=k, mode=mode, sources=sources, history=history)
        return self._passages(ranking, k)

    def ask(
        self,
        question: str,
        *,
        k: int = 5,
        mode: Mode = "hybrid",
        sources: Sequence[str] | None = None,
        history: Sequence[Turn] = (),
    ) -> Answer:
        """Answer ``question`` with exact quotes, or say that the documents do not answer it.

        ``sources`` limits the answer to those documents. ``history`` is the conversation so
        far, oldest first: earlier questions or the Answers they got. A question that leans
        on the previous one ("and who wrote it?", "what about X?") is searched with it, and
        ``Answer.searched_as`` says how; a question on a new topic is searched alone.
        """
        ranking = self.rank(question, k=k, mode=mode, sources=sources, history=history)
        text = ranking.question
        passages = tuple(self._passages(ranking, k))
        if not passages:
            return Answer(
                question=text,
                found=False,
                quotes=(),
                passages=(),
                confidence=0.0,
                searched_as=ranking.searched_as,
            )
        scored = self._sentences(ranking)
        chosen = pick_quotes(scored, self.quote_options, weights=ranking.weights)
        cands, top = ranking.candidates, ranking.order[:k]
        best = chosen[0] if chosen else None
        features = decision_features(
            top_similarity=float(cands.similarity[top].max()),
            sentence_similarity=max((c.similarity for c in scored), default=0.0),
            passage_coverage=float(cands.coverage[ranking.order[0]]),
            sentence_coverage=best.overlap if best is not None else 0.0,
            unknown_share=ranking.weights.unknown_share,
            unknown_names=ranking.weights.unknown_names,
            agreement=cands.agreement,
            similarity=cands.similarity,
            sentence=cands.sentence,
            coverage=cands.coverage,
            heading=cands.heading,
        )
        confidence = self.model.probability(features)
        found = confidence >= self.threshold
        if about_other_work(text) and ranking.weights.unknown_names >= 1.0:
            # "The author of Hamlet" when no document names Hamlet: the documents cannot say
            # who wrote a work they never mention, whatever else of the question they match.
            found = False
        quotes = tuple(
            self._quote(c.document, c.start, c.end, c.probability, c.passage) for c in chosen
        )
        kind = metadata_kind(text) or followup_kind(text, ranking.context)
        meta = metadata_line(kind, self._header_groups(passages)) if kind else None
        if meta is not None and (found or not residual_terms(text)):
            # Who wrote it, when, under what title: answered by the header line itself, when
            # the question asks nothing beyond this document's byline ("Who wrote the
            # article?") or the rest of it is answered too.
            doc = self.store.document(passages[meta.passage].source)
            quotes = (self._quote(doc, meta.start, meta.end, 1.0, meta.passage),)
            found = True
        return Answer(
            question=text,
            found=found,
            quotes=quotes if found else (),
            passages=passages,
            confidence=confidence,
            searched_as=ranking.searched_as,
        )

    def rank(
        self,
        question: str,
        *,
        k: int = 5,
        mode: Mode = "hybrid",
        sources: Sequence[str] | None = None,
        depth: int | None = None,
        history: Sequence[Turn] = (),
    ) -> Ranking:
        """The candidates for ``question`` and their order (what ``retrieve`` shows and
        ``ask`` decides from), kept whole for tuning and fitting; ``depth`` overrides how
        many candidates each side brings; ``history`` as in :meth:`ask`."""
        text = clean_question(question)
        if mode not in MODES:
            raise QuestionError(f"unknown search mode {mode!r}; use one of {', '.join(MODES)}")
        if k < 1:
            raise QuestionError("k must be at least 1")
        wanted = self._check_sources(sources)
        context = self._context(text, history, k=k, mode=mode, sources=wanted)
        return self._rank(text, context, k=k, mode=mode, sources=wanted, depth=depth)

    def _rank(
        self,
        text: str,
        context: Context | None,
        *,
        k: int,
        mode: Mode,
        sources: list[str] | None,
        depth: int | None = None,
    ) -> Ranking:
        wanted = sources
        searched_as = context.searched_as(text) if context is not None else None
        if searched_as is None:
            vector = search = self.embedder.embed([text])[0]
        elif self.followup.quote_by_question:
            # Passages are found with the carried questions; quotes answer this one.
            search, vector = self.embedder.embed([searched_as, text])
        else:
            vector = search = self.embedder.embed([searched_as])[0]
        weights = term_weights(text, self.store, sources=wanted)
        if context is not None:
            weights = carry_terms(weights, context, self.store, options=self.followup)
        cands = candidates(
            self.store,
            search,
            weights,
            depth=depth or max(k, self.fusion.depth),
            sources=wanted,
        )
        # Both sides always run (the decision reads their agreement); the mode picks the order.
        scores = self._scores(cands, mode, unknown_share=weights.unknown_share)
        if context is not None:
            scores = scores + passage_bonus(cands, self.store, context, options=self.followup)
        order = np.lexsort((np.arange(len(scores)), -scores))
        if mode == "keyword":
            order = order[cands.keyword_hit[order]]
        elif mode == "dense":
            order = order[cands.dense_hit[order]]
        return Ranking(
            question=text,
            vector=vector,
            weights=weights,
            candidates=cands,
            order=order,
            scores=scores[order],
            context=context,
            searched_as=searched_as,
        )

    def searched_as(self, question: str, *, history: Sequence[Turn] = ()) -> str | None:
        """What ``question`` is searched as after ``history`` (None: as asked), as
        :meth:`ask` would search it."""
        text = clean_question(question)
        turns = _turns(history)
        context = resolve(text, turns, options=self.followup) if turns else None
        return context.searched_as(text) if context is not None else None

    def sentences_of(self, ranking: Ranking, rows: Sequence[int]) -> Sentences:
        """The candidate sentences of the candidate passages at ``rows`` of the ranking."""
        return sentences(
            self.store,
            self.embedder,
            ranking.question,
            ranking.vector,
            ranking.weights,
            ranking.candidates,
            rows,
        )

    # -- internals ---------------------------------------------------------------------------

    def _context(
        self,
        text: str,
        history: Sequence[Turn],
        *,
        k: int,
        mode: Mode,
        sources: list[str] | None,
    ) -> Context | None:
        # What a follow-up carries; None for a new topic (or no history: as without one).
        turns = _turns(history)
        context = resolve(text, turns, options=self.followup) if turns else None
        if context is None or context.passages is not None or not self.followup.passage_bonus:
            return context
        # Only the previous question is known: search it again, as it was (its own context
        # without passages), for the passages its answer was drawn from.
        previous = turns[-1]
        assert isinstance(previous, str)
        before = resolve(previous, turns[:-1], options=self.followup)
        if before is not None:
            before = with_passages(before, ())
        ranking = self._rank(previous, before, k=k, mode=mode, sources=sources)
        rows = ranking.order[: self.followup.carry_passages]
        spans = [self.store.passage_span(int(ranking.candidates.ids[r])) for r in rows]
        return with_passages(context, [(d.source, s, e) for d, s, e in spans])

    def _check_sources(self, sources: Sequence[str] | None) -> list[str] | None:
        if sources is None:
            return None
        if isinstance(sources, str):
            sources = [sources]
        wanted = list(dict.fromkeys(sources))
        if not wanted:
            raise QuestionError("no document chosen; pick at least one, or search them all")
        known = set(self.sources)
        unknown = [s for s in wanted if s not in known]
        if unknown:
            raise QuestionError(
                f"no document {unknown[0]!r} in this index; pick one of those it lists"
            )
        return wanted

    def _scores(self, cands: Candidates, mode: str, *, unknown_share: float) -> np.ndarray:
        if mode == "dense":
            return cands.similarity
        if mode == "keyword":
            return cands.keyword
        if self.fusion.method == "rrf":
            by_sim = np.argsort(-cands.similarity, kind="stable")
            by_kw = [int(i) for i in np.argsort(-cands.keyword, kind="stable") if cands.keyword[i]]
            fused = dict(
                reciprocal_rank_fusion(
                    [by_sim.tolist(), by_kw],
                    weights=[self.fusion.dense_weight, self.fusion.keyword_weight or 1.0],
                    k=self.fusion.rrf_k,
                )
            )
            return np.array([fused.get(i, 0.0) for i in range(len(cands.ids))])
        fusion, model = self.fusion, self.model
        kw = model.keyword_weight if fusion.keyword_weight is None else fusion.keyword_weight
        sw = model.sentence_weight if fusion.sentence_weight is None else fusion.sentence_weight
        cw = model.coverage_weight if fusion.coverage_weight is None else fusion.coverage_weight
        hw = model.heading_weight if fusion.heading_weight is None else fusion.heading_weight
        weighted = (
            cands.similarity
            + kw * cands.keyword
            + sw * cands.sentence
            + cw * cands.coverage
            + hw * cands.heading
        )
        if not (fusion.rerank and model.rerank_trees):
            return weighted
        # The reranker reads the fused score with the rest: each passage's score becomes the
        # probability that it holds the answer.
        features = rerank_features(
            similarity=cands.similarity,
            keyword=cands.keyword,
            sentence=cands.sentence,
            coverage=cands.coverage,
            heading=cands.heading,
            fused=weighted,
            keyword_hit=cands.keyword_hit,
            position=cands.position,
            length=cands.length,
            documents=cands.documents,
            unknown_share=unknown_share,
        )
        return model.rerank_scores(features)

    def _passages(self, ranking: Ranking, k: int) -> list[Passage]:
        cands = ranking.candidates
        return [
            self._passage(int(cands.ids[row]), float(score), float(cands.similarity[row]))
            for row, score in zip(ranking.order[:k], ranking.scores[:k], strict=False)
        ]

    def _sentences(self, ranking: Ranking) -> list[Candidate]:
        # Every sentence of the best few passages, scored by the answer model, best first.
        rows = ranking.order[: self.quote_options.passages]
        sents = self.sentences_of(ranking, [int(r) for r in rows])
        position = np.full(len(ranking.candidates.ids), len(ranking.order), dtype=np.float64)
        position[ranking.order] = np.arange(len(ranking.order))
        cands = ranking.candidates
        features = sentence_features(
            sents.candidate,
            sents.intrinsic,
            similarity=cands.similarity,
            keyword=cands.keyword,
            position=position,
        )
        scores = self.model.sentence_scores(features)
        # Softmax over the candidates: the chance that each is the one to quote (0..1).
        shares = np.exp(scores - scores.max()) if len(scores) else scores
        shares = shares / shares.sum() if len(scores) else shares
        out = [
            Candidate(
                passage=int(position[sents.candidate[n]]),
                document=sents.documents[n],
                start=int(sents.starts[n]),
                end=int(sents.ends[n]),
                score=float(scores[n]),
                probability=float(shares[n]),
                similarity=float(sents.intrinsic[n, 0]),
                overlap=float(sents.intrinsic[n, 1]),
                question_like=bool(sents.intrinsic[n, 3]),
            )
            for n in range(len(sents))
        ]
        out.sort(key=lambda c: (-c.score, c.passage, c.start))
        return out

    def _location(self, doc: Document, start: int) -> str:
        return location_label(doc, start)

    def _passage(self, pid: int, score: float, sim: float) -> Passage:
        doc, start, end = self.store.passage_span(pid)
        return Passage(
            text=doc.text[start:end],
            source=doc.source,
            start=start,
            end=end,
            score=float(score),
            similarity=float(sim),
            location=self._location(doc, start),
        )

    def _header_groups(self, passages: Sequence[Passage]) -> list[tuple[int, list[Line]]]:
        # The retrieved passages, then the opening lines of the best one's document: a
        # byline or dateline sits there even when no passage holding it was retrieved.
        groups = [(pos, passage_lines(p)) for pos, p in enumerate(passages)]
        if passages:
            source = passages[0].source
            numbers = [i for i, d in enumerate(self.store.documents) if d.source == source]
            doc = self.store.document(source)
            rows = self.store.sentences
            if numbers and len(rows):
                mine = rows[rows[:, 0] == numbers[0]][:8]
                lines = [(int(s), int(e), doc.text[int(s) : int(e)]) for _, s, e in mine]
                groups.append((0, [ln for ln in lines if "\n" not in ln[2]]))
        return groups

    def _quote(self, doc: Document, start: int, end: int, score: float, passage: int) -> Quote:
        return Quote(
            text=doc.text[start:end],
            source=doc.source,
            start=start,
            end=end,
            score=float(score),
            location=self._location(doc, start),
            passage=passage,
        )


def _turns(history: Sequence[Turn]) -> list[Turn]:
    # Earlier questions cleaned as a question is; one turn may be given alone.
    if isinstance(history, (str, Answer)):
        history = [history]
    return [t if isinstance(t, Answer) else clean_question(t) for t in history]


def load(
    path: str | os.PathLike[str],
    *,
    model: str | None = None,
    embedder: Embedder | None = None,
    threshold: float | None = None,
    backend: str = DEFAULT_BACKEND,
) -> Bot:
    """Load the index at ``path`` and the model it was built with (or ``model``/``embedder``).

    ``path`` is an index folder, or a ``postgresql://`` URL of a database indexed with
    ``qa index PATH... --store URL`` (needs ``pip install 'qa-quotes[postgres]'``).

    The answer/refuse threshold is ``threshold`` if given, else the one ``qa calibrate``
    stored with the index for its model, else the fitted default.

    The model is loaded lazily, on the first question. ``backend`` picks how it runs (see
    :func:`index.load_embedder`); the default, ONNX fp32 where the model allows, gives the
    same vectors as torch, so results do not depend on the backend an index was built with.
    """
    store = open_index(path).open()
    if threshold is None:
        # A threshold calibrated for this index and model (``qa calibrate``) wins.
        from ._calibrate import load_calibration

        calibration = load_calibration(path, model=store.manifest.model)
        threshold = calibration.threshold if calibration else None
    if embedder is None:
        wanted = model or store.manifest.model
        embedder = load_embedder(wanted, backend=backend)
    return Bot(store, embedder, threshold=threshold)
