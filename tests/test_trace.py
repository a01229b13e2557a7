"""The estimator's trace (cimjax.trace): input-bit activity and read occupancy against a literal
re-creation of NeuroSim's trace matrix, NeuroSim's write statistics against a loop, the Trace's
checks and its CSV row."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cimjax import trace as T
from cimjax.trace import bit_ones, bit_planes, input_activity, read_occupancy


def neurosim_bits(x, n):
    """Literal greedy decomposition of docs/model.md §4.3 for one value: [sign, 2^(n-2), ..., 1]."""
    x_int = x * 2 ** (n - 1)
    sign = 1 if x < 0 else 0
    rest = x_int + sign * 2 ** (n - 1)
    out = [sign]
    for k in range(n - 2, -1, -1):
        if rest >= 2**k:
            out.append(1)
            rest -= 2**k
        else:
            out.append(0)
    return out


def reference_activity(img, n, kernel):
    if kernel is None:
        return np.mean([b for v in img.ravel() for b in neurosim_bits(float(v), n)])
    h, w, c = img.shape
    cells = []
    for i in range(h - kernel + 1):
        for j in range(w - kernel + 1):
            for ch in range(c):
                for ki in range(kernel):
                    for kj in range(kernel):
                        cells.extend(neurosim_bits(float(img[i + ki, j + kj, ch]), n))
    return np.mean(cells)


def test_bit_ones_matches_greedy():
    xs = np.array([0.0, 127 / 128, 0.5, 1 / 128, -1.0, -0.5, -1 / 128, 0.3337, -0.71, 1.2, -1.5], np.float32)
    expect = [sum(neurosim_bits(float(v), 8)) for v in xs]
    np.testing.assert_array_equal(np.asarray(bit_ones(xs, 8)), expect)


@pytest.mark.parametrize("kernel,shape,signed", [(3, (6, 5, 2), True), (3, (4, 4, 3), False), (None, (37,), False)])
def test_activity_equals_unfolded_trace(kernel, shape, signed):
    rng = np.random.default_rng(0)
    lo = -1.0 if signed else 0.0
    img = rng.uniform(lo, 1.0, size=shape).astype(np.float32)
    img = np.where(rng.uniform(size=shape) < 0.4, 0.0, img).astype(np.float32)  # ReLU-like zeros
    got = float(input_activity(img, 8, kernel))
    assert got == pytest.approx(reference_activity(img, 8, kernel), abs=1e-6)


def test_activity_bounds():
    assert float(input_activity(np.zeros((5, 5, 1), np.float32), 8, 3)) == 0.0
    assert float(input_activity(np.full((8,), 127 / 128, np.float32), 8)) == pytest.approx(7 / 8)


def unfolded_bits(img, n, kernel):
    """NeuroSim's trace matrix, literally: (rows, reads) with rows = C_in·K·K (channel
    outermost) per valid window, or the features; one column per bit plane per window."""
    if kernel is None:
        return np.array([neurosim_bits(float(v), n) for v in img.ravel()])
    h, w, c = img.shape
    cols = []
    for i in range(h - kernel + 1):
        for j in range(w - kernel + 1):
            rows = [neurosim_bits(float(img[i + ki, j + kj, ch]), n)
                    for ch in range(c) for ki in range(kernel) for kj in range(kernel)]
            cols.append(np.array(rows))  # (rows, n)
    return np.concatenate(cols, axis=1)


def unfolded_occupancy(bits, rows_per_read):
    """NeuroSim's reads, literally: every column of every block of ``rows_per_read`` rows."""
    rows, reads = bits.shape
    return np.mean([bits[r0:r0 + rows_per_read, j].any() for r0 in range(0, rows, rows_per_read)
                    for j in range(reads)])


def test_bit_planes_match_greedy():
    xs = np.array([0.0, 127 / 128, 0.5, 1 / 128, -1.0, -0.5, -1 / 128, 0.3337, -0.71, 1.2, -1.5], np.float32)
    np.testing.assert_array_equal(np.asarray(bit_planes(xs, 8)), [neurosim_bits(float(v), 8) for v in xs])
    np.testing.assert_array_equal(np.asarray(bit_planes(xs, 8)).sum(-1), np.asarray(bit_ones(xs, 8)))


@pytest.mark.parametrize("kernel,shape,signed,rows_per_read", [
    (3, (6, 5, 2), True, 128),  # one partial block
    (3, (5, 6, 4), False, 16),  # blocks of 16 rows straddle the 9-row channels; a partial last one
    (2, (4, 4, 8), False, 8),  # whole blocks
    (None, (37,), False, 16),
    (None, (40,), True, 128),
])
def test_read_occupancy_equals_unfolded_trace(kernel, shape, signed, rows_per_read):
    rng = np.random.default_rng(1)
    lo = -1.0 if signed else 0.0
    img = rng.uniform(lo, 1.0, size=shape).astype(np.float32)
    img = np.where(rng.uniform(size=shape) < 0.6, 0.0, img * 0.1).astype(np.float32)  # sparse, small
    want = unfolded_occupancy(unfolded_bits(img, 8, kernel), rows_per_read)
    got = float(jax.jit(read_occupancy, static_argnums=(1, 2, 3))(img, 8, kernel, rows_per_read))
    assert got == pytest.approx(want, abs=1e-6)
    assert 0.0 < got <= 1.0 and (signed or got < 1.0)  # unsigned: the sign plane is empty
    assert got >= float(input_activity(img, 8, kernel)) / 2  # the bound make_trace checks


def test_read_occupancy_post_relu_and_signed():
    rng = np.random.default_rng(2)
    # Post-ReLU (non-negative) inputs never set the sign plane: at most 7/8 of the reads.
    relu = np.maximum(rng.normal(0.0, 0.3, (8, 8, 16)), 0.0).astype(np.float32)
    occ = float(read_occupancy(relu, 8, 3))
    assert occ <= 7 / 8 + 1e-6
    assert occ >= float(input_activity(relu, 8, 3))
    assert float(read_occupancy(relu.ravel(), 8)) <= 7 / 8 + 1e-6
    # Random signed inputs: every bit plane of every 128-row read has an active row.
    signed = rng.uniform(-1.0, 1.0, (8, 8, 16)).astype(np.float32)
    assert float(read_occupancy(signed, 8, 3)) == pytest.approx(1.0, abs=1e-6)
    assert float(read_occupancy(signed.ravel(), 8)) == pytest.approx(1.0, abs=1e-6)
    assert float(read_occupancy(np.zeros((5, 5, 2), np.float32), 8, 3)) == 0.0
    with pytest.raises(ValueError, match="rows_per_read"):
        read_occupancy(signed, 8, 3, 0)
    with pytest.raises(ValueError, match="kernel"):
        read_occupancy(signed[:2], 8, 3)


def test_partial_block_occupancy_below_activity():
    """Why make_trace's bound is 2·occupancy: 129 features (a full and a 1-row block), the full one on."""
    x = np.r_[np.full(128, -1 / 256), 0.0].astype(np.float32)  # -1/256: every bit plane set
    occ = float(read_occupancy(x, 8, None, 128))
    act = float(input_activity(x, 8))
    assert occ == pytest.approx(0.5) and act == pytest.approx(128 / 129)
    assert act <= T.OCCUPANCY_ACTIVITY_RATIO * occ
    assert len(T.SYNTHETIC_RELU_READ_OCCUPANCY) == len(T.DEFAULT_RUN_ACTIVITIES)
    assert all(a <= o <= 1.0 for a, o in zip(T.DEFAULT_RUN_ACTIVITIES, T.SYNTHETIC_RELU_READ_OCCUPANCY))


def test_weight_matrix_is_neurosims_layout():
    """Row r = (c·K + kh)·K + kw: input channel outermost, as the read blocks assume."""
    k = np.arange(2 * 2 * 3 * 4).reshape(2, 2, 3, 4)  # (K, K, C_in, C_out)
    m = np.asarray(T.weight_matrix(jnp.asarray(k)))
    assert m.shape == (12, 4)
    for c in range(3):
        for kh in range(2):
            for kw in range(2):
                np.testing.assert_array_equal(m[(c * 2 + kh) * 2 + kw], k[kh, kw, c])
    np.testing.assert_array_equal(np.asarray(T.weight_matrix(jnp.ones((5, 3)))), np.ones((5, 3)))


def _reference(new, old, max_levels, sr, sc, w_min=-1.0, w_max=1.0):
    """GetWriteUpdateEstimation's counters, one sub-array at a time, in plain Python (and the
    written cells and the sum of their new and old levels, V2.1's FeFET polarisation)."""
    dg_min = (w_max - w_min) / max_levels
    rows, cols = new.shape
    out = []
    for r0 in range(0, rows, sr):
        for c0 in range(0, cols, sc):
            n_rows, n_cols = min(sr, rows - r0), min(sc, cols - c0)
            total_set = total_reset = 0
            rows_set = rows_reset = cols_set = cols_reset = 0
            cell = 0
            written = level = 0.0
            for i in range(r0, r0 + n_rows):
                n_set = n_reset = p_set = p_reset = 0
                for j in range(c0, c0 + n_cols):
                    d = new[i, j] - old[i, j]
                    if abs(d) >= dg_min:
                        p = math.ceil(abs(d) / dg_min)
                        cell += p
                        written += 1
                        level += (new[i, j] - w_min) / (w_max - w_min) + (old[i, j] - w_min) / (w_max - w_min)
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
                (total_set + total_reset, cell, (rows_set + rows_reset) / 2 / n_rows, (cs + cr) / 2 / n_cols,
                 written, level)
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
    assert T.Trace._fields[6] == "read_occupancy" and len(T.Trace._fields) == 9
    assert T.Trace._fields[7:] == ("written_cells", "written_level") == T.WriteStats._fields[4:]
    with pytest.raises(ValueError, match="Trace.written_cells"):
        T.make_trace([0.5], written_cells=-1.0)
    # a trace of the seven fields stored before the written-cell statistics: both 0
    seven = T.Trace(*T.make_trace([0.5, 0.2])[:7])
    assert seven.written_cells == 0.0 and seven.written_level == 0.0


def test_default_trace():
    d = T.default_trace()
    np.testing.assert_allclose(np.asarray(d.input_activity), T.DEFAULT_RUN_ACTIVITIES)
    np.testing.assert_allclose(np.asarray(d.read_occupancy), T.SYNTHETIC_RELU_READ_OCCUPANCY)
    assert jax.tree.map(jnp.shape, d) == T.Trace(*[(8,)] * len(T.Trace._fields))
    other = T.default_trace(3)  # not the default run's network: activity 0.5, i.i.d.-like reads
    np.testing.assert_allclose(np.asarray(other.input_activity), [0.5] * 3)
    np.testing.assert_allclose(np.asarray(other.read_occupancy), [1.0] * 3)


def test_csv_row_round_trip_and_runs_before_the_read_occupancy():
    t = T.make_trace([0.5, 0.2], [0.4, 0.6], [3.0, 1.0], [9.0, 2.0], [0.1, 0.2], [0.3, 0.4], [0.7, 0.6], [5.0, 2.0], [4.5, 2.5])
    columns = T.csv_columns(["conv1", "fc"])
    assert columns[:3] == ["input_activity_conv1", "input_activity_fc", "weight_level_conv1"]
    assert columns[-1] == "written_level_fc" and len(columns) == 18
    row = T.to_row(t)
    back = T.from_row(row, 2)
    for a, b in zip(t, back):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    seven = T.from_row(row[:14], 2)  # seven fields per layer: no written-cell statistics
    np.testing.assert_array_equal(np.asarray(seven.read_occupancy), np.asarray(t.read_occupancy))
    np.testing.assert_array_equal(np.asarray(seven.written_cells), [0.0, 0.0])
    old = T.from_row(row[:12], 2)  # six fields per layer: occupancy 1
    np.testing.assert_array_equal(np.asarray(old.read_occupancy), [1.0, 1.0])
    with pytest.raises(ValueError, match="13 values, expected 9 per layer"):
        T.from_row(row[:13], 2)
    with pytest.raises(ValueError, match="Trace.weight_level"):
        T.from_row(np.r_[row[:2], 1.5, row[3:]], 2)


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


def test_weight_level():
    assert float(T.weight_level(jnp.array([-1.0, 1.0, 0.0]))) == pytest.approx(0.5)
    assert float(T.weight_level(jnp.array([1.0, 1.0]))) == pytest.approx(1.0)


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
    tests/hw/test_hw_golden.py's ``default_write_trace`` (written as its weight CSVs, ``%10.5f``):
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
