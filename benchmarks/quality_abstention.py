"""Calibrate abstention on SQuAD dev: index it without some articles and ask their questions.

    .venv/bin/python -m benchmarks.quality_abstention --index .qa-eval/squad-dev

A copy of the SQuAD index loses 16 of the 48 articles (``index.remove_sources``, no
re-embedding). Questions about the removed articles should get ``found=False``; questions
about the indexed ones ``found=True``. Articles are split in two halves: the rule is fitted
and its cut-off chosen on the calibration half, the error rates reported on the other half.
Features come from ``Bot.ask`` answers (dense similarity of the best passage, keyword
coverage of the top passage), with the bot's threshold lowered so every answer is scored.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np

import index
import qa
from qa._abstain import keyword_coverage
from qa._eval import _MemoEmbedder, sample_questions
from qa._eval_data import load_dataset

#: Highest share of answerable questions the rule may refuse on the calibration half.
MAX_FALSE_ABSTENTION = 0.025


def main() -> None:
    """Print the fitted rule and its error rates as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="../shared/eval/squad-dev")
    parser.add_argument("--index", default=".qa-eval/squad-dev")
    parser.add_argument("--work", default="/tmp/qa-abstention-index")
    parser.add_argument("--per-group", type=int, default=1000, help="questions per group")
    parser.add_argument("--seed", default="../shared/eval/seed_dev.jsonl")
    parser.add_argument("--seed-index", default=".qa-eval/seed_dev", help="index of its corpus")
    args = parser.parse_args()
    data = load_dataset(args.dataset)
    titles = sorted({d.title for d in data.documents})
    rng = random.Random(0)
    held = set(rng.sample(titles, 16))
    kept = [t for t in titles if t not in held]
    calib_titles = set(rng.sample(sorted(held), 8)) | set(rng.sample(kept, len(kept) // 2))
    title_of = {d.source: d.title for d in data.documents}

    work = Path(args.work)
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(args.index, work)
    index.remove_sources(work, [d.source for d in data.documents if d.title in held])
    bot = qa.load(work, threshold=-1.0)
    groups: dict[tuple[bool, bool], list[qa._eval_data.EvalQuestion]] = defaultdict(list)
    for q in data.questions:
        title = title_of[next(iter(q.relevant))]
        groups[(title in calib_titles, title not in held)].append(q)
    chosen = {key: sample_questions(qs, args.per_group) for key, qs in groups.items()}
    memo = _MemoEmbedder(bot.embedder, size=10 * args.per_group)
    memo.prime([qa.clean_question(q.text) for qs in chosen.values() for q in qs])
    bot = qa.Bot(bot.store, memo, threshold=-1.0)  # type: ignore[arg-type]

    rows: dict[bool, list[tuple[float, float, int]]] = {True: [], False: []}
    for (is_calib, answerable), qs in chosen.items():
        for q in qs:
            passages = bot.retrieve(q.text, k=5)
            sim = max(p.similarity for p in passages)
            cov = keyword_coverage(q.text, passages[0].text, bot.store)
            rows[is_calib].append((sim, cov, int(answerable)))
    calib = np.array(rows[True])
    test = np.array(rows[False])
    seed = _seed_features(Path(args.seed), Path(args.seed_index))
    np.savez(Path(args.work).with_suffix(".features.npz"), calib=calib, test=test, seed=seed)

    from sklearn.linear_model import LogisticRegression

    results: dict[str, object] = {"held_out_articles": sorted(held), "questions": {}}
    for name, columns in (("similarity", [0]), ("similarity+coverage", [0, 1])):
        model = LogisticRegression().fit(calib[:, columns], calib[:, 2])
        margin_c = model.decision_function(calib[:, columns])
        # The cut-off: the largest that refuses at most MAX_FALSE_ABSTENTION of answerable ones.
        answerable_margins = np.sort(margin_c[calib[:, 2] == 1])
        cut = float(answerable_margins[int(MAX_FALSE_ABSTENTION * len(answerable_margins))])
        weights = np.zeros(2)
        weights[columns] = model.coef_[0]
        bias = float(model.intercept_[0]) - cut
        # Scale so the similarity weight is 1: "similarity + weight * coverage >= threshold".
        scale = weights[0]
        rule = {
            "coverage_weight": round(float(weights[1] / scale), 4),
            "threshold": round(-bias / scale, 4),
        }

        def rates(table: np.ndarray, rule: dict[str, float] = rule) -> dict[str, float]:
            found = table[:, 0] + rule["coverage_weight"] * table[:, 1] >= rule["threshold"]
            ans = table[:, 2] == 1
            return {
                "false_abstention": round(float(np.mean(~found[ans])), 4),
                "false_answer": round(float(np.mean(found[~ans])), 4),
            }

        results[name] = {"rule": rule, "calibration": rates(calib), "test": rates(test)}
    results["similarity+coverage, seed answered"] = _constrained(calib, test, seed)
    results["questions"] = {
        "calibration": {
            "answerable": int(calib[:, 2].sum()),
            "unanswerable": int((calib[:, 2] == 0).sum()),
        },
        "test": {"answerable": int(test[:, 2].sum()), "unanswerable": int((test[:, 2] == 0).sum())},
    }
    print(json.dumps(results, indent=2))


def _seed_features(path: Path, seed_index: Path) -> np.ndarray:
    bot = qa.load(seed_index, threshold=-1.0)
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        passages = bot.retrieve(item["q"], k=5)
        sim = max(p.similarity for p in passages)
        cov = keyword_coverage(item["q"], passages[0].text, bot.store)
        rows.append((sim, cov, int(not item.get("unanswerable", False))))
    return np.array(rows)


def _constrained(calib: np.ndarray, test: np.ndarray, seed: np.ndarray) -> dict[str, object]:
    """The coverage weight with the fewest false answers on the calibration half, its
    threshold the highest that keeps false abstentions within the limit there and still
    answers every answerable seed question (SQuAD questions share many words with their
    paragraph; the seed questions paraphrase, so coverage must not be trusted too much)."""
    best: dict[str, object] = {}
    best_fa = 2.0
    for weight in np.round(np.linspace(0.0, 1.2, 25), 3):
        score_c = calib[:, 0] + weight * calib[:, 1]
        answerable = np.sort(score_c[calib[:, 2] == 1])
        cut = answerable[int(MAX_FALSE_ABSTENTION * len(answerable))]
        seed_score = seed[:, 0] + weight * seed[:, 1]
        cut = min(cut, seed_score[seed[:, 2] == 1].min())
        if (seed_score[seed[:, 2] == 0] >= cut).any():
            continue
        false_answer = float(np.mean(score_c[calib[:, 2] == 0] >= cut))
        if false_answer < best_fa:
            best_fa = false_answer
            rule = {"coverage_weight": float(weight), "threshold": round(float(cut), 4)}

            def rates(table: np.ndarray, rule: dict[str, float] = rule) -> dict[str, float]:
                found = table[:, 0] + rule["coverage_weight"] * table[:, 1] >= rule["threshold"]
                ans = table[:, 2] == 1
                return {
                    "false_abstention": round(float(np.mean(~found[ans])), 4),
                    "false_answer": round(float(np.mean(found[~ans])), 4),
                }

            best = {
                "rule": rule,
                "calibration": rates(calib),
                "test": rates(test),
                "seed": rates(seed),
            }
    return best


if __name__ == "__main__":
    main()
