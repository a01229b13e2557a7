"""The ``hardware`` and ``array`` sections of the experiment config: the chip the estimator
costs and how a trained network's products run on its analog arrays (the rest of the config is
:mod:`cimjax.config.schema`)."""

from __future__ import annotations

from cimjax.analog.config import ADC_MODES as ARRAY_ADC_MODES
from cimjax.analog.config import ADC_RANGES as ARRAY_ADC_RANGES
from cimjax.analog.config import DRIFT_MODES as ARRAY_DRIFT_MODES
from cimjax.analog.config import LEVEL_MAPPINGS as ARRAY_LEVEL_MAPPINGS
from cimjax.analog.config import MAPPINGS as ARRAY_MAPPINGS
from cimjax.analog.config import NONLINEAR_ADC_BITS
from cimjax.config import _validate as v
from cimjax.hw import neurosim_version, tech
from cimjax.hw.components.params import ADC_KINDS

CELL_TYPES = ("sram", "rram", "fefet")
MAPPINGS = ("conventional", "novel")
BUFFER_TYPES = ("register_file", "sram")
DRAM_TYPES = ("hbm2", "gddr5")
#: NeuroSim code versions the estimator can follow (``hardware.neurosim_code``).
NEUROSIM_CODES = neurosim_version.NAMES
ARRAY_MODES = ("ideal", "hw_forward", "hw_full")
# Cell types the hardware estimator models (cimjax.hw.components.subarray; SRAM in subarray_sram).
ESTIMATOR_CELL_TYPES = ("rram", "fefet", "sram")
# Technology nodes NeuroSim tabulates (docs/model.md §5.9); values in between are interpolated.
TECH_NODE_RANGE_NM = (7, 130)
#: ADC precisions (``hardware.adc_bits``, ``hardware.wg_adc_bits``): the one rule for the config
#: and the sweep grid (:mod:`cimjax.dse.params`). The MLSA ladder is evaluated up to 4096 levels;
#: its fits were made on 2–256 levels (8 bits), beyond which the estimate extrapolates.
ADC_BITS_RANGE = (1, 12)
#: Read ADCs (``hardware.adc_type``): NeuroSim's multilevel sense amplifier (current or V2.1's
#: voltage mode) or V2.1's SAR ADC.
ADC_TYPES = ADC_KINDS
#: NeuroSim's transistor roadmaps (``deviceroadmap``): low standby power (V2.0) or high performance.
ROADMAPS = tech.ROADMAPS
#: hardware.temperature_k, K: the span of NeuroSim's transistor tables (cimjax.hw.tech).
TEMPERATURE_RANGE_K = tech.TEMPERATURE_RANGE_K
#: NeuroSim's conventional read modes (``operationmode`` 2 / 1): all rows at once through the
#: multilevel sense amplifiers, or row by row with an adder and DFF per ADC
#: (:mod:`cimjax.hw.components.subarray_sequential`).
READ_MODES = ("parallel", "sequential")
#: Where the estimate takes the cell's R_on and on/off ratio from (``hardware.cell_resistance``).
CELL_RESISTANCE_SOURCES = ("hardware", "device")
#: The chip-level activation unit the estimate costs (``hardware.activation``, NeuroSim's ``reLu``).
ACTIVATIONS = ("relu", "sigmoid")
#: NeuroSim's ``accesstype`` (1 CMOS, 2 BJT, 3 diode, 4 none) as ``hardware.access_type``; the
#: estimator models ``cmos`` and ``none`` (:data:`cimjax.hw.components.subarray_types.ACCESS_TYPES`).
ACCESS_TYPE_NAMES = ("cmos", "bjt", "diode", "none")


@v.frozen
class HardwareConfig:
    """The chip the estimator costs (docs/model.md §5.3; defaults = NeuroSim V2.0 ``Param.cpp``).

    Attributes:
      cell_type: ``rram`` (1T1R eNVM), ``fefet`` or ``sram``.
      technology_node_nm: CMOS node in nm, [7, 130].
      subarray_rows / subarray_cols: sub-array size, a power of two in [16, 2048].
      adc_bits: ADC (multilevel sense amplifier) precision, [1, 12] (:data:`ADC_BITS_RANGE`).
      cell_bits: bits per cell, [1, 8] (SRAM forces 1).
      columns_per_adc: columns sharing one ADC through the mux, a power of two in [1, 256].
      r_on / on_off_ratio: cell resistance in ohm and R_off/R_on for the estimator (NeuroSim's
        ``Param.cpp`` ``resistanceOn`` / ``resistanceOff``), used while ``cell_resistance`` is
        ``hardware``.
      cell_resistance: ``hardware`` (default: ``hardware.r_on`` / ``on_off_ratio``, NeuroSim's
        ``Param.cpp`` values, independent of the training device as in NeuroSim) or ``device``
        (the training device's: ``device.r_on`` / ``device.on_off_ratio``, or its preset's
        values when those are unset; ``hardware.r_on`` / ``on_off_ratio`` must then stay at their
        defaults). :func:`cimjax.build.field_value` is the one place of this rule.
      read_voltage / write_voltage: volts, (0, 10].
      read_pulse_width / write_pulse_width: seconds, (0, 1].
      clock_hz: (0, 1e11].
      temperature_k: NeuroSim's ``temp``, K, [300, 400] in every version: the span of NeuroSim's
        transistor tables (the off-currents in V2.0 and V2.1, V2.1's FinFET on-currents;
        ``cimjax.hw.tech``), outside which NeuroSim's ``formula.cpp`` exits. 301 = V2.0's
        ``Param.cpp``; V2.1's ships 300.
      mapping: ``conventional`` or ``novel`` (NeuroSim's novelMapping).
      global_buffer: ``register_file`` or ``sram`` (NeuroSim's ``globalBufferType``).
      tile_buffer: the tile input/output buffers, ``register_file`` (NeuroSim's ``peBufferType =
        false``, the default) or ``sram`` (``peBufferType = true``: SRAM arrays whose read and write
        are costed apart, ``cimjax.hw.tile_geometry.plan_buffer``; their cell is the
        ``sram_cell_*`` one).
      dram: ``hbm2`` or ``gddr5``.
      wg_adc_bits: precision of the weight-gradient unit's ADC (NeuroSim's ``levelOutputWG =
        2^wg_adc_bits``; 16 levels in V2.0's ``Param.cpp``), [1, 12].
      global_bus_width: the widest global bus, wires (NeuroSim's ``maxGlobalBusWidth``: 8192 in
        V2.0, 2048 in the first public ``Param.cpp`` of March 2020), [1, 65536].
      roadmap: transistor roadmap, ``LSTP`` (NeuroSim V2.0's) or ``HP`` (``deviceroadmap``).
      vdd_scale: multiplier on the node's supply voltage, [0.5, 2] (1 = NeuroSim's table).
      wire_width_nm: local wire width in nm, [14, 200] (40 = cimjax's default at every node).
      ag_adc_bits: precision of the transposed-read (AG, activation-gradient) ADC: NeuroSim's
        ``levelOutputAG = 2^ag_adc_bits`` (64 levels in V2.0's ``Param.cpp``; ``ProcessingUnit.cpp``
        ``ProcessingUnitInitialize`` hands it to the sub-array as ``levelOutputBP``), [1, 12], or
        None (default) = the same as ``adc_bits``, so ``--set hardware.adc_bits=B`` moves both
        ADCs. NeuroSim's run with ``levelOutput = 16`` alone is ``adc_bits = 4, ag_adc_bits = 6``.
        In training with ``array.mode = hw_full`` the transposed read of the analog emulation
        uses it too.
      ag_rows_per_adc: rows sharing one ADC of the transposed read (NeuroSim's ``numRowMuxedAG``,
        8), a power of two in [1, 256], at most ``subarray_rows``; independent of
        ``columns_per_adc`` (``numColMuxed``), as in NeuroSim.
      wg_subarray_rows / wg_subarray_cols: rows and columns of one SRAM array of the
        weight-gradient unit (NeuroSim's ``numRowSubArrayWG`` / ``numColSubArrayWG``, 128 each;
        ``WeightGradientUnit.cpp`` ``Initialize``), a power of two in [16, 2048]; independent of
        the forward sub-array size.
      wg_rows_per_adc: columns sharing one ADC in the weight-gradient unit (NeuroSim's
        ``numRowMuxedWG``, 8), a power of two in [2, 256], at most ``wg_subarray_cols``.
      global_bus_delay_tolerance / local_bus_delay_tolerance: accepted extra delay of the
        repeated wires of the chip-level H-tree (tiles) and of the tile-level H-tree and buses
        (PEs): the repeater is relaxed until the wire is ``(1 + tolerance)`` times the optimal
        delay, saving energy (NeuroSim's ``globalBusDelayTolerance`` / ``localBusDelayTolerance``,
        0.1 each; ``HTree.cpp``/``Bus.cpp`` ``Initialize``), [0, 10] (0 = the optimal repeater).
      buffer_overhead_constraint: NeuroSim's ``bufferOverHeadConstraint`` (1): the global
        buffer's weight-gradient overhead (and ``numArrayWriteParallel``) is doubled while the
        buffer is below ``(1 + N)`` times its inference size (``Chip.cpp`` ``ChipInitialize``),
        [0, 1024].
      access_voltage: gate voltage of the 1T1R access transistor, V (NeuroSim's
        ``accessVoltage``, 1.1; the energy of the TGs that pass it to the access gates,
        ``NewSwitchMatrix.cpp`` ``CalculatePower``), (0, 10].
      access_resistance: on-resistance of the 1T1R access transistor, ohm (NeuroSim's
        ``resistanceAccess``, 15 kΩ; added to an RRAM cell's path in the column resistance the
        sense amplifier sees, ``ProcessingUnit.cpp`` ``GetColumnResistance``), [0, 1e9].
      neurosim_code: which NeuroSim code the estimator's models follow: ``current`` (V2.0's
        present code, checked against its default run), ``march2020`` (V2.0's first public
        release, bf95f9c, which computed the user manual's Fig. 34; it differs in the models
        its docstrings name: sense amplifier, H-trees, PE/tile roll-up) or ``v2_1``
        (NeuroSim V2.1, 18289cb: no AG on the first layer, wider accumulators, ...;
        ``configs/neurosim_v21.py`` is its shipped ``Param.cpp``). docs/neurosim_versions.md
        lists every difference.
      read_mode: ``parallel`` (NeuroSim's ``operationmode = 2``, ``conventionalParallel``: every
        active row at once, one multilevel sense amplifier per ``columns_per_adc`` columns) or
        ``sequential`` (``operationmode = 1``, ``conventionalSequential``: one row at a time,
        each read sensed at ``2^cell_bits`` levels and summed by an adder and DFF per ADC;
        ``hardware.adc_bits`` / ``ag_adc_bits`` are then unused; SRAM: one voltage sense
        amplifier per column and an adder per weight).
      adc_type: the read ADC of the eNVM/FeFET sub-arrays (forward and transposed) and of the
        weight-gradient unit: ``mlsa`` (NeuroSim's multilevel current-sense amplifier, the
        default of V2.0 and V2.1), ``mlsa_voltage`` (the same flash ADC with voltage-mode sense
        amplifiers, NeuroSim V2.1's ``currentMode = false``) or ``sar`` (NeuroSim V2.1's
        ``SARADC = true``: a SAR ADC of ``log2 L + 1`` cycles per conversion, ``SarADC.cpp``).
        The SRAM sub-array's sense amplifiers are not affected.
      parallel_bp: NeuroSim's ``parallelBP`` (default True). False (eNVM/FeFET cells only; SRAM
        is a ConfigError, not modelled): the transposed (AG) read of the parallel sub-array
        becomes row by row (``SubArray.cpp``, ``conventionalParallel`` with ``!parallelBP``: MLSAs
        of ``2^cell_bits`` levels, an adder and DFF per ADC, the chain of
        :mod:`cimjax.hw.components.subarray_sequential`; ``hardware.ag_adc_bits`` is then
        unused; with ``read_mode = sequential`` the AG read is row by row either way), and the
        weight-gradient unit reads its SRAM arrays row by row with sense amplifiers, adders and
        DFFs (``WeightGradientUnit.cpp`` ``!parallelBP`` branches,
        :func:`cimjax.hw.components.wg_unit.wg_array_row_by_row`; ``hardware.wg_adc_bits`` is then
        unused and ``wg_rows_per_adc`` only sets its adder trees' count, as NeuroSim's
        ``numRowMuxedWG`` does there).
      activation: the chip-level activation unit the *estimate* costs (NeuroSim's ``reLu``):
        ``relu`` (``reLu = true``, default: ``numBitInput``-bit registers, ``BitShifter.cpp``)
        or ``sigmoid`` (``reLu = false``: look-up tables read through voltage sense amplifiers,
        ``Sigmoid.cpp``, :mod:`cimjax.hw.components.sigmoid`). The trained network's
        activation is the model config's whatever this says: NeuroSim itself costs a sigmoid
        chip on the activations of its ReLU-trained network (its wrapper's VGG-8,
        ``Training_pytorch/cifar/model.py``, has ReLUs only), and so does cimjax.
      chip_activation: NeuroSim's ``chipActivation`` (default True: the activation unit at chip
        level). False puts a ReLU in every tile (``Tile.cpp``: ``⌈peSize·numColSubArray/
        numColMuxed⌉`` units of ``numBitInput`` DFFs), whose output buffer then holds activations,
        and the global accumulator adds ``numBitInput``-bit activations (``Chip.cpp``); with
        ``activation = 'sigmoid'`` a ConfigError (the tiles' sigmoid tables are not modelled).
      pipeline: NeuroSim's ``pipeline`` (default False, layer by layer): True costs the
        pipelined chip (``Chip.cpp``, ``main.cpp``; docs/neurosim_params.md "Pipeline"): the
        layers' copies of ``speed_up_degree``, the global buffer, bus and accumulator sized for all
        layers at once, the weight-gradient unit sized on the first layer, and an epoch's forward
        and activation-gradient latency the slowest layer's (weight gradient and update stay
        summed), with the idle layers' leakage.
      speed_up_degree: NeuroSim's ``speedUpDegree`` (1), [1, 1024], read only with ``pipeline``:
        the first layer's input rows over the ones each copy handles; NeuroSim (and cimjax) lower
        it to ``⌊IFM_0/min IFM⌋`` (:func:`cimjax.hw.floorplan.pipeline_speedups`).

    Cell and layout knobs of ``Param.cpp`` (NeuroSim V2.0's values by default):

      relax_array_cell_height / relax_array_cell_width: NeuroSim's ``relaxArrayCellHeight`` /
        ``relaxArrayCellWidth`` (0 = False): the sub-array is laid out with cells at least as
        tall (28F, a standard cell) / wide (1T1R and FeFET 15.2F, SRAM 7.6F) as its periphery's
        pitch (``SubArray.cpp`` ``Initialize``;
        :func:`cimjax.hw.components.subarray_geometry.layout_cell_size`).
      envm_cell_height_f / envm_cell_width_f: the 1T1R (RRAM, FeFET) cell, F (``heightInFeatureSize1T1R``
        / ``widthInFeatureSize1T1R``, 4 each), [1, 100]. The access transistor
        (``0.2·R_on,n(1F)/(0.25·R_on)`` wide) must fit the width, or NeuroSim aborts
        (:func:`cimjax.hw.components.subarray.check_subarray_params`).
      sram_cell_height_f / sram_cell_width_f: the 6T SRAM cell, F (``heightInFeatureSizeSRAM`` 8 /
        ``widthInFeatureSizeSRAM`` 20), [1, 100]: the SRAM sub-array's cells, the weight-gradient
        unit's arrays and the SRAM buffers.
      sram_nmos_width_f / sram_pmos_width_f / sram_access_width_f: its pull-down, pull-up and
        access transistors, F (``widthSRAMCellNMOS`` 2.08, ``widthSRAMCellPMOS`` 1.23,
        ``widthAccessCMOS`` 1.31), (0, 100].
      sram_min_sense_voltage: the bit-line swing the SRAM sense amplifiers resolve, V
        (``minSenseVoltage`` 0.1), (0, 0.5].
      fefet_gate_capacitance: a FeFET cell's gate capacitance charged on the write lines, F
        (``gateCapFeFET`` 2.1717e-18; ``ProcessingUnit.cpp`` ``GetWriteUpdateEstimation``),
        [0, 1e-12]; read only with ``cell_type = 'fefet'``.
      fefet_polarization: a FeFET cell's remanent polarisation, µC/cm² (NeuroSim V2.1's
        ``polarization`` 20, not in V2.0's ``Param.cpp``), [0, 100]: the polarisation energy
        of a written cell; read only with ``cell_type = 'fefet'`` and ``neurosim_code = 'v2_1'``
        (docs/neurosim_versions.md).
      tree_folded_ratio: the chip-level H-tree's routing channel is folded this many times in its
        area (``treeFoldedRatio`` 4; ``Chip.cpp`` ``ChipCalculateArea``), [1, 1024].
      global_buffer_core_rows / global_buffer_core_cols: a global buffer core, bits
        (``globalBufferCoreSizeRow`` / ``globalBufferCoreSizeCol``, 128 each): NeuroSim builds
        ``⌈buffer bits/(rows·cols)⌉`` cores of ``rows·cols`` bits read ``cols`` bits a line
        (``Chip.cpp`` ``ChipInitialize``: ``Buffer::Initialize(Row·Col, Col, …)``); rows in
        [2, 65536] (the line decoder), cols in [1, 65536].
      tile_buffer_core_rows / tile_buffer_core_cols: a tile input/output buffer core, bits
        (``tileBufferCoreSizeRow`` / ``tileBufferCoreSizeCol``, 32 each; ``Tile.cpp``
        ``TileInitialize``), the same ranges.

    The eNVM cell's access device (``Param.cpp`` ``accesstype``; docs/neurosim_params.md
    "Cross-point array"):

      access_type: ``cmos`` (``accesstype = 1``, the 1T1R cell) or ``none`` (4, a cross-point
        array: :func:`cimjax.hw.components.subarray_geometry.cross_point_geometry`, the classic
        WL switch matrix, V/2 write biasing). ``bjt`` (2) and ``diode`` (3) are ConfigErrors:
        NeuroSim V2.0 has no model of either and computes them as the cross-point array (use
        ``none``). ``none`` needs ``cell_type = 'rram'`` (or ``'sram'``, which ignores it, as
        NeuroSim does), ``read_mode = 'parallel'`` and ``neurosim_code = 'current'``.
      crossbar_cell_height_f / crossbar_cell_width_f: the cross-point cell, in units of
        ``crossbar_feature_size_nm`` (``heightInFeatureSizeCrossbar`` / ``widthInFeatureSizeCrossbar``,
        2 each), [1, 100]; read only with ``access_type = 'none'``.
      crossbar_feature_size_nm: the cross-point cell's feature size, nm (``featuresize`` 40e-9 m),
        [1, 1000]; read only with ``access_type = 'none'``.
      nonlinear_iv / nonlinearity: the cross-point cell's I–V nonlinearity (``nonlinearIV`` false;
        ``nonlinearity`` 10, the current ratio at ``V_w`` and ``V_w/2``, [1, 1000]): the write's
        half-selected cells see ``R(V_w/2)`` (``formula.cpp`` ``NonlinearResistance``); read only
        with ``access_type = 'none'``.
    """

    cell_type: str = "rram"
    technology_node_nm: float = 32.0
    subarray_rows: int = 128
    subarray_cols: int = 128
    adc_bits: int = 6
    cell_bits: int = 5
    columns_per_adc: int = 8
    r_on: float = 100e3
    on_off_ratio: float = 10.0
    read_voltage: float = 0.5
    write_voltage: float = 4.0
    read_pulse_width: float = 10e-9
    write_pulse_width: float = 50e-9
    clock_hz: float = 1e9
    temperature_k: float = 301.0
    mapping: str = "novel"
    global_buffer: str = "register_file"
    tile_buffer: str = "register_file"
    dram: str = "hbm2"
    wg_adc_bits: int = 4
    global_bus_width: int = 8192
    roadmap: str = "LSTP"
    vdd_scale: float = 1.0
    wire_width_nm: float = 40.0
    neurosim_code: str = "current"
    ag_adc_bits: int | None = None
    ag_rows_per_adc: int = 8
    wg_subarray_rows: int = 128
    wg_subarray_cols: int = 128
    wg_rows_per_adc: int = 8
    global_bus_delay_tolerance: float = 0.1
    local_bus_delay_tolerance: float = 0.1
    buffer_overhead_constraint: float = 1.0
    access_voltage: float = 1.1
    access_resistance: float = 15e3
    read_mode: str = "parallel"
    cell_resistance: str = "hardware"
    adc_type: str = "mlsa"
    parallel_bp: bool = True
    # NeuroSim's activation and pipeline knobs (issue 15, pipe15).
    activation: str = "relu"
    pipeline: bool = False
    speed_up_degree: int = 1
    chip_activation: bool = True
    # Cell and layout knobs of Param.cpp (NeuroSim V2.0's values).
    relax_array_cell_height: bool = False
    relax_array_cell_width: bool = False
    envm_cell_height_f: float = 4.0
    envm_cell_width_f: float = 4.0
    sram_cell_height_f: float = 8.0
    sram_cell_width_f: float = 20.0
    sram_nmos_width_f: float = 2.08
    sram_pmos_width_f: float = 1.23
    sram_access_width_f: float = 1.31
    sram_min_sense_voltage: float = 0.1
    fefet_gate_capacitance: float = 2.1717e-18
    fefet_polarization: float = 20.0
    tree_folded_ratio: float = 4.0
    global_buffer_core_rows: int = 128
    global_buffer_core_cols: int = 128
    tile_buffer_core_rows: int = 32
    tile_buffer_core_cols: int = 32
    # The access device of Param.cpp (accesstype) and the cross-point cell.
    access_type: str = "cmos"
    crossbar_cell_height_f: float = 2.0
    crossbar_cell_width_f: float = 2.0
    crossbar_feature_size_nm: float = 40.0
    nonlinear_iv: bool = False
    nonlinearity: float = 10.0

    def __post_init__(self):
        v.check_choice("hardware.cell_type", self.cell_type, CELL_TYPES)
        lo, hi = TECH_NODE_RANGE_NM
        v.check_float("hardware.technology_node_nm", self.technology_node_nm, lo, hi)
        v.check_power_of_two("hardware.subarray_rows", self.subarray_rows, 16, 2048)
        v.check_power_of_two("hardware.subarray_cols", self.subarray_cols, 16, 2048)
        v.check_int("hardware.adc_bits", self.adc_bits, *ADC_BITS_RANGE)
        v.check_int("hardware.cell_bits", self.cell_bits, 1, 8)
        v.check_power_of_two("hardware.columns_per_adc", self.columns_per_adc, 1, 256)
        v.check_float("hardware.r_on", self.r_on, 0.0, 1e12, lo_open=True)
        v.check_float("hardware.on_off_ratio", self.on_off_ratio, 1.0, 1e9, lo_open=True)
        v.check_choice("hardware.cell_resistance", self.cell_resistance, CELL_RESISTANCE_SOURCES)
        if self.cell_resistance == "device":
            for name in ("r_on", "on_off_ratio"):
                default = type(self).__dataclass_fields__[name].default
                if getattr(self, name) != default:
                    v.fail(f"hardware.{name}", getattr(self, name),
                           f"its default {default:g} while hardware.cell_resistance = 'device' (the device's "
                           "value is used; set device.{name} instead)".replace("{name}", name))
        v.check_float("hardware.read_voltage", self.read_voltage, 0.0, 10.0, lo_open=True)
        v.check_float("hardware.write_voltage", self.write_voltage, 0.0, 10.0, lo_open=True)
        v.check_float("hardware.read_pulse_width", self.read_pulse_width, 0.0, 1.0, lo_open=True)
        v.check_float("hardware.write_pulse_width", self.write_pulse_width, 0.0, 1.0, lo_open=True)
        v.check_float("hardware.clock_hz", self.clock_hz, 0.0, 1e11, lo_open=True)
        v.check_float("hardware.temperature_k", self.temperature_k, *TEMPERATURE_RANGE_K)
        v.check_choice("hardware.mapping", self.mapping, MAPPINGS)
        v.check_choice("hardware.global_buffer", self.global_buffer, BUFFER_TYPES)
        v.check_choice("hardware.tile_buffer", self.tile_buffer, BUFFER_TYPES)
        v.check_choice("hardware.dram", self.dram, DRAM_TYPES)
        v.check_int("hardware.wg_adc_bits", self.wg_adc_bits, *ADC_BITS_RANGE)
        v.check_int("hardware.global_bus_width", self.global_bus_width, 1, 65536)
        v.check_choice("hardware.roadmap", self.roadmap, ROADMAPS)
        v.check_float("hardware.vdd_scale", self.vdd_scale, 0.5, 2.0)
        v.check_float("hardware.wire_width_nm", self.wire_width_nm, 14.0, 200.0)
        v.check_choice("hardware.neurosim_code", self.neurosim_code, NEUROSIM_CODES)
        v.check_optional_int("hardware.ag_adc_bits", self.ag_adc_bits, *ADC_BITS_RANGE)
        v.check_power_of_two("hardware.ag_rows_per_adc", self.ag_rows_per_adc, 1, 256)
        v.check_power_of_two("hardware.wg_subarray_rows", self.wg_subarray_rows, 16, 2048)
        v.check_power_of_two("hardware.wg_subarray_cols", self.wg_subarray_cols, 16, 2048)
        v.check_power_of_two("hardware.wg_rows_per_adc", self.wg_rows_per_adc, 2, 256)
        v.check_float("hardware.global_bus_delay_tolerance", self.global_bus_delay_tolerance, 0.0, 10.0)
        v.check_float("hardware.local_bus_delay_tolerance", self.local_bus_delay_tolerance, 0.0, 10.0)
        v.check_float("hardware.buffer_overhead_constraint", self.buffer_overhead_constraint, 0.0, 1024.0)
        v.check_float("hardware.access_voltage", self.access_voltage, 0.0, 10.0, lo_open=True)
        v.check_float("hardware.access_resistance", self.access_resistance, 0.0, 1e9)
        v.check_choice("hardware.read_mode", self.read_mode, READ_MODES)
        v.check_choice("hardware.adc_type", self.adc_type, ADC_TYPES)
        v.check_bool("hardware.parallel_bp", self.parallel_bp)
        v.check_choice("hardware.activation", self.activation, ACTIVATIONS)
        v.check_bool("hardware.pipeline", self.pipeline)
        v.check_int("hardware.speed_up_degree", self.speed_up_degree, 1, 1024)
        v.check_bool("hardware.chip_activation", self.chip_activation)
        if not self.chip_activation and self.activation == "sigmoid":
            v.fail("hardware.chip_activation", self.chip_activation,
                   "True while hardware.activation = 'sigmoid' (the tiles' own sigmoid tables are not modelled)")
        if not self.parallel_bp and self.cell_type == "sram":
            v.fail("hardware.parallel_bp", self.parallel_bp,
                   "True while hardware.cell_type = 'sram' (the SRAM sub-array's row-by-row transposed "
                   "read is not modelled)")
        self._check_cell_and_layout()
        self._check_access()
        if self.ag_rows_per_adc > self.subarray_rows:
            v.fail("hardware.ag_rows_per_adc", self.ag_rows_per_adc,
                   f"at most hardware.subarray_rows = {self.subarray_rows}")
        if self.wg_rows_per_adc > self.wg_subarray_cols:
            v.fail("hardware.wg_rows_per_adc", self.wg_rows_per_adc,
                   f"at most hardware.wg_subarray_cols = {self.wg_subarray_cols}")
        if self.columns_per_adc > self.subarray_cols:
            v.fail(
                "hardware.columns_per_adc",
                self.columns_per_adc,
                f"at most hardware.subarray_cols = {self.subarray_cols}",
            )

    def _check_cell_and_layout(self):
        """The cell and layout knobs of ``Param.cpp`` (class docstring, last block)."""
        v.check_bool("hardware.relax_array_cell_height", self.relax_array_cell_height)
        v.check_bool("hardware.relax_array_cell_width", self.relax_array_cell_width)
        for name in ("envm_cell_height_f", "envm_cell_width_f", "sram_cell_height_f", "sram_cell_width_f"):
            v.check_float(f"hardware.{name}", getattr(self, name), 1.0, 100.0)
        for name in ("sram_nmos_width_f", "sram_pmos_width_f", "sram_access_width_f"):
            v.check_float(f"hardware.{name}", getattr(self, name), 0.0, 100.0, lo_open=True)
        v.check_float("hardware.sram_min_sense_voltage", self.sram_min_sense_voltage, 0.0, 0.5, lo_open=True)
        v.check_float("hardware.fefet_gate_capacitance", self.fefet_gate_capacitance, 0.0, 1e-12)
        v.check_float("hardware.fefet_polarization", self.fefet_polarization, 0.0, 100.0)
        v.check_float("hardware.tree_folded_ratio", self.tree_folded_ratio, 1.0, 1024.0)
        for kind in ("global", "tile"):
            v.check_int(f"hardware.{kind}_buffer_core_rows", getattr(self, f"{kind}_buffer_core_rows"), 2, 65536)
            v.check_int(f"hardware.{kind}_buffer_core_cols", getattr(self, f"{kind}_buffer_core_cols"), 1, 65536)

    def _check_access(self):
        """The access device and the cross-point cell (class docstring, last block)."""
        v.check_choice("hardware.access_type", self.access_type, ACCESS_TYPE_NAMES)
        if self.access_type in ("bjt", "diode"):
            v.fail("hardware.access_type", self.access_type,
                   "'cmos' or 'none': NeuroSim V2.0 has no BJT or diode access model (SubArray.cpp takes "
                   "every access but CMOS as a cross-point array, which is 'none')")
        for name in ("crossbar_cell_height_f", "crossbar_cell_width_f"):
            v.check_float(f"hardware.{name}", getattr(self, name), 1.0, 100.0)
        v.check_float("hardware.crossbar_feature_size_nm", self.crossbar_feature_size_nm, 1.0, 1000.0)
        v.check_bool("hardware.nonlinear_iv", self.nonlinear_iv)
        v.check_float("hardware.nonlinearity", self.nonlinearity, 1.0, 1000.0)
        if self.access_type != "none" or self.cell_type == "sram":
            return
        if self.cell_type == "fefet":
            v.fail("hardware.access_type", self.access_type,
                   "'cmos' while hardware.cell_type = 'fefet' (a cross-point FeFET array is not modelled)")
        if self.read_mode == "sequential":
            v.fail("hardware.access_type", self.access_type,
                   "'cmos' while hardware.read_mode = 'sequential' (the cross-point sequential read's "
                   "DecoderDriver is not modelled)")
        if self.neurosim_code != "current":
            v.fail("hardware.access_type", self.access_type,
                   "'cmos' while hardware.neurosim_code != 'current' (the cross-point array is modelled on "
                   "NeuroSim V2.0 d4de5bc's code only)")


@v.frozen
class ArraySection:
    """How the training forward (and backward) products run on the analog arrays.

    Only the read model lives here; the array geometry and resolutions come from one
    source each: sub-array rows, ADC bits, cell bits and on/off ratio from ``hardware``
    (``subarray_rows``, ``adc_bits`` (the transposed read of ``hw_full``: ``ag_adc_bits``),
    ``cell_bits``, ``on_off_ratio``), input bits from
    ``quant.activation_bits`` and weight bits from ``quant.weight_bits``.
    :func:`cimjax.nn.models.layer_arrays` combines them; :class:`Config` checks the cross-section
    rules (e.g. ``quant.weight_bits`` divisible by ``hardware.cell_bits``).

    Attributes:
      mode: ``ideal`` (float product of the WAGE weights, today's path), ``hw_forward``
        (forward product through the analog array read, straight-through gradients) or
        ``hw_full`` (forward product and activation gradient through the array).
      adc_mode: ``linear`` (NeuroSim's ``LinearQuantizeOut``), ``nonlinear``
        (``NonLinearQuantizeOut``, needs ``hardware.adc_bits`` in 3..5) or ``none``.
      adc_range: ``dynamic`` (min/max of each partial-sum tensor, NeuroSim) or
        ``full_scale`` (the column's physical full scale).
      mapping: ``dummy`` (one dummy column, NeuroSim) or ``differential`` (G+/G− pairs).
      level_mapping: how a WAGE weight becomes the level the cells store: ``neurosim``
        (``round((2^b_W − 1)/2·(w + 1))``, NeuroSim's inference emulation: WAGE's grid is not
        on it, so each layer's product shrinks by 10–20 % and the network's logits by far more)
        or ``exact`` (the zero-centred grid that holds every WAGE weight: with a fine ADC the
        read equals the ideal product). See docs/model.md §3.2 and
        :attr:`cimjax.analog.ArrayConfig.level_mapping`.
      variation_sigma: relative σ of the static device-to-device conductance variation,
        [0, 10]; drawn once per layer from the seed.
      retention_time: time since programming in seconds, (0, 1e12]; 1.0 (= t0) is no drift.
      drift_v: retention drift exponent ``v`` of ``G(t) = G0·(t/t0)^(v·s)``, [−10, 10];
        0 is no drift.
      drift_mode: direction ``s`` of the drift: ``target`` (every cell towards the middle
        conductance, NeuroSim's ``detect=1``) or ``random`` (``s`` uniform in {−1, 0, +1}
        per cell, drawn once per layer from the seed, NeuroSim's ``detect=0``).
    """

    mode: str = "ideal"
    adc_mode: str = "linear"
    adc_range: str = "dynamic"
    mapping: str = "dummy"
    level_mapping: str = "neurosim"
    variation_sigma: float = 0.0
    retention_time: float = 1.0
    drift_v: float = 0.0
    drift_mode: str = "target"

    def __post_init__(self):
        v.check_choice("array.mode", self.mode, ARRAY_MODES)
        v.check_choice("array.adc_mode", self.adc_mode, ARRAY_ADC_MODES)
        v.check_choice("array.adc_range", self.adc_range, ARRAY_ADC_RANGES)
        v.check_choice("array.mapping", self.mapping, ARRAY_MAPPINGS)
        v.check_choice("array.level_mapping", self.level_mapping, ARRAY_LEVEL_MAPPINGS)
        v.check_float("array.variation_sigma", self.variation_sigma, 0.0, 10.0)
        v.check_float("array.retention_time", self.retention_time, 0.0, 1e12, lo_open=True)
        v.check_float("array.drift_v", self.drift_v, -10.0, 10.0)
        v.check_choice("array.drift_mode", self.drift_mode, ARRAY_DRIFT_MODES)


def check_analog_read(array: ArraySection, hardware: HardwareConfig, quant) -> None:  # quant: a QuantConfig
    """The rules across sections of an analog read (``array.mode`` hw_forward / hw_full):
    integer weight and activation bits, weights split into whole cells, and ADC widths (forward,
    and with ``hw_full`` the transposed read's) the nonlinear ADC has tables for
    (:data:`cimjax.analog.config.NONLINEAR_ADC_BITS`)."""
    for path, bits in (("quant.weight_bits", quant.weight_bits), ("quant.activation_bits", quant.activation_bits)):
        if bits is None or bits == v.FLOAT_BITS:
            raise v.ConfigError(
                f"{path} = {bits!r} is invalid with array.mode = {array.mode!r}: the analog array needs an "
                "integer bit width in [1, 16], not float"
            )
    if quant.weight_bits % hardware.cell_bits:
        raise v.ConfigError(
            f"quant.weight_bits = {quant.weight_bits} is invalid with hardware.cell_bits = {hardware.cell_bits}: "
            "expected quant.weight_bits divisible by hardware.cell_bits (each weight is split into "
            "weight_bits / cell_bits cells)"
        )
    if array.adc_mode == "nonlinear" and hardware.adc_bits not in NONLINEAR_ADC_BITS:
        raise v.ConfigError(
            f"hardware.adc_bits = {hardware.adc_bits} is invalid with array.adc_mode = 'nonlinear': "
            f"expected one of {NONLINEAR_ADC_BITS} (or array.adc_mode = 'none' / 'linear')"
        )
    # hw_full reads the activation gradient through the AG ADC (unset: adc_bits, checked above).
    ag = hardware.ag_adc_bits
    if array.mode == "hw_full" and array.adc_mode == "nonlinear" and ag is not None and ag not in NONLINEAR_ADC_BITS:
        raise v.ConfigError(
            f"hardware.ag_adc_bits = {ag} is invalid with array.mode = 'hw_full' and array.adc_mode = 'nonlinear': "
            f"expected one of {NONLINEAR_ADC_BITS} or None (the transposed read uses the nonlinear ADC too)"
        )
