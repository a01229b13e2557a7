"""Damaged input files and unusable output directories: one line naming the path and what is
wrong, no traceback. Bad output directories are found by a probe write before any work (exit
status 2); a write that fails during the run (a full disk) is exit status 1, naming the file, and
what was written before it is kept."""

import errno
import io
import os
import tarfile
from pathlib import Path

import pytest
from bad_inputs.corpus import Case, check

from cimjax.config import load_config, save_config

ROOT = Path(__file__).resolve().parents[2]
SMOKE = str(ROOT / "configs" / "synthetic_smoke.py")
GRID = str(ROOT / "configs" / "sweeps" / "adc_subarray.py")
TINY = ["--set", "train.epochs=1", "--set", "data.synthetic_train_size=100", "--set", "data.synthetic_test_size=50",
        "--set", "data.eval_batch_size=50", "--no-progress"]


def saved_run(tmp: Path, **changes) -> Path:
    """A run directory holding the smoke config's config.json (and what ``changes`` names)."""
    run = tmp / "run"
    run.mkdir(exist_ok=True)
    save_config(load_config(SMOKE), run / "config.json")
    for name, data in changes.items():
        (run / name.replace("__", ".")).write_bytes(data)
    return run


def config_json(data: bytes):
    def prepare(tmp: Path):
        run = saved_run(tmp)
        (run / "config.json").write_bytes(data)
        return ["estimate", "--config", str(run), "--out", str(tmp / "est")]
    return prepare


def resume_with_log(data: bytes):
    """A run of the tiny config whose PythonWrapper_Output.csv holds ``data``; resumed."""
    def prepare(tmp: Path):
        run = tmp / "run"
        run.mkdir()
        from cimjax.config import apply_overrides
        cfg = apply_overrides(load_config(SMOKE), [a for a in TINY if "=" in a])
        from cimjax.config import replace
        save_config(replace(cfg, run={"out_dir": str(run)}), run / "config.json")
        (run / "PythonWrapper_Output.csv").write_bytes(data)
        return ["train", "--config", SMOKE, *TINY, "--out", str(run), "--resume"]
    return prepare


def corrupt_cifar(data: bytes):
    """A CIFAR-10 archive that is not one: ``data`` as cifar-10-python.tar.gz."""
    def prepare(tmp: Path):
        (tmp / "cifar").mkdir()
        (tmp / "cifar" / "cifar-10-python.tar.gz").write_bytes(data)
        return ["train", "--config", SMOKE, "--set", "data.name=cifar10", "--set", f"data.data_dir={tmp}/cifar",
                "--set", "data.cifar10_source=archive", "--set", "data.image_shape=none", "--out", str(tmp / "out"),
                "--no-progress"]
    return prepare


def _tar_with_garbage_batch() -> bytes:
    """A real .tar.gz whose batch files hold garbage (the tar itself reads)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            payload = b"not a pickle" * 10
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return buf.getvalue()


def _truncated_tar() -> bytes:
    return _tar_with_garbage_batch()[:200]


def out_is(kind: str, command: str):
    """``command`` with an --out that is an existing file, lies under a file, or is a symbolic-link loop."""
    def prepare(tmp: Path):
        (tmp / "afile").write_text("x\n")
        if kind == "file":
            out = tmp / "afile"
        elif kind == "under-file":
            out = tmp / "afile" / "sub"
        else:
            os.symlink(tmp / "loop", tmp / "loop")
            out = tmp / "loop"
        return argv(command, tmp, out)
    return prepare


def argv(command: str, tmp: Path, out) -> list[str]:
    if command == "train":
        return ["train", "--config", SMOKE, *TINY, "--out", str(out)]
    if command == "estimate":
        return ["estimate", "--config", SMOKE, "--out", str(out)]
    if command == "sweep":
        return ["sweep", "--config", SMOKE, "--sweep", "adc_bits=3,4", "--out", str(out), "--no-progress"]
    if command == "optimize":
        return ["optimize", "--config", SMOKE, "--grid", GRID, "--out", str(out), "--no-progress"]
    if command == "evaluate":  # a run directory with a checkpoint folder (never read: the probe comes first)
        run = saved_run(tmp)
        (run / "checkpoints" / "1").mkdir(parents=True)
        return ["evaluate", "--checkpoint", str(run), "--out", str(out), "--no-progress"]
    raise ValueError(command)


CASES = [
    Case("config-json-truncated", prepare=config_json(b'{"data": {"batch_size": 50,'),
         words=("config.json", "damaged config file", "line 1")),
    Case("config-json-empty", prepare=config_json(b""), words=("config.json", "empty config file")),
    Case("config-json-binary", prepare=config_json(b"\x89PNG\r\n\x1a\n\xff\xfe\x00garbage"), words=("config.json", "binary")),
    Case("config-json-not-a-mapping", prepare=config_json(b"[1, 2, 3]\n"), words=("config.json", "config must be a mapping")),
    Case("resume-garbage-log-row", prepare=resume_with_log(b"epoch,loss,accuracy\n0,0.5,80.0\n1,garbage,81.0\n"),
         words=("PythonWrapper_Output.csv", "row 3", "column loss", "not a number", "--resume")),
    Case("resume-binary-log", prepare=resume_with_log(b"\x00\x01\x02\xff" * 20), words=("PythonWrapper_Output.csv", "binary")),
    Case("cifar-random-bytes", prepare=corrupt_cifar(os.urandom(4096)), words=("cifar-10-python.tar.gz", "damaged")),
    Case("cifar-truncated-tar", prepare=corrupt_cifar(_truncated_tar()), words=("cifar-10-python.tar.gz", "damaged")),
    Case("cifar-garbage-batches", prepare=corrupt_cifar(_tar_with_garbage_batch()), words=("cifar-10-python.tar.gz", "damaged")),
] + [
    Case(f"out-{kind}-{command}", prepare=out_is(kind, command), words=(str(Path("afile")) if kind != "loop" else "loop", why))
    for command in ("train", "estimate", "sweep", "optimize", "evaluate")
    for kind, why in (("file", "not a directory"), ("under-file", "is a file"), ("loop", "symbolic link loop"))
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case(case, tmp_path, capsys):
    planted = [tmp_path / "run" / "config.json", tmp_path / "run" / "PythonWrapper_Output.csv"]
    check(case, tmp_path, capsys, inputs=planted)


def _failing_probe(code: int):
    """``open`` that fails with ``code`` for cimjax's probe file (a read-only or full disk)."""
    real = open

    def fake(path, *args, **kwargs):
        if ".cimjax-write-probe-" in str(path):
            raise OSError(code, os.strerror(code), str(path))
        return real(path, *args, **kwargs)
    return fake


@pytest.mark.parametrize("command", ["train", "estimate", "sweep", "optimize", "evaluate"])
@pytest.mark.parametrize("code, words", [(errno.EROFS, "read-only file system"), (errno.ENOSPC, "no space left")])
def test_unwritable_out_is_refused_before_any_work(command, code, words, tmp_path, capsys, monkeypatch):
    import builtins

    monkeypatch.setattr(builtins, "open", _failing_probe(code))
    check(Case(f"out-{code}", prepare=lambda tmp: argv(command, tmp, tmp / "out"), words=(str(tmp_path / "out"), words)),
          tmp_path, capsys, inputs=[tmp_path / "run" / "config.json"])
    assert not (tmp_path / "out" / "config.json").exists()


def test_disk_full_during_training_names_the_file_and_keeps_the_rest(tmp_path, capsys, monkeypatch):
    """The disk fills up when the run writes summary.json: exit status 1, the error names the
    file, and what the run wrote before (its config, the epoch logs, the checkpoint) is kept."""
    import cimjax.config.io as config_io

    real = config_io._write_file

    def full(tmp, text):
        if "summary.json" in str(tmp):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp))
        return real(tmp, text)

    monkeypatch.setattr(config_io, "_write_file", full)
    out = tmp_path / "out"
    check(Case("disk-full", argv=["train", "--config", SMOKE, *TINY, "--out", str(out)], code=1,
               words=(str(out / "summary.json"), "no space left", "kept")), tmp_path, capsys)
    assert (out / "config.json").is_file() and (out / "checkpoints").is_dir()
    assert (out / "PythonWrapper_Output.csv").read_text().count("\n") == 2  # header + epoch 0
    assert not (out / "summary.json").exists() and not list(out.glob(".summary.json.tmp-*"))
    assert not (out / ".cimjax.lock").exists()  # the lock is released however the run ends
