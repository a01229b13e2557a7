"""DNN+NeuroSim V2.0 defaults: VGG-8 on CIFAR-10 with the HZO FeFET device.

docs/model.md §1 and §5.3: WAGE 5/8/5/8 bits, SSE loss, momentum γ=0.9 α=0.1, grad_scale 1 divided
by 8 at epochs 200 and 250, batch 200, 257 epochs, seed 117; the chip is NeuroSim's shipped
Param.cpp (RRAM 1T1R, 32 nm, 128×128 sub-arrays, 6-bit ADC).
"""

from cimjax.config import Config, DataConfig, DeviceConfig, HardwareConfig, ModelConfig, QuantConfig, RunConfig, TrainConfig


def get_config() -> Config:
    return Config(
        data=DataConfig(name="cifar10", batch_size=200, eval_batch_size=200, augment=True),
        model=ModelConfig(name="vgg8", width=1.0, num_classes=10, loss="sse", input_normalisation="neurosim"),
        quant=QuantConfig(weight_bits=5, activation_bits=8, gradient_bits=5, error_bits=8),
        device=DeviceConfig(name="fefet_hzo", d2d_sigma=0.0, c2c_mode="per_update"),
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
        hardware=HardwareConfig(),
        run=RunConfig(seed=117, out_dir="runs/vgg8_cifar10", name="vgg8_cifar10"),
    )
