"""End to end: the quickstart (width-scaled VGG-8, real Fashion-MNIST subset, NeuroSim
WAGE + device update) learns, and an ideal device does at least as well as the FeFET.

Measured on the 2-core CI machine (seed 117, 3 epochs): HZO FeFET 78.9 %, ideal device
81.2 %, Ag:a-Si 73.6 %. The windows below leave room for floating-point differences
between CPUs.
"""

from cimjax.config import load_config, replace
from cimjax.train import train_and_evaluate


def run(tmp_path, device, estimate=True):
    cfg = load_config("configs/quickstart.py")
    cfg = replace(cfg, device={"name": device}, run={"out_dir": str(tmp_path / device), "estimate_each_epoch": estimate})
    return train_and_evaluate(cfg, progress=False, log=lambda *_: None)


def test_quickstart_fefet_learns_and_ideal_is_not_worse(tmp_path):
    fefet = run(tmp_path, "fefet_hzo")
    ideal = run(tmp_path, "ideal", estimate=False)  # the comparison needs only its accuracy
    assert fefet["epochs_completed"] == 3
    assert (tmp_path / "fefet_hzo" / "NeuroSim_Output.csv").read_text().count("\n") == 4  # header + 3 epochs
    assert not (tmp_path / "ideal" / "NeuroSim_Results_Each_Epoch").exists()  # no estimate: no breakdowns
    assert fefet["final_accuracy"] >= 75.0
    assert ideal["final_accuracy"] >= fefet["final_accuracy"]
