"""Meaningless configs and arguments, refused before anything is written (exit status 2, one line
naming the field or argument): the data-dependent rules of a training run, an empty --out, a
resume with no run, optimize/sweep arguments, constraints, --set numbers, sizes that do not fit
in memory, and a second run on a locked run directory."""

import fcntl
import os
from pathlib import Path

import pytest
from bad_inputs.corpus import Case, check

from cimjax import fileio

ROOT = Path(__file__).resolve().parents[2]
SMOKE = str(ROOT / "configs" / "synthetic_smoke.py")
GRID = str(ROOT / "configs" / "sweeps" / "co_opt_space.py")
TINY = ["--set", "train.epochs=1", "--set", "data.synthetic_train_size=100", "--set", "data.synthetic_test_size=50",
        "--set", "data.eval_batch_size=50", "--no-progress"]


def train(*extra: str, out: str = "{tmp}/run") -> list[str]:
    return ["train", "--config", SMOKE, *TINY, *extra, "--out", out]


def optimize(*extra: str) -> list[str]:
    return ["optimize", "--config", SMOKE, "--grid", GRID, "--out", "{tmp}/opt", "--no-progress", *extra]


def previous_run(tmp: Path) -> Path:
    """An earlier good run's directory (its files stand in for a finished run's)."""
    run = tmp / "run"
    run.mkdir()
    (run / "config.json").write_text("{}\n")
    (run / "PythonWrapper_Output.csv").write_text("epoch,loss,accuracy\n0,0.5,90.0\n")
    return run


def batch_over_previous_run(tmp: Path):
    previous_run(tmp)
    return [a.replace("{tmp}", str(tmp)) for a in train("--set", "data.batch_size=5000")]


CASES = [
    # data-dependent rules, before the output directory is touched
    Case("num-classes-vs-data", argv=train("--set", "model.num_classes=2"), words=("model.num_classes = 2", "10 classes")),
    Case("batch-larger-than-data", prepare=batch_over_previous_run, words=("data.batch_size = 5000", "100 training examples")),
    # --out and --resume
    Case("empty-out-train", argv=train(out=""), words=("--out = ''", "directory path")),
    Case("blank-out-estimate", argv=["estimate", "--config", SMOKE, "--out", "  "], words=("--out = '  '",)),
    Case("empty-out-evaluate", argv=["evaluate", "--checkpoint", "{tmp}", "--out", ""], words=("--out = ''",)),
    Case("resume-no-run", argv=train("--resume"), words=("--resume", "no run to resume")),
    # optimize / sweep arguments, at parse time
    Case("optimize-lr-nan", argv=optimize("--lr", "nan"), words=("--lr", "'nan'", "finite number > 0")),
    Case("optimize-lr-negative", argv=optimize("--lr", "-0.1"), words=("--lr",)),
    Case("optimize-rho-inf", argv=optimize("--rho", "inf"), words=("--rho",)),
    Case("optimize-steps-zero", argv=optimize("--steps", "0"), words=("--steps", "integer ≥ 1")),
    Case("optimize-starts-word", argv=optimize("--starts", "many"), words=("--starts",)),
    Case("sweep-chunk-zero", argv=["sweep", "--config", SMOKE, "--sweep", "adc_bits=3,4", "--chunk", "0"], words=("--chunk",)),
    Case("sweep-num-samples-negative", argv=["sweep", "--config", SMOKE, "--sweep", "adc_bits=3,4", "--num-samples", "-5"],
         words=("--num-samples",)),
    Case("estimate-epoch-negative", argv=["estimate", "--config", SMOKE, "--epoch", "-1"], words=("--epoch",)),
    # constraints: parsed before any work, quoted as typed
    Case("constraint-negative-relative", argv=optimize("--constraint", "area<=-1x"), words=("'area<=-1x'", "-1x", "> 0")),
    Case("constraint-unknown-metric", argv=optimize("--constraint", "power<=3"), words=("'power<=3'", "unknown metric")),
    Case("constraint-garbage", argv=optimize("--constraint", "area < lots"), words=("'area < lots'", "METRIC<=VALUE")),
    Case("constraint-nan", argv=optimize("--constraint", "area<=nan"), words=("'area<=nan'",)),
    Case("objective-unknown", argv=optimize("--objective", "power"), words=("objective 'power'",)),
    # one range for the ADC bits: the config's, which the sweep grid takes
    Case("sweep-adc-bits-beyond-config", argv=["sweep", "--config", SMOKE, "--sweep", "adc_bits=4,13"],
         words=("hardware.adc_bits = 13", "[1, 12]")),
    Case("set-adc-bits-beyond-config", argv=["estimate", "--config", SMOKE, "--set", "hardware.adc_bits=13"],
         words=("hardware.adc_bits = 13", "[1, 12]")),
    # --set numbers: ASCII digits only
    Case("set-fullwidth-digits", argv=["config", "--config", SMOKE, "--set", "train.epochs=１２"],
         words=("train.epochs = '１２'", "ASCII digits")),
    Case("set-arabic-indic-digits", argv=["config", "--config", SMOKE, "--set", "data.synthetic_noise=٠.٥"],
         words=("data.synthetic_noise", "ASCII digits")),
    Case("set-underscore-int", argv=["config", "--config", SMOKE, "--set", "train.epochs=1_0"],
         words=("train.epochs = '1_0'", "no underscores")),
    Case("set-underscore-float", argv=["config", "--config", SMOKE, "--set", "data.synthetic_noise=0.2_5"],
         words=("data.synthetic_noise = '0.2_5'",)),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case(case, tmp_path, capsys):
    previous = tmp_path / "run" / "PythonWrapper_Output.csv"
    before = previous.read_text() if previous.exists() else None
    check(case, tmp_path, capsys)
    if before is not None:  # the earlier run is left where it was, untouched
        assert previous.read_text() == before and not list(tmp_path.glob("run.prev-*"))
    elif case.argv and case.argv[0] == "train":
        assert not (tmp_path / "run").exists()  # refused before the output directory was made


def test_set_accepts_ascii_numbers(capsys):
    from cimjax.cli import main

    assert main(["config", "--config", SMOKE, "--set", "train.epochs=+12", "--set", "data.synthetic_noise=.5e-1"]) == 0
    out = capsys.readouterr().out
    assert '"epochs": 12' in out and '"synthetic_noise": 0.05' in out


MEMORY = [
    Case("image-shape-4096", argv=train("--set", "data.image_shape=(4096,4096,1)"),
         words=("data.image_shape", "4096", "GiB of memory", "available")),
    Case("ten-million-images", argv=train("--set", "data.synthetic_train_size=10000000", "--set", "data.image_shape=none"),
         words=("10000000", "data.synthetic_train_size", "GiB")),
]


@pytest.mark.parametrize("case", MEMORY, ids=lambda c: c.name)
def test_memory_exhausting_sizes(case, tmp_path, capsys, monkeypatch):
    """Refused with the memory needed and the memory available, before allocating; the machine
    is given 8 GiB so the case means the same everywhere."""
    monkeypatch.setattr(fileio, "available_memory", lambda: 8 * 2**30)
    err = check(case, tmp_path, capsys)
    assert "8 GiB available" in err
    assert not (tmp_path / "run").exists()


def test_memory_preflight_counts_the_data():
    """The estimate grows with the images: the smoke config needs a few MB, the 4096² one
    over a hundred GiB (the synthetic generator's templates at every shift)."""
    from cimjax.config import apply_overrides, load_config
    from cimjax.data.sources import memory_needed

    cfg = load_config(SMOKE)
    small = sum(b for _, b in memory_needed(cfg.data))
    big = sum(b for _, b in memory_needed(apply_overrides(cfg, ["data.image_shape=(4096,4096,1)"]).data))
    assert 1e5 < small < 1e8 and big > 100 * 2**30
    assert big / small == pytest.approx(4096 * 4096 / 256, rel=0.01)


def test_second_run_on_a_locked_directory_is_refused(tmp_path, capsys):
    """Another process holds the run directory's lock (here: this test, through its own open
    file): the run stops with exit status 2 naming the directory and the PID, and moves nothing."""
    run = previous_run(tmp_path)
    fd = os.open(run / fileio.LOCK_NAME, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, b"4242\n")
        check(Case("locked", argv=train(), words=(str(run), "PID 4242", "another cimjax run")), tmp_path, capsys)
    finally:
        os.close(fd)
    assert (run / "PythonWrapper_Output.csv").exists() and not list(tmp_path.glob("run.prev-*"))


def test_the_lock_is_taken_held_and_released(tmp_path):
    """lock_run_dir writes the PID and refuses a second holder; a lock file left by a dead
    process (no flock on it) is taken over; unlock removes the file."""
    run = tmp_path / "run"
    run.mkdir()
    (run / fileio.LOCK_NAME).write_text("99999999\n")  # left by a run killed with -9
    fileio.lock_run_dir(str(run))
    assert (run / fileio.LOCK_NAME).read_text() == f"{os.getpid()}\n"
    fd = os.open(run / fileio.LOCK_NAME, os.O_RDWR)
    with pytest.raises(BlockingIOError):
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.close(fd)
    assert fileio.run_entries(str(run)) == []  # the lock file is not a run's file
    fileio.unlock_run_dir(str(run))
    assert not (run / fileio.LOCK_NAME).exists()
