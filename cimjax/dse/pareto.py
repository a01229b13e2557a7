"""Pareto fronts of (N, k) objective matrices (every objective minimised), in numpy.

A design *dominates* another when it is no worse in every objective and strictly better in
at least one. The front is the set of designs no other design dominates; equal designs do
not dominate each other, so duplicates of a front point are all on the front. Rows with a
NaN or ±inf are never on the front (and never dominate).

:func:`pareto_mask` sorts lexicographically (a dominating point always comes before the
points it dominates) and sweeps: each surviving point is on the front and removes the
later points it dominates. Cost O(N log N + N·F·k) for a front of F points; 1e5 random
3-objective points take well under a second. :func:`pareto_mask_2d` is the O(N log N)
special case for two objectives (used for the 2-D staircase plots).
"""

from __future__ import annotations

import numpy as np


def _prepare(objectives) -> tuple[np.ndarray, np.ndarray]:
    obj = np.asarray(objectives, dtype=float)
    if obj.ndim != 2 or obj.shape[1] < 1:
        raise ValueError(f"pareto: expected an (N, k) objective matrix with k ≥ 1, got shape {obj.shape}")
    return obj, np.all(np.isfinite(obj), axis=1)


def pareto_mask(objectives) -> np.ndarray:
    """Boolean (N,) mask of the non-dominated rows of ``objectives`` (minimise every column)."""
    obj, finite = _prepare(objectives)
    idx = np.flatnonzero(finite)
    pts = obj[idx]
    order = np.lexsort(pts.T[::-1])  # by column 0, then 1, …
    pts, idx = pts[order], idx[order]
    front = []
    while len(pts):
        p = pts[0]
        front.append(idx[0])
        dominated = np.all(pts >= p, axis=1) & np.any(pts > p, axis=1)
        dominated[0] = True  # p itself is recorded; drop it from the candidates
        keep = ~dominated
        pts, idx = pts[keep], idx[keep]
    mask = np.zeros(len(obj), bool)
    mask[np.asarray(front, dtype=np.int64)] = True
    return mask


def pareto_mask_2d(objectives) -> np.ndarray:
    """:func:`pareto_mask` for two objectives in O(N log N)."""
    obj, finite = _prepare(objectives)
    if obj.shape[1] != 2:
        raise ValueError(f"pareto_mask_2d: expected 2 objectives, got {obj.shape[1]}")
    idx = np.flatnonzero(finite)
    pts = obj[idx]
    order = np.lexsort((pts[:, 1], pts[:, 0]))
    x, y = pts[order, 0], pts[order, 1]
    mask = np.zeros(len(obj), bool)
    best_y = np.inf  # best second objective among points with a strictly smaller first one
    i = 0
    n = len(x)
    while i < n:
        j = i
        while j < n and x[j] == x[i]:
            j += 1
        # Within equal x, only the smallest y (and its duplicates) can be on the front.
        y_min = y[i]
        if y_min < best_y:
            on = np.flatnonzero(y[i:j] == y_min) + i
            mask[idx[order[on]]] = True
            best_y = y_min
        i = j
    return mask


def dominates(a, b) -> bool:
    """True when objective vector ``a`` dominates ``b`` (all ≤, one <)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return bool(np.all(a <= b) and np.any(a < b))
