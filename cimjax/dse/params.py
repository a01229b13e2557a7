"""The design parameters a sweep, a sensitivity report or an optimisation may vary.

Each :class:`ParamSpec` names one knob, its kind, its valid range, the config field(s) it
stands for (so a grid value is validated by the config's own checks) and how it is written
into / read from the estimator's traced :class:`~cimjax.hw.chip.ChipParams`. The setters
reproduce :func:`cimjax.hw.from_config.chip_from_config` exactly (``tests/test_dse_grid.py``
checks that), so a design point of a sweep is the chip ``cimjax estimate`` would build for
the same ``--set`` overrides.

Kinds: ``float`` (continuous), ``int``, ``pow2`` (a power of two; continuous in its log2 for
gradients) and ``choice`` (a string). Numeric parameters are *traced*: they enter the
estimate as float arrays, so they ``vmap`` and (in the relaxed / ste count modes) have
gradients. Some also set static structure of :class:`~cimjax.hw.chip.ChipConfig`:
``columns_per_adc`` (the mux decoders) and, through the static global H-tree grid,
``subarray_*`` and ``cell_bits``; choices (cell type, buffers, DRAM, mapping, roadmap) are
static only. :mod:`cimjax.dse.sweep` groups a sweep by its static configuration and runs one
vmapped call per group.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable, Optional, Sequence

import jax
import jax.numpy as jnp

from cimjax.hw import relax

Array = jax.Array


@dataclasses.dataclass(frozen=True)
class Context:
    """Values of the base config the setters need (static, hashable).

    Attributes:
      synapse_bits: weight bits (``cell_bits`` is lowered to it, as ``chip_from_config``).
      train_size: training images per epoch.
      max_iterations: ``train.steps_per_epoch`` (inf when None); ``num_iterations =
        min(max(1, ⌊train_size/batch⌋), max_iterations)`` as ``chip_from_config``.
    """

    synapse_bits: float
    train_size: int
    max_iterations: float = math.inf


def _ste_floor(x: Array) -> Array:
    """``⌊x⌋`` in value, identity in gradient."""
    return x + jax.lax.stop_gradient(jnp.floor(x) - x)


def _sub(p, **kw):
    return p._replace(subarray=p.subarray._replace(**kw))


def _circ(p, **kw):
    c = p.circuit._replace(**kw)
    return p._replace(circuit=c, subarray=p.subarray._replace(circuit=c), wg=p.wg._replace(circuit=c))


def _fp(p, **kw):
    return p._replace(floorplan=p.floorplan._replace(**kw))


def _set_r_on(p, v, ctx):
    ratio = p.subarray.r_off / p.subarray.r_on
    return _sub(p, r_on=v, r_off=v * ratio)


def _set_batch(p, v, ctx):
    iters = jnp.minimum(jnp.maximum(1.0, _ste_floor(ctx.train_size / v)), ctx.max_iterations)
    return p._replace(batch_size=v, num_iterations=iters, wg=p.wg._replace(batch_size=v))


def _set_size(p, v, ctx, rows=True, cols=True):
    kw, fkw = {}, {}
    if rows:
        kw["rows"], fkw["subarray_rows"] = v, v
    if cols:
        kw["cols"], fkw["subarray_cols"] = v, v
    return _fp(_sub(p, **kw), **fkw)


def _set_adc(p, v, ctx):
    levels = relax.pow2(v)
    return _sub(p, adc_levels=levels, adc_levels_ag=levels)


@dataclasses.dataclass(frozen=True)
class ParamSpec:
    """One design parameter.

    Attributes:
      name: the name used in grid files and on the command line.
      kind: ``"float"``, ``"int"``, ``"pow2"`` or ``"choice"``.
      lo, hi: valid range of a numeric parameter (beyond the config's own check, e.g. the
        estimator's ADC ladder stops at 256 levels); ``lo_open``: ``lo`` excluded.
      choices: the valid strings of a ``choice``.
      log: sample / optimise on a log scale by default.
      fields: the ``section.field`` config fields the value stands for (validated by
        building the config section with it).
      static: the :class:`~cimjax.hw.chip.ChipConfig` field it also sets (None: traced only).
      unit: unit of the value.
      doc: one line for ``--help`` and the docs.
      set: ``set(params, value, ctx) -> params`` (None for choices).
      get: ``get(params) -> value`` (the base design's value; None for choices).
    """

    name: str
    kind: str
    lo: Optional[float] = None
    hi: Optional[float] = None
    lo_open: bool = False
    choices: tuple = ()
    log: bool = False
    fields: tuple = ()
    static: Optional[str] = None
    unit: str = ""
    doc: str = ""
    set: Optional[Callable] = dataclasses.field(default=None, compare=False, repr=False)
    get: Optional[Callable] = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def numeric(self) -> bool:
        return self.kind != "choice"

    @property
    def discrete(self) -> bool:
        return self.kind in ("int", "pow2")

    def range_text(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        left = "(" if self.lo_open else "["
        what = {"float": "a number", "int": "an integer", "pow2": "a power of two"}[self.kind]
        return f"{what} in {left}{self.lo:g}, {self.hi:g}]"


def _p(name, kind, lo=None, hi=None, **kw) -> ParamSpec:
    return ParamSpec(name, kind, lo, hi, **kw)


_S = lambda f: (lambda p: getattr(p.subarray, f))  # noqa: E731
_C = lambda f: (lambda p: getattr(p.circuit, f))  # noqa: E731

#: Every parameter a grid may name, in display order.
PARAMS: dict[str, ParamSpec] = {
    s.name: s
    for s in (
        _p("subarray_size", "pow2", 16, 2048, log=True, fields=("hardware.subarray_rows", "hardware.subarray_cols"),
           unit="cells", doc="square sub-array rows = columns",
           set=_set_size, get=_S("rows")),
        _p("subarray_rows", "pow2", 16, 2048, log=True, fields=("hardware.subarray_rows",), unit="cells",
           doc="sub-array rows", set=lambda p, v, c: _set_size(p, v, c, cols=False), get=_S("rows")),
        _p("subarray_cols", "pow2", 16, 2048, log=True, fields=("hardware.subarray_cols",), unit="cells",
           doc="sub-array columns", set=lambda p, v, c: _set_size(p, v, c, rows=False), get=_S("cols")),
        _p("adc_bits", "int", 1, 8, fields=("hardware.adc_bits",), unit="bit",
           doc="ADC (MLSA) precision, forward and AG (the estimator's ladder stops at 8 bits)",
           set=_set_adc, get=lambda p: jnp.log2(p.subarray.adc_levels)),
        _p("wg_adc_bits", "int", 1, 8, fields=("hardware.wg_adc_bits",), unit="bit",
           doc="weight-gradient unit's ADC precision (levelOutputWG = 2^bits; the ladder stops at 8 bits)",
           set=lambda p, v, c: p._replace(wg=p.wg._replace(adc_levels=relax.pow2(v))),
           get=lambda p: jnp.log2(p.wg.adc_levels)),
        _p("global_bus_width", "int", 1, 65536, log=True, fields=("hardware.global_bus_width",), unit="wires",
           doc="widest global bus (maxGlobalBusWidth)", set=lambda p, v, c: _fp(p, max_global_bus_width=v),
           get=lambda p: p.floorplan.max_global_bus_width),
        _p("cell_bits", "int", 1, 8, fields=("hardware.cell_bits",), unit="bit",
           doc="bits per cell (lowered to the weight bits)",
           set=lambda p, v, c: _fp(p, cell_bits=jnp.minimum(v, c.synapse_bits)), get=lambda p: p.floorplan.cell_bits),
        _p("columns_per_adc", "pow2", 1, 256, log=True, fields=("hardware.columns_per_adc",), static="columns_per_adc",
           doc="columns sharing one ADC (column-mux ratio; static mux decoders)",
           set=lambda p, v, c: _fp(_sub(p, columns_per_adc=v), columns_per_adc=v), get=_S("columns_per_adc")),
        _p("technology_node_nm", "float", 7, 130, fields=("hardware.technology_node_nm",), unit="nm",
           doc="CMOS node (continuous: the tables are interpolated)",
           set=lambda p, v, c: _circ(p, node_nm=v), get=_C("node_nm")),
        _p("r_on", "float", 0, 1e12, lo_open=True, log=True, fields=("hardware.r_on",), unit="ohm",
           doc="cell on-resistance (keeps the on/off ratio)", set=_set_r_on, get=_S("r_on")),
        _p("on_off_ratio", "float", 1, 1e9, lo_open=True, log=True, fields=("hardware.on_off_ratio",),
           doc="R_off / R_on", set=lambda p, v, c: _sub(p, r_off=p.subarray.r_on * v),
           get=lambda p: p.subarray.r_off / p.subarray.r_on),
        _p("read_voltage", "float", 0, 10, lo_open=True, fields=("hardware.read_voltage",), unit="V",
           doc="read voltage", set=lambda p, v, c: _sub(p, read_voltage=v), get=_S("read_voltage")),
        _p("write_voltage", "float", 0, 10, lo_open=True, fields=("hardware.write_voltage",), unit="V",
           doc="write voltage", set=lambda p, v, c: _sub(p, write_voltage=v), get=_S("write_voltage")),
        _p("read_pulse_width", "float", 0, 1, lo_open=True, log=True, fields=("hardware.read_pulse_width",), unit="s",
           doc="read pulse width", set=lambda p, v, c: _sub(p, read_pulse_width=v), get=_S("read_pulse_width")),
        _p("write_pulse_width", "float", 0, 1, lo_open=True, log=True, fields=("hardware.write_pulse_width",),
           unit="s", doc="write pulse width", set=lambda p, v, c: _sub(p, write_pulse_width=v),
           get=_S("write_pulse_width")),
        _p("clock_hz", "float", 0, 1e11, lo_open=True, log=True, fields=("hardware.clock_hz",), unit="Hz",
           doc="clock frequency", set=lambda p, v, c: _circ(p, clock_hz=v), get=_C("clock_hz")),
        _p("temperature_k", "float", 200, 450, fields=("hardware.temperature_k",), unit="K",
           doc="operating temperature (wire resistivity)", set=lambda p, v, c: _circ(p, temperature_k=v),
           get=_C("temperature_k")),
        _p("vdd_scale", "float", 0.5, 2.0, doc="multiplier on the node's supply voltage (no config field)",
           set=lambda p, v, c: _circ(p, vdd_scale=v), get=_C("vdd_scale")),
        _p("wire_width_nm", "float", 14, 200, unit="nm", doc="local wire width (no config field)",
           set=lambda p, v, c: _circ(p, wire_width_nm=v), get=_C("wire_width_nm")),
        _p("batch_size", "int", 1, 1 << 16, log=True, fields=("data.batch_size",), unit="images",
           doc="training batch (iterations = ⌊train images / batch⌋, capped by train.steps_per_epoch)", set=_set_batch, get=lambda p: p.batch_size),
        _p("cell_type", "choice", choices=("rram", "fefet", "sram"), fields=("hardware.cell_type",), static="cell",
           doc="memory cell: 1T1R RRAM, FeFET or SRAM (SRAM stores 1 bit per cell)"),
        _p("mapping", "choice", choices=("novel", "conventional"), fields=("hardware.mapping",),
           static="novel_mapping", doc="NeuroSim's novel or conventional weight mapping"),
        _p("global_buffer", "choice", choices=("register_file", "sram"), fields=("hardware.global_buffer",),
           static="global_buffer", doc="global buffer type"),
        _p("tile_buffer", "choice", choices=("register_file", "sram"), fields=("hardware.tile_buffer",),
           static="tile_buffer", doc="tile buffer type"),
        _p("dram", "choice", choices=("hbm2", "gddr5"), fields=("hardware.dram",), static="dram", doc="off-chip DRAM"),
        _p("roadmap", "choice", choices=("LSTP", "HP"), static="roadmap",
           doc="transistor roadmap (no config field; LSTP is V2.0's)"),
    )
}

#: Sets that conflict (both write the same fields).
CONFLICTS = (("subarray_size", "subarray_rows"), ("subarray_size", "subarray_cols"))

#: Continuous parameters (default set of the sensitivity report).
CONTINUOUS = tuple(n for n, s in PARAMS.items() if s.kind == "float")


def spec(name: str) -> ParamSpec:
    """The :class:`ParamSpec` of ``name``; ``ValueError`` listing the known names otherwise."""
    if name not in PARAMS:
        raise ValueError(f"unknown design parameter {name!r}: expected one of {', '.join(PARAMS)}")
    return PARAMS[name]


def allowed_table() -> str:
    """A text table of every parameter, its range and meaning (for ``--help`` and errors)."""
    width = max(map(len, PARAMS))
    return "\n".join(f"  {n.ljust(width)}  {s.range_text()}{' ' + s.unit if s.unit else ''}: {s.doc}"
                     for n, s in PARAMS.items())


def apply_values(params, names: Sequence[str], values: Array, ctx: Context):
    """``params`` with the traced parameters ``names`` set to ``values`` (shape ``(len(names),)``).

    Choices in ``names`` are skipped (they are static). Pure and jittable; ``vmap`` over
    ``values`` for a batch of designs.
    """
    values = jnp.asarray(values)
    for i, name in enumerate(names):
        s = PARAMS[name]
        if s.set is not None:
            params = s.set(params, values[i].astype(jnp.result_type(float)), ctx)
    return params


def get_values(params, names: Sequence[str]) -> list[float]:
    """The base design's value of each (numeric) parameter in ``names``."""
    out = []
    for name in names:
        s = spec(name)
        if s.get is None:
            raise ValueError(f"design parameter {name!r} is a choice: it has no numeric value")
        out.append(float(s.get(params)))
    return out


def is_integer_valued(x: float) -> bool:
    return math.isfinite(x) and float(x) == math.floor(x)
