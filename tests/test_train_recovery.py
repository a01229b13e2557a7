"""A run recovers from what ends runs early (issue 19): a damaged newest checkpoint (resume and
evaluate fall back to the newest that restores), the leftover of a kill during a checkpoint
write, divergence (stopped with a RunError, nothing non-finite written, the last good
checkpoint kept), and a batch scheduler's SIGTERM (saved like Ctrl-C, resumed exactly)."""

import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bad_inputs.corpus import nonfinite_in_outputs
from helpers import ROOT
from cimjax.checkpoint import Checkpointer, restore_params
from cimjax.cli import main
from cimjax.config import load_config, replace
from cimjax.errors import InputError, RunError
from cimjax.interrupt import GracefulStop
from cimjax.train import train_and_evaluate
from cimjax.trainer import Trainer, healthy, make_keys

STEPS = 20  # steps per epoch of the smoke config
FLOAT_QUANT = {"weight_bits": 32, "activation_bits": 32, "gradient_bits": 32, "error_bits": 32}


def smoke(out, epochs, **sections):
    c = load_config(os.path.join(ROOT, "configs/synthetic_smoke.py"))
    return replace(c, run={"out_dir": str(out)}, train={"epochs": epochs, **sections.pop("train", {})}, **sections)


def epoch_files(out):
    """Every per-epoch output (the CSVs the run appends to and the per-epoch breakdowns), by relative path."""
    paths = glob.glob(os.path.join(out, "*.csv")) + glob.glob(os.path.join(out, "NeuroSim_Results_Each_Epoch", "*.csv"))
    return {os.path.relpath(p, out): Path(p).read_text() for p in paths}


def assert_same_outputs(out, ref):
    got, want = epoch_files(out), epoch_files(ref)
    assert sorted(got) == sorted(want)
    for name in want:
        assert got[name] == want[name], name


class Log(list):
    def __call__(self, *a):
        self.append(" ".join(map(str, a)))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted 3-epoch run: checkpoints at steps 40 and 60 (max_to_keep = 2)."""
    out = tmp_path_factory.mktemp("ref") / "run"
    train_and_evaluate(smoke(out, 3), progress=False, log=Log())
    assert sorted(os.listdir(os.path.join(out, "checkpoints"))) == ["40", "60"]
    return str(out)


def copy_run(src, tmp_path):
    dst = str(tmp_path / "run")
    shutil.copytree(src, dst)
    return dst


def largest_file(folder):
    files = [p for p in glob.glob(os.path.join(folder, "**"), recursive=True) if os.path.isfile(p)]
    return max(files, key=os.path.getsize)


def truncate_largest(step_dir):
    path = largest_file(step_dir)
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)


def zero_fill_metadata(step_dir):
    paths = [p for p in glob.glob(os.path.join(step_dir, "**", "*METADATA*"), recursive=True) if os.path.isfile(p)]
    assert paths
    for p in paths:
        size = os.path.getsize(p)
        with open(p, "wb") as f:
            f.write(b"\0" * size)


def empty_dir(step_dir):
    for name in os.listdir(step_dir):
        p = os.path.join(step_dir, name)
        shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)


DAMAGES = {"truncate_largest": (truncate_largest, "OUT_OF_RANGE"),
           "zero_fill_metadata": (zero_fill_metadata, "_METADATA is not valid JSON"),
           "empty_dir": (empty_dir, "directory is empty")}


def redone_epochs(log):
    return [line.split(":")[0] for line in log if re.match(r"epoch \d+/\d+:", line)]


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_resume_falls_back_past_a_damaged_checkpoint(tmp_path, reference, damage):
    """The finished run's newest checkpoint (step 60) is damaged: the resume says so, restores
    step 40, cuts the per-epoch files back to it and redoes the last epoch exactly."""
    out = copy_run(reference, tmp_path)
    hurt, words = DAMAGES[damage]
    hurt(os.path.join(out, "checkpoints", "60"))
    log = Log()
    s = train_and_evaluate(smoke(out, 3), resume=True, progress=False, log=log)
    skipped = [line for line in log if "skipped" in line]
    assert len(skipped) == 1 and "step 60" in skipped[0] and words in skipped[0], log
    assert any("resumed from step 40" in line for line in log), log
    assert redone_epochs(log) == ["epoch 3/3"]
    assert_same_outputs(out, reference)
    assert s["steps"] == 3 * STEPS and not s["interrupted"]
    # The damaged checkpoint is kept aside, and the resumed run saved step 60 again.
    assert os.listdir(os.path.join(out, "checkpoints_damaged")) == ["60"]
    assert sorted(os.listdir(os.path.join(out, "checkpoints"))) == ["40", "60"]


def test_resume_ignores_and_removes_the_leftover_of_a_killed_save(tmp_path, reference):
    """kill -9 while orbax writes step 60: its temporary directory is left (here: the checkpoint
    renamed to orbax's temporary name, cut short) and the epoch's rows are already written. The
    resume restores step 40, cuts the rows back, removes the leftover and ends as an
    uninterrupted run."""
    out = copy_run(reference, tmp_path)
    ckpts = os.path.join(out, "checkpoints")
    tmp = os.path.join(ckpts, "60.orbax-checkpoint-tmp")
    os.rename(os.path.join(ckpts, "60"), tmp)
    truncate_largest(tmp)
    os.remove(os.path.join(tmp, "commit_success.txt"))
    log = Log()
    train_and_evaluate(smoke(out, 3), resume=True, progress=False, log=log)
    assert any("resumed from step 40" in line for line in log) and not any("skipped" in line for line in log), log
    assert redone_epochs(log) == ["epoch 3/3"]
    assert_same_outputs(out, reference)
    assert sorted(os.listdir(ckpts)) == ["40", "60"]  # the leftover is gone


def test_resume_fails_clearly_when_no_checkpoint_restores(tmp_path, reference):
    out = copy_run(reference, tmp_path)
    truncate_largest(os.path.join(out, "checkpoints", "60"))
    empty_dir(os.path.join(out, "checkpoints", "40"))
    before = epoch_files(out)
    with pytest.raises(InputError) as err:
        train_and_evaluate(smoke(out, 3), resume=True, progress=False, log=Log())
    msg = str(err.value)
    assert os.path.join(out, "checkpoints") in msg and "step 60: ValueError: OUT_OF_RANGE" in msg
    assert "step 40: its directory is empty" in msg and "without --resume" in msg
    # Nothing was moved, cut back or deleted.
    assert sorted(os.listdir(os.path.join(out, "checkpoints"))) == ["40", "60"]
    assert epoch_files(out) == before


def test_evaluate_restores_the_newest_checkpoint_that_restores(tmp_path, reference):
    from flax import nnx

    from cimjax import nn as nn_lib

    cfg = smoke(reference, 3)
    out = copy_run(reference, tmp_path)
    zero_fill_metadata(os.path.join(out, "checkpoints", "60"))

    def like():
        model = nn_lib.create_model(cfg.model, cfg.quant, (16, 16, 1), rngs=nnx.Rngs(params=0))
        return nnx.state(model, nnx.Param)

    log = Log()
    params, step = restore_params(os.path.join(out, "checkpoints"), like(), log=log)
    assert step == 40
    assert len(log) == 2 and "step 60 skipped" in log[0] and "evaluating checkpoint step 40" in log[1], log
    assert sorted(os.listdir(os.path.join(out, "checkpoints"))) == ["40", "60"]  # evaluate moves nothing
    # The parameters are step 40's.
    ck = Checkpointer(os.path.join(reference, "checkpoints"))
    trainer = Trainer(cfg, (16, 16, 1), STEPS, make_keys(cfg.run.seed))
    want = ck.restore(trainer.initial_state, step=40).params
    ck.close()
    for a, b in zip(jax.tree.leaves(nnx.to_pure_dict(params)), jax.tree.leaves(want)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # cimjax evaluate says so, and does not claim the run's final accuracy for step 40.
    from cimjax.evaluate import evaluate_run

    log = Log()
    report = evaluate_run(out, progress=False, log=log)
    assert report["checkpoint_step"] == 40 and report["trained_accuracy"] is None
    assert "step 60 skipped" in log[0] and "evaluating checkpoint step 40" in log[1], log


def test_train_step_records_the_first_nonfinite_step(tmp_path):
    cfg = smoke(tmp_path / "h", 1)
    trainer = Trainer(cfg, (16, 16, 1), STEPS, make_keys(0))
    state, health = trainer.initial_state, healthy()
    rng = np.random.default_rng(0)
    batch = {"image": rng.uniform(0, 1, (50, 16, 16, 1)).astype(np.float32),
             "label": rng.integers(0, 10, 50).astype(np.int32)}
    nan_batch = {**batch, "image": np.full_like(batch["image"], np.nan)}
    for i, b in enumerate([batch, batch, nan_batch, batch, nan_batch]):
        state, loss, health = trainer.train_step_checked(state, b, health)
        assert int(health.bad_step) == (-1 if i < 2 else 3)
    assert np.isnan(float(health.bad_loss)) and trainer.train_step_checked._cache_size() == 1


def test_divergence_stops_with_the_step_and_keeps_the_last_good_checkpoint(tmp_path):
    """Float SGD at a too-large learning rate: on this config the loss leaves the finite range
    in the second epoch (step 30 on the development machine)."""
    out = tmp_path / "div"
    cfg = smoke(out, 3, train={"optimizer": "sgd", "learning_rate": 0.008}, quant=FLOAT_QUANT)
    with pytest.raises(RunError, match=r"training diverged at step \d+ \(loss = (nan|inf|-inf)") as err:
        train_and_evaluate(cfg, progress=False, log=Log())
    step = int(re.search(r"at step (\d+)", str(err.value)).group(1))
    good = (step - 1) // STEPS  # epochs finished before the diverged one
    assert good >= 1, "the test needs a finished epoch before the divergence"
    assert f"in epoch {good + 1}/3" in str(err.value) and f"checkpoint step {good * STEPS}" in str(err.value)
    assert not nonfinite_in_outputs(out)
    rows = (out / "PythonWrapper_Output.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == [str(e) for e in range(good)]
    assert len(glob.glob(str(out / "NeuroSim_Results_Each_Epoch" / "*.csv"))) == good
    ck = Checkpointer(out / "checkpoints")
    assert ck.latest_step() == good * STEPS
    trainer = Trainer(cfg, (16, 16, 1), STEPS, make_keys(0))
    state, restored_step = ck.restore_newest(trainer.initial_state, log=Log())
    ck.close()
    assert restored_step == good * STEPS
    assert all(bool(jnp.all(jnp.isfinite(p))) for p in jax.tree.leaves(state.params))


def test_cli_divergence_exits_1_with_one_line_and_no_nonfinite_output(tmp_path, capsys):
    out = tmp_path / "div"
    argv = ["train", "--config", os.path.join(ROOT, "configs/synthetic_smoke.py"), "--out", str(out), "--no-progress",
            "--set", "train.epochs=2", "--set", "train.optimizer=sgd", "--set", "train.learning_rate=1e6",
            *[f"--set=quant.{k}=32" for k in FLOAT_QUANT]]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert re.search(r"error: training diverged at step \d+ \(loss = (nan|inf)", err) and "no checkpoint was saved" in err
    assert not nonfinite_in_outputs(out)
    assert (out / "PythonWrapper_Output.csv").read_text() == "epoch,loss,accuracy\n"
    assert not os.listdir(out / "checkpoints")


def test_graceful_stop_holds_a_signal_until_the_state_is_whole():
    before = signal.getsignal(signal.SIGTERM)
    with GracefulStop() as stop:
        with pytest.raises(KeyboardInterrupt):
            with stop.critical():
                signal.raise_signal(signal.SIGTERM)
                reached = True  # held: the block runs to its end
        assert reached and stop.signal_name == "SIGTERM"
        with pytest.raises(KeyboardInterrupt):  # outside a critical block: at once
            signal.raise_signal(signal.SIGINT)
        with pytest.raises(KeyboardInterrupt):
            with stop.critical():
                signal.raise_signal(signal.SIGINT)
                signal.raise_signal(signal.SIGINT)  # a second one does not wait
                pytest.fail("the second signal should have interrupted")
        with stop.ignored():
            signal.raise_signal(signal.SIGTERM)
        assert stop.signal_name == "SIGTERM"  # the first signal is the one reported
    assert signal.getsignal(signal.SIGTERM) is before


def test_sigterm_in_training_saves_after_the_step_and_resume_is_identical(tmp_path, monkeypatch, reference):
    """SIGTERM arriving during step 27 (in-process): the step completes, its state is saved,
    the summary names the signal; the resume ends as the uninterrupted run."""
    cfg = smoke(tmp_path / "run", 3)
    real_init = Trainer.__init__
    calls = {"steps": 0}

    def init_with_sigterm(self, *a, **k):
        real_init(self, *a, **k)
        step = self.train_step_checked

        def terminated(state, batch, health):
            calls["steps"] += 1
            if calls["steps"] == 27:
                signal.raise_signal(signal.SIGTERM)  # held until the step's new state is assigned
            return step(state, batch, health)

        self.train_step_checked = terminated

    monkeypatch.setattr(Trainer, "__init__", init_with_sigterm)
    s = train_and_evaluate(cfg, progress=False, log=Log())
    assert s["interrupted"] and s["signal"] == "SIGTERM" and s["steps"] == 27 and s["epochs_completed"] == 1
    monkeypatch.undo()
    log = Log()
    train_and_evaluate(cfg, resume=True, progress=False, log=log)
    assert any("resumed from step 27" in line for line in log), log
    assert_same_outputs(cfg.run.out_dir, reference)


@pytest.mark.slow  # two CLI processes: about 50 s on the 2-core machine
def test_cli_sigterm_exits_143_and_resume_is_identical(tmp_path, reference):
    """``cimjax train`` under a batch scheduler: SIGTERM after the first checkpoint exits 143
    with a checkpoint saved; ``--resume`` then ends as the uninterrupted run."""
    out = str(tmp_path / "run")
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, "-m", "cimjax.cli", "train", "--no-progress"]
    proc = subprocess.Popen(cmd + ["--config", "configs/synthetic_smoke.py", "--set", "train.epochs=30", "--out", out],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = os.path.join(out, "checkpoints", str(STEPS))
        while not os.path.isdir(first) and proc.poll() is None:
            time.sleep(0.02)
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, stderr
    saved = re.search(r"interrupted: checkpoint saved at step (\d+)", stdout)
    assert saved and STEPS <= int(saved.group(1)) < 3 * STEPS, stdout
    assert "Traceback" not in stderr
    done = subprocess.run(cmd + ["--config", out, "--out", out, "--resume", "--set", "train.epochs=3"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"resumed from step {saved.group(1)}" in done.stdout
    assert_same_outputs(out, reference)
