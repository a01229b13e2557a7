"""Quickstart: a width-scaled VGG-8 trained on the real Fashion-MNIST subset shipped with
cimjax, with the NeuroSim V2.0 WAGE bit widths and HZO FeFET device. Runs offline on a
laptop CPU in a few minutes.
"""

from cimjax.config import Config, DataConfig, DeviceConfig, ModelConfig, QuantConfig, RunConfig, TrainConfig


def get_config() -> Config:
    return Config(
        data=DataConfig(name="fashion_mnist_embedded", batch_size=100, eval_batch_size=500),
        model=ModelConfig(name="vgg8", width=0.125, num_classes=10, loss="sse"),
        quant=QuantConfig(weight_bits=5, activation_bits=8, gradient_bits=5, error_bits=8),
        device=DeviceConfig(name="fefet_hzo"),
        train=TrainConfig(epochs=3, optimizer="neurosim", learning_rate=1.0, lr_decay_epochs=()),
        run=RunConfig(seed=117, out_dir="runs/quickstart", name="quickstart"),
    )
