"""Test-only Python-loop reference of the analog array read (docs/model.md §3.2 steps 1–9).

Written literally after docs/model.md, independently of :mod:`cimjax.analog`: numpy, float64,
explicit loops over kernel positions, sub-arrays, cells and input bits, one masked
convolution (or matmul) per combination for the real columns and one for the dummy
column, each through the ADC. Only the two roundings that turn floats into integers
(``X`` and ``I``) are done in float32, in the same operation order as cimjax, so both
start from the same integers. Nonlinear ADC bins are decided with exact rational
arithmetic (``fractions.Fraction``) on docs/model.md's decimal edges.

Tiny shapes only: it is slow by design.
"""

from __future__ import annotations

import bisect
import math
from fractions import Fraction
from typing import Optional

import numpy as np

from cimjax.analog.adc import NONLINEAR_EDGES, NONLINEAR_LEVELS


# ---- ADC (docs/model.md §3.3) ---------------------------------------------------------------------


def _range(x: np.ndarray, fixed: Optional[tuple]) -> tuple[float, float]:
    if fixed is None:
        m = float(np.min(x))
        return m, float(np.max(x)) - m
    return float(fixed[0]), float(fixed[1]) - float(fixed[0])


def linear_quantize_out(x: np.ndarray, bits: int, fixed: Optional[tuple] = None) -> np.ndarray:
    """LinearQuantizeOut: tensor-wide (or fixed) range, floor-type, 2^bits levels."""
    x = np.asarray(x, np.float64)
    m, delta = _range(x, fixed)
    if delta == 0.0:
        return x.copy()
    step = delta * 2.0**-bits
    idx = np.clip(np.floor((x - m) / step), 0, 2**bits - 1)
    return m + idx * step


def nonlinear_quantize_out(x: np.ndarray, bits: int, fixed: Optional[tuple] = None) -> np.ndarray:
    """NonLinearQuantizeOut: bin i = [m + e_{i−1}Δ, m + e_iΔ) → m + o_iΔ; ≥ last edge passes."""
    x = np.asarray(x, np.float64)
    if bits not in NONLINEAR_EDGES:
        return x.copy()
    m, delta = _range(x, fixed)
    if delta == 0.0:
        return x.copy()
    edges = [Fraction(e) for e in NONLINEAR_EDGES[bits]]
    levels = [float(Fraction(o)) for o in NONLINEAR_LEVELS[bits]]
    fm, fd = Fraction(m), Fraction(delta)
    thresholds = [fm + e * fd for e in edges]  # exact m + e_i·Δ
    out = x.copy()
    flat_in, flat_out = x.reshape(-1), out.reshape(-1)
    for n in range(flat_in.size):
        i = bisect.bisect_right(thresholds, Fraction(float(flat_in[n])))  # edges passed
        if i < len(edges):  # at or above the last edge: unchanged
            flat_out[n] = m + levels[i] * delta
    return out


def adc(x: np.ndarray, mode: str, bits: int, fixed: Optional[tuple]) -> np.ndarray:
    if mode == "none":
        return np.asarray(x, np.float64)
    if mode == "linear":
        return linear_quantize_out(x, bits, fixed)
    return nonlinear_quantize_out(x, bits, fixed)


# ---- cells and inputs (steps 3, 4, 6) ------------------------------------------------------


def weight_digits(w: np.ndarray, weight_bits: int, cell_bits: int) -> list[np.ndarray]:
    """Step 3: X = round((2^b_W − 1)/2·(w + 1)), digits LSB first (r = X mod cr; X ← (X − r)/cr)."""
    top = 2.0**weight_bits - 1.0
    w32 = np.asarray(w, np.float32)
    x_level = np.clip(np.round((w32 + np.float32(1.0)) * np.float32(top / 2.0)), 0, top).astype(np.float64)
    cell_range = 2**cell_bits
    digits = []
    for _ in range(weight_bits // cell_bits):
        r = np.mod(x_level, cell_range)
        digits.append(r)
        x_level = (x_level - r) / cell_range
    return digits


def input_bits(x: np.ndarray, bits: int) -> list[np.ndarray]:
    """Step 6: I = round((2^b_A − 1)·x); bit z = I mod 2, then I ← (I − bit)/2."""
    top = 2.0**bits - 1.0
    x32 = np.asarray(x, np.float32)
    level = np.clip(np.round(x32 * np.float32(top)), 0, top).astype(np.float64)
    planes = []
    for _ in range(bits):
        b = np.mod(level, 2)
        planes.append(b)
        level = (level - b) / 2
    return planes


def unit(cfg) -> float:
    """Conductance unit: docs/model.md's g (upper = 1) times on/off (1 if infinite).

    ``on_off·((1 − lower)·r + (cellRange − 1)·lower) = (on_off − 1)·r + (cellRange − 1)``:
    an integer for an integer ratio, so the float64 partial sums below are exact and the
    ADC sees no summation-order round-off at real-number ties. The unit cancels in the
    recombination (``part/unit``) and the ADC's dynamic range is scale-invariant.
    """
    return 1.0 if math.isinf(cfg.on_off_ratio) else float(cfg.on_off_ratio)


def _mid(cfg) -> float:
    """Step 5's middle conductance (cellRange − 1)(1 + lower)/2, times the unit, exactly."""
    top = 2.0**cfg.cell_bits - 1.0
    return top / 2.0 if math.isinf(cfg.on_off_ratio) else top * (cfg.on_off_ratio + 1.0) / 2.0


def conductance(r: np.ndarray, cfg, variation: Optional[np.ndarray], drift_sign: Optional[np.ndarray]) -> np.ndarray:
    """Step 4 (+ retention §2.7 on the conductance, + variation §2.8), in :func:`unit` units."""
    cell_range = 2**cfg.cell_bits
    u = unit(cfg)
    g = r if math.isinf(cfg.on_off_ratio) else (u - 1.0) * r + (cell_range - 1)
    if cfg.drift_v != 0.0 and cfg.retention_time != 1.0:
        g_min = 0.0 if math.isinf(cfg.on_off_ratio) else float(cell_range - 1)
        g_max = float(cell_range - 1) * u
        if cfg.drift_mode == "target":
            s = np.sign(g_min + cfg.drift_target * (g_max - g_min) - g)
        else:
            s = np.asarray(drift_sign, np.float64)
        g = np.clip(g * cfg.retention_time ** (cfg.drift_v * s), g_min, g_max)
    if variation is not None:
        g = g * (1.0 + np.asarray(variation, np.float64))
    return g


# ---- the read (steps 1, 2, 5, 7, 8) ---------------------------------------------------------


def _conv_same(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """conv(x, w), stride 1, 'SAME'; x (N,H,W,C), w (KH,KW,C,O)."""
    n, h, wd, _ = x.shape
    kh, kw, _, o = w.shape
    xp = np.pad(x, ((0, 0), ((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2), (0, 0)))
    out = np.zeros((n, h, wd, o))
    for a in range(kh):
        for b in range(kw):
            out += np.einsum("nhwc,co->nhwo", xp[:, a:a + h, b:b + wd, :], w[a, b])
    return out


def _subarrays(rows_in: int, cfg) -> list[tuple[int, int]]:
    """Row slices of the sub-arrays (step 2)."""
    r = cfg.subarray_rows
    if rows_in < r:
        return [(0, rows_in)]
    if cfg.drop_partial_subarray:  # NeuroSim: floor division drops the remainder
        return [(s * r, (s + 1) * r) for s in range(rows_in // r)]
    return [(s * r, min((s + 1) * r, rows_in)) for s in range(-(-rows_in // r))]


def reference_conv(x, w, cfg, variation=None, drift_sign=None) -> np.ndarray:
    """Loop reference of ``cimjax.analog.analog_conv`` (forward value)."""
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    kh, kw, ci, o = w.shape
    cell_range = 2**cfg.cell_bits
    lower = 0.0 if math.isinf(cfg.on_off_ratio) else 1.0 / cfg.on_off_ratio
    digits = weight_digits(w, cfg.weight_bits, cfg.cell_bits)
    n_cells = len(digits)
    if variation is not None:
        variation = np.asarray(variation, np.float64).reshape((-1, n_cells) + w.shape)
    if drift_sign is not None:
        drift_sign = np.asarray(drift_sign, np.float64).reshape((-1, n_cells) + w.shape)

    def cond(r, side, k):
        var = None if variation is None else variation[side, k]
        sgn = None if drift_sign is None else drift_sign[side, k]
        return conductance(r, cfg, var, sgn)

    if cfg.mapping == "dummy":
        g_pos = [cond(digits[k], 0, k) for k in range(n_cells)]
        g_neg = None
    else:
        g_pos = [cond(digits[k], 0, k) for k in range(n_cells)]
        g_neg = [cond((cell_range - 1) - digits[k], 1, k) for k in range(n_cells)]
    dummy = np.full(w.shape, _mid(cfg))
    fixed = (0.0, cfg.subarray_rows * (cell_range - 1.0) * unit(cfg)) if cfg.adc_range == "full_scale" else None
    planes = input_bits(x, cfg.input_bits) if cfg.bit_serial else [x]

    out = np.zeros(x.shape[:3] + (o,))
    for i in range(kh):
        for j in range(kw):
            for lo, hi in _subarrays(ci, cfg):
                mask = np.zeros(w.shape)
                mask[i, j, lo:hi, :] = 1.0
                for k in range(n_cells):
                    for z, plane in enumerate(planes):
                        ok = adc(_conv_same(plane, g_pos[k] * mask), cfg.adc_mode, cfg.adc_bits, fixed)
                        if g_neg is None:
                            od = adc(_conv_same(plane, dummy * mask), cfg.adc_mode, cfg.adc_bits, fixed)
                            part = (ok - od) * (cell_range**k * 2.0 / (1.0 - lower))
                        else:
                            on = adc(_conv_same(plane, g_neg[k] * mask), cfg.adc_mode, cfg.adc_bits, fixed)
                            part = (ok - on) * (cell_range**k / (1.0 - lower))
                        out += part * (2.0**z if cfg.bit_serial else 1.0)
    if cfg.bit_serial:
        out /= 2.0**cfg.input_bits
    return out / 2.0**cfg.weight_bits / unit(cfg)


def reference_dense(x, w, cfg, variation=None, drift_sign=None) -> np.ndarray:
    """Loop reference of ``cimjax.analog.analog_dense``: QLinear, sub-arrays slice in_features."""
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    fi, fo = w.shape
    cell_range = 2**cfg.cell_bits
    lower = 0.0 if math.isinf(cfg.on_off_ratio) else 1.0 / cfg.on_off_ratio
    digits = weight_digits(w, cfg.weight_bits, cfg.cell_bits)
    n_cells = len(digits)
    if variation is not None:
        variation = np.asarray(variation, np.float64).reshape((-1, n_cells, fi, fo))
    if drift_sign is not None:
        drift_sign = np.asarray(drift_sign, np.float64).reshape((-1, n_cells, fi, fo))

    def cond(r, side, k):
        var = None if variation is None else variation[side, k]
        sgn = None if drift_sign is None else drift_sign[side, k]
        return conductance(r, cfg, var, sgn)

    fixed = (0.0, cfg.subarray_rows * (cell_range - 1.0) * unit(cfg)) if cfg.adc_range == "full_scale" else None
    planes = input_bits(x, cfg.input_bits) if cfg.bit_serial else [x]
    out = np.zeros((x.shape[0], fo))
    for lo, hi in _subarrays(fi, cfg):
        mask = np.zeros(w.shape)
        mask[lo:hi, :] = 1.0
        for k in range(n_cells):
            gp = cond(digits[k], 0, k) * mask
            gn = cond((cell_range - 1) - digits[k], 1, k) * mask if cfg.mapping == "differential" else None
            dummy = np.full(w.shape, _mid(cfg)) * mask
            for z, plane in enumerate(planes):
                ok = adc(plane @ gp, cfg.adc_mode, cfg.adc_bits, fixed)
                if gn is None:
                    od = adc(plane @ dummy, cfg.adc_mode, cfg.adc_bits, fixed)
                    part = (ok - od) * (cell_range**k * 2.0 / (1.0 - lower))
                else:
                    on = adc(plane @ gn, cfg.adc_mode, cfg.adc_bits, fixed)
                    part = (ok - on) * (cell_range**k / (1.0 - lower))
                out += part * (2.0**z if cfg.bit_serial else 1.0)
    if cfg.bit_serial:
        out /= 2.0**cfg.input_bits
    return out / 2.0**cfg.weight_bits / unit(cfg)
