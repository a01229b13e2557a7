"""NeuroSim V2.0 ``Param.cpp`` → ``--set`` overrides (``cimjax config --from-neurosim PATH``).

Reads the assignments ``name = expression;`` at the top level of ``Param::Param() { ... }``
(C++ ``//`` and ``/* */`` comments removed; assignments inside ``if``/``switch`` blocks are
``Param.cpp``'s own derivations and are skipped), evaluates each expression (numbers, ``true`` /
``false``, ``+ - * /``, parentheses, ``(double)`` / ``(int)`` casts and names assigned before),
and maps every parameter by :data:`FIELDS` onto the config field that stands for it
(``docs/neurosim_params.md``, whose table ``tests/hw/test_neurosim_params_doc.py`` checks
against :data:`FIELDS`), converting units (``levelOutput = 32`` → ``hardware.adc_bits=5``).

Nothing is dropped silently: :class:`Translation` lists the parameters of unknown name, those
cimjax does not model at the value given, and those it ignores (derived by ``Param.cpp`` itself,
or not modelled but at the value cimjax assumes). A value the field does not accept fails when
the config is built, naming the field, its range and the ``Param.cpp`` parameter.
"""

from __future__ import annotations

import ast
import dataclasses
import math
import re
from typing import Any, Callable

from cimjax.config._validate import ConfigError
from cimjax.config.io import apply_overrides
from cimjax.config.schema import Config


def _log2_levels(name: str, value: float) -> int:
    bits = math.log2(value) if value > 0 else math.nan
    if not (math.isfinite(bits) and bits == int(bits) and bits >= 1):
        raise ConfigError(f"Param.cpp {name} = {value:g} is invalid: expected a number of levels 2^N, N >= 1")
    return int(bits)


def _choice(table: dict) -> Callable[[str, float], Any]:
    def convert(name: str, value: float):
        if value not in table:
            raise ConfigError(f"Param.cpp {name} = {value:g} is invalid: expected one of {sorted(table)}")
        return table[value]

    return convert


def _int(name: str, value: float) -> int:
    if value != int(value):
        raise ConfigError(f"Param.cpp {name} = {value:g} is invalid: expected an integer")
    return int(value)


def _float(name: str, value: float) -> float:
    return float(value)


def _metres_to_nm(name: str, value: float) -> float:
    """A length in metres (``featuresize = 40e-9``) as nm, rounded to 12 significant digits."""
    return float(f"{value * 1e9:.12g}")


#: ``Param.cpp`` name → (config field, conversion of the evaluated value).
FIELDS: dict[str, tuple[str, Callable[[str, float], Any]]] = {
    "operationmode": ("hardware.read_mode", _choice({1: "sequential", 2: "parallel"})),
    "parallelBP": ("hardware.parallel_bp", _choice({0: False, 1: True})),
    "memcelltype": ("hardware.cell_type", _choice({1: "sram", 2: "rram", 3: "fefet"})),
    "deviceroadmap": ("hardware.roadmap", _choice({1: "HP", 2: "LSTP"})),
    "globalBufferType": ("hardware.global_buffer", _choice({0: "register_file", 1: "sram"})),
    "peBufferType": ("hardware.tile_buffer", _choice({0: "register_file", 1: "sram"})),
    "novelMapping": ("hardware.mapping", _choice({0: "conventional", 1: "novel"})),
    "clkFreq": ("hardware.clock_hz", _float),
    "temp": ("hardware.temperature_k", _float),
    "technode": ("hardware.technology_node_nm", _float),
    "wireWidth": ("hardware.wire_width_nm", _float),
    "globalBusDelayTolerance": ("hardware.global_bus_delay_tolerance", _float),
    "localBusDelayTolerance": ("hardware.local_bus_delay_tolerance", _float),
    "maxGlobalBusWidth": ("hardware.global_bus_width", _int),
    "numRowSubArray": ("hardware.subarray_rows", _int),
    "numColSubArray": ("hardware.subarray_cols", _int),
    "numColMuxed": ("hardware.columns_per_adc", _int),
    "levelOutput": ("hardware.adc_bits", _log2_levels),
    "cellBit": ("hardware.cell_bits", _int),
    "resistanceOn": ("hardware.r_on", _float),
    "resistanceOff": ("hardware.on_off_ratio", _float),  # ÷ resistanceOn (translate)
    "maxNumLevelLTP": ("device.max_level", _int),
    "maxNumLevelLTD": ("device.max_level", _int),  # must equal maxNumLevelLTP (translate)
    "writeVoltage": ("hardware.write_voltage", _float),
    "writePulseWidth": ("hardware.write_pulse_width", _float),
    "readVoltage": ("hardware.read_voltage", _float),
    "readPulseWidth": ("hardware.read_pulse_width", _float),
    "accessVoltage": ("hardware.access_voltage", _float),
    "resistanceAccess": ("hardware.access_resistance", _float),
    "batchSize": ("data.batch_size", _int),
    "bufferOverHeadConstraint": ("hardware.buffer_overhead_constraint", _float),
    "numRowSubArrayWG": ("hardware.wg_subarray_rows", _int),
    "numColSubArrayWG": ("hardware.wg_subarray_cols", _int),
    "numRowMuxedAG": ("hardware.ag_rows_per_adc", _int),
    "levelOutputAG": ("hardware.ag_adc_bits", _log2_levels),
    "numRowMuxedWG": ("hardware.wg_rows_per_adc", _int),
    "levelOutputWG": ("hardware.wg_adc_bits", _log2_levels),
    "dramType": ("hardware.dram", _choice({1: "gddr5", 2: "hbm2"})),
    "reLu": ("hardware.activation", _choice({0: "sigmoid", 1: "relu"})),
    "pipeline": ("hardware.pipeline", _choice({0: False, 1: True})),
    "speedUpDegree": ("hardware.speed_up_degree", _int),
    "chipActivation": ("hardware.chip_activation", _choice({0: False, 1: True})),
    # cell and layout knobs
    "treeFoldedRatio": ("hardware.tree_folded_ratio", _float),
    "relaxArrayCellHeight": ("hardware.relax_array_cell_height", _choice({0: False, 1: True})),
    "relaxArrayCellWidth": ("hardware.relax_array_cell_width", _choice({0: False, 1: True})),
    "heightInFeatureSizeSRAM": ("hardware.sram_cell_height_f", _float),
    "widthInFeatureSizeSRAM": ("hardware.sram_cell_width_f", _float),
    "widthSRAMCellNMOS": ("hardware.sram_nmos_width_f", _float),
    "widthSRAMCellPMOS": ("hardware.sram_pmos_width_f", _float),
    "widthAccessCMOS": ("hardware.sram_access_width_f", _float),
    "minSenseVoltage": ("hardware.sram_min_sense_voltage", _float),
    "heightInFeatureSize1T1R": ("hardware.envm_cell_height_f", _float),
    "widthInFeatureSize1T1R": ("hardware.envm_cell_width_f", _float),
    "gateCapFeFET": ("hardware.fefet_gate_capacitance", _float),
    # buffer cores
    "globalBufferCoreSizeRow": ("hardware.global_buffer_core_rows", _int),
    "globalBufferCoreSizeCol": ("hardware.global_buffer_core_cols", _int),
    "tileBufferCoreSizeRow": ("hardware.tile_buffer_core_rows", _int),
    "tileBufferCoreSizeCol": ("hardware.tile_buffer_core_cols", _int),
    # the access device and the cross-point cell
    "accesstype": ("hardware.access_type", _choice({1: "cmos", 2: "bjt", 3: "diode", 4: "none"})),
    "featuresize": ("hardware.crossbar_feature_size_nm", _metres_to_nm),
    "heightInFeatureSizeCrossbar": ("hardware.crossbar_cell_height_f", _float),
    "widthInFeatureSizeCrossbar": ("hardware.crossbar_cell_width_f", _float),
    "nonlinearIV": ("hardware.nonlinear_iv", _choice({0: False, 1: True})),
    "nonlinearity": ("hardware.nonlinearity", _float),
}

#: Parameters cimjax does not model as a choice, with the value it assumes (NeuroSim V2.0's):
#: at that value they are ignored, at another they are listed as unsupported.
MODELLED_AS: dict[str, float] = {
    "transistortype": 1, "tileBufferType": 0,
    "algoWeightMax": 1, "algoWeightMin": -1, "trainingEstimation": 1,
}

#: Names ``Param::Param()`` computes from the others (never inputs).
DERIVED = frozenset({
    "maxConductance", "minConductance", "conventionalParallel", "conventionalSequential", "BNNparallelMode",
    "BNNsequentialMode", "XNORsequentialMode", "XNORparallelMode", "parallelRead", "AR", "Rho", "wireLengthRow",
    "wireLengthCol", "unitLengthWireResistance", "wireResistanceRow", "wireResistanceCol",
})

#: Inputs cimjax derives its own way (listed as ignored, with the reason).
DERIVED_IN_CIMJAX = {"numIteration": "iterations per epoch = training images / data.batch_size"}


@dataclasses.dataclass(frozen=True)
class Translation:
    """A ``Param.cpp`` read into overrides.

    Attributes:
      overrides: ``(Param.cpp name, "section.field=value")`` pairs, in ``Param.cpp`` order.
      values: every top-level assignment, name → evaluated value.
      unknown: names cimjax does not know.
      unsupported: ``name = value (reason)`` of parameters cimjax does not model at that value.
      ignored: ``name (reason)`` of parameters read but not applied (derived, or not modelled
        at the value cimjax assumes).
    """

    overrides: tuple
    values: dict
    unknown: tuple
    unsupported: tuple
    ignored: tuple

    @property
    def sets(self) -> list[str]:
        """The ``section.field=value`` overrides (``--set`` items)."""
        return [item for _, item in self.overrides]

    def report(self) -> str:
        """The lists of parameters not applied, for people (empty when there are none)."""
        lines = []
        for title, items in (("unknown Param.cpp parameters (not applied)", self.unknown),
                             ("Param.cpp parameters cimjax does not model at the value given (not applied)",
                              self.unsupported),
                             ("Param.cpp parameters ignored", self.ignored)):
            if items:
                lines.append(f"{title}: " + ", ".join(items))
        return "\n".join(lines)


def _body(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    m = re.search(r"Param::Param\s*\(\s*\)\s*\{", text)
    if not m:
        raise ConfigError("Param.cpp: no constructor 'Param::Param() { ... }' found")
    depth, start = 1, m.end()
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[start:i]
    raise ConfigError("Param.cpp: the constructor 'Param::Param() {' is not closed")


def _statements(body: str) -> list[str]:
    """The statements at the constructor's top level (brace depth 0 of ``body``)."""
    out, depth, current = [], 0, []
    for ch in body:
        if ch == "{":
            depth += 1
            current = []
        elif ch == "}":
            depth -= 1
            current = []
        elif depth == 0:
            if ch == ";":
                out.append("".join(current).strip())
                current = []
            else:
                current.append(ch)
    return [s for s in out if s]


_ASSIGN = re.compile(r"^(?:param\s*->\s*)?([A-Za-z_]\w*)\s*=\s*(.+)$", re.S)
_CAST = re.compile(r"\(\s*(?:double|int|float|bool)\s*\)")


def _evaluate(name: str, expr: str, known: dict) -> float:
    src = _CAST.sub(" ", expr).replace("true", "1").replace("false", "0")
    try:
        tree = ast.parse(src.strip(), mode="eval")
    except SyntaxError:
        raise ConfigError(f"Param.cpp {name} = {expr.strip()}: not an expression cimjax reads "
                          "(numbers, true/false, + - * /, parentheses, earlier parameters)") from None

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        if isinstance(node, ast.Name):
            if node.id not in known:
                raise ConfigError(f"Param.cpp {name} = {expr.strip()}: {node.id} is not assigned before")
            return known[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            a, b = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            if b == 0:
                raise ConfigError(f"Param.cpp {name} = {expr.strip()}: division by zero")
            return a / b
        raise ConfigError(f"Param.cpp {name} = {expr.strip()}: not an expression cimjax reads "
                          "(numbers, true/false, + - * /, parentheses, earlier parameters)")

    return ev(tree)


def read_param_cpp(text: str) -> dict[str, float | None]:
    """Every top-level assignment of ``Param::Param()`` in ``text``, name → value, in order
    (a later assignment of a name replaces an earlier one; the names in :data:`DERIVED` are
    recorded with the value None, not evaluated)."""
    values: dict[str, float] = {}
    for stmt in _statements(_body(text)):
        m = _ASSIGN.match(stmt)
        if not m or m.group(2).startswith("="):
            continue  # a call or a comparison, not an assignment
        name = m.group(1)
        # Param.cpp's own derivations may read values set inside blocks: not evaluated.
        values[name] = None if name in DERIVED else _evaluate(name, m.group(2), values)
    return values


def translate(text: str) -> Translation:
    """The overrides that stand for the ``Param.cpp`` in ``text`` (module docstring).

    Raises:
      ConfigError: no ``Param::Param()``, an expression that is not read, or a value that has
        no config value (``levelOutput`` not a power of two, an unknown ``memcelltype``).
    """
    values = read_param_cpp(text)
    overrides, unknown, unsupported, ignored = [], [], [], []
    for name, value in values.items():
        if name in FIELDS:
            field, convert = FIELDS[name]
            if name == "resistanceOff":
                if "resistanceOn" not in values or values["resistanceOn"] <= 0:
                    raise ConfigError("Param.cpp resistanceOff needs a positive resistanceOn before it")
                converted = value / values["resistanceOn"]
            elif name == "maxNumLevelLTD":
                if values.get("maxNumLevelLTP") != value:
                    unsupported.append(f"maxNumLevelLTD = {value:g} (cimjax has one level count, "
                                       f"device.max_level, set from maxNumLevelLTP)")
                else:
                    ignored.append("maxNumLevelLTD (equal to maxNumLevelLTP)")
                continue
            else:
                converted = convert(name, value)
            overrides.append((name, f"{field}={converted}"))
        elif name in MODELLED_AS:
            if math.isclose(value, MODELLED_AS[name], rel_tol=1e-12):
                ignored.append(f"{name} (not modelled; cimjax assumes {MODELLED_AS[name]:g})")
            else:
                unsupported.append(f"{name} = {value:g} (not modelled; cimjax assumes {MODELLED_AS[name]:g}, "
                                   "see docs/neurosim_params.md)")
        elif name in DERIVED:
            ignored.append(f"{name} (derived by Param.cpp)")
        elif name in DERIVED_IN_CIMJAX:
            ignored.append(f"{name} ({DERIVED_IN_CIMJAX[name]})")
        else:
            unknown.append(name)
    return Translation(tuple(overrides), values, tuple(unknown), tuple(unsupported), tuple(ignored))


def apply_param_cpp(config: Config, text: str) -> tuple[Config, Translation]:
    """``config`` with the overrides of the ``Param.cpp`` in ``text`` applied, and the
    :class:`Translation`. A value a field does not accept fails naming the field, its range and
    the ``Param.cpp`` parameter it came from (:class:`ConfigError`)."""
    translation = translate(text)
    try:
        return apply_overrides(config, translation.sets), translation
    except ConfigError as err:
        named = [f"{name} = {translation.values[name]:g}" for name, item in translation.overrides
                 if re.search(rf"\b{re.escape(item.split('=')[0])}\b", str(err))]
        raise ConfigError(f"Param.cpp {', '.join(named) or 'values'}: {err}") from None
