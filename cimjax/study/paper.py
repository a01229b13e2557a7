"""``cimjax study paper``: DNN+NeuroSim V2.0's device benchmark for on-chip training in one command
(issue 18; the paper's study: docs/model.md §7.3, docs/study.md).

What it runs, for one :mod:`scale <cimjax.study.scales>`:

1. **Trainings.** Every device setting of the study is a *member* trained by
   :mod:`cimjax.dse.device_train` (the run ``cimjax train`` does with that device, the device
   values traced): the NeuroSim-family presets (:mod:`cimjax.devices.presets`), the NL ±1…±6
   sweep with and without momentum (``train.momentum`` 0.9 / 0), the c2c sweep, the d2d sweep
   with and without momentum, the states sweep, and the ideal update (WAGE's, no device) —
   each for every seed. Identical settings are trained once. How the members run
   (:data:`METHODS`): ``vmap`` = :func:`cimjax.dse.device_map.run_device_map` (vmapped
   chunks), ``loop`` = one compiled single-member program called per member with the device
   values as traced arguments (faster for convolutions on a CPU; benchmarks/README.md).
2. **Estimates.** Each device row's config is the base config with ``device.name`` = the preset
   costed with the preset's own R_on and on/off ratio (``hardware.cell_resistance = device``; ``hardware.cell_type``
   ``fefet`` for the FeFET, ``rram`` otherwise); it goes through :func:`cimjax.estimate.estimate_config`
   (the one road, :mod:`cimjax.build`) with the trace that device's own training measured
   (mean over seeds). The presets carry no write pulse: ``hardware.write_voltage`` /
   ``write_pulse_width`` keep the config's values (NeuroSim V2.0's 4 V / 50 ns), as the table says.
   SRAM rows: ``hardware.cell_type = sram`` at 32 and 7 nm, parallel read (sequential read is a
   row marked "not yet" until the config has the mode: :func:`sram_read_fields`), with the
   ideal update's accuracy (digital weights) and the ideal device's trace.
3. **Conclusions.** :mod:`cimjax.study.verdicts` turns the numbers into verdicts.
4. **Report.** ``README.md`` (index, wall time, machine), tables as CSV and Markdown, PNG plots of
   accuracy against epoch, ``study.json`` (every number), ``configs/*.json`` (every run's config).
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import io
import json
import os
import platform
import time
from typing import Callable, Optional

import jax
import jax.numpy as jnp
import numpy as np

from cimjax import fileio
from cimjax import trace as trace_lib
from cimjax.config import Config, atomic_write_bytes, replace, to_dict
from cimjax.config.hardware import READ_MODES
from cimjax.devices.presets import PRESETS
from cimjax.dse.device_grid import DEVICE_PARAMS
from cimjax.study import verdicts as V
from cimjax.study.scales import D2D_NL, Scale, scale as get_scale

#: How the members are trained: vmapped chunks, or one compiled member program in a loop.
METHODS = ("vmap", "loop")
#: Devices whose |NL| labels reach past ±4.5 on one side: the "strongly nonlinear" ones.
STRONG_NL = 4.5
#: SRAM rows: (label, node nm, read mode).
SRAM_ROWS = (("sram_32nm_parallel", 32.0, "parallel"), ("sram_7nm_parallel", 7.0, "parallel"),
             ("sram_32nm_sequential", 32.0, "sequential"), ("sram_7nm_sequential", 7.0, "sequential"))
#: Estimator sweeps of the R_on and write-pulse conclusions (on the TaOx/HfOx RRAM chip).
R_ON_SWEEP = (10e3, 30e3, 100e3, 300e3, 1e6)
PULSE_SWEEP = (50e-9, 100e-9, 1e-6, 10e-6)
ESTIMATOR_SWEEP_DEVICE = "taox_hfox"


def sram_read_fields(mode: str) -> Optional[dict]:
    """The ``hardware`` fields of an SRAM read mode, or None where the config has none yet.

    Parallel read is NeuroSim's default SRAM model (no field to set); the sequential read is
    ``hardware.read_mode = sequential`` (NeuroSim's ``operationmode = 1``). None (a "not yet"
    row) is left for a mode the config does not have.
    """
    if mode == "parallel":
        return {}
    if mode in READ_MODES:
        return {"read_mode": mode}
    return None


# ---------------------------------------------------------------------------------------------
# The settings of the study


def _setting(nl_ltp, nl_ltd, max_level, c2c, d2d=0.0) -> tuple:
    return (float(nl_ltp), float(nl_ltd), int(max_level), float(c2c), float(d2d))


def study_settings(sc: Scale) -> dict[str, list[tuple[str, tuple]]]:
    """``{"momentum": [(label, setting)…], "no_momentum": […]}``; a setting is the tuple of
    :data:`cimjax.dse.device_grid.DEVICE_PARAMS`. Labels: ``device:NAME``, ``nl:V``, ``c2c:S``,
    ``d2d:S``, ``states:N``."""
    fe = PRESETS["fefet_hzo"]
    on = [(f"device:{n}", _setting(p.nl_ltp, p.nl_ltd, p.max_level, p.c2c_sigma)) for n, p in PRESETS.items()]
    on += [(f"nl:{v:g}", _setting(v, -v, 32, 0.0)) for v in sc.nl]
    on += [(f"c2c:{c:g}", _setting(fe.nl_ltp, fe.nl_ltd, fe.max_level, c)) for c in sc.c2c]
    on += [(f"d2d:{d:g}", _setting(D2D_NL, -D2D_NL, 32, 0.0, d)) for d in sc.d2d]
    on += [(f"states:{n}", _setting(fe.nl_ltp, fe.nl_ltd, n, fe.c2c_sigma)) for n in sc.states]
    off = [(f"nl:{v:g}", _setting(v, -v, 32, 0.0)) for v in sc.nl]
    off += [(f"d2d:{d:g}", _setting(D2D_NL, -D2D_NL, 32, 0.0, d)) for d in sc.d2d]
    return {"momentum": on, "no_momentum": off}


def _unique(rows):
    """(unique settings in first-seen order, label → index)."""
    uniq, index = [], {}
    for label, s in rows:
        if s not in uniq:
            uniq.append(s)
        index[label] = uniq.index(s)
    return uniq, index


# ---------------------------------------------------------------------------------------------
# Training the members


@functools.lru_cache(maxsize=8)
def _member_program(setup, ideal: bool):
    """One member (no vmap), step by step (:class:`cimjax.dse.device_train.StepwiseProgram`):
    (params0, device values, key, data, first image) → (accuracy per epoch, loss per epoch,
    trace (9, layers)). Device values are traced, so one compile serves every setting."""
    from cimjax.dse.device_train import StepwiseProgram

    return StepwiseProgram(setup, ideal, batched=False)


# ---------------------------------------------------------------------------------------------
# Finished members on disk (resume)

#: Where a study keeps its finished members, under its report directory.
MEMBERS_DIR = "members"


def member_key(config: Config, setting: tuple, seed: int, ideal: bool) -> str:
    """The digest naming one member's result file: the training config, the device setting, the
    seed, whether it is the ideal update, and cimjax's sources
    (:func:`cimjax.compile_cache.source_digest`), so a result is reused only by the same code
    training the same member."""
    from cimjax.compile_cache import source_digest

    text = json.dumps({"config": to_dict(config), "setting": [float(x) for x in setting], "seed": int(seed),
                       "ideal": bool(ideal), "sources": source_digest()}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def load_member(folder: Optional[str], key: str):
    """``(accuracy per epoch, loss per epoch, trace, seconds)`` of a finished member, or None when
    there is none (or its file is unreadable: the member is trained again)."""
    if folder is None:
        return None
    path = os.path.join(folder, f"{key}.npz")
    try:
        with np.load(path) as z:
            if str(z["key"]) != key:
                return None
            return z["accuracy"], z["loss"], z["trace"], float(z["seconds"])
    except Exception:  # missing, truncated by a crash, or another format: train it again
        return None


def store_member(folder: Optional[str], key: str, accuracy, loss, trace, seconds: float) -> None:
    """Write a finished member atomically (:func:`cimjax.config.atomic_write_bytes`)."""
    if folder is None:
        return
    buf = io.BytesIO()
    np.savez(buf, key=np.asarray(key), accuracy=np.asarray(accuracy), loss=np.asarray(loss),
             trace=np.asarray(trace), seconds=np.asarray(seconds))
    atomic_write_bytes(os.path.join(folder, f"{key}.npz"), buf.getvalue())


def train_members(config: Config, settings: list, seeds, *, method: str, chunk: int, ideal: bool,
                  log: Callable = print, members_dir: Optional[str] = None, reuse: bool = True) -> dict:
    """Train every (setting, seed) member.

    ``members_dir`` (``loop`` method): each finished member is written there at once
    (:func:`store_member`), and a member already there from an earlier, interrupted run of the same
    code and config is read back instead of trained (:func:`member_key`; ``reuse=False`` trains it
    again). Its wall time then is the one measured when it was trained.

    Returns:
      ``{"history": (N, S, E) accuracy %, "trace": (N, S, 7, L), "ideal_history": (S, E) or None,
      "seconds": [per call], "member_steps": int, "first_call_s": the first call (with its compile)}``.
    """
    from cimjax.dse.device_map import run_device_map
    from cimjax.dse.device_train import setup_for

    if method not in METHODS:
        raise ValueError(f"method = {method!r} is invalid: expected one of {', '.join(METHODS)}")
    seeds = tuple(int(s) for s in seeds)
    flat = {k: [s[i] for s in settings] for i, k in enumerate(DEVICE_PARAMS)}
    if method == "vmap":
        r = run_device_map(config, flat, seeds, chunk=chunk, include_ideal=ideal, shard=False, log=log)
        return {"history": r.accuracy_history, "trace": r.trace, "ideal_history": r.ideal_history,
                "seconds": [c["seconds"] for c in r.timing["chunks"]], "member_steps": r.steps,
                "first_call_s": r.timing["chunks"][0]["seconds"] if r.timing["chunks"] else 0.0}
    setup = setup_for(config)
    n, s_count, e = len(settings), len(seeds), setup.epochs
    hist = np.zeros((n, s_count, e))
    tr = np.zeros((n, s_count, len(trace_lib.Trace._fields), len(setup.layer_names)))
    dtype = jnp.result_type(float)
    image = jnp.asarray(setup.test_images[0])
    seconds = []
    counts = {"trained": 0, "resumed": 0}
    total = n * s_count + (s_count if ideal else 0)
    t_group = time.perf_counter()

    def run(is_ideal, setting, seed):
        key = member_key(config, setting, seed, is_ideal)
        done = load_member(members_dir, key) if reuse else None
        if done is not None:
            counts["resumed"] += 1
            seconds.append(done[3])
            return done[:3]
        fn = _member_program(setup, is_ideal)
        dev = {k: jnp.asarray(v, jnp.int32 if k == "max_level" else dtype) for k, v in zip(DEVICE_PARAMS, setting)}
        init_key, opt_key = setup.member_keys(seed, True)
        t0 = time.perf_counter()
        out = jax.device_get(fn(setup.seed_params(seed, True), dev, opt_key, setup.data, image))
        seconds.append(time.perf_counter() - t0)
        counts["trained"] += 1
        store_member(members_dir, key, *out, seconds[-1])
        return out

    def progress() -> str:
        done = counts["trained"] + counts["resumed"]
        text = f"{done}/{total} members"
        if counts["resumed"]:
            text += f", {counts['resumed']} read back from {members_dir}"
        if counts["trained"] and done < total:
            eta = (time.perf_counter() - t_group) / counts["trained"] * (total - done)
            text += f", about {eta / 60:.0f} min left"
        return text

    log(f"  {n} settings × {s_count} seeds, {setup.total_steps} steps each, one compiled member program")
    for i, setting in enumerate(settings):
        for j, seed in enumerate(seeds):
            a, _, t = run(False, setting, seed)
            hist[i, j], tr[i, j] = a, t
        log(f"    setting {i + 1}/{n} {dict(zip(DEVICE_PARAMS, setting))}: final "
            f"{hist[i, :, -1].mean():.2f} % ({sum(seconds[-s_count:]):.1f} s; {progress()})")
    ideal_hist = None
    if ideal:
        ideal_hist = np.stack([run(True, settings[0], s)[0] for s in seeds])
        log(f"    ideal update: final {ideal_hist[:, -1].mean():.2f} % ({progress()})")
    return {"history": hist, "trace": tr, "ideal_history": ideal_hist, "seconds": seconds,
            "member_steps": setup.total_steps, "first_call_s": seconds[0] if seconds else 0.0,
            "resumed": counts["resumed"]}


# ---------------------------------------------------------------------------------------------
# Estimates


def _trace_of(arr) -> trace_lib.Trace:
    """A :class:`~cimjax.trace.Trace` from ``(9, L)`` values (:meth:`Setup.member_trace` order)."""
    return trace_lib.Trace(*[jnp.asarray(np.asarray(row, np.float64), jnp.result_type(float)) for row in arr])


def device_config(config: Config, name: str) -> Config:
    """The config of device row ``name``: the preset in ``device``, costed with the preset's own
    R_on and on/off ratio (``hardware.cell_resistance = device``: :func:`cimjax.build.field_value`
    takes them from the device), FeFET cell for the FeFET, RRAM (1T1R) otherwise."""
    return replace(config, device={"name": name}, hardware={
        "cell_type": "fefet" if name == "fefet_hzo" else "rram", "cell_resistance": "device"})


def estimate_row(config: Config, trace) -> dict:
    """Area, per-phase latency and energy per epoch, TOPS/W, peak TOPS/W and TOPS of ``config``'s
    chip with ``trace`` (:func:`cimjax.estimate.estimate_config`)."""
    from cimjax.estimate import PHASES, estimate_config, figure

    est, _, images = estimate_config(config, trace)
    row = {"area_mm2": float(est.area.total) * 1e6, "images_per_epoch": images}
    for p in PHASES:
        row[f"{p}_latency_s"] = float(figure(est, f"{p}.latency"))
        row[f"{p}_energy_j"] = float(figure(est, f"{p}.energy"))
    row["latency_s"] = float(figure(est, "total.latency"))
    row["energy_j"] = float(figure(est, "total.energy"))
    for k in ("tops_per_w", "peak_tops_per_w", "tops", "peak_tops"):
        row[k] = float(getattr(est, k))
    return row


# ---------------------------------------------------------------------------------------------
# The study


def _mean_std(x) -> tuple[float, float]:
    x = np.asarray(x, float)
    return float(x.mean()), float(x.std(ddof=1)) if x.size > 1 else 0.0


def machine() -> dict:
    """Where the study ran: host, CPUs, load, JAX device."""
    try:
        load = os.getloadavg()
    except OSError:
        load = (float("nan"),) * 3
    return {"host": platform.node(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "load_avg_1_5_15": [round(x, 2) for x in load], "jax_backend": jax.default_backend(),
            "jax_device": jax.devices()[0].device_kind, "jax_version": jax.__version__}


def run_study(scale_name: str, out: str, *, log: Callable = print, resume: bool = True) -> dict:
    """Run the paper study at ``scale_name`` and write its report to ``out``.

    With the ``loop`` method every finished member is kept in ``out/members/`` as it ends, so a
    study stopped by a crash or Ctrl-C goes on where it stopped when run again with the same
    ``out`` (``resume``; members of other code or another config are not reused). ``resume=False``
    trains every member again (and overwrites the kept ones). Two studies cannot write one ``out``
    at once (:func:`cimjax.fileio.lock_run_dir`).

    Returns:
      The study's numbers (what ``study.json`` holds).
    """
    t_start = time.perf_counter()
    started = datetime.datetime.now(datetime.timezone.utc)
    sc = get_scale(scale_name)
    out = fileio.check_output_dir(out)
    fileio.lock_run_dir(out)
    try:
        return _run_study(sc, out, log=log, resume=resume, t_start=t_start, started=started)
    finally:
        fileio.unlock_run_dir(out)


def _run_study(sc: Scale, out: str, *, log: Callable, resume: bool, t_start: float, started) -> dict:
    from cimjax.study import report as report_lib

    members_dir = os.path.join(out, MEMBERS_DIR) if sc.method == "loop" else None
    load_start = machine()["load_avg_1_5_15"]
    rows = study_settings(sc)
    cfg_on = sc.config
    cfg_off = replace(cfg_on, train={"momentum": 0.0})
    log(f"paper study, scale {sc.name}: {sc.about}")

    runs = {}
    for group, cfg, ideal in (("momentum", cfg_on, True), ("no_momentum", cfg_off, False)):
        uniq, index = _unique(rows[group])
        log(f"{group}: {len(uniq)} distinct settings × {len(sc.seeds)} seeds ({sc.method})")
        t0 = time.perf_counter()
        res = train_members(cfg, uniq, sc.seeds, method=sc.method, chunk=sc.chunk, ideal=ideal, log=log,
                            members_dir=members_dir, reuse=resume)
        res["wall_s"] = time.perf_counter() - t0
        res["settings"], res["index"] = uniq, index
        runs[group] = res

    on = runs["momentum"]
    ideal_hist = on["ideal_history"]

    def hist(group, label):
        r = runs[group]
        return r["history"][r["index"][label]]  # (S, E)

    def final(group, label):
        return hist(group, label)[:, -1]

    # Device table: training + estimate with the device's own trace and electrical parameters.
    t_est = time.perf_counter()
    devices = []
    configs = {}
    for name, p in PRESETS.items():
        label = f"device:{name}"
        cfg = device_config(cfg_on, name)
        configs[name] = cfg
        tr_mean = on["trace"][on["index"][label]].mean(axis=0)
        m, s = _mean_std(final("momentum", label))
        devices.append({
            "device": name, "kind": "eNVM", "source": p.source, "states": p.max_level, "nl_ltp": p.nl_ltp,
            "nl_ltd": p.nl_ltd, "c2c": p.c2c_sigma, "r_on_ohm": p.r_on, "on_off": p.on_off_ratio,
            "cell_type": cfg.hardware.cell_type, "node_nm": cfg.hardware.technology_node_nm,
            "write_voltage_v": cfg.hardware.write_voltage, "write_pulse_s": cfg.hardware.write_pulse_width,
            "write_pulse_from": "config default (the preset has none)",
            "accuracy_mean": m, "accuracy_std": s, "accuracy": final("momentum", label).tolist(),
            **estimate_row(cfg, _trace_of(tr_mean))})
    ideal_final = ideal_hist[:, -1]
    ideal_trace = on["trace"][on["index"]["device:ideal"]].mean(axis=0)
    for label, node, mode in SRAM_ROWS:
        fields = sram_read_fields(mode)
        base = {"device": label, "kind": "SRAM", "source": f"SRAM {node:g} nm, {mode} read", "states": 2,
                "cell_type": "sram", "node_nm": node, "write_pulse_from": "n/a (SRAM)"}
        if fields is None:
            devices.append({**base, "status": "not yet: sequential SRAM read is not in the config "
                                              "(hook: cimjax.study.paper.sram_read_fields)"})
            continue
        cfg = replace(cfg_on, device={"name": "ideal"},
                      hardware={"cell_type": "sram", "technology_node_nm": node, **fields})
        configs[label] = cfg
        m, s = _mean_std(ideal_final)
        devices.append({**base, "accuracy_mean": m, "accuracy_std": s, "accuracy": ideal_final.tolist(),
                        "accuracy_from": "the ideal update (digital weights)",
                        **estimate_row(cfg, _trace_of(ideal_trace))})

    # Estimator sweeps of the R_on and write-pulse conclusions.
    base_cfg = device_config(cfg_on, ESTIMATOR_SWEEP_DEVICE)
    base_trace = _trace_of(on["trace"][on["index"][f"device:{ESTIMATOR_SWEEP_DEVICE}"]].mean(axis=0))
    est_sweeps = []
    for r in R_ON_SWEEP:
        cfg = replace(base_cfg, device={"r_on": r})  # the row costs the device's resistance (cell_resistance = device)
        est_sweeps.append({"sweep": "r_on", "value": r, **estimate_row(cfg, base_trace)})
    for w in PULSE_SWEEP:
        cfg = replace(base_cfg, hardware={"write_pulse_width": w})
        est_sweeps.append({"sweep": "write_pulse_width", "value": w, **estimate_row(cfg, base_trace)})
    estimate_s = time.perf_counter() - t_est

    # Sweeps: per value, accuracy per seed per epoch.
    sweeps = {}
    for key, values, groups in (("nl", sc.nl, ("momentum", "no_momentum")), ("c2c", sc.c2c, ("momentum",)),
                                ("d2d", sc.d2d, ("momentum", "no_momentum")), ("states", sc.states, ("momentum",))):
        sweeps[key] = {g: {float(v): hist(g, f"{key}:{v:g}").tolist() for v in values} for g in groups}

    # Conclusions.
    per_seed = [r["history"][:, :, -1][i] for r in runs.values() for i in range(len(r["settings"]))]
    sigma = V.pooled_std(per_seed + [ideal_final])
    tol = V.tolerance(sigma)

    def fin(key, group):
        return {v: float(np.mean(np.asarray(h)[:, -1])) for v, h in sweeps[key][group].items()}

    dev_acc = {d["device"]: d["accuracy_mean"] for d in devices if "accuracy_mean" in d}
    strong = {n: dev_acc[n] for n, p in PRESETS.items() if max(abs(p.nl_ltp), abs(p.nl_ltd)) > STRONG_NL}
    ideal_m = float(ideal_final.mean())
    envm = {d["device"]: d for d in devices if d["kind"] == "eNVM" and d["device"] != "ideal"}
    sram7 = next((d for d in devices if d["device"] == "sram_7nm_parallel"), None)
    r_on_energy = {e["value"]: e["energy_j"] for e in est_sweeps if e["sweep"] == "r_on"}
    wu_share = {e["value"]: e["wu_latency_s"] / e["latency_s"] for e in est_sweeps if e["sweep"] == "write_pulse_width"}
    conclusions = [
        V.c2c_threshold(fin("c2c", "momentum"), tol),
        V.nl_threshold(fin("nl", "momentum"), tol),
        V.r_on_threshold(r_on_energy),
        V.write_pulse_threshold(wu_share),
        V.momentum_nl(fin("nl", "momentum"), fin("nl", "no_momentum"), tol),
        V.d2d_harmless(fin("d2d", "momentum"), tol),
        V.fefet(ideal_m, dev_acc["fefet_hzo"], strong, tol),
        V.sram_beats_envm(sram7, envm),
        V.ordering(ideal_m, dev_acc["fefet_hzo"], strong, tol),
        V.falls_with(fin("nl", "momentum"), "|NL| (with momentum)", "nl_falls", tol),
        V.falls_with(fin("c2c", "momentum"), "c2c σ", "c2c_falls", tol),
        V.momentum_helps(fin("nl", "momentum"), fin("nl", "no_momentum"), tol),
    ]

    wall = time.perf_counter() - t_start
    train_s = {g: r["wall_s"] for g, r in runs.items()}
    members = sum(len(r["settings"]) * len(sc.seeds) for r in runs.values()) + len(sc.seeds)
    study = {
        "scale": sc.name, "about": sc.about, "method": sc.method, "seeds": list(sc.seeds),
        "started_utc": started.isoformat(timespec="seconds"), "wall_s": wall, "train_s": train_s,
        "estimate_s": estimate_s, "members": members,
        "members_read_back": sum(r.get("resumed", 0) for r in runs.values()),
        "member_train_s": float(sum(sum(r["seconds"]) for r in runs.values())),
        "member_steps": on["member_steps"], "epochs": int(on["history"].shape[-1]),
        "machine": {**machine(), "load_avg_at_start": load_start},
        "seed_sigma": sigma, "tolerance_points": tol, "ideal_update": {"accuracy": ideal_final.tolist(),
                                                                         "history": ideal_hist.tolist()},
        "devices": devices, "sweeps": sweeps, "estimator_sweeps": est_sweeps,
        "estimator_sweep_device": ESTIMATOR_SWEEP_DEVICE,
        "conclusions": [c._asdict() for c in conclusions],
        "timing": {g: {"seconds_per_call": r["seconds"], "first_call_s": r["first_call_s"]} for g, r in runs.items()},
    }
    fileio.check_finite({k: study[k] for k in ("sweeps", "ideal_update", "seed_sigma")}, "the study's accuracies")
    all_configs = {"train_momentum": cfg_on, "train_no_momentum": cfg_off,
                   **{f"estimate_{k}": v for k, v in configs.items()},
                   "estimate_sweep_base": base_cfg}
    report_lib.write_report(out, study, {k: to_dict(v) for k, v in all_configs.items()})
    log(f"paper study written to {out} ({wall:.1f} s)")
    return study
