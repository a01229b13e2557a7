"""What the estimator takes from training: the per-layer :class:`Trace` and how it is measured.

NeuroSim V2.0 reads, per layer and per epoch, the first test image's bit-serial input, the
layer's new and old weight matrices, and an input-activity number (docs/model.md §4.3–§4.5,
``docs/neurosim_default_run.md`` §1). cimjax reduces those files to a few per-layer statistics,
computed in ``jnp`` (so the training step can fill them) and passed to
:func:`cimjax.hw.chip.estimate`. Only JAX and NumPy are imported here: training and ``hw`` share it.

- ``input_activity``: fraction of ones of the layer's bit-serial forward input
  (:func:`input_activity`; NeuroSim's per-layer activity argument; also the weight-gradient
  unit's row-read, row-write and column-write activity);
- ``weight_level``: mean normalised conductance ``(G − G_min)/(G_max − G_min)`` of the
  layer's cells (:func:`weight_level`; 0.5 for zero-mean weights on NeuroSim's linear map
  ``G = G_min + (w + 1)/2·(G_max − G_min)``); sets the average column resistance of reads;
- four write statistics of one weight update per sub-array (:func:`weight_update_stats`,
  NeuroSim's ``GetWriteUpdateEstimation`` in ``ProcessingUnit.cpp``, docs/model.md §5.5), averaged over
  the layer's sub-arrays: ``write_pulses`` (Σ over rows of the row's largest SET pulse count
  plus its largest RESET pulse count), ``cell_pulses`` (Σ over cells of their pulse counts),
  ``row_write_activity`` (``(rows with a SET + rows with only RESETs)/2 / rows``) and
  ``col_write_activity`` (``(⌊SET cells/SET rows⌋ + ⌊RESET cells/RESET rows⌋)/2 / cols``: the
  source writes ``ceil`` of an *integer* division, so the quotient is truncated).
  A cell is written when ``|ΔG| ≥ ΔG_min = (G_max − G_min)/max_levels`` and takes
  ``⌈|ΔG|/ΔG_min⌉`` pulses; in weight units on the linear map that is
  ``|Δw| ≥ (w_max − w_min)/max_levels``;
- two more statistics of the same update, for the FeFET polarisation write energy of NeuroSim
  V2.1 (``GetWriteUpdateEstimation``; :mod:`cimjax.hw.components.subarray_write`), also means
  over the sub-arrays: ``written_cells`` (the written cells) and ``written_level`` (Σ over the
  written cells of ``ℓ_new + ℓ_old``, their normalised levels ``(w − w_min)/(w_max − w_min)``
  after and before the update). Rows of runs before they were recorded give 0 for both
  (:func:`from_row`);
- ``read_occupancy``: the fraction of the layer's sub-array reads with at least one active row
  (:func:`read_occupancy`). NeuroSim's MLSA costs almost nothing on an empty read (every
  column open; :mod:`cimjax.hw.components.mlsa`), and post-ReLU 8-bit two's-complement inputs
  never set their sign plane and rarely their high planes, so it sets the ADC energy
  (``subarray_read(read_occupancy=…)``); i.i.d. input bits give ≈ 1 (the default of
  :func:`make_trace`).

Every field has shape ``(num_layers,)`` (plus leading axes under ``vmap``). The write
statistics and the read occupancy depend on the sub-array size the trace was cut with (a
static choice, NeuroSim's ``numRowSubArray``/``numColSubArray``). Training writes the fields
to ``hardware_trace.csv`` in :class:`Trace` order (:func:`csv_columns`, :func:`from_row`).

**The input bits.** NeuroSim's bit decomposition of an activation ``x`` with ``n`` bits
(``wl_input``, 8): ``x_int = x·2^(n−1)``; a sign bit (1 if ``x < 0``) of weight ``−2^(n−1)``;
then ``n − 1`` magnitude bits of weights ``2^(n−2) … 1`` taken greedily from
``x_int + sign·2^(n−1)`` (so a non-integer ``x_int``, e.g. the float first-layer input, is
truncated, and values at or above ``2^(n−1)`` set every magnitude bit). For a convolution the
input matrix holds every *valid* (unpadded) window, ``(C_in·K·K)`` rows by ``windows·n``
columns, so a pixel counts once per window that covers it; for a fully connected layer it is
``features × n``. Each pixel's ones are weighted by its window coverage (no unfolding).

**A read** is one column of that matrix (one bit plane of one window, or of the FC input)
restricted to one block of ``rows_per_read`` consecutive rows (NeuroSim's ``numRowSubArray``;
``ProcessingUnit.cpp``: ``GetInputVector``; rows in the order of :func:`weight_matrix`, the last
block may be partial). The active rows of every (window, block) are a valid stride-1
convolution of the bit plane with one 0/1 kernel per block (a fully connected input is a 1×1
image with a 1×1 kernel): the exact count of the unfolded ``(rows, reads)`` matrix.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

#: Input activities of NeuroSim V2.0's default VGG-8 run, layers 1–8
#: (``docs/neurosim_default_run.md`` §2; synthetic CIFAR-like inputs, trained 7 steps).
DEFAULT_RUN_ACTIVITIES = (0.4923, 0.1717, 0.1777, 0.1164, 0.1607, 0.1120, 0.1100, 0.0562)

#: Read occupancy (:func:`read_occupancy`) of the default run's layers 1–8 *as estimated on
#: synthetic post-ReLU traces*: layer 1 (the signed image, 27 rows) 1; layers 2–8 i.i.d.
#: values ``max(z, 0)``, ``z ~ N(0, σ²)``, floored to 8-bit two's complement, σ set so the bit
#: activity is the run's (a generator written for that measurement), 128-row reads.
#: NeuroSim V2.0 run on these traces measured the same occupancies and an ADC energy of 0.6817 J
#: per epoch. Not the default run's own traces (not recorded); an upper bound from the sign
#: plane alone is 7/8 for layers 2–8.
SYNTHETIC_RELU_READ_OCCUPANCY = (1.0, 0.8745, 0.875, 0.6504, 0.8613, 0.6339, 0.6309, 0.375)

#: The strict bound :func:`make_trace` checks: ``input_activity ≤ OCCUPANCY_ACTIVITY_RATIO ·
#: read_occupancy`` (equal-size reads give ratio 1; ``nb ≥ 2`` row blocks with a partial last one
#: up to ``nb/(nb − 1) ≤ 2``), within :data:`OCCUPANCY_TOLERANCE` (float32 rounding).
OCCUPANCY_ACTIVITY_RATIO = 2.0
OCCUPANCY_TOLERANCE = 1e-6

_Values = float | Sequence[float] | jax.Array
#: The valid range of every :class:`Trace` field.
#: The most pulses one update can give a sub-array: 2048 × 2048 cells (the largest sub-array of
#: the config) × 65536 pulses each (``device.max_level``'s bound); a larger count is no trace.
MAX_PULSES = 2.0**38

#: The most cells one sub-array has: 2048 × 2048 (the largest sub-array of the config).
MAX_CELLS = 2048.0**2

_RANGES = {"input_activity": (0.0, 1.0), "weight_level": (0.0, 1.0), "write_pulses": (0.0, MAX_PULSES),
           "cell_pulses": (0.0, MAX_PULSES), "row_write_activity": (0.0, 1.0), "col_write_activity": (0.0, 1.0),
           "read_occupancy": (0.0, 1.0), "written_cells": (0.0, MAX_CELLS), "written_level": (0.0, 2.0 * MAX_CELLS)}


def field_range(name: str) -> tuple[float, float]:
    """The closed range ``(lo, hi)`` of :class:`Trace` field ``name`` (every value is finite)."""
    return _RANGES[name]


class Trace(NamedTuple):
    """Per-layer training statistics the estimator uses (module docstring); shape (L,) each."""

    input_activity: jax.Array
    weight_level: jax.Array
    write_pulses: jax.Array
    cell_pulses: jax.Array
    row_write_activity: jax.Array
    col_write_activity: jax.Array
    read_occupancy: jax.Array
    # The FeFET polarisation statistics (module docstring); last, with defaults, so that a trace
    # of the first seven fields (stored before they were recorded) still builds.
    written_cells: jax.Array | float = 0.0
    written_level: jax.Array | float = 0.0

    @property
    def num_layers(self) -> int:
        """Number of layers (the last axis of every field)."""
        return int(jnp.shape(self.input_activity)[-1])


def make_trace(input_activity: Sequence[float] | jax.Array, weight_level: _Values = 0.5, write_pulses: _Values = 0.0,
               cell_pulses: _Values = 0.0, row_write_activity: _Values = 0.0, col_write_activity: _Values = 0.0,
               read_occupancy: _Values = 1.0, written_cells: _Values = 0.0, written_level: _Values = 0.0) -> Trace:
    """A :class:`Trace` with scalars broadcast to the number of layers, checked when concrete.

    Args:
      input_activity: per-layer input-bit activity in [0, 1]; sets the number of layers.
      weight_level: mean normalised conductance in [0, 1] (scalar or per layer).
      write_pulses, cell_pulses: in [0, MAX_PULSES] (scalar or per layer).
      row_write_activity, col_write_activity: in [0, 1] (scalar or per layer).
      read_occupancy: in [0, 1] (scalar or per layer; 1, the default, is i.i.d.-like input
        bits), and at least ``input_activity/2`` (:data:`OCCUPANCY_ACTIVITY_RATIO`): a read set's
        ones lie in its occupied reads, so ``input_activity ≤ read_occupancy`` for reads of equal
        rows; a last partial block of ``nb ≥ 2`` allows up to ``nb/(nb − 1) ≤ 2`` times more.
      written_cells: in [0, MAX_CELLS]; written_level: in [0, 2·MAX_CELLS] (scalar or per layer;
        the FeFET polarisation statistics, 0 by default).

    Returns:
      The :class:`Trace` (float arrays of shape ``(L,)``).

    Raises:
      ValueError: naming the field, for a value outside its range, a length mismatch or a
        read occupancy below ``input_activity/2`` (concrete values only).
    """
    dtype = jnp.result_type(float)
    act = jnp.asarray(input_activity, dtype)
    if act.ndim != 1 or act.shape[0] < 1:
        raise ValueError(f"Trace.input_activity: expected a 1-D sequence of layers, got shape {act.shape}")
    n = act.shape[0]
    fields = {"input_activity": act}
    given = dict(weight_level=weight_level, write_pulses=write_pulses, cell_pulses=cell_pulses,
                 row_write_activity=row_write_activity, col_write_activity=col_write_activity,
                 read_occupancy=read_occupancy, written_cells=written_cells, written_level=written_level)
    for name, value in given.items():
        arr = jnp.asarray(value, dtype)
        if arr.ndim == 0:
            arr = jnp.full((n,), arr)
        if arr.shape != (n,):
            raise ValueError(f"Trace.{name}: expected a scalar or {n} values (one per layer), got shape {arr.shape}")
        fields[name] = arr
    for name, arr in fields.items():
        lo, hi = _RANGES[name]
        values = _concrete(arr)
        if values is None:
            continue
        # NaN fails every comparison: the finiteness check must stand on its own.
        if not np.all(np.isfinite(values)) or np.any(values < lo) or np.any(values > hi):
            raise ValueError(f"Trace.{name} = {values.tolist()}: expected finite values in [{lo:g}, {hi:g}]")
    act_v, occ_v = _concrete(fields["input_activity"]), _concrete(fields["read_occupancy"])
    if act_v is not None and occ_v is not None:
        low = OCCUPANCY_ACTIVITY_RATIO * occ_v + OCCUPANCY_TOLERANCE < act_v
        if np.any(low):
            raise ValueError(
                f"Trace.read_occupancy = {occ_v.tolist()}: below input_activity/{OCCUPANCY_ACTIVITY_RATIO:g} "
                f"= {(act_v / OCCUPANCY_ACTIVITY_RATIO).tolist()} at layers {np.nonzero(low)[0].tolist()} "
                f"(the ones of a read set lie in its occupied reads: occupancy ≥ activity for equal reads, "
                f"> activity/2 with a partial last block)")
    return Trace(**fields)


def _concrete(arr) -> np.ndarray | None:
    """``arr`` as numpy, or None under tracing."""
    if isinstance(arr, jax.core.Tracer):
        return None
    try:
        return np.asarray(arr)
    except jax.errors.TracerArrayConversionError:
        return None


def default_trace(num_layers: int = 8) -> Trace:
    """The trace the estimator uses without a training run.

    For 8 layers, NeuroSim V2.0's default-run read trace of VGG-8: its activities
    (:data:`DEFAULT_RUN_ACTIVITIES`), weight level 0.5, and the read occupancy
    :data:`SYNTHETIC_RELU_READ_OCCUPANCY`, a synthetic stand-in (measured on synthetic post-ReLU
    traces with the run's activities, not on the run's own trace files, which were not
    recorded), like the write statistics of the golden test. Any other number of layers gets
    activity 0.5 everywhere. The write statistics are zero (no update);
    :func:`weight_update_stats` fills them from a pair of weight matrices.
    """
    if num_layers != len(DEFAULT_RUN_ACTIVITIES):
        return make_trace([0.5] * num_layers)
    return make_trace(DEFAULT_RUN_ACTIVITIES, 0.5, read_occupancy=SYNTHETIC_RELU_READ_OCCUPANCY)


#: Values per layer in ``hardware_trace.csv`` of runs before the read occupancy was recorded
#: (the first six :class:`Trace` fields).
FIELDS_BEFORE_OCCUPANCY = 6
#: Values per layer of runs before the written-cell statistics were recorded (the first seven).
FIELDS_BEFORE_WRITTEN = 7


def csv_columns(layer_names: Sequence[str]) -> list[str]:
    """The column names of a trace row: every :class:`Trace` field, in order, for every layer."""
    return [f"{field}_{name}" for field in Trace._fields for name in layer_names]


def to_row(trace: Trace) -> np.ndarray:
    """The trace as one row of :func:`csv_columns`."""
    return np.concatenate([np.asarray(x) for x in trace])


def from_row(values: Sequence[float], num_layers: int) -> Trace:
    """The :class:`Trace` of a row of :func:`csv_columns` (checked by :func:`make_trace`).

    A row of a run before the written-cell statistics were recorded holds
    :data:`FIELDS_BEFORE_WRITTEN` values per layer (both are 0: no FeFET polarisation energy); one
    before the read occupancy was recorded :data:`FIELDS_BEFORE_OCCUPANCY`, its occupancy is 1
    (i.i.d.-like input bits, the estimator's earlier assumption).

    Raises:
      ValueError: a value count that is not 9, 7 or 6 per layer, or a value outside its
        field's range (naming the field).
    """
    values = np.asarray(values, float)
    counts = (len(Trace._fields), FIELDS_BEFORE_WRITTEN, FIELDS_BEFORE_OCCUPANCY)
    if num_layers < 1 or values.size not in tuple(c * num_layers for c in counts):
        raise ValueError(f"{values.size} values, expected {counts[0]} per layer (or {counts[1]} in runs "
                         f"before the written-cell statistics, {counts[2]} before the read occupancy) "
                         f"for {num_layers} layers")
    return make_trace(*values.reshape(-1, num_layers))


def bit_planes(x: jax.Array, bits: int = 8) -> jax.Array:
    """NeuroSim's ``bits``-bit decomposition of each element of ``x`` (module docstring).

    Args:
      x: activations in weight units (any shape; nominally [−1, 1)).
      bits: ``n`` (static), the input precision, ≥ 1.

    Returns:
      0/1 float array of shape ``x.shape + (n,)``: the sign bit first, then the magnitude
      bits from ``2^(n−2)`` down to 1.
    """
    half = 2.0 ** (bits - 1)
    sign = (x < 0).astype(jnp.float32)
    rest = jnp.clip(jnp.floor(x * half + sign * half), 0.0, half - 1.0).astype(jnp.int32)
    mags = [((rest >> b) & 1).astype(jnp.float32) for b in range(bits - 2, -1, -1)]
    return jnp.stack([sign, *mags], axis=-1)


def bit_ones(x: jax.Array, bits: int = 8) -> jax.Array:
    """Number of ones (float, in [0, n]) in NeuroSim's ``bits``-bit decomposition of each
    element of ``x`` (:func:`bit_planes`)."""
    return jnp.sum(bit_planes(x, bits), axis=-1)


def _coverage(size: int, kernel: int) -> jax.Array:
    """How many valid windows (stride 1) cover each position along one axis."""
    i = jnp.arange(size)
    return (jnp.minimum(i, size - kernel) - jnp.maximum(0, i - kernel + 1) + 1).astype(jnp.float32)


def input_activity(x: jax.Array, bits: int = 8, kernel: int | None = None) -> jax.Array:
    """NeuroSim's input activity of one image at one layer: fraction of ones in its trace.

    Args:
      x: one example's layer input, ``(H, W, C)`` for a convolution or ``(F,)`` for a fully
        connected layer.
      bits: input precision ``n`` (static; NeuroSim ``wl_activate`` = 8).
      kernel: ``K`` of the convolution (static), None for a fully connected layer.

    Returns:
      Scalar in [0, 1].
    """
    ones = bit_ones(x, bits)
    if kernel is None:
        return jnp.mean(ones) / bits
    h, w, _ = x.shape
    if h < kernel or w < kernel:
        raise ValueError(f"input {h}x{w} is smaller than the {kernel}x{kernel} kernel")
    weight = _coverage(h, kernel)[:, None, None] * _coverage(w, kernel)[None, :, None]
    weight = jnp.broadcast_to(weight, x.shape)
    return jnp.sum(ones * weight) / (jnp.sum(weight) * bits)


def read_occupancy(x: jax.Array, bits: int = 8, kernel: int | None = None, rows_per_read: int = 128) -> jax.Array:
    """Fraction of one image's sub-array reads at one layer with an active row (module docstring).

    The reads are those of the input matrix :func:`input_activity` counts: for a convolution
    every valid stride-1 window, ``C_in·K·K`` rows; for a fully connected layer the ``F``
    features in their order; one read per bit plane per window per block of ``rows_per_read``
    rows. A read with no active row leaves every column open.

    Args:
      x: one example's layer input, ``(H, W, C)`` for a convolution or ``(F,)`` for a fully
        connected layer.
      bits: input precision ``n`` (static; NeuroSim ``wl_activate`` = 8).
      kernel: ``K`` of the convolution (static), None for a fully connected layer.
      rows_per_read: rows per sub-array read (static; the sub-array rows), ≥ 1; a last partial
        block is a read.

    Returns:
      Scalar in [0, 1]; ≥ ``input_activity`` when every block is full or there is one block.
    """
    if rows_per_read < 1:
        raise ValueError(f"read_occupancy: rows_per_read = {rows_per_read}, expected ≥ 1")
    if kernel is None:  # the features as one 1×1 window of F channels
        x, kernel = jnp.reshape(x, (1, 1, -1)), 1
    h, w, c = x.shape
    if h < kernel or w < kernel:
        raise ValueError(f"input {h}x{w} is smaller than the {kernel}x{kernel} kernel")
    planes = bit_planes(x, bits)  # (H, W, C, n)
    rows = c * kernel * kernel
    nb = -(-rows // rows_per_read)
    # One 0/1 kernel per block: row r = (c·K + kh)·K + kw belongs to block r // rows_per_read.
    block = np.arange(rows).reshape(c, kernel, kernel) // rows_per_read
    masks = (block[..., None] == np.arange(nb)).astype(np.float32)  # (C, K, K, nb)
    masks = jnp.asarray(np.transpose(masks, (1, 2, 0, 3)))  # HWIO
    lhs = jnp.moveaxis(planes, -1, 0)  # (n, H, W, C): bit planes as the batch
    counts = jax.lax.conv_general_dilated(
        lhs, masks, (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC"),
        precision=jax.lax.Precision.HIGHEST,
    )  # (n, H−K+1, W−K+1, nb): active rows of every read
    return jnp.mean((counts > 0.5).astype(jnp.result_type(float)))


def weight_matrix(kernel: jax.Array) -> jax.Array:
    """A kernel as NeuroSim's weight matrix: conv ``(K, K, C_in, C_out)`` → ``(C_in·K·K, C_out)``
    (input channel outermost, then kernel row, kernel column); a dense ``(F, C_out)`` as it is."""
    if kernel.ndim == 4:
        kernel = jnp.transpose(kernel, (2, 0, 1, 3))
    return kernel.reshape(-1, kernel.shape[-1])


def kernel_from_weight_matrix(matrix: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """The inverse of :func:`weight_matrix`: NeuroSim's ``(rows, C_out)`` matrix back to a kernel
    of ``shape``."""
    if len(shape) == 4:
        k1, k2, c_in, c_out = shape
        return jnp.transpose(matrix.reshape(c_in, k1, k2, c_out), (1, 2, 0, 3))
    return matrix.reshape(shape)


def weight_level(w: jax.Array, w_min: float = -1.0, w_max: float = 1.0) -> jax.Array:
    """Mean normalised conductance of weights ``w`` on the linear map (module docstring)."""
    return jnp.mean(jnp.clip((w - w_min) / (w_max - w_min), 0.0, 1.0))


class WriteStats(NamedTuple):
    """One layer's write statistics per sub-array (means over its sub-arrays); see module."""

    write_pulses: jax.Array
    cell_pulses: jax.Array
    row_write_activity: jax.Array
    col_write_activity: jax.Array
    written_cells: jax.Array
    written_level: jax.Array


def weight_update_stats(new_w: jax.Array, old_w: jax.Array, *, max_levels: int = 32, subarray_rows: int = 128,
                        subarray_cols: int = 128, w_min: float = -1.0, w_max: float = 1.0) -> WriteStats:
    """NeuroSim's per-sub-array write statistics of one update of a layer's weight matrix.

    Source: ``GetWriteUpdateEstimation`` (NeuroSim V2.0 ``ProcessingUnit.cpp``; docs/model.md §5.5),
    for eNVM cells on the linear weight→conductance map. The matrix is cut into sub-arrays
    of ``subarray_rows × subarray_cols`` (the last ones partial, as NeuroSim's
    ``CopySubArray`` does, padded here with unchanged cells), each sub-array's statistics
    are computed as NeuroSim does and then averaged over the sub-arrays. ``written_cells`` and
    ``written_level`` are the cells the V2.1 code charges a FeFET polarisation energy (those
    with ``|ΔG| ≥ ΔG_min``, the cells that take pulses) and the sum of their levels after and
    before the update (module docstring).

    Args:
      new_w, old_w: ``(rows, cols)`` weights after and before the update (weight units;
        NeuroSim's layout, :func:`weight_matrix`).
      max_levels: ``max(maxNumLevelLTP, maxNumLevelLTD)`` (static), ≥ 1.
      subarray_rows, subarray_cols: sub-array size (static), ≥ 1.
      w_min, w_max: the weight range mapped onto ``[G_min, G_max]``.

    Returns:
      :class:`WriteStats` of scalars.
    """
    if new_w.ndim != 2 or new_w.shape != old_w.shape:
        raise ValueError(f"weight_update_stats: expected two equal 2-D matrices, got {new_w.shape} and {old_w.shape}")
    rows, cols = new_w.shape
    nr, nc = -(-rows // subarray_rows), -(-cols // subarray_cols)
    pad = ((0, nr * subarray_rows - rows), (0, nc * subarray_cols - cols))
    steps = (new_w - old_w) * (max_levels / (w_max - w_min))  # ΔG / ΔG_min
    steps = jnp.pad(steps, pad).reshape(nr, subarray_rows, nc, subarray_cols)
    valid = jnp.pad(jnp.ones((rows, cols), bool), pad).reshape(nr, subarray_rows, nc, subarray_cols)
    written = (jnp.abs(steps) >= 1.0) & valid
    levels = jnp.pad((new_w - w_min + old_w - w_min) / (w_max - w_min), pad).reshape(written.shape)
    pulses = jnp.where(written, jnp.ceil(jnp.abs(steps)), 0.0)
    is_set = written & (steps > 0)
    is_reset = written & (steps < 0)
    set_pulses = jnp.max(jnp.where(is_set, pulses, 0.0), axis=3)  # (nr, sr, nc): per row
    reset_pulses = jnp.max(jnp.where(is_reset, pulses, 0.0), axis=3)
    n_set = jnp.sum(is_set, axis=3)
    n_reset = jnp.sum(is_reset, axis=3)
    row_set = n_set > 0
    row_reset = (~row_set) & (n_reset > 0)
    rows_set = jnp.sum(row_set, axis=1).astype(pulses.dtype)  # (nr, nc)
    rows_reset = jnp.sum(row_reset, axis=1).astype(pulses.dtype)
    # ``ceil(numSelectedColSet/numSelectedRowSet)`` of two ints in the source: C++ integer
    # division truncates first (NeuroSim V2.0 on layer 1 of tests/hw/test_hw_golden.py's write
    # trace: 21 SET cells in 15 SET rows, 23 RESET cells in 11 RESET-only rows → colSet = 1,
    # colReset = 2, where ``ceil`` of the real quotients 1.4 and 2.09 would give 2 and 3).
    cols_set = jnp.where(rows_set > 0, jnp.floor(jnp.sum(n_set, axis=1) / jnp.maximum(rows_set, 1.0)), 0.0)
    cols_reset = jnp.where(rows_reset > 0, jnp.floor(jnp.sum(n_reset, axis=1) / jnp.maximum(rows_reset, 1.0)), 0.0)
    # A partial sub-array has fewer rows/cols: NeuroSim's activities divide by its own size.
    sub_rows = jnp.sum(valid[:, :, :, 0], axis=1).astype(pulses.dtype)
    sub_cols = jnp.sum(valid[:, 0, :, :], axis=2).astype(pulses.dtype)
    return WriteStats(
        write_pulses=jnp.mean(jnp.sum(set_pulses + reset_pulses, axis=1)),
        cell_pulses=jnp.mean(jnp.sum(pulses, axis=(1, 3))),
        row_write_activity=jnp.mean((rows_set + rows_reset) / 2.0 / sub_rows),
        col_write_activity=jnp.mean((cols_set + cols_reset) / 2.0 / sub_cols),
        written_cells=jnp.mean(jnp.sum(written, axis=(1, 3)).astype(pulses.dtype)),
        written_level=jnp.mean(jnp.sum(jnp.where(written, levels, 0.0), axis=(1, 3))),
    )
