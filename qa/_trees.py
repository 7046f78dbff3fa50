"""Boosted decision trees, read from JSON and evaluated with the standard library.

The answer/refuse decision adds a small ensemble of regression trees to its logit (fitted by
``benchmarks/answer_fit.py`` with scikit-learn's ``HistGradientBoostingClassifier``). Only
the fitted trees travel with qa, as plain lists, so answering needs neither scikit-learn nor
pickles.

A tree is a tuple of nodes; node 0 is the root. A node is ``(feature, threshold, left,
right, value)``: a leaf has ``feature == -1`` and adds ``value`` to the logit; otherwise the
walk goes to ``left`` when ``features[feature] <= threshold``, else to ``right``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Node = tuple[int, float, int, int, float]
Tree = tuple[Node, ...]


def tree_value(tree: Tree, features: Sequence[float]) -> float:
    """The leaf value ``features`` reach in ``tree``."""
    node = tree[0]
    # Bounded by the tree's size: a malformed tree that loops cannot hang a question.
    for _ in range(len(tree)):
        feature, threshold, left, right, value = node
        if feature < 0:
            return value
        node = tree[left if features[feature] <= threshold else right]
    raise ValueError("a decision tree loops; refit it with benchmarks/answer_fit.py")


def trees_value(trees: Sequence[Tree], features: Sequence[float]) -> float:
    """The sum of every tree's leaf value for ``features``."""
    return sum(tree_value(t, features) for t in trees)


def trees_from_json(data: Any, *, features: int) -> tuple[Tree, ...]:
    """Trees from their JSON lists, checked: every split names one of ``features`` columns
    and every child exists, so evaluation cannot fail half-way through a question."""
    trees: list[Tree] = []
    for raw in data:
        nodes = tuple(
            (int(f), float(t), int(left), int(right), float(v)) for f, t, left, right, v in raw
        )
        if not nodes:
            raise ValueError("an empty decision tree")
        for f, _, left, right, _ in nodes:
            if f >= features or (f >= 0 and not (0 < left < len(nodes) and 0 < right < len(nodes))):
                raise ValueError("a decision tree names a feature or node it lacks")
        trees.append(nodes)
    return tuple(trees)


def trees_to_json(trees: Sequence[Tree]) -> list[list[list[float]]]:
    """Trees as the JSON lists :func:`trees_from_json` reads (short floats)."""
    return [
        [[f, round(t, 6), left, right, round(v, 6)] for f, t, left, right, v in tree]
        for tree in trees
    ]
