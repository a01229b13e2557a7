"""The memory sub-array with its periphery: area, one read (forward and transposed), one update.

Every cell type has the same four functions, with the same types
(:mod:`~cimjax.hw.components.subarray_types`) and NeuroSim buckets; this module dispatches on
``SubArrayConfig.cell`` once (:data:`MODELS`):

* ``"rram"`` (1T1R, the default) and ``"fefet"``: the eNVM sub-array,
  :mod:`~cimjax.hw.components.subarray_envm` (area, read; its geometry in
  :mod:`~cimjax.hw.components.subarray_geometry`) and
  :mod:`~cimjax.hw.components.subarray_write` (the weight update);
* ``"sram"``: the transposable SRAM sub-array, :mod:`~cimjax.hw.components.subarray_sram`.

``SubArrayConfig.read_mode = "sequential"`` (NeuroSim's ``operationmode = 1``) reads row by row:
area and read come from :mod:`~cimjax.hw.components.subarray_sequential` (eNVM) or
:mod:`~cimjax.hw.components.subarray_sram_sequential` (SRAM); the weight update and the checks
stay the parallel sub-array's.

Both build their read periphery from :mod:`~cimjax.hw.components.subarray_periphery`. Source:
docs/model.md §5.4–§5.5 (NeuroSim V2.0 ``SubArray.cpp``, ``ProcessingUnit.cpp``); the cell models'
docstrings hold the formulas, quirks and March 2020 differences.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from cimjax.hw.components import (subarray_envm, subarray_sequential, subarray_sram, subarray_sram_sequential,
                                  subarray_write)
from cimjax.hw.components.subarray_types import (ArrayLike, SubArrayArea, SubArrayConfig, SubArrayParams,
                                                 SubArrayRead)
from cimjax.hw.cost import Cost


class CellModel(NamedTuple):
    """The four functions of one cell type's sub-array model."""

    area: Callable[..., SubArrayArea]
    read: Callable[..., SubArrayRead]
    write: Callable[..., Cost]
    check: Callable[..., None]


_ENVM = CellModel(subarray_envm.subarray_area, subarray_envm.subarray_read, subarray_write.subarray_write,
                  subarray_envm.check_subarray_params)
#: The sub-array model of each ``SubArrayConfig.cell``.
MODELS = {
    "rram": _ENVM,
    "fefet": _ENVM,
    "sram": CellModel(subarray_sram.subarray_area, subarray_sram.subarray_read, subarray_sram.subarray_write,
                      subarray_sram.check_subarray_params),
}


def _sequential(config: SubArrayConfig):
    """The row-by-row read model of ``config.cell``."""
    return subarray_sram_sequential if config.cell == "sram" else subarray_sequential


def subarray_area(params: SubArrayParams, config: SubArrayConfig = SubArrayConfig()) -> SubArrayArea:
    """Area of one sub-array by bucket, its layout height and width, and its leakage.

    Args:
      params: :class:`~.subarray_types.SubArrayParams` (scalars).
      config: :class:`~.subarray_types.SubArrayConfig` (static).

    Returns:
      The :class:`~.subarray_types.SubArrayArea`.
    """
    if config.read_mode == "sequential":
        return _sequential(config).subarray_area(params, config)
    return MODELS[config.cell].area(params, config)


def subarray_read(params: SubArrayParams, config: SubArrayConfig = SubArrayConfig(), *, row_activity: ArrayLike,
                  weight_level: ArrayLike, read_occupancy: ArrayLike = 1.0) -> SubArrayRead:
    """One read (one input bit-vector) forward and transposed.

    Args:
      params / config: as :func:`subarray_area`.
      row_activity: traced fraction of rows whose input bit is 1, in [0, 1].
      weight_level: traced mean normalised conductance ``(G − G_min)/(G_max − G_min)``, in [0, 1].
      read_occupancy: traced fraction of reads with at least one active row.

    Returns:
      The mean :class:`~.subarray_types.SubArrayRead` of one read (s, J).
    """
    read = _sequential(config).subarray_read if config.read_mode == "sequential" else MODELS[config.cell].read
    return read(params, config, row_activity=row_activity, weight_level=weight_level,
                                    read_occupancy=read_occupancy)


def subarray_write(params: SubArrayParams, config: SubArrayConfig = SubArrayConfig(), *, write_pulses: ArrayLike,
                   cell_pulse_energy_sum: ArrayLike, row_write_activity: ArrayLike, col_write_activity: ArrayLike,
                   set_fraction: ArrayLike = 0.5, row_fraction: ArrayLike = 1.0,
                   stat_rows: ArrayLike | None = None, stat_cols: ArrayLike | None = None,
                   written_cells: ArrayLike = 0.0, written_level: ArrayLike = 0.0) -> Cost:
    """One weight update of one sub-array (area and leakage 0).

    Args:
      params / config: as :func:`subarray_area`.
      write_pulses, cell_pulse_energy_sum, row_write_activity, col_write_activity, set_fraction:
        the write statistics (:func:`cimjax.hw.components.subarray_write.subarray_write`).
      row_fraction / stat_rows / stat_cols: the rows and columns the statistics describe
        (eNVM only; the SRAM sub-array does not take them; ``row_fraction`` with
        ``version.write_per_selected_row`` only, ``stat_cols`` without it).
      written_cells / written_level: the written cells and the sum of their levels
        (:func:`cimjax.trace.weight_update_stats`; FeFET under
        ``version.fefet_polarization_write`` only).

    Returns:
      The :class:`~cimjax.hw.cost.Cost` of the update.
    """
    stats = dict(write_pulses=write_pulses, cell_pulse_energy_sum=cell_pulse_energy_sum,
                 row_write_activity=row_write_activity, col_write_activity=col_write_activity,
                 set_fraction=set_fraction)
    if config.cell == "sram":
        return MODELS["sram"].write(params, config, **stats)
    return MODELS[config.cell].write(params, config, row_fraction=row_fraction, stat_rows=stat_rows,
                                     stat_cols=stat_cols, written_cells=written_cells, written_level=written_level, **stats)


def check_subarray_params(params: SubArrayParams, config: SubArrayConfig = SubArrayConfig()) -> None:
    """Eager checks NeuroSim aborts on (call outside ``jit`` with concrete params).

    Raises:
      ValueError: the cell model's checks (e.g. an access transistor wider than the cell).
    """
    MODELS[config.cell].check(params, config)
