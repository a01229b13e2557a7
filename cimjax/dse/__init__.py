"""Design-space exploration of the chip estimate and of device specs.

- :mod:`cimjax.dse.params`: the parameters a design may vary, their ranges and setters;
- :mod:`cimjax.dse.grid`: grid files (``configs/sweeps/*.py`` / ``.toml``), validation, sampling;
- :mod:`cimjax.dse.sweep`: vmapped, chunked, sharded sweeps (``cimjax sweep``);
- :mod:`cimjax.dse.pareto`: Pareto fronts (numpy);
- :mod:`cimjax.dse.sensitivity`: differentiable PPA and elasticities (``--sensitivity``);
- :mod:`cimjax.dse.optimize`: gradient co-optimisation (``cimjax optimize``);
- their files and plots: :mod:`cimjax.report.files`, :mod:`cimjax.report.plots`;
- :mod:`cimjax.dse.device_map` (grids in :mod:`~cimjax.dse.device_grid`, the training program
  in :mod:`~cimjax.dse.device_train`, joint objective and plots in
  :mod:`~cimjax.dse.device_map_joint`): accuracy maps of device specs by one vmapped short
  training over a batch of devices and seeds, and accuracy + λ·energy.
"""
