"""NeuroSim V2.1's shipped ``Param.cpp``: VGG-8 on CIFAR-10 on the V2.1 default cell.

DNN_NeuroSim_V2.1 (github.com/neurosim/DNN_NeuroSim_V2.1, commit 18289cb) changes five values of
V2.0's ``Param.cpp``: ``memcelltype = 3`` (FeFET, on the 1T1R 4F × 4F cell), ``resistanceOn =
240e3``, ``resistanceOff = 240e3*100`` (on/off 100), ``maxNumLevelLTP = maxNumLevelLTD = 60`` and
``temp = 300`` (V2.0: RRAM, 100 kΩ, on/off 10, 32 levels, 301 K). It adds ``SARADC = false``,
``currentMode = true`` (the multilevel current-sense amplifier, as V2.0's) and ``polarization =
20`` µC/cm² (the FeFET write energy term, not modelled: docs/neurosim_versions.md). Every other
knob is V2.0's, so the rest is ``configs/vgg8_cifar10.py``'s.

The estimator follows V2.1's code (``hardware.neurosim_code = "v2_1"``: first layer without an
activation-gradient phase, wider accumulators, ...; docs/neurosim_versions.md lists what is and
is not modelled); ``tests/hw/test_hw_neurosim_v21.py`` compares it with V2.1's own run.
"""

from cimjax.config import Config, DataConfig, DeviceConfig, HardwareConfig, ModelConfig, QuantConfig, RunConfig, TrainConfig


def get_config() -> Config:
    return Config(
        data=DataConfig(name="cifar10", batch_size=200, eval_batch_size=200, augment=True),
        model=ModelConfig(name="vgg8", width=1.0, num_classes=10, loss="sse", input_normalisation="neurosim"),
        quant=QuantConfig(weight_bits=5, activation_bits=8, gradient_bits=5, error_bits=8),
        device=DeviceConfig(name="fefet_hzo", max_level=60, d2d_sigma=0.0, c2c_mode="per_update"),
        train=TrainConfig(
            epochs=257,
            optimizer="neurosim",
            learning_rate=1.0,
            momentum=0.9,
            alpha=0.1,
            lr_decay_epochs=(200, 250),
            lr_decay_factor=8.0,
            momentum_renorm=True,
            reset_momentum_each_epoch=True,
        ),
        hardware=HardwareConfig(
            cell_type="fefet", r_on=240e3, on_off_ratio=100.0, temperature_k=300.0, neurosim_code="v2_1",
        ),
        run=RunConfig(seed=117, out_dir="runs/neurosim_v21", name="neurosim_v21"),
    )
