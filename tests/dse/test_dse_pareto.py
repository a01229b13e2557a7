"""Pareto fronts on hand-made sets and against a brute-force reference."""


import numpy as np

from cimjax.dse.pareto import dominates, pareto_mask, pareto_mask_2d


def brute(obj):
    n = len(obj)
    ok = np.all(np.isfinite(obj), axis=1)
    return np.asarray([ok[i] and not any(ok[j] and dominates(obj[j], obj[i]) for j in range(n)) for i in range(n)])


def test_hand_made_front():
    obj = np.asarray([
        [1.0, 5.0, 1.0],   # front
        [2.0, 2.0, 2.0],   # front
        [5.0, 1.0, 1.0],   # front
        [2.0, 2.0, 3.0],   # dominated by row 1
        [3.0, 3.0, 3.0],   # dominated by row 1
        [2.0, 2.0, 2.0],   # duplicate of row 1: both on the front
        [1.0, 5.0, 1.5],   # dominated by row 0 (equal in two, worse in one)
        [np.nan, 0.0, 0.0],  # never on the front
        [0.5, 9.0, 9.0],   # front (best first objective)
    ])
    want = [True, True, True, False, False, True, False, False, True]
    assert pareto_mask(obj).tolist() == want
    assert brute(obj).tolist() == want


def test_two_objectives_and_degenerate_cases():
    obj = np.asarray([[1, 3], [2, 2], [3, 1], [2, 3], [1, 3], [3, 3], [0.5, np.inf]], float)
    want = [True, True, True, False, True, False, False]
    assert pareto_mask(obj).tolist() == want
    assert pareto_mask_2d(obj).tolist() == want
    assert pareto_mask(np.zeros((0, 2))).tolist() == []
    assert pareto_mask([[3.0], [1.0], [1.0], [2.0]]).tolist() == [False, True, True, False]


def test_random_sets_match_brute_force():
    rng = np.random.default_rng(0)
    for k in (2, 3, 4):
        obj = rng.integers(0, 6, size=(150, k)).astype(float)  # many ties and duplicates
        np.testing.assert_array_equal(pareto_mask(obj), brute(obj))
        if k == 2:
            np.testing.assert_array_equal(pareto_mask_2d(obj), brute(obj))


def test_large_set_front_is_not_dominated():
    # (its speed is measured by benchmarks/sweep.py, not asserted here)
    obj = np.random.default_rng(1).uniform(size=(100_000, 3))
    mask = pareto_mask(obj)
    front = obj[mask]
    sample = obj[np.random.default_rng(2).choice(len(obj), 300, replace=False)]
    for p in sample:  # no front point is dominated by a sampled point
        assert not np.any(np.all(p <= front, axis=1) & np.any(p < front, axis=1))
