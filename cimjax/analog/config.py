"""``ArrayConfig``: the static description of an analog CIM array read (docs/model.md §3.2).

A frozen (hashable) dataclass, so it can be a static argument of ``jax.jit`` and a
non-differentiable argument of ``jax.custom_vjp``. Every field is checked at construction
and a bad value raises ``ValueError`` naming the field and its allowed range.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Optional

#: ADC models: NeuroSim's ``LinearQuantizeOut`` / ``NonLinearQuantizeOut``, or no ADC.
ADC_MODES = ("linear", "nonlinear", "none")
#: ADC ranges: NeuroSim's tensor-wide dynamic range, or the column's physical full scale.
ADC_RANGES = ("dynamic", "full_scale")
#: Weight mappings: one cell column per digit plus a shared dummy column (NeuroSim), or
#: a differential pair (G+, G−) per digit.
MAPPINGS = ("dummy", "differential")
#: Weight → level mappings: NeuroSim's ``round((2^b_W − 1)/2·(w + 1))`` with the reference at the
#: middle level, or the exact (zero-centred) grid ``w·2^(b_W−1) + 2^(b_W−1)`` of WAGE's weights.
LEVEL_MAPPINGS = ("neurosim", "exact")
#: Retention drift direction: towards a target conductance, or a random sign per cell.
DRIFT_MODES = ("target", "random")
#: ADC bit widths for which docs/model.md gives nonlinear edge/level tables.
NONLINEAR_ADC_BITS = (3, 4, 5)


def _int_in(name: str, value, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"ArrayConfig.{name} must be an int in [{lo}, {hi}]; got {value!r}")


def _real(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ValueError(f"ArrayConfig.{name} must be a real number; got {value!r}")
    return float(value)


def _choice(name: str, value, choices: tuple) -> None:
    if value not in choices:
        raise ValueError(f"ArrayConfig.{name} must be one of {choices}; got {value!r}")


@dataclasses.dataclass(frozen=True)
class ArrayConfig:
    """How a layer's weights sit in the analog arrays and how they are read.

    Defaults are NeuroSim V2.0's ``inference.py`` defaults (8-bit weights and inputs,
    4-bit cells, 128-row sub-arrays, 6-bit linear ADC with tensor-wide dynamic range,
    on/off 10, no drift).

    Attributes:
      weight_bits: ``b_W``, int in [1, 16]; the weight ``w ∈ [−1, 1]`` becomes the level
        ``X = round((2^b_W − 1)/2·(w + 1)) ∈ [0, 2^b_W − 1]``.
      input_bits: ``b_A``, int in [1, 16]; the input ``x ∈ [0, 1]`` becomes
        ``I = round((2^b_A − 1)·x)``, read one bit per cycle (LSB first).
      cell_bits: bits per cell, int in [1, weight_bits], must divide ``weight_bits``
        (``weight_bits / cell_bits`` cells per weight). NeuroSim's core keeps the quotient
        of an uneven split; here it is refused, because the dummy-column offset
        ``(cellRange^K − 1)`` would no longer equal ``2^b_W − 1``.
      subarray_rows: rows per sub-array (NeuroSim: 128), int ≥ 1. Input rows are cut
        into sub-arrays of this many rows, each with its own ADC read.
      adc_bits: ADC resolution, int in [1, 16] (3, 4 or 5 for ``adc_mode='nonlinear'``).
      adc_mode: ``'linear'`` (``LinearQuantizeOut``), ``'nonlinear'``
        (``NonLinearQuantizeOut``) or ``'none'`` (ideal read, no ADC).
      adc_range: ``'dynamic'`` (NeuroSim: min/max of each partial-sum tensor over batch,
        pixels and output columns) or ``'full_scale'`` (fixed ``[0, subarray_rows·G_max]``,
        the largest column current, every input bit at 1; see :attr:`full_scale`; for
        ``bit_serial=False`` the inputs are assumed in [0, 1]).
      on_off_ratio: ``R_off/R_on`` > 1; ``math.inf`` for an ideal off state (G_min = 0).
      mapping: ``'dummy'`` (NeuroSim: one column per cell digit, one dummy column at the
        middle conductance subtracted after the ADC) or ``'differential'`` (each digit on
        a pair G+ = digit of X, G− = digit of ``2^b_W − 1 − X``, both read through the
        ADC and subtracted; no dummy).
      level_mapping: how a weight becomes the level ``X`` the cells store (docs/model.md §3.2).
        ``'neurosim'``: ``X = round((2^b_W − 1)/2·(w + 1))``, read back as
        ``(2X − (2^b_W − 1))/2^b_W`` (NeuroSim V2.0 ``quantization_cpu_np_infer.py``
        ``QConv2d.forward``/``QLinear.forward`` with ``inference = 1``). WAGE's weights lie on
        ``k/2^(b_W−1)``, which this grid of ``2^b_W`` levels centred on a half level does not
        contain: ``w = 0`` reads as ``+1/2^b_W`` and small weights shrink (5-bit ``1/16`` reads as
        ``1/32``), so a layer's product loses 10–20 % of its magnitude at WAGE's initial weights.
        ``'exact'``: ``X = round(w·2^(b_W−1)) + 2^(b_W−1)`` clipped to ``[1, 2^b_W − 1]``, read
        back as ``(X − 2^(b_W−1))/2^(b_W−1)``: every WAGE weight exactly, so with ideal cells and
        no ADC the read is the WAGE product itself. The reference is the zero level
        ``2^(b_W−1)``: a dummy column at the conductance that stands for it
        (:func:`cimjax.analog.cells.dummy_conductance`), or G− = the digits of ``2^b_W − X``.
      retention_time: time since programming ``t`` in seconds, ≥ 0 (``t0`` = 1 s, so
        ``t = 1`` is no drift). ``t = 0`` is only allowed with ``drift_v = 0``; NeuroSim
        would collapse every cell to the lower clip there.
      drift_v: drift exponent ``v`` of ``G(t) = G0·(t/t0)^(v·s)``; 0 is no drift.
      drift_mode: ``'target'`` (``s = sign(G_target − G0)``, NeuroSim's ``detect=1``) or
        ``'random'`` (``s ∈ {−1, 0, +1}`` per cell, passed in as ``drift_sign``,
        NeuroSim's ``detect=0``).
      drift_target: ``G_target`` as a fraction of ``[G_min, G_max]``, in [0, 1].
      bit_serial: feed the input bit-serially (True) or as one analog (float) read
        (False: NeuroSim's conv1 path, usually with ``adc_mode='none'``).
      drop_partial_subarray: NeuroSim's ``numSubArray = floor(rows/subarray_rows)``, which
        drops the rows beyond the last full sub-array (if there is at least one full
        sub-array). Default False: cimjax adds a partial last sub-array instead.
    """

    weight_bits: int = 8
    input_bits: int = 8
    cell_bits: int = 4
    subarray_rows: int = 128
    adc_bits: int = 6
    adc_mode: str = "linear"
    adc_range: str = "dynamic"
    on_off_ratio: float = 10.0
    mapping: str = "dummy"
    level_mapping: str = "neurosim"
    retention_time: float = 1.0
    drift_v: float = 0.0
    drift_mode: str = "target"
    drift_target: float = 0.5
    bit_serial: bool = True
    drop_partial_subarray: bool = False

    def __post_init__(self) -> None:
        _int_in("weight_bits", self.weight_bits, 1, 16)
        _int_in("input_bits", self.input_bits, 1, 16)
        _int_in("cell_bits", self.cell_bits, 1, self.weight_bits)
        if self.weight_bits % self.cell_bits:
            raise ValueError(
                f"ArrayConfig.cell_bits must divide weight_bits={self.weight_bits}; got {self.cell_bits}"
            )
        if isinstance(self.subarray_rows, bool) or not isinstance(self.subarray_rows, int) or self.subarray_rows < 1:
            raise ValueError(f"ArrayConfig.subarray_rows must be an int >= 1; got {self.subarray_rows!r}")
        _int_in("adc_bits", self.adc_bits, 1, 16)
        _choice("adc_mode", self.adc_mode, ADC_MODES)
        _choice("adc_range", self.adc_range, ADC_RANGES)
        if self.adc_mode == "nonlinear" and self.adc_bits not in NONLINEAR_ADC_BITS:
            raise ValueError(
                f"ArrayConfig.adc_bits must be one of {NONLINEAR_ADC_BITS} for adc_mode='nonlinear'; "
                f"got {self.adc_bits} (NeuroSim silently reads other widths without an ADC: "
                "say adc_mode='none' for that)"
            )
        ratio = _real("on_off_ratio", self.on_off_ratio)
        if not ratio > 1.0:
            raise ValueError(f"ArrayConfig.on_off_ratio must be in (1, inf]; got {self.on_off_ratio!r}")
        _choice("mapping", self.mapping, MAPPINGS)
        _choice("level_mapping", self.level_mapping, LEVEL_MAPPINGS)
        t = _real("retention_time", self.retention_time)
        if not 0.0 <= t < math.inf:
            raise ValueError(f"ArrayConfig.retention_time must be in [0, inf) seconds; got {t!r}")
        v = _real("drift_v", self.drift_v)
        if not math.isfinite(v):
            raise ValueError(f"ArrayConfig.drift_v must be finite; got {v!r}")
        if t == 0.0 and v != 0.0:
            raise ValueError("ArrayConfig.retention_time must be > 0 when drift_v != 0 (t0 = 1 s)")
        _choice("drift_mode", self.drift_mode, DRIFT_MODES)
        target = _real("drift_target", self.drift_target)
        if not 0.0 <= target <= 1.0:
            raise ValueError(f"ArrayConfig.drift_target must be in [0, 1]; got {target!r}")
        for name in ("bit_serial", "drop_partial_subarray"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"ArrayConfig.{name} must be a bool; got {getattr(self, name)!r}")

    # ---- derived quantities -----------------------------------------------------------

    @property
    def num_cells(self) -> int:
        """Cells (digits) per weight: ``weight_bits / cell_bits``."""
        return self.weight_bits // self.cell_bits

    @property
    def cell_range(self) -> int:
        """Levels per cell: ``2^cell_bits``."""
        return 2**self.cell_bits

    @property
    def lower(self) -> float:
        """``G_min/G_max = 1/on_off_ratio`` (0 for an infinite ratio)."""
        return 1.0 / self.on_off_ratio

    @property
    def has_drift(self) -> bool:
        """Whether retention changes anything (``v ≠ 0`` and ``t ≠ t0``)."""
        return self.drift_v != 0.0 and self.retention_time != 1.0

    @property
    def conductance_unit(self) -> float:
        """Factor from docs/model.md's conductance units (``upper = 1``) to cimjax's internal ones.

        ``on_off_ratio`` when finite, else 1. Internally a cell with digit ``r`` has
        ``g = (on_off − 1)·r + (cellRange − 1)`` (``= on_off·((1 − lower)·r +
        (cellRange − 1)·lower)``), an integer for an integer on/off ratio, so every ideal
        partial sum is an exact integer and the ADC's floor and bin decisions do not
        depend on float summation order (jit vs eager, CPU vs GPU, ``loop`` modes). With
        a non-integer ratio, real-number ties between partial sums and ADC edges are
        frequent (the partial sums lie on a lattice) and would otherwise be decided by
        round-off. The unit cancels in the recombination coefficients.
        """
        return self.on_off_ratio if math.isfinite(self.on_off_ratio) else 1.0

    @property
    def full_scale(self) -> float:
        """Full-scale partial sum of one column in internal units (``adc_range='full_scale'``).

        ``subarray_rows·G_max`` with ``G_max = (cellRange − 1)·conductance_unit``: the
        column current with every row's input at 1 and every cell at the top digit.
        """
        return float(self.subarray_rows * (self.cell_range - 1)) * self.conductance_unit

    @property
    def partial_sum_bits(self) -> int:
        """Natural precision of one column's digit sum (ideal cells, infinite on/off).

        ``ceil(log2(subarray_rows·(cellRange − 1) + 1))``: the number of ADC levels needed
        to tell every possible digit sum of a full sub-array apart.
        """
        return int(math.ceil(math.log2(self.subarray_rows * (self.cell_range - 1) + 1)))


@dataclasses.dataclass(frozen=True)
class LayerArrays:
    """The analog read settings of a network, as the CIM layers take them
    (:func:`cimjax.nn.models.layer_arrays` builds them from a config).

    Attributes:
      first: :class:`ArrayConfig` of the first layer (float input, no ADC).
      later: :class:`ArrayConfig` of every later layer (bit-serial input, ADC).
      backward: ``'ste'`` or ``'analog'`` for the later layers. The first layer always
        uses ``'ste'``: its activation gradient (w.r.t. the image) is never used, so a
        transposed read there would cost time and change nothing.
      variation_sigma: σ of the static conductance variation of every layer (0: none).
      later_transposed: :class:`ArrayConfig` of the later layers' transposed read
        (``backward = 'analog'``): the same cells read through the transposed-read ADC
        (NeuroSim's ``levelOutputAG``); None = ``later``.
    """

    first: ArrayConfig
    later: ArrayConfig
    backward: str
    variation_sigma: float
    later_transposed: Optional[ArrayConfig] = None
