"""The chip estimate: PE → tile → chip roll-up per phase, per epoch (docs/model.md §5.1, §5.7, §5.8).

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

Decisions where docs/model.md and the source differ, or the source has a defect (config flags default to
the released behaviour so the golden test reproduces NeuroSim's numbers):

* ``version.wg_out_precision_unset`` (defect 2): ``ChipInitialize`` sizes the WG buffer overhead
  from ``outPrecision`` before it is set (reads 0): numArrayWriteParallel = 8 and 128 global
  buffer cores instead of docs/model.md §5.7's 16 and 156. True (default) reproduces it; False is the
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

from cimjax.hw import relax
from cimjax.hw.chip_figures import subarray_figures, wg_figures
from cimjax.hw.chip_rollup import estimate_from_figures
from cimjax.hw.chip_types import ChipEstimate
from cimjax.hw.components import misc
from cimjax.hw.components.gates import with_standard_cells
from cimjax.hw.components.params import CircuitParams, ComponentConfig, as_float
from cimjax.hw.components.sram import SramCellParams
from cimjax.hw.components.subarray_types import ACCESS_TYPES, READ_MODES, SubArrayParams
from cimjax.hw.components.wg_unit import WeightGradientParams
from cimjax.hw.floorplan import Floorplan, FloorplanConfig, FloorplanParams, floorplan
from cimjax.hw.network import LayerShape
from cimjax.hw.neurosim_version import CURRENT, NeuroSimVersion, as_version

Array = jax.Array
ArrayLike = Union[jax.Array, float, int]

CELLS = ("rram", "fefet", "sram")
BUFFER_KINDS = ("register_file", "sram")
#: NeuroSim's chip-level activation units (``reLu`` true / false).
ACTIVATIONS = ("relu", "sigmoid")


# ----------------------------------------------------------------------------- static grid


def reference_floorplan(layers: tuple, novel_mapping: bool, cell: str, reference: tuple,
                        pipeline: tuple = (False, 1)) -> tuple[FloorplanParams, FloorplanConfig]:
    """The floorplan inputs the chip's static grids come from: ``reference = (rows, cols,
    cell_bits, synapse_bits)`` (``cell_bits`` taken as 1 for SRAM, as NeuroSim's ``Param.cpp``);
    ``pipeline = (pipeline, speed_up_degree)``."""
    rows, cols, cell_bits, syn = (float(x) for x in reference)
    return FloorplanParams(rows, cols, syn, stored_cell_bits(cell, cell_bits)), FloorplanConfig(
        tuple(layers), novel_mapping, pipeline=bool(pipeline[0]), speed_up_degree=int(pipeline[1]))


def stored_cell_bits(cell: str, cell_bits):
    """The bits one cell stores: ``cell_bits``, except that an SRAM cell stores one (NeuroSim's
    ``Param.cpp`` forces ``cellBit = 1`` for SRAM). The one place of that rule."""
    return jnp.ones_like(as_float(cell_bits)) if cell == "sram" else cell_bits


def static_grid(fp: Floorplan) -> tuple[tuple[int, int], int]:
    """``(tile_grid, cm_pes_per_side)`` of a concrete :class:`Floorplan`: the chip's tile rows
    and columns and a CM tile's PEs per side."""
    return (int(fp.tile_rows), int(fp.tile_cols)), int(round(float(fp.tile_size_cm / fp.pe_size_cm)))


@functools.lru_cache(maxsize=64)
def _reference_grid(layers: tuple, novel_mapping: bool, cell: str, reference: tuple,
                    pipeline: tuple = (False, 1)) -> tuple[tuple[int, int], int]:
    """:func:`static_grid` of the :func:`reference_floorplan`, evaluated by one jitted call on
    concrete values (also when a ``ChipConfig`` is built inside a trace); remembered."""
    params, config = reference_floorplan(layers, novel_mapping, cell, reference, pipeline)
    with jax.ensure_compile_time_eval():
        return static_grid(jax.jit(floorplan, static_argnums=1)(params, config))


# ----------------------------------------------------------------------------- API types


class ChipParams(NamedTuple):
    """Traced parameters of the chip (defaults: :func:`default_params`, NeuroSim V2.0 §5.3).

    ``circuit`` is shared: it replaces the ``circuit`` of ``subarray`` and ``wg``. The
    floorplan's sub-array size, columns per ADC and synapse bits are taken from
    ``subarray``/``synapse_bits`` (the copies in ``floorplan`` are ignored); its ``cell_bits``
    (forced to 1 with ``ChipConfig.cell = "sram"``, as NeuroSim) and ``max_global_bus_width``
    are used.

    Attributes:
      circuit: :class:`~cimjax.hw.components.params.CircuitParams`.
      subarray: :class:`~cimjax.hw.components.subarray_types.SubArrayParams`.
      wg: :class:`~cimjax.hw.components.wg_unit.WeightGradientParams`.
      floorplan: :class:`~cimjax.hw.floorplan.FloorplanParams`.
      batch_size: images per iteration (``batchSize`` = 200).
      num_iterations: iterations per epoch (``numIteration`` = 250).
      num_bit_input: activation bits (``numBitInput`` = 8).
      synapse_bits: weight bits (``synapseBit`` = 5).
      global_delay_tolerance / local_delay_tolerance: bus delay tolerances (0.1).
      buffer_overhead_constraint: ``bufferOverHeadConstraint`` (1).
      sram_cell: the 6T SRAM cell (:class:`~cimjax.hw.components.sram.SramCellParams`,
        ``Param.cpp`` ``heightInFeatureSizeSRAM`` ... ``minSenseVoltage``): shared like
        ``circuit``, it replaces ``subarray.sram_cell`` and ``wg.cell``, and is the cell of the
        SRAM buffers (``globalBufferType`` / ``peBufferType`` true).
      tree_folded_ratio: the chip H-tree's channel folding in its area (``treeFoldedRatio`` = 4,
        ``Chip.cpp`` ``ChipCalculateArea``; a tile's H-tree keeps NeuroSim's fixed 16).
    """

    circuit: CircuitParams
    subarray: SubArrayParams
    wg: WeightGradientParams
    floorplan: FloorplanParams
    batch_size: ArrayLike = 200.0
    num_iterations: ArrayLike = 250.0
    num_bit_input: ArrayLike = 8.0
    synapse_bits: ArrayLike = 5.0
    global_delay_tolerance: ArrayLike = 0.1
    local_delay_tolerance: ArrayLike = 0.1
    buffer_overhead_constraint: ArrayLike = 1.0
    sram_cell: SramCellParams = SramCellParams()
    tree_folded_ratio: ArrayLike = 4.0


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
        Fig. 34 TOPS imply 1; docs/model.md §7.1).
      training: True = the four training phases (V2.0's ``trainingEstimation``); False =
        inference (FW only, image from DRAM).
      global_buffer_core / tile_buffer_core: register-file buffer cores, ``(rows, cols)`` in bits
        (``Param.cpp`` ``globalBufferCoreSizeRow/Col``, 128 × 128; ``tileBufferCoreSizeRow/Col``,
        32 × 32), static; an int ``n`` is the square core ``(n, n)`` and is read back as that
        tuple. NeuroSim builds a core of ``Row·Col`` bits read ``Col`` bits a line (``Chip.cpp``
        ``ChipInitialize``, ``Tile.cpp`` ``TileInitialize``: ``Buffer::Initialize(Row·Col, Col,
        …)``): ``rows`` is the cores' line count (their decoder), ``cols`` the interface width.
      temperature: relaxed-mode staircase temperature.
      tile_grid: static chip tile grid ``(rows, cols)`` for the global H-tree; None = from the
        floorplan at ``reference_subarray`` (128×128, 5-bit cells), evaluated here with a jitted
        call (:func:`reference_floorplan`, :func:`static_grid`; a builder that has evaluated that
        floorplan another way passes both fields).
      cm_pes_per_side: static PEs per side of a CM tile (tile H-tree); None = floorplan.
      reference_subarray: ``(rows, cols, cell_bits, synapse_bits)`` for the two static
        grids above (``cell_bits`` taken as 1 for SRAM).
      wg_input_bits: activation bits the WG farm's columns are sized for (static; the
        traced ``num_bit_input`` drives every other use).
      columns_per_adc / rows_per_adc_ag: static copies of the sub-array's mux ratios (sizing
        its mux decoders; keep equal to the traced ``subarray.columns_per_adc``/``rows_per_adc_ag``).
      wg_rows_per_adc: columns per ADC of the weight-gradient unit (NeuroSim's ``numRowMuxedWG``,
        8; static: it sets the WG mux decoder), handed to
        :class:`~cimjax.hw.components.wg_unit.WeightGradientConfig` ``rows_muxed``.
      version: the NeuroSim code the models follow, a
        :class:`~cimjax.hw.neurosim_version.NeuroSimVersion` or its name (``"current"``, the
        golden run; ``"march2020"``, the first public release, which computed the manual's
        Fig. 34; ``"v2_1"``, NeuroSim V2.1); handed to every component through :attr:`component`.
        Its quirk flags (e.g. ``wg_out_precision_unset``, defect 2 of the module docstring) are
        True as released.
      adc: the eNVM/FeFET sub-arrays' and the WG unit's read ADC: ``"mlsa"`` (default),
        ``"mlsa_voltage"`` (V2.1's ``currentMode = false``) or ``"sar"`` (V2.1's ``SARADC``);
        handed to every component through
        :attr:`component` (:attr:`~cimjax.hw.components.params.ComponentConfig.adc`).
      read_mode: ``"parallel"`` (NeuroSim's ``operationmode = 2``) or ``"sequential"``
        (``operationmode = 1``, eNVM cells: the sub-array of
        :mod:`~cimjax.hw.components.subarray_sequential`, whose ``⌈log2 rows + cellBit − 1⌉``-bit
        outputs the PE, tile and chip accumulation take in place of ``log2 levelOutput``).
      parallel_bp: NeuroSim's ``parallelBP``; False (eNVM cells) reads the transposed (AG)
        direction of the parallel sub-array row by row
        (:attr:`~cimjax.hw.components.subarray_types.SubArrayConfig.ag_row_by_row`); the WG
        unit's arrays are read row by row too
        (:func:`~cimjax.hw.components.wg_unit.wg_array_row_by_row`).
      wg_decoder_rows: static copy of the WG array rows (``hardware.wg_subarray_rows``) sizing
        that row-by-row read's WL decoder; the parallel read ignores it.
      activation: the chip-level activation unit NeuroSim's estimate costs (``Param.cpp``
        ``reLu``): ``"relu"`` (``reLu = true``, the BitShifter DFFs of
        :func:`~cimjax.hw.components.misc.relu`) or ``"sigmoid"`` (``reLu = false``, the look-up
        tables of :mod:`~cimjax.hw.components.sigmoid`). An estimator choice only.
      chip_activation: NeuroSim's ``chipActivation`` (True: the activation unit at chip level);
        False puts a ReLU in every tile (:func:`~cimjax.hw.tile_geometry.tile_relu`), whose output
        buffer then holds activations, and gives the global accumulator ``numBitInput``-bit inputs
        (``Tile.cpp``, ``Chip.cpp``, ``!chipActivation`` branches); ReLU only.
      pipeline / speed_up_degree: NeuroSim's ``pipeline`` and ``speedUpDegree``: the pipelined
        chip (the floorplan's step 11, :mod:`cimjax.hw.floorplan`; the chip-level sizing and the
        per-epoch roll-up of :mod:`cimjax.hw.chip_rollup`). Layer by layer when False.
      relax_cell_height / relax_cell_width: NeuroSim's ``relaxArrayCellHeight`` /
        ``relaxArrayCellWidth``, handed to the sub-array
        (:attr:`~cimjax.hw.components.subarray_types.SubArrayConfig.relax_cell_height`).
      access / nonlinear_iv: the eNVM cell's access device (NeuroSim's ``accesstype``: ``"cmos"``,
        the 1T1R cell; ``"none"``, a cross-point array) and the cross-point cell's I–V
        nonlinearity (``nonlinearIV``), handed to the sub-array
        (:attr:`~cimjax.hw.components.subarray_types.SubArrayConfig.access`).
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
    global_buffer_core: Union[int, tuple] = (128, 128)
    tile_buffer_core: Union[int, tuple] = (32, 32)
    temperature: float = relax.DEFAULT_TEMPERATURE
    tile_grid: Optional[tuple] = None
    cm_pes_per_side: Optional[int] = None
    reference_subarray: tuple = (128, 128, 5, 5)
    wg_input_bits: int = 8
    columns_per_adc: int = 8
    rows_per_adc_ag: int = 8
    wg_rows_per_adc: int = 8
    version: Union[NeuroSimVersion, str] = CURRENT
    read_mode: str = "parallel"
    adc: str = "mlsa"
    parallel_bp: bool = True
    wg_decoder_rows: int = 128
    # NeuroSim's chip-level activation unit and pipeline (issue 15, pipe15).
    activation: str = "relu"
    pipeline: bool = False
    speed_up_degree: int = 1
    chip_activation: bool = True
    relax_cell_height: bool = False
    relax_cell_width: bool = False
    access: str = "cmos"
    nonlinear_iv: bool = False
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
            ("read_mode", READ_MODES),
            ("activation", ACTIVATIONS),
            ("access", ACCESS_TYPES),
        ):
            if getattr(self, name) not in choices:
                raise ValueError(f"ChipConfig.{name} = {getattr(self, name)!r}: expected one of {choices}")
        relax.check_mode(self.mode)
        for name in ("global_buffer_core", "tile_buffer_core"):
            object.__setattr__(self, name, misc.core_shape(getattr(self, name), f"ChipConfig.{name}"))
        if self.ops_per_mac not in (1, 2):
            raise ValueError(f"ChipConfig.ops_per_mac = {self.ops_per_mac!r}: expected 1 or 2")
        object.__setattr__(self, "version", as_version(self.version if neurosim_code is None else neurosim_code))
        object.__setattr__(self, "neurosim_code", self.version.name)  # read back as the version's name
        for name in ("novel_mapping", "training", "parallel_bp", "pipeline", "chip_activation",
                     "relax_cell_height", "relax_cell_width", "nonlinear_iv"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"ChipConfig.{name} = {getattr(self, name)!r}: expected a bool")
        if isinstance(self.wg_decoder_rows, bool) or not isinstance(self.wg_decoder_rows, int) or not (
                2 <= self.wg_decoder_rows <= 2**16):
            raise ValueError(f"ChipConfig.wg_decoder_rows = {self.wg_decoder_rows!r}: expected an int in [2, 65536]")
        if not self.chip_activation and self.activation == "sigmoid":
            raise ValueError("ChipConfig.chip_activation = False: expected True with activation = 'sigmoid' (the "
                             "tiles' own sigmoid tables are not modelled)")
        if isinstance(self.speed_up_degree, bool) or not isinstance(self.speed_up_degree, int) or (
                self.speed_up_degree < 1):
            raise ValueError(f"ChipConfig.speed_up_degree = {self.speed_up_degree!r}: expected an int ≥ 1")
        if not self.parallel_bp and self.cell == "sram":
            raise ValueError("ChipConfig.parallel_bp = False: expected True with cell = 'sram' (its row-by-row "
                             "transposed read is not modelled)")
        self.component  # validates roadmap, mode and temperature
        if self.tile_grid is None or self.cm_pes_per_side is None:
            grid, side = _reference_grid(layers, self.novel_mapping, self.cell, tuple(self.reference_subarray),
                                         (self.pipeline, self.speed_up_degree))
            if self.tile_grid is None:
                object.__setattr__(self, "tile_grid", grid)
            if self.cm_pes_per_side is None:
                object.__setattr__(self, "cm_pes_per_side", side)
        object.__setattr__(self, "tile_grid", tuple(int(x) for x in self.tile_grid))

    @property
    def component(self) -> ComponentConfig:
        """The shared component config (roadmap, mode, temperature, NeuroSim version)."""
        return ComponentConfig(roadmap=self.roadmap, mode=self.mode, temperature=self.temperature,
                               version=self.version, adc=self.adc)

    @property
    def floorplan_config(self) -> FloorplanConfig:
        """The floorplan config of the layer table."""
        return FloorplanConfig(self.layers, self.novel_mapping, self.mode, self.temperature,
                               pipeline=self.pipeline, speed_up_degree=self.speed_up_degree)




# ----------------------------------------------------------------------------- estimate


def default_params() -> ChipParams:
    """NeuroSim V2.0's ``Param.cpp`` defaults (docs/model.md §5.3): RRAM 1T1R, 32 nm LSTP, 128×128,
    6-bit ADC, 8:1 column mux, 5-bit cells and weights, 8-bit inputs, batch 200 × 250."""
    circuit = CircuitParams()
    return ChipParams(circuit, SubArrayParams(circuit), WeightGradientParams(circuit), FloorplanParams())


def floorplan_inputs(params: ChipParams, config: ChipConfig) -> tuple[FloorplanParams, FloorplanConfig]:
    """The floorplan's inputs of the chip: sub-array size, columns per ADC and synapse bits from
    ``params.subarray`` / ``params.synapse_bits``, the cell bits and bus width from
    ``params.floorplan``, and the layer table of ``config``. An SRAM cell stores one bit
    (:func:`stored_cell_bits`)."""
    s = params.subarray
    fp = params.floorplan._replace(
        subarray_rows=s.rows, subarray_cols=s.cols, synapse_bits=params.synapse_bits, columns_per_adc=s.columns_per_adc,
        cell_bits=stored_cell_bits(config.cell, params.floorplan.cell_bits),
    )
    return fp, config.floorplan_config


def estimate(params: ChipParams, config: ChipConfig, trace) -> ChipEstimate:
    """NeuroSim V2.0's per-epoch estimate of ``config.layers`` on the chip ``params``.

    Args:
      params: :class:`ChipParams` (traced; give leaves a leading axis and ``vmap``).
      config: :class:`ChipConfig` (static).
      trace: a :class:`cimjax.trace.Trace` (per-layer activities, conductance level,
        write statistics and read occupancy; shape ``(L,)`` each).

    Returns:
      The :class:`~cimjax.hw.chip_types.ChipEstimate` (per epoch).
    """
    # The technology and its standard cells are derived once here and handed to every component
    # in the params; the sub-array figures and the roll-up are jitted on their own (their graphs
    # are traced once per chip structure).
    params = params._replace(circuit=with_standard_cells(params.circuit, config.component))
    fp = floorplan(*floorplan_inputs(params, config))
    sub = subarray_figures(params, config, trace, fp)
    return estimate_from_figures(params, config, fp, sub, trace, wg_figures)
