"""Smallest useful run: an MLP on the synthetic dataset, for smoke tests and benchmarks."""

from cimjax.config import Config, DataConfig, ModelConfig, RunConfig, TrainConfig


def get_config() -> Config:
    return Config(
        data=DataConfig(name="synthetic", image_shape=(16, 16, 1), batch_size=50, eval_batch_size=250,
                        synthetic_train_size=1000, synthetic_test_size=250),
        model=ModelConfig(name="mlp", hidden=64, num_classes=10, loss="sse"),
        train=TrainConfig(epochs=2, optimizer="neurosim", lr_decay_epochs=()),
        run=RunConfig(seed=0, out_dir="runs/synthetic_smoke", name="synthetic_smoke"),
    )
