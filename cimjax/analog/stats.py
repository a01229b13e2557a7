"""Per-layer read statistics of the analog array: ADC conversions, input-bit density and
sub-array activations (the estimator's activity inputs, docs/model.md §4.3, §5.4).

Counts follow the read that :mod:`cimjax.analog.core` performs (docs/model.md §3.2), per image:

* A **read cycle** is one input-bit plane ``z`` (``input_bits`` planes bit-serially, one for
  a float read) at one kernel position ``p`` (``KH·KW``; 1 for a dense layer) for one output
  pixel (``H·W``, 'SAME' stride 1; 1 for a dense layer). Rows are the input channels
  (``Ci`` / ``Fi``), cut into ``S`` sub-arrays of ``subarray_rows``
  (:func:`cimjax.analog.core._partition`, so ``drop_partial_subarray`` is honoured).
* **Sub-array reads** ``= Z·P·HW·S``: every sub-array's row slice read in every cycle.
  A read is an **activation** when at least one of its rows is driven, i.e. some input in
  that slice has bit ``z`` set (float read: is non-zero); rows of 'SAME' padding are never
  driven. Column tiling (``subarray_cols``) is the estimator's business: each row-slice
  read fires every column tile of its sub-array row.
* **ADC conversions** ``= Z·P·HW·S·(C·O + d)`` with ``C`` cell columns per weight
  (``num_cells``, doubled for the differential mapping), ``O`` outputs and ``d = 1`` dummy
  column per sub-array for the dummy mapping (0 for differential); 0 when
  ``adc_mode = 'none'`` (no ADC, e.g. the first layer). Every column is converted in every
  cycle, whatever its input; how many ADCs share the conversions (``columns_per_adc``)
  sets the latency, not the count.
* The **transposed read** (``backward='analog'``, :mod:`cimjax.analog.transposed`) swaps
  rows and columns: ``O`` rows in ``S_t`` sub-arrays, ``C·Ci (+ dummy)`` columns, and the
  signed error is read as ``e⁺`` and ``e⁻``, so ``2·Z`` planes when bit-serial.
* **Input-bit density** is the fraction of ones among the input bits the rows receive,
  ``Σ ones / (Z·P·HW·rows_used)`` ('SAME' padding counts as zeros; the rows of a partial
  last sub-array that do not exist do not count). It is not NeuroSim's trace activity
  (:func:`cimjax.trace.input_activity`: sign-magnitude bits over the valid windows); it is
  the unsigned ``I = round((2^b_A − 1)·x)`` the analog read feeds. NaN for a float read.

Pure ``jax.numpy``; ``cfg`` is static, so these functions can be jitted with it.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from cimjax.analog.cells import input_levels
from cimjax.analog.config import ArrayConfig
from cimjax.analog.core import _partition

Array = jax.Array


class ReadCounts(NamedTuple):
    """Per-image counts of one layer's forward read over a batch (a pytree).

    Attributes:
      adc_conversions: ADC conversions per image of the forward read (Python int).
      adc_conversions_transposed: of the transposed (activation-gradient) read (int).
      subarray_reads: sub-array row-slice reads per image (int).
      subarray_activations: ``(N,)`` reads with at least one driven row, per image.
      input_ones: ``(N,)`` ones among the input bits the rows receive, per image (NaN for
        a float read).
      input_bits: input bits the rows receive per image (int; ``Z·P·HW·rows_used``).
    """

    adc_conversions: int
    adc_conversions_transposed: int
    subarray_reads: int
    subarray_activations: Array
    input_ones: Array
    input_bits: int


def _geometry(w_shape: Sequence[int]) -> tuple[int, int, int, int]:
    """``(KH, KW, rows_in, cols_out)`` of a conv ``(KH, KW, Ci, O)`` or dense ``(Fi, Fo)`` weight."""
    w_shape = tuple(int(d) for d in w_shape)
    if len(w_shape) == 2:
        return 1, 1, w_shape[0], w_shape[1]
    if len(w_shape) == 4:
        return w_shape
    raise ValueError(f"w_shape must be (Fi, Fo) or (KH, KW, Ci, O); got {w_shape!r}")


def cell_columns(cfg: ArrayConfig) -> int:
    """Cell columns per weight: ``num_cells`` (dummy) or ``2·num_cells`` (differential)."""
    return cfg.num_cells * (2 if cfg.mapping == "differential" else 1)


def conversions(cfg: ArrayConfig, rows: int, outputs: int, cycles: int) -> int:
    """ADC conversions of ``cycles`` read cycles of an array with ``rows`` input rows.

    Args:
      cfg: the array configuration.
      rows: input rows before the sub-array cut (``Ci`` or ``Fi``; ``O`` when transposed).
      outputs: output columns before the cell split (``O``; ``Ci`` when transposed).
      cycles: read cycles (planes × positions × pixels).

    Returns:
      ``cycles·S·(C·outputs + d)``; 0 for ``adc_mode = 'none'``.
    """
    if cfg.adc_mode == "none":
        return 0
    _, _, ns = _partition(rows, cfg)
    dummy = 1 if cfg.mapping == "dummy" else 0
    return cycles * ns * (cell_columns(cfg) * outputs + dummy)


def static_counts(cfg: ArrayConfig, w_shape: Sequence[int], pixels: int = 1) -> dict[str, int]:
    """The data-independent counts per image of a layer's read.

    Args:
      cfg: the array configuration.
      w_shape: the weight shape, ``(KH, KW, Ci, O)`` or ``(Fi, Fo)``.
      pixels: output pixels per image ``H·W`` (1 for a dense layer).

    Returns:
      ``planes``, ``positions``, ``subarrays``, ``subarray_reads``, ``adc_conversions``,
      ``adc_conversions_transposed`` and ``input_bits`` (see the module docstring).
    """
    kh, kw, rows, outs = _geometry(w_shape)
    planes = cfg.input_bits if cfg.bit_serial else 1
    used, _, ns = _partition(rows, cfg)
    cycles = planes * kh * kw * int(pixels)
    t_planes = 2 * planes if cfg.bit_serial else 1
    return {
        "planes": planes,
        "positions": kh * kw,
        "subarrays": ns,
        "subarray_reads": cycles * ns,
        "adc_conversions": conversions(cfg, rows, outs, cycles),
        "adc_conversions_transposed": conversions(cfg, outs, rows, t_planes * kh * kw * int(pixels)),
        "input_bits": cycles * used,
    }


def _coverage(size: int, kernel: int) -> np.ndarray:
    """How many 'SAME' stride-1 kernel positions read each index along one axis."""
    lo = (kernel - 1) // 2
    i = np.arange(size)[:, None]
    k = np.arange(kernel)[None, :]
    src = i - k + lo  # the output index that reads input i at kernel offset k
    return np.sum((src >= 0) & (src < size), axis=1).astype(np.float32)


def read_counts(x: Array, cfg: ArrayConfig, w_shape: Sequence[int]) -> ReadCounts:
    """Counts of the forward read of ``x`` through a layer of weight shape ``w_shape``.

    Args:
      x: the layer input: ``(N, H, W, Ci)`` for a conv, ``(N, Fi)`` for a dense layer;
        unsigned in [0, 1] for a bit-serial read (as :func:`cimjax.analog.analog_conv`).
      cfg: the array configuration of the layer.
      w_shape: ``(KH, KW, Ci, O)`` or ``(Fi, Fo)``.

    Returns:
      A :class:`ReadCounts` (per image; data-dependent entries are ``(N,)``).
    """
    kh, kw, rows, _ = _geometry(w_shape)
    if x.ndim == 2:
        if (kh, kw) != (1, 1):
            raise ValueError(f"a dense input (N, F) needs a (Fi, Fo) weight; got {tuple(w_shape)}")
        x = x[:, None, None, :]
    if x.ndim != 4 or x.shape[-1] != rows:
        raise ValueError(f"x must be (N, H, W, {rows}) or (N, {rows}); got {x.shape}")
    n, h, wd, _ = x.shape
    static = static_counts(cfg, w_shape, h * wd)
    used, per, ns = _partition(rows, cfg)
    x = x[..., :used]
    if cfg.bit_serial:
        levels = input_levels(x, cfg).astype(jnp.int32)
        zs = jnp.arange(cfg.input_bits, dtype=jnp.int32).reshape((-1, 1, 1, 1, 1))
        bits = (levels[None] >> zs) & 1  # (Z, N, H, W, used)
    else:
        bits = (x != 0).astype(jnp.int32)[None]
    cov = jnp.asarray(_coverage(h, kh)[:, None] * _coverage(wd, kw)[None, :])  # (H, W)
    bits = jnp.pad(bits, ((0, 0),) * 4 + ((0, ns * per - used),))
    active = jnp.any(bits.reshape(bits.shape[:4] + (ns, per)) > 0, axis=-1)  # (Z, N, H, W, S)
    activations = jnp.einsum("znhws,hw->n", active.astype(jnp.float32), cov)
    if cfg.bit_serial:
        ones = jnp.einsum("znhwc,hw->n", bits.astype(jnp.float32), cov)
    else:
        ones = jnp.full((n,), jnp.nan, jnp.float32)
    return ReadCounts(
        adc_conversions=static["adc_conversions"],
        adc_conversions_transposed=static["adc_conversions_transposed"],
        subarray_reads=static["subarray_reads"],
        subarray_activations=activations,
        input_ones=ones,
        input_bits=static["input_bits"],
    )


def input_bit_density(counts: ReadCounts) -> Array:
    """Mean input-bit density over the batch: ``Σ ones / (N·input_bits)`` (NaN: float read)."""
    return jnp.mean(counts.input_ones) / max(1, counts.input_bits) if counts.input_bits else jnp.nan


def layer_summary(counts: ReadCounts) -> dict[str, float]:
    """Per-image means of a :class:`ReadCounts`, as plain floats (for CSV rows)."""
    return {
        "input_bit_density": float(input_bit_density(counts)),
        "adc_conversions": float(counts.adc_conversions),
        "adc_conversions_transposed": float(counts.adc_conversions_transposed),
        "subarray_reads": float(counts.subarray_reads),
        "subarray_activations": float(jnp.mean(counts.subarray_activations)),
    }


__all__ = [
    "ReadCounts",
    "cell_columns",
    "conversions",
    "input_bit_density",
    "layer_summary",
    "read_counts",
    "static_counts",
]
