"""The design parameters a sweep, a sensitivity report or an optimisation may vary.

Each :class:`ParamSpec` is declared once: a name, its kind and valid range, and the build
knobs it sets (:data:`cimjax.build.KNOBS`; ``subarray_size`` sets both sub-array sides). A
knob names the config field it stands for, so a grid value is validated by the config's own
checks, and a design point reaches the estimator through the one build of the chip
(:func:`cimjax.build.chip_params` / :func:`cimjax.build.chip_config`): the chip of a design
is the chip ``cimjax estimate --set field=value`` builds (``tests/dse/test_dse_sweep.py``).

Kinds: ``float`` (continuous), ``int``, ``pow2`` (a power of two; continuous in its log2 for
gradients) and ``choice`` (a string). Numeric parameters are *traced*: they enter the
estimate as float arrays, so they ``vmap`` and (in the relaxed / ste count modes) have
gradients. A parameter whose knob is static or sets the tile grid (:class:`cimjax.build.Knob`:
choices, the mux ratio; the sub-array size and cell bits) also sets the
:class:`~cimjax.hw.chip.ChipConfig`; :mod:`cimjax.dse.sweep` groups a sweep by its static
configuration and evaluates each group with one traced program (compiled and vmapped, or
host-evaluated for a small group).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Mapping, Optional, Sequence

import jax
import jax.numpy as jnp

from cimjax.build import KNOBS, resolve
from cimjax.config import ConfigError, apply_overrides
from cimjax.config import hardware as S

Array = jax.Array


@dataclasses.dataclass(frozen=True)
class ParamSpec:
    """One design parameter.

    Attributes:
      name: the name used in grid files and on the command line.
      kind: ``"float"``, ``"int"``, ``"pow2"`` or ``"choice"``.
      lo, hi: valid range of a numeric parameter: its config field's range (taken from the
        config's constants where one exists, e.g. ``ADC_BITS_RANGE``; checked equal by
        ``tests/dse/test_dse_param_ranges.py``); ``lo_open``: ``lo`` excluded.
      choices: the valid strings of a ``choice``.
      log: sample / optimise on a log scale by default.
      knobs: the :data:`cimjax.build.KNOBS` it sets (default: the knob of its own name; empty
        for a parameter of the analog read only, which names ``read_fields``).
      read_fields: the config fields of a parameter that is not a chip knob.
      read: it changes the analog read of a trained network (``cimjax evaluate --sweep``).
      read_traced: in ``cimjax evaluate`` it is a traced value (vmapped, no recompile).
      unit: unit of the value.
      doc: one line for ``--help`` and the docs.
    """

    name: str
    kind: str
    lo: Optional[float] = None
    hi: Optional[float] = None
    lo_open: bool = False
    choices: tuple = ()
    log: bool = False
    knobs: tuple = ()
    read_fields: tuple = ()
    read: bool = False
    read_traced: bool = False
    unit: str = ""
    doc: str = ""

    def __post_init__(self):
        if not self.knobs and not self.read_fields:
            object.__setattr__(self, "knobs", (self.name,))
        unknown = [k for k in self.knobs if k not in KNOBS]
        if unknown:
            raise ValueError(f"ParamSpec {self.name!r}: unknown build knobs {unknown}")

    @property
    def fields(self) -> tuple:
        """The ``section.field`` config fields the value stands for."""
        return tuple(KNOBS[k].field for k in self.knobs) + self.read_fields

    @property
    def chip(self) -> bool:
        """True for a parameter of the chip (a design sweep's; it sets build knobs)."""
        return bool(self.knobs)

    @property
    def static(self) -> bool:
        """True when the value is also a field of the static :class:`~cimjax.hw.chip.ChipConfig`
        (choices, the mux ratio)."""
        return any(KNOBS[k].static for k in self.knobs)

    @property
    def grid(self) -> bool:
        """True when the value also sets the static tile grid (sub-array size, cell bits)."""
        return any(KNOBS[k].grid for k in self.knobs)

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


#: Every parameter a grid may name, in display order.
PARAMS: dict[str, ParamSpec] = {
    s.name: s
    for s in (
        _p("subarray_size", "pow2", 16, 2048, log=True, knobs=("subarray_rows", "subarray_cols"), unit="cells",
           doc="square sub-array rows = columns"),
        _p("subarray_rows", "pow2", 16, 2048, log=True, unit="cells", read=True, doc="sub-array rows"),
        _p("subarray_cols", "pow2", 16, 2048, log=True, unit="cells", doc="sub-array columns"),
        _p("adc_bits", "int", *S.ADC_BITS_RANGE, unit="bit", read=True,
           doc="forward ADC (MLSA) precision, and the AG ADC's while hardware.ag_adc_bits is unset "
               "(the MLSA fits hold to 8 bits; beyond, extrapolated)"),
        _p("ag_adc_bits", "int", *S.ADC_BITS_RANGE, unit="bit",
           doc="transposed-read (AG) ADC precision (levelOutputAG = 2^bits; fits to 8 bits, then extrapolated)"),
        _p("wg_adc_bits", "int", *S.ADC_BITS_RANGE, unit="bit",
           doc="weight-gradient unit's ADC precision (levelOutputWG = 2^bits; fits to 8 bits, then extrapolated)"),
        _p("global_bus_width", "int", 1, 65536, log=True, unit="wires", doc="widest global bus (maxGlobalBusWidth)"),
        _p("cell_bits", "int", 1, 8, unit="bit", read=True, doc="bits per cell (lowered to the weight bits)"),
        _p("columns_per_adc", "pow2", 1, 256, log=True,
           doc="columns sharing one ADC (column-mux ratio; static mux decoders)"),
        _p("ag_rows_per_adc", "pow2", 1, 256, log=True,
           doc="rows sharing one ADC in the transposed read (numRowMuxedAG; static mux decoders)"),
        _p("wg_subarray_rows", "pow2", 16, 2048, log=True, unit="cells",
           doc="rows of one weight-gradient SRAM array (numRowSubArrayWG)"),
        _p("wg_subarray_cols", "pow2", 16, 2048, log=True, unit="cells",
           doc="columns of one weight-gradient SRAM array (numColSubArrayWG)"),
        _p("wg_rows_per_adc", "pow2", 2, 256, log=True,
           doc="columns sharing one ADC in the weight-gradient unit (numRowMuxedWG; static mux decoder)"),
        _p("technology_node_nm", "float", 7, 130, unit="nm", doc="CMOS node (continuous: the tables are interpolated)"),
        _p("r_on", "float", 0, 1e12, lo_open=True, log=True, unit="ohm", doc="cell on-resistance (keeps the on/off ratio)"),
        _p("on_off_ratio", "float", 1, 1e9, lo_open=True, log=True, read=True, doc="R_off / R_on"),
        _p("read_voltage", "float", 0, 10, lo_open=True, unit="V", doc="read voltage"),
        _p("write_voltage", "float", 0, 10, lo_open=True, unit="V", doc="write voltage"),
        _p("read_pulse_width", "float", 0, 1, lo_open=True, log=True, unit="s", doc="read pulse width"),
        _p("write_pulse_width", "float", 0, 1, lo_open=True, log=True, unit="s", doc="write pulse width"),
        _p("clock_hz", "float", 0, 1e11, lo_open=True, log=True, unit="Hz", doc="clock frequency"),
        _p("temperature_k", "float", 300, 400, unit="K",
           doc="operating temperature (transistor off-currents, wire resistivity; NeuroSim's tables span 300-400 K)"),
        _p("vdd_scale", "float", 0.5, 2.0, doc="multiplier on the node's supply voltage"),
        _p("wire_width_nm", "float", 14, 200, unit="nm", doc="local wire width"),
        _p("global_bus_delay_tolerance", "float", 0, 10,
           doc="chip H-tree repeaters relaxed to (1 + tolerance) x the optimal delay (globalBusDelayTolerance)"),
        _p("local_bus_delay_tolerance", "float", 0, 10,
           doc="tile H-tree and bus repeaters relaxed to (1 + tolerance) x the optimal delay (localBusDelayTolerance)"),
        _p("buffer_overhead_constraint", "float", 0, 1024,
           doc="global buffer grown for weight gradients up to (1 + N) x its inference size (bufferOverHeadConstraint)"),
        _p("access_voltage", "float", 0, 10, lo_open=True, unit="V", doc="1T1R access-transistor gate voltage"),
        _p("access_resistance", "float", 0, 1e9, unit="ohm", doc="1T1R access-transistor on-resistance"),
        _p("batch_size", "int", 1, 1 << 16, log=True, unit="images",
           doc="training batch (iterations = ⌊train images / batch⌋, capped by train.steps_per_epoch)"),
        _p("cell_type", "choice", choices=S.ESTIMATOR_CELL_TYPES,
           doc="memory cell: 1T1R RRAM, FeFET or SRAM (SRAM stores 1 bit per cell)"),
        _p("mapping", "choice", choices=S.MAPPINGS, doc="NeuroSim's novel or conventional weight mapping"),
        _p("global_buffer", "choice", choices=S.BUFFER_TYPES, doc="global buffer type"),
        _p("dram", "choice", choices=S.DRAM_TYPES, doc="off-chip DRAM"),
        _p("roadmap", "choice", choices=S.ROADMAPS, doc="transistor roadmap (LSTP is V2.0's)"),
        # The analog read of a trained network (cimjax evaluate), not the chip's cost.
        _p("array_mode", "choice", choices=S.ARRAY_MODES, read_fields=("array.mode",), read=True,
           doc="ideal (float product), hw_forward or hw_full (the analog array read)"),
        _p("adc_mode", "choice", choices=S.ARRAY_ADC_MODES, read_fields=("array.adc_mode",), read=True,
           doc="ADC model of the read: NeuroSim's linear or nonlinear, or none"),
        _p("adc_range", "choice", choices=S.ARRAY_ADC_RANGES, read_fields=("array.adc_range",), read=True,
           doc="ADC range: dynamic (per tensor) or full_scale"),
        _p("array_mapping", "choice", choices=S.ARRAY_MAPPINGS, read_fields=("array.mapping",), read=True,
           doc="weights on cells: dummy column or differential pairs"),
        _p("level_mapping", "choice", choices=S.ARRAY_LEVEL_MAPPINGS, read_fields=("array.level_mapping",), read=True,
           doc="weight/input levels: NeuroSim's grid or the exact WAGE grid (docs/model.md §3.5)"),
        _p("drift_v", "float", -10, 10, read_fields=("array.drift_v",), read=True,
           doc="retention drift exponent v of G(t) = G0 (t/t0)^(v s)"),
        _p("drift_mode", "choice", choices=S.ARRAY_DRIFT_MODES, read_fields=("array.drift_mode",), read=True,
           doc="drift direction: target or random"),
        _p("variation_sigma", "float", 0, 10, read_fields=("array.variation_sigma",), read=True, read_traced=True,
           doc="relative sigma of the static conductance variation"),
        _p("retention_time", "float", 0, 1e12, lo_open=True, log=True, read_fields=("array.retention_time",),
           read=True, read_traced=True, unit="s", doc="time since programming (1 = t0, no drift)"),
        _p("seed", "int", 0, 2**32 - 1, read_fields=("run.seed",), read=True, read_traced=True,
           doc="the seed of the variation and drift draws"),
    )
}

#: Sets that conflict (both write the same fields).
CONFLICTS = (("subarray_size", "subarray_rows"), ("subarray_size", "subarray_cols"))

#: Continuous chip parameters (default set of the sensitivity report).
CONTINUOUS = tuple(n for n, s in PARAMS.items() if s.kind == "float" and s.chip)


#: A single-field parameter by its config field (``hardware.adc_bits`` → ``adc_bits``).
BY_FIELD: dict[str, ParamSpec] = {s.fields[0]: s for s in PARAMS.values() if len(s.fields) == 1}


def spec(name: str) -> ParamSpec:
    """The :class:`ParamSpec` of ``name`` (a parameter name, or the config field of a
    single-field parameter); ``ValueError`` listing the known names otherwise."""
    if name in PARAMS:
        return PARAMS[name]
    if name in BY_FIELD:
        return BY_FIELD[name]
    raise ValueError(f"unknown parameter {name!r}: expected one of {', '.join(PARAMS)} (or their config fields)")


def parse_item(text: str, config, *, what: str = "--sweep") -> tuple[ParamSpec, list]:
    """``'NAME=v1,v2,...'`` → ``(spec, values)``: the one sweep language of ``cimjax sweep
    --sweep`` and ``cimjax evaluate --sweep``. ``NAME`` is a parameter name or its config
    field; each value is read and checked by the config field's own parser (``--set``), so a
    bad value fails naming the field and its range.

    Raises:
      ConfigError: a malformed item, an unknown name, an invalid or repeated value.
    """
    if "=" not in text:
        raise ConfigError(f"{what} {text!r} is invalid: expected NAME=v1,v2,... (a parameter or a config field)")
    name, raw = (part.strip() for part in text.split("=", 1))
    try:
        s = spec(name)
    except ValueError as err:
        raise ConfigError(f"{what} {name}: {err}") from None
    items = [v.strip() for v in raw.split(",") if v.strip()]
    if not items:
        raise ConfigError(f"{what} {name}= has no values: expected {name}=v1,v2,...")
    values = []
    for item in items:
        changed = apply_overrides(config, [f"{field}={item}" for field in s.fields])
        section, field = s.fields[0].split(".")
        values.append(getattr(getattr(changed, section), field))
    if len(set(values)) != len(values):
        raise ConfigError(f"{what} {name} lists a value twice: {items}")
    return s, values


def read_table() -> str:
    """A text table of the parameters ``cimjax evaluate --sweep`` accepts."""
    rows = [(n, s) for n, s in PARAMS.items() if s.read]
    width = max(len(n) for n, _ in rows)
    return "\n".join(f"  {n.ljust(width)}  ({s.fields[0]}) {s.range_text()}{' ' + s.unit if s.unit else ''}: {s.doc}"
                     for n, s in rows)


def allowed_table() -> str:
    """A text table of every chip parameter, its range and meaning (for ``--help`` and errors)."""
    rows = [(n, s) for n, s in PARAMS.items() if s.chip]
    width = max(len(n) for n, _ in rows)
    return "\n".join(f"  {n.ljust(width)}  {s.range_text()}{' ' + s.unit if s.unit else ''}: {s.doc}"
                     for n, s in rows)


def apply_values(knobs: Mapping, names: Sequence[str], values: Array) -> dict:
    """``knobs`` (:func:`cimjax.build.knob_values`) with the numeric parameters ``names`` set to
    ``values`` (shape ``(len(names),)``), for :func:`cimjax.build.chip_params`.

    Choices in ``names`` are skipped (they are static: :func:`static_knobs`). Pure and
    jittable; ``vmap`` over ``values`` for a batch of designs.
    """
    out = dict(knobs)
    values = jnp.asarray(values)
    for i, name in enumerate(names):
        s = PARAMS[name]
        if s.numeric:
            v = values[i].astype(jnp.result_type(float))
            out.update({k: v for k in s.knobs})
    return out


def static_knobs(knobs: Mapping, point: Mapping) -> dict:
    """``knobs`` with the static knobs set from one design's concrete values ``point``
    (parameter name → value), for :func:`cimjax.build.chip_config`."""
    out = dict(knobs)
    for name, value in point.items():
        s = PARAMS[name]
        if s.static or s.grid:
            value = value if s.kind == "choice" else int(value)
            out.update({k: value for k in s.knobs})
    return out


def get_values(knobs: Mapping, names: Sequence[str]) -> list[float]:
    """The base design's value of each (numeric) parameter in ``names``."""
    out, knobs = [], resolve(knobs)
    for name in names:
        s = spec(name)
        if not s.numeric:
            raise ValueError(f"design parameter {name!r} is a choice: it has no numeric value")
        out.append(float(knobs[s.knobs[0]]))
    return out


def is_integer_valued(x: float) -> bool:
    return math.isfinite(x) and float(x) == math.floor(x)
