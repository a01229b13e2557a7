"""The estimator's Trace: construction checks and NeuroSim's write statistics vs a loop."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cimjax.hw import trace as T


def _reference(new, old, max_levels, sr, sc, w_min=-1.0, w_max=1.0):
    """GetWriteUpdateEstimation's counters, one sub-array at a time, in plain Python."""
    dg_min = (w_max - w_min) / max_levels
    rows, cols = new.shape
    out = []
    for r0 in range(0, rows, sr):
        for c0 in range(0, cols, sc):
            n_rows, n_cols = min(sr, rows - r0), min(sc, cols - c0)
            total_set = total_reset = 0
            rows_set = rows_reset = cols_set = cols_reset = 0
            cell = 0
            for i in range(r0, r0 + n_rows):
                n_set = n_reset = p_set = p_reset = 0
                for j in range(c0, c0 + n_cols):
                    d = new[i, j] - old[i, j]
                    if abs(d) >= dg_min:
                        p = math.ceil(abs(d) / dg_min)
                        cell += p
                        if d > 0:
                            n_set += 1
                            p_set = max(p_set, p)
                        else:
                            n_reset += 1
                            p_reset = max(p_reset, p)
                if n_set > 0:
                    rows_set += 1
                elif n_reset > 0:
                    rows_reset += 1
                cols_set += n_set
                cols_reset += n_reset
                total_set += p_set
                total_reset += p_reset
            # ceil(int/int) in the C++ source: the integer division truncates first.
            cs = 0 if rows_set == 0 else math.ceil(cols_set // rows_set)
            cr = 0 if rows_reset == 0 else math.ceil(cols_reset // rows_reset)
            out.append(
                (total_set + total_reset, cell, (rows_set + rows_reset) / 2 / n_rows, (cs + cr) / 2 / n_cols)
            )
    return np.mean(np.array(out), axis=0)


@pytest.mark.parametrize("shape,sr,sc", [((8, 6), 4, 4), ((10, 7), 4, 3), ((5, 5), 8, 8)])
def test_weight_update_stats_matches_loop(shape, sr, sc):
    rng = np.random.default_rng(0)
    old = rng.uniform(-1, 1, shape)
    # Quantised steps of 1/16 with many unchanged cells, plus sub-threshold noise.
    steps = rng.integers(-3, 4, shape) * (rng.random(shape) < 0.4) / 16.0
    new = old + steps + rng.normal(0, 0.005, shape)
    got = T.weight_update_stats(jnp.asarray(new), jnp.asarray(old), max_levels=32, subarray_rows=sr, subarray_cols=sc)
    want = _reference(new, old, 32, sr, sc)
    np.testing.assert_allclose(np.array([float(g) for g in got]), want, rtol=1e-6)


def test_weight_update_stats_jits_and_no_update_is_zero():
    w = jnp.linspace(-1, 1, 48).reshape(8, 6)
    got = jax.jit(lambda a, b: T.weight_update_stats(a, b, subarray_rows=4, subarray_cols=4))(w, w)
    assert all(float(g) == 0.0 for g in got)


def test_make_trace_broadcasts_and_checks():
    t = T.make_trace([0.5, 0.2], 0.5, write_pulses=3.0)
    assert t.num_layers == 2
    np.testing.assert_allclose(np.asarray(t.write_pulses), [3.0, 3.0])
    with pytest.raises(ValueError, match="Trace.input_activity"):
        T.make_trace([0.5, 1.5])
    with pytest.raises(ValueError, match="Trace.weight_level"):
        T.make_trace([0.5, 0.2], [0.5])
    with pytest.raises(ValueError, match="Trace.write_pulses"):
        T.make_trace([0.5], write_pulses=-1.0)
    d = T.default_trace()
    np.testing.assert_allclose(np.asarray(d.input_activity), T.DEFAULT_RUN_ACTIVITIES)
    np.testing.assert_allclose(np.asarray(d.read_occupancy), T.SYNTHETIC_RELU_READ_OCCUPANCY)
    assert jax.tree.map(jnp.shape, d) == T.Trace(*[(8,)] * len(T.Trace._fields))
    assert T.Trace._fields[-1] == "read_occupancy" and len(T.Trace._fields) == 7


def test_make_trace_read_occupancy():
    t = T.make_trace([0.5, 0.2])
    np.testing.assert_allclose(np.asarray(t.read_occupancy), [1.0, 1.0])  # default: i.i.d.-like bits
    t = T.make_trace([0.5, 0.2], read_occupancy=[0.6, 0.2])
    np.testing.assert_allclose(np.asarray(t.read_occupancy), [0.6, 0.2])
    with pytest.raises(ValueError, match="Trace.read_occupancy"):
        T.make_trace([0.5, 0.2], read_occupancy=1.5)
    with pytest.raises(ValueError, match="Trace.read_occupancy"):
        T.make_trace([0.5, 0.2], read_occupancy=[0.6])
    # Ones lie in occupied reads: activity ≤ occupancy (equal reads), < 2·occupancy with a
    # partial last row block; an empty read set has no ones.
    T.make_trace([0.5], read_occupancy=0.3)  # possible with a partial block
    with pytest.raises(ValueError, match="Trace.read_occupancy.*input_activity"):
        T.make_trace([0.5, 0.2], read_occupancy=[0.2, 0.2])
    with pytest.raises(ValueError, match="Trace.read_occupancy"):
        T.make_trace([0.01], read_occupancy=0.0)
    T.make_trace([0.0], read_occupancy=0.0)
    # Traced values are not checked (jit/vmap).
    f = jax.jit(lambda a, o: T.make_trace(a, read_occupancy=o).read_occupancy)
    np.testing.assert_allclose(np.asarray(f(jnp.array([0.5]), jnp.array([0.1]))), [0.1])


def test_partial_block_occupancy_below_activity():
    """Why make_trace's bound is 2·occupancy: 129 rows (a full and a 1-row block), the full one on."""
    bits = np.zeros((129, 8), np.int8)
    bits[:128] = 1
    occ = float(T.read_occupancy(jnp.asarray(bits), 128))
    assert occ == pytest.approx(0.5) and bits.mean() == pytest.approx(128 / 129)
    assert bits.mean() <= T.OCCUPANCY_ACTIVITY_RATIO * occ


def test_weight_level():
    assert float(T.weight_level(jnp.array([-1.0, 1.0, 0.0]))) == pytest.approx(0.5)
    assert float(T.weight_level(jnp.array([1.0, 1.0]))) == pytest.approx(1.0)


def test_read_occupancy_counts_reads_with_an_active_row():
    rng = np.random.default_rng(3)
    bits = (rng.random((300, 40)) < 0.01).astype(np.int8)
    bits[:, :8] = 0  # eight empty bit planes (e.g. sign planes of post-ReLU inputs)
    want = np.mean([bits[r0:r0 + 128, j].any() for r0 in range(0, 300, 128) for j in range(40)])
    got = float(T.read_occupancy(jnp.asarray(bits)))
    assert got == pytest.approx(want, abs=1e-6)
    assert got < 1.0
    # i.i.d. bits at a few-% activity: every 128-row read has an active row.
    dense = (rng.random((256, 64)) < 0.1).astype(np.int8)
    assert float(T.read_occupancy(jnp.asarray(dense))) == 1.0
    # Leading axes and jit.
    stacked = jnp.stack([jnp.asarray(bits), jnp.zeros_like(jnp.asarray(bits))])
    np.testing.assert_allclose(np.asarray(jax.jit(T.read_occupancy)(stacked)), [got, 0.0], atol=1e-6)
    # 8-bit two's complement of non-negative values: the sign plane is never set (≤ 7/8).
    q = rng.integers(0, 128, (128, 50))
    planes = np.stack([(q >> (7 - b)) & 1 for b in range(8)], -1).reshape(128, 400)
    assert float(T.read_occupancy(jnp.asarray(planes))) == pytest.approx(7 / 8)
    assert len(T.SYNTHETIC_RELU_READ_OCCUPANCY) == len(T.DEFAULT_RUN_ACTIVITIES)
    assert all(a <= o <= 1.0 for a, o in zip(T.DEFAULT_RUN_ACTIVITIES, T.SYNTHETIC_RELU_READ_OCCUPANCY))
    with pytest.raises(ValueError, match="rows_per_read"):
        T.read_occupancy(jnp.asarray(bits), 0)


def test_col_write_activity_truncates_like_neurosim():
    """``ceil(int/int)`` in GetWriteUpdateEstimation: the quotient is truncated first."""
    old = np.zeros((3, 4))
    new = np.zeros((3, 4))
    new[0, :3] = 1 / 16  # row 0: 3 SET cells of one pulse (ΔG_min = 2/32 in weight units)
    new[1, :2] = 1 / 16  # row 1: 2 SET cells → 5 SET cells / 2 SET rows = 2.5 → 2
    new[2, 0] = -1 / 16  # row 2: 1 RESET cell in a RESET-only row → 1
    s = T.weight_update_stats(jnp.asarray(new), jnp.asarray(old), max_levels=32, subarray_rows=3, subarray_cols=4)
    assert float(s.col_write_activity) == pytest.approx((2 + 1) / 2 / 4)
    assert float(s.row_write_activity) == pytest.approx((2 + 1) / 2 / 3)
    assert float(s.write_pulses) == pytest.approx(3.0)  # rows 0, 1: 1 SET pulse; row 2: 1 RESET pulse


def test_write_stats_match_neurosim_on_golden_write_trace():
    """NeuroSim V2.0 (d4de5bc, instrumented GetWriteUpdateEstimation) run on the very weights of
    tests/test_hw_golden.py's ``default_write_trace`` (written as its weight CSVs, ``%10.5f``):
    layer 1 (27×128, one sub-array): total write pulses 66 (30 SET + 36 RESET), 15 SET rows,
    11 RESET-only rows, colSet 1, colReset 2; layer 8 (1024×10, 8 sub-arrays): mean pulses 23.5,
    activityRowWrite 0.04346, activityColWrite 0.1."""
    shapes = [(27, 128), (1152, 128), (1152, 256), (2304, 256), (2304, 512), (4608, 512), (8192, 1024), (1024, 10)]
    rng = np.random.default_rng(117)
    pairs = {}
    for i, shape in enumerate(shapes):
        p = np.clip(rng.uniform(-1.5, 1.5, shape), -(1 - 1 / 16), 1 - 1 / 16)
        new = np.round(p * 16) / 16
        old = p + rng.normal(0.0, 0.02, shape)
        if i in (0, 7):
            pairs[i] = (new, old)
    s1 = T.weight_update_stats(jnp.asarray(pairs[0][0], jnp.float32), jnp.asarray(pairs[0][1], jnp.float32))
    assert float(s1.write_pulses) == pytest.approx(66.0)
    assert float(s1.row_write_activity) == pytest.approx((15 + 11) / 2 / 27)
    assert float(s1.col_write_activity) == pytest.approx((1 + 2) / 2 / 128)
    s8 = T.weight_update_stats(jnp.asarray(pairs[7][0], jnp.float32), jnp.asarray(pairs[7][1], jnp.float32))
    assert float(s8.write_pulses) == pytest.approx(23.5)
    assert float(s8.row_write_activity) == pytest.approx(0.04346, abs=1e-5)
    assert float(s8.col_write_activity) == pytest.approx(0.1)
