"""Boosted decision trees, read from JSON and evaluated without scikit-learn.

The answer/refuse decision adds a small ensemble of regression trees to its logit, and the
reranker of a hybrid search is one (both fitted by ``benchmarks/answer_fit.py`` with
scikit-learn's ``HistGradientBoostingClassifier``). Only
the fitted trees travel with qa, as plain lists, so answering needs neither scikit-learn nor
pickles.

A tree is a tuple of nodes; node 0 is the root. A node is ``(feature, threshold, left,
right, value)``: a leaf has ``feature == -1`` and adds ``value`` to the logit; otherwise the
walk goes to ``left`` when ``features[feature] <= threshold``, else to ``right``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

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


class Forest:
    """Trees laid out as flat numpy arrays, to score many rows at once.

    The reranker scores every candidate passage of a question (dozens of rows through a
    couple of hundred trees); walking the trees in Python per row would cost more than the
    search. Every row descends through every tree in step, one level per loop.
    """

    def __init__(self, trees: Sequence[Tree]) -> None:
        sizes = [len(t) for t in trees]
        self.roots = np.cumsum([0, *sizes[:-1]], dtype=np.int64) if trees else np.zeros(0, int)
        nodes = [node for tree in trees for node in tree]
        offsets = np.repeat(self.roots, sizes) if trees else np.zeros(0, np.int64)
        self.feature = np.array([n[0] for n in nodes], dtype=np.int64)
        self.threshold = np.array([n[1] for n in nodes], dtype=np.float64)
        self.left = np.array([n[2] for n in nodes], dtype=np.int64) + offsets
        self.right = np.array([n[3] for n in nodes], dtype=np.int64) + offsets
        self.value = np.array([n[4] for n in nodes], dtype=np.float64)
        self.leaf = self.feature < 0
        self.depth = max((_depth(t) for t in trees), default=0)

    def __len__(self) -> int:
        return len(self.roots)

    def values(self, rows: np.ndarray) -> np.ndarray:
        """The sum of every tree's leaf value for each row of ``rows`` (one per candidate)."""
        x = np.asarray(rows, dtype=np.float64)
        if not len(self.roots) or not len(x):
            return np.zeros(len(x), dtype=np.float64)
        at = np.broadcast_to(self.roots, (len(x), len(self.roots))).copy()
        line = np.arange(len(x))[:, None]
        for _ in range(self.depth):
            inner = ~self.leaf[at]
            if not inner.any():
                break
            feature = np.where(inner, self.feature[at], 0)
            go_left = x[line, feature] <= self.threshold[at]
            at = np.where(inner, np.where(go_left, self.left[at], self.right[at]), at)
        return np.asarray(self.value[at].sum(axis=1), dtype=np.float64)

    def probabilities(self, rows: np.ndarray, *, bias: float) -> np.ndarray:
        """The logistic of ``bias`` plus :meth:`values`: each row's probability."""
        z = bias + self.values(rows)
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0))), dtype=np.float64)


def _depth(tree: Tree) -> int:
    # Levels below the root; a tree whose children loop back has no depth.
    deepest, level, frontier = 0, 0, [0]
    while frontier:
        if level > len(tree):
            raise ValueError("a decision tree loops; refit it with benchmarks/answer_fit.py")
        deepest = level
        frontier = list({c for n in frontier if tree[n][0] >= 0 for c in (tree[n][2], tree[n][3])})
        level += 1
    return deepest
