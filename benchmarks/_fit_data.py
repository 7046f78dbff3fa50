"""The data :mod:`benchmarks.answer_fit` fits on: every question asked of its index (and the
negatives), with every feature the answer model reads.

See :mod:`benchmarks.answer_fit` for the styles and their negatives. An :class:`Item` keeps a
question's candidates and sentences whole, so fitting can re-rank them under any fusion,
reranker or sentence weights without asking again.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchmarks._common import REPO

SHARED = REPO.parent / "shared" / "eval"
DEPTH = 20  # candidates a side, as the bot's default fusion depth
K = 5  # passages of an answer
ARTICLES = REPO / ".qa-eval" / "squad-articles"


def _half(key: str) -> str:
    """'train' or 'test', stably from a key (an article, a paper, a question id)."""
    return "train" if hashlib.sha256(key.encode()).digest()[0] % 2 == 0 else "test"


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


@dataclass
class Item:
    """One question asked of one index (and maybe some of its documents), with features."""

    style: str  # squad, fiqa, qasper
    split: str  # train, test
    positive: bool  # the documents asked of answer it
    kind: str  # what was asked of what ("own", "held-out article", "other paper", ...)
    question: str
    unknown_share: float
    unknown_names: float
    # candidates
    sim: np.ndarray
    kw: np.ndarray
    sent: np.ndarray
    coverage: np.ndarray  # share of the question's weight in each candidate passage
    heading: np.ndarray  # similarity of the heading each candidate passage sits under
    relevant: np.ndarray  # candidate passage holds the evidence / is a relevant document
    agreement: float  # share of the dense side's passages the keyword side found too
    docs: list[str]  # candidate's document id
    position: np.ndarray  # where each candidate passage starts in its document (0..1)
    length: np.ndarray  # each candidate passage's length in characters
    # sentences
    s_cand: np.ndarray
    s_intrinsic: np.ndarray
    s_label: np.ndarray  # holds the answer / lies inside the evidence
    n_relevant_docs: int = 0
    relevant_docs: frozenset[str] = field(default_factory=frozenset)


def _extract(
    bot: Any,
    question: str,
    *,
    sources: Sequence[str] | None,
    passage_label: Any,
    sentence_label: Any,
    **meta: Any,
) -> Item:
    ranking = bot.rank(question, k=K, mode="hybrid", sources=sources, depth=DEPTH)
    cands = ranking.candidates
    rows = list(range(len(cands.ids)))
    sents = bot.sentences_of(ranking, rows)
    texts = [bot.store.passage_text(int(i)) for i in cands.ids]
    docs = [bot.store.passage_span(int(i))[0].source for i in cands.ids]
    return Item(
        question=question,
        unknown_share=ranking.weights.unknown_share,
        unknown_names=ranking.weights.unknown_names,
        sim=cands.similarity,
        kw=cands.keyword,
        sent=cands.sentence,
        coverage=cands.coverage,
        heading=cands.heading,
        agreement=cands.agreement,
        relevant=np.array([passage_label(t, d) for t, d in zip(texts, docs, strict=True)]),
        docs=docs,
        position=cands.position,
        length=cands.length,
        s_cand=sents.candidate,
        s_intrinsic=sents.intrinsic,
        s_label=np.array(
            [
                sentence_label(sents.text(n), docs[int(sents.candidate[n])])
                for n in range(len(sents))
            ],
            dtype=bool,
        ),
        **meta,
    )


Label = Any  # (text, document id) -> bool


def article_dataset(documents: Sequence[Any]) -> Any:
    """SQuAD's articles, each as one document: its title, then its paragraphs."""
    from index import Document
    from qa import Dataset

    paragraphs: dict[str, list[Any]] = {}
    for d in documents:
        paragraphs.setdefault(d.title, []).append(d)
    articles = []
    for title, parts in paragraphs.items():
        text = title.replace("_", " ") + "\n\n" + "\n\n".join(p.text for p in parts)
        articles.append(
            Document(
                source=title,
                title=title.replace("_", " "),
                text=text,
                kind="markdown",
                sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            )
        )
    return Dataset(name="squad-articles", kind="beir", questions=(), documents=tuple(articles))


def qasper_records() -> list[dict[str, Any]]:
    """The questions of ``qasper-dev`` as its ``questions.jsonl`` holds them."""
    path = SHARED / "qasper-dev" / "questions.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def extract(limit_squad: int) -> list[Item]:
    """Ask every question of its index (and the negatives), keeping all features."""
    import qa
    from index import load_embedder
    from index.parts import DEFAULT_BACKEND
    from qa.tuning import MemoEmbedder, inside_any, is_evidence

    squad_ds = qa.load_dataset(SHARED / "squad-dev")
    fiqa_ds = qa.load_dataset(SHARED / "fiqa-dev")
    records = qasper_records()
    # Every question embedded once, in batches, up front (same model, same vectors).
    inner = load_embedder("all-MiniLM-L6-v2", backend=DEFAULT_BACKEND)
    embedder = MemoEmbedder(inner, size=len(squad_ds.questions) + 5000)
    embedder.prime(
        [qa.clean_question(q.text) for q in (*squad_ds.questions, *fiqa_ds.questions)]
        + [qa.clean_question(r["q"]) for r in records],
        progress=True,
    )
    # Built by the model itself: the index's sentence vectors come from its token states.
    seconds = qa.prepare_index(
        article_dataset(squad_ds.documents), ARTICLES, embedder=inner, progress=True
    )
    print(f"  articles indexed as documents in {seconds:.0f}s", flush=True)
    bots = {
        name: qa.load(REPO / ".qa-eval" / name, embedder=embedder)
        for name in ("squad-dev", "fiqa-dev", "qasper-dev", "squad-articles")
    }
    qasper_docs = sorted(bots["qasper-dev"].sources)
    items: list[Item] = []
    started = time.perf_counter()

    def ask(
        index: str,
        question: str,
        sources: Sequence[str] | None,
        labels: tuple[Label, Label],
        **meta: Any,
    ) -> None:
        items.append(
            _extract(
                bots[index],
                question,
                sources=sources,
                passage_label=labels[0],
                sentence_label=labels[1],
                **meta,
            )
        )

    def progress(label: str) -> None:
        print(f"  {label}: {len(items)} items, {time.perf_counter() - started:.0f}s", flush=True)

    def none(text: str, doc: str) -> bool:
        return False

    # SQuAD: a reproducible sample across articles, split by article.
    title = {d.source: d.title for d in squad_ds.documents}
    paragraph_text = {d.source: d.text for d in squad_ds.documents}
    by_article: dict[str, set[str]] = {}
    for d in squad_ds.documents:
        by_article.setdefault(d.title, set()).add(d.source)
    articles = sorted(by_article)
    picked = np.random.default_rng(0).choice(len(squad_ds.questions), limit_squad, replace=False)
    for n, i in enumerate(sorted(picked)):
        q = squad_ds.questions[i]
        article = title[next(iter(q.relevant))]
        rel, answers = q.relevant, q.answers
        labels = (
            lambda t, d, rel=rel: d in rel,
            lambda t, d, rel=rel, ans=answers: d in rel and any(_norm(a) in _norm(t) for a in ans),
        )
        meta = {"style": "squad", "split": _half(article)}
        ask(
            "squad-dev",
            q.text,
            None,
            labels,
            positive=True,
            kind="own",
            relevant_docs=rel,
            n_relevant_docs=len(rel),
            **meta,
        )
        others = [s for s in title if s not in by_article[article]]
        ask("squad-dev", q.text, others, labels, positive=False, kind="held-out article", **meta)
        if n % 2 == 0:
            ask(
                "qasper-dev",
                q.text,
                [qasper_docs[n % len(qasper_docs)]],
                labels,
                positive=False,
                kind="wikipedia question of a paper",
                **meta,
            )
        else:
            # One article as one document, as a web page or a report is indexed: the
            # question asked of its article, and of another article. Evidence: the passages
            # that share words with the question's own paragraph.
            other = articles[(articles.index(article) + 1 + n % 5) % len(articles)]
            paragraph = tuple(paragraph_text[s] for s in rel)
            in_article = (
                lambda t, d, a=article, p=paragraph: d == a and is_evidence(t, p),
                lambda t, d, a=article, p=paragraph, ans=answers: (
                    d == a and inside_any(t, p) and any(_norm(x) in _norm(t) for x in ans)
                ),
            )
            single = {**meta, "style": "article"}
            ask(
                "squad-articles", q.text, [article], in_article, positive=True, kind="own", **single
            )
            ask(
                "squad-articles",
                q.text,
                [other],
                in_article,
                positive=False,
                kind="another article",
                **single,
            )
        if n % 250 == 0:
            progress(f"squad {n}/{limit_squad}")

    # FiQA: every question, split by id; negatives asked of the Wikipedia paragraphs.
    for n, q in enumerate(fiqa_ds.questions):
        labels = (lambda t, d, rel=q.relevant: d in rel, none)
        meta = {"style": "fiqa", "split": _half("fiqa" + q.id)}
        ask(
            "fiqa-dev",
            q.text,
            None,
            labels,
            positive=True,
            kind="own",
            relevant_docs=q.relevant,
            n_relevant_docs=len(q.relevant),
            **meta,
        )
        ask(
            "squad-dev",
            q.text,
            None,
            (none, none),
            positive=False,
            kind="finance question of wikipedia",
            **meta,
        )
        if n % 100 == 0:
            progress(f"fiqa {n}")

    # QASPER: each question of its own paper, and of another one; split by paper.
    for n, r in enumerate(records):
        if r["unanswerable"] or not r["evidence"]:
            continue
        ev = tuple(r["evidence"])
        labels = (
            lambda t, d, ev=ev: is_evidence(t, ev),
            lambda t, d, ev=ev: len(_norm(t)) >= 20 and inside_any(t, ev),
        )
        meta = {"style": "qasper", "split": _half(r["paper"])}
        ask("qasper-dev", r["q"], [r["paper"]], labels, positive=True, kind="own", **meta)
        other = qasper_docs[(qasper_docs.index(r["paper"]) + 1 + n % 7) % len(qasper_docs)]
        ask("qasper-dev", r["q"], [other], labels, positive=False, kind="other paper", **meta)
        if n % 100 == 0:
            progress(f"qasper {n}")
    progress("done")
    return items
