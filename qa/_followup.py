"""Follow-up questions: a question that leans on the previous turn is searched with it.

No language model rewrites the question. A question that leans on the previous turn (a
pronoun without a referent, "and ...?", "what about X?", or too few words of its own to
search with) is searched with the previous question's text on the dense side, the previous
question's terms at a reduced weight on the keyword and coverage side, and a small bonus in
fusion for the passages the previous answer was drawn from. A question with enough words of
its own and no such cue starts a new topic and is searched alone.

The rules read only the words of the questions, so a conversation resolves the same way from
:class:`~qa.Answer` objects or from the bare question texts a chat keeps.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from index.parts import SearchStore, terms

from ._evidence import Candidates, TermWeights
from ._meta import metadata_kind
from ._types import Answer

#: A previous turn: the Answer :meth:`qa.Bot.ask` gave, or the question's text alone.
Turn = str | Answer

#: A passage of the previous answer: (source, start, end).
Span = tuple[str, int, int]


@dataclass(frozen=True)
class FollowupOptions:
    """How a follow-up question carries the previous turn (fitted: docs/QUALITY.md)."""

    #: A question with fewer content words than this leans on the previous turn even
    #: without a cue ("Why?", "And the license?").
    min_own_terms: int = 1
    #: Weight of a carried term in the keyword coverage, as a share of its idf.
    carry_weight: float = 0.25
    #: Whether carried terms are also searched on the keyword (BM25) side.
    carry_keywords: bool = False
    #: Added to the fused score of a passage among the previous answer's best (0: off; the
    #: fit half ties from 0 to 0.2, and the grid takes the first of a tie).
    passage_bonus: float = 0.0
    #: How many of the previous answer's best passages get the bonus.
    carry_passages: int = 1
    #: Whether quotes are chosen by the question's own meaning (True) or by that of the
    #: text searched with the carried questions (False); passages are found with the latter.
    quote_by_question: bool = False


@dataclass(frozen=True)
class Context:
    """What a follow-up question carries from the conversation before it."""

    #: Earlier questions searched along with it: the previous one, then the one that
    #: started the topic when that is another.
    questions: tuple[str, ...]
    #: Why the question leans on the previous turn ("pronoun 'it'", "starts with 'and'").
    reason: str
    #: Passages of the previous answer, or None when only its question is known.
    passages: tuple[Span, ...] | None = None

    def searched_as(self, question: str) -> str:
        """The text searched on the dense side: the question, then the carried ones."""
        return " ".join((question, *self.questions))


# -- cues ------------------------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+(?:['\u2019][a-z]+)?")


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_PERSONAL = _set(
    "it its itself they them their theirs themselves he him his himself she her hers herself"
)
_DEMONSTRATIVE = frozenset(("this", "that", "these", "those"))
#: After "this"/"that", a word that shows it stands alone as a pronoun ("what does that
#: mean?", "how does this work?", "why is that?"), not a determiner ("this option").
_PRONOUN_NEXT = _set(
    "is was are were be been does do did mean means meant work works happen happens apply "
    "applies say says said matter matters cost costs take takes come comes also still too "
    "one ones in for about with from to of on at by mean or and not"
)
_OPENERS = ("and", "but", "also", "or", "so", "then", "plus")
_LEADS = (
    ("what", "about"),
    ("how", "about"),
    ("what", "else"),
    ("anything", "else"),
    ("what", "of"),
    ("same", "for"),
    ("tell", "me", "more"),
    ("more", "about"),
)
_TRAILERS = (("too",), ("as", "well"), ("instead",), ("either",), ("also",), ("then",))
#: Nouns that "this"/"that" point at without an earlier turn: the document, the page itself.
_DEICTIC = _set(
    "commentary article document paper text page report post piece essay analysis "
    "publication note blog study brief story site website chat machine computer"
)
#: Before "one"/"ones", words that make it stand for something named before ("the first
#: one", "which one", "the other ones").
_ONE_AFTER = _set(
    "first second third fourth fifth last next previous other which that this same new old "
    "main best"
)
#: "Is it possible to ...", "how long does it take": "it" that points at nothing.
_EXPLETIVE = re.compile(
    r"\b(is|was|isn't|wasn't)\s+it\s+\w+\s+(to|that|for|when|if)\b|"
    r"\bit\s+(is|was|'s|\u2019s)\s+\w+\s+(to|that|when|if)\b|"
    r"\bhow\s+(long|much\s+time)\s+(does|did|will|would)\s+it\s+take\b|"
    r"\bit\s+takes?\s+(long|time|about|over|under|\d)",
    re.IGNORECASE,
)
#: Words that ask rather than name a topic: they do not count as a question's own terms.
_ASKING = _set(
    "what which who whom whose when where why how do does did can could should would may "
    "might must shall about i me my we our you your he she him her his its them those one "
    "ones also too else more tell explain describe mean means meant work works happen "
    "happens call called name named say said says has have had been being were so any "
    "anything something some other same here please example examples detail details again "
    "than just only very much many from up out all get got go goes kind sort type way ways "
    "thing things there"
)


def _words(question: str) -> list[str]:
    return _WORD.findall(question.lower().replace("\u2019", "'"))


def own_terms(question: str) -> list[str]:
    """The question's content terms (stemmed, as the keyword index has them), without the
    words of asking ("what", "how", "tell me more", "mean")."""
    kept = " ".join(w for w in _words(question) if w not in _ASKING)
    return list(dict.fromkeys(terms(kept)))


def leaning_cue(question: str, *, options: FollowupOptions | None = None) -> str | None:
    """Why ``question`` leans on the turn before it, or None when it stands on its own."""
    options = options or FollowupOptions()
    words = _words(question)
    if not words:
        return "no words of its own"
    for lead in _LEADS:
        if tuple(words[: len(lead)]) == lead:
            return f"starts with {' '.join(lead)!r}"
    if words[0] in _OPENERS:
        return f"starts with {words[0]!r}"
    for trail in _TRAILERS:
        if tuple(words[-len(trail) :]) == trail:
            return f"ends with {' '.join(trail)!r}"
    expletive = _EXPLETIVE.sub(" ", question.lower())
    for word in _words(expletive):
        if word in _PERSONAL:
            return f"pronoun {word!r}"
    for n, word in enumerate(words):
        following = words[n + 1] if n + 1 < len(words) else None
        if word in _DEMONSTRATIVE:
            # "This"/"these" point back ("these interests", "what does this mean?") unless
            # at the document itself ("this article"). "That" after a word mostly joins a
            # clause ("the rules that govern"); it points back when it ends the question,
            # leads a verb, or opens it.
            if following is None or following in _PRONOUN_NEXT:
                return f"pronoun {word!r}"
            if following in _DEICTIC:
                continue
            if word in ("this", "these", "those") or n == 0:
                return f"{word!r} {following!r}"
        if word in ("one", "ones") and n > 0 and words[n - 1] in _ONE_AFTER:
            return f"{words[n - 1]!r} {word!r}"
    if len(own_terms(question)) < options.min_own_terms:
        return "few words of its own"
    return None


def resolve(
    question: str, history: Sequence[Turn], *, options: FollowupOptions | None = None
) -> Context | None:
    """The context ``question`` carries from ``history`` (oldest turn first), or None when
    it starts a new topic or there is no history."""
    options = options or FollowupOptions()
    if not history:
        return None
    reason = leaning_cue(question, options=options)
    if reason is None:
        return None
    # Replay the conversation to find where the previous turn's topic started.
    texts = [turn.question if isinstance(turn, Answer) else turn for turn in history]
    root = texts[0]
    for text in texts[1:]:
        if leaning_cue(text, options=options) is None:
            root = text
    previous = texts[-1]
    carried = (previous,) if root == previous else (previous, root)
    last = history[-1]
    passages = _answer_spans(last, options) if isinstance(last, Answer) else None
    return Context(questions=carried, reason=reason, passages=passages)


def _answer_spans(answer: Answer, options: FollowupOptions) -> tuple[Span, ...]:
    # The best passages, as a search of the previous question alone finds them again.
    return tuple((p.source, p.start, p.end) for p in answer.passages[: options.carry_passages])


def with_passages(context: Context, spans: Sequence[Span]) -> Context:
    """``context`` with the previous answer's passages known."""
    return replace(context, passages=tuple(spans))


# -- the search ------------------------------------------------------------------------------


def carry_terms(
    weights: TermWeights,
    context: Context,
    store: SearchStore,
    *,
    options: FollowupOptions | None = None,
) -> TermWeights:
    """The question's term weights with the carried questions' terms added at a reduced
    weight. A carried term the index does not hold is left out: it would only count as
    missing evidence against passages of this topic."""
    options = options or FollowupOptions()
    lexical = store.lexical
    added: dict[str, float] = {}
    for text in context.questions:
        for term in own_terms(text):
            if term not in weights.weights and term not in added and lexical.known(term):
                added[term] = options.carry_weight * lexical.idf(term)
    if not added:
        return weights
    merged = {**weights.weights, **added}
    total = sum(merged.values())
    unknown = weights.unknown_share * weights.total
    asked = weights.terms + tuple(added) if options.carry_keywords else weights.terms
    # The question's own facts (its unknown names) stay as they were; only the weights grow.
    return replace(
        weights,
        weights=merged,
        total=total,
        unknown_share=unknown / total if total > 0 else 0.0,
        terms=asked,
    )


def passage_bonus(
    cands: Candidates,
    store: SearchStore,
    context: Context,
    *,
    options: FollowupOptions | None = None,
) -> np.ndarray:
    """The fusion bonus of each candidate: ``passage_bonus`` for a passage overlapping one
    the previous answer was drawn from, else 0."""
    options = options or FollowupOptions()
    bonus = np.zeros(len(cands.ids), dtype=np.float64)
    if not context.passages or options.passage_bonus == 0:
        return bonus
    for row, pid in enumerate(cands.ids.tolist()):
        doc, start, end = store.passage_span(int(pid))
        if any(s == doc.source and a < end and start < b for s, a, b in context.passages):
            bonus[row] = options.passage_bonus
    return bonus


def followup_kind(question: str, context: Context | None) -> str | None:
    """For a follow-up, the document-question kind its pronoun stands in for: "Who wrote
    it?" after a question about a document asks who wrote that document."""
    if context is None:
        return None
    if metadata_kind(question):
        return metadata_kind(question)
    standing = re.sub(r"\b(it|this|that)\b", "the document", question, flags=re.IGNORECASE)
    return metadata_kind(standing) if standing != question else None
