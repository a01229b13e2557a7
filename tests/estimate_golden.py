"""The configurations whose ``estimate.json`` figures are pinned (float64) across refactors.

``python -m tests.estimate_golden`` (from the repository root) re-writes
``tests/fixtures/estimate_golden/<name>.json``: run it only when a change is *meant* to move the
numbers, and say so in the commit. ``tests/test_estimate_unchanged.py`` checks every figure of
every configuration against the stored files to 1e-9 relative.
"""

from __future__ import annotations

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.path.join(HERE, "fixtures", "estimate_golden")
#: ``hardware_trace.csv`` of ``cimjax train --config configs/synthetic_smoke.py --set train.epochs=1``.
RUN_TRACE_DIR = DATA  # holds smoke_hardware_trace.csv (copied as hardware_trace.csv on use)

#: name -> (config file, --set overrides, run trace or None)
CASES = {
    "default": ("configs/vgg8_cifar10.py", (), None),
    "fig34": ("configs/neurosim_fig34.py", (), None),
    "fig34_current_code": ("configs/neurosim_fig34.py", ("hardware.neurosim_code=current",), None),
    "sram": ("configs/vgg8_cifar10.py", ("hardware.cell_type=sram",), None),
    "sub64": ("configs/vgg8_cifar10.py", ("hardware.subarray_rows=64", "hardware.subarray_cols=64"), None),
    "sub256": ("configs/vgg8_cifar10.py", ("hardware.subarray_rows=256", "hardware.subarray_cols=256"), None),
    "node22": ("configs/vgg8_cifar10.py", ("hardware.technology_node_nm=22",), None),
    "node45": ("configs/vgg8_cifar10.py", ("hardware.technology_node_nm=45",), None),
    "adc4": ("configs/vgg8_cifar10.py", ("hardware.adc_bits=4",), None),
    "fefet_conventional": ("configs/vgg8_cifar10.py", ("hardware.cell_type=fefet", "hardware.mapping=conventional"),
                           None),
    "sram_buffers_gddr5": ("configs/vgg8_cifar10.py", ("hardware.global_buffer=sram", "hardware.dram=gddr5"), None),
    "float_weights": ("configs/vgg8_cifar10.py", ("quant.weight_bits=null",), None),
    "run_trace": ("configs/synthetic_smoke.py", (), "smoke_hardware_trace.csv"),
}


def case_config(name: str):
    from cimjax.config import apply_overrides, load_config

    path, overrides, _ = CASES[name]
    return apply_overrides(load_config(os.path.join(ROOT, path)), overrides)


def case_trace(name: str, num_layers: int):
    """The run trace of ``name`` (None: the estimator's default trace)."""
    import shutil
    import tempfile

    from cimjax.build import trace_from_run

    trace_file = CASES[name][2]
    if trace_file is None:
        return None
    with tempfile.TemporaryDirectory() as d:
        shutil.copy(os.path.join(DATA, trace_file), os.path.join(d, "hardware_trace.csv"))
        return trace_from_run(d, num_layers)


def estimate_case(name: str) -> dict:
    """``estimate.json``'s dict of case ``name``, float64 (call under x64)."""
    from cimjax.build import facts
    from cimjax.estimate import estimate_config
    from cimjax.report.files import estimate_dict

    config = case_config(name)
    n = len(facts(config).layers)
    est, layers, images = estimate_config(config, case_trace(name, n))
    return estimate_dict(est, [f"layer{i + 1}" for i in range(len(layers))], images)


def main() -> None:
    import jax

    jax.config.update("jax_enable_x64", True)
    os.makedirs(DATA, exist_ok=True)
    for name in CASES:
        d = estimate_case(name)
        with open(os.path.join(DATA, f"{name}.json"), "w") as f:
            json.dump(d, f, indent=1, sort_keys=True)
            f.write("\n")
        print(name, "area", d["area"]["total"], "tops/w", d["tops_per_w"])


if __name__ == "__main__":
    main()
