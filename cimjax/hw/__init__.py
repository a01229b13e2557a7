"""Hardware estimator: pure, jittable functions of static layer shapes and circuit parameters.

A NeuroSim V2.0 chip estimate in ``jnp`` (github.com/neurosim/DNN_NeuroSim_V2.0). It never
imports Flax, the experiment config or the runtime helpers (``host_eval``, ``compile_cache``).

- :mod:`cimjax.hw.chip`: the entry point, ``estimate(ChipParams, ChipConfig, Trace)``, and the
  chip's params and static config; its results are :mod:`cimjax.hw.chip_types`;
- :mod:`cimjax.hw.chip_figures` (per-layer sub-array and weight-gradient figures) and
  :mod:`cimjax.hw.chip_rollup` (tile → chip), on :mod:`cimjax.hw.tile_geometry` and
  :mod:`cimjax.hw.tile` (sub-array → PE → tile; types in :mod:`cimjax.hw.tile_types`);
- :mod:`cimjax.hw.components`: the components, one shape for all (its docstring);
- :mod:`cimjax.hw.floorplan`: NeuroSim's chip floorplan; :mod:`cimjax.hw.network`: the layer
  table (NeuroSim's NetWork.csv);
- :mod:`cimjax.hw.tech` and :mod:`cimjax.hw.wiring`: technology and wire tables;
- :mod:`cimjax.hw.neurosim_version`: the NeuroSim code versions and quirks, as data
  (``docs/neurosim_versions.md``);
- :mod:`cimjax.hw.cost` (``Cost``, ``Footprint``) and :mod:`cimjax.hw.relax` (the ``"exact"`` /
  ``"relaxed"`` / ``"ste"`` rounding rules).
"""
