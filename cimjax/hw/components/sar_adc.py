"""Successive-approximation (SAR) ADC, NeuroSim V2.1's alternative to the MLSA (``SARADC = true``).

Source: NeuroSim V2.1 (github.com/neurosim/DNN_NeuroSim_V2.1, commit 18289cb) ``SarADC.cpp``
(``CalculateUnitArea``, ``CalculateLatency``, ``CalculatePower``, ``GetColumnPower``) and its calls
in ``SubArray.cpp`` and ``WeightGradientUnit.cpp``; facts and fit constants only (NeuroSim's,
attributed, not re-derived), on cimjax's standard cells. Valid for nodes in [7, 130] nm, 2–4096
levels, column resistances > 0 (``inf`` = a column with no active row).

* One ADC per ``columns_per_adc`` columns (``num_adc``), converting ``log2 L`` bits in
  ``log2 L + 1`` cycles of 1 ns: latency ``(log2 L + 1)·1 ns`` per column, ``× columns_per_adc``
  per read.
* Column power ``P(R) = (a·log2 L + b)·1e−6 + c·exp(d·log10 R)`` W (per node and roadmap, the
  table below), with ``R`` rescaled by ``0.5/V_read`` as the MLSA's, times
  ``1 + 1.3e−3·(T − 300 K)`` (the circuit temperature); an open column 1 µW. Column energy
  ``P(R)·(log2 L + 1)·1 ns``; a read senses every column once (``CalculatePower(…, 1)``).
  Between tabulated nodes the fits are interpolated linearly in the node, as the MLSA's
  (:func:`cimjax.hw.components.mlsa.interp_weights`).
* Empty reads (``read_occupancy``) as :func:`cimjax.hw.components.mlsa.mlsa`: the mean of an
  occupied read and one with every column open.
* Area per ADC ``A_n·(269 + 109·(log2 L − 1)) + A_p·(209 + 73·(log2 L − 1))`` with ``A_n``/``A_p``
  the cell regions of a minimum NMOS/PMOS (the minimum INV's area, as :mod:`~.mlsa` takes
  them); laid out along the array edge like the MLSA. No thermometer encoder. No leakage.
"""

from __future__ import annotations

import numpy as np
import jax.numpy as jnp

from cimjax.hw import tech
from cimjax.hw.components import gates
from cimjax.hw.components.mlsa import FIT_READ_VOLTAGE, OPEN_COLUMN_POWER, MlsaParams, interp_weights
from cimjax.hw.components.params import ComponentConfig, as_float, circuit_technology
from cimjax.hw.cost import Cost

#: One SAR cycle, s (``SarADC::CalculateLatency``: ``(log2 L + 1)·1e−9`` per conversion).
CYCLE = 1e-9
#: Transistors per ADC (``SarADC::CalculateUnitArea``): NMOS ``269 + 109·(log2 L − 1)``,
#: PMOS ``209 + 73·(log2 L − 1)``.
NMOS_BASE, NMOS_PER_BIT, PMOS_BASE, PMOS_PER_BIT = 269.0, 109.0, 209.0, 73.0
#: Column power temperature coefficient, 1/K (``SarADC::GetColumnPower``).
POWER_TEMPERATURE_COEFFICIENT = 1.3e-3

#: ``SarADC::GetColumnPower`` fits ``(a, b, c, d)``: ``P = (a·log2 L + b) µW + c·exp(d·log10 R)``
#: W, nodes ascending as :data:`cimjax.hw.tech.NODES_NM` (7, 10, 14, 22, 32, 45, 65, 90, 130 nm).
_POWER = {
    "HP": (
        (0.2008, 0.6823, 0.040310, -2.311), (0.3076, 1.1543, 0.049418, -2.311),
        (0.4710, 1.9529, 0.060584, -2.311), (0.7213, 3.3041, 0.084273, -2.311),
        (1.0157, 7.6286, 0.083709, -2.313), (2.1843, 11.931, 0.097754, -2.296),
        (2.9503, 22.047, 0.128483, -2.321), (4.3474, 31.782, 0.164900, -2.345),
        (6.4806, 49.047, 0.207452, -2.367),
    ),
    "LSTP": (
        (0.1061, 0.8847, 0.043555, -2.303), (0.1823, 1.5073, 0.051580, -2.303),
        (0.3132, 2.5681, 0.061085, -2.303), (0.538, 4.3753, 0.072341, -2.303),
        (1.1294, 8.8998, 0.079449, -2.297), (2.1691, 16.693, 0.100225, -2.303),
        (3.7506, 25.844, 0.121272, -2.303), (5.9869, 37.462, 0.144323, -2.303),
        (8.4483, 65.243, 0.169380, -2.303),
    ),
}


def conversion_time(params: MlsaParams):
    """One conversion, s: ``(log2 L + 1)·1 ns``."""
    return (jnp.log2(as_float(params.levels)) + 1.0) * CYCLE


def column_energy(params: MlsaParams, config: ComponentConfig, column_resistance) -> jnp.ndarray:
    """Energy of one conversion of each column, J (module docstring; shape of the resistance)."""
    r = as_float(column_resistance) * (FIT_READ_VOLTAGE / as_float(params.read_voltage))
    open_col = ~jnp.isfinite(r)
    r = jnp.where(open_col, 1.0, r)
    bits = jnp.log2(as_float(params.levels))
    coef = np.asarray(_POWER[config.roadmap], float)
    powers = jnp.stack([(a * bits + b) * 1e-6 + c * jnp.exp(d * jnp.log10(r)) for a, b, c, d in coef])
    w = interp_weights(circuit_technology(params.circuit, config).node * 1e9, tech.NODES_NM)
    p = jnp.sum(w.reshape(w.shape + (1,) * (powers.ndim - w.ndim)) * powers, axis=0)
    p = jnp.where(open_col, OPEN_COLUMN_POWER, p)
    rise = as_float(params.circuit.temperature_k) - tech.REFERENCE_TEMPERATURE_K
    return p * (1.0 + POWER_TEMPERATURE_COEFFICIENT * rise) * conversion_time(params)


def sar_area(params: MlsaParams, config: ComponentConfig = ComponentConfig()):
    """Area of ``num_adc`` SAR ADCs, m² (module docstring)."""
    t = circuit_technology(params.circuit, config)
    a_min = gates.gate(t, "inv", mode=config.mode).area
    extra = jnp.log2(as_float(params.levels)) - 1.0
    per_adc = (NMOS_BASE + NMOS_PER_BIT * extra + PMOS_BASE + PMOS_PER_BIT * extra) * a_min
    return per_adc * as_float(params.num_adc)


def sar_adc(params: MlsaParams, config: ComponentConfig = ComponentConfig(), column_resistance=10e3,
            read_occupancy=1.0) -> Cost:
    """SAR ADCs of one sub-array direction, one read of ``columns_per_adc`` columns per ADC: the
    drop-in of :func:`cimjax.hw.components.mlsa.mlsa` (same arguments and meaning).

    Latency ``(log2 L + 1)·1 ns·columns_per_adc``; energy ``Σ_j P(R_j)·(log2 L + 1)·1 ns`` (a
    scalar resistance stands for ``num_columns`` identical columns); with ``read_occupancy < 1``
    the mean with empty reads (every column open: 1 µW per column). No leakage.
    """
    r = as_float(column_resistance)
    weight = as_float(params.num_columns) if r.ndim == 0 else 1.0
    n_col = as_float(params.num_columns) if r.ndim == 0 else float(r.size)
    occ = as_float(read_occupancy)
    energy = jnp.sum(column_energy(params, config, r)) * weight
    empty = column_energy(params, config, jnp.inf) * n_col
    energy = occ * energy + (1.0 - occ) * empty
    area = sar_area(params, config)
    latency = conversion_time(params) * as_float(params.columns_per_adc)
    return Cost(area, energy, latency, jnp.zeros_like(area))
