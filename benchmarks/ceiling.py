"""How far the answer layer's open goals are from what its features can reach.

Reads the candidates ``benchmarks/answer_fit.py`` saved (``.qa-eval/answer_fit_features.pkl``)
and the shipped answer model, and writes ``benchmarks/results/ceiling.json``:

- **Refusing.** For each style and its negatives: what the shipped decision refuses at the
  shipped threshold, and at the threshold that refuses 3% of that held-out half's answerable
  questions; then an optimistic ceiling, boosted trees fitted on that style alone with 38
  features (the decision's and the top five of every candidate column), cross-validated
  over both halves, its threshold set on the scored questions themselves (3% of their
  answerable ones refused). Also the share of answerable questions that ceiling must refuse
  to refuse 95% of the negatives.
- **Negatives that are answerable.** SQuAD questions asked of the other articles whose
  first three passages (hybrid, as shipped) hold the question's gold answer text; QASPER
  answerable questions asked word for word of more than one paper.
- **QASPER evidence.** The shipped order against a reranker fitted on QASPER alone,
  cross-validated by paper, that also reads each candidate's sentences (their best
  coverage of the question, answer kind, second-best similarity, count) and the shipped
  reranker's score.

Usage: ``python -m benchmarks.ceiling`` (after ``python -m benchmarks.answer_fit``; about
two minutes).
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import pickle
from collections.abc import Sequence
from typing import Any

import numpy as np

from benchmarks._fit_data import REPO, SHARED, Item, _norm, qasper_records
from benchmarks.answer_fit import CACHE, Ranker, decision_row, rerank_rows

RESULTS = REPO / "benchmarks" / "results" / "ceiling.json"
FALSE_ABSTENTION = 0.03  # the bound on answerable questions refused
REFUSED = 0.95  # the goal for negatives refused
NEGATIVES = {
    "squad": "held-out article",
    "fiqa": "finance question of wikipedia",
    "qasper": "other paper",
    "article": "another article",
}
FOLDS = 5
#: Roomier than the shipped trees (leaves of 20, not 600), as a ceiling should be.
CEILING_TREES = {
    "max_iter": 300,
    "learning_rate": 0.05,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 20,
    "random_state": 0,
}


def _top(values: np.ndarray, k: int) -> list[float]:
    ranked = np.sort(np.asarray(values, dtype=np.float64))[::-1][:k]
    return [float(v) for v in np.pad(ranked, (0, k - len(ranked)))]


def _ranked(item: Item, ranker: Ranker, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # The ranking scores and the order they give (as answer_fit._order), from the item's
    # rerank_rows computed once.
    score = ranker.scores(item, rows)
    return score, np.lexsort((np.arange(len(score)), -score))


def ceiling_row(features: Sequence[float], item: Item, ranker: Ranker) -> list[float]:
    """The decision's ``features`` (:func:`decision_row`), and the top five of each candidate
    column, the top three reranker scores, the number of documents among the candidates
    and the first one's own figures."""
    score, order = _ranked(item, ranker, rerank_rows(item, ranker.fusion))
    first = int(order[0]) if len(order) else None
    own = (
        [0.0, 0.0, 0.0]
        if first is None
        else [float(item.sim[first]), float(item.sent[first]), float(item.coverage[first])]
    )
    return [
        *features,
        *_top(item.sim, 5),
        *_top(item.sent, 5),
        *_top(item.coverage, 5),
        *_top(item.kw, 5),
        *_top(score, 3),
        float(len(set(item.docs))),
        *own,
    ]


def _refused_at(answerable: np.ndarray, negatives: np.ndarray, bound: float) -> tuple[float, float]:
    """Negatives and answerable questions refused at the threshold that refuses ``bound`` of
    the answerable ones."""
    cut = float(np.sort(answerable)[math.floor(bound * len(answerable))]) - 1e-9
    return float(np.mean(negatives < cut)), float(np.mean(answerable < cut))


def refusal(items: list[Item], ranker: Ranker, w: np.ndarray, model: Any) -> dict[str, Any]:
    """Per style: the shipped decision on the held-out half, and the cross-validated ceiling."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold

    out: dict[str, Any] = {}
    for style, kind in NEGATIVES.items():
        both = [i for i in items if i.style == style and (i.positive or i.kind == kind)]
        decision = [decision_row(i, ranker, w)[0] for i in both]
        shipped = np.array([model.probability(f) for f in decision])
        y = np.array([i.positive for i in both], dtype=bool)
        held = np.array([i.split == "test" for i in both], dtype=bool)
        pos, neg = shipped[held & y], shipped[held & ~y]
        at_bound = _refused_at(pos, neg, FALSE_ABSTENTION)
        x = np.array([ceiling_row(f, i, ranker) for f, i in zip(decision, both, strict=True)])
        p = np.zeros(len(y))
        folds = StratifiedKFold(FOLDS, shuffle=True, random_state=0)
        for fit, scored in folds.split(x, y):
            trees = HistGradientBoostingClassifier(**CEILING_TREES).fit(x[fit], y[fit])
            p[scored] = trees.predict_proba(x[scored])[:, 1]
        ceiling = _refused_at(p[y], p[~y], FALSE_ABSTENTION)
        cut = float(np.sort(p[~y])[math.floor(REFUSED * int((~y).sum()))])
        out[style] = {
            "negatives": kind,
            "held-out answerable": len(pos),
            "held-out negatives": len(neg),
            "shipped: negatives refused": float(np.mean(neg < model.threshold)),
            "shipped: answerable refused": float(np.mean(pos < model.threshold)),
            "at 3%: negatives refused": at_bound[0],
            "at 3%: answerable refused": at_bound[1],
            "ceiling questions": len(y),
            "ceiling at 3%: negatives refused": ceiling[0],
            "ceiling at 3%: answerable refused": ceiling[1],
            "ceiling: answerable refused for 95% of negatives": float(np.mean(p[y] < cut)),
        }
        print(style, json.dumps(out[style]), flush=True)
    return out


def squad_negatives_answered(items: list[Item]) -> dict[str, Any]:
    """SQuAD questions asked of the other articles (held-out half) whose first three
    passages hold the question's gold answer text, found as the shipped bot finds them."""
    import qa

    dataset = qa.load_dataset(SHARED / "squad-dev")
    answers: dict[str, set[str]] = collections.defaultdict(set)
    article: dict[str, str] = {}
    title = {d.source: d.title for d in dataset.documents}
    for q in dataset.questions:
        answers[q.text].update(_norm(a) for a in q.answers)
        article[q.text] = title[next(iter(q.relevant))]
    bot = qa.load(REPO / ".qa-eval" / "squad-dev")
    negatives = [
        i
        for i in items
        if i.style == "squad" and i.kind == NEGATIVES["squad"] and i.split == "test"
    ]
    others: dict[str, list[str]] = {}
    held = 0
    for item in negatives:
        own = article[item.question]
        if own not in others:
            others[own] = [s for s, t in title.items() if t != own]
        ranking = bot.rank(item.question, k=3, mode="hybrid", sources=others[own])
        texts = [
            _norm(bot.store.passage_text(int(ranking.candidates.ids[r]))) for r in ranking.order[:3]
        ]
        held += any(a in t for a in answers[item.question] for t in texts)
    return {
        "questions": len(negatives),
        "gold answer in the first three passages": held / len(negatives),
    }


def qasper_shared_questions() -> dict[str, Any]:
    """QASPER answerable questions whose words are asked of more than one paper."""
    records = qasper_records()

    def words(record: dict[str, Any]) -> str:
        return _norm(record["q"]).rstrip("?").strip()

    papers: dict[str, set[str]] = collections.defaultdict(set)
    for r in records:
        papers[words(r)].add(r["paper"])
    answerable = [r for r in records if not r["unanswerable"] and r["evidence"]]
    shared = [r for r in answerable if len(papers[words(r)]) > 1]
    common = collections.Counter(r["q"] for r in shared).most_common(5)
    return {
        "questions": len(answerable),
        "asked of more than one paper": len(shared) / len(answerable),
        "examples": [q for q, _ in common],
    }


def _sentence_columns(item: Item) -> np.ndarray:
    # Per candidate: best coverage of the question by one of its sentences, whether one holds
    # the wanted answer kind, the second-best sentence similarity, the number of sentences.
    out = np.zeros((len(item.sim), 4))
    for row in range(len(item.sim)):
        mine = item.s_cand == row
        if mine.any():
            sims = np.sort(item.s_intrinsic[mine, 0])
            out[row] = (
                item.s_intrinsic[mine, 1].max(),
                item.s_intrinsic[mine, 2].max(),
                sims[-2] if len(sims) > 1 else sims[-1],
                float(mine.sum()),
            )
    return out


def qasper_evidence(items: list[Item], ranker: Ranker) -> dict[str, Any]:
    """Evidence@1 and @3 of the shipped order against a QASPER-only reranker, cross-validated
    by paper (every answerable question scored by trees that never saw its paper)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    pos = [i for i in items if i.style == "qasper" and i.positive]
    papers = sorted({i.docs[0] for i in pos if i.docs})
    fold = {p: n % FOLDS for n, p in enumerate(papers)}
    rows, shipped_orders = [], []
    for item in pos:
        features = rerank_rows(item, ranker.fusion)
        score, order = _ranked(item, ranker, features)
        rows.append(np.column_stack([features, _sentence_columns(item), score]))
        shipped_orders.append(order)
    hits: dict[str, list[bool]] = {
        k: [] for k in ("shipped@1", "shipped@3", "ceiling@1", "ceiling@3")
    }
    for f in range(FOLDS):
        fit = [n for n, i in enumerate(pos) if i.docs and fold[i.docs[0]] != f]
        fit = [n for n in fit if pos[n].relevant.any() and not pos[n].relevant.all()]
        trees = HistGradientBoostingClassifier(**{**CEILING_TREES, "min_samples_leaf": 50}).fit(
            np.concatenate([rows[n] for n in fit]),
            np.concatenate([pos[n].relevant for n in fit]).astype(bool),
        )
        for n, item in enumerate(pos):
            if not item.docs or fold[item.docs[0]] != f:
                continue
            score = trees.predict_proba(rows[n])[:, 1]
            mine = np.lexsort((np.arange(len(score)), -score))
            shipped = shipped_orders[n]
            for name, order in (("shipped", shipped), ("ceiling", mine)):
                hits[f"{name}@1"].append(bool(item.relevant[order[:1]].any()))
                hits[f"{name}@3"].append(bool(item.relevant[order[:3]].any()))
    in_pool = float(np.mean([i.relevant.any() for i in pos]))
    return {
        "questions": len(pos),
        "evidence among the candidates": in_pool,
        **{k: float(np.mean(v)) for k, v in hits.items()},
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Measure the ceilings and write the results file."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dry-run", action="store_true", help="print, write nothing")
    args = p.parse_args(argv)
    if not CACHE.is_file():
        raise SystemExit(f"no {CACHE.name}: run `python -m benchmarks.answer_fit` first")
    from qa.tuning import load_answer_model

    items: list[Item] = pickle.loads(CACHE.read_bytes())
    model = load_answer_model()
    fusion = (
        model.keyword_weight,
        model.sentence_weight,
        model.coverage_weight,
        model.heading_weight,
    )
    ranker = Ranker(fusion, model.rerank_bias, model.rerank_trees)
    w = np.asarray(model.sentence)
    result = {
        "refusal": refusal(items, ranker, w, model),
        "squad negatives answered": squad_negatives_answered(items),
        "qasper shared questions": qasper_shared_questions(),
        "qasper evidence": qasper_evidence(items, ranker),
    }
    print(json.dumps({k: v for k, v in result.items() if k != "refusal"}, indent=1))
    if not args.dry_run:
        RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
