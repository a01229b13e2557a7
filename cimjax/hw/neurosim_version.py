"""NeuroSim code versions as data: one frozen object with a named flag per model difference.

The estimator follows NeuroSim V2.0 (github.com/neurosim/DNN_NeuroSim_V2.0). Two versions of
that code are modelled:

* ``current`` — commit d4de5bc, the code the golden run (``tests/hw/test_hw_golden.py``) checks;
* ``march2020`` — commit bf95f9c (2020-03-15), the first public release, which computed the
  manual's Fig. 34 (``tests/hw/test_hw_fig34.py``).

A :class:`NeuroSimVersion` holds two kinds of boolean flags, every one read by exactly the
models its comment names:

* **Quirks** (True in both versions: the code as released). Each is a defect or an odd choice
  of the released code; False gives the model the code evidently intended, so a user can ask
  for it with ``dataclasses.replace(version, flag=False)``.
* **Version differences** (False in ``current``, True in ``march2020``). Each is one place
  where the March 2020 code computes differently from the current code.

The object is hashable and travels in the static configs (:class:`ChipConfig
<cimjax.hw.chip.ChipConfig>` and every component config's ``version``); no model compares
version names. ``docs/neurosim_versions.md`` lists every flag with its source; adding a
version is a constructor here plus the model branches of its new flags.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True, kw_only=True)
class NeuroSimVersion:
    """The NeuroSim code a model follows (see the module docstring; each field is a flag)."""

    #: Name of the version the flags were built from (informative; models never read it).
    name: str = "current"

    # ---------------------------------------------------------------- quirks (True as released)

    #: ``SubArray.cpp`` (d4de5bc and bf95f9c), transposed read: the AG MLSA is evaluated on the
    #: *forward* column resistances. False: the row resistances with half the columns active.
    ag_column_resistance_forward: bool = True
    #: ``SubArray::CalculateLatency`` (d4de5bc), transposed read: ``max(t_SLsw, (E_mux +
    #: E_dec)/numReadPulseBP)`` adds mux and decoder *energies* where latencies belong. False:
    #: their latencies. The eNVM sub-array of bf95f9c adds latencies
    #: (:attr:`envm_ag_mux_latencies`).
    ag_mux_energy_as_latency: bool = True
    #: ``SwitchMatrix::CalculatePower`` (SL matrix, write): the write pulse count (and, in
    #: bf95f9c, the column-write activity) is read before any update sets it, as 0. False:
    #: ``write_pulses/rows`` (and the layer's activity), the intended ``numWritePulseAVG``.
    sl_write_pulses_unset: bool = True
    #: ``HTree.cpp`` ``GetUnitLengthRes`` (d4de5bc): wire width ×4 above 1e5 F and ×2 for every
    #: shorter stage (a chained comparison), resistivity always the (AR 2.30, ρ 2.73e-8) class.
    #: False: ×4 / ×2 above 1e4 F / ×1, ρ and AR from the wire table at the widened width.
    htree_wire_sizing_quirk: bool = True
    #: ``Chip.cpp`` ``ChipInitialize``: the global buffer overhead is sized from
    #: ``outPrecision`` before it is set (0): numArrayWriteParallel 8 and 128 global buffer
    #: cores on VGG-8 instead of 16 and 156. False: the WG unit's output precision.
    wg_out_precision_unset: bool = True
    #: ``AdderTree.cpp`` halves the integer input count with ``ceil(j/2)`` on an ``int j``, a
    #: floor: stage ``k`` has ``⌊N/2^(k+1)⌋`` adders and an odd input is dropped. False:
    #: ``⌈N/2^(k+1)⌉`` (every input added; the same for powers of two).
    adder_tree_floor_halving: bool = True
    #: ``WeightGradientUnit.cpp`` (via ``ChipInitialize``): the precharger and write driver keep
    #: the column-write activity they were initialised with (0), so their write energy is 0.
    #: False: the layer's activity.
    wg_write_activity_unset: bool = True
    #: ``MultilevelSenseAmp::GetColumnLatency``: a chained comparison makes the quartic fit
    #: apply to every reference/column ratio in (0.9, 20). False: ``T_max`` on (0.9, 1.1).
    mlsa_quartic_above_cubic: bool = True
    #: ``MultilevelSAEncoder::CalculateLatency``: the last two stages are computed into an
    #: unused variable, so only the first two count. False: all four stages.
    encoder_two_stage_latency: bool = True

    # ---------------------------------------------------- differences (True in bf95f9c, March 2020)

    #: ``MultilevelSenseAmp::CalculateArea`` / ``CurrentSenseAmp::CalculateUnitArea`` (bf95f9c):
    #: each comparator level is 16 NMOS-only inverter cells (4 of 6×, 8 of 1×, 4 of 2× minimum).
    mlsa_current_sense_amp_area: bool = False
    #: ``MultilevelSenseAmp::GetColumnPower`` (bf95f9c) returns an *energy* ``P(R)·Σ_i T_i(R)``
    #: over the reference ladder, evaluated ``numColMuxed`` times per read on every column
    #: (``SubArray::CalculatePower``'s ``numRead``); an open column costs 0.
    mlsa_column_energy_sum: bool = False
    #: ``MultilevelSenseAmp.cpp`` (bf95f9c): no ``0.5/V_read`` rescaling of the column
    #: resistance before the fits.
    mlsa_unscaled_read_voltage: bool = False
    #: ``MultilevelSAEncoder::CalculateArea`` (bf95f9c): ``max(⌊edge/w_enc⌋, 1)`` encoders per
    #: line and the line exactly ``edge`` long (d4de5bc: ``⌈edge/w_enc⌉``, ``max(edge, w_enc)``).
    encoder_floor_tiling: bool = False
    #: ``SubArray::Initialize`` (bf95f9c): the 1T1R access transistor is sized with
    #: ``2·IR_DROP_TOLERANCE`` (0.5) where d4de5bc uses ``LINEAR_REGION_RATIO`` (0.2).
    access_width_ir_drop: bool = False
    #: ``SubArray::Initialize`` (bf95f9c): the forward shift-adder has ``log2 L + numReadPulse
    #: + 1`` bits (d4de5bc: ``log2 L + 1``).
    forward_shift_adder_input_bits: bool = False
    #: ``ShiftAdd::CalculateArea`` (bf95f9c), as the sub-array and the WG unit call it: the
    #: shift-adders are charged their layout bounding box along the array edge (forward across
    #: the width, AG down the height), not the gates' sum.
    shift_adder_bounding_box: bool = False
    #: ``ShiftAdd::CalculateArea(height, NULL)`` (bf95f9c): height ``side + h_cell`` and no
    #: control-cell column (d4de5bc: height ``side``, width plus ``w_INV + w_NAND2``).
    shift_adder_control_row_on_height: bool = False
    #: ``SubArray::Initialize`` (bf95f9c): the SL switch matrix TG resistance is ``R_on,cell/2``
    #: (no IR-drop factor), which sets its τ (SL read, AG "other" and SL write latencies).
    sl_switch_half_cell_resistance: bool = False
    #: ``SubArray::CalculatePower`` (bf95f9c, eNVM conventional parallel): the leakage is reset
    #: after the transposed branch: forward periphery and SL matrix once, no AG periphery.
    subarray_leakage_forward_only: bool = False
    #: ``SubArray::CalculateLatency`` (bf95f9c, eNVM): the AG "other" latency adds the mux and
    #: decoder latencies (:attr:`ag_mux_energy_as_latency` is a later code's and is ignored by
    #: the eNVM sub-array; the SRAM sub-array has no March 2020 model and keeps reading it).
    envm_ag_mux_latencies: bool = False
    #: ``ProcessingUnit.cpp`` ``GetWriteUpdateEstimation`` and ``Chip.cpp`` (bf95f9c): a
    #: sub-array writes only the rows its PE holds; lines are charged once per selected (SET or
    #: RESET) row, every updated cell ``V_w²/R̄·t`` per pulse (FeFET included).
    write_per_selected_row: bool = False
    #: ``HTree.cpp`` (bf95f9c): ``⌊log2 max(rows, cols)⌋`` stages, the repeater of
    #: ``Initialize`` not clamped to a minimum INV, stage resistance by stage index, assigned
    #: before it is read.
    htree_floor_stages: bool = False
    #: ``WeightGradientUnit.cpp`` / ``SwitchMatrix.cpp`` (bf95f9c): the WG array's WL switch
    #: matrix TGs have ``R_TG = R_access`` (no IR-drop factor), widths ``R_on(1F)·F/(2·R_access)``,
    #: and its read energy uses the activity set at ``ChipInitialize``.
    wg_switch_access_tg: bool = False
    #: ``Tile.cpp`` ``TileInitialize`` / ``ProcessingUnitInitialize`` (bf95f9c): one set of tile
    #: and PE objects, built for the NM tile and overwritten by the CM tile's, so NM tiles use the
    #: CM tile's accumulator, buffer plan, H-tree (grid and bus) and PE adder tree/buses/DFFs.
    shared_tile_objects: bool = False
    #: ``Tile.cpp`` ``TileCalculatePerformance`` (bf95f9c): the tile accumulator is read
    #: ``numColMuxed`` times per image (d4de5bc: ``(numInVector/numBitInput)·numColMuxed``).
    tile_accumulation_col_muxed_reads: bool = False
    #: ``Chip.cpp`` ``ChipCalculatePerformance`` (bf95f9c): an NM tile gets ``min(PE_NM, R)``
    #: weight rows (d4de5bc: ``min(PE_NM·numPENM, R)``) and each PE ``⌊rows/numPENM⌋``.
    nm_tile_rows_per_pe: bool = False
    #: ``Tile.cpp`` ``TileCalculatePerformance`` (bf95f9c): an NM tile reads
    #: ``rows·numInVector/numPENM`` input bits (d4de5bc: ÷``√numPENM``).
    nm_tile_input_bits_per_pe: bool = False
    #: ``ProcessingUnit.cpp`` ``ProcessingUnitInitialize`` (bf95f9c): the PE buses are built at
    #: delay tolerance 0 (the optimal repeater). cimjax's current model keeps the local bus
    #: tolerance there.
    pe_bus_optimal_repeater: bool = False
    #: ``Chip.cpp`` ``ChipCalculatePerformance`` (bf95f9c): an NM layer's global ``bits_in`` is
    #: ``C_col·numBitInput·windows/K`` (÷K, as its ``bits_out``; d4de5bc drops the ÷K).
    nm_global_bits_in_per_kernel: bool = False
    #: ``Chip.cpp`` ``ChipCalculatePerformance`` (bf95f9c): the global H-tree carries a layer's
    #: bits over the whole bus, ``(bits_out + bits_in)/busWidth`` transfers (d4de5bc:
    #: ``⌈busWidth·tiles_l/totalTiles⌉`` wires and whole transfers).
    global_htree_whole_bus: bool = False

    # ------------------------------------------------ differences (True in V2.1, 18289cb)

    #: DNN_NeuroSim_V2.1 (18289cb) ``main.cpp`` (``numComputation``), ``Chip.cpp``
    #: ``ChipCalculatePerformance``, ``Tile.cpp`` ``TileCalculatePerformance``,
    #: ``ProcessingUnit.cpp`` ``ProcessingUnitCalculatePerformance`` and ``SubArray.cpp``
    #: ``CalculateLatency``/``CalculatePower`` (``layerNumber != 0``): the first layer has no
    #: activation-gradient phase. Its AG latency and energy are 0, its AG copies in the
    #: breakdown are dropped (global buffer ×4 instead of ×6, global H-tree, global and tile
    #: accumulation, tile buffers and H-tree, PE buffers and buses once), and the operation count
    #: loses the layer's ``2·MACs`` of AG.
    first_layer_no_ag: bool = False
    #: V2.1 ``ProcessingUnit.cpp`` ``ProcessingUnitInitialize``, ``Tile.cpp`` ``TileInitialize``,
    #: ``Chip.cpp`` ``ChipInitialize``: the PE adder tree, PE output buffer, tile accumulator,
    #: tile output buffer and global accumulator carry ``numColPerSynapse`` more bits
    #: (``log2 levelOutput + numBitInput + numColPerSynapse + 1 + …``).
    adder_width_col_per_synapse: bool = False
    #: V2.1 ``ProcessingUnit.cpp`` ``ProcessingUnitCalculatePerformance`` and ``Tile.cpp``
    #: ``TileCalculatePerformance``: the PE adder tree and the tile accumulator are read
    #: ``(numInVector/numBitInput)·ceil(numColMuxed/numColPerSynapse)`` times per image, the
    #: quotient an ``int`` division (V2.0: ``·numColMuxed``): the sub-array's new weight
    #: shift-adder has already combined the cells of a weight.
    accumulation_reads_per_synapse: bool = False
    #: V2.1 ``ProcessingUnit.cpp`` ``ProcessingUnitCalculatePerformance``: in training the PE
    #: adder tree is counted in the accumulation breakdown twice (FW and AG; once on the first
    #: layer), as the tile and global accumulators are (V2.0: once).
    pe_tree_accumulation_per_phase: bool = False
    #: V2.1 ``SubArray.cpp`` ``Initialize`` (eNVM/FeFET parallel read): the input shift-adders
    #: have ``log2 levelOutput + numCellPerSynapse`` bits forward and ``log2 levelOutputAG +
    #: numCellPerSynapse`` on the transposed side (V2.0: ``+ 1`` and ``+ numReadPulseBP + 1``).
    #: The separate weight shift-adder V2.1 adds for ``numCellPerSynapse > 1`` is not modelled.
    shift_adder_cell_bits: bool = False
    #: V2.1 ``Chip.cpp`` ``ChipCalculatePerformance`` (training): the DRAM breakdown is
    #: ``6·(6 or 4)`` activation transfers (``dRAM->readLatency*6*(layerNumber!=0 ? 6:4)``), the
    #: factor 6 applied twice; the phases themselves count 2 (FW), 2 (AG) and 2 (WG). A quirk of
    #: V2.1 (False: ``6``, or ``4`` on the first layer under :attr:`first_layer_no_ag`).
    dram_breakdown_factor_squared: bool = False
    #: V2.1 ``ProcessingUnit.cpp`` ``GetWriteUpdateEstimation``: every written FeFET cell (``|ΔG|
    #: ≥ ΔG_min``) costs a polarisation energy ``ΔP·0.01·V_w·2F²`` (``ΔP`` in µC/cm², from its
    #: old and new conductance, ``polarization`` 20 µC/cm²; :mod:`cimjax.hw.components.subarray_write`).
    #: V2.0 charges a FeFET cell no cell energy.
    fefet_polarization_write: bool = False
    #: V2.1 ``Technology.cpp`` ``Initialize`` (with ``formula.cpp`` ``CalculateOnResistance``):
    #: the FinFET (14/10/7 nm) on-currents are recalibrated tables of the temperature (300–400
    #: K, ``temp``), read at the circuit temperature (:mod:`cimjax.hw.tech`; read by
    #: :func:`cimjax.hw.components.params.circuit_technology`). V2.0: its tables, modelled at 300 K.
    finfet_on_current_temperature: bool = False
    #: V2.1 ``ProcessingUnit.cpp`` ``GetWriteUpdateEstimation``: ``numWritePulseAVG =
    #: totalNumWritePulse/max(1, (SET rows + RESET rows)/2)``, over the selected rows (V2.0:
    #: ``/numRow``). It reaches the switch matrices' write energy only without
    #: :attr:`sl_write_pulses_unset` (V2.1 keeps that quirk: no effect on a 1T1R FeFET/RRAM chip)
    #: and a cross-point array's unselected word lines (``subarray_write.write_pulse_average``).
    write_pulse_average_selected_rows: bool = False
    #: V2.1 ``MultilevelSenseAmp::GetColumnPower``: the current-mode column power (an open
    #: column's included) ×``(1 + 1.3e−3·(T − 300))`` at the circuit temperature
    #: (``mlsa.power_temperature_factor``); 1 at V2.1's default 300 K. V2.0: no such term.
    mlsa_power_temperature: bool = False

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name == "name":
                if not isinstance(value, str) or not value:
                    raise ValueError(f"NeuroSimVersion.name = {value!r}: expected a non-empty str")
            elif not isinstance(value, bool):
                raise ValueError(f"NeuroSimVersion.{field.name} = {value!r}: expected a bool")

    @classmethod
    def flags(cls) -> tuple[str, ...]:
        """The names of every flag (all fields but ``name``)."""
        return tuple(f.name for f in dataclasses.fields(cls) if f.name != "name")


def current() -> NeuroSimVersion:
    """NeuroSim V2.0 as it is today (commit d4de5bc): every quirk as released, no difference."""
    return NeuroSimVersion(name="current")


def march2020() -> NeuroSimVersion:
    """NeuroSim V2.0's first public release (commit bf95f9c, 2020-03-15): the quirks as
    released and every March 2020 difference set."""
    return NeuroSimVersion(
        name="march2020",
        mlsa_current_sense_amp_area=True,
        mlsa_column_energy_sum=True,
        mlsa_unscaled_read_voltage=True,
        encoder_floor_tiling=True,
        access_width_ir_drop=True,
        forward_shift_adder_input_bits=True,
        shift_adder_bounding_box=True,
        shift_adder_control_row_on_height=True,
        sl_switch_half_cell_resistance=True,
        subarray_leakage_forward_only=True,
        envm_ag_mux_latencies=True,
        write_per_selected_row=True,
        htree_floor_stages=True,
        wg_switch_access_tg=True,
        shared_tile_objects=True,
        tile_accumulation_col_muxed_reads=True,
        nm_tile_rows_per_pe=True,
        nm_tile_input_bits_per_pe=True,
        pe_bus_optimal_repeater=True,
        nm_global_bits_in_per_kernel=True,
        global_htree_whole_bus=True,
    )


def v2_1() -> NeuroSimVersion:
    """DNN_NeuroSim_V2.1 (github.com/neurosim/DNN_NeuroSim_V2.1, commit 18289cb): V2.0's quirks
    as released (V2.1 keeps every one) plus the V2.1 differences that cimjax models. V2.1's SAR
    ADC and voltage-mode sense amplifier are options of any version (``hardware.adc_type``), not
    flags; docs/neurosim_versions.md lists what is not modelled (the sub-array's split
    input/weight shift-adders)."""
    return NeuroSimVersion(
        name="v2_1",
        first_layer_no_ag=True,
        adder_width_col_per_synapse=True,
        accumulation_reads_per_synapse=True,
        pe_tree_accumulation_per_phase=True,
        shift_adder_cell_bits=True,
        dram_breakdown_factor_squared=True,
        fefet_polarization_write=True,
        finfet_on_current_temperature=True,
        write_pulse_average_selected_rows=True,
        mlsa_power_temperature=True,
    )


_CONSTRUCTORS = {"current": current, "march2020": march2020, "v2_1": v2_1}

#: The names :func:`by_name` accepts (``hardware.neurosim_code``).
NAMES = tuple(_CONSTRUCTORS)

#: The current code's version (the default of every static config).
CURRENT = current()


def by_name(name: str) -> NeuroSimVersion:
    """The version called ``name`` (one of :data:`NAMES`).

    Raises:
      ValueError: ``name`` is not one of :data:`NAMES`.
    """
    if name not in _CONSTRUCTORS:
        raise ValueError(f"NeuroSim version {name!r}: expected one of {NAMES}")
    return _CONSTRUCTORS[name]()


def as_version(value) -> NeuroSimVersion:
    """``value`` as a :class:`NeuroSimVersion`: a version is returned as is, a name built by
    :func:`by_name`.

    Raises:
      ValueError: neither a version nor one of :data:`NAMES`.
    """
    if isinstance(value, NeuroSimVersion):
        return value
    if isinstance(value, str):
        return by_name(value)
    raise ValueError(f"NeuroSim version {value!r}: expected a NeuroSimVersion or one of {NAMES}")
