"""Components of the estimator: NeuroSim V2.0's circuit modules as pure ``jnp`` functions.

**The component shape.** A component is a module with

- a traced params ``NamedTuple`` whose first field is ``circuit``
  (:class:`~cimjax.hw.components.params.CircuitParams`: node, supply, clock, wires and, once
  the chip has derived it, the technology with its standard cells), then the component's own
  sizes and counts as floats (integers in exact mode, so the relaxed modes can differentiate
  them);
- a static, frozen, hashable config derived from
  :class:`~cimjax.hw.components.params.ComponentConfig` (roadmap, relax mode, temperature and
  the :class:`~cimjax.hw.neurosim_version.NeuroSimVersion`), plus the choices that set the
  structure (decoder outputs, H-tree grid); ``config.sub(cls, ...)`` builds a sub-component's
  config sharing them;
- a cost function ``f(params, config) -> Cost`` (:class:`~cimjax.hw.cost.Cost`: area, energy
  and latency of one action, leakage), pure, jittable and vmappable. Composite components
  (sub-array, weight-gradient unit) return a NamedTuple of such costs by NeuroSim bucket; their
  types live in their own modules (``subarray_types``, ``wg_unit``).

Modules, from the standard cells up:

- ``params``: the shared params and config; ``gates``: INV, NAND, NOR, TG and the standard
  cells derived once per chip; ``logic``: adder, adder tree, DFF; ``shift_adder``;
- ``routing``: mux, decoder, repeated wire, bus; ``htree``: the chip and tile H-trees;
- ``misc``: ReLU, max-pool, DRAM, register-file buffer, buffer sizing (docs/model.md §5.7); ``sram``: SRAM
  cells, arrays and buffers; ``switch_matrix``;
- ``mlsa`` and ``encoder``: the multilevel sense amplifier and its encoder;
- the sub-array: ``subarray`` (dispatch on the cell type), ``subarray_types``,
  ``subarray_geometry``, ``subarray_periphery``, ``subarray_envm``, ``subarray_write``,
  ``subarray_sram``;
- the weight-gradient unit: ``wg_unit`` (one array of its farm) and ``wg_layers`` (per layer,
  gradient accumulator).
"""
