"""Multilevel sense amplifier (MLSA, a current-mode flash ADC).

Source: docs/model.md §5.4 "MLSA model" and its Appendix A (NeuroSim V2.0 ``MultilevelSenseAmp.cpp``, whose
latency and power are fits to Cadence simulations of a current-sense amplifier; the fit
constants below are NeuroSim V2.0's, attributed, not re-derived), on the standard cells of
:mod:`cimjax.hw.components.gates`. Valid for nodes in [7, 130] nm, 2–256 levels, column
resistances > 0 (``inf`` = a column with no active row).

**MLSA.** A flash ADC of ``L − 1`` current-sense amplifiers per ADC; ``num_adc`` ADCs each
sense ``columns_per_adc`` columns one after another.

* References (parallel mode) ``R_ref,i = R_on/N + (i + 1)·(R_off/N)/L``, ``i = 0 … L−2``
  (``N`` = array rows, ``R_on``/``R_off`` the device values without the access transistor).
* The column resistance is rescaled by ``0.5/V_read`` (the fits were made at 0.5 V).
* Column latency, LSTP, fitted nodes 130/90/65/45/32 nm: ``T_max = (p·ln(R/1 kΩ) + q)`` ns and,
  over ``i = 1 … L−2`` with ``r = R_ref,i/R``, the maximum of 1 ns if ``r ≥ 20`` or ``r ≤ 0.05``,
  ``T_max·cubic(r)`` if ``r ≤ 0.9``, else ``T_max·quartic(r)`` (NeuroSim's chained comparison
  makes the quartic branch always taken above 0.9; ``version.mlsa_quartic_above_cubic=False``
  uses ``T_max`` on ``(0.9, 1.1)`` as the code evidently intended). HP roadmap, or nodes ≤ 22 nm:
  1 ns. A column with ``R = inf`` takes 0.
* Sub-array MLSA latency ``clamp(max_j T_j, 1 ns, 10 ns)·columns_per_adc``.
* Column power ``P(R) = a·(L − 1)·1e−6 + b·exp(c·log10 R)`` W (``R = inf``: 1 µW, as NeuroSim);
  energy ``Σ_j P(R_j)·clamp(max T)``.
* **Empty reads** (``read_occupancy``). NeuroSim evaluates the MLSA once per input bit-vector
  (one bit plane of one window on one sub-array) on that read's column resistances. A read
  with no active row has every column open (``R = inf``): each column costs 1 µW for the
  clamped 1 ns, i.e. almost nothing, instead of the ``a·(L − 1)`` µW constant term that
  dominates ``P(R)``. :func:`mlsa` returns the mean cost over reads when a fraction
  ``read_occupancy`` of them has at least one active row (evaluated on the given resistance,
  which is then that of an *occupied* read) and the rest none: ``occ·cost(R) + (1 − occ)·
  cost(inf)`` for latency and energy. Post-ReLU inputs in two's complement never set the
  sign plane, so ``occ ≤ 7/8`` there; ``occ = 1`` (the default) is i.i.d.-like input bits.
* Area ``(48·A_n,min + 24·A_p,min)·(L − 1)·num_adc`` with the layout areas of a minimum NMOS
  and PMOS (each a 2-pitch, one-finger cell region: the minimum INV's area here). No leakage.

**Node interpolation (cimjax's).** The fits exist only at tabulated nodes. Latency and power
are evaluated with each tabulated node's fit and interpolated *linearly in the node* with
``jnp.interp`` weights: latency over (7, 22 → 1 ns; 32, 45, 65, 90, 130 → the fits), power
over the nine nodes of Appendix A. Exact at tabulated nodes, continuous and differentiable in
between (NeuroSim itself falls through to the 7-nm/≤22-nm branch for untabulated nodes).

**March 2020 code** (the ``version`` flags named below; :mod:`cimjax.hw.neurosim_version`): NeuroSim
V2.0's first public release, commit bf95f9c (2020-03-15), ``MultilevelSenseAmp.cpp``,
``CurrentSenseAmp.cpp`` (facts and formulas only; the model the
manual's Fig. 34 was computed with). Valid range as above. It differs from the current code in:

* **Area** (``mlsa_current_sense_amp_area``). Each comparator level is a ``CurrentSenseAmp`` layout of 16 NMOS (4 of 6×, 8 of 1×
  and 4 of 2× the minimum width ``2F``), each an NMOS-only inverter cell
  (:func:`march2020_mlsa_area`): ``Σ n_k·A_inv(k·2F, 0)·(L − 1)·num_adc``.
* **Column energy** (``mlsa_column_energy_sum``; ``GetColumnPower`` returned an *energy*): LSTP, fitted nodes 130 … 32 nm,
  ``E(R) = P(R)·Σ_{i=1}^{L−2} T_i(R)`` with ``P(R) = (α·ln(R/1 kΩ) + β)`` µW and ``T_i`` the
  unclamped latency of reference ``i`` (the ladder of the latency fit above); nodes ≤ 22 nm
  ``E = P·1 ns``; HP ``E = P·1 ns·(L − 1)``. An open column (``R = inf``) costs 0. Nodes between
  fits are interpolated linearly in the node, as above (the power fits over 22 … 130 nm, 22 nm
  standing for ≤ 22 nm).
* **Reads per action** (``mlsa_column_energy_sum``). The sub-array called ``CalculatePower`` with ``numRead = numColMuxed``
  (forward) / ``numRowMuxedBP`` (transposed) on the vector of *all* columns: :func:`mlsa`'s energy
  is ``columns_per_adc·Σ_j E(R_j)`` (the current code: ``numRead = 1``).
* No ``0.5/V_read`` rescaling of the column resistance (in latency and energy;
  ``mlsa_unscaled_read_voltage``).

Levels enter as ``log2 L`` and ``L/2`` unrounded (exact for powers of two; NeuroSim's
``ceil``/integer division differ only for other ``L``).

**Voltage-mode sense amplifier** (``config.adc == "mlsa_voltage"``): NeuroSim V2.1 (commit
18289cb) ``MultilevelSenseAmp.cpp`` with ``currentMode = false`` (facts and fit constants only,
NeuroSim's, attributed). Valid range as above.

* Latency ``1 ns·columns_per_adc`` per read, whatever the column resistances.
* Column power ``P_v(R) = a·(L − 1)·1e−6 + b·exp(c·log10 R)`` W (:data:`_VOLTAGE_POWER`, per node
  and roadmap; ``R`` rescaled by ``0.5/V_read``; an open column 1 µW), times ``1 + 1.3e−3·(T −
  300 K)`` (the circuit temperature; V2.1 applies it to both modes: the current mode takes it
  under the version flag ``mlsa_power_temperature``, :func:`power_temperature_factor`); energy
  ``Σ_j P_v(R_j)·1 ns``; empty reads as above.
* Area ``(52·A_n,min + 60·A_p,min)·(L − 1)·num_adc``.

Its thermometer encoder is :mod:`cimjax.hw.components.encoder`.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple, Union

import jax
import jax.numpy as jnp
import numpy as np

from cimjax.hw import tech
from cimjax.hw.components import gates
from cimjax.hw.components.params import (CircuitParams, ComponentConfig, as_float,
                                         circuit_technology)
from cimjax.hw.cost import Cost

Array = jax.Array
ArrayLike = Union[jax.Array, float, int]

#: MLSA transistor counts per comparator level (NeuroSim V2.0 MultilevelSenseAmp.cpp area).
MLSA_NMOS_PER_LEVEL, MLSA_PMOS_PER_LEVEL = 48, 24
#: The same for the voltage-mode sense amplifier (V2.1 ``currentMode = false``).
VSA_NMOS_PER_LEVEL, VSA_PMOS_PER_LEVEL = 52, 60
#: Voltage-mode column power temperature coefficient, 1/K (V2.1 ``GetColumnPower``).
POWER_TEMPERATURE_COEFFICIENT = 1.3e-3
#: Fit resistance scale: the Cadence fits were made at this read voltage, V.
FIT_READ_VOLTAGE = 0.5
#: Column latency bounds, s (NeuroSim V2.0 MultilevelSenseAmp.cpp).
LATENCY_MIN, LATENCY_MAX = 1e-9, 10e-9
#: Ratio bounds of the latency fits: 1 ns outside (LOW, HIGH); cubic up to CUBIC_MAX.
RATIO_LOW, RATIO_HIGH, CUBIC_MAX, MID_BOUND = 0.05, 20.0, 0.9, 1.1
#: Power of a column with infinite resistance, W (NeuroSim's value).
OPEN_COLUMN_POWER = 1e-6
#: March 2020 comparator level (bf95f9c ``CurrentSenseAmp::CalculateUnitArea``): (NMOS width in
#: minimum widths, count); every transistor an NMOS-only inverter cell.
MARCH2020_CSA_NMOS = ((6.0, 4), (1.0, 8), (2.0, 4))
#: March 2020 column power fits ``P = (α·ln(R/1 kΩ) + β)`` µW (bf95f9c ``MultilevelSenseAmp::
#: GetColumnPower``), nodes ascending; 22 nm stands for every node ≤ 22 nm.
_MARCH_POWER_NODES_NM = (22.0, 32.0, 45.0, 65.0, 90.0, 130.0)
_MARCH_POWER = {
    "HP": ((0.0087, 2.1939), (0.0064, 7.9648), (0.0037, 7.7017), (0.0001, 6.9579), (0.0002, 10.09),
           (0.00001, 8.8898)),
    "LSTP": ((0.0516, 3.2349), (0.0251, 4.7835), (0.0710, 6.4147), (0.0710, 6.4147), (0.0578, 7.6102),
             (0.2811, 6.0809)),
}

# Appendix A, LSTP latency fits (NeuroSim V2.0 MultilevelSenseAmp.cpp), nodes ascending:
# (p, q) of T_max in ns; cubic (c3, c2, c1, c0) for r ≤ 0.9; quartic (d4 … d0) above.
_LAT_NODES_NM = (32.0, 45.0, 65.0, 90.0, 130.0)
_LAT_TMAX = ((0.0714, 0.7651), (0.0714, 0.7651), (0.1239, 0.6642), (0.0586, 1.41), (0.2679, 0.0478))
_LAT_CUBIC = (
    (3.7949, -5.6685, 2.6492, 0.4807),
    (3.7949, -5.6685, 2.6492, 0.4807),
    (1.3899, -2.6913, 2.0483, 0.3202),
    (3.726, -5.651, 2.8249, 0.3574),
    (3.915, -5.3996, 2.4653, 0.3856),
)
_LAT_QUARTIC = (
    (1e-6, -6e-5, 0.0001, -0.0171, 1.0057),
    (1e-6, -6e-5, 0.0001, -0.0171, 1.0057),
    (0.0036, -0.0363, 0.1043, -0.0346, 1.0512),
    (8e-7, -7e-5, 0.0017, -0.0188, 0.9835),
    (0.0004, -0.0087, 0.0742, -0.2725, 1.2211),
)
#: Nodes of the latency interpolation: 7 and 22 nm (1 ns), then the fitted nodes.
_LAT_INTERP_NODES_NM = (7.0, 22.0) + _LAT_NODES_NM
# Appendix A power fits (a, b, c), nodes 7 → 130 nm (as tech.NODES_NM).
_POWER = {
    "HP": (
        (0.5, 0.0210, -2.311), (0.8, 0.0318, -2.311), (1.2, 0.0584, -2.311), (1.8939, 0.073, -2.311),
        (3.9648, 0.079, -2.313), (7.7017, 0.0754, -2.296), (9.9579, 0.1083, -2.321),
        (13.09, 0.14900, -2.345), (19.898, 0.17452, -2.367),
    ),
    "LSTP": (
        (0.35, 0.0235, -2.303), (0.55, 0.0315, -2.303), (1.0, 0.0508, -2.303), (1.7, 0.0631, -2.303),
        (3.0875, 0.0649, -2.297), (6.3162, 0.075, -2.303), (8.4147, 0.0972, -2.303),
        (12.612, 0.1023, -2.303), (18.09, 0.1380, -2.303),
    ),
}


#: V2.1 ``MultilevelSenseAmp::GetColumnPower`` with ``currentMode = false``: ``(a, b, c)`` of
#: ``P = a·(L − 1) µW + b·exp(c·log10 R)``, nodes ascending as :data:`cimjax.hw.tech.NODES_NM`.
_VOLTAGE_POWER = {
    "HP": (
        (0.5614, 0.040310, -2.311), (0.9077, 0.049418, -2.311), (1.467, 0.060584, -2.311),
        (2.373, 0.084273, -2.311), (4.76, 0.083709, -2.313), (8.162, 0.097754, -2.296),
        (13.058, 0.128483, -2.321), (22.2, 0.164900, -2.345), (27.84, 0.207452, -2.367),
    ),
    "LSTP": (
        (0.4211, 0.043555, -2.303), (0.6917, 0.051580, -2.303), (1.126, 0.061085, -2.303),
        (1.866, 0.072341, -2.303), (3.692, 0.079449, -2.297), (7.062, 0.100225, -2.303),
        (10.18, 0.121272, -2.303), (14.42, 0.144323, -2.303), (23.4, 0.169380, -2.303),
    ),
}


def interp_weights(node_nm: Array, nodes_nm: tuple) -> Array:
    """Linear-interpolation weights of ``node_nm`` over the ascending ``nodes_nm``, shape
    ``(K,) + node.shape``: ``Σ_k w_k·f_k = jnp.interp(node, nodes, f)`` (clamped at the ends).

    Closed-form hat functions (no ``searchsorted``), which keeps the traced graph small.
    """
    x = jnp.clip(node_nm, nodes_nm[0], nodes_nm[-1])
    weights = []
    for k, xk in enumerate(nodes_nm):
        w = jnp.zeros_like(x)
        if k > 0:
            lo = nodes_nm[k - 1]
            w = jnp.where((x > lo) & (x <= xk), (x - lo) / (xk - lo), w)
        if k + 1 < len(nodes_nm):
            hi = nodes_nm[k + 1]
            w = jnp.where((x > xk) & (x < hi), (hi - x) / (hi - xk), w)
        w = jnp.where(x == xk, 1.0, w)
        weights.append(w)
    return jnp.stack(weights)


class MlsaParams(NamedTuple):
    """Multilevel sense amplifiers of one sub-array direction (traced).

    Attributes:
      circuit: :class:`~cimjax.hw.components.params.CircuitParams`.
      levels: output levels ``L`` (``levelOutput`` = 64: a 6-bit ADC), in [2, 256].
      num_adc: ADCs (``numCol/numColMuxed`` = 16).
      columns_per_adc: columns each ADC senses in turn per read (``numColMuxed`` = 8).
      num_rows: array rows ``N`` of the reference ladder (``numRowSubArray`` = 128).
      r_on / r_off: device on/off resistance, Ω (no access transistor).
      read_voltage: ``V_read``, V.
      num_columns: columns a *scalar* column resistance stands for (energy weight), e.g. 128.
    """

    circuit: CircuitParams = CircuitParams()
    levels: ArrayLike = 64.0
    num_adc: ArrayLike = 16.0
    columns_per_adc: ArrayLike = 8.0
    num_rows: ArrayLike = 128.0
    r_on: ArrayLike = 100e3
    r_off: ArrayLike = 1e6
    read_voltage: ArrayLike = 0.5
    num_columns: ArrayLike = 128.0


@jax.tree_util.register_static
@dataclasses.dataclass(frozen=True, kw_only=True)
class MlsaConfig(ComponentConfig):
    """Static options of :func:`mlsa`.

    Attributes:
      max_levels: static bound on ``L`` (the reference ladder is evaluated up to it), in [2, 4096].

    ``version`` flags read: ``mlsa_quartic_above_cubic`` (quirk), ``mlsa_current_sense_amp_area``,
    ``mlsa_column_energy_sum`` and ``mlsa_unscaled_read_voltage`` (March 2020; module docstring).
    """

    max_levels: int = 256

    def __post_init__(self):
        super().__post_init__()
        self._check_int("max_levels", 2, 4096)


def _safe_resistance(params: MlsaParams, config: ComponentConfig, column_resistance: ArrayLike) -> tuple[Array, Array]:
    """``(R scaled by 0.5/V_read with inf replaced by 1, open-column mask)``; no rescaling with
    ``version.mlsa_unscaled_read_voltage``."""
    r = as_float(column_resistance)
    if not config.version.mlsa_unscaled_read_voltage:
        r = r * (FIT_READ_VOLTAGE / as_float(params.read_voltage))
    open_col = ~jnp.isfinite(r)
    return jnp.where(open_col, 1.0, r), open_col


def _ladder_latencies(params: MlsaParams, config: MlsaConfig, r: Array):
    """``(valid, iterator)``: the reference mask ``i ≤ L − 2`` and, per fitted LSTP node
    (``_LAT_NODES_NM``), the unclamped latency ``T_i`` of every reference, shape ``r.shape + (I,)``."""
    levels = as_float(params.levels)
    n = as_float(params.num_rows)
    i = jnp.arange(1, config.max_levels - 1, dtype=r.dtype)  # ladder index i = 1 … L−2
    r_ref = as_float(params.r_on) / n + (i + 1.0) * (as_float(params.r_off) / n) / levels[..., None]
    valid = i <= levels[..., None] - 2.0
    ratio = r_ref / r[..., None]  # (..., I)

    def fits():
        for (p, q), cubic, quartic in zip(_LAT_TMAX, _LAT_CUBIC, _LAT_QUARTIC):
            t_max = (p * jnp.log(r / 1e3) + q) * 1e-9
            t_cubic = jnp.polyval(jnp.asarray(cubic, r.dtype), ratio)
            t_quartic = jnp.polyval(jnp.asarray(quartic, r.dtype), ratio)
            upper = t_quartic if config.version.mlsa_quartic_above_cubic else jnp.where(ratio < MID_BOUND, 1.0, t_quartic)
            t = t_max[..., None] * jnp.where(ratio <= CUBIC_MAX, t_cubic, upper)
            yield jnp.where((ratio >= RATIO_HIGH) | (ratio <= RATIO_LOW), LATENCY_MIN, t)

    return valid, fits()


def _node_sum(params: MlsaParams, config: ComponentConfig, values: Array, nodes_nm: tuple) -> Array:
    """``Σ_k w_k(node)·values[k]``: values of the fits at ``nodes_nm`` interpolated at the node."""
    w = interp_weights(circuit_technology(params.circuit, config).node * 1e9, nodes_nm)
    return jnp.sum(w.reshape(w.shape + (1,) * (values.ndim - w.ndim)) * values, axis=0)


def column_latency(params: MlsaParams, config: MlsaConfig, column_resistance: ArrayLike) -> Array:
    """Unclamped sensing latency of each column, s (module docstring; shape of the resistance).

    Args:
      params: :class:`MlsaParams` (scalars).
      config: :class:`MlsaConfig` (static).
      column_resistance: column resistance(s) at ``V_read``, Ω (> 0; ``inf`` = open column).

    Returns:
      ``T_j`` per column before the [1, 10] ns clamp, s.
    """
    r, open_col = _safe_resistance(params, config, column_resistance)
    if config.roadmap == "HP":
        return jnp.where(open_col, 0.0, LATENCY_MIN + jnp.zeros_like(r))
    valid, ladder = _ladder_latencies(params, config, r)
    fits = [jnp.max(jnp.where(valid, t, 0.0), axis=-1) for t in ladder]
    t_fit = jnp.stack([LATENCY_MIN + jnp.zeros_like(r)] * 2 + fits)  # (K, ...)
    w = interp_weights(circuit_technology(params.circuit, config).node * 1e9, _LAT_INTERP_NODES_NM)
    t_col = jnp.sum(w.reshape(w.shape + (1,) * (t_fit.ndim - w.ndim)) * t_fit, axis=0)
    return jnp.where(open_col, 0.0, t_col)


def power_temperature_factor(params: MlsaParams, config: ComponentConfig, voltage_mode: bool = False) -> Array:
    """``1 + 1.3e−3·(T − 300 K)`` (the circuit temperature) on a sense amplifier's column power:
    NeuroSim V2.1 ``MultilevelSenseAmp::GetColumnPower`` multiplies both modes' power (an open
    column's 1 µW included) by it. The voltage mode (V2.1 only) always takes it; the current mode
    under ``version.mlsa_power_temperature`` (V2.1), else 1 (V2.0's ``GetColumnPower`` has no
    such term). Valid over V2.1's 300–400 K."""
    if not (voltage_mode or config.version.mlsa_power_temperature):
        return jnp.ones((), jnp.result_type(float))
    rise = as_float(params.circuit.temperature_k) - tech.REFERENCE_TEMPERATURE_K
    return 1.0 + POWER_TEMPERATURE_COEFFICIENT * rise


def column_power(params: MlsaParams, config: MlsaConfig, column_resistance: ArrayLike) -> Array:
    """Power of one ADC sensing a column, W: ``a·(L−1)·1e−6 + b·exp(c·log10 R)`` (module
    docstring), interpolated over the nine Appendix-A nodes; ``R = inf`` gives 1 µW; times
    :func:`power_temperature_factor` (1 but under V2.1)."""
    r, open_col = _safe_resistance(params, config, column_resistance)
    levels = as_float(params.levels)
    coef = np.asarray(_POWER[config.roadmap], float)  # (K, 3)
    powers = jnp.stack(
        [a * (levels - 1.0) * 1e-6 + b * jnp.exp(c * jnp.log10(r)) for a, b, c in coef]
    )
    w = interp_weights(circuit_technology(params.circuit, config).node * 1e9, tech.NODES_NM)
    p = jnp.sum(w.reshape(w.shape + (1,) * (powers.ndim - w.ndim)) * powers, axis=0)
    return jnp.where(open_col, OPEN_COLUMN_POWER, p) * power_temperature_factor(params, config)


def march2020_column_energy(params: MlsaParams, config: MlsaConfig, column_resistance: ArrayLike) -> Array:
    """Energy of one ADC sensing a column in the March 2020 code, J (module docstring).

    Source: NeuroSim V2.0 commit bf95f9c, ``MultilevelSenseAmp::GetColumnPower`` (which returns
    an energy): LSTP at the fitted nodes ``(α·ln(R/1 kΩ) + β) µW · Σ_{i=1}^{L−2} T_i(R)`` with
    ``T_i`` the unclamped per-reference latency of ``GetColumnLatency``'s ladder (1 ns for a ratio
    outside (0.05, 20)); ≤ 22 nm ``P·1 ns``; HP ``P·1 ns·(L − 1)``; ``R = inf`` gives 0. Valid
    for nodes in [7, 130] nm (linear interpolation in the node between fits), column
    resistances > 0, no ``0.5/V_read`` rescaling.

    Args:
      params: :class:`MlsaParams` (scalars).
      config: :class:`MlsaConfig` (static; its version's flags are not consulted).
      column_resistance: column resistance(s), Ω (``inf`` = open column).

    Returns:
      ``E_j`` per column (shape of the resistance), J.
    """
    r = as_float(column_resistance)
    open_col = ~jnp.isfinite(r)
    r = jnp.where(open_col, 1.0, r)
    coef = np.asarray(_MARCH_POWER[config.roadmap], float)  # (6, 2): 22, 32, …, 130 nm
    powers = [(a * jnp.log(r / 1e3) + b) * 1e-6 for a, b in coef]
    if config.roadmap == "HP":
        levels = as_float(params.levels)
        e_fit = jnp.stack([p_k * LATENCY_MIN * (levels - 1.0) for p_k in powers])
        e = _node_sum(params, config, e_fit, _MARCH_POWER_NODES_NM)
    else:
        valid, ladder = _ladder_latencies(params, config, r)
        sums = [jnp.sum(jnp.where(valid, t, 0.0), axis=-1) for t in ladder]  # 32, 45, 65, 90, 130 nm
        e_small = powers[0] * LATENCY_MIN  # ≤ 22 nm
        e_fit = jnp.stack([e_small, e_small] + [p_k * s_k for p_k, s_k in zip(powers[1:], sums)])
        e = _node_sum(params, config, e_fit, _LAT_INTERP_NODES_NM)
    return jnp.where(open_col, 0.0, e)


def march2020_mlsa_area(params: MlsaParams, config: ComponentConfig = ComponentConfig()) -> Array:
    """MLSA area in the March 2020 code, m²: ``Σ_k n_k·A_inv(k·2F, 0)·(L − 1)·num_adc`` over the
    16 NMOS of a ``CurrentSenseAmp`` level (:data:`MARCH2020_CSA_NMOS`), each an NMOS-only
    inverter cell of :func:`cimjax.hw.components.gates.gate`.

    Source: NeuroSim V2.0 commit bf95f9c, ``MultilevelSenseAmp::CalculateArea`` (a
    ``CurrentSenseAmp`` of ``(L − 1)·numCol`` units) and ``CurrentSenseAmp::CalculateUnitArea``.
    Valid for nodes in [7, 130] nm, 2–256 levels.
    """
    t = circuit_technology(params.circuit, config)
    w_min = gates.MIN_WIDTH_F * t.node
    per_level = sum(n * gates.gate(t, "inv", mode=config.mode, widths=(k * w_min, 0.0)).area
                    for k, n in MARCH2020_CSA_NMOS)
    return per_level * (as_float(params.levels) - 1.0) * as_float(params.num_adc)


def mlsa_area(params: MlsaParams, config: ComponentConfig = ComponentConfig()) -> Array:
    """MLSA area ``(48·A_n,min + 24·A_p,min)·(L − 1)·num_adc``, m² (module docstring); with
    ``config.version.mlsa_current_sense_amp_area`` :func:`march2020_mlsa_area`."""
    if config.version.mlsa_current_sense_amp_area:
        return march2020_mlsa_area(params, config)
    t = circuit_technology(params.circuit, config)
    a_min = gates.gate(t, "inv", mode=config.mode).area  # one minimum transistor's cell region
    if config.adc == "mlsa_voltage":  # V2.1 currentMode = false
        per_level = (VSA_NMOS_PER_LEVEL + VSA_PMOS_PER_LEVEL) * a_min
    else:
        per_level = (MLSA_NMOS_PER_LEVEL + MLSA_PMOS_PER_LEVEL) * a_min
    return per_level * (as_float(params.levels) - 1.0) * as_float(params.num_adc)


def mlsa(params: MlsaParams, config: MlsaConfig = MlsaConfig(), column_resistance: ArrayLike = 10e3,
         read_occupancy: ArrayLike = 1.0) -> Cost:
    """MLSAs of one sub-array direction, one read of ``columns_per_adc`` columns per ADC.

    Latency ``clamp(max_j T_j, 1 ns, 10 ns)·columns_per_adc``; energy ``Σ_j P(R_j)·clamp(…)``;
    area ``(48·A_n + 24·A_p)·(L−1)·num_adc``; no leakage (module docstring). With
    ``read_occupancy < 1`` the mean over reads, the others being empty (every column open:
    1 µW for 1 ns per column, latency ``1 ns·columns_per_adc``; module docstring).
    ``config.version.mlsa_column_energy_sum``: energy ``columns_per_adc·Σ_j E(R_j)``
    (:func:`march2020_column_energy`; an empty read costs 0); the area follows
    ``mlsa_current_sense_amp_area`` (:func:`mlsa_area`).

    Args:
      params: :class:`MlsaParams` (scalars).
      config: :class:`MlsaConfig` (static).
      column_resistance: traced column resistance(s) at ``V_read`` of a read with an active
        row, Ω. A scalar stands for ``num_columns`` identical columns; an array lists every
        column read (energy summed over all its elements, as NeuroSim sums over its column
        vector).
      read_occupancy: traced fraction of reads with at least one active row, in [0, 1].

    Returns:
      The mean :class:`~cimjax.hw.cost.Cost` of one read.
    """
    r = as_float(column_resistance)
    if config.adc == "mlsa_voltage":
        return _voltage_mlsa(params, config, r, read_occupancy)
    t_col = jnp.clip(jnp.max(column_latency(params, config, r)), LATENCY_MIN, LATENCY_MAX)
    if config.version.mlsa_column_energy_sum:
        return _march2020_mlsa(params, config, r, t_col, read_occupancy)
    power = column_power(params, config, r)
    n_col = as_float(params.num_columns) if r.ndim == 0 else float(r.size)
    weight = as_float(params.num_columns) if r.ndim == 0 else 1.0
    energy = jnp.sum(jnp.maximum(power * t_col, 0.0)) * weight
    occ = as_float(read_occupancy)
    # all columns open, minimum latency
    empty_energy = OPEN_COLUMN_POWER * power_temperature_factor(params, config) * LATENCY_MIN * n_col
    energy = occ * energy + (1.0 - occ) * empty_energy
    t_col = occ * t_col + (1.0 - occ) * LATENCY_MIN
    area = mlsa_area(params, config)
    return Cost(area, energy, t_col * as_float(params.columns_per_adc), jnp.zeros_like(area))


def voltage_column_power(params: MlsaParams, config: ComponentConfig, column_resistance: ArrayLike) -> Array:
    """Power of one voltage-mode sense amplifier sensing a column, W (module docstring,
    "Voltage-mode sense amplifier"); ``R = inf`` gives 1 µW."""
    r, open_col = _safe_resistance(params, config, column_resistance)
    levels = as_float(params.levels)
    coef = np.asarray(_VOLTAGE_POWER[config.roadmap], float)
    powers = jnp.stack([a * (levels - 1.0) * 1e-6 + b * jnp.exp(c * jnp.log10(r)) for a, b, c in coef])
    w = interp_weights(circuit_technology(params.circuit, config).node * 1e9, tech.NODES_NM)
    p = jnp.sum(w.reshape(w.shape + (1,) * (powers.ndim - w.ndim)) * powers, axis=0)
    p = jnp.where(open_col, OPEN_COLUMN_POWER, p)
    return p * power_temperature_factor(params, config, voltage_mode=True)


def _voltage_mlsa(params: MlsaParams, config: ComponentConfig, r: Array, read_occupancy) -> Cost:
    """:func:`mlsa` with the voltage-mode sense amplifier (V2.1 ``currentMode = false``)."""
    weight = as_float(params.num_columns) if r.ndim == 0 else 1.0
    n_col = as_float(params.num_columns) if r.ndim == 0 else float(r.size)
    energy = jnp.sum(jnp.maximum(voltage_column_power(params, config, r) * LATENCY_MIN, 0.0)) * weight
    empty = voltage_column_power(params, config, jnp.inf) * LATENCY_MIN * n_col
    occ = as_float(read_occupancy)
    area = mlsa_area(params, config)
    latency = LATENCY_MIN * as_float(params.columns_per_adc)
    return Cost(area, occ * energy + (1.0 - occ) * empty, latency + jnp.zeros_like(area), jnp.zeros_like(area))


def _march2020_mlsa(params: MlsaParams, config: MlsaConfig, r: Array, t_col: Array, read_occupancy) -> Cost:
    """:func:`mlsa` in the March 2020 code: ``numRead = columns_per_adc`` evaluations of every
    column's energy (bf95f9c ``SubArray::CalculatePower``); latency as the current code."""
    weight = as_float(params.num_columns) if r.ndim == 0 else 1.0
    energy = jnp.sum(march2020_column_energy(params, config, r)) * weight * as_float(params.columns_per_adc)
    occ = as_float(read_occupancy)
    area = mlsa_area(params, config)
    t_col = occ * t_col + (1.0 - occ) * LATENCY_MIN
    return Cost(area, occ * energy, t_col * as_float(params.columns_per_adc), jnp.zeros_like(area))
