"""cimjax's training checked against NeuroSim V2.0's PyTorch wrapper (issue 18, part 2).

The two tools train the same width-scaled VGG-8 (configs/vgg8_cifar10.py, NeuroSim's defaults:
WAGE 5/8/5/8, SSE, momentum γ = 0.9 α = 0.1 with the wrapper's in-place renormalisation
``train.momentum_renorm``, grad_scale 1, batch 200) from the same initial weights on the same
batches, and each logs per step: the loss, every layer's weight mean and std, the pulses the
device update applies per layer (Σ|ΔP| of NeuroSim's ``QG``, docs/model.md §2.4 step 3), and at
the end the accuracy and loss on held-out images. A seed draws the initial weights (cimjax's,
exported for the wrapper) and each tool's own noise (SR, c2c, d2d). The comparison puts cimjax's
curves against the wrapper's seed-to-seed band.

Subcommands (each writes files; nothing here imports PyTorch or NeuroSim)::

    python benchmarks/wrapper_parity.py data --out D/data.npz --steps 200 --batch 200 --heldout 1000
    python benchmarks/wrapper_parity.py export --out 'D/init_s{seed}.npz' --seeds 1 2 3 --width 0.125
    python benchmarks/wrapper_parity.py train --data D/data.npz --out 'D/cimjax_fefet_s{seed}.json' \
        --seeds 1 2 3 --width 0.125 --device fefet
    python benchmarks/wrapper_parity.py compare --cimjax D/cimjax_fefet_s*.json \
        --wrapper D/wrapper_fefet_s*.json [--markdown T.md] [--plot P.png]
    python benchmarks/wrapper_parity.py fixture --wrapper D/wrapper_fefet_s*.json --out F.json \
        --dataset fashion_mnist_embedded --date YYYY-MM-DD --machine '...'   # reference data

Full width is the same commands with ``--width 1`` (hours of CPU per run; see benchmarks/README.md).

**The data file** (``data``): Fashion-MNIST (``/usr/share/datasets/fashion-mnist``, or the subset
shipped with cimjax) through cimjax's own loader, ``data.image_shape = (32, 32, 3)`` (each 28×28
image zero-padded, centred, to 32×32 and its one channel tiled to 3), the first ``steps·batch``
training images in stored order and the first ``heldout`` test images: ``train_images`` /
``test_images`` uint8 NHWC, ``train_labels`` / ``test_labels`` int32. Step ``t`` trains on rows
``t·batch … (t+1)·batch − 1``. Both tools map a pixel ``p`` to ``2·p/255 − 1`` (cimjax's
``input_normalisation = 'neurosim'``, the wrapper's ``Normalize(0.5, 0.5)``); no augmentation.
The run is the first ``steps`` (≤ one epoch) batches, so the per-epoch velocity reset and the
grad_scale decay never act.

**The weight file** (``export``): cimjax's initial weights of ``run.seed = seed`` in the layout
of the wrapper's ``state_dict`` (NCHW activations), one array per layer and ``scale_<layer>``
(the WAGE scale, which the wrapper recomputes from the same fan-in and must equal):

* ``conv1``…``conv6``: cimjax's kernel is HWIO ``(K, K, C_in, C_out)``; PyTorch's is OIHW,
  ``kernel.transpose(3, 2, 0, 1)``;
* ``fc1``: cimjax flattens NHWC (row ``(h·W + w)·C + c``), PyTorch NCHW (column
  ``c·H·W + h·W + w``): ``kernel.reshape(H, W, C, O).transpose(3, 2, 0, 1).reshape(O, C·H·W)``;
* ``fc2``: ``kernel.T`` (PyTorch's Linear weight is ``(out, in)``).

**The run JSON** (``train``, and the wrapper's in the same schema): ``loss[t]``, ``w_mean[t][l]``,
``w_std[t][l]`` (after step ``t``'s update, population std), ``pulses[t][l]`` (Σ|ΔP| of step ``t``),
``heldout`` (``accuracy`` in %, ``loss_per_batch`` = NeuroSim's test loss), and the settings.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

from cimjax import data as data_lib
from cimjax import optim as optim_lib
from cimjax.config import load_config, replace
from cimjax.optim.momentum import NeuroSimMomentumState
from cimjax.optim.weight_change import device_weight_change
from cimjax.trainer import Trainer, layer_stats, make_keys, steps_per_epoch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, "configs", "vgg8_cifar10.py")
IMAGE_SHAPE = (32, 32, 3)
LAYERS = ("conv1", "conv2", "conv3", "conv4", "conv5", "conv6", "fc1", "fc2")

#: The devices compared, as cimjax device-section overrides. ``fefet``: the wrapper's default
#: (train.py's args: NL 1.75 / 1.46, 32 levels, c2c 0.003, d2d 0), cimjax's ``fefet_hzo`` preset.
#: ``asym15``: an asymmetric device, NL +1.5 / −1.5 on the same 32 levels and c2c. Stronger
#: asymmetric labels (±5, Ag:a-Si's 2.4 / −4.88) turn the wrapper's weights NaN at the first
#: update: its inverse curve takes ``log(1 − (w+1)/B)`` of WAGE's initial weights up to ±1.5
#: (docs/model.md §2.4 "Numerical caveat"), which needs every |NL| ≲ 1.9 at 32 levels.
DEVICES = {
    "fefet": {"name": "fefet_hzo"},
    "asym15": {"name": "fefet_hzo", "nl_ltp": 1.5, "nl_ltd": -1.5},
    "asym5": {"name": "fefet_hzo", "nl_ltp": 5.0, "nl_ltd": -5.0},
}

#: Quantities compared per step, per layer where the run JSON has one value per layer.
#: ``cum_pulses`` is derived: the pulses summed over steps 0…t (one step's count swings by ×2
#: with the velocity's power-of-two renormalisation; the running sum is the update size).
CURVES = ("loss", "w_mean", "w_std", "pulses", "cum_pulses")
STORED = ("loss", "w_mean", "w_std", "pulses")


def parity_config(width: float, batch: int, seed: int, device: str, steps: int, heldout: int,
                  dataset: str = "fashion_mnist"):
    """configs/vgg8_cifar10.py at ``width`` on Fashion-MNIST shaped as CIFAR-10, no augmentation."""
    if device not in DEVICES:
        raise SystemExit(f"--device {device!r}: expected one of {sorted(DEVICES)}")
    base = load_config(CONFIG)
    return replace(
        base,
        data={"name": dataset, "image_shape": IMAGE_SHAPE, "augment": False, "batch_size": batch,
              "eval_batch_size": batch, "num_train": steps * batch, "num_test": heldout},
        model={"width": float(width)},
        device=DEVICES[device],
        run={"seed": int(seed), "out_dir": "/tmp/cimjax_wrapper_parity", "name": "wrapper_parity"},
    )


def make_trainer(config) -> Trainer:
    keys = make_keys(config.run.seed)
    n = steps_per_epoch(config, int(config.data.num_train))
    return Trainer(config, IMAGE_SHAPE, n, keys)


def torch_layout(trainer: Trainer) -> dict[str, np.ndarray]:
    """The trainer's initial weights in the wrapper's layout (module docstring), with the scales."""
    from flax import nnx

    model = nnx.merge(trainer.graphdef, trainer.initial_state.params, trainer.rest)
    params = trainer.initial_state.params
    out = {}
    for name in trainer.layer_names:
        k = np.asarray(params[name]["kernel"][...], np.float32)
        if name.startswith("conv"):
            w = k.transpose(3, 2, 0, 1)
        elif name == "fc1":
            c = model.conv6.out_ch
            hw = k.shape[0] // c
            side = int(round(math.sqrt(hw)))
            w = k.reshape(side, side, c, k.shape[1]).transpose(3, 2, 0, 1).reshape(k.shape[1], -1)
        else:
            w = k.T
        out[name] = np.ascontiguousarray(w)
        out["scale_" + name] = np.float32(getattr(model, name).scale)
    return out


def cmd_data(a) -> None:
    from cimjax.config import DataConfig

    cfg = DataConfig(name=a.dataset, image_shape=IMAGE_SHAPE, num_train=a.steps * a.batch, num_test=a.heldout)
    ds = data_lib.load_dataset(cfg)
    np.savez_compressed(a.out, train_images=ds.train_images, train_labels=ds.train_labels.astype(np.int32),
                        test_images=ds.test_images, test_labels=ds.test_labels.astype(np.int32))
    print(f"wrote {a.out}: {ds.description}; {len(ds.train_labels)} train / {len(ds.test_labels)} held-out")


def cmd_export(a) -> None:
    for seed in a.seeds:
        out = a.out.format(seed=seed)
        config = parity_config(a.width, a.batch, seed, "fefet", 1, 1)
        np.savez(out, **torch_layout(make_trainer(config)))
        print(f"wrote {out}: cimjax's initial weights of seed {seed}, width {a.width:g}, PyTorch layout")


def _velocity(opt_state):
    found = [n for n in jax.tree.leaves(opt_state, is_leaf=lambda n: isinstance(n, NeuroSimMomentumState))
             if isinstance(n, NeuroSimMomentumState)]
    if len(found) != 1:
        raise RuntimeError(f"expected one NeuroSim momentum state in the optimiser state, found {len(found)}")
    return found[0].velocity


def train_run(a, data: dict[str, np.ndarray]) -> dict:
    """cimjax's run of the parity protocol: returns the run JSON (module docstring)."""
    steps, batch = a.steps, a.batch
    if len(data["train_labels"]) < steps * batch:
        raise SystemExit(f"data file holds {len(data['train_labels'])} training images; "
                         f"{steps}×{batch} needed")
    config = parity_config(a.width, batch, a.seed, a.device, steps, len(data["test_labels"]), a.dataset)
    trainer = make_trainer(config)
    dev = config.device.resolved()
    schedule = optim_lib.step_decay_schedule(config.train.learning_rate, config.train.lr_decay_epochs,
                                             config.train.lr_decay_factor, steps)
    names = trainer.layer_names

    @jax.jit
    def stats(state, count):
        """Weights' mean/std per layer after the step, and Σ|ΔP| of the step's update (from the
        velocity QG took: cimjax's own pulse count, ``device_weight_change``)."""
        mean, std = layer_stats(state.params, names)
        v = _velocity(state.opt_state)
        lr = schedule(count)
        pulses = [jnp.sum(jnp.abs(device_weight_change(v[n]["kernel"], v[n]["kernel"], 0.0, 0.0, lr,
                                                       max_level=dev.max_level, ideal=True)[1]))
                  for n in names]
        return mean, std, jnp.stack(pulses)

    rec = {"loss": [], "w_mean": [], "w_std": [], "pulses": []}
    state = trainer.initial_state
    t0 = time.perf_counter()
    for t in range(steps):
        sl = slice(t * batch, (t + 1) * batch)
        b = {"image": data["train_images"][sl].astype(np.float32) / 255.0, "label": data["train_labels"][sl]}
        state, loss = trainer.train_step(state, b)
        mean, std, pulses = jax.device_get(stats(state, jnp.int32(t)))
        rec["loss"].append(float(loss))
        rec["w_mean"].append([float(x) for x in mean])
        rec["w_std"].append([float(x) for x in std])
        rec["pulses"].append([float(x) for x in pulses])
        if a.verbose and (t % 10 == 0 or t == steps - 1):
            print(f"step {t} loss {float(loss):.3f} {time.perf_counter() - t0:.1f}s", flush=True)
    train_s = time.perf_counter() - t0
    if getattr(a, "evaluate", True):
        test_loss, acc = trainer.evaluate(state.params, data["test_images"], data["test_labels"])
    else:  # a short check of the curves only (the test suite's quick run)
        test_loss, acc = math.nan, math.nan
    return {
        "tool": "cimjax", "seed": a.seed, "width": a.width, "steps": steps, "batch": batch,
        "layer_names": list(names),
        "device": {"name": a.device, "nl_ltp": dev.nl_ltp, "nl_ltd": dev.nl_ltd, "max_level": dev.max_level,
                   "c2c_sigma": dev.c2c_sigma, "d2d_sigma": config.device.d2d_sigma, "momentum": True,
                   "gamma": config.train.momentum, "alpha": config.train.alpha},
        **rec,
        "heldout": {"n": int(len(data["test_labels"])), "accuracy": float(acc),
                    "loss_per_batch": float(test_loss)},
        "train_seconds": train_s, "jax": jax.__version__,
    }


def load_npz(path: str) -> dict[str, np.ndarray]:
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def cmd_train(a) -> None:
    data = load_npz(a.data)
    for seed in a.seeds:
        out = a.out.format(seed=seed)
        res = train_run(argparse.Namespace(**{**vars(a), "seed": seed}), data)
        with open(out, "w") as f:
            json.dump(res, f)
        print(f"wrote {out}: held-out accuracy {res['heldout']['accuracy']:.2f} %, "
              f"{res['train_seconds']:.1f} s")


# ----------------------------------------------------------------------------------------------
# Comparison
# ----------------------------------------------------------------------------------------------


def curve(runs: list[dict], key: str, steps: int) -> np.ndarray:
    """(seeds, steps[, layers]) of one quantity, cut to the first ``steps`` steps."""
    if key == "cum_pulses":
        return np.cumsum(curve(runs, "pulses", steps), axis=1)
    return np.array([r[key][:steps] for r in runs], np.float64)


def band(wrapper: list[dict], key: str, steps: int, widen: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The wrapper's seed-to-seed band of a quantity: [min, max] over its seeds, each side
    widened by ``widen`` times the band's width (0: the plain min–max)."""
    w = curve(wrapper, key, steps)
    lo, hi = w.min(axis=0), w.max(axis=0)
    pad = widen * (hi - lo)
    return lo - pad, hi + pad


def within(cimjax: list[dict], wrapper: list[dict], key: str, steps: int, widen: float = 0.0) -> np.ndarray:
    """Whether cimjax's seed mean lies in the wrapper's band, per step (and layer)."""
    lo, hi = band(wrapper, key, steps, widen)
    m = curve(cimjax, key, steps).mean(axis=0)
    return (m >= lo) & (m <= hi)


def summary(cimjax: list[dict], wrapper: list[dict], steps: int | None = None) -> dict:
    """Per quantity (and layer): the fraction of steps where cimjax's seed mean lies in the
    wrapper's min–max band, and the mean relative gap between the seed means in units of the
    band's half-width; and the held-out accuracy of each tool's seeds."""
    steps = min(min(len(r["loss"]) for r in cimjax + wrapper), steps or 10 ** 9)
    out = {"steps": steps, "curves": {}}
    for key in CURVES:
        inside = within(cimjax, wrapper, key, steps)
        w, c = curve(wrapper, key, steps), curve(cimjax, key, steps)
        half = (w.max(0) - w.min(0)) / 2
        gap = np.abs(c.mean(0) - w.mean(0)) / np.where(half > 0, half, np.inf)
        if inside.ndim == 1:
            out["curves"][key] = {"in_band": float(inside.mean()), "gap_over_halfwidth": float(np.mean(gap))}
        else:
            out["curves"][key] = {
                name: {"in_band": float(inside[:, i].mean()), "gap_over_halfwidth": float(np.mean(gap[:, i]))}
                for i, name in enumerate(LAYERS)
            }
    out["paired"] = paired(cimjax, wrapper, steps)
    acc = {tool: [r["heldout"]["accuracy"] for r in runs]
           for tool, runs in (("wrapper", wrapper), ("cimjax", cimjax))}
    out["heldout_accuracy"] = acc
    out["heldout_in_band"] = bool(min(acc["wrapper"]) <= np.mean(acc["cimjax"]) <= max(acc["wrapper"]))
    return out


def paired(cimjax: list[dict], wrapper: list[dict], steps: int) -> dict:
    """Same seed, same initial weights: the difference cimjax − wrapper of each quantity, averaged
    over the steps and the seeds both tools ran, in units of the wrapper's seed-to-seed std
    (averaged over the steps). Layers are averaged for the per-layer quantities. Near 0 when
    the tools agree; a bias shows as a value of the order of 1."""
    seeds = sorted({r["seed"] for r in cimjax} & {r["seed"] for r in wrapper})
    c = [next(r for r in cimjax if r["seed"] == s) for s in seeds]
    w = [next(r for r in wrapper if r["seed"] == s) for s in seeds]
    out = {}
    for key in ("loss", "w_mean", "w_std", "cum_pulses"):
        cw, ww = curve(c, key, steps), curve(w, key, steps)
        std = curve(wrapper, key, steps).std(axis=0).mean(axis=0)
        out[key] = float(np.mean((cw - ww).mean(axis=(0, 1)) / np.where(std > 0, std, np.inf)))
    out["seeds"] = seeds
    return out


def table(cimjax: list[dict], wrapper: list[dict], steps: int,
          rows=(0, 1, 2, 5, 10, 20, 50, 100, 150, 199)) -> str:
    """A Markdown table: per shown step, each quantity's wrapper band and cimjax's seed mean
    (``*`` marks a value outside the band)."""
    rows = [t for t in rows if t < steps] + ([steps - 1] if steps - 1 not in rows else [])
    lines = []

    def cell(key, t, layer=None):
        lo, hi = band(wrapper, key, steps)
        m = curve(cimjax, key, steps).mean(0)
        if layer is not None:
            lo, hi, m = lo[:, layer], hi[:, layer], m[:, layer]
        flag = "" if lo[t] <= m[t] <= hi[t] else " *"
        fmt = "{:.4g}"
        return f"{fmt.format(m[t])} [{fmt.format(lo[t])}, {fmt.format(hi[t])}]{flag}"

    lines.append("| step | loss | " + " | ".join(f"w std {n}" for n in LAYERS) + " |")
    lines.append("|---" * (2 + len(LAYERS)) + "|")
    for t in rows:
        stds = " | ".join(cell("w_std", t, i) for i in range(len(LAYERS)))
        lines.append(f"| {t} | {cell('loss', t)} | {stds} |")
    lines.append("")
    lines.append("| step | " + " | ".join(f"w mean {n}" for n in LAYERS) + " |")
    lines.append("|---" * (1 + len(LAYERS)) + "|")
    for t in rows:
        lines.append(f"| {t} | " + " | ".join(cell("w_mean", t, i) for i in range(len(LAYERS))) + " |")
    for key in ("pulses", "cum_pulses"):
        lines.append("")
        lines.append("| step | " + " | ".join(f"{key} {n}" for n in LAYERS) + " |")
        lines.append("|---" * (1 + len(LAYERS)) + "|")
        for t in rows:
            lines.append(f"| {t} | " + " | ".join(cell(key, t, i) for i in range(len(LAYERS))) + " |")
    return "\n".join(lines)


def describe(cimjax: list[dict], wrapper: list[dict]) -> str:
    s = summary(cimjax, wrapper)
    steps = s["steps"]
    r0 = wrapper[0]
    head = (f"device {r0['device']['name']} (NL {r0['device']['nl_ltp']:g}/{r0['device']['nl_ltd']:g}, "
            f"{r0['device']['max_level']} levels, c2c {r0['device']['c2c_sigma']:g}, momentum), width "
            f"{r0['width']:g}, batch {r0['batch']}, {steps} steps; "
            f"wrapper seeds {[r['seed'] for r in wrapper]}, "
            f"cimjax seeds {[r['seed'] for r in cimjax]}")
    lines = [head, "", "Each cell: cimjax's seed mean [wrapper's min, max over its seeds]; * = outside.", "",
             table(cimjax, wrapper, steps), "",
             "Fraction of steps with cimjax's seed mean in the wrapper's band:", ""]
    lines.append("| quantity | " + " | ".join(LAYERS) + " |")
    lines.append("|---" * (1 + len(LAYERS)) + "|")
    lines.append(f"| loss | {s['curves']['loss']['in_band']:.2f} (all layers) |" + " |" * (len(LAYERS) - 1))
    for key in ("w_mean", "w_std", "pulses", "cum_pulses"):
        fractions = " | ".join(f"{s['curves'][key][n]['in_band']:.2f}" for n in LAYERS)
        lines.append(f"| {key} | {fractions} |")
    pr = s["paired"]
    lines += ["", f"Same seed (same initial weights), cimjax − wrapper averaged over steps and seeds "
              f"{pr['seeds']}, in wrapper seed stds: loss {pr['loss']:+.2f}, "
              f"weight mean {pr['w_mean']:+.2f}, "
              f"weight std {pr['w_std']:+.2f}, running pulses {pr['cum_pulses']:+.2f} (layers averaged).",
              "For calibration (normal model): the mean of 3 draws of the wrapper's own distribution lies "
              "in the min–max of 3 others with probability 0.63 (0.41 with a bias of one wrapper std)."]
    acc = s["heldout_accuracy"]
    lines += ["", f"held-out accuracy ({r0['heldout']['n']} test images): wrapper "
              f"{', '.join(f'{x:.1f}' for x in acc['wrapper'])} %; "
              f"cimjax {', '.join(f'{x:.1f}' for x in acc['cimjax'])} % "
              f"(cimjax mean {'in' if s['heldout_in_band'] else 'OUTSIDE'} the wrapper's band)"]
    return "\n".join(lines)


def plot(cimjax: list[dict], wrapper: list[dict], path: str) -> None:
    from cimjax.report import plots

    steps = summary(cimjax, wrapper)["steps"]
    x = np.arange(steps)
    fig = plots.figure(13, 8, layout="constrained")
    axes = fig.subplots(3, 3).ravel()
    panels = [("loss", None)] + [("w_std", i) for i in (0, 2, 4, 6, 7)]
    panels += [("cum_pulses", i) for i in (0, 5, 7)]
    for ax, (key, layer) in zip(axes, panels):
        for runs, color, label in ((wrapper, "tab:gray", "wrapper"), (cimjax, "tab:blue", "cimjax")):
            c = curve(runs, key, steps)
            if layer is not None:
                c = c[:, :, layer]
            ax.fill_between(x, c.min(0), c.max(0), color=color, alpha=0.3, lw=0)
            ax.plot(x, c.mean(0), color=color, lw=1, label=f"{label} (mean, min–max of {len(runs)} seeds)")
        ax.set_title(key if layer is None else f"{key} {LAYERS[layer]}", fontsize=9)
        ax.set_xlabel("step", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0].legend(fontsize=7)
    plots.save(fig, path)


def load_runs(paths: list[str]) -> list[dict]:
    runs = []
    for p in paths:
        with open(p) as f:
            runs.append(json.load(f))
    return runs


def cmd_compare(a) -> None:
    cimjax, wrapper = load_runs(a.cimjax), load_runs(a.wrapper)
    text = describe(cimjax, wrapper)
    print(text)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(text + "\n")
    if a.plot:
        plot(cimjax, wrapper, a.plot)
        print(f"wrote {a.plot}")


PATCH_IN_WORDS = (
    "NeuroSim V2.0 Training_pytorch (DNN_NeuroSim_V2.0 commit d4de5bc) run on CPU with PyTorch, patched "
    "outside cimjax only to: take a width factor on VGG-8's channels (round(c*width), as cimjax); load "
    "initial weights exported by cimjax for the seed; read batches in stored order from the shared data "
    "file, no augmentation; run without hooks or NeuroSim calls; draw SR's uniforms on the CPU (the "
    "release uses torch.cuda); log per step the loss, the weights' mean and std per layer and the sum of "
    "|deltaPulse| that QG applies per layer, and at the end the held-out accuracy. The training loop "
    "(momentum with its in-place renormalisation, QG, SGD(lr=1), W with c2c) is train.py's, unchanged."
)


def cmd_fixture(a) -> None:
    """Stores wrapper runs as reference data: numbers only, with the protocol and provenance."""
    runs = load_runs(a.wrapper)
    keys = ("width", "steps", "batch", "device", "layer_names")
    for k in keys:
        if any(r[k] != runs[0][k] for r in runs):
            raise SystemExit(f"the wrapper runs differ in {k}")
    doc = {
        "what": "per-step training curves of NeuroSim V2.0's PyTorch wrapper, one run per seed "
                "(benchmarks/wrapper_parity.py; docs/study.md 'Checked against NeuroSim's wrapper')",
        "neurosim_commit": "d4de5bc",
        "patch": PATCH_IN_WORDS,
        "protocol": {
            **{k: runs[0][k] for k in keys},
            "dataset": a.dataset, "num_train": runs[0]["steps"] * runs[0]["batch"],
            "heldout": runs[0]["heldout"]["n"], "image_shape": list(IMAGE_SHAPE),
            "seeds": [r["seed"] for r in runs],
            "initial_weights": "cimjax's for run.seed = seed (configs/vgg8_cifar10.py at the width)",
        },
        "made_with": {"torch": runs[0].get("torch"), "threads": runs[0].get("threads"), "date": a.date,
                      "machine": a.machine},
        "runs": [{k: r[k] for k in ("seed", *STORED, "heldout")} for r in runs],
    }
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)
    print(f"wrote {a.out}")


def fixture_runs(path: str) -> tuple[dict, list[dict]]:
    """(protocol, runs) of a stored fixture, the runs in the run-JSON schema."""
    with open(path) as f:
        doc = json.load(f)
    proto = doc["protocol"]
    shared = {k: proto[k] for k in ("width", "steps", "batch", "device", "layer_names")}
    runs = [{**shared, **r} for r in doc["runs"]]
    return proto, runs


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("data", help="write the shared data file")
    d.add_argument("--out", required=True)
    d.add_argument("--dataset", default="fashion_mnist", choices=("fashion_mnist", "fashion_mnist_embedded"))
    d.add_argument("--steps", type=int, default=200)
    d.add_argument("--batch", type=int, default=200)
    d.add_argument("--heldout", type=int, default=1000)
    e = sub.add_parser("export", help="write cimjax's initial weights of a seed in the wrapper's layout")
    e.add_argument("--out", required=True, help="file name; {seed} is replaced by the seed")
    e.add_argument("--seeds", type=int, nargs="+", required=True)
    e.add_argument("--width", type=float, default=1.0)
    e.add_argument("--batch", type=int, default=200)
    t = sub.add_parser("train", help="cimjax's run of the parity protocol")
    t.add_argument("--data", required=True)
    t.add_argument("--out", required=True, help="file name; {seed} is replaced by the seed")
    t.add_argument("--seeds", type=int, nargs="+", required=True)
    t.add_argument("--width", type=float, default=1.0)
    t.add_argument("--steps", type=int, default=200)
    t.add_argument("--batch", type=int, default=200)
    t.add_argument("--device", default="fefet", choices=sorted(DEVICES))
    t.add_argument("--dataset", default="fashion_mnist",
                   help="recorded in the config only (the data file is used)")
    t.add_argument("--verbose", action="store_true")
    c = sub.add_parser("compare", help="cimjax's runs against the wrapper's seed band")
    c.add_argument("--cimjax", nargs="+", required=True)
    c.add_argument("--wrapper", nargs="+", required=True)
    c.add_argument("--markdown")
    c.add_argument("--plot")
    x = sub.add_parser("fixture", help="store wrapper runs as reference data (numbers only)")
    x.add_argument("--wrapper", nargs="+", required=True)
    x.add_argument("--out", required=True)
    x.add_argument("--dataset", required=True)
    x.add_argument("--date", required=True)
    x.add_argument("--machine", required=True)
    a = p.parse_args(argv)
    if a.cmd in ("export", "train"):
        from cimjax import compile_cache

        compile_cache.enable(min_compile_seconds=0.05)  # as the CLI: later seeds load the compiled step
    commands = {"data": cmd_data, "export": cmd_export, "train": cmd_train, "compare": cmd_compare,
                "fixture": cmd_fixture}
    commands[a.cmd](a)


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    main()
