"""One road from an experiment :class:`~cimjax.config.Config` to the chip the estimator costs.

Everything that turns config fields into estimator inputs is here, once:

* :data:`KNOBS`: every value of the chip a config sets, by name, with the config field it comes
  from. A *knob* is what a design sweep varies (:mod:`cimjax.dse.params` declares each design
  parameter as the knobs it sets), so a design point of a sweep and ``--set section.field=…``
  reach the physics through the same code.
* :func:`chip_params` (traced, vmappable, differentiable in the knobs) and :func:`chip_config`
  (static) build :class:`~cimjax.hw.chip.ChipParams` / :class:`~cimjax.hw.chip.ChipConfig` from
  knob values and the config's :class:`Facts`. Each rule is written once here: float
  precisions fall back to NeuroSim's command-line 5-bit weights and 8-bit activations, cells
  hold at most the weight bits (``hardware.cell_bits`` is lowered to ``synapse_bits``, as
  NeuroSim's ``main.cpp``), ``R_off = R_on·on_off_ratio``, ``levelOutput = 2^adc_bits``
  (``levelOutputAG`` the same unless ``hardware.ag_adc_bits`` is set: :func:`resolve`), and the
  iterations per epoch are :func:`iterations_per_epoch`. (An SRAM cell stores one bit: that
  rule is the hardware's, :func:`cimjax.hw.chip.floorplan_inputs`.)
* :func:`build` / :func:`build_run` return a :class:`ChipBuild`: the traced params, the static
  config, the floorplan inputs, the trace (the run's, or :func:`cimjax.trace.default_trace`),
  the iterations and images per epoch. The training report's mapping table, ``cimjax estimate``, ``cimjax
  sweep`` / ``optimize`` and the device maps all start from it.
"""

from __future__ import annotations

import dataclasses
import math
import os
from typing import Any, Mapping, NamedTuple, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from cimjax import fileio, host_eval
from cimjax.config import ConfigError, load_config
from cimjax.config.schema import Config
from cimjax.hw import chip
from cimjax.hw.algorithm_cost import AlgorithmCounts, MeasuredCounts, measured_columns, measured_from_row
from cimjax import trace as trace_lib
from cimjax.hw.components.params import CircuitParams
from cimjax.hw.components.sram import SramCellParams
from cimjax.hw.floorplan import Floorplan, floorplan
from cimjax.hw.network import LayerShape, network_layers

#: Training-set sizes of the datasets the data config names (the embedded Fashion-MNIST subset
#: ships 6,000 training images; synthetic data has ``data.synthetic_train_size``).
TRAIN_SIZES = {"cifar10": 50000, "fashion_mnist": 60000, "fashion_mnist_embedded": 6000}
#: NeuroSim's command-line precisions (weights, activations), the estimator's for float bits.
FLOAT_FALLBACK_BITS = (5, 8)


class Knob(NamedTuple):
    """One value of the chip a config sets.

    Attributes:
      field: the ``section.field`` it is read from (``device.max_level`` is the resolved
        preset's).
      traced: :func:`chip_params` reads it (a float; may be traced).
      static: it is a field of the static :class:`~cimjax.hw.chip.ChipConfig` (choices, the mux
        ratio that sizes the mux decoders); must be concrete there.
      grid: it sets the static tile grid (:func:`static_grid`: sub-array size, cell bits).
      follows: the knob whose value it takes while its config field is None (``ag_adc_bits``
        unset = ``adc_bits``). :func:`resolve` applies it inside :func:`chip_params` /
        :func:`chip_config`, so a sweep of the followed knob moves both, as ``--set`` does.
    """

    field: str
    traced: bool = True
    static: bool = False
    grid: bool = False
    follows: Optional[str] = None


#: Every knob, by name: traced knobs enter :class:`~cimjax.hw.chip.ChipParams`, static and grid
#: knobs :class:`~cimjax.hw.chip.ChipConfig` (some both).
KNOBS: dict[str, Knob] = {
    "subarray_rows": Knob("hardware.subarray_rows", grid=True),
    "subarray_cols": Knob("hardware.subarray_cols", grid=True),
    "adc_bits": Knob("hardware.adc_bits"),
    "ag_adc_bits": Knob("hardware.ag_adc_bits", follows="adc_bits"),
    "wg_adc_bits": Knob("hardware.wg_adc_bits"),
    "global_bus_width": Knob("hardware.global_bus_width"),
    "cell_bits": Knob("hardware.cell_bits", grid=True),
    "columns_per_adc": Knob("hardware.columns_per_adc", static=True),
    "ag_rows_per_adc": Knob("hardware.ag_rows_per_adc", static=True),
    "wg_subarray_rows": Knob("hardware.wg_subarray_rows"),
    "wg_subarray_cols": Knob("hardware.wg_subarray_cols"),
    "wg_rows_per_adc": Knob("hardware.wg_rows_per_adc", traced=False, static=True),
    "global_bus_delay_tolerance": Knob("hardware.global_bus_delay_tolerance"),
    "local_bus_delay_tolerance": Knob("hardware.local_bus_delay_tolerance"),
    "buffer_overhead_constraint": Knob("hardware.buffer_overhead_constraint"),
    "access_voltage": Knob("hardware.access_voltage"),
    "access_resistance": Knob("hardware.access_resistance"),
    "technology_node_nm": Knob("hardware.technology_node_nm"),
    "r_on": Knob("hardware.r_on"),
    "on_off_ratio": Knob("hardware.on_off_ratio"),
    "read_voltage": Knob("hardware.read_voltage"),
    "write_voltage": Knob("hardware.write_voltage"),
    "read_pulse_width": Knob("hardware.read_pulse_width"),
    "write_pulse_width": Knob("hardware.write_pulse_width"),
    "clock_hz": Knob("hardware.clock_hz"),
    "temperature_k": Knob("hardware.temperature_k"),
    "vdd_scale": Knob("hardware.vdd_scale"),
    "wire_width_nm": Knob("hardware.wire_width_nm"),
    "batch_size": Knob("data.batch_size"),
    "max_levels": Knob("device.max_level"),
    "cell_type": Knob("hardware.cell_type", traced=False, static=True),
    "mapping": Knob("hardware.mapping", traced=False, static=True),
    "global_buffer": Knob("hardware.global_buffer", traced=False, static=True),
    "tile_buffer": Knob("hardware.tile_buffer", traced=False, static=True),
    "dram": Knob("hardware.dram", traced=False, static=True),
    "roadmap": Knob("hardware.roadmap", traced=False, static=True),
    "neurosim_code": Knob("hardware.neurosim_code", traced=False, static=True),
    "read_mode": Knob("hardware.read_mode", traced=False, static=True),
    "adc_type": Knob("hardware.adc_type", traced=False, static=True),
    "parallel_bp": Knob("hardware.parallel_bp", traced=False, static=True),
    "activation": Knob("hardware.activation", traced=False, static=True),
    "pipeline": Knob("hardware.pipeline", traced=False, static=True),
    "speed_up_degree": Knob("hardware.speed_up_degree", traced=False, static=True),
    "chip_activation": Knob("hardware.chip_activation", traced=False, static=True),
    # Cell and layout knobs of Param.cpp.
    "relax_array_cell_height": Knob("hardware.relax_array_cell_height", traced=False, static=True),
    "relax_array_cell_width": Knob("hardware.relax_array_cell_width", traced=False, static=True),
    "envm_cell_height_f": Knob("hardware.envm_cell_height_f"),
    "envm_cell_width_f": Knob("hardware.envm_cell_width_f"),
    "sram_cell_height_f": Knob("hardware.sram_cell_height_f"),
    "sram_cell_width_f": Knob("hardware.sram_cell_width_f"),
    "sram_nmos_width_f": Knob("hardware.sram_nmos_width_f"),
    "sram_pmos_width_f": Knob("hardware.sram_pmos_width_f"),
    "sram_access_width_f": Knob("hardware.sram_access_width_f"),
    "sram_min_sense_voltage": Knob("hardware.sram_min_sense_voltage"),
    "fefet_gate_capacitance": Knob("hardware.fefet_gate_capacitance"),
    "fefet_polarization": Knob("hardware.fefet_polarization"),
    "tree_folded_ratio": Knob("hardware.tree_folded_ratio"),
    # Register-file buffer cores (globalBufferCoreSizeRow/Col, tileBufferCoreSizeRow/Col).
    "global_buffer_core_rows": Knob("hardware.global_buffer_core_rows", traced=False, static=True),
    "global_buffer_core_cols": Knob("hardware.global_buffer_core_cols", traced=False, static=True),
    "tile_buffer_core_rows": Knob("hardware.tile_buffer_core_rows", traced=False, static=True),
    "tile_buffer_core_cols": Knob("hardware.tile_buffer_core_cols", traced=False, static=True),
    # The access device (accesstype) and the cross-point cell.
    "access_type": Knob("hardware.access_type", traced=False, static=True),
    "crossbar_cell_height_f": Knob("hardware.crossbar_cell_height_f"),
    "crossbar_cell_width_f": Knob("hardware.crossbar_cell_width_f"),
    "crossbar_feature_size_nm": Knob("hardware.crossbar_feature_size_nm"),
    "nonlinear_iv": Knob("hardware.nonlinear_iv", traced=False, static=True),
    "nonlinearity": Knob("hardware.nonlinearity"),
}


def traced_knobs(knobs: Mapping[str, Any]) -> dict[str, jax.Array]:
    """The traced knobs of ``knobs`` as float arrays of the default dtype: the pytree
    :func:`chip_params` takes (and a sweep vmaps, an optimiser differentiates). A knob that
    follows another (:attr:`Knob.follows`) and is None is left out: :func:`chip_params` gives
    it the followed knob's (traced) value."""
    return {name: _f(knobs[name]) for name, k in KNOBS.items() if k.traced and knobs.get(name) is not None}


def resolve(knobs: Mapping[str, Any]) -> dict[str, Any]:
    """``knobs`` with every following knob (:attr:`Knob.follows`) that is None or absent set
    to the value of the knob it follows (``ag_adc_bits`` unset = ``adc_bits``): the one place
    of that rule."""
    out = dict(knobs)
    for name, spec in KNOBS.items():
        if spec.follows is not None and out.get(name) is None:
            out[name] = out[spec.follows]
    return out


@dataclasses.dataclass(frozen=True)
class Facts:
    """What the chip takes from a config besides its knobs (static, hashable).

    Attributes:
      layers: the layer table (:func:`cimjax.hw.network.network_layers`).
      synapse_bits / input_bits: weight and activation bits (float → 5 / 8).
      train_size: training images per epoch (:func:`train_size`).
      max_iterations: ``train.steps_per_epoch`` (inf when None).
    """

    layers: tuple
    synapse_bits: int
    input_bits: int
    train_size: int
    max_iterations: float = math.inf


def train_size(config: Config) -> int:
    """Training images per epoch of ``config.data`` (``data.num_train`` caps the dataset)."""
    d = config.data
    full = d.synthetic_train_size if d.name == "synthetic" else TRAIN_SIZES[d.name]
    return int(min(full, d.num_train)) if d.num_train is not None else int(full)


def iterations_per_epoch(num_train, batch_size, max_iterations=math.inf):
    """NeuroSim's ``numIteration`` as the training loop runs it: full batches,
    ``min(max(1, ⌊num_train/batch_size⌋), max_iterations)``.

    Exact for Python numbers and for float arrays; with traced arrays the floor passes the
    gradient of ``num_train/batch_size`` straight through (batch-size sweeps and gradients).
    """
    if all(isinstance(x, (int, float)) for x in (num_train, batch_size, max_iterations)):
        return min(max(1, int(num_train) // int(batch_size)), max_iterations)
    n, b = jnp.asarray(num_train, jnp.result_type(float)), jnp.asarray(batch_size, jnp.result_type(float))
    smooth = n / b
    exact = (n - jnp.remainder(n, b)) / b  # exact: n - (n mod b) is a multiple of b
    q = smooth + jax.lax.stop_gradient(exact - smooth)
    return jnp.minimum(jnp.maximum(1.0, q), max_iterations)


def precision_bits(config: Config) -> tuple[int, int]:
    """``(synapse_bits, input_bits)``: ``quant.weight_bits`` / ``activation_bits``, or NeuroSim's
    5 / 8 for float precisions."""
    q = config.quant
    w = FLOAT_FALLBACK_BITS[0] if q.is_float(q.weight_bits) else int(q.weight_bits)
    a = FLOAT_FALLBACK_BITS[1] if q.is_float(q.activation_bits) else int(q.activation_bits)
    return w, a


def facts(config: Config, layers: Optional[Sequence] = None) -> Facts:
    """The :class:`Facts` of ``config`` (``layers``: None = the model's on the data's images)."""
    if layers is None:
        from cimjax.data import dataset_image_shape

        layers = network_layers(config.model, dataset_image_shape(config.data))
    cap = config.train.steps_per_epoch
    w, a = precision_bits(config)
    return Facts(tuple(LayerShape(*layer) for layer in layers), w, a, train_size(config),
                 math.inf if cap is None else int(cap))


def field_value(config: Config, field: str) -> Any:
    """The value of ``section.field`` in ``config`` (``device.max_level``: the resolved preset's;
    ``hardware.r_on`` / ``hardware.on_off_ratio`` with ``hardware.cell_resistance = 'device'``: the
    training device's, i.e. ``device.r_on`` / ``on_off_ratio`` or its preset's). The one place of
    these rules: the estimate and the analog read both take the values from here."""
    section, name = field.split(".")
    if field == "device.max_level":
        return config.device.resolved().max_level
    if field in ("hardware.r_on", "hardware.on_off_ratio") and config.hardware.cell_resistance == "device":
        return getattr(config.device.resolved(), name)
    return getattr(getattr(config, section), name)


def knob_values(config: Config) -> dict[str, Any]:
    """Every :data:`KNOBS` value of ``config`` (concrete)."""
    return {name: field_value(config, k.field) for name, k in KNOBS.items()}


def _f(x) -> jax.Array:
    return jnp.asarray(x, jnp.result_type(float))


def _pow2(bits) -> jax.Array:
    """``2^bits``, exact at integers, differentiable (``relax.pow2``)."""
    from cimjax.hw import relax

    return relax.pow2(_f(bits))


def stored_bits(cell_bits, synapse_bits):
    """``hardware.cell_bits`` lowered to the weight bits (a cell holds at most a whole weight,
    NeuroSim's ``main.cpp``); works on numbers and traced arrays alike."""
    return jnp.minimum(cell_bits, synapse_bits)


def chip_params(knobs: Mapping[str, Any], f: Facts) -> chip.ChipParams:
    """The traced :class:`~cimjax.hw.chip.ChipParams` of knob values ``knobs`` (every traced
    knob of :data:`KNOBS`; scalars or tracers; a following knob may be None or absent,
    :func:`resolve`) and facts ``f``. Pure and jittable.

    ADC levels: forward ``levelOutput = 2^adc_bits``, transposed ``levelOutputAG =
    2^ag_adc_bits`` (NeuroSim ``ProcessingUnit.cpp`` ``ProcessingUnitInitialize`` hands them to
    the sub-array as ``levelOutput`` / ``levelOutputBP``), weight-gradient ``levelOutputWG =
    2^wg_adc_bits`` (``WeightGradientUnit.cpp`` ``Initialize``). The WG unit's adder tree runs
    the forward ``numColMuxed`` operations per read call (``WeightGradientUnit.cpp``
    ``CalculateLatency``), so ``columns_per_adc`` sets it too.

    Cells: the 1T1R (RRAM/FeFET) cell's ``heightInFeatureSize1T1R``/``widthInFeatureSize1T1R`` and
    ``gateCapFeFET`` go to the sub-array; the 6T SRAM cell (``heightInFeatureSizeSRAM`` ...
    ``minSenseVoltage``) is one :class:`~cimjax.hw.components.sram.SramCellParams` of the chip
    (``ChipParams.sram_cell``: the SRAM sub-array, the WG unit and the SRAM buffers, as NeuroSim's
    ``param`` is for all three); ``treeFoldedRatio`` is the chip H-tree's. The cross-point cell
    (``heightInFeatureSizeCrossbar`` / ``widthInFeatureSizeCrossbar`` in ``featuresize``, here in nm
    → m) and ``nonlinearity`` go to the sub-array too, read there only with ``accesstype = 4``
    (``ChipConfig.access = "none"``, from :func:`chip_config`)."""
    knobs = resolve(knobs)
    k = {name: _f(knobs[name]) for name, spec in KNOBS.items() if spec.traced}
    synapse_bits, input_bits = _f(float(f.synapse_bits)), _f(float(f.input_bits))
    defaults = chip.default_params()
    circuit = CircuitParams(node_nm=k["technology_node_nm"], vdd_scale=k["vdd_scale"], clock_hz=k["clock_hz"],
                            wire_width_nm=k["wire_width_nm"], temperature_k=k["temperature_k"])
    sub = defaults.subarray._replace(
        circuit=circuit, rows=k["subarray_rows"], cols=k["subarray_cols"], columns_per_adc=k["columns_per_adc"],
        adc_levels=_pow2(k["adc_bits"]), rows_per_adc_ag=k["ag_rows_per_adc"], adc_levels_ag=_pow2(k["ag_adc_bits"]),
        num_bit_input=input_bits, r_on=k["r_on"],
        r_off=k["r_on"] * k["on_off_ratio"], read_voltage=k["read_voltage"], read_pulse_width=k["read_pulse_width"],
        write_voltage=k["write_voltage"], write_pulse_width=k["write_pulse_width"], max_levels=k["max_levels"],
        access_voltage=k["access_voltage"], access_resistance=k["access_resistance"],
        cell_bits=stored_bits(k["cell_bits"], synapse_bits), synapse_bits=synapse_bits,
        cell_height_f=k["envm_cell_height_f"], cell_width_f=k["envm_cell_width_f"],
        gate_cap_fefet=k["fefet_gate_capacitance"], fefet_polarization=k["fefet_polarization"],
        crossbar_cell_height_f=k["crossbar_cell_height_f"], crossbar_cell_width_f=k["crossbar_cell_width_f"],
        cell_feature_size=k["crossbar_feature_size_nm"] * 1e-9, nonlinearity=k["nonlinearity"],
    )
    sram_cell = SramCellParams(height_f=k["sram_cell_height_f"], width_f=k["sram_cell_width_f"],
                               nmos_f=k["sram_nmos_width_f"], pmos_f=k["sram_pmos_width_f"],
                               access_f=k["sram_access_width_f"],
                               min_sense_voltage=k["sram_min_sense_voltage"])
    fp = defaults.floorplan._replace(
        subarray_rows=k["subarray_rows"], subarray_cols=k["subarray_cols"], synapse_bits=synapse_bits,
        cell_bits=stored_bits(k["cell_bits"], synapse_bits), columns_per_adc=k["columns_per_adc"],
        max_global_bus_width=k["global_bus_width"],
    )
    batch = k["batch_size"]
    wg = defaults.wg._replace(circuit=circuit, num_bit_input=input_bits, batch_size=batch,
                              adc_levels=_pow2(k["wg_adc_bits"]), array_rows=k["wg_subarray_rows"],
                              array_cols=k["wg_subarray_cols"], accumulation_reads=k["columns_per_adc"])
    iterations = _f(iterations_per_epoch(_f(float(f.train_size)), batch, f.max_iterations))
    return defaults._replace(circuit=circuit, subarray=sub, wg=wg, floorplan=fp, batch_size=batch,
                             num_iterations=iterations, num_bit_input=input_bits, synapse_bits=synapse_bits,
                             global_delay_tolerance=k["global_bus_delay_tolerance"],
                             local_delay_tolerance=k["local_bus_delay_tolerance"],
                             buffer_overhead_constraint=k["buffer_overhead_constraint"],
                             sram_cell=sram_cell, tree_folded_ratio=k["tree_folded_ratio"])


def chip_config(knobs: Mapping[str, Any], f: Facts) -> chip.ChipConfig:
    """The static :class:`~cimjax.hw.chip.ChipConfig` of the static and grid knobs in ``knobs``
    (concrete values) and facts ``f``; the tile grid of the reference sub-array is host-evaluated once per
    network and reference (:func:`static_grid`)."""
    knobs = resolve(knobs)
    cell_bits = int(stored_bits(int(knobs["cell_bits"]), f.synapse_bits))
    novel = knobs["mapping"] == "novel"
    reference = (int(knobs["subarray_rows"]), int(knobs["subarray_cols"]), cell_bits, f.synapse_bits)
    pipeline = (bool(knobs["pipeline"]), int(knobs["speed_up_degree"]))
    grid, side = static_grid(f.layers, novel, knobs["cell_type"], reference, pipeline)
    return chip.ChipConfig(
        layers=f.layers, cell=knobs["cell_type"], roadmap=knobs["roadmap"], novel_mapping=novel,
        global_buffer=knobs["global_buffer"], tile_buffer=knobs["tile_buffer"], dram=knobs["dram"],
        reference_subarray=reference, wg_input_bits=f.input_bits, columns_per_adc=int(knobs["columns_per_adc"]),
        rows_per_adc_ag=int(knobs["ag_rows_per_adc"]), wg_rows_per_adc=int(knobs["wg_rows_per_adc"]),
        version=knobs["neurosim_code"], adc=knobs["adc_type"], tile_grid=grid, cm_pes_per_side=side,
        read_mode=knobs["read_mode"], parallel_bp=bool(knobs["parallel_bp"]),
        # the row-by-row WG read's decoder needs the WG rows static (a traced sweep of them keeps
        # parallel_bp true, whose read does not use it)
        wg_decoder_rows=128 if knobs["parallel_bp"] else int(knobs["wg_subarray_rows"]),
        activation=knobs["activation"], pipeline=bool(knobs["pipeline"]),
        speed_up_degree=int(knobs["speed_up_degree"]), chip_activation=bool(knobs["chip_activation"]),
        relax_cell_height=bool(knobs["relax_array_cell_height"]),
        relax_cell_width=bool(knobs["relax_array_cell_width"]),
        global_buffer_core=(int(knobs["global_buffer_core_rows"]), int(knobs["global_buffer_core_cols"])),
        tile_buffer_core=(int(knobs["tile_buffer_core_rows"]), int(knobs["tile_buffer_core_cols"])),
        access=knobs["access_type"], nonlinear_iv=bool(knobs["nonlinear_iv"]),
    )


_GRIDS: dict = {}


def static_grid(layers: tuple, novel: bool, cell: str, reference: tuple,
                pipeline: tuple = (False, 1)) -> tuple[tuple[int, int], int]:
    """The chip's tile grid ``(rows, cols)`` and a CM tile's PEs per side on the reference
    sub-array ``(rows, cols, cell_bits, synapse_bits)``: the hardware's reference floorplan
    (:func:`cimjax.hw.chip.reference_floorplan`) evaluated on the host (no XLA compile),
    remembered per network and reference."""
    key = (layers, novel, cell, reference, pipeline)
    if key not in _GRIDS:
        params, fp_config = chip.reference_floorplan(layers, novel, cell, reference, pipeline)
        _GRIDS[key] = chip.static_grid(host_eval.call(lambda p: floorplan(p, fp_config), params))
    return _GRIDS[key]


def evaluate_floorplan(params: chip.ChipParams, cc: chip.ChipConfig) -> Floorplan:
    """NeuroSim's floorplan of ``cc.layers`` on the chip ``params`` (concrete values, host-evaluated)."""
    return host_eval.call(lambda p: floorplan(*chip.floorplan_inputs(p, cc)), params)


@dataclasses.dataclass(frozen=True)
class ChipBuild:
    """Everything the estimator needs for one config (from :func:`build`).

    Attributes:
      config: the experiment config.
      facts: its :class:`Facts`.
      knobs: its :data:`KNOBS` values (concrete).
      params: traced :class:`~cimjax.hw.chip.ChipParams`.
      chip: static :class:`~cimjax.hw.chip.ChipConfig`.
      trace: the trace the estimate uses (a run's, or :func:`cimjax.trace.default_trace`).
      trace_source: where the trace came from, for people.
      algorithm: what the training rule (``train.optimizer``) adds to the chip per image, read
        and update (:func:`algorithm_counts`).
      measured: what the rule did in one epoch of a training run (``algorithm_counts.csv``,
        :func:`measured_from_run`), or None (the estimate uses the bounds of ``algorithm``).
    """

    config: Config
    facts: Facts
    knobs: Mapping[str, Any]
    params: chip.ChipParams
    chip: chip.ChipConfig
    trace: trace_lib.Trace
    trace_source: str
    algorithm: Optional[AlgorithmCounts] = None
    measured: Optional[MeasuredCounts] = None

    @property
    def layers(self) -> tuple:
        return self.facts.layers

    @property
    def iterations_per_epoch(self) -> int:
        return int(np.asarray(self.params.num_iterations))

    @property
    def images_per_epoch(self) -> int:
        """Training images per epoch the estimate counts (``batchSize·numIteration``)."""
        return int(np.asarray(self.params.batch_size)) * self.iterations_per_epoch

    def floorplan_inputs(self):
        """``(FloorplanParams, FloorplanConfig)`` of this chip."""
        return chip.floorplan_inputs(self.params, self.chip)

    def floorplan(self) -> Floorplan:
        """NeuroSim's floorplan of the network on this chip (concrete values)."""
        return evaluate_floorplan(self.params, self.chip)


def build(config: Config, layers: Optional[Sequence] = None, trace: Optional[trace_lib.Trace] = None,
          trace_source: Optional[str] = None) -> ChipBuild:
    """The :class:`ChipBuild` of ``config``.

    Args:
      config: the experiment config.
      layers: the layer table; None = the model's on the data's image shape.
      trace: the estimate's trace; None = :func:`cimjax.trace.default_trace`.
      trace_source: a description of ``trace`` for reports.

    Raises:
      ValueError: a trace whose layer count is not the network's.
    """
    f = facts(config, layers)
    knobs = knob_values(config)
    n = len(f.layers)
    if trace is None:
        trace = trace_lib.default_trace(n)
        trace_source = ("NeuroSim V2.0 default-run activities" if n == len(trace_lib.DEFAULT_RUN_ACTIVITIES)
                        else "input activity 0.5") + ", no weight update"
    elif trace.num_layers != n:
        raise ConfigError(f"the trace has {trace.num_layers} layers, the config's network {n}")
    return ChipBuild(config, f, knobs, chip_params(knobs, f), chip_config(knobs, f), trace,
                     trace_source or "given trace", algorithm_counts(config, f))


#: AGAD's per-weight words besides ``H``: the current period's weighted mean and mean square and
#: the previous period's mean and variance (:class:`cimjax.optim.analog_algorithms.AgadStats`).
AGAD_STAT_WORDS = 4


def algorithm_counts(config: Config, f: Optional[Facts] = None) -> AlgorithmCounts:
    """What ``train.optimizer`` adds to the chip (:class:`cimjax.hw.algorithm_cost.AlgorithmCounts`;
    docs/algorithms.md "Hardware cost").

    The counts follow the rule's schedule in :mod:`cimjax.optim.analog_algorithms`, with the
    hyper-parameters of :meth:`~cimjax.optim.analog_algorithms.AnalogAlgorithm.of_config`
    (the trainer's). ``neurosim`` and ``sgd`` are NeuroSim's single array: nothing is added, and
    one update gives a cell at most ``device.max_level`` pulses (the whole range). Per layer with
    ``n_in = C_in·K·K`` inputs, ``C_out`` outputs and ``n_w = n_in·C_out`` weights:

    * ``analog_sgd``: at most ``bl`` pulses per update to ``C``.
    * ``mixed_precision``: ``χ`` holds ``n_w`` words, and every update reads and writes all of them;
      at most ``bl`` pulses per update to ``C``.
    * the TT family: one more array (``A``, at most ``bl`` pulses per update), ``1/transfer_every``
      column reads per image, each committing at most ``transfer_bl`` pulses to a cell of ``C``.
      ``ttv2`` and ``cttv2`` keep ``H`` (``n_w`` words); each read reads and writes ``C_out``.
      ``cttv2`` adds its ``n_in`` one-bit choppers (``n_in/32`` words). ``agad`` adds
      :data:`AGAD_STAT_WORDS` words per weight and ``w_sum``, ``k`` per column, and the choppers.
      Each read reads ``H`` and the four statistics (``5·C_out + 2``) and writes ``H``, the current
      period's two (``3·C_out + 2``) and, at a period's end (every ``P``-th read), the previous
      period's two (``2·C_out/P``). ``ttv1`` has no buffer.

    With ``train.update_mode = 'stochastic'`` every row of an update (a sample; a conv layer's
    output position) sends its own train of at most ``bl`` pulses
    (:func:`cimjax.optim.analog_algorithms.step_samples`), so the gradient update's bound is
    ``bl`` times the most rows of any layer, ``data.batch_size·max(output positions)`` (one
    scalar for all layers: loose for the dense ones of a VGG-8).
    """
    from cimjax.optim.analog_algorithms import ALGORITHMS, AnalogAlgorithm

    f = facts(config) if f is None else f
    n_in = np.asarray([float(l.in_channels * l.kernel_h * l.kernel_w) for l in f.layers])
    c_out = np.asarray([float(l.out_channels) for l in f.layers])
    n_w = n_in * c_out
    zero = np.zeros_like(n_in)
    name = config.train.optimizer
    words = dict(buffer_words=zero, read_words_per_read=zero, write_words_per_read=zero,
                 read_words_per_update=zero, write_words_per_update=zero)
    if name not in ALGORITHMS:  # neurosim, sgd: NeuroSim's update of one array
        return AlgorithmCounts(0.0, 0.0, 0.0, **words, pulses_per_update_a=0.0,
                               pulses_per_update_c=float(config.device.resolved().max_level))
    alg = AnalogAlgorithm.of_config(config)
    if name == "mixed_precision":
        words.update(buffer_words=n_w, read_words_per_update=n_w, write_words_per_update=n_w)
    if name in ("ttv2", "cttv2"):
        words.update(buffer_words=n_w + (n_in / 32.0 if name == "cttv2" else 0.0),
                     read_words_per_read=c_out, write_words_per_read=c_out)
    if name == "agad":
        period = float(alg.agad_period)
        words.update(buffer_words=(1 + AGAD_STAT_WORDS) * n_w + 2.0 * n_in + n_in / 32.0,
                     read_words_per_read=(1 + AGAD_STAT_WORDS) * c_out + 2.0,
                     write_words_per_read=3.0 * c_out + 2.0 + 2.0 * c_out / period)
    per_update = float(alg.bl)
    if alg.update_mode == "stochastic" and name != "mixed_precision":  # MP sends χ's rounded counts
        per_update *= float(config.data.batch_size * max(l.output_positions for l in f.layers))
    if alg.has_a:
        return AlgorithmCounts(1.0, 1.0 / alg.transfer_every, float(alg.transfer_bl), **words,
                               pulses_per_update_a=per_update, pulses_per_update_c=0.0)
    return AlgorithmCounts(0.0, 0.0, 0.0, **words, pulses_per_update_a=0.0, pulses_per_update_c=per_update)


# ---------------------------------------------------------------------------------------
# Run directories


def _last_row(path: str, epoch: Optional[int], what: str = "CSV file",
              check_header=None) -> tuple[list[str], list[float], int]:
    """``(header, values, row number)`` of the row of ``epoch`` (the last if None) of a run's
    per-epoch CSV file, read by :func:`cimjax.fileio.read_csv` (errors name the row and column)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: not found (is this a cimjax training run directory?)")
    header, body = fileio.read_csv(path, what=what, check_header=check_header)
    if not body:
        raise ConfigError(f"{path}: no finished epoch recorded yet")
    # rows as numbered in the file (header = row 1, blank lines skipped by the reader but counted)
    numbers = _row_numbers(path)
    if epoch is None:
        return header, body[-1], numbers[len(body) - 1]
    for i, r in enumerate(body):
        if int(r[0]) == epoch:
            return header, r, numbers[i]
    raise ConfigError(f"{path}: no row for epoch {epoch} (epochs recorded: {[int(r[0]) for r in body]})")


def _row_numbers(path: str) -> list[int]:
    """The line numbers of the non-blank lines after the header (the rows of a CSV file)."""
    with open(path, encoding="utf-8") as f:
        numbers = [i for i, line in enumerate(f, 1) if line.strip()]
    return numbers[1:]


def _trace_header_problem(header: list[str]) -> Optional[str]:
    """What is wrong with the header of ``hardware_trace.csv`` (None if nothing)."""
    fields = trace_lib.Trace._fields
    if header[0] != "epoch":
        return f"expected 'epoch' first, got {header[0][:40]!r}"
    for name in header[1:]:
        if not any(name.startswith(f + "_") for f in fields):
            return f"column {name[:40]!r} is no trace field (expected FIELD_LAYER with FIELD one of {', '.join(fields)})"
    return None


def _trace_field(column: str) -> str:
    """The :class:`~cimjax.trace.Trace` field of a ``hardware_trace.csv`` column (``write_pulses_fc1``)."""
    return max((f for f in trace_lib.Trace._fields if column.startswith(f + "_")), key=len)


def trace_from_run(run_dir: str, num_layers: int, epoch: Optional[int] = None) -> trace_lib.Trace:
    """The :class:`~cimjax.trace.Trace` a training run recorded for ``epoch`` (last if None).

    Reads ``hardware_trace.csv`` (every trace field per layer, written by ``cimjax train``:
    the :class:`~cimjax.trace.Trace` fields in order, each for every layer). Files of runs
    before the read occupancy was recorded hold the first 6 fields; their occupancy is 1
    (i.i.d.-like input bits, the estimator's earlier assumption); files before the written-cell
    statistics the first 7 (no FeFET polarisation energy: :func:`cimjax.trace.from_row`). Runs without the file (older
    runs) fall back to ``input_activity.csv`` for the activities and ``weight_dist.csv`` for
    the level (the per-layer weight mean ``m`` gives ``(m + 1)/2``), with no weight update
    and occupancy 1.

    Every value is checked on load: a number, finite, and in its field's range
    (:func:`cimjax.trace.field_range`); an error names the file, the row and the column.

    Raises:
      FileNotFoundError: neither file is there;
      InputError: an empty, binary or garbled file; a value that is no finite number or outside
        its field's range (naming the row and the column); no (such) epoch; a row whose value
        count is not 9, 7 or 6 per layer.
    """
    path = os.path.join(run_dir, "hardware_trace.csv")
    if os.path.exists(path):
        header, row, n = _last_row(path, epoch, "hardware trace", _trace_header_problem)
        for name, value in zip(header[1:], row[1:]):
            lo, hi = trace_lib.field_range(_trace_field(name))
            if not lo <= value <= hi:
                raise ConfigError(f"{path}: row {n}, column {name}: {value!r} is outside [{lo:g}, {hi:g}]")
        try:
            return trace_lib.from_row(row[1:], num_layers)
        except ValueError as e:
            raise ConfigError(f"{path}: row {n}: {e}") from e
    _, act, _ = _last_row(os.path.join(run_dir, "input_activity.csv"), epoch)
    _, wd, _ = _last_row(os.path.join(run_dir, "weight_dist.csv"), epoch)
    activity = act[1:]
    if len(activity) != num_layers:
        raise ConfigError(f"{run_dir}: the trace has {len(activity)} layers, the config's network {num_layers}")
    level = np.clip((np.asarray(wd[1:1 + num_layers]) + 1.0) / 2.0, 0.0, 1.0)
    return trace_lib.make_trace(np.clip(activity, 0.0, 1.0), level)


def build_run(run_dir: str, epoch: Optional[int] = None, config: Optional[Config] = None) -> ChipBuild:
    """The :class:`ChipBuild` of a training run: its saved ``config.json`` (or ``config``) with
    the trace it recorded for ``epoch`` (the last when None; :func:`trace_from_run`) and, when
    the run trained the same ``train.optimizer``, the rule's counts it measured in that epoch
    (:func:`measured_from_run`)."""
    config = load_config(run_dir) if config is None else config
    f = facts(config)
    trace = trace_from_run(run_dir, len(f.layers), epoch=epoch)
    source = f"trace of {run_dir}" + (f", epoch {epoch}" if epoch is not None else ", last epoch")
    b = build(config, layers=f.layers, trace=trace, trace_source=source)
    saved = os.path.join(run_dir, "config.json")
    # the run's counts belong to its rule: a config with another train.optimizer keeps the bounds
    same_rule = os.path.isfile(saved) and load_config(saved).train.optimizer == config.train.optimizer
    return dataclasses.replace(b, measured=measured_from_run(run_dir, len(f.layers), epoch) if same_rule else None)


def measured_from_run(run_dir: str, num_layers: int, epoch: Optional[int] = None) -> Optional[MeasuredCounts]:
    """The :class:`~cimjax.hw.algorithm_cost.MeasuredCounts` a run of an in-situ rule recorded
    for ``epoch`` (the last if None) in ``algorithm_counts.csv``; None when the run has no such
    file (``neurosim``/``sgd`` runs, runs from before it was written).

    Raises:
      InputError: a garbled file, a negative count, or a row of the wrong length (naming the
        file and row); no such epoch.
    """
    path = os.path.join(run_dir, "algorithm_counts.csv")
    if not os.path.exists(path):
        return None
    header, row, n = _last_row(path, epoch, "algorithm counts")
    expected = len(measured_columns(range(num_layers)))
    if header[0] != "epoch" or len(header) != 1 + expected:
        raise ConfigError(f"{path}: {len(header) - 1} columns, expected 'epoch' and {expected} "
                          f"(the counts of {num_layers} layers)")
    for name, value in zip(header[1:], row[1:]):
        if value < 0:
            raise ConfigError(f"{path}: row {n}, column {name}: {value!r} is negative (a count)")
    return measured_from_row(row[1:], num_layers)
