"""End-to-end training: outputs, determinism, resume after completion or interruption."""

import json
import os

import jax
import pytest

from cimjax.config import ConfigError, load_config, replace
from cimjax.train import train_and_evaluate
from cimjax.trainer import Trainer

OUTPUT_FILES = (
    "config.json",
    "PythonWrapper_Output.csv",
    "weight_dist.csv",
    "delta_dist.csv",
    "input_activity.csv",
    "summary.json",
    "training_curve.png",
)
CSV_FILES = [f for f in OUTPUT_FILES if f.endswith(".csv")]


def quiet(*_):
    pass


def smoke_config(tmp_path, name, **train):
    c = load_config("configs/synthetic_smoke.py")
    return replace(c, run={"out_dir": str(tmp_path / name)}, train=train)


def read(out, name):
    with open(os.path.join(out, name)) as f:
        return f.read()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """One uninterrupted 2-epoch run that the resume tests compare against."""
    cfg = smoke_config(tmp_path_factory.mktemp("ref"), "run", epochs=2)
    return cfg, train_and_evaluate(cfg, progress=False, log=quiet)


def test_outputs_and_learning(reference):
    cfg, s = reference
    out = cfg.run.out_dir
    for f in OUTPUT_FILES:
        assert os.path.exists(os.path.join(out, f)), f
    assert load_config(out) == cfg
    rows = read(out, "PythonWrapper_Output.csv").splitlines()
    assert rows[0] == "epoch,loss,accuracy" and [r.split(",")[0] for r in rows[1:]] == ["0", "1"]
    assert read(out, "weight_dist.csv").splitlines()[0] == "epoch,mean_fc1,mean_fc2,std_fc1,std_fc2"
    delta = [float(v) for v in read(out, "delta_dist.csv").splitlines()[-1].split(",")]
    assert delta[3] > 0 and delta[4] > 0  # the last update moved some weights
    activity = [float(v) for v in read(out, "input_activity.csv").splitlines()[-1].split(",")[1:]]
    assert all(0 < a < 1 for a in activity)
    # The estimator's per-epoch outputs (NeuroSim_Output.csv: 20 values; a breakdown per epoch).
    trace = read(out, "hardware_trace.csv").splitlines()
    assert trace[0].split(",")[:3] == ["epoch", "input_activity_fc1", "input_activity_fc2"] and len(trace) == 3
    last = dict(zip(trace[0].split(","), map(float, trace[-1].split(","))))
    assert last["write_pulses_fc1"] > 0 and 0 < last["row_write_activity_fc1"] <= 1
    # Read occupancy: fc1 reads the signed (normalised) image, fc2 post-ReLU values (sign plane empty).
    assert trace[0].split(",")[-1] == "written_level_fc2"  # the trace fields in order, the written-cell ones last
    assert last["written_cells_fc1"] > 0 and 0 < last["written_level_fc1"] <= 2 * last["written_cells_fc1"]
    assert last["read_occupancy_fc1"] > 0.95
    assert last["input_activity_fc2"] <= last["read_occupancy_fc2"] <= 7 / 8 + 1e-6
    rows = [r.split(",") for r in read(out, "NeuroSim_Output.csv").splitlines()]
    assert len(rows) == 3 and len(rows[0]) == 21 and rows[0][-1] == "peak_tops"
    values = dict(zip(rows[0], map(float, rows[-1])))
    assert values["fw_latency_s"] > 0 and values["wu_energy_j"] > 0 and values["tops_per_w"] > 0
    breakdown = read(out, "NeuroSim_Results_Each_Epoch/NeuroSim_Breakdown_Epoch_1.csv").splitlines()
    assert [r.split(",")[0] for r in breakdown] == ["row", "area_m2", "fc1", "fc2", "total"]
    assert s["epochs_completed"] == 2 and not s["interrupted"]
    assert s["final_accuracy"] > 50.0  # 10 classes: chance is 10 %
    assert json.loads(read(out, "summary.json"))["final_accuracy"] == s["final_accuracy"]


def test_same_seed_same_numbers(tmp_path, reference):
    _, ref = reference
    again = train_and_evaluate(smoke_config(tmp_path, "again", epochs=2), progress=False, log=quiet)
    assert again["history"] == ref["history"]
    other = train_and_evaluate(
        replace(smoke_config(tmp_path, "seed", epochs=1), run={"seed": 1}), progress=False, log=quiet
    )
    assert other["history"][0] != ref["history"][0]


def test_resume_after_completed_epoch_is_identical(tmp_path, reference):
    ref_cfg, _ = reference
    part = smoke_config(tmp_path, "part", epochs=1)
    train_and_evaluate(part, progress=False, log=quiet)
    train_and_evaluate(replace(part, train={"epochs": 2}), resume=True, progress=False, log=quiet)
    for f in CSV_FILES:
        assert read(part.run.out_dir, f) == read(ref_cfg.run.out_dir, f), f


@pytest.mark.parametrize("where", ["mid_epoch", "during_eval"])
def test_ctrl_c_saves_and_resume_is_identical(tmp_path, monkeypatch, reference, where):
    ref_cfg, _ = reference
    cut = smoke_config(tmp_path, "cut", epochs=2)
    real_init, real_eval = Trainer.__init__, Trainer.evaluate
    calls = {"steps": 0, "evals": 0}

    def init_with_interrupt(self, *a, **k):
        real_init(self, *a, **k)
        step = self.train_step_checked

        def interrupting(state, batch, health):
            calls["steps"] += 1
            if calls["steps"] == 27:  # the smoke config has 20 steps per epoch
                raise KeyboardInterrupt
            return step(state, batch, health)

        self.train_step_checked = interrupting

    def eval_with_interrupt(self, *a, **k):
        calls["evals"] += 1
        if calls["evals"] == 2:
            raise KeyboardInterrupt
        return real_eval(self, *a, **k)

    if where == "mid_epoch":
        monkeypatch.setattr(Trainer, "__init__", init_with_interrupt)
    else:
        monkeypatch.setattr(Trainer, "evaluate", eval_with_interrupt)
    s = train_and_evaluate(cut, progress=False, log=quiet)
    assert s["interrupted"] and s["steps"] == (26 if where == "mid_epoch" else 40)
    assert s["epochs_completed"] == 1
    monkeypatch.undo()
    resumed = train_and_evaluate(cut, resume=True, progress=False, log=quiet)
    assert not resumed["interrupted"]
    for f in CSV_FILES:
        assert read(cut.run.out_dir, f) == read(ref_cfg.run.out_dir, f), f


def test_resume_refuses_a_different_config(tmp_path, reference):
    ref_cfg, _ = reference
    changed = replace(ref_cfg, device={"name": "ag_asi"})
    with pytest.raises(ConfigError, match="device.name"):
        train_and_evaluate(changed, resume=True, progress=False, log=quiet)


def test_fresh_run_moves_earlier_run_aside(tmp_path):
    cfg = smoke_config(tmp_path, "twice", epochs=1)
    os.makedirs(cfg.run.out_dir)
    with open(os.path.join(cfg.run.out_dir, "notes.txt"), "w") as f:
        f.write("mine")
    train_and_evaluate(cfg, progress=False, log=quiet)
    moved = [d for d in os.listdir(tmp_path) if d.startswith("twice.prev-")]
    assert len(moved) == 1 and read(tmp_path / moved[0], "notes.txt") == "mine"


def test_train_step_compiles_once(tmp_path):
    cfg = smoke_config(tmp_path, "jit", epochs=1)
    from cimjax.data import iterate_batches, load_dataset
    from cimjax.trainer import make_keys, steps_per_epoch

    keys = make_keys(0)
    ds = load_dataset(cfg.data, key=keys.data)
    trainer = Trainer(cfg, ds.train_images.shape[1:], steps_per_epoch(cfg, len(ds.train_labels)), keys)
    state = trainer.initial_state
    batches = iterate_batches(ds.train_images, ds.train_labels, cfg.data.batch_size, key=keys.shuffle)
    for _, batch in zip(range(3), batches):
        state, loss = trainer.train_step(state, batch)
    assert trainer.train_step._cache_size() == 1
    assert bool(jax.numpy.isfinite(loss))


def test_input_stats_measure_activity_and_read_occupancy(tmp_path):
    """The trainer's per-layer input statistics of one image: NeuroSim's activity and the read
    occupancy of the same bits (cimjax.trace), post-ReLU ≤ 7/8, a signed random input ≈ 1."""
    import numpy as np

    from cimjax import trace as trace_lib
    from cimjax.trainer import make_keys

    cfg = smoke_config(tmp_path, "stats", epochs=1)
    trainer = Trainer(cfg, (16, 16, 1), 10, make_keys(0))
    params = trainer.initial_state.params
    image = np.random.default_rng(0).uniform(0.0, 1.0, (16, 16, 1)).astype(np.float32)
    stats = np.asarray(trainer.input_stats(params, image))
    assert stats.shape == (2, 2)
    activity, occupancy = stats
    # fc1 reads the image normalised to [−1, 1] (signed, i.i.d.-like bits): every read occupied.
    flat = image.reshape(-1) * 2.0 - 1.0
    assert activity[0] == pytest.approx(float(trace_lib.input_activity(flat, 8)), abs=1e-6)
    assert occupancy[0] == pytest.approx(float(trace_lib.read_occupancy(flat, 8, None, 128)), abs=1e-6)
    assert occupancy[0] == pytest.approx(1.0, abs=1e-6)
    # fc2 reads the hidden layer after its ReLU: non-negative, the sign plane never set.
    assert 0.0 < activity[1] <= occupancy[1] <= 7 / 8 + 1e-6
    trace = trainer.hardware_trace(trainer.initial_state, image)
    np.testing.assert_allclose(np.asarray(trace.read_occupancy), occupancy, rtol=1e-6)


def test_checkpoint_restores_device_population(tmp_path):
    """The d2d population lives in the optimiser state, so a checkpoint brings back the same
    devices even into a trainer whose own (seed-derived) population differs."""
    import numpy as np

    from cimjax.checkpoint import Checkpointer
    from cimjax.optim import DeviceUpdateState
    from cimjax.trainer import make_keys

    cfg = replace(smoke_config(tmp_path, "d2d", epochs=1), device={"d2d_sigma": 0.3})
    shape = (16, 16, 1)
    saved = Trainer(cfg, shape, 10, make_keys(0)).initial_state
    ck = Checkpointer(tmp_path / "ck")
    ck.save(0, saved)
    other = Trainer(cfg, shape, 10, make_keys(1)).initial_state
    restored = ck.restore(other)
    ck.close()

    def population(state):
        (dev,) = [s for s in jax.tree.leaves(state.opt_state, is_leaf=lambda n: isinstance(n, DeviceUpdateState))
                  if isinstance(s, DeviceUpdateState)]
        return [np.asarray(a) for a in jax.tree.leaves(dev.a_ltp)]

    assert not np.array_equal(population(saved)[0], population(other)[0])
    for a, b in zip(population(saved), population(restored)):
        np.testing.assert_array_equal(a, b)
    assert jax.random.key_data(restored.opt_state[1].rng_key).tolist() == jax.random.key_data(saved.opt_state[1].rng_key).tolist()
