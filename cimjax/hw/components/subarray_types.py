"""Types of the memory sub-array model (:mod:`cimjax.hw.components.subarray`): its traced params,
static config and results, shared by the eNVM (:mod:`~cimjax.hw.components.subarray_envm`,
:mod:`~cimjax.hw.components.subarray_write`) and SRAM (:mod:`~cimjax.hw.components.subarray_sram`)
cell models. Defaults: NeuroSim V2.0 ``Param.cpp`` (docs/model.md §5.3).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple, Union

import jax

from cimjax.hw.components.params import CircuitParams, ComponentConfig
from cimjax.hw.components.sram import SramCellParams

Array = jax.Array
ArrayLike = Union[jax.Array, float, int]

CELLS = ("rram", "fefet", "sram")
#: The eNVM cell's access device: NeuroSim's ``accesstype`` 1 (CMOS, the 1T1R cell) and 4 (none:
#: a cross-point array). V2.0 has no BJT or diode model of its own (``accesstype`` 2 and 3 take
#: the cross-point branches of ``SubArray.cpp``, "anything else except CMOS_access").
ACCESS_TYPES = ("cmos", "none")
#: NeuroSim's conventional read modes (``operationmode`` 2 / 1).
READ_MODES = ("parallel", "sequential")
COLUMN_ACTIVITY_AG = 0.5  #: NeuroSim's hard-coded transposed-read column activity.
SENSE_SWING = 0.2  #: Fraction of τ taken as enough to sense (15–20 % swing), docs/model.md §5.4.


class SubArrayParams(NamedTuple):
    """Traced parameters of one sub-array (defaults: NeuroSim V2.0, docs/model.md §5.3).

    Attributes: ``circuit``; ``rows``/``cols`` (128); ``columns_per_adc`` (``numColMuxed`` 8);
    ``adc_levels`` (``levelOutput`` 64); ``rows_per_adc_ag`` / ``adc_levels_ag`` (AG, 8 / 64);
    ``num_bit_input`` (``numReadPulse`` 8); ``num_read_pulse_bp`` (8); ``r_on``/``r_off`` (Ω);
    ``read_voltage``, ``read_pulse_width``, ``access_voltage``; ``write_voltage`` per polarity
    (the cell sees ``sqrt(V_LTP² + V_LTD²) = √2·V``); ``write_pulse_width``; ``max_levels``
    (``maxNumLevelLTP/LTD``); ``cell_height_f``/``cell_width_f`` (1T1R 4F × 4F);
    ``access_resistance`` (``resistanceAccess`` 15 kΩ, used only in the column resistance);
    ``gate_cap_fefet`` (F, FeFET write lines); ``fefet_polarization`` (µC/cm², V2.1's
    ``polarization`` 20: the FeFET polarisation write energy, read only under
    ``version.fefet_polarization_write``); ``cell_bits`` (``cellBit`` after ``main.cpp``
    lowers it to the weight bits, 5; read only by the sequential read, whose sense amplifiers
    have ``2^cell_bits`` levels); ``synapse_bits`` (weight bits, ``synapseBit`` 5; read only by
    the sequential SRAM read, whose one-bit cells hold a weight in ``synapse_bits`` columns); ``cells_per_weight`` (``numColPerSynapse``
    = ``numCellPerSynapse``, 1; read only under V2.1's ``shift_adder_cell_bits``); ``sram_cell``
    (:class:`~cimjax.hw.components.sram.SramCellParams`, the 6T cell of an SRAM sub-array,
    ``Param.cpp`` ``heightInFeatureSizeSRAM`` ... ``minSenseVoltage``; read only with
    ``SubArrayConfig.cell = "sram"``); ``crossbar_cell_height_f`` / ``crossbar_cell_width_f``
    (``heightInFeatureSizeCrossbar`` / ``widthInFeatureSizeCrossbar``, 2 each, in units of
    ``cell_feature_size``), ``cell_feature_size`` (m, ``Param.cpp`` ``featuresize``
    40e-9) and ``nonlinearity`` (``nonlinearity`` 10, the cell's current ratio at ``V_w`` and
    ``V_w/2``): read only with ``SubArrayConfig.access = "none"`` (a cross-point array, which
    takes the crossbar cell in place of ``cell_height_f`` / ``cell_width_f``;
    :func:`~cimjax.hw.components.subarray_geometry.cell_size_f`), ``nonlinearity`` only with
    ``SubArrayConfig.nonlinear_iv``.
    """

    circuit: CircuitParams = CircuitParams()
    rows: ArrayLike = 128.0
    cols: ArrayLike = 128.0
    columns_per_adc: ArrayLike = 8.0
    adc_levels: ArrayLike = 64.0
    rows_per_adc_ag: ArrayLike = 8.0
    adc_levels_ag: ArrayLike = 64.0
    num_bit_input: ArrayLike = 8.0
    num_read_pulse_bp: ArrayLike = 8.0
    r_on: ArrayLike = 100e3
    r_off: ArrayLike = 1e6
    read_voltage: ArrayLike = 0.5
    read_pulse_width: ArrayLike = 10e-9
    access_voltage: ArrayLike = 1.1
    write_voltage: ArrayLike = 4.0
    write_pulse_width: ArrayLike = 50e-9
    max_levels: ArrayLike = 32.0
    cell_height_f: ArrayLike = 4.0
    cell_width_f: ArrayLike = 4.0
    access_resistance: ArrayLike = 15e3
    gate_cap_fefet: ArrayLike = 2.1717e-18
    fefet_polarization: ArrayLike = 20.0
    cell_bits: ArrayLike = 5.0
    synapse_bits: ArrayLike = 5.0
    cells_per_weight: ArrayLike = 1.0
    sram_cell: SramCellParams = SramCellParams()
    crossbar_cell_height_f: ArrayLike = 2.0
    crossbar_cell_width_f: ArrayLike = 2.0
    cell_feature_size: ArrayLike = 40e-9
    nonlinearity: ArrayLike = 10.0


@jax.tree_util.register_static
@dataclasses.dataclass(frozen=True, kw_only=True)
class SubArrayConfig(ComponentConfig):
    """Static structure of a sub-array.

    Attributes:
      cell: ``"rram"`` (1T1R eNVM), ``"fefet"`` (both :mod:`~cimjax.hw.components.subarray_envm`)
        or ``"sram"`` (the transposable SRAM sub-array of :mod:`~cimjax.hw.components.subarray_sram`).
      parallel_bp: transposed (AG) read periphery for training.
      ag_row_by_row: with ``parallel_bp`` and the parallel read of an eNVM sub-array, read the
        transposed direction row by row as NeuroSim does with ``Param.cpp`` ``parallelBP =
        false`` (``SubArray.cpp`` ``conventionalParallel``, ``!parallelBP`` branches): the AG
        chain of :mod:`~cimjax.hw.components.subarray_sequential` (MLSAs of ``2^cellBit`` levels,
        adder and DFF per ADC) next to the parallel forward read. Not for SRAM cells.
      num_col_muxed / num_row_muxed_ag: static copies of ``columns_per_adc`` /
        ``rows_per_adc_ag`` sizing the mux decoders (ints in [1, 2^16]; 1 = no mux).
      mlsa_max_levels: static bound on the ADC levels (:class:`~.mlsa.MlsaConfig`).
      read_mode: ``"parallel"`` (NeuroSim's ``conventionalParallel``) or ``"sequential"``
        (``conventionalSequential``: :mod:`~cimjax.hw.components.subarray_sequential` for eNVM,
        :mod:`~cimjax.hw.components.subarray_sram_sequential` for SRAM).
      decoder_rows / decoder_cols: static row / column counts sizing the sequential read's
        decoders (keep equal to the traced ``rows`` / ``cols``; the parallel read ignores them).
      version: the NeuroSim code (:mod:`cimjax.hw.neurosim_version`): the quirk flags and the
        "March 2020 code" flags of :mod:`~cimjax.hw.components.subarray_envm`.
      relax_cell_height / relax_cell_width: NeuroSim's ``relaxArrayCellHeight`` /
        ``relaxArrayCellWidth`` (``SubArray.cpp`` ``Initialize``): the array is laid out with cells
        at least as tall / wide as the peripheral circuits' pitch needs
        (:func:`~cimjax.hw.components.subarray_geometry.layout_cell_size`).
      access: the eNVM cell's access device (:data:`ACCESS_TYPES`): ``"cmos"`` (the 1T1R cell,
        NeuroSim's ``accesstype = 1``) or ``"none"`` (a cross-point array, ``accesstype = 4``:
        no access transistor, cells of ``featuresize``, a classic WL switch matrix, V/2 write
        biasing; :mod:`~cimjax.hw.components.subarray_geometry`,
        :mod:`~cimjax.hw.components.subarray_write`). ``"none"`` needs an RRAM cell and the
        parallel read (NeuroSim's sequential cross-point read drives its rows with a
        ``DecoderDriver``, not modelled); an SRAM sub-array ignores it, as NeuroSim does.
      nonlinear_iv: NeuroSim's ``nonlinearIV`` (cross-point only): the half-selected cells of a
        write see ``R(V_w/2)`` of the nonlinear I–V (``formula.cpp`` ``NonlinearResistance``).
    """

    cell: str = "rram"
    parallel_bp: bool = True
    ag_row_by_row: bool = False
    num_col_muxed: int = 8
    num_row_muxed_ag: int = 8
    mlsa_max_levels: int = 256
    read_mode: str = "parallel"
    decoder_rows: int = 128
    decoder_cols: int = 128
    relax_cell_height: bool = False
    relax_cell_width: bool = False
    access: str = "cmos"
    nonlinear_iv: bool = False

    def __post_init__(self):
        super().__post_init__()
        self._check_choice("cell", CELLS)
        self._check_bool("parallel_bp")
        self._check_bool("ag_row_by_row")
        if self.ag_row_by_row and self.cell == "sram":
            raise ValueError("SubArrayConfig.ag_row_by_row = True: expected False with cell = 'sram' (not modelled)")
        self._check_int("num_col_muxed", 1, 2**16)
        self._check_int("num_row_muxed_ag", 1, 2**16)
        self._check_int("mlsa_max_levels", 2, 4096)
        self._check_choice("read_mode", READ_MODES)
        self._check_int("decoder_rows", 2, 2**16)
        self._check_int("decoder_cols", 2, 2**16)
        self._check_bool("relax_cell_height")
        self._check_bool("relax_cell_width")
        self._check_choice("access", ACCESS_TYPES)
        self._check_bool("nonlinear_iv")
        if self.access == "none" and self.cell == "fefet":
            raise ValueError("SubArrayConfig.access = 'none': expected 'cmos' with cell = 'fefet' (a cross-point "
                             "FeFET array is not modelled)")
        if self.access == "none" and self.cell != "sram" and self.read_mode == "sequential":
            raise ValueError("SubArrayConfig.access = 'none': expected 'cmos' with read_mode = 'sequential' (the "
                             "cross-point sequential read's DecoderDriver is not modelled)")


class SubArrayArea(NamedTuple):
    """Area of one sub-array (m²; ``height``/``width`` in m) by NeuroSim bucket, and its leakage (W).

    ``total = adc + accumulation + array + other`` is NeuroSim's ``usedArea``, the figure its PE
    area sums. ``height``/``width`` are the layout bounding box (the MLSAs stretched along the
    array edge make it far larger than ``total``: about 1.28 mm × 1.18 mm at the V2.0 default);
    NeuroSim uses them only to size the PE buses.
    """

    total: Array
    height: Array
    width: Array
    adc: Array
    accumulation: Array
    array: Array
    other: Array
    leakage: Array


class ReadCost(NamedTuple):
    """One read (one input bit-vector through the sub-array), s and J; buckets sum to the totals."""

    latency: Array
    energy: Array
    adc_latency: Array
    adc_energy: Array
    accumulation_latency: Array
    accumulation_energy: Array
    array_latency: Array
    array_energy: Array
    other_latency: Array
    other_energy: Array


class SubArrayRead(NamedTuple):
    """Forward read and transposed (AG) read (zeros when not ``parallel_bp``)."""

    fw: ReadCost
    ag: ReadCost
