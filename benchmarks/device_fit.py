"""Time of ``cimjax device fit`` on a 1,000-pulse, 10-device file (issue 20; target < 30 s on CPU).

    python benchmarks/device_fit.py [--model neurosim] [--devices 10] [--pulses 50] [--cycles 1] [--out DIR]
    python benchmarks/device_fit.py --exp-profile

``--exp-profile`` prints the χ² profile of the exponential step's ``γ`` (docs/device_fit.md,
Identifiability) instead: for each fixed ``γ`` the best ``(dw_min, A)`` (scipy least squares)
for the expected step of a mean device (``dw_min`` 0.08, bounds ±1) at the reads that a 50-pulse
segment visits before it clips, as ``Δχ²`` with 10 % relative c2c over 8 devices × 4 cycles.

Writes a synthetic measurement file (NeuroSim's curve, Ag:a-Si labels 2.40 / −4.88 with d2d 0.2,
c2c 0.005; or a protocol step-model device: soft bounds, or the linear / piecewise step of
tests/devices/test_fit.py) to a temporary folder (``--out``: keep it and the command's table, preset
and plot there), then runs the command end to
end in this process and prints its wall time (compilation included; ``CIMJAX_CACHE_DIR=off`` for a
cold run without the persistent compile cache) and the recovered labels or step.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import jax
import jax.numpy as jnp
import numpy as np


def neurosim_weights(key, D, C, L):
    from cimjax.devices import nonlinear as nlin

    k_a, k_p = jax.random.split(key)
    a_p, a_d = nlin.sample_d2d_a(k_a, (D,), 2.40, -4.88, 0.2, L, floor_to_grid=False)
    dirs = jnp.array(([1.0] * L + [-1.0] * L) * C)

    def body(w, x):
        d, k = x
        w = jnp.clip(nlin.device_step_cell(w, -d, a_p, a_d, L) + nlin.c2c_noise(k, jnp.ones_like(w), 0.005), -1.0, 1.0)
        return w, w

    w0 = -jnp.ones(D)
    return np.asarray(w0), np.asarray(jax.lax.scan(body, w0, (dirs, jax.random.split(k_p, dirs.shape[0])))[1])


#: The step-model devices (model, dw_min): soft bounds as before, the others as the recovery tests.
def _step_device(name):
    from cimjax.devices.protocol import PulsedDevice, SoftBounds
    from cimjax.devices.steps import LinearStep, PiecewiseStep

    model, dw = {"soft_bounds": (SoftBounds(), 0.05), "linear_step": (LinearStep(gamma_up=0.5, gamma_down=0.3), 0.08),
                 "piecewise_step": (PiecewiseStep(piecewise_up=(1.4, 1.2, 1.0, 0.7, 0.4),
                                                  piecewise_down=(0.5, 0.8, 1.0, 1.2, 1.3)), 0.08)}[name]
    return PulsedDevice(model=model, dw_min=dw, dw_min_dtod=0.1, dw_min_std=0.1, up_down=0.1, w_min_dtod=0.05,
                        w_max_dtod=0.05)


def step_weights(name, key, D, C, N):
    from cimjax.devices.protocol import pulse, sample_cells

    device = _step_device(name)
    k_c, k_p = jax.random.split(key)
    cells = sample_cells(device, k_c, (D,))
    dirs = jnp.array(([1.0] * N + [-1.0] * N) * C)

    def body(w, x):
        d, k = x
        w = pulse(device, cells, w, jnp.full(w.shape, d), k)
        return w, w

    return np.asarray(cells.w_min), np.asarray(jax.lax.scan(body, cells.w_min, (dirs, jax.random.split(k_p, dirs.shape[0])))[1])


def write(path, w0, ws, D, C, N, g_lo=1e-6, g_hi=5e-6):
    g = lambda w: g_lo + (float(w) + 1.0) / 2.0 * (g_hi - g_lo)  # noqa: E731
    with open(path, "w") as f:
        f.write("device,cycle,pulse,direction,conductance\n")
        for d in range(D):
            for c in range(C):
                base = c * 2 * N
                f.write(f"d{d},{c},0,LTP,{g(w0[d] if c == 0 else ws[base - 1, d])!r}\n")
                for p in range(N):
                    f.write(f"d{d},{c},{p + 1},LTP,{g(ws[base + p, d])!r}\n")
                for p in range(N):
                    f.write(f"d{d},{c},{p + 1},LTD,{g(ws[base + N + p, d])!r}\n")


def exp_profile(sig=0.1, segments=32, dw=0.08):
    """Print the χ² profile of ExpStep's γ (see the module docstring)."""
    from scipy.optimize import least_squares

    from cimjax.devices.steps import ExpStep

    a, b = ExpStep().a, ExpStep().b

    def step(w, dw_min, A, gamma, d):  # ExpStep's step with bounds ±1 (cimjax/devices/steps.py)
        return dw_min * np.maximum(1.0 - A * np.exp(d * gamma * (a * w + b)), 0.0)

    cases = {"up, A 0.1, γ 3": (0.1, 3.0, 1.0), "down, A 0.5, γ 3": (0.5, 3.0, -1.0),
             "up, aihwkit A 0.00081, γ 12.44625": (0.00081, 12.44625, 1.0),
             "down, aihwkit A 0.36833, γ 12.78785": (0.36833, 12.78785, -1.0)}
    ratios = (0.5, 0.7, 0.85, 0.95, 1.0, 1.05, 1.15, 1.43, 2.0)
    for label, (A, gamma, d) in cases.items():
        w, ws = -d, []
        for _ in range(50):
            s = step(w, dw, A, gamma, d)
            if abs(w + d * s) >= 1.0:
                break
            ws.append(w)
            w += d * s
        ws = np.array(ws)
        true = step(ws, dw, A, gamma, d)
        print(f"{label}: {len(ws)} reads before the bound; Δχ² over {segments} segments (one device: / 8)")
        for r in ratios:
            res = lambda p: (step(ws, p[0], np.exp(p[1]), gamma * r, d) - true) / (sig * true)  # noqa: E731
            best = min((least_squares(res, [dw, np.log(A) + s], method="lm") for s in (-2, -1, 0, 1, 2)),
                       key=lambda x: x.cost)
            print(f"  γ/true {r:4.2f}: Δχ² {2 * best.cost * segments:8.3f}, dw_min {best.x[0]:.4f}, "
                  f"A {np.exp(best.x[1]):.4g}, max step error {100 * np.max(np.abs(res(best.x))) * sig:.2f} %")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="neurosim", choices=["neurosim", "soft_bounds", "linear_step", "piecewise_step"])
    ap.add_argument("--out", default=None, help="keep the data file and the command's output here")
    ap.add_argument("--devices", type=int, default=10)
    ap.add_argument("--cycles", type=int, default=1)
    ap.add_argument("--pulses", type=int, default=50, help="pulses per segment (LTP and LTD each)")
    ap.add_argument("--exp-profile", action="store_true", help="print the exponential step's γ profile instead")
    args = ap.parse_args()
    if args.exp_profile:
        exp_profile()
        return
    D, C, N = args.devices, args.cycles, args.pulses
    if args.model == "neurosim":
        w0, ws = neurosim_weights(jax.random.PRNGKey(0), D, C, N)
    else:
        w0, ws = step_weights(args.model, jax.random.PRNGKey(0), D, C, N)
    with tempfile.TemporaryDirectory() as tmp:
        if args.out is not None:
            os.makedirs(args.out, exist_ok=True)
            tmp = args.out
        data = os.path.join(tmp, "meas.csv")
        write(data, w0, ws, D, C, N)
        from cimjax.cli import main as cli

        t0 = time.perf_counter()
        code = cli(["device", "fit", data, "--model", args.model, "--out", os.path.join(tmp, "out")])
        wall = time.perf_counter() - t0
        with open(os.path.join(tmp, "out", f"device_fit_{args.model}.json")) as f:
            params = json.load(f)["parameters"]
    print(f"\n{D} devices × {C} cycle(s) × {2 * N} pulses = {D * C * 2 * N} pulses, {args.model}: exit {code}, "
          f"{wall:.1f} s wall (compilation included)")
    keys = ("NL_LTP", "NL_LTD", "states") if args.model == "neurosim" else ("dw_min", "up_down", "dw_min_std")
    keys += tuple(k for k in params if k.startswith("shape.") and not k.endswith("_dtod"))
    print("  " + ", ".join(f"{k} = {params[k]['value']:.4g}" for k in keys))


if __name__ == "__main__":
    main()
