"""The chip estimate: PE → tile → chip roll-up per phase, per epoch (spec §5.1, §5.7, §5.8).

Source: NeuroSim V2.0 ``Chip.cpp`` (``ChipInitialize``, ``ChipCalculateArea``,
``ChipCalculatePerformance``) and ``main.cpp`` (chip totals, leakage, TOPS), read for their
structure only; cimjax's own vectorised re-derivation. The sub-array → PE → tile part is
:mod:`cimjax.hw.tile`; the sub-array, weight-gradient unit and peripherals are
:mod:`cimjax.hw.components`; the floorplan is :mod:`cimjax.hw.floorplan`.

``estimate(params, config, trace)`` returns every figure NeuroSim prints, **per epoch**
(``batch_size × num_iterations`` images), as arrays; it is pure, jittable, vmappable over a
batch of :class:`ChipParams` and differentiable in the ``"relaxed"``/``"ste"`` modes.

Per layer ``l`` and image (then × batch, and everything × iterations), as released:

* FW = max over tiles of the tile FW + chip ReLU + global accumulation (if the layer spans
  several tile rows) + max-pool (if pooled) **[peak FW stops here]** + 2 × global buffer
  (read ``R·8·windows`` bits (NM: ÷K) and write ``C_out·8·windows`` (÷4 if pooled)) + the
  global H-tree + 2 × DRAM of ``IFM_h·IFM_w·8`` bits (the channel count is not included).
* AG = max tile AG + global accumulation **[peak AG]** + 2 × global buffer + H-tree + 2 × DRAM.
* WG = 2 × global buffer + 2 × DRAM + the WG unit **[peak WG: the unit + gradient
  accumulation]** + 2 × (DRAM + global buffer) of the weight-gradient spill
  (``C_in·K·K·C_out·outPrecision`` bits) + gradient accumulation.
* WU (not × batch) = Σ tiles of the tile WU (sub-array writes summed, plus the delta-weight
  transfer; peak without it) ÷ ``numArrayWriteParallel``.
* Leakage energy = Σ_l (tiles of the other layers)·tileLeakage_l·(T_FW,l + T_AG,l); leakage
  power = Σ_l tiles_l·tileLeakage_l. TOPS/W divides ``numComputation`` by the dynamic energy
  plus leakage; peak figures use peak energies/latencies without leakage.

Decisions where spec and source differ, or the source has a defect (config flags default to
the released behaviour so the golden test reproduces NeuroSim's numbers):

* ``version.wg_out_precision_unset`` (defect 2): ``ChipInitialize`` sizes the WG buffer overhead
  from ``outPrecision`` before it is set (reads 0): numArrayWriteParallel = 8 and 128 global
  buffer cores instead of spec §5.7's 16 and 156. True (default) reproduces it; False is the
  intended model. The gradient accumulator is sized after the WG unit is initialised in
  both (23-bit adders, ``numArrayWriteParallel·128·128`` of them).
* The global buffer latency of the FW/AG/WG traffic is divided by
  ``min(cores, ⌈busWidth/128⌉)`` and multiplied by ``⌈totalTiles/tiles_l⌉``; the spill traffic
  only divided (as released).
* Buffer and interconnect breakdown counters count the tile/PE traffic twice in training and
  the global buffer six times (+2 spill), and are × batch including the WU transfer (as
  released).
* The global H-tree's stage count is static: it uses ``ChipConfig.tile_grid`` (computed from
  the floorplan at the config's reference sub-array size); its lengths follow the traced tile
  size.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple, Optional, Union

import jax
import jax.numpy as jnp

from cimjax import host_eval
from cimjax.hw import relax, tile as tile_mod
from cimjax.hw.components import misc
from cimjax.hw.components.params import CircuitParams, ComponentConfig, as_float, with_technology_scope
from cimjax.hw.floorplan import Floorplan, FloorplanConfig, FloorplanParams, floorplan
from cimjax.hw.network import LayerShape
from cimjax.hw.neurosim_version import CURRENT, NeuroSimVersion, as_version

Array = jax.Array
ArrayLike = Union[jax.Array, float, int]

CELLS = ("rram", "fefet", "sram")
BUFFER_KINDS = ("register_file", "sram")


# ----------------------------------------------------------------------------- API types


@functools.lru_cache(maxsize=64)
def _static_grid(layers: tuple, novel_mapping: bool, reference: tuple) -> tuple[tuple[int, int], int]:
    """The chip's tile grid and a CM tile's PEs per side at the reference sub-array (concrete
    values, evaluated on the host: no XLA compile; remembered per network and reference)."""
    rows, cols, cell_bits, syn = (float(x) for x in reference)
    fp_config = FloorplanConfig(layers, novel_mapping)
    fp = host_eval.call(lambda p: floorplan(p, fp_config), FloorplanParams(rows, cols, syn, cell_bits))
    return (int(fp.tile_rows), int(fp.tile_cols)), int(round(float(fp.tile_size_cm / fp.pe_size_cm)))


class ChipParams(NamedTuple):
    """Traced parameters of the chip (defaults: :func:`default_params`, NeuroSim V2.0 §5.3).

    ``circuit`` is shared: it replaces the ``circuit`` of ``subarray`` and ``wg``. The
    floorplan's sub-array size, columns per ADC and synapse bits are taken from
    ``subarray``/``synapse_bits`` (the copies in ``floorplan`` are ignored); its ``cell_bits``
    (forced to 1 with ``ChipConfig.cell = "sram"``, as NeuroSim) and ``max_global_bus_width``
    are used.

    Attributes:
      circuit: :class:`~cimjax.hw.components.params.CircuitParams`.
      subarray: :class:`~cimjax.hw.components.subarray.SubArrayParams`.
      wg: :class:`~cimjax.hw.components.wg_unit.WeightGradientParams`.
      floorplan: :class:`~cimjax.hw.floorplan.FloorplanParams`.
      batch_size: images per iteration (``batchSize`` = 200).
      num_iterations: iterations per epoch (``numIteration`` = 250).
      num_bit_input: activation bits (``numBitInput`` = 8).
      synapse_bits: weight bits (``synapseBit`` = 5).
      global_delay_tolerance / local_delay_tolerance: bus delay tolerances (0.1).
      buffer_overhead_constraint: ``bufferOverHeadConstraint`` (1).
    """

    circuit: CircuitParams
    subarray: "object"
    wg: "object"
    floorplan: FloorplanParams
    batch_size: ArrayLike = 200.0
    num_iterations: ArrayLike = 250.0
    num_bit_input: ArrayLike = 8.0
    synapse_bits: ArrayLike = 5.0
    global_delay_tolerance: ArrayLike = 0.1
    local_delay_tolerance: ArrayLike = 0.1
    buffer_overhead_constraint: ArrayLike = 1.0


@jax.tree_util.register_static
@dataclasses.dataclass(frozen=True)
class ChipConfig:
    """Static structure of the chip (a hashable pytree with no leaves).

    Attributes:
      layers: the layer table (:func:`cimjax.hw.network.network_layers`).
      cell: ``"rram"`` (1T1R), ``"fefet"`` or ``"sram"``.
      roadmap: ``"LSTP"`` (V2.0) or ``"HP"``.
      mode: ``"exact"``, ``"relaxed"`` or ``"ste"`` (:mod:`cimjax.hw.relax`).
      novel_mapping: NeuroSim's ``novelMapping``.
      global_buffer / tile_buffer: ``"register_file"`` (V2.0) or ``"sram"``.
      dram: ``"hbm2"`` (V2.0) or ``"gddr5"``.
      ops_per_mac: operations per MAC in ``numComputation`` (2 as released; the manual's
        Fig. 34 TOPS imply 1; spec §7.1).
      training: True = the four training phases (V2.0's ``trainingEstimation``); False =
        inference (FW only, image from DRAM).
      global_buffer_core / tile_buffer_core: register-file core sides (128, 32), static.
      temperature: relaxed-mode staircase temperature.
      tile_grid: static chip tile grid ``(rows, cols)`` for the global H-tree; None = from the
        floorplan at ``reference_subarray`` (128×128, 5-bit cells).
      cm_pes_per_side: static PEs per side of a CM tile (tile H-tree); None = floorplan.
      reference_subarray: ``(rows, cols, cell_bits, synapse_bits)`` for the two static
        grids above (``cell_bits`` taken as 1 for SRAM).
      wg_input_bits: activation bits the WG farm's columns are sized for (static; the
        traced ``num_bit_input`` drives every other use).
      columns_per_adc / rows_per_adc_ag: static copies of the sub-array's mux ratios (sizing
        its mux decoders; keep equal to the traced ``subarray.columns_per_adc``/``rows_per_adc_ag``).
      version: the NeuroSim code the models follow, a
        :class:`~cimjax.hw.neurosim_version.NeuroSimVersion` or its name (``"current"``, the
        golden run; ``"march2020"``, the first public release, which computed the manual's
        Fig. 34); handed to every component through :attr:`component`. Its quirk flags (e.g.
        ``wg_out_precision_unset``, defect 2 of the module docstring) are True as released.
      neurosim_code: init-only name of the version (``ChipConfig(layers,
        neurosim_code="march2020")``, ``dataclasses.replace(config, neurosim_code=...)``); when
        given it sets ``version`` to :func:`~cimjax.hw.neurosim_version.by_name` of it; read
        back, it is ``version.name``.
    """

    layers: tuple
    cell: str = "rram"
    roadmap: str = "LSTP"
    mode: str = "exact"
    novel_mapping: bool = True
    global_buffer: str = "register_file"
    tile_buffer: str = "register_file"
    dram: str = "hbm2"
    ops_per_mac: int = 2
    training: bool = True
    global_buffer_core: int = 128
    tile_buffer_core: int = 32
    temperature: float = relax.DEFAULT_TEMPERATURE
    tile_grid: Optional[tuple] = None
    cm_pes_per_side: Optional[int] = None
    reference_subarray: tuple = (128, 128, 5, 5)
    wg_input_bits: int = 8
    columns_per_adc: int = 8
    rows_per_adc_ag: int = 8
    version: Union[NeuroSimVersion, str] = CURRENT
    neurosim_code: dataclasses.InitVar[Optional[str]] = None

    def __post_init__(self, neurosim_code: Optional[str]):
        layers = tuple(LayerShape(*layer) for layer in self.layers)
        if not layers:
            raise ValueError("ChipConfig.layers is empty: expected at least one layer")
        object.__setattr__(self, "layers", layers)
        for name, choices in (
            ("cell", CELLS),
            ("global_buffer", BUFFER_KINDS),
            ("tile_buffer", BUFFER_KINDS),
            ("dram", tuple(misc.DRAM_TYPES)),
        ):
            if getattr(self, name) not in choices:
                raise ValueError(f"ChipConfig.{name} = {getattr(self, name)!r}: expected one of {choices}")
        relax.check_mode(self.mode)
        if self.ops_per_mac not in (1, 2):
            raise ValueError(f"ChipConfig.ops_per_mac = {self.ops_per_mac!r}: expected 1 or 2")
        object.__setattr__(self, "version", as_version(self.version if neurosim_code is None else neurosim_code))
        object.__setattr__(self, "neurosim_code", self.version.name)  # read back as the version's name
        for name in ("novel_mapping", "training"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"ChipConfig.{name} = {getattr(self, name)!r}: expected a bool")
        self.component  # validates roadmap, mode and temperature
        if self.tile_grid is None or self.cm_pes_per_side is None:
            rows, cols, cell_bits, syn = self.reference_subarray
            cell_bits = 1 if self.cell == "sram" else cell_bits  # NeuroSim: SRAM forces cellBit = 1
            grid, side = _static_grid(layers, self.novel_mapping, (rows, cols, cell_bits, syn))
            if self.tile_grid is None:
                object.__setattr__(self, "tile_grid", grid)
            if self.cm_pes_per_side is None:
                object.__setattr__(self, "cm_pes_per_side", side)
        object.__setattr__(self, "tile_grid", tuple(int(x) for x in self.tile_grid))

    @property
    def component(self) -> ComponentConfig:
        """The shared component config (roadmap, mode, temperature, NeuroSim version)."""
        return ComponentConfig(roadmap=self.roadmap, mode=self.mode, temperature=self.temperature,
                               version=self.version)

    @property
    def floorplan_config(self) -> FloorplanConfig:
        """The floorplan config of the layer table."""
        return FloorplanConfig(self.layers, self.novel_mapping, self.mode, self.temperature)


class LatencyEnergy(NamedTuple):
    """A latency (s) and an energy (J)."""

    latency: Array
    energy: Array


class Phase(NamedTuple):
    """One phase per epoch: average and NeuroSim's "PEAK" (core compute only) latency/energy."""

    latency: Array
    energy: Array
    peak_latency: Array
    peak_energy: Array


class Breakdown(NamedTuple):
    """NeuroSim's latency/energy breakdown per epoch (``array`` = synaptic array w/o ADC,
    FW + AG, plus activation and pooling; ``wg_unit``/``wu`` = the peak WG/WU figures)."""

    adc: LatencyEnergy
    accumulation: LatencyEnergy
    array: LatencyEnergy
    buffer: LatencyEnergy
    interconnect: LatencyEnergy
    wg_unit: LatencyEnergy
    wu: LatencyEnergy
    dram: LatencyEnergy


class AreaBreakdown(NamedTuple):
    """Chip area and NeuroSim's area buckets, m²."""

    total: Array
    adc: Array
    accumulation: Array
    array: Array
    interconnect: Array
    wg_unit: Array
    other: Array


class LayerEstimate(NamedTuple):
    """Per-layer figures (every leaf shape ``(L,)``), per epoch."""

    fw: Phase
    ag: Phase
    wg: Phase
    wu: Phase
    breakdown: Breakdown
    leakage_power: Array
    leakage_energy: Array


class ChipEstimate(NamedTuple):
    """The whole estimate, per epoch (s, J, W, m²; TOPS in 1e12 op/s, TOPS/W in 1e12 op/J)."""

    area: AreaBreakdown
    layers: LayerEstimate
    fw: Phase
    ag: Phase
    wg: Phase
    wu: Phase
    breakdown: Breakdown
    leakage_power: Array
    leakage_energy: Array
    num_ops: Array
    tops: Array
    tops_per_w: Array
    peak_tops: Array
    peak_tops_per_w: Array
    epochs_per_s: Array


# ----------------------------------------------------------------------------- defaults


def _subarray_module():
    from cimjax.hw.components import subarray

    return subarray


def _wg_module():
    from cimjax.hw.components import wg_unit

    return wg_unit


def default_params() -> ChipParams:
    """NeuroSim V2.0's ``Param.cpp`` defaults (spec §5.3): RRAM 1T1R, 32 nm LSTP, 128×128,
    6-bit ADC, 8:1 column mux, 5-bit cells and weights, 8-bit inputs, batch 200 × 250."""
    circuit = CircuitParams()
    sub = _subarray_module().SubArrayParams(circuit)
    wg = _wg_module().WeightGradientParams(circuit)
    return ChipParams(circuit, sub, wg, FloorplanParams())


# ----------------------------------------------------------------------------- helpers


def _buffer_fn(kind: str):
    if kind == "sram":
        from cimjax.hw.components.sram import sram_buffer

        return sram_buffer
    return misc.register_file_buffer


def _synced_floorplan_params(params: ChipParams, cell: str = "rram") -> FloorplanParams:
    s = params.subarray
    fp = params.floorplan._replace(
        subarray_rows=s.rows, subarray_cols=s.cols, synapse_bits=params.synapse_bits, columns_per_adc=s.columns_per_adc
    )
    if cell == "sram":  # NeuroSim (Param.cpp): SRAM forces cellBit = 1, one bit per cell
        fp = fp._replace(cell_bits=jnp.ones_like(as_float(fp.cell_bits)))
    return fp


def _subarray_figures(params: ChipParams, config: ChipConfig, trace, fp: Floorplan) -> tile_mod.SubArrayFigures:
    """Sub-array area (scalars) and per-layer read/write figures from the sub-array model."""
    sa = _subarray_module()
    sp = params.subarray._replace(circuit=params.circuit, num_bit_input=params.num_bit_input)
    scfg = config.component.sub(
        sa.SubArrayConfig,
        cell=config.cell,
        parallel_bp=config.training,
        num_col_muxed=config.columns_per_adc,
        num_row_muxed_ag=config.rows_per_adc_ag,
    )
    area = sa.subarray_area(sp, scfg)
    # The share of a sub-array's rows a layer's (possibly partial) sub-array drives.
    novel = fp.novel
    if config.version.nm_tile_rows_per_pe:
        # bf95f9c Chip.cpp/Tile.cpp (novel mapping): a tile takes min(PE_NM, R) rows and each of
        # its numPENM PEs the integer quotient of that by numPENM (56 of 512 rows for 3×3 kernels).
        rows_nm = relax.floor(jnp.minimum(fp.pe_size_nm, fp.weight_rows) / fp.num_pe_nm, config.mode,
                              temperature=config.temperature)
    else:
        rows_nm = jnp.minimum(fp.pe_size_nm, fp.weight_rows / fp.num_pe_nm)
    rows_pe = jnp.where(novel, rows_nm, jnp.minimum(fp.pe_size_cm, fp.weight_rows))
    used = jnp.minimum(rows_pe, as_float(sp.rows)) / as_float(sp.rows)
    act = as_float(trace.input_activity) * used

    def read(a, w, o):
        return sa.subarray_read(sp, scfg, row_activity=a, weight_level=w, read_occupancy=o)

    # The read occupancy is measured on the layer's own rows (a partial block counts as a read),
    # so it carries over unscaled; the occupied read has ``act/occ`` of the sub-array's rows on.
    occ = jnp.broadcast_to(as_float(trace.read_occupancy), jnp.shape(act))
    r = jax.vmap(read)(act, as_float(trace.weight_level), occ)

    def write(p, e, ra, ca, *march):
        extra = dict(zip(("row_fraction", "stat_rows"), march))
        return sa.subarray_write(sp, scfg, write_pulses=p, cell_pulse_energy_sum=e, row_write_activity=ra,
                                 col_write_activity=ca, **extra)

    # Σ n/R̄ over written cells ≈ (Σ n)·G at the layer's mean conductance (R̄ = the mean of the
    # old and new resistances; the update is small against the range).
    g_min, g_max = 1.0 / as_float(sp.r_off), 1.0 / as_float(sp.r_on)
    g_mean = g_min + as_float(trace.weight_level) * (g_max - g_min)
    write_args = [
        as_float(trace.write_pulses),
        as_float(trace.cell_pulses) * g_mean,
        as_float(trace.row_write_activity),
        as_float(trace.col_write_activity),
    ]
    if config.version.write_per_selected_row:
        # bf95f9c: a sub-array writes only the rows its PE holds (rows_pe of a block; 56 of 128 for
        # 3×3 NM kernels) of the rows the write statistics describe (a layer's block, R if R < 128).
        sub_rows = as_float(sp.rows)
        stat_rows = fp.weight_rows / relax.ceil(fp.weight_rows / sub_rows, config.mode, temperature=config.temperature)
        frac = jnp.minimum(jnp.minimum(rows_pe, sub_rows) / stat_rows, 1.0)
        write_args += [jnp.broadcast_to(frac, jnp.shape(act)), jnp.broadcast_to(stat_rows, jnp.shape(act))]
    w = jax.vmap(write)(*write_args)
    fw, ag = r.fw, r.ag
    return tile_mod.SubArrayFigures(
        area=area.total,
        height=area.height,
        width=area.width,
        area_adc=area.adc,
        area_accumulation=area.accumulation,
        area_array=area.array,
        area_other=area.other,
        leakage=area.leakage,
        fw_latency=fw.latency,
        fw_energy=fw.energy,
        ag_latency=ag.latency,
        ag_energy=ag.energy,
        adc_latency=fw.adc_latency + ag.adc_latency,
        adc_energy=fw.adc_energy + ag.adc_energy,
        accumulation_latency=fw.accumulation_latency + ag.accumulation_latency,
        accumulation_energy=fw.accumulation_energy + ag.accumulation_energy,
        other_latency=fw.array_latency + fw.other_latency + ag.array_latency + ag.other_latency,
        other_energy=fw.array_energy + fw.other_energy + ag.array_energy + ag.other_energy,
        write_latency=w.latency,
        write_energy=w.energy,
    )


class _WG(NamedTuple):
    area: Array  # WG unit + gradient accumulator, m²
    peak_latency: Array  # (L,) per image: WG unit + gradient accumulation
    peak_energy: Array
    out_precision: Array
    leakage: Array


@functools.cache
def _wg_layers_jit():
    return jax.jit(with_technology_scope(_wg_module().weight_gradient_layers), static_argnames=(
        "config", "windows", "in_channels", "kernel_size", "out_channels"))


def _wg_figures(params: ChipParams, config: ChipConfig, trace, num_array_write_parallel) -> _WG:
    """WG unit and gradient accumulator: area and per-image peak WG of every layer (§5.8 step 5).

    The unit is sized for the layer of largest ``IFM_h·IFM_w·C_in`` (``ChipInitialize``); its
    circuit, input bits and batch size are the chip's, its MLSA reference ladder the forward
    sub-array's (``R_on``, ``R_off``, rows).
    """
    wgm = _wg_module()
    layers = config.layers
    big = max(layers, key=lambda l: l.ifm_h * l.ifm_w * l.in_channels)
    wcfg = config.component.sub(
        wgm.WeightGradientConfig,
        max_windows=(big.ifm_h - big.kernel_h + 1) * (big.ifm_w - big.kernel_w + 1),
        max_input_cols=big.in_channels * config.wg_input_bits,
    )
    sp = params.subarray
    wp = params.wg._replace(
        circuit=params.circuit,
        num_bit_input=params.num_bit_input,
        batch_size=params.batch_size,
        ref_resistance_on=sp.r_on,
        ref_resistance_off=sp.r_off,
        ref_rows=sp.rows,
    )
    act = as_float(trace.input_activity)
    cells = as_float(sp.rows) * as_float(sp.cols)
    # All layers in one call: the WG array is traced once and vmapped over the activities.
    cost = _wg_layers_jit()(
        wp,
        config=wcfg,
        windows=tuple(l.valid_windows for l in layers),
        in_channels=tuple(l.in_channels for l in layers),
        kernel_size=tuple(l.kernel_h for l in layers),
        out_channels=tuple(l.out_channels for l in layers),
        activity=act,
    )
    acc = wgm.gradient_accumulator(
        wp, wcfg, num_weights=jnp.asarray([float(l.num_weights) for l in layers], act.dtype),
        num_array_write_parallel=num_array_write_parallel, array_cells=cells,
    )
    return _WG(
        area=cost.area[..., 0] + acc.area,  # the whole unit (same in every layer entry) + the accumulator
        peak_latency=cost.latency + acc.latency,
        peak_energy=cost.energy + acc.energy,
        out_precision=wgm.out_precision(wp, wcfg),
        leakage=cost.leakage[..., 0] + acc.leakage,
    )


# ----------------------------------------------------------------------------- estimate


def estimate(params: ChipParams, config: ChipConfig, trace) -> ChipEstimate:
    """NeuroSim V2.0's per-epoch estimate of ``config.layers`` on the chip ``params``.

    Args:
      params: :class:`ChipParams` (traced; give leaves a leading axis and ``vmap``).
      config: :class:`ChipConfig` (static).
      trace: a :class:`cimjax.hw.trace.Trace` (per-layer activities, conductance level,
        write statistics and read occupancy; shape ``(L,)`` each).

    Returns:
      The :class:`ChipEstimate` (per epoch).
    """
    # The parts are traced as nested jits: same values, and each component's concrete-value
    # checks search a small jaxpr instead of the whole estimate's (tracing time).
    fp = floorplan(_synced_floorplan_params(params, config.cell), config.floorplan_config)
    sub = _jit_subarray_figures(params, config, trace, fp)
    return _jit_rollup(params, config, fp, sub, trace)


_jit_subarray_figures = jax.jit(with_technology_scope(_subarray_figures), static_argnums=1)


def _jit_wg_figures(params, config, trace, num_array_write_parallel):
    return _jit_wg(params, config, trace, num_array_write_parallel)


_jit_wg = jax.jit(with_technology_scope(_wg_figures), static_argnums=1)


def _rollup(params, config, fp, sub, trace):
    from cimjax.hw.chip_rollup import estimate_from_figures

    return estimate_from_figures(params, config, fp, sub, trace, _jit_wg_figures)


_jit_rollup = jax.jit(with_technology_scope(_rollup), static_argnums=1)
