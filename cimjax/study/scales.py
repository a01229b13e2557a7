"""The scales of the paper study (``cimjax study paper --scale smoke|cpu|gpu``): the base
experiment config, the seeds, the sweep grids and how the members are trained.

- ``smoke``: a 256-32-10 WAGE MLP on synthetic 16×16 images, 2 epochs of 10 steps, 2 seeds
  (a structure check of the whole report in the default test suite; its accuracies mean
  nothing about the devices);
- ``cpu``: the width-scaled VGG-8 on the full Fashion-MNIST (Debian ``dataset-fashion-mnist``;
  the embedded 6,000-image subset when the files are absent), batch 200, short schedule, 3
  seeds; sized to the 90-minute budget of a 2-core CPU from a measured member-step
  (docs/study.md);
- ``gpu``: the paper's run, full VGG-8 on CIFAR-10, batch 200, 257 epochs with the learning
  rate divided by 8 at epochs 200 and 250, augmentation, 3 seeds (documented; its run time is
  projected in docs/study.md).

Every config is a :class:`~cimjax.config.Config`; the study changes only ``device.*``,
``train.momentum`` and ``hardware.*`` of it, through :func:`cimjax.config.replace`.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from cimjax.config import (Config, ConfigError, DataConfig, DeviceConfig, ModelConfig, QuantConfig, RunConfig,
                           TrainConfig)


class Scale(NamedTuple):
    """One scale of the study.

    Attributes:
      name: ``smoke``, ``cpu`` or ``gpu``.
      config: the base config (momentum on; device = the FeFET, replaced per member).
      seeds: population seeds (each draws its own initial weights and device noise).
      nl: |NL| values of the asymmetric ``+v/−v`` sweep (32 states, no c2c, no d2d).
      c2c: c2c σ values (FeFET NL and states).
      d2d: d2d σ values (at NL ±3, 32 states, no c2c).
      states: numbers of states (FeFET NL and c2c).
      method: how the members train (:data:`cimjax.study.paper.METHODS`).
      chunk: most members per batched call.
      about: one line for the report.
    """

    name: str
    config: Config
    seeds: tuple
    nl: tuple
    c2c: tuple
    d2d: tuple
    states: tuple
    method: str
    chunk: int
    about: str


NAMES = ("smoke", "cpu", "gpu")
NL = (1.0, 2.0, 3.0, 4.0, 5.0, 6.0)
C2C = (0.0, 0.01, 0.03, 0.05)
D2D = (0.0, 0.5)
STATES = (16, 32, 64, 128)
#: Base of the d2d sweep: the paper's "high nonlinearity" case.
D2D_NL = 3.0

#: The cpu scale's VGG-8 width, epochs and steps per epoch (chosen in docs/study.md from a
#: measured member-step so that the study fits 90 minutes on a 2-core CPU).
CPU_WIDTH = 0.125
CPU_EPOCHS = 3
CPU_STEPS_PER_EPOCH = 35
CPU_BATCH = 200


def fashion_mnist_present() -> bool:
    """Whether the full Fashion-MNIST idx files are where :mod:`cimjax.data.fashion_mnist` looks."""
    from cimjax.data.fashion_mnist import FASHION_MNIST_SYSTEM_DIR

    return os.path.isdir(FASHION_MNIST_SYSTEM_DIR) and len(os.listdir(FASHION_MNIST_SYSTEM_DIR)) >= 4


def _run(name: str) -> RunConfig:
    return RunConfig(seed=117, out_dir=f"runs/study_{name}", name=f"paper_study_{name}", estimate_each_epoch=False)


def scale(name: str) -> Scale:
    """The :class:`Scale` called ``name``.

    Raises:
      ConfigError: an unknown name (naming the allowed ones).
    """
    quant = QuantConfig(weight_bits=5, activation_bits=8, gradient_bits=5, error_bits=8)
    device = DeviceConfig(name="fefet_hzo")
    if name == "smoke":
        cfg = Config(
            data=DataConfig(name="synthetic", image_shape=(16, 16, 1), batch_size=50, eval_batch_size=200,
                            synthetic_train_size=500, synthetic_test_size=200),
            model=ModelConfig(name="mlp", hidden=32, num_classes=10, loss="sse"), quant=quant, device=device,
            train=TrainConfig(epochs=2, steps_per_epoch=10, lr_decay_epochs=()), run=_run(name))
        return Scale(name, cfg, (0, 1), (1.0, 3.0, 6.0), C2C, D2D, (16, 32, 64), "vmap", 64,
                     "smoke: 256-32-10 MLP, synthetic 16×16 images, 2 epochs × 10 steps, 2 seeds (structure check only)")
    if name == "cpu":
        data_name = "fashion_mnist" if fashion_mnist_present() else "fashion_mnist_embedded"
        cfg = Config(
            data=DataConfig(name=data_name, batch_size=CPU_BATCH, eval_batch_size=500),
            model=ModelConfig(name="vgg8", width=CPU_WIDTH, num_classes=10, loss="sse"), quant=quant, device=device,
            train=TrainConfig(epochs=CPU_EPOCHS, steps_per_epoch=CPU_STEPS_PER_EPOCH, lr_decay_epochs=()),
            run=_run(name))
        return Scale(name, cfg, (0, 1, 2), NL, C2C, D2D, STATES, "loop", 1,
                     f"cpu: VGG-8 ×{CPU_WIDTH}, {data_name}, batch {CPU_BATCH}, {CPU_EPOCHS} epochs × "
                     f"{CPU_STEPS_PER_EPOCH} steps, 3 seeds")
    if name == "gpu":
        cfg = Config(
            data=DataConfig(name="cifar10", batch_size=200, eval_batch_size=500, augment=True),
            model=ModelConfig(name="vgg8", width=1.0, num_classes=10, loss="sse"), quant=quant, device=device,
            train=TrainConfig(epochs=257, lr_decay_epochs=(200, 250), lr_decay_factor=8.0), run=_run(name))
        return Scale(name, cfg, (0, 1, 2), NL, C2C, D2D, STATES, "vmap", 8,
                     "gpu: VGG-8 ×1, CIFAR-10, batch 200, 257 epochs (lr ÷8 at 200 and 250), augmentation, 3 seeds")
    raise ConfigError(f"--scale = {name!r} is invalid: expected one of {', '.join(NAMES)}")
