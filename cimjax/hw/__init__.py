"""Hardware estimator: pure, jittable functions of static layer shapes and circuit parameters.

A NeuroSim V2.0 chip estimate in ``jnp`` (github.com/neurosim/DNN_NeuroSim_V2.0). It never
imports Flax, the experiment config or the runtime helpers; the build that turns a ``Config``
into its inputs lives outside this package.

- :mod:`cimjax.hw.chip`: the entry point, ``estimate(ChipParams, ChipConfig, Trace)``;
- :mod:`cimjax.hw.chip_rollup` / :mod:`cimjax.hw.tile` / :mod:`cimjax.hw.tile_geometry`: the
  sub-array → PE → tile → chip roll-up;
- :mod:`cimjax.hw.components`: the sub-array, weight-gradient unit and peripheral components;
- :mod:`cimjax.hw.floorplan`: NeuroSim's chip floorplan;
- :mod:`cimjax.hw.network`: the layer table (NeuroSim's NetWork.csv);
- :mod:`cimjax.hw.tech`: technology tables and transistor / wire formulas;
- :mod:`cimjax.hw.neurosim_version`: the NeuroSim code versions and quirks, as data;
- :mod:`cimjax.hw.cost` and :mod:`cimjax.hw.relax`: the ``Cost`` tuple and the
  ``"exact"`` / ``"relaxed"`` / ``"ste"`` rounding rules.
"""
