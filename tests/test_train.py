"""End-to-end training: outputs, determinism, resume after completion or interruption."""

import json
import os

from cimjax.config import load_config, replace
from cimjax.train import Trainer, train_and_evaluate


def smoke_config(tmp_path, name, **train):
    c = load_config("configs/synthetic_smoke.py")
    return replace(c, run={"out_dir": str(tmp_path / name)}, train=train)


def test_train_writes_outputs_and_learns(tmp_path):
    cfg = smoke_config(tmp_path, "a", epochs=2)
    s = train_and_evaluate(cfg, progress=False, log=lambda *_: None)
    out = cfg.run.out_dir
    for f in ("config.json", "PythonWrapper_Output.csv", "summary.json"):
        assert os.path.exists(os.path.join(out, f))
    assert load_config(out) == cfg
    rows = open(os.path.join(out, "PythonWrapper_Output.csv")).read().splitlines()
    assert rows[0] == "epoch,loss,accuracy" and len(rows) == 3
    assert s["epochs_completed"] == 2 and not s["interrupted"]
    assert s["final_accuracy"] > 50.0  # 10 classes: chance is 10 %
    assert json.load(open(os.path.join(out, "summary.json")))["final_accuracy"] == s["final_accuracy"]


def test_same_seed_same_numbers_and_resume(tmp_path):
    full = train_and_evaluate(smoke_config(tmp_path, "full", epochs=2), progress=False, log=lambda *_: None)
    again = train_and_evaluate(smoke_config(tmp_path, "again", epochs=2), progress=False, log=lambda *_: None)
    assert full["history"] == again["history"]
    # Train one epoch, then resume the same directory to two epochs.
    part = smoke_config(tmp_path, "part", epochs=1)
    train_and_evaluate(part, progress=False, log=lambda *_: None)
    resumed = train_and_evaluate(replace(part, train={"epochs": 2}), resume=True, progress=False, log=lambda *_: None)
    assert resumed["history"] == full["history"]


def test_interrupt_saves_and_resume_is_identical(tmp_path, monkeypatch):
    cfg = smoke_config(tmp_path, "ref", epochs=2)
    ref = train_and_evaluate(cfg, progress=False, log=lambda *_: None)

    cut = smoke_config(tmp_path, "cut", epochs=2)
    calls = {"n": 0}
    real_init = Trainer.__init__

    # Ctrl-C in the middle of epoch 2 (the smoke config has 20 steps per epoch).

    def init_with_interrupt(self, *a, **k):
        real_init(self, *a, **k)
        step = self.train_step

        def interrupting(state, batch):
            calls["n"] += 1
            if calls["n"] == 27:
                raise KeyboardInterrupt
            return step(state, batch)

        self.train_step = interrupting

    monkeypatch.setattr(Trainer, "__init__", init_with_interrupt)
    s = train_and_evaluate(cut, progress=False, log=lambda *_: None)
    assert s["interrupted"] and s["steps"] == 26
    monkeypatch.undo()
    resumed = train_and_evaluate(cut, resume=True, progress=False, log=lambda *_: None)
    assert resumed["history"] == ref["history"]
