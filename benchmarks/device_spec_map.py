"""Device-spec accuracy maps: which NL, c2c, d2d and number of states keep on-chip training
near the ideal device (NeuroSim V2.0's device-spec study, docs/model.md §7.3), plus an
accuracy + λ·energy objective over the same devices.

    python benchmarks/device_spec_map.py             # the study in benchmarks/results/ (~10 min, 2-core CPU)
    python benchmarks/device_spec_map.py --quick     # a 2-minute smoke run (not the study)
    python benchmarks/device_spec_map.py --replot    # redraw the PNG from the JSON

Study (all members in one vmapped program per chunk, :mod:`cimjax.dse.device_map`):

* network and data: a 784-100-10 WAGE MLP (5-bit weights and gradients, 8-bit activations
  and errors, SSE loss, NeuroSim momentum and grad_scale 1) on the real Fashion-MNIST
  subset shipped with cimjax (6,000 train / 1,000 test images), batch 100, ``--epochs``
  epochs of 60 steps; every member sees the same batches;
* panel A: asymmetric nonlinearity ``NL_LTP = +v, NL_LTD = −v`` × c2c σ, at 32 states, no d2d;
* panel B: number of states × d2d σ, at the HZO FeFET's NL 1.75/1.46 and c2c 0.3 %;
* ``--seeds`` device-population seeds per setting (each seed also draws its own initial
  weights), and the ideal update (WAGE's ``d = lr·x̂``, no device) for every seed: the
  maps show the mean accuracy drop against the ideal update of the same seed;
* joint objective: each member's own training trace (activity, conductance level, write
  statistics of its last epoch with its own number of states) and number of states go
  through one vmapped chip estimate (the config's 32 nm RRAM chip); the settings are
  ranked by ``(100 − accuracy)/100 + λ·E_WU/E_WU(FeFET)`` for several λ, ``E_WU`` being
  the weight-update energy per epoch (the part of the chip energy the device sets).

Writes ``benchmarks/results/device_spec_map.json`` (configuration, grid, every member's
accuracy, the joint objective, timings) and ``device_spec_map.png`` (heatmaps of the
accuracy drop, annotated, and accuracy versus write energy); ``--tag`` changes the stem.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

NL_ASYM = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0)
C2C = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2)
STATES = (8, 16, 32, 64, 128)
D2D = (0.0, 0.5, 1.0, 2.0)
LAMBDAS = (0.0, 0.01, 0.03, 0.1, 0.3)


def study_config(epochs: int, hidden: int, seed: int):
    from cimjax.config import (Config, DataConfig, DeviceConfig, HardwareConfig, ModelConfig, QuantConfig,
                               RunConfig, TrainConfig)

    return Config(
        data=DataConfig(name="fashion_mnist_embedded", batch_size=100, eval_batch_size=500),
        model=ModelConfig(name="mlp", hidden=hidden, num_classes=10, loss="sse"),
        quant=QuantConfig(weight_bits=5, activation_bits=8, gradient_bits=5, error_bits=8),
        device=DeviceConfig(name="fefet_hzo"),
        train=TrainConfig(epochs=epochs, optimizer="neurosim", learning_rate=1.0, lr_decay_epochs=()),
        hardware=HardwareConfig(),
        run=RunConfig(seed=seed, out_dir="runs/device_spec_map", name="device_spec_map", estimate_each_epoch=False),
    )


def main(argv=None) -> int:
    from cimjax.config.io import to_dict
    from cimjax.dse import device_grid as dg
    from cimjax.dse import device_map as dm
    from cimjax.dse import device_map_joint as dmj
    from cimjax.report.files import write_json

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=6, help="training epochs of 60 steps per member")
    p.add_argument("--hidden", type=int, default=100, help="hidden units of the MLP")
    p.add_argument("--config", default=None, metavar="PATH",
                   help="train this config's network and data instead of the MLP (e.g. configs/quickstart.py, "
                        "VGG-8 x0.125); its epochs and seed are replaced by --epochs and --seed. On a CPU the "
                        "vmapped conv network is slow: measured 3 s per member-step for VGG-8 x0.125 at batch 100 "
                        "(the unbatched quickstart step is about 0.12 s); a GPU run")
    p.add_argument("--seeds", type=int, default=3, help="device-population seeds per setting")
    p.add_argument("--seed", type=int, default=117, help="run.seed (roots every key)")
    p.add_argument("--chunk", type=int, default=56, help="members per vmapped call")
    p.add_argument("--quick", action="store_true", help="a small grid, 1 epoch (a smoke run, not the study)")
    p.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results"))
    p.add_argument("--tag", default="device_spec_map", help="output file stem")
    p.add_argument("--replot", action="store_true", help="only redraw OUT/TAG.png from OUT/TAG.json")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    if args.replot:
        replot(os.path.join(args.out, f"{args.tag}.json"), os.path.join(args.out, f"{args.tag}.png"))
        print(f"wrote {os.path.join(args.out, args.tag + '.png')}")
        return 0

    nl, c2c, states, d2d = NL_ASYM, C2C, STATES, D2D
    if args.quick:
        nl, c2c, states, d2d = (0.0, 3.0), (0.0, 0.03), (16, 32), (0.0, 1.0)
        args.epochs, args.seeds = 1, 2
    if args.config:
        from cimjax.config import load_config, replace

        config = load_config(args.config)
        config = replace(config, train={"epochs": args.epochs, "lr_decay_epochs": ()},
                         run={"seed": args.seed, "estimate_each_epoch": False})
    else:
        config = study_config(args.epochs, args.hidden, args.seed)
    base = config.device
    grids = [
        dg.device_grid({"nl_asym": nl, "c2c_sigma": c2c}, {**_base(base), "max_level": 32, "d2d_sigma": 0.0},
                       name="A: asymmetric NL (+v/−v) × c2c σ (32 states, no d2d)"),
        dg.device_grid({"max_level": states, "d2d_sigma": d2d}, base,
                       name="B: states × d2d σ (HZO FeFET: NL 1.75/1.46, c2c 0.3 %)"),
    ]
    seeds = tuple(range(args.seeds))
    print("configuration:")
    for section, values in to_dict(config).items():
        if section in ("data", "model", "quant", "device", "train", "run"):
            print(f"  {section}: " + ", ".join(f"{k}={v}" for k, v in values.items()))
    for g in grids:
        print(f"  grid {g.name}: " + "; ".join(f"{a} = {list(v)}" for a, v in g.axes))
    print(f"  seeds {list(seeds)}; machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")

    result = dm.run_device_map(config, grids, seeds, chunk=args.chunk, bits_from_levels=True)
    rate = result.timing["member_steps_per_s_compiled"]
    print(f"\ntraining: {result.timing['total_s']:.1f} s"
          + (f" ({rate:.0f} member-steps/s once compiled)" if rate else "") + ", "
          f"ideal update {', '.join(f'{a:.2f}' for a in result.ideal_accuracy)} % "
          f"(mean {result.ideal_mean:.2f} %)")
    for panel in result.panels:
        print(f"\n{panel['name']}: test accuracy %, mean ± std over {len(seeds)} seeds (change vs ideal update)\n")
        print(dmj.panel_table(result, panel))

    # Joint objective over every setting; the energy normaliser is the HZO FeFET default
    # (panel B's 32 states, no d2d).
    print("\nchip estimate of every member (one vmapped compile) ...")
    metrics = dmj.member_metrics(config, result)
    s = result.settings
    fefet = int(np.flatnonzero((s["max_level"] == 32) & (s["d2d_sigma"] == 0.0) & (s["nl_ltp"] == 1.75))[0])
    joint = dmj.joint_objective(config, result, LAMBDAS, energy_metric="wu_energy", reference=fefet, metrics=metrics)
    print(f"  estimator: compile {joint.timing['compile_s']:.1f} s, {joint.timing['members']} members in "
          f"{joint.timing['eval_s']:.2f} s")
    e_wu = metrics[0]["wu_energy"].mean(axis=1)
    e_all = metrics[0]["energy"].mean(axis=1)
    lat_wu = metrics[0]["wu_latency"].mean(axis=1)
    print(f"  reference (HZO FeFET, setting {fefet}): WU energy {e_wu[fefet]:.4g} J/epoch, chip energy "
          f"{e_all[fefet]:.4g} J/epoch, WU latency {lat_wu[fefet]:.4g} s/epoch")
    print("\njoint objective J = (100 − accuracy)/100 + λ·E_WU/E_WU(FeFET): best setting per λ\n")
    print("| λ | NL LTP/LTD | states | c2c σ | d2d σ | accuracy % | E_WU / FeFET | J |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for k, (lam, b) in enumerate(zip(joint.lambdas, joint.best)):
        st = result.setting(int(b))
        print(f"| {lam:g} | {st['nl_ltp']:g}/{st['nl_ltd']:g} | {st['max_level']} | {100 * st['c2c_sigma']:g} % | "
              f"{st['d2d_sigma']:g} | {result.accuracy_mean[b]:.1f} | {joint.energy_norm[b]:.3f} | "
              f"{joint.objective[k, b]:.4f} |")
    print("\nWU energy per setting of panel B, relative to the FeFET (mean over seeds):\n")
    pb = result.panels[1]
    idx = np.asarray(pb["indices"])
    print("| states \\ d2d σ | " + " | ".join(f"{v:g}" for v in pb["axes"][1][1]) + " |")
    print("|" + " --- |" * (idx.shape[1] + 1))
    for r, lv in enumerate(pb["axes"][0][1]):
        print(f"| {lv} | " + " | ".join(f"{joint.energy_norm[i]:.3f}" for i in idx[r]) + " |")

    os.makedirs(args.out, exist_ok=True)
    png = os.path.join(args.out, f"{args.tag}.png")
    dmj.plot_maps(png, result, joint=joint, title=_title(args.hidden, result.steps, len(seeds), result.ideal_mean))
    wall = time.perf_counter() - t0
    out = {
        "what": "device-spec accuracy map (cimjax.dse.device_map) and joint accuracy + energy objective",
        "command": "python benchmarks/device_spec_map.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "config": to_dict(config),
        "grids": [{"name": g.name, "axes": {a: list(v) for a, v in g.axes}} for g in grids],
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "wall_s": wall,
        "result": result.to_dict(),
        "joint": joint.to_dict(result),
        "wu_energy_j": e_wu.tolist(), "chip_energy_j": e_all.tolist(), "wu_latency_s": lat_wu.tolist(),
    }
    path = os.path.join(args.out, f"{args.tag}.json")
    write_json(path, out)
    print(f"\nwrote {path} and {png}; wall time {wall:.1f} s")
    return 0


def _title(hidden, steps, n_seeds, ideal_mean) -> str:
    return (f"Device-spec map: MLP 784-{hidden}-10 on Fashion-MNIST (6k subset), {steps} steps, {n_seeds} seeds; "
            f"ideal update {ideal_mean:.1f} %")


def replot(json_path: str, png_path: str) -> None:
    """Redraw the PNG from a study's JSON (no training)."""
    from cimjax.dse import device_grid as dg
    from cimjax.dse import device_map as dm
    from cimjax.dse import device_map_joint as dmj

    with open(json_path) as f:
        d = json.load(f)
    r, j = d["result"], d["joint"]
    rows = r["settings"]
    result = dm.DeviceMapResult(
        settings={k: np.asarray([row[k] for row in rows]) for k in dg.DEVICE_PARAMS}, seeds=tuple(r["seeds"]),
        accuracy=np.asarray([row["accuracy"] for row in rows]), accuracy_history=None, train_loss=None,
        ideal_accuracy=np.asarray(r["ideal_accuracy"]), ideal_history=None, trace=None, panels=r["panels"],
        steps=r["steps"], epochs=r["epochs"], steps_per_epoch=r["steps_per_epoch"], layer_names=tuple(r["layers"]),
        timing=r["timing"], info=r["info"])
    energy = np.asarray([p[j["energy_metric"]] for p in j["per_setting"]])[:, None]
    joint = dmj.JointResult(metrics={j["energy_metric"]: energy}, energy_metric=j["energy_metric"],
                            energy_ref=j["energy_ref_j"], reference=j["energy_ref_is"], error=None, energy_norm=None,
                            lambdas=tuple(j["lambdas"]), objective=None,
                            best=np.asarray([b["index"] for b in j["best"]]), timing={})
    dmj.plot_maps(png_path, result, joint=joint,
                  title=_title(d["config"]["model"]["hidden"], r["steps"], len(r["seeds"]), result.ideal_mean))


def _base(device) -> dict:
    d = device.resolved()
    return {"nl_ltp": d.nl_ltp, "nl_ltd": d.nl_ltd, "max_level": d.max_level, "c2c_sigma": d.c2c_sigma,
            "d2d_sigma": float(device.d2d_sigma)}


if __name__ == "__main__":
    sys.exit(main())
