"""Design-space exploration of the chip estimate (issue 5, items 1–4).

- :mod:`cimjax.dse.params`: the parameters a design may vary, their ranges and setters;
- :mod:`cimjax.dse.grid`: grid files (``configs/sweeps/*.py`` / ``.toml``), validation, sampling;
- :mod:`cimjax.dse.sweep`: vmapped, chunked, sharded sweeps (``cimjax sweep``);
- :mod:`cimjax.dse.pareto`: Pareto fronts (numpy);
- :mod:`cimjax.dse.sensitivity`: differentiable PPA and elasticities (``--sensitivity``);
- :mod:`cimjax.dse.optimize`: gradient co-optimisation (``cimjax optimize``);
- :mod:`cimjax.dse.plots`, :mod:`cimjax.dse.io`: PNG plots, CSV/JSON files.
"""
