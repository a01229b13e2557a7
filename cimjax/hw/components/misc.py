"""ReLU, max-pooling, DRAM, register-file buffer and the §5.7 buffer sizing.

Source: docs/model.md §5.6 (NeuroSim V2.0 ``BitShifter.cpp``, ``MaxPooling.cpp``, ``DRAM.cpp``,
``Buffer.cpp`` as summarised there) and §5.7 (``ChipInitialize``); ``docs/neurosim_default_run.md``
"Upstream defect 2". Valid for nodes in [7, 130] nm. Each cost function returns the
:class:`~cimjax.hw.cost.Cost` of one action with area and leakage.

Choices where docs/model.md is silent (cimjax's):

* **Max-pool comparator** = a ripple-carry subtractor (the 9-NAND2 adder of
  :mod:`~cimjax.hw.components.logic` plus one INV per bit on B), whose carry stage costs the
  adder's middle-bit delay and docs/model.md's per-bit energy ``(7C_in + 3C_out)·V_dd²``; the
  "stops half-way" rule scales both by ``numBit/2``. The winner is selected by a NOR2 → INV
  select driving ``numBit`` 2:1 TG muxes (2 TGs per bit) into the next stage's two NAND2 inputs
  per bit; the select nodes charge once and half the data bits toggle per comparison.
* **Register-file buffer.** A line is ``interface_width`` DFFs; its word line is one output of
  a ``core_rows`` decoder, loaded by one minimum-INV input per DFF of the line (energy, area,
  leakage: :func:`~cimjax.hw.components.routing.decoder`). Its *latency* is NeuroSim's
  (``Buffer.cpp`` + ``RowDecoder.cpp``, ``REGULAR_ROW``), :func:`wordline_decoder_latency`:
  the word line is the line's wire, ``12·w_INV·interface_width × 0.2 fF/µm``, driven by two
  3×-minimum INVs (V2.0 default: 2.116 / 0.960 / 0.866 ns per line for the 128-line global
  core and the 32- and 16-line tile cores; NeuroSim 2.143 / 0.970 / 0.872 ns).
* **Buffer sizing without overhead** (``overhead = 0``): NeuroSim's doubling loop never ends;
  here no doubling is applied.

Not covered here: the SRAM buffer variant, the sigmoid look-up table
(:mod:`cimjax.hw.components.sigmoid`), the MLSA encoder, the weight-gradient unit (docs/model.md §5.6).
"""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple, Union

import jax
import jax.numpy as jnp

from cimjax.hw import relax, tech
from cimjax.hw.components import gates, logic, routing
from cimjax.hw.components.params import CircuitParams, ComponentConfig, as_float, circuit_technology
from cimjax.hw.cost import Cost

Array = jax.Array
ArrayLike = Union[jax.Array, float, int]

#: DRAM kinds → (bandwidth in bit/s, energy per bit in J), docs/model.md §5.6.
DRAM_TYPES = {"hbm2": (15.2e12, 3.9e-12), "gddr5": (4.288e12, 14e-12)}


class ReluParams(NamedTuple):
    """ReLU units ("BitShifter"s) (traced).

    Attributes:
      circuit: :class:`~cimjax.hw.components.params.CircuitParams`.
      num_bits: bits per activation.
      num_units: units working in parallel (``numUnit``).
      activity: DFF data activity, in [0, 1].
    """

    circuit: CircuitParams = CircuitParams()
    num_bits: ArrayLike = 8.0
    num_units: ArrayLike = 1.0
    activity: ArrayLike = 1.0


def relu(params: ReluParams, config: ComponentConfig = ComponentConfig()) -> Cost:
    """ReLU "BitShifter" units, one operation (docs/model.md §5.6): ``numUnit·numBit`` DFFs.

    Latency = one DFF operation (the caller multiplies latency and energy by the reads).

    Args:
      params: :class:`ReluParams` (scalars).
      config: :class:`~cimjax.hw.components.params.ComponentConfig` (static).

    Returns:
      The :class:`~cimjax.hw.cost.Cost` of one operation of all units.
    """
    num_dff = as_float(params.num_units) * as_float(params.num_bits)
    return logic.dff(logic.DffParams(params.circuit, num_dff, params.activity), config)


class MaxPoolParams(NamedTuple):
    """Max-pooling units (traced).

    Attributes:
      circuit: :class:`~cimjax.hw.components.params.CircuitParams`.
      num_bits: bits per value.
      num_units: units working in parallel.
      window: values per window (4 for 2×2).
    """

    circuit: CircuitParams = CircuitParams()
    num_bits: ArrayLike = 8.0
    num_units: ArrayLike = 1.0
    window: ArrayLike = 4.0


def max_pool(params: MaxPoolParams, config: ComponentConfig = ComponentConfig()) -> Cost:
    """Max-pooling units, one window each (docs/model.md §5.6 "Max-pooling").

    A comparator tree per unit: ``window − 1`` comparators in ``⌈log2 window⌉`` stages (2×2:
    3 in 2). Latency per stage: comparator ``× numBit/2`` plus the NOR/INV/TG select; energy
    per comparator likewise (module docstring).

    Args:
      params: :class:`MaxPoolParams` (scalars).
      config: :class:`~cimjax.hw.components.params.ComponentConfig` (static).

    Returns:
      The :class:`~cimjax.hw.cost.Cost` of one pooling on all units.
    """
    t = circuit_technology(params.circuit, config)
    mode = config.mode
    nand2 = gates.gate(t, "nand", 2, mode=mode)
    inv, tg = gates.gate(t, "inv", mode=mode), gates.gate(t, "tg", mode=mode)
    nor2 = gates.gate(t, "nor", 2, mode=mode)
    bits, units, window = (as_float(x) for x in (params.num_bits, params.num_units, params.window))
    comparators = (window - 1.0) * units
    stages = jnp.maximum(config.log2ceil(window), 0.0)
    _, t_bit, _ = logic.adder_stage_delays(nand2)
    c_sel = inv.c_out + 2.0 * bits * tg.c_in
    c_data = 2.0 * tg.c_out + 2.0 * nand2.c_in
    t_select, _ = gates.horowitz_chain(
        [(nor2.r_drive, nor2.c_out + inv.c_in), (inv.r_drive, c_sel), (tg.r_drive, c_data)]
    )
    e_bit = (7.0 * nand2.c_in + 3.0 * nand2.c_out) * t.vdd**2
    e_select = (nor2.c_out + inv.c_in + c_sel + 0.5 * bits * c_data) * t.vdd**2
    nands = logic.NAND2_PER_ADDER_BIT
    area_one = bits * (nands * nand2.area + inv.area + 2.0 * tg.area) + nor2.area + inv.area
    leak_one = bits * (nands * nand2.leakage + inv.leakage) + nor2.leakage + inv.leakage
    return Cost(
        area=comparators * area_one,
        energy=comparators * (0.5 * bits * e_bit + e_select),
        latency=stages * (0.5 * bits * t_bit + t_select),
        leakage=comparators * leak_one,
    )


class DramParams(NamedTuple):
    """Off-chip DRAM traffic (traced). Attributes: ``num_bits``, bits transferred."""

    num_bits: ArrayLike = 1.0


@jax.tree_util.register_static
@dataclasses.dataclass(frozen=True, kw_only=True)
class DramConfig(ComponentConfig):
    """Static DRAM choice: ``kind`` ``"hbm2"`` (V2.0 default, ``dramType = 2``) or ``"gddr5"``."""

    kind: str = "hbm2"

    def __post_init__(self):
        super().__post_init__()
        self._check_choice("kind", tuple(DRAM_TYPES))


def dram(params: DramParams, config: DramConfig = DramConfig()) -> Cost:
    """DRAM transfer of ``num_bits`` bits (docs/model.md §5.6): ``latency = bits/bandwidth``,
    ``energy = bits·E_bit`` (HBM2 15.2e12 bit/s, 3.9 pJ/bit; GDDR5 4.288e12 bit/s, 14 pJ/bit).
    Off chip: no area, no leakage.

    Args:
      params: :class:`DramParams` (scalars or any shape).
      config: :class:`DramConfig` (static).

    Returns:
      The :class:`~cimjax.hw.cost.Cost` of the transfer.
    """
    bandwidth, energy_per_bit = DRAM_TYPES[config.kind]
    bits = as_float(params.num_bits)
    zero = jnp.zeros_like(bits)
    return Cost(zero, bits * energy_per_bit, bits / bandwidth, zero)


class BufferParams(NamedTuple):
    """A register-file buffer (global: cores of 128×128 bits; tile: 32×32) (traced).

    Attributes:
      circuit: :class:`~cimjax.hw.components.params.CircuitParams`.
      num_bits: bits read or written by the action.
      num_cores: buffer cores (``numBufferCore``).
      interface_width: bits per line access.
      bus_width: bus wires feeding the buffer.
      bus_share: latency factor ``⌈totalTiles/tilesOfLayer⌉`` of the global buffer (1 otherwise).
      activity: DFF data activity, in [0, 1].
      core_bits: bits of one core when it is smaller than the config's ``core_rows·core_cols``
        (NeuroSim sizes a tile buffer that needs less than one core to what it needs, e.g. the
        conventional tile's 544-bit output buffer); 0 = ``core_rows·core_cols``. Its lines
        (``core_rows`` of the config, the decoder's outputs) stay static.
    """

    circuit: CircuitParams = CircuitParams()
    num_bits: ArrayLike = 16384.0
    num_cores: ArrayLike = 1.0
    interface_width: ArrayLike = 128.0
    bus_width: ArrayLike = 128.0
    bus_share: ArrayLike = 1.0
    activity: ArrayLike = 1.0
    core_bits: ArrayLike = 0.0


@jax.tree_util.register_static
@dataclasses.dataclass(frozen=True, kw_only=True)
class BufferConfig(ComponentConfig):
    """Static core shape of :func:`register_file_buffer`: ``core_rows`` lines of ``core_cols``
    bits, ints in [2, 2^16] (global 128×128, tile 32×32)."""

    core_rows: int = 128
    core_cols: int = 128

    def __post_init__(self):
        super().__post_init__()
        self._check_int("core_rows", 2, 2**16)
        self._check_int("core_cols", 1, 2**16)


def core_shape(core, name: str = "core") -> tuple[int, int]:
    """A register-file buffer core as ``(rows, cols)`` ints: NeuroSim's ``*BufferCoreSizeRow`` /
    ``*BufferCoreSizeCol`` (``Param.cpp``; a core of ``Row·Col`` bits read ``Col`` bits a line,
    ``Buffer::Initialize(Row·Col, Col, …)`` in ``Chip.cpp`` / ``Tile.cpp``). An int ``n`` is the
    square core ``(n, n)``. Valid: rows in [2, 65536] (the line decoder needs two lines), cols in
    [1, 65536] (:class:`BufferConfig`).

    Raises:
      ValueError: not an int or a pair of ints in those ranges (the message names ``name``).
    """
    shape = (core, core) if isinstance(core, int) and not isinstance(core, bool) else core
    ok = (isinstance(shape, (tuple, list)) and len(shape) == 2
          and all(isinstance(x, int) and not isinstance(x, bool) for x in shape))
    if not ok or not (2 <= shape[0] <= 2**16 and 1 <= shape[1] <= 2**16):
        raise ValueError(f"{name} = {core!r}: expected an int or (rows, cols) ints, rows in [2, 65536], "
                         "cols in [1, 65536]")
    return int(shape[0]), int(shape[1])


#: Word-line wire capacitance NeuroSim's DFF buffer charges per metre of line (0.2 fF/µm).
BUFFER_WIRE_CAP_PER_M = 0.2e-15 / 1e-6
#: Output driver INVs of NeuroSim's regular row decoder, × minimum size.
DECODER_DRIVER_SIZE = 3.0


def wordline_decoder_latency(t, num_lines: int, load: ArrayLike, mode: str = "exact") -> Array:
    """One decode of NeuroSim's ``REGULAR_ROW`` row decoder (``RowDecoder.cpp``), s.

    ``a = ⌈log2 num_lines⌉`` address bits, 2-bit predecoding: a minimum INV drives two NAND2
    inputs; the NAND2 (pull-down ``2·R_n`` of its ``2·W_min`` NMOS) drives ``2^a/4`` NOR
    inputs; the ``⌈a/2⌉``-input NOR (pull-up ``2·R_p`` of its ``⌈a/2⌉·W_p,min`` PMOS) drives
    a minimum INV input; then two 3×-minimum output INVs, the second driving ``load``. Stages
    are Horowitz delays in series from a step. With ``a ≤ 2`` there is no NOR stage, and with
    ``a = 1`` no NAND stage; the last predecode gate then drives the output driver directly.

    Args:
      t: technology.
      num_lines: decoder outputs (static int ≥ 2).
      load: capacitance on the selected output, F.
      mode: relax mode (static).

    Returns:
      The decode latency.
    """
    a = max(1, math.ceil(math.log2(num_lines)))
    inv = gates.gate(t, "inv", mode=mode)
    nand = gates.gate(t, "nand", 2, mode=mode)
    drv = gates.gate(t, "inv", size=DECODER_DRIVER_SIZE, mode=mode)

    def r_n(g):
        return tech.on_resistance(t, g.w_n, "n", mode)

    def r_p(g):
        return tech.on_resistance(t, g.w_p, "p", mode)

    has_nand, has_nor = a >= 2, a > 2
    stages = [(r_n(inv), inv.c_out + (2.0 * nand.c_in if has_nand else drv.c_in))]
    if has_nand:
        k = math.ceil(a / 2)
        nor = gates.gate(t, "nor", k, mode=mode) if has_nor else None
        stages.append((2.0 * r_n(nand), nand.c_out + ((2**a / 4.0) * nor.c_in if has_nor else drv.c_in)))
        if has_nor:
            stages.append((2.0 * r_p(nor), nor.c_out + inv.c_in))
    stages += [(r_n(drv), drv.c_out + drv.c_in), (r_p(drv), drv.c_out + as_float(load))]
    return gates.horowitz_chain(stages)[0]


def register_file_buffer(params: BufferParams, config: BufferConfig = BufferConfig()) -> Cost:
    """A register-file buffer moving ``num_bits`` bits (docs/model.md §5.6 "Buffer", default variant).

    ``n = ⌈num_bits/interface_width⌉`` line accesses, each a word-line decode
    (:func:`wordline_decoder_latency` on the line's wire) plus half a clock; latency
    ``n·t_line/min(numCore, ⌈busWidth/interface_width⌉)·bus_share``; energy
    ``n·(E_decode + E_DFF line)``; area and leakage of ``numCore`` cores of DFFs (12 minimum INVs
    per bit) and decoders; a core holds ``core_bits`` when given (:class:`BufferParams`).

    Args:
      params: :class:`BufferParams` (scalars).
      config: :class:`BufferConfig` (static).

    Returns:
      The :class:`~cimjax.hw.cost.Cost` of the read (or write).
    """
    t = circuit_technology(params.circuit, config)
    width = as_float(params.interface_width)
    inv = gates.gate(t, "inv", mode=config.mode)
    dec_config = config.sub(routing.DecoderConfig, num_outputs=config.core_rows)
    dec = routing.decoder(routing.DecoderParams(params.circuit, width * inv.c_in), dec_config)
    unit = logic.dff_unit(t, config.mode)
    line = logic.dff_bank(unit, params.circuit.clock_hz, width, params.activity)
    lines = config.ceil(as_float(params.num_bits) / width)
    wire = unit.area / inv.height * width * BUFFER_WIRE_CAP_PER_M  # 12·w_INV per DFF of the line
    t_decode = wordline_decoder_latency(t, config.core_rows, wire, config.mode)
    cores = as_float(params.num_cores)
    parallel = jnp.minimum(cores, config.ceil(as_float(params.bus_width) / width))
    given = as_float(params.core_bits)
    core_bits = jnp.where(given > 0, given, float(config.core_rows * config.core_cols))
    return Cost(
        area=cores * (core_bits * unit.area + dec.area),
        energy=lines * (dec.energy + line.energy),
        latency=lines * (t_decode + line.latency) / parallel * as_float(params.bus_share),
        leakage=cores * (core_bits * unit.leakage + dec.leakage),
    )


class BufferSizingParams(NamedTuple):
    """Inputs of the §5.7 global-buffer sizing (traced; defaults: VGG-8, V2.0).

    Attributes:
      num_bit_input: activation bits (``numBitInput`` = 8).
      max_input_size: ``max_l IFM_rows·IFM_cols·C_in`` (VGG-8: 32·32·128 = 131072).
      num_col_per_synapse: cells per weight (1).
      out_precision: weight-gradient unit output bits (``outPrecision`` = 15).
      batch_size: ``batchSize`` (200).
      synapse_bits: ``synapseBit`` (5).
      wg_rows / wg_cols: weight-gradient array size (128 × 128).
      overhead_constraint: ``bufferOverHeadConstraint`` (1).
      core_rows / core_cols: global buffer core (128 × 128 bits).
    """

    num_bit_input: ArrayLike = 8.0
    max_input_size: ArrayLike = 131072.0
    num_col_per_synapse: ArrayLike = 1.0
    out_precision: ArrayLike = 15.0
    batch_size: ArrayLike = 200.0
    synapse_bits: ArrayLike = 5.0
    wg_rows: ArrayLike = 128.0
    wg_cols: ArrayLike = 128.0
    overhead_constraint: ArrayLike = 1.0
    core_rows: ArrayLike = 128.0
    core_cols: ArrayLike = 128.0


class BufferSizing(NamedTuple):
    """The §5.7 result: ``buffer_bits``, ``overhead_bits`` (after doubling),
    ``num_array_write_parallel``, ``total_bits``, ``num_cores`` and the number of ``doublings``."""

    buffer_bits: Array
    overhead_bits: Array
    num_array_write_parallel: Array
    total_bits: Array
    num_cores: Array
    doublings: Array


@jax.tree_util.register_static
@dataclasses.dataclass(frozen=True, kw_only=True)
class BufferSizingConfig(ComponentConfig):
    """Static options of :func:`buffer_sizing`.

    ``version.wg_out_precision_unset`` (True, as released) reproduces "Upstream defect 2":
    ``ChipInitialize`` reads ``outPrecision`` before it is set, as 0 (VGG-8: overhead 131072 →
    1048576 bits, numArrayWriteParallel 1 → 8, 128 cores). False uses ``params.out_precision``
    as docs/model.md §5.7 intends (376832 → 1507328 bits, 4 → 16, 156 cores).
    """


def buffer_sizing(
    params: BufferSizingParams, config: BufferSizingConfig = BufferSizingConfig()
) -> BufferSizing:
    """Global-buffer size and weight-update parallelism (docs/model.md §5.7, ``ChipInitialize``).

    ``bufferSize = numBitInput·maxInput``; ``overhead = wgRows·wgCols·numColPerSynapse·
    (outPrecision + ⌈log2 batch⌉)``; ``numArrayWriteParallel = ⌊overhead/(wgRows·wgCols·
    synapseBit)⌋``; both doubled while ``bufferSize + overhead < bufferSize·(constraint + 1)``,
    i.e. ``m = max(0, ⌈log2(bufferSize·constraint/overhead)⌉)`` times; cores
    ``⌈(bufferSize + overhead)/(coreRows·coreCols)⌉``.

    Args:
      params: :class:`BufferSizingParams`.
      config: :class:`BufferSizingConfig` (static).

    Returns:
      The :class:`BufferSizing`.
    """
    p = params._replace(out_precision=0.0) if config.version.wg_out_precision_unset else params
    p = type(p)(*(as_float(x) for x in p))
    array_bits = p.wg_rows * p.wg_cols
    buffer_bits = p.num_bit_input * p.max_input_size
    overhead0 = array_bits * p.num_col_per_synapse * (p.out_precision + config.log2ceil(p.batch_size))
    parallel0 = config.floor(overhead0 / (array_bits * p.synapse_bits))
    has_overhead = overhead0 > 0
    ratio = buffer_bits * p.overhead_constraint / jnp.where(has_overhead, overhead0, 1.0)
    ratio = jnp.where(has_overhead, ratio, 1.0)
    doublings = jnp.maximum(config.log2ceil(jnp.maximum(ratio, 1e-30)), 0.0)
    scale = relax.pow2(doublings)  # exact at integer doublings, also in float64
    overhead = overhead0 * scale
    total = buffer_bits + overhead
    return BufferSizing(
        buffer_bits=buffer_bits,
        overhead_bits=overhead,
        num_array_write_parallel=parallel0 * scale,
        total_bits=total,
        num_cores=config.ceil(total / (p.core_rows * p.core_cols)),
        doublings=doublings,
    )
