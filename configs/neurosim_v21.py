"""NeuroSim V2.1's shipped ``Param.cpp``: VGG-8 on CIFAR-10 on the V2.1 default cell.

DNN_NeuroSim_V2.1 (github.com/neurosim/DNN_NeuroSim_V2.1, commit 18289cb) changes five values of
V2.0's ``Param.cpp``: ``memcelltype = 3`` (FeFET, on the 1T1R 4F × 4F cell), ``resistanceOn =
240e3``, ``resistanceOff = 240e3*100`` (on/off 100), ``maxNumLevelLTP = maxNumLevelLTD = 60`` and
``temp = 300`` (V2.0: RRAM, 100 kΩ, on/off 10, 32 levels, 301 K). It adds ``SARADC = false``,
``currentMode = true`` (the multilevel current-sense amplifier, as V2.0's) and ``polarization =
20`` µC/cm² (the FeFET polarisation write energy: ``hardware.fefet_polarization``, whose default
is V2.1's). Every other knob is V2.0's, so the rest is ``configs/vgg8_cifar10.py``'s.

The estimator follows V2.1's code (``hardware.neurosim_code = "v2_1"``: first layer without an
activation-gradient phase, wider accumulators, ...; docs/neurosim_versions.md lists what is and
is not modelled); ``tests/hw/test_hw_neurosim_v21.py`` compares it with V2.1's own run.
"""

import os

from cimjax.config import Config, load_config, replace


def get_config() -> Config:
    base = load_config(os.path.join(os.path.dirname(os.path.abspath(__file__)), "vgg8_cifar10.py"))
    return replace(
        base,
        device={"max_level": 60},
        hardware={"cell_type": "fefet", "r_on": 240e3, "on_off_ratio": 100.0, "temperature_k": 300.0,
                  "neurosim_code": "v2_1"},
        run={"out_dir": "runs/neurosim_v21", "name": "neurosim_v21"},
    )
