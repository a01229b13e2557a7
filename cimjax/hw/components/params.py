"""Shared inputs of the peripheral components: ``CircuitParams`` (traced) and ``ComponentConfig`` (static).

Every component of :mod:`cimjax.hw.components` has the signature ``f(params, config) -> Cost``.
Its params are a NamedTuple whose first field ``circuit`` is a :class:`CircuitParams` (the
technology node, supply, clock and wire values every component shares) followed by the
component's own sizes and counts; its config is a frozen, hashable dataclass derived from
:class:`ComponentConfig` (the roadmap and the relax mode every component shares, plus the
component's structural choices). One shared ``CircuitParams`` keeps a design point in one
place: ``vmap`` over ``params.circuit.node_nm`` sweeps the node for every component alike.

Counts and bit widths that do not set array shapes (bits of an adder, inputs of an adder
tree, bits moved from DRAM) are traced floats, holding integers in exact mode, so they can
be differentiated in the ``"relaxed"``/``"ste"`` modes of :mod:`cimjax.hw.relax`. Counts that
set the structure (decoder outputs, H-tree grid) are static config fields.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple, Optional, TypeVar, Union

import jax
import jax.numpy as jnp

from cimjax.hw import relax, tech
from cimjax.hw.neurosim_version import CURRENT, NeuroSimVersion

C = TypeVar("C", bound="ComponentConfig")
Array = jax.Array
ArrayLike = Union[jax.Array, float, int]

#: Read ADC kinds (:attr:`ComponentConfig.adc`): NeuroSim's multilevel current-sense amplifier
#: (V2.0, V2.1's default), V2.1's voltage-mode one (``currentMode = false``) and V2.1's SAR ADC
#: (``SARADC``).
ADC_KINDS = ("mlsa", "mlsa_voltage", "sar")

#: NeuroSim's wire capacitance per length, 0.2 fF/µm (docs/model.md §5.4, §5.6), in F/m.
WIRE_CAPACITANCE = 0.2e-15 / 1e-6


def as_float(x: ArrayLike) -> Array:
    """``x`` as an array of the default float dtype."""
    return jnp.asarray(x).astype(jnp.result_type(float))


class CircuitParams(NamedTuple):
    """Traced circuit parameters shared by all components (defaults: NeuroSim V2.0, docs/model.md §5.3).

    Attributes:
      node_nm: technology node, nm, in [7, 130] (``technode`` = 32).
      vdd_scale: multiplier on the table's supply voltage (1 = the §5.9 table). The scaled
        ``V_dd`` is used everywhere the table's is (switching energy, ``R_on = k·V_dd/I_on``,
        leakage power); ``I_on``/``I_off`` are not rescaled (a first-order knob, not a device
        model).
      clock_hz: clock frequency, Hz (``clkFreq`` = 1 GHz); a DFF operation takes half a cycle.
      wire_width_nm: local wire width, nm, in [14, 200] (``wireWidth`` = 40).
      wire_capacitance: wire capacitance per length, F/m (0.2 fF/µm).
      temperature_k: circuit temperature, K, in [300, 400]: the transistor off-currents (NeuroSim's
        tables of T, every version), the wire resistivity term (V2.1's; applied in every
        version, 300 = none) and, under V2.1's ``finfet_on_current_temperature``, the FinFET
        on-currents' column; the other transistor values are at 300 K.
      technology: None, or the technology of ``node_nm``/``vdd_scale`` at one roadmap, with
        its standard cells, derived once and handed to every component
        (:func:`cimjax.hw.components.gates.with_standard_cells`; :func:`circuit_technology`).
    """

    node_nm: ArrayLike = 32.0
    vdd_scale: ArrayLike = 1.0
    clock_hz: ArrayLike = 1e9
    wire_width_nm: ArrayLike = 40.0
    wire_capacitance: ArrayLike = WIRE_CAPACITANCE
    temperature_k: ArrayLike = 300.0
    technology: Optional[tech.Technology] = None


@jax.tree_util.register_static
@dataclasses.dataclass(frozen=True, kw_only=True)
class ComponentConfig:
    """Static choices shared by all components (a hashable pytree with no leaves).

    Attributes:
      roadmap: ``"HP"`` or ``"LSTP"`` (NeuroSim's ``deviceroadmap``; LSTP is V2.0's default).
      mode: ``"exact"`` (default), ``"relaxed"`` or ``"ste"`` for every ceil/floor/log2 of the
        component (:mod:`cimjax.hw.relax`).
      temperature: staircase temperature of the relaxed mode for the component's own counts
        (count units); gate-level fin and finger counts use :mod:`cimjax.hw.relax`'s default,
        as :mod:`cimjax.hw.tech` does.
      version: the NeuroSim code the models follow and its quirks
        (:class:`~cimjax.hw.neurosim_version.NeuroSimVersion`; default the current code).
      adc: the read ADC of the eNVM/FeFET sub-arrays and the WG unit, one of :data:`ADC_KINDS`:
        ``"mlsa"`` (the multilevel current-sense amplifier, V2.0's and V2.1's default),
        ``"mlsa_voltage"`` (its voltage-mode sense amplifier, V2.1's ``currentMode = false``,
        :mod:`cimjax.hw.components.mlsa`) or ``"sar"`` (V2.1's ``SARADC = true``,
        :mod:`cimjax.hw.components.sar_adc`).
    """

    roadmap: str = "LSTP"
    mode: str = "exact"
    temperature: float = relax.DEFAULT_TEMPERATURE
    version: NeuroSimVersion = CURRENT
    adc: str = "mlsa"

    def __post_init__(self):
        name = type(self).__name__
        if not isinstance(self.roadmap, str) or self.roadmap.upper() not in tech.ROADMAPS:
            raise ValueError(f"{name}.roadmap = {self.roadmap!r}: expected one of {tech.ROADMAPS}")
        object.__setattr__(self, "roadmap", self.roadmap.upper())
        if self.mode not in relax.MODES:
            raise ValueError(f"{name}.mode = {self.mode!r}: expected one of {relax.MODES}")
        if isinstance(self.temperature, bool) or not isinstance(self.temperature, (int, float)):
            raise ValueError(f"{name}.temperature = {self.temperature!r}: expected a number > 0")
        if not self.temperature > 0:
            raise ValueError(f"{name}.temperature = {self.temperature!r}: expected a number > 0")
        if not isinstance(self.version, NeuroSimVersion):
            raise ValueError(f"{name}.version = {self.version!r}: expected a NeuroSimVersion")
        if self.adc not in ADC_KINDS:
            raise ValueError(f"{name}.adc = {self.adc!r}: expected one of {ADC_KINDS}")

    def sub(self, cls: type[C], **kw) -> C:
        """A component config of type ``cls`` sharing this config's roadmap, relax mode,
        temperature, NeuroSim version and ADC kind (``kw``: its own fields)."""
        return cls(roadmap=self.roadmap, mode=self.mode, temperature=self.temperature, version=self.version,
                   adc=self.adc, **kw)

    def _check_int(self, field: str, lo: int, hi: int | None = None) -> None:
        """Raise ValueError naming ``field`` unless it is an int in [lo, hi]."""
        value = getattr(self, field)
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= lo
        if ok and hi is not None:
            ok = value <= hi
        if not ok:
            bound = f"[{lo}, {hi}]" if hi is not None else f"≥ {lo}"
            raise ValueError(f"{type(self).__name__}.{field} = {value!r}: expected an int {bound}")

    def _check_choice(self, field: str, choices: tuple) -> None:
        """Raise ValueError naming ``field`` unless it is one of ``choices``."""
        value = getattr(self, field)
        if value not in choices:
            raise ValueError(f"{type(self).__name__}.{field} = {value!r}: expected one of {choices}")

    def _check_bool(self, field: str) -> None:
        """Raise ValueError naming ``field`` unless it is a bool."""
        value = getattr(self, field)
        if not isinstance(value, bool):
            raise ValueError(f"{type(self).__name__}.{field} = {value!r}: expected a bool")

    def ceil(self, x: ArrayLike) -> Array:
        """``⌈x⌉`` in this config's relax mode."""
        return relax.ceil(x, self.mode, temperature=self.temperature)

    def floor(self, x: ArrayLike) -> Array:
        """``⌊x⌋`` in this config's relax mode."""
        return relax.floor(x, self.mode, temperature=self.temperature)

    def log2ceil(self, x: ArrayLike) -> Array:
        """``⌈log2 x⌉`` in this config's relax mode."""
        return relax.log2ceil(x, self.mode, temperature=self.temperature)


def circuit_technology(circuit: CircuitParams, config: ComponentConfig) -> tech.Technology:
    """The :class:`~cimjax.hw.tech.Technology` of ``circuit`` with its supply scaled.

    ``circuit.technology`` when it is set (the chip estimate sets it once for all its
    components: :func:`cimjax.hw.components.gates.with_standard_cells`), else computed here.

    Args:
      circuit: :class:`CircuitParams` (traced).
      config: any :class:`ComponentConfig` (its roadmap is used when the technology is computed).

    Under ``config.version.finfet_on_current_temperature`` (NeuroSim V2.1) the FinFET
    on-currents are V2.1's at ``circuit.temperature_k`` (:mod:`cimjax.hw.tech`, "NeuroSim V2.1's
    FinFET on-currents"); otherwise at 300 K. The off-currents are NeuroSim's tables at
    ``circuit.temperature_k`` in every version (:mod:`cimjax.hw.tech`, "Off-currents").

    Returns:
      ``tech.technology(node_nm, roadmap)`` with ``vdd`` multiplied by ``vdd_scale``.
    """
    if circuit.technology is not None:
        return circuit.technology
    t_k = circuit.temperature_k if config.version.finfet_on_current_temperature else None
    t = tech.technology(circuit.node_nm, config.roadmap, finfet_temperature_k=t_k,
                        temperature_k=circuit.temperature_k)
    return t._replace(vdd=t.vdd * as_float(circuit.vdd_scale))
