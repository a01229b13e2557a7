"""Fitting a device model to pulse-response data (cimjax/devices/fit.py, cimjax device fit; issue 20).

Synthetic measurements are drawn from known parameters with explicit keys: the protocol's
``sample_cells`` (d2d) and ``pulse`` (c2c, relative) for the step models, NeuroSim's
``sample_d2d_a`` (d2d of the labels) and ``device_step_cell`` + ``c2c_noise`` (additive c2c) for
its curve. The fit is compared with what the data can show: the *realised* devices (their mean
and spread), not the nominal values they were drawn around (8 devices: a spread's sampling error is
~25 % of it; the realised spread has none).

Tolerances (each justified by the estimator's own error at these sizes, with room):
- conductance range: G_min and G_max within 5 % of the range G_max − G_min;
- states / step and the up/down scales (``protocol.up_down_scales``): within 5 %; NL labels within 0.1 (5 % of
  the smaller label);
- c2c within 10 % (≈ 1 000 increments: the estimator's error is ~2 %);
- d2d within 20 % of the realised spread (per-device estimation error adds in quadrature).
"""

import json
import math
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cimjax.cli import main
from cimjax.devices import fit as F
from cimjax.devices import nonlinear as nlin
from cimjax.devices.protocol import (ConstantStep, PulsedDevice, SoftBounds, expected_step, pulse, sample_cells,
                                     up_down_scales)
from cimjax.devices.steps import ExpStep, LinearStep, PiecewiseStep, PowStep
from cimjax.errors import InputError

G_LO, G_HI = 1e-6, 5e-6  # siemens at w = −1 and +1 of the generating devices
FAST = F.FitOptions(starts=4, steps=300, warm_steps=150, bootstrap=0, seed=0)


def _rows(ws, w0, D, C, N):
    """CSV rows from the weights after every pulse, (C·2N, D); each cycle's first read at pulse 0."""
    g = lambda w: G_LO + (float(w) + 1.0) / 2.0 * (G_HI - G_LO)  # noqa: E731
    rows = []
    for d in range(D):
        for c in range(C):
            base = c * 2 * N
            start = w0[d] if c == 0 else ws[base - 1, d]
            rows.append((f"dev{d}", c, 0, "LTP", g(start)))
            rows += [(f"dev{d}", c, p + 1, "LTP", g(ws[base + p, d])) for p in range(N)]
            rows += [(f"dev{d}", c, p + 1, "LTD", g(ws[base + N + p, d])) for p in range(N)]
    return rows


# Every recovery data set has one shape (8 devices × 4 cycles × 50 + 50 pulses), so each model's
# fit compiles once for the whole file (the fits, the ranking and the command reuse it).
D_, C_, N_ = 8, 4, 50


def synth_step(model, key, D=D_, C=C_, N=N_, **fields):
    """A protocol step model's devices (sample_cells) pulsed N up, N down, C times (pulse)."""
    device = PulsedDevice(model=model, **fields)
    k_cells, k_pulse = jax.random.split(key)
    cells = sample_cells(device, k_cells, (D,))
    dirs = jnp.array(([1.0] * N + [-1.0] * N) * C)

    @jax.jit
    def run(w0, keys):
        def body(w, x):
            d, k = x
            w = pulse(device, cells, w, jnp.full(w.shape, d), k)
            return w, w

        return jax.lax.scan(body, w0, (dirs, keys))[1]

    ws = np.asarray(run(cells.w_min, jax.random.split(k_pulse, dirs.shape[0])))
    return _rows(ws, np.asarray(cells.w_min), D, C, N), cells


def synth_neurosim(key, D=D_, C=C_, L=N_, nl=(2.4, -4.88), d2d=0.3, c2c=0.005):
    """NeuroSim's curve: labels NL + N(0, d2d) per device (the same draw for both), L pulses up
    and down per cycle, additive c2c N(0, (2σ)²) per pulse, weights clipped to [−1, 1]."""
    k_a, k_pulse = jax.random.split(key)
    a_p, a_d = nlin.sample_d2d_a(k_a, (D,), nl[0], nl[1], d2d, L, floor_to_grid=False)
    dirs = jnp.array(([1.0] * L + [-1.0] * L) * C)

    @jax.jit
    def run(w0, keys):
        def body(w, x):
            d, k = x
            w = nlin.device_step_cell(w, -d, a_p, a_d, L) + nlin.c2c_noise(k, jnp.ones_like(w), c2c)
            w = jnp.clip(w, -1.0, 1.0)
            return w, w

        return jax.lax.scan(body, w0, (dirs, keys))[1]

    w0 = -np.ones(D)
    ws = np.asarray(run(jnp.asarray(w0, jnp.float32), jax.random.split(k_pulse, dirs.shape[0])))
    labels = (np.asarray(F.a_norm_to_nl(a_p / L)), np.asarray(F.a_norm_to_nl(a_d / L)))
    return _rows(ws, w0, D, C, L), labels


def write_csv(path, rows, header="device,cycle,pulse,direction,conductance"):
    with open(path, "w") as f:
        f.write(header + "\n")
        for r in rows:
            f.write(",".join(repr(x) if isinstance(x, float) else str(x) for x in r) + "\n")
    return str(path)


STEP_FIELDS = dict(dw_min=0.05, dw_min_dtod=0.1, dw_min_std=0.1, up_down=0.1, up_down_dtod=0.05,
                   w_min_dtod=0.05, w_max_dtod=0.05)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """The three recovery data sets: {model: (path, truth)}."""
    folder = tmp_path_factory.mktemp("fit")
    out = {}
    for name, model, seed in (("constant_step", ConstantStep(), 1), ("soft_bounds", SoftBounds(), 2)):
        rows, cells = synth_step(model, jax.random.PRNGKey(seed), **STEP_FIELDS)
        out[name] = (write_csv(folder / f"{name}.csv", rows), cells)
    rows, labels = synth_neurosim(jax.random.PRNGKey(3))
    out["neurosim"] = (write_csv(folder / "neurosim.csv", rows), labels)
    return out


@pytest.fixture(scope="module")
def step_fits(data):
    out = {}
    for name in ("constant_step", "soft_bounds"):
        m = F.load_measurements(data[name][0])
        out[name] = (m, data[name][1], F.fit(m, name, FAST, heldout=False))
    return out


@pytest.fixture(scope="module")
def neurosim_fit(data):
    m = F.load_measurements(data["neurosim"][0])
    return m, data["neurosim"][1], F.fit(m, "neurosim", FAST, heldout=False)


def _rel(a, b):
    return abs(a - b) / abs(b)


@pytest.mark.parametrize("name", ["constant_step", "soft_bounds"])
def test_step_model_recovers_parameters(step_fits, name):
    m, cells, r = step_fits[name]
    P = r.params
    span = G_HI - G_LO
    g = lambda w: G_LO + (np.asarray(w, np.float64) + 1.0) / 2.0 * span  # noqa: E731
    # nominal = the realised devices' mean: bounds (siemens), step (siemens), up/down scales
    g_min_true, g_max_true = g(cells.w_min).mean(), g(cells.w_max).mean()
    fitted_span = P["G_max"].value - P["G_min"].value
    assert abs(P["G_min"].value - g_min_true) < 0.05 * span
    assert abs(P["G_max"].value - g_max_true) < 0.05 * span
    step_true = np.asarray(cells.dw_min, np.float64) * span / 2.0
    assert _rel(P["dw_min"].value * fitted_span / 2.0, step_true.mean()) < 0.05
    # the up/down scales of the fitted asymmetry (the protocol's one-sided rule) against the
    # realised cells' mean scales
    up_true, down_true = (np.asarray(x, np.float64) for x in (cells.scale_up, cells.scale_down))
    up_fit, down_fit = (float(x) for x in up_down_scales(P["up_down"].value))
    assert _rel(up_fit, up_true.mean()) < 0.05
    assert _rel(down_fit, down_true.mean()) < 0.05
    ud = up_true  # its spread is the d2d term r of the asymmetry
    # c2c within 10 %, d2d within 20 % of the realised spreads
    assert _rel(P["dw_min_std"].value, STEP_FIELDS["dw_min_std"]) < 0.10
    assert _rel(P["dw_min_dtod"].value, step_true.std(ddof=1) / step_true.mean()) < 0.20
    assert _rel(P["up_down_dtod"].value, ud.std(ddof=1)) < 0.20
    for b in ("w_min", "w_max"):
        gb = g(getattr(cells, b))
        assert _rel(P[f"{b}_dtod"].value, gb.std(ddof=1) / (span / 2.0)) < 0.20
    assert r.rmse > 0 and r.rmse_trajectory > r.rmse  # the c2c random walk accumulates


def test_neurosim_recovers_labels_range_and_noise(neurosim_fit):
    m, (nl_p, nl_d), r = neurosim_fit
    P = r.params
    span = G_HI - G_LO
    assert abs(P["G_min"].value - G_LO) < 0.05 * span and abs(P["G_max"].value - G_HI) < 0.05 * span
    assert _rel(P["states"].value, N_) < 0.05
    assert abs(P["NL_LTP"].value - nl_p.mean()) < 0.1
    assert abs(P["NL_LTD"].value - nl_d.mean()) < 0.1
    # A_n and the labels agree through NeuroSim's NL -> A mapping
    assert _rel(P["A_LTP"].value, float(F.nl_to_a_norm_continuous(jnp.float32(P["NL_LTP"].value)))) < 1e-4
    assert _rel(P["c2c_sigma"].value, 0.005) < 0.10
    realised = math.sqrt(0.5 * (nl_p.var(ddof=1) + nl_d.var(ddof=1)))
    assert _rel(P["d2d_sigma"].value, realised) < 0.20


@pytest.mark.slow  # its own shape: one more compile of the fit (~15 s)
def test_ag_asi_labels_fit_back_within_0_05(tmp_path):
    """NeuroSim's Ag:a-Si row (97 states, NL 2.40 / −4.88): data from those parameters fit back
    to the same labels within 0.05 (closing the loop with NeuroSim's NL → A mapping); one device,
    small c2c, so the fit is the pooled one."""
    rows, _ = synth_neurosim(jax.random.PRNGKey(5), D=1, C=3, L=97, d2d=0.0, c2c=0.001)
    m = F.load_measurements(write_csv(tmp_path / "ag.csv", rows))
    r = F.fit(m, "neurosim", FAST, heldout=False)
    assert abs(r.params["NL_LTP"].value - 2.40) < 0.05
    assert abs(r.params["NL_LTD"].value - (-4.88)) < 0.05
    assert abs(r.params["states"].value - 97) < 97 * 0.02


#: The models the ranking tests compare: not nested in one another (the linear, exponential and
#: piecewise steps contain the constant step, the linear step at γ = 1 soft bounds: on data of
#: the simpler model their held-out errors tie within the noise; docs/device_fit.md, Limits).
DISTINCT = ("constant_step", "soft_bounds", "neurosim")


@pytest.mark.parametrize("true", ["constant_step", pytest.param("soft_bounds", marks=pytest.mark.slow)])
def test_compare_ranks_the_true_model_first(data, true):
    ranking = F.compare(F.load_measurements(data[true][0]), DISTINCT, options=FAST)
    assert ranking[0][0] == true, ranking


@pytest.mark.slow
def test_compare_ranks_neurosim_first_on_same_sign_labels(tmp_path):
    """Same-sign labels (the LTD segment retraces the concave LTP curve: its steps grow towards
    G_min) are what soft bounds cannot do. With opposite signs (Ag:a-Si's 2.40 / −4.88) both
    segments saturate exponentially, as soft bounds do, and the two models' held-out errors tie
    within the c2c noise (docs/device_fit.md, Limits)."""
    rows, _ = synth_neurosim(jax.random.PRNGKey(9), nl=(2.4, 1.5), d2d=0.2)
    ranking = F.compare(F.load_measurements(write_csv(tmp_path / "ns.csv", rows)), DISTINCT, options=FAST)
    assert ranking[0][0] == "neurosim", ranking


# ------------------------------------------------------------------- the steps.py step models
#
# Each model's data: the STEP_FIELDS device (d2d of the step, asymmetry and bounds; 10 % c2c)
# with the model's own shape, pulsed as above. Hard-bound shapes (linear, exponential,
# piecewise) get a larger step (dw_min 0.08, ~25 pulses across the range) so that every segment
# saturates: the bound a device reaches is what places it (docs/device_fit.md, Identifiability).

SHAPED = {
    "linear_step": (LinearStep(gamma_up=0.5, gamma_down=0.3), dict(dw_min=0.08), 10),
    "piecewise_step": (PiecewiseStep(piecewise_up=(1.4, 1.2, 1.0, 0.7, 0.4), piecewise_down=(0.5, 0.8, 1.0, 1.2, 1.3)),
                       dict(dw_min=0.08), 13),
    "exp_step": (ExpStep(A_up=0.1, A_down=0.5, gamma_up=3.0, gamma_down=3.0), dict(dw_min=0.08), 11),
    # exponents < 1: the step vanishes at the bound but reaches it in finite pulses (~37 here)
    "pow_step": (PowStep(pow_gamma=0.5, pow_up_down=0.2), dict(dw_min=0.1), 12),
}
#: The power step's exponents converge slowly (300 steps: γ_down 22 % high; 900: within 1 %).
LONG = F.FitOptions(starts=4, steps=900, warm_steps=450, bootstrap=0, seed=0)


def _shaped_fit(tmp_path, name, options=FAST):
    model, extra, seed = SHAPED[name]
    rows, cells = synth_step(model, jax.random.PRNGKey(seed), **dict(STEP_FIELDS, **extra))
    m = F.load_measurements(write_csv(tmp_path / f"{name}.csv", rows))
    return m, cells, F.fit(m, name, options, heldout=False)


def _true_shape(cells, name):
    """The realised devices' mean of a reported shape value (piecewise nodes relative to their mean)."""
    leaf = name.split(".", 1)[1]
    if "[" in leaf:
        group, k = leaf[:-1].split("[")
        nodes = np.asarray(getattr(cells.shape, group), np.float64)[0]
        return nodes[int(k)] / nodes.mean()
    return float(np.mean(np.asarray(getattr(cells.shape, leaf), np.float64)))


def _check_range_noise_d2d(cells, P, fields):
    span = G_HI - G_LO
    g = lambda w: G_LO + (np.asarray(w, np.float64) + 1.0) / 2.0 * span  # noqa: E731
    assert abs(P["G_min"].value - g(cells.w_min).mean()) < 0.05 * span
    assert abs(P["G_max"].value - g(cells.w_max).mean()) < 0.05 * span
    assert _rel(P["dw_min_std"].value, fields["dw_min_std"]) < 0.20
    step = np.asarray(cells.dw_min, np.float64)
    assert _rel(P["dw_min_dtod"].value, step.std(ddof=1) / step.mean()) < 0.20
    assert _rel(P["up_down_dtod"].value, np.asarray(cells.scale_up, np.float64).std(ddof=1)) < 0.20
    for b in ("w_min", "w_max"):
        assert _rel(P[f"{b}_dtod"].value, g(getattr(cells, b)).std(ddof=1) / (span / 2.0)) < 0.20


@pytest.mark.slow  # 30–50 s each: the anchored fit (pooled and per device) compiles per model
@pytest.mark.parametrize("name", ["linear_step", "piecewise_step", "pow_step"])
def test_shaped_step_model_recovers_parameters(tmp_path, name):
    """Shape parameters, G range and the up/down steps within 5 %; c2c and d2d within 20 %."""
    m, cells, r = _shaped_fit(tmp_path, name, LONG if name == "pow_step" else FAST)
    P = r.params
    _check_range_noise_d2d(cells, P, STEP_FIELDS)
    span = G_HI - G_LO
    fitted_span = P["G_max"].value - P["G_min"].value
    up_fit, down_fit = (float(x) for x in up_down_scales(P["up_down"].value))
    dw = np.asarray(cells.dw_min, np.float64) * span / 2.0
    up_true, down_true = (np.asarray(x, np.float64) for x in (cells.scale_up, cells.scale_down))
    if name != "piecewise_step":  # as the models above: the step and the up/down scales
        assert _rel(P["dw_min"].value * fitted_span / 2.0, dw.mean()) < 0.05
        assert _rel(up_fit, up_true.mean()) < 0.05
        assert _rel(down_fit, down_true.mean()) < 0.05
    else:  # piecewise: its nodes are reported relative to their mean, dw_min·scale carries the
        # rest: the mean up and down steps (dw_min·scale·mean of the nodes), siemens
        model = SHAPED[name][0]
        step_fit = P["dw_min"].value * fitted_span / 2.0
        assert _rel(step_fit * up_fit, (dw * up_true).mean() * np.mean(model.piecewise_up)) < 0.05
        assert _rel(step_fit * down_fit, (dw * down_true).mean() * np.mean(model.piecewise_down)) < 0.05
    names = F.MODELS[name].shape_names
    assert names
    for k in names:
        assert _rel(P[k].value, _true_shape(cells, k)) < 0.05, (k, P[k].value, _true_shape(cells, k))


def _step_curves(tmp_path, r, model, fields, cells, w):
    """Expected step per pulse (siemens) of the fitted nominal device and the realised devices'
    mean, at the conductances of the generating weights ``w`` (each direction)."""
    import dataclasses

    span = G_HI - G_LO
    P = r.params
    fitted_span = P["G_max"].value - P["G_min"].value
    g = G_LO + (w + 1.0) / 2.0 * span
    w_fit = jnp.asarray(2.0 * (g - P["G_min"].value) / fitted_span - 1.0, jnp.float32)
    preset = tmp_path / "fitted_curve.json"
    preset.write_text(json.dumps({"pulsed_device": F.pulsed_device_fields(r)}))
    fit_device = dataclasses.replace(F.load_pulsed_preset(str(preset)), dw_min_dtod=0.0, up_down_dtod=0.0, w_min_dtod=0.0, w_max_dtod=0.0)
    fit_cells = sample_cells(fit_device, jax.random.PRNGKey(0), w.shape)
    device = PulsedDevice(model=model, **fields)
    one = lambda x, i: jnp.full(w.shape, x[i]) if jnp.ndim(x) else x  # noqa: E731
    out = {}
    for d in (1.0, -1.0):
        true = np.mean([np.asarray(expected_step(device, jax.tree_util.tree_map(lambda x: one(x, i), cells),
                                                 jnp.asarray(w, jnp.float32), jnp.full(w.shape, d)))
                        for i in range(np.shape(cells.dw_min)[0])], axis=0) * span / 2.0
        fit = np.asarray(expected_step(fit_device, fit_cells, w_fit, jnp.full(w.shape, d))) * fitted_span / 2.0
        out[d] = (fit, true)
    return out


#: ExpStep where pulse data determine its shape: the SHAPED values (the exponential term 0.1 → 0.43
#: of the step up, 0.5 → 0.12 down: both ends of each direction's curve visible) with 1 % c2c.
#: At 10 % c2c on these 8 × 4 segments γ's 1σ is ~15 % pooled (~40 % per device), also at
#: aihwkit's default shape (docs/device_fit.md, Identifiability: the measured χ² profile); at 1 %
#: it is ~10 times narrower. Adam walks slowly along the (step, A, γ) valley: on noise-free data
#: 4 starts × 300 steps stop at γ↑ 3.8, × 900 at 3.3, 16 × 2000 at 3.02, hence the long fit.
EXP_DETERMINED = (SHAPED["exp_step"][0], dict(dw_min=0.08, dw_min_std=0.01), 11)
EXP_LONG = F.FitOptions(starts=4, steps=2000, warm_steps=1000, bootstrap=0, seed=0)


@pytest.mark.slow  # the anchored fit compiles and runs 2,000 Adam steps
def test_exp_step_recovers_its_shape_where_the_data_determine_it(tmp_path):
    """ExpStep (A 0.1 / 0.5, γ 3 / 3) with 1 % c2c: A, γ per direction, G range, the step and
    the up/down scales within 5 %; c2c and d2d within 20 %."""
    model, extra, seed = EXP_DETERMINED
    fields = dict(STEP_FIELDS, **extra)
    rows, cells = synth_step(model, jax.random.PRNGKey(seed), **fields)
    m = F.load_measurements(write_csv(tmp_path / "exp.csv", rows))
    r = F.fit(m, "exp_step", EXP_LONG, heldout=False)
    P = r.params
    _check_range_noise_d2d(cells, P, fields)
    span = G_HI - G_LO
    dw = np.asarray(cells.dw_min, np.float64) * span / 2.0
    assert _rel(P["dw_min"].value * (P["G_max"].value - P["G_min"].value) / 2.0, dw.mean()) < 0.05
    up_fit, down_fit = (float(x) for x in up_down_scales(P["up_down"].value))
    assert _rel(up_fit, np.mean(np.asarray(cells.scale_up, np.float64))) < 0.05
    assert _rel(down_fit, np.mean(np.asarray(cells.scale_down, np.float64))) < 0.05
    print({k: round(P[k].value, 4) for k in (*F.MODELS["exp_step"].shape_names, "dw_min", "up_down", "dw_min_std")})
    for k in F.MODELS["exp_step"].shape_names:
        assert _rel(P[k].value, _true_shape(cells, k)) < 0.05, (k, P[k].value, _true_shape(cells, k))


@pytest.mark.slow  # ~15–35 s
def test_exp_step_weak_shape_still_gives_its_step_curve(tmp_path):
    """ExpStep at A 0.1 / 0.5, γ 3 / 3 with 10 % c2c: 1 − A·e^(γz) is nearly linear over the
    range, so (step, A, γ) trade along a valley the noise does not resolve (γ↑ comes back as
    ~4–8). What the data do determine comes back: G range, c2c and d2d, and the step curve itself
    (siemens per pulse against conductance) within 5 % over the central 80 % of the range (next
    to the bounds, where the devices' bounds spread by 5 %, it is up to ~8 % off)."""
    m, cells, r = _shaped_fit(tmp_path, "exp_step")
    _check_range_noise_d2d(cells, r.params, STEP_FIELDS)
    assert r.rmse < 1.1 * STEP_FIELDS["dw_min_std"] * 0.08 * (G_HI - G_LO) / 2.0
    model, extra, _ = SHAPED["exp_step"]
    w = np.linspace(-0.8, 0.8, 17)
    for d, (fit, true) in _step_curves(tmp_path, r, model, dict(STEP_FIELDS, **extra), cells, w).items():
        err = np.abs(fit / true - 1.0)
        assert err.max() < 0.05, (d, np.round(100 * (fit / true - 1.0), 1))


def test_shaped_entries_step_as_their_step_models():
    """Each new registry entry's step is its step model's expected step with the reported shape,
    and the preset built from those values (make_model) is that step model again."""
    key = jax.random.PRNGKey(0)
    w = jnp.linspace(-0.9, 0.9, 7)
    for name in ("linear_step", "exp_step", "pow_step", "piecewise_step"):
        entry = F.MODELS[name]
        th = {k: jnp.asarray(v) for k, v in entry.init(key, 40.0).items()}
        p = entry.physical(th)
        values = {k: float(p[k]) for k in entry.shape_names}
        model = entry.make_model(values)
        assert type(model) is type(entry.step_model)
        device = PulsedDevice(model=model, dw_min=float(p["dw_min"]), up_down=float(p["up_down"]))
        cells = sample_cells(device, key, w.shape)
        for d in (1.0, -1.0):
            want = expected_step(device, cells, w, jnp.full(w.shape, d))
            got = entry.step(p, w, d) - w
            np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=2e-4, atol=1e-7, err_msg=name)


def test_fitted_preset_round_trips_and_bad_presets_name_the_field(tmp_path):
    from cimjax.config import ConfigError, apply_overrides, load_config

    fields = {"model": "piecewise_step", "dw_min": 0.05, "dw_min_std": 0.1, "up_down": 0.1, "w_min": -1.0, "w_max": 1.0,
              "dw_min_dtod": 0.1, "up_down_dtod": 0.05, "w_min_dtod": 0.05, "w_max_dtod": 0.05,
              "shape": {f"shape.{g}[{k}]": 1.0 + 0.1 * k for g in ("up", "down") for k in range(F.PIECEWISE_NODES)}}
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"pulsed_device": fields}))
    device = F.load_pulsed_preset(str(good))
    assert isinstance(device.model, PiecewiseStep) and device.model.piecewise_up[1] == pytest.approx(1.1)
    base = load_config("configs/synthetic_smoke.py")
    config = apply_overrides(base, [f"device.pulsed_preset_file={good}"])
    from cimjax.trainer import pulsed_device

    assert pulsed_device(config.device) == device
    for name, content, what in [
        ("missing.json", None, "missing.json"),
        ("notjson.json", "{", "not JSON"),
        ("nopd.json", json.dumps({"set": []}), "no 'pulsed_device'"),
        ("badkey.json", json.dumps({"pulsed_device": dict(fields, speed=1.0)}), "pulsed_device.speed"),
        ("badshape.json", json.dumps({"pulsed_device": dict(fields, shape={})}), "pulsed_device.shape"),
        ("range.json", json.dumps({"pulsed_device": dict(fields, dw_min=-1.0)}), "device.dw_min"),
    ]:
        path = tmp_path / name
        if content is not None:
            path.write_text(content)
        with pytest.raises(ConfigError, match="device.pulsed_preset_file") as e:
            apply_overrides(base, [f"device.pulsed_preset_file={path}"])
        assert what in str(e.value), str(e.value)
    with pytest.raises(ConfigError, match="device.pulsed_preset_file.*device.pulsed_preset"):
        apply_overrides(base, [f"device.pulsed_preset_file={good}", "device.pulsed_preset=reram_sb"])


# ------------------------------------------------------------------------------------ bad data

GOOD = ["dev0,0,0,LTP,1e-6", "dev0,0,1,LTP,2e-6", "dev0,0,2,LTP,3e-6", "dev0,0,1,LTD,2e-6", "dev0,0,2,LTD,1e-6"]


def _load(tmp_path, lines, header="device,cycle,pulse,direction,conductance"):
    p = tmp_path / "bad.csv"
    p.write_text("\n".join([header] + lines) + "\n")
    return F.load_measurements(str(p)), str(p)


def test_good_file_loads(tmp_path):
    m, _ = _load(tmp_path, GOOD)
    assert m.n_seqs == 1 and m.devices == ("dev0",)
    assert np.asarray(m.seqs.read_t[0]).tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("lines, header, where, what", [
    (GOOD[:2] + ["dev0,0,1,LTP,3e-6"] + GOOD[3:], None, "row 4, column pulse", "increase"),
    (GOOD[:3], None, "row 2, column direction", "no LTD"),
    (GOOD[:1] + ["dev0,0,1,LTP,-2e-6"] + GOOD[2:], None, "row 3, column conductance", "negative"),
    (GOOD[:1] + ["dev0,0,1,LTP,nan"] + GOOD[2:], None, "row 3, column conductance", "finite"),
    (GOOD[:1] + ["dev0,0,1,LTP,inf"] + GOOD[2:], None, "row 3, column conductance", "finite"),
    (GOOD[:1] + ["dev0,0,1,SET,2e-6"] + GOOD[2:], None, "row 3, column direction", "LTP or LTD"),
    (GOOD[:1] + ["dev0,0,x,LTP,2e-6"] + GOOD[2:], None, "row 3, column pulse", "integer"),
    (GOOD + ["dev0,0,3,LTP,2e-6"], None, "row 7, column direction", "again"),
    ([line.rsplit(",", 1)[0] for line in GOOD], "device,cycle,pulse,direction", "row 1", "missing column 'conductance'"),
    (GOOD, "device,cycle,pulse,direction,conductance,temp", "row 1, column temp", "unknown column"),
])
def test_bad_data_names_row_and_column(tmp_path, lines, header, where, what):
    if header is not None and "temp" in header:
        lines = [line + ",300" for line in lines]
    with pytest.raises(InputError) as e:
        _load(tmp_path, lines, header or "device,cycle,pulse,direction,conductance")
    msg = str(e.value)
    assert msg.startswith(str(tmp_path / "bad.csv") + ": " + where), msg
    assert what in msg, msg


def test_optional_columns_are_read(tmp_path):
    m, _ = _load(tmp_path, [line + ",1.5,1e-6" for line in GOOD], "device,cycle,pulse,direction,conductance,voltage,width")
    assert m.n_rows == 5


# ------------------------------------------------------------------------------------ the command


def test_cli_fit_writes_table_preset_and_plot(data, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["device", "fit", data["soft_bounds"][0], "--model", "soft_bounds", "--out", str(out), "--starts", "4",
                 "--steps", "150", "--bootstrap", "3", "--seed", "3"])
    text = capsys.readouterr().out
    assert code == 0
    for word in ("G_min", "G_max", "states", "dw_min_std", "dw_min_dtod", "± uncertainty", "fit error (RMSE)"):
        assert word in text
    preset = json.loads((out / "device_fit_soft_bounds.json").read_text())
    assert preset["pulsed_device"]["model"] == "soft_bounds"
    assert (out / "device_fit_soft_bounds.png").stat().st_size > 1000
    from cimjax.device_fit import load_preset

    device = load_preset(str(out / "device_fit_soft_bounds.json"))
    assert isinstance(device.model, SoftBounds) and device.dw_min == pytest.approx(preset["pulsed_device"]["dw_min"])


def test_cli_neurosim_set_lines_load_into_the_config(data, tmp_path, capsys):
    from cimjax.config import apply_overrides, load_config

    code = main(["device", "fit", data["neurosim"][0], "--model", "neurosim", "--out", str(tmp_path / "o"),
                 "--starts", "4", "--steps", "300", "--bootstrap", "0"])
    assert code == 0
    preset = json.loads((tmp_path / "o" / "device_fit_neurosim.json").read_text())
    assert "set_problem" not in preset
    config = apply_overrides(load_config("configs/quickstart.py"), preset["set"])
    assert abs(config.device.max_level - N_) <= 2 and config.device.c2c_mode == "per_update"
    assert "--set device.nl_ltp=" in capsys.readouterr().out


def test_cli_bad_data_is_one_line_naming_the_row(tmp_path, capsys):
    p = tmp_path / "bad.csv"
    p.write_text("device,cycle,pulse,direction,conductance\n" + "\n".join(GOOD[:1] + ["dev0,0,1,LTP,-1"] + GOOD[2:]))
    code = main(["device", "fit", str(p), "--model", "neurosim", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("cimjax device: error: ") and "row 3, column conductance" in err
    assert len(err.strip().splitlines()) == 1


def test_cli_unknown_model_fails_before_reading(tmp_path, capsys):
    assert main(["device", "fit", str(tmp_path / "none.csv"), "--model", "nope", "--out", str(tmp_path / "o")]) == 2
    assert "--model = 'nope' is unknown" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "o")


@pytest.mark.parametrize("models", [",".join(DISTINCT), pytest.param("all", marks=pytest.mark.slow)])
def test_cli_model_all_ranks_and_fits_the_best(data, tmp_path, capsys, models):
    """``--model all`` (slow: seven fits, each compiled) or a list ranks the models on held-out
    cycles and fits the best; on constant-step data it names a model that contains the constant
    step (nested models tie; the list of non-nested ones names the constant step itself)."""
    out = tmp_path / "all"
    code = main(["device", "fit", data["constant_step"][0], "--model", models, "--out", str(out), "--starts", "4",
                 "--steps", "300", "--bootstrap", "0"])
    text = capsys.readouterr().out
    assert code == 0 and "models ranked by" in text
    names = list(F.MODELS) if models == "all" else models.split(",")
    best = text.split("best: ")[1].split()[0]
    allowed = {"constant_step"} if models != "all" else {"constant_step", "linear_step", "exp_step", "piecewise_step"}
    assert best in allowed, text
    preset = json.loads((out / f"device_fit_{best}.json").read_text())
    assert [r["model"] for r in preset["ranking"]][0] == best and len(preset["ranking"]) == len(names)
    assert preset["fit_error"]["heldout_rmse_S"] > 0


# ------------------------------------------------------------------------- the fitted preset trains

TRAIN = ["run.estimate_each_epoch=false", "data.image_shape=(8,8,1)", "model.hidden=16", "data.synthetic_train_size=500",
         "data.synthetic_test_size=250", "train.lr_decay_epochs=", "train.optimizer=analog_sgd",
         "train.learning_rate=0.1"]
TRAIN_SEEDS = (0, 1, 2)


@pytest.mark.slow  # a fit (~30 s) and six tiny trainings
def test_fitted_preset_trains_like_the_generating_device(tmp_path):
    """Data from a known linear-step device → fit → train (analog SGD on the synthetic MLP,
    configs/synthetic_smoke.py scaled down) with the fitted preset and with the generating
    parameters, three seeds each: the fitted preset's mean accuracy is within the generating
    device's seed spread (its min–max over the seeds, widened by the fitted runs' own spread)."""
    from cimjax import train
    from cimjax.config import apply_overrides, load_config

    m, cells, r = _shaped_fit(tmp_path, "linear_step")
    fitted = tmp_path / "fitted.json"
    fitted.write_text(json.dumps({"pulsed_device": F.pulsed_device_fields(r)}))
    model, extra, _ = SHAPED["linear_step"]
    truth = dict(STEP_FIELDS, **extra, model="linear_step", w_min=-1.0, w_max=1.0,
                 shape={"shape.gamma_up": model.gamma_up, "shape.gamma_down": model.gamma_down})
    generating = tmp_path / "generating.json"
    generating.write_text(json.dumps({"pulsed_device": truth}))

    def accuracy(preset, seed):
        config = apply_overrides(load_config("configs/synthetic_smoke.py"),
                                 [*TRAIN, f"device.pulsed_preset_file={preset}", f"run.seed={seed}",
                                  f"run.out_dir={tmp_path}/{preset.stem}{seed}"])
        return train.train_and_evaluate(config, progress=False, log=lambda *a: None)["final_accuracy"]

    acc_true = np.array([accuracy(generating, s) for s in TRAIN_SEEDS])
    acc_fit = np.array([accuracy(fitted, s) for s in TRAIN_SEEDS])
    print(f"accuracy, generating parameters: {acc_true}; fitted preset: {acc_fit}")
    assert acc_true.mean() > 20.0  # it learns (10 classes: chance is 10 %)
    slack = 0.5 * (np.ptp(acc_true) + np.ptp(acc_fit))
    assert acc_true.min() - slack <= acc_fit.mean() <= acc_true.max() + slack, (acc_true, acc_fit)


QUICKSTART_SEEDS = (117, 118, 119)


@pytest.mark.slow  # a NeuroSim fit (~1 min) and six 3-epoch quickstart trainings (~1–5 min each on the 2-core VM)
def test_fitted_neurosim_sets_train_the_quickstart_like_its_device(tmp_path):
    """configs/quickstart.py's device (fefet_hzo: NeuroSim's curve, NL 1.75 / 1.46, 32 levels,
    c2c 0.003, R_on 559.28 kΩ, on/off 45) → 8 devices × 4 cycles of pulse data → ``cimjax device
    fit --model neurosim`` → quickstart trained with the fit's ``--set`` lines and with its own
    device, three seeds each: the --set lines load, and the fitted runs' mean accuracy lies within
    the generating runs' range widened by half the two ranges' sum (docs/device_fit.md)."""
    from cimjax import train
    from cimjax.config import apply_overrides, load_config
    from cimjax.devices.presets import PRESETS

    pre = PRESETS["fefet_hzo"]
    L = pre.max_level
    k_a, k_p = jax.random.split(jax.random.PRNGKey(0))
    a_p, a_d = nlin.sample_d2d_a(k_a, (8,), pre.nl_ltp, pre.nl_ltd, 0.0, L, floor_to_grid=False)
    dirs = jnp.array(([1.0] * L + [-1.0] * L) * 4)

    def body(w, x):
        d, k = x
        w = jnp.clip(nlin.device_step_cell(w, -d, a_p, a_d, L) + nlin.c2c_noise(k, jnp.ones_like(w), pre.c2c_sigma),
                     -1.0, 1.0)
        return w, w

    w0 = -jnp.ones(8)
    ws = np.asarray(jax.lax.scan(body, w0, (dirs, jax.random.split(k_p, dirs.shape[0])))[1])
    g_max = 1.0 / pre.r_on
    g_min = g_max / pre.on_off_ratio
    g = lambda w: g_min + (float(w) + 1.0) / 2.0 * (g_max - g_min)  # noqa: E731
    rows = []
    for d in range(8):
        for c in range(4):
            base = c * 2 * L
            rows.append((f"d{d}", c, 0, "LTP", g(-1.0 if c == 0 else ws[base - 1, d])))
            rows += [(f"d{d}", c, p + 1, "LTP", g(ws[base + p, d])) for p in range(L)]
            rows += [(f"d{d}", c, p + 1, "LTD", g(ws[base + L + p, d])) for p in range(L)]
    data = write_csv(tmp_path / "fefet.csv", rows)
    assert main(["device", "fit", data, "--model", "neurosim", "--out", str(tmp_path / "fit")]) == 0
    sets = json.loads((tmp_path / "fit" / "device_fit_neurosim.json").read_text())["set"]
    assert "hardware.cell_resistance=device" in sets

    def accuracy(extra, label, seed):
        config = apply_overrides(load_config("configs/quickstart.py"),
                                 [*extra, f"run.seed={seed}", f"run.out_dir={tmp_path}/{label}{seed}",
                                  "run.estimate_each_epoch=false"])
        return train.train_and_evaluate(config, progress=False, log=lambda *a: None)["final_accuracy"]

    acc_true = np.array([accuracy([], "generating", s) for s in QUICKSTART_SEEDS])
    acc_fit = np.array([accuracy(sets, "fitted", s) for s in QUICKSTART_SEEDS])
    print(f"quickstart accuracy, its device: {acc_true}; the fit's --set lines: {acc_fit}")
    assert acc_true.mean() > 50.0  # it learns (10 classes)
    slack = 0.5 * (np.ptp(acc_true) + np.ptp(acc_fit))
    assert acc_true.min() - slack <= acc_fit.mean() <= acc_true.max() + slack, (acc_true, acc_fit)
