"""Fit the answer model (fusion, sentence choice, answer/refuse) across question styles.

    .venv/bin/python -m benchmarks.answer_fit            # extract features, fit, write
    .venv/bin/python -m benchmarks.answer_fit --refit    # fit again from saved features

Data (``../shared/eval``), each split in two by a stable hash, training halves only fitted:
- SQuAD dev, split by article; negatives: the question asked of every paragraph *but* its
  article's (an article that is not indexed); half of its questions also asked of their
  article and of another article, each article indexed as one document (style "article":
  one web page or report, as the shared document is);
- FiQA dev, split by question; negatives: the question asked of the SQuAD corpus;
- QASPER dev, split by paper, each question asked of its own paper only (``sources=``);
  negatives: the question asked of another paper, and SQuAD questions asked of a paper.

The seed questions are reported by ``qa eval``, never fitted on. The fitted coefficients go
to ``qa/answer_model.json`` with the data, command and date; held-out figures to
``benchmarks/results/answer_fit.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import pickle
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchmarks._common import REPO
from benchmarks._fit_data import Item, K, extract

CACHE = REPO / ".qa-eval" / "answer_fit_features.pkl"
RESULTS = REPO / "benchmarks" / "results" / "answer_fit.json"
MODEL_FILE = REPO / "qa" / "answer_model.json"
TOP = 3  # passages quotes come from
#: The data sets whose retrieval the fusion and sentence choice are fitted on.
RETRIEVAL_STYLES = ("squad", "fiqa", "qasper")
#: The styles whose retrieval is measured by evidence@1 (one document, passages in it).
EVIDENCE_STYLES = ("qasper", "article")
#: The styles the reranker is fitted on: one article as one document too, so that where a
#: passage sits in its document is learnt from more than papers (whose questions were
#: written from the abstract, and whose answers therefore never lie at the very start).
RERANK_STYLES = (*RETRIEVAL_STYLES, "article")
#: Highest share of answerable training questions the fitted threshold may refuse, per style.
MAX_FALSE_ABSTENTION = 0.025


# -- fitting --------------------------------------------------------------------------------


Fusion = tuple[float, float, float, float]  # keyword, sentence, coverage, heading weights


def _fused(item: Item, fusion: Fusion) -> np.ndarray:
    kw, sw, cw, hw = fusion
    return np.asarray(
        item.sim + kw * item.kw + sw * item.sent + cw * item.coverage + hw * item.heading
    )


@dataclass(frozen=True)
class Ranker:
    """How a hybrid search orders its candidates: the fusion, then the reranker's trees
    (none: by the fused score)."""

    fusion: Fusion
    bias: float = 0.0
    trees: tuple[Any, ...] = ()
    forest: Any = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        from qa.tuning import Forest

        object.__setattr__(self, "forest", Forest(self.trees))

    def scores(self, item: Item, rows: np.ndarray | None = None) -> np.ndarray:
        """Each candidate's ranking score, as :class:`qa.Bot` computes it (``rows``: the
        item's :func:`rerank_rows`, when the caller has them already)."""
        if not self.trees:
            return _fused(item, self.fusion)
        if rows is None:
            rows = rerank_rows(item, self.fusion)
        return np.asarray(self.forest.probabilities(rows, bias=self.bias))


def rerank_rows(item: Item, fusion: Fusion) -> np.ndarray:
    """The reranker's features of an item's candidates, as the bot computes them."""
    from qa.tuning import rerank_features

    return rerank_features(
        similarity=item.sim,
        keyword=item.kw,
        sentence=item.sent,
        coverage=item.coverage,
        heading=item.heading,
        fused=_fused(item, fusion),
        keyword_hit=item.kw > 0,
        position=item.position,
        length=item.length,
        documents=np.array(item.docs),
        unknown_share=item.unknown_share,
    )


def _order(item: Item, ranker: Ranker | Fusion) -> np.ndarray:
    score = ranker.scores(item) if isinstance(ranker, Ranker) else _fused(item, ranker)
    return np.lexsort((np.arange(len(score)), -score))


def _keyword_order(item: Item) -> np.ndarray:
    order = np.lexsort((np.arange(len(item.kw)), -item.kw))
    return order[item.kw[order] > 0]


def _ndcg_docs(item: Item, order: np.ndarray) -> float:
    seen: list[str] = []
    for r in order:
        d = item.docs[int(r)]
        if d not in seen:
            seen.append(d)
        if len(seen) == 10:
            break
    dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(seen) if d in item.relevant_docs)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(10, max(item.n_relevant_docs, 1))))
    return dcg / ideal


def retrieval_metric(item: Item, order: np.ndarray) -> float:
    """nDCG@10 over distinct documents (SQuAD, FiQA) or evidence@1 (QASPER, one article)."""
    if item.style in EVIDENCE_STYLES:
        return float(len(order) > 0 and item.relevant[order[0]])
    return _ndcg_docs(item, order)


def _mean_metric(items: list[Item], order: Any) -> float:
    return float(np.mean([retrieval_metric(i, order(i)) for i in items]))


def fit_fusion(train: list[Item]) -> tuple[Fusion, dict[str, Any]]:
    """Grid over the fusion weights. Each style's margin is its hybrid metric minus the
    better of its dense-only and keyword-only metrics; the pick has the best mean margin
    among the weights that lose on no style (else the best smallest margin)."""
    styles = sorted({i.style for i in train})
    by_style = {s: [i for i in train if i.style == s] for s in styles}
    single = {
        s: max(
            _mean_metric(its, lambda i: _order(i, (0.0, 0.0, 0.0, 0.0))),
            _mean_metric(its, _keyword_order),
        )
        for s, its in by_style.items()
    }
    scored = []
    grid = [
        (round(float(kw), 2), round(float(sw), 2), round(float(cw), 2), round(float(hw), 2))
        for kw in np.arange(0.0, 1.01, 0.1)
        for sw in np.arange(0.0, 1.51, 0.25)
        for cw in np.arange(0.0, 1.01, 0.1)
        for hw in (0.0, 0.4, 0.8, 1.2)
    ]
    for f in grid:
        margins = {
            s: _mean_metric(its, lambda i, f=f: _order(i, f)) - single[s]
            for s, its in by_style.items()
        }
        smallest = min(margins.values())
        scored.append((smallest >= 0, float(np.mean(list(margins.values()))), smallest, f, margins))
    feasible = [r for r in scored if r[0]]
    best = max(feasible, key=lambda r: r[1]) if feasible else max(scored, key=lambda r: r[2])
    return best[3], {
        "train_best_single": single,
        "train_margins": best[4],
        "points": len(scored),
        "no_style_loses": bool(feasible),
    }


def _sentence_table(item: Item, order: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, labels and candidate rows of the sentences of the top passages."""
    from qa.tuning import sentence_features

    position = np.full(len(item.sim), len(order), dtype=np.float64)
    position[order] = np.arange(len(order))
    top = set(int(r) for r in order[:TOP])
    keep = np.array([int(c) in top for c in item.s_cand], dtype=bool)
    feats = sentence_features(
        item.s_cand[keep],
        item.s_intrinsic[keep],
        similarity=item.sim,
        keyword=item.kw,
        position=position,
    )
    return feats, item.s_label[keep], position[item.s_cand[keep]]


def fit_sentences(train: list[Item], ranker: Ranker) -> np.ndarray:
    """Conditional logit: per question, the softmax over its sentences picks a labelled one."""
    from scipy.optimize import minimize

    groups = []
    for item in train:
        if not item.positive or item.style == "fiqa":
            continue
        feats, labels, _ = _sentence_table(item, _order(item, ranker))
        if labels.any() and not labels.all():
            groups.append((item.style, feats, labels))
    per_style = {s: sum(1 for g in groups if g[0] == s) for s in {g[0] for g in groups}}
    weight = {s: 1.0 / n for s, n in per_style.items()}

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.0, np.zeros_like(w)
        for style, x, y in groups:
            z = x @ w
            z = z - z.max()
            p = np.exp(z) / np.exp(z).sum()
            pos = p[y].sum()
            total -= weight[style] * math.log(max(pos, 1e-12))
            # d/dw -log sum_pos p = E_p[x] - E_{p|pos}[x]
            grad += weight[style] * (p @ x - (p[y] @ x[y]) / max(pos, 1e-12))
        total += 1e-3 * float(w @ w)
        return total, grad + 2e-3 * w

    dim = groups[0][1].shape[1]
    result = minimize(loss, np.zeros(dim), jac=True, method="L-BFGS-B")
    return np.asarray(result.x)


def _pick(feats: np.ndarray, w: np.ndarray) -> int | None:
    from qa.tuning import SENTENCE_FEATURES

    if not len(feats):
        return None
    scores = feats @ w
    question_like = feats[:, SENTENCE_FEATURES.index("question_like")] > 0
    pool = np.flatnonzero(~question_like) if (~question_like).any() else np.arange(len(feats))
    return int(pool[np.argmax(scores[pool])])


def decision_row(item: Item, ranker: Ranker, w: np.ndarray) -> tuple[list[float], int | None]:
    """The decision features of an item as the bot computes them, and the quoted sentence."""
    from qa.tuning import decision_features

    order = _order(item, ranker)
    feats, _, _ = _sentence_table(item, order)
    best = _pick(feats, w)
    return list(
        decision_features(
            top_similarity=float(item.sim[order[:K]].max()) if len(order) else 0.0,
            sentence_similarity=float(feats[:, 0].max()) if len(feats) else 0.0,
            passage_coverage=float(item.coverage[order[0]]) if len(order) else 0.0,
            sentence_coverage=float(feats[best, 1]) if best is not None else 0.0,
            unknown_share=item.unknown_share,
            unknown_names=item.unknown_names,
            agreement=item.agreement,
            similarity=item.sim,
            sentence=item.sent,
            coverage=item.coverage,
            heading=item.heading,
        )
    ), best


#: Boosted trees of the decision: few and shallow, with leaves of at least 600 questions, so
#: the fit follows patterns shared by many questions rather than single ones (with 300, the
#: reranked fit put low-similarity questions that name a work the documents never mention
#: just above the threshold, and refused more answerable held-out questions).
TREE_PARAMS = {
    "max_iter": 150,
    "learning_rate": 0.05,
    "max_leaf_nodes": 8,
    "min_samples_leaf": 600,
    "early_stopping": False,
    "random_state": 0,
}


def _monotone(name: str) -> int:
    """Monotone by design: more similarity, coverage or agreement never argues for refusing,
    and words or names the documents never use never argue for answering."""
    return -1 if name.startswith("unknown_") else 1


def export_trees(model: Any) -> tuple[float, list[Any]]:
    """The baseline logit and the trees of a fitted ``HistGradientBoostingClassifier``, as
    :mod:`qa._trees` reads them (leaf values already carry the learning rate)."""
    trees = []
    for (predictor,) in model._predictors:
        nodes = predictor.nodes
        trees.append(
            tuple(
                (
                    -1 if n["is_leaf"] else int(n["feature_idx"]),
                    float(n["num_threshold"]),
                    int(n["left"]),
                    int(n["right"]),
                    float(n["value"]) if n["is_leaf"] else 0.0,
                )
                for n in nodes
            )
        )
    return float(np.ravel(model._baseline_prediction)[0]), trees


def fit_decision(
    train: list[Item], ranker: Ranker, w: np.ndarray
) -> tuple[float, list[Any], float]:
    """Boosted trees on the decision features, each (style, positive) group weighing the
    same, monotone by design; the threshold is the highest that refuses at most
    MAX_FALSE_ABSTENTION of every style's answerable questions."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from qa.tuning import DECISION_FEATURES, trees_value

    x = np.array([decision_row(i, ranker, w)[0] for i in train])
    y = np.array([i.positive for i in train], dtype=bool)
    groups = [(i.style, i.positive) for i in train]
    counts = {g: groups.count(g) for g in set(groups)}
    sample_weight = np.array([1.0 / counts[g] for g in groups])
    model = HistGradientBoostingClassifier(
        monotonic_cst=[_monotone(n) for n in DECISION_FEATURES], **TREE_PARAMS
    ).fit(x, y, sample_weight=sample_weight)
    bias, trees = export_trees(model)
    # The exported trees must give sklearn's own probabilities, or the shipped model is not
    # the one fitted.
    mine = 1 / (1 + np.exp(-np.array([bias + trees_value(trees, row) for row in x])))
    if not np.allclose(mine, model.predict_proba(x)[:, 1], atol=1e-6):
        raise SystemExit("the exported trees disagree with scikit-learn's predictions")
    prob = mine
    cut = 1.0
    for style in {i.style for i in train}:
        p = np.sort(prob[[i.positive and i.style == style for i in train]])
        allowed = math.floor(MAX_FALSE_ABSTENTION * len(p))
        cut = min(cut, float(p[allowed]) - 1e-6)
    return bias, trees, cut


#: Boosted trees of the reranker: leaves of at least 100 candidates.
RERANK_PARAMS = {
    "max_iter": 200,
    "learning_rate": 0.05,
    "max_leaf_nodes": 8,
    "min_samples_leaf": 100,
    "early_stopping": False,
    "random_state": 0,
}


#: Styles whose labels name relevant documents, not passages.
DOCUMENT_LABEL_STYLES = ("squad", "fiqa")


def rerank_labels(item: Item, fusion: Fusion) -> tuple[np.ndarray, np.ndarray]:
    """Which candidates the reranker learns from, and which of them hold the answer.

    Where a label names a relevant document (SQuAD, FiQA), only that document's best fused
    passage is kept as a positive: the label says the document answers, not that each of
    its passages does. Learning from all of them taught the trees to lift any passage of a
    document that has several candidates, such as a page's introduction above the section
    that answers."""
    labels = item.relevant.astype(bool)
    keep = np.ones(len(labels), dtype=bool)
    if item.style in DOCUMENT_LABEL_STYLES:
        fused = _fused(item, fusion)
        docs = np.array(item.docs)
        for doc in set(docs[labels].tolist()):
            rows = np.flatnonzero(docs == doc)
            keep[rows] = False
            keep[rows[np.argmax(fused[rows])]] = True
    return keep, labels


def fit_rerank(train: list[Item], fusion: Fusion) -> Ranker:
    """Boosted trees over the candidates of answerable questions that have a relevant one:
    does this candidate hold the answer (:func:`rerank_labels`)? Each question weighs the
    same within its style, and each style the same; the trees are monotone in similarity,
    keyword score, coverage and ranks (:data:`qa.tuning.RERANK_MONOTONE`)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from qa.tuning import RERANK_MONOTONE

    chosen = [
        i
        for i in train
        if i.positive and i.style in RERANK_STYLES and i.relevant.any() and not i.relevant.all()
    ]
    per_style = {s: sum(1 for i in chosen if i.style == s) for s in RERANK_STYLES}
    xs, ys, weights = [], [], []
    for item in chosen:
        keep, labels = rerank_labels(item, fusion)
        xs.append(rerank_rows(item, fusion)[keep])
        ys.append(labels[keep])
        weights.append(np.full(int(keep.sum()), 1.0 / (keep.sum() * per_style[item.style])))
    x, y, sample_weight = np.concatenate(xs), np.concatenate(ys), np.concatenate(weights)
    sample_weight *= len(sample_weight) / sample_weight.sum()
    model = HistGradientBoostingClassifier(
        monotonic_cst=list(RERANK_MONOTONE), **RERANK_PARAMS
    ).fit(x, y, sample_weight=sample_weight)
    bias, trees = export_trees(model)
    ranker = Ranker(fusion, bias, tuple(trees))
    mine = ranker.forest.probabilities(x, bias=bias)
    if not np.allclose(mine, model.predict_proba(x)[:, 1], atol=1e-6):
        raise SystemExit("the exported reranker disagrees with scikit-learn's predictions")
    return ranker


def fusion_variants(items: list[Item], ranker: Ranker) -> dict[str, dict[str, float]]:
    """Each style's figure reranked, with the fitted fusion alone, without each of its terms,
    and with the earlier hand-set fusion (similarity + 0.6 BM25/best), on the given
    (held-out) items."""
    fusion = ranker.fusion
    kw, sw, cw, hw = fusion
    variants: dict[str, Ranker | Fusion] = {
        "fitted, reranked": ranker,
        "fitted fusion alone": fusion,
        "without the sentence term": (kw, 0.0, cw, hw),
        "without the coverage term": (kw, sw, 0.0, hw),
        "without the heading term": (kw, sw, cw, 0.0),
        "earlier default (keyword 0.6 only)": (0.6, 0.0, 0.0, 0.0),
        "dense only": (0.0, 0.0, 0.0, 0.0),
    }
    out: dict[str, dict[str, float]] = {}
    for label, f in variants.items():
        out[label] = {
            style: round(
                _mean_metric(
                    [i for i in items if i.style == style and i.positive],
                    lambda i, f=f: _order(i, f),
                ),
                4,
            )
            for style in sorted({i.style for i in items})
        }
    out["keyword only"] = {
        style: round(
            _mean_metric([i for i in items if i.style == style and i.positive], _keyword_order), 4
        )
        for style in sorted({i.style for i in items})
    }
    return out


def _probability(item: Item, ranker: Ranker, w: np.ndarray, model: Any) -> float:
    return float(model.probability(decision_row(item, ranker, w)[0]))


def _style_threshold(items: list[Item], ranker: Ranker, w: np.ndarray, model: Any) -> float:
    """The threshold `qa calibrate` would fit on these answerable questions."""
    p = np.sort([_probability(i, ranker, w, model) for i in items if i.positive])
    return float(p[math.floor(MAX_FALSE_ABSTENTION * len(p))]) - 1e-6


def report(
    items: list[Item],
    ranker: Ranker,
    w: np.ndarray,
    model: Any,
    calibrated: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Figures of each style: retrieval by mode, quotes, decision (at the shipped threshold,
    and at the threshold fitted on that style's training half, as `qa calibrate` would)."""
    out: dict[str, Any] = {}
    for style in sorted({i.style for i in items}):
        pos = [i for i in items if i.style == style and i.positive]
        neg = [i for i in items if i.style == style and not i.positive]
        row: dict[str, Any] = {"answerable": len(pos)}
        name = "evidence@1" if style in EVIDENCE_STYLES else "ndcg@10"
        orders = {
            "hybrid": lambda i: _order(i, ranker),
            "fused": lambda i: _order(i, ranker.fusion),
            "dense": lambda i: _order(i, (0.0, 0.0, 0.0, 0.0)),
            "keyword": _keyword_order,
        }
        for mode, order in orders.items():
            row[f"{mode} {name}"] = round(_mean_metric(pos, order), 4)
        if style in EVIDENCE_STYLES:
            row["hybrid evidence@3"] = round(
                float(np.mean([i.relevant[_order(i, ranker)[:3]].any() for i in pos])), 4
            )
        quoted = []
        for i in pos:
            if style != "fiqa":
                _, best = decision_row(i, ranker, w)
                _, labels, _ = _sentence_table(i, _order(i, ranker))
                quoted.append(bool(best is not None and labels[best]))
        if quoted:
            row["first quote right"] = round(float(np.mean(quoted)), 4)
        cuts = {"": model.threshold}
        if calibrated is not None:
            cuts[" (calibrated)"] = calibrated[style]
        p_pos = np.array([_probability(i, ranker, w, model) for i in pos])
        kinds = sorted({i.kind for i in neg})
        p_neg = {
            k: np.array([_probability(i, ranker, w, model) for i in neg if i.kind == k])
            for k in kinds
        }
        for label, t in cuts.items():
            row[f"false abstention{label}"] = round(float(np.mean(p_pos < t)), 4)
            for k in kinds:
                row[f"refused: {k}{label}"] = round(float(np.mean(p_neg[k] < t)), 4)
        for k in kinds:
            row[f"count: {k}"] = len(p_neg[k])
        out[style] = row
    return out


def dump_model(data: dict[str, Any], *, indent: int = 0) -> str:
    """The model's JSON, indented, with each tree on one line (a file of readable size
    rather than one number a line)."""
    keys = ("decision_trees", "rerank_trees")
    text = json.dumps({**data, **{k: f"__{k}__" for k in keys}}, indent=2)
    pad = " " * 4
    for key in keys:
        trees = ",\n".join(pad + json.dumps(t, separators=(",", ":")) for t in data[key])
        text = text.replace(f'"__{key}__"', "[\n" + trees + "\n  ]" if trees else "[]")
    return text.replace("\n", "\n" + " " * indent)


def main(argv: Sequence[str] | None = None) -> int:
    """Extract (or reuse) the features, fit the model, write it and the held-out report."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--refit", action="store_true", help="reuse the saved features")
    p.add_argument("--squad", type=int, default=2400, help="SQuAD questions to sample")
    p.add_argument("--dry-run", action="store_true", help="fit and report, write nothing")
    args = p.parse_args(argv)
    if args.refit and CACHE.is_file():
        items = pickle.loads(CACHE.read_bytes())
    else:
        items = extract(args.squad)
        CACHE.write_bytes(pickle.dumps(items))
    train = [i for i in items if i.split == "train"]
    test = [i for i in items if i.split == "test"]
    # Fusion and sentence choice are fitted on the three data sets; the one-article questions
    # repeat SQuAD's and serve the decision only.
    ranked = [i for i in train if i.style in RETRIEVAL_STYLES]
    fusion, fusion_info = fit_fusion([i for i in ranked if i.positive])
    print(f"fusion (keyword, sentence, coverage, heading): {fusion} {fusion_info}", flush=True)
    ranker = fit_rerank(train, fusion)
    print(f"rerank: {len(ranker.trees)} trees, baseline {ranker.bias:.3f}", flush=True)
    w = fit_sentences(ranked, ranker)
    print("sentence weights:", np.round(w, 3).tolist(), flush=True)
    bias, trees, cut = fit_decision(train, ranker, w)
    print(f"decision: {len(trees)} trees, baseline {bias:.3f}, threshold {cut:.4f}", flush=True)
    from qa.tuning import DECISION_FEATURES, AnswerModel

    counts = {
        f"{s} {h}": sum(1 for i in items if i.style == s and i.split == h)
        for s in (*RETRIEVAL_STYLES, "article")
        for h in ("train", "test")
    }
    model = AnswerModel(
        keyword_weight=fusion[0],
        sentence_weight=fusion[1],
        coverage_weight=fusion[2],
        heading_weight=fusion[3],
        sentence=tuple(round(float(v), 4) for v in w),
        # The decision is all trees: no linear part.
        decision=tuple(0.0 for _ in DECISION_FEATURES),
        bias=round(bias, 6),
        # Rounded down, so the shipped threshold refuses no more than the fitted one.
        threshold=math.floor(cut * 1e4) / 1e4,
        trees=tuple(trees),
        rerank_bias=round(ranker.bias, 6),
        rerank_trees=tuple(ranker.trees),
        provenance={
            "command": "python -m benchmarks.answer_fit " + " ".join(sys.argv[1:]),
            "date": dt.date.today().isoformat(),
            "model": "sentence-transformers/all-MiniLM-L6-v2",
            "data": "training halves of ../shared/eval squad-dev (by article), fiqa-dev (by "
            "question), qasper-dev (by paper); negatives: held-out articles, another paper, "
            "questions of another style",
            "decision": "scikit-learn HistGradientBoostingClassifier "
            + json.dumps(TREE_PARAMS, sort_keys=True),
            "rerank": "scikit-learn HistGradientBoostingClassifier "
            + json.dumps(RERANK_PARAMS, sort_keys=True)
            + "; styles "
            + ", ".join(RERANK_STYLES),
            "items": counts,
        },
    )
    # Reported as shipped: the JSON's rounding included.
    model = AnswerModel.from_json(json.loads(json.dumps(model.to_json())))
    shipped = Ranker(fusion, model.rerank_bias, model.rerank_trees)
    calibrated = {
        s: _style_threshold([i for i in train if i.style == s], shipped, w, model)
        for s in sorted({i.style for i in train})
    }
    held_out = report(test, shipped, w, model, calibrated)
    trained = report(train, shipped, w, model)
    print(json.dumps({"held_out": held_out}, indent=1))
    if args.dry_run:
        return 0
    MODEL_FILE.write_text(dump_model(model.to_json()) + "\n", encoding="utf-8")
    RESULTS.write_text(
        json.dumps(
            {
                "model": "__MODEL__",
                "fusion_fit": fusion_info,
                "fusion_variants_held_out": fusion_variants(
                    [i for i in test if i.style in RERANK_STYLES], shipped
                ),
                "calibrated_thresholds": calibrated,
                "held_out": held_out,
                "train": trained,
            },
            indent=2,
        ).replace('"__MODEL__"', dump_model(model.to_json(), indent=2))
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {MODEL_FILE.relative_to(REPO)} and {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
