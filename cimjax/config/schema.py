"""Typed, frozen experiment configuration.

A :class:`Config` has one section per concern: ``data``, ``model``, ``quant``, ``device``,
``train``, ``hardware``, ``array`` and ``run``. Every field is checked in ``__post_init__``, so a bad
value raises ``ValueError`` naming ``section.field``, the value and the allowed range when
the config is built (from a ``configs/*.py`` file, a saved ``config.json`` or a
``--set section.field=value`` override), never later inside a jitted function.

Units are SI unless the field name says otherwise (``technology_node_nm``).
"""

from __future__ import annotations

import dataclasses
from typing import Optional

from cimjax.config import _validate as v
from cimjax.devices.aihwkit_presets import PULSED_PRESETS
from cimjax.devices.presets import DEVICE_NAMES, PRESETS, DevicePreset
from cimjax.config.hardware import ESTIMATOR_CELL_TYPES, ArraySection, HardwareConfig, check_analog_read

DATASETS = ("cifar10", "fashion_mnist", "fashion_mnist_embedded", "synthetic")
CIFAR10_SOURCES = ("auto", "archive", "tfds")
MODELS = ("vgg8", "mlp")
LOSSES = ("sse", "cross_entropy")
INPUT_NORMALISATIONS = ("neurosim", "none")
#: The in-situ training rules of :mod:`cimjax.optim.analog_algorithms` (docs/algorithms.md).
ANALOG_ALGORITHMS = ("analog_sgd", "ttv1", "ttv2", "cttv2", "agad", "mixed_precision")
OPTIMIZERS = ("neurosim", "sgd") + ANALOG_ALGORITHMS
ANALOG_UPDATE_MODES = ("expected", "deterministic", "stochastic")
C2C_MODES = ("per_update", "per_pulse")


@v.frozen
class DataConfig:
    """Which dataset, how it is batched and shaped.

    Attributes:
      name: ``cifar10`` (tensorflow-datasets or the standard archive), ``fashion_mnist``
        (idx files), ``fashion_mnist_embedded`` (the real subset shipped in the package),
        or ``synthetic`` (class-conditional patterns).
      data_dir: where to look for the files; None uses the defaults documented in
        ``cimjax.data``.
      cifar10_source: ``auto`` tries the archive then tfds; ``archive`` or ``tfds`` force one.
      batch_size: training batch size (NeuroSim: 200).
      eval_batch_size: test batch size.
      augment: NeuroSim's CIFAR-10 augmentation (pad 4, random crop, horizontal flip).
      image_shape: (H, W, C) every image is zero-padded (centred) and channel-replicated
        to; None keeps the dataset's own shape. Synthetic data is generated at this shape
        (default 32×32×3).
      num_train / num_test: use only the first N examples of each split (None = all).
      synthetic_train_size / synthetic_test_size: sizes of the synthetic splits.
      synthetic_noise: std of the pixel noise added to the synthetic class patterns.
    """

    name: str = "synthetic"
    data_dir: Optional[str] = None
    cifar10_source: str = "auto"
    batch_size: int = 200
    eval_batch_size: int = 200
    augment: bool = False
    image_shape: Optional[tuple[int, int, int]] = None
    num_train: Optional[int] = None
    num_test: Optional[int] = None
    synthetic_train_size: int = 2000
    synthetic_test_size: int = 500
    synthetic_noise: float = 0.25

    def __post_init__(self):
        v.check_choice("data.name", self.name, DATASETS)
        if self.data_dir is not None:
            v.check_str("data.data_dir", self.data_dir)
        v.check_choice("data.cifar10_source", self.cifar10_source, CIFAR10_SOURCES)
        v.check_int("data.batch_size", self.batch_size, 1, 1 << 16)
        v.check_int("data.eval_batch_size", self.eval_batch_size, 1, 1 << 16)
        v.check_bool("data.augment", self.augment)
        v.check_shape("data.image_shape", self.image_shape)
        v.check_optional_int("data.num_train", self.num_train, 1)
        v.check_optional_int("data.num_test", self.num_test, 1)
        v.check_int("data.synthetic_train_size", self.synthetic_train_size, 10, 10_000_000)
        v.check_int("data.synthetic_test_size", self.synthetic_test_size, 10, 10_000_000)
        v.check_float("data.synthetic_noise", self.synthetic_noise, 0.0, 10.0)


@v.frozen
class ModelConfig:
    """The network.

    Attributes:
      name: ``vgg8`` (docs/model.md §4.1; conv 128,128,M,256,256,M,512,512,M, FC 1024, 10) or
        ``mlp`` (one hidden layer of ``hidden`` units, for quick tests).
      width: channel multiplier applied to every hidden layer (1.0 = NeuroSim's VGG-8).
      hidden: hidden units of the ``mlp`` model.
      num_classes: output classes.
      loss: ``sse`` (NeuroSim: 0.5·Σ(logits − onehot)², summed over the batch) or
        ``cross_entropy``.
      input_normalisation: ``neurosim`` maps [0, 1] pixels to [−1, 1] (mean 0.5, std 0.5),
        ``none`` keeps [0, 1].
    """

    name: str = "vgg8"
    width: float = 1.0
    hidden: int = 256
    num_classes: int = 10
    loss: str = "sse"
    input_normalisation: str = "neurosim"

    def __post_init__(self):
        v.check_choice("model.name", self.name, MODELS)
        v.check_float("model.width", self.width, 0.0, 8.0, lo_open=True)
        v.check_int("model.hidden", self.hidden, 1, 1 << 16)
        v.check_int("model.num_classes", self.num_classes, 2, 100_000)
        v.check_choice("model.loss", self.loss, LOSSES)
        v.check_choice("model.input_normalisation", self.input_normalisation, INPUT_NORMALISATIONS)


@v.frozen
class QuantConfig:
    """WAGE bit widths (docs/model.md §1.1). Each is an int in [1, 16], or 32 / None for float.

    Defaults are NeuroSim V2.0's: 5-bit weights and gradients, 8-bit activations and errors.
    """

    weight_bits: Optional[int] = 5
    activation_bits: Optional[int] = 8
    gradient_bits: Optional[int] = 5
    error_bits: Optional[int] = 8

    def __post_init__(self):
        v.check_bits("quant.weight_bits", self.weight_bits)
        v.check_bits("quant.activation_bits", self.activation_bits)
        v.check_bits("quant.gradient_bits", self.gradient_bits)
        v.check_bits("quant.error_bits", self.error_bits)

    @staticmethod
    def is_float(bits: Optional[int]) -> bool:
        return bits is None or bits == v.FLOAT_BITS


@v.frozen
class DeviceConfig:
    """The synaptic device used for the weight update (docs/model.md §2).

    ``name`` picks a preset from :mod:`cimjax.devices.presets`; every other field left at
    None takes the preset's value, and a value given overrides it. :meth:`resolved`
    returns the effective parameters.

    Attributes:
      name: preset name.
      nl_ltp / nl_ltd: nonlinearity labels in [−9, 9] (0 = linear); negative LTD marks an
        asymmetric device.
      max_level: pulses across the full conductance range, in [2, 65536].
      c2c_sigma: cycle-to-cycle σ as a fraction of the conductance range, in [0, 1].
      d2d_sigma: device-to-device σ of the NL label, in label units, in [0, 9].
      c2c_mode: ``per_update`` (NeuroSim V2.0: one draw per weight update) or
        ``per_pulse`` (σ·√|ΔP|, MLP+NeuroSim).
      r_on: on-state resistance in ohm, (0, 1e12]; None = the preset's.
      on_off_ratio: R_off / R_on, (1, 1e9]; None = the preset's. Both reach the estimate and the
        analog read with ``hardware.cell_resistance = device``; set while it is ``hardware``
        (the default) they are refused, since they would reach nothing.
      pulsed_preset: the pulsed device (:mod:`cimjax.devices.aihwkit_presets`, docs/devices.md)
        that the in-situ training rules (``train.optimizer`` = ``analog_sgd``, ``ttv2``, …)
        program; None = the NeuroSim device above as a pulsed device (its curve, levels, c2c and
        d2d). Not used by ``neurosim`` and ``sgd``.
      pulsed_preset_file: instead of ``pulsed_preset``, a step-model preset written by
        ``cimjax device fit`` (its ``device_fit_MODEL.json``; docs/device_fit.md): the path,
        loaded and checked when the config is built.
      endurance_cycles: the pulses one device survives, in [1, 1e18], or None (not set). A user
        input with no default: published endurances span 1e5–1e12 pulses (e.g. metal-oxide
        RRAM, Wong et al., Proc. IEEE 100(6):1951 (2012)). ``cimjax estimate`` compares the
        training rule's pulses per device per 10⁴ epochs with it (docs/algorithms.md "Hardware cost").
    """

    name: str = "fefet_hzo"
    nl_ltp: Optional[float] = None
    nl_ltd: Optional[float] = None
    max_level: Optional[int] = None
    c2c_sigma: Optional[float] = None
    d2d_sigma: float = 0.0
    c2c_mode: str = "per_update"
    r_on: Optional[float] = None
    on_off_ratio: Optional[float] = None
    pulsed_preset: Optional[str] = None
    pulsed_preset_file: Optional[str] = None
    endurance_cycles: Optional[float] = None

    def __post_init__(self):
        v.check_choice("device.name", self.name, DEVICE_NAMES)
        v.check_optional_float("device.endurance_cycles", self.endurance_cycles, 1.0, 1e18)
        if self.pulsed_preset is not None:
            v.check_choice("device.pulsed_preset", self.pulsed_preset, tuple(PULSED_PRESETS))
        if self.pulsed_preset_file is not None:
            v.check_str("device.pulsed_preset_file", self.pulsed_preset_file)
            if self.pulsed_preset is not None:
                v.fail("device.pulsed_preset_file", self.pulsed_preset_file,
                       f"None when device.pulsed_preset is set ({self.pulsed_preset!r}): one pulsed device")
            from cimjax.devices.fit import load_pulsed_preset
            from cimjax.errors import InputError

            try:
                load_pulsed_preset(self.pulsed_preset_file)
            except InputError as err:
                v.fail("device.pulsed_preset_file", self.pulsed_preset_file,
                       f"a step-model preset of cimjax device fit ({err})")
        v.check_optional_float("device.nl_ltp", self.nl_ltp, -9.0, 9.0)
        v.check_optional_float("device.nl_ltd", self.nl_ltd, -9.0, 9.0)
        v.check_optional_int("device.max_level", self.max_level, 2, 65536)
        v.check_optional_float("device.c2c_sigma", self.c2c_sigma, 0.0, 1.0)
        v.check_float("device.d2d_sigma", self.d2d_sigma, 0.0, 9.0)
        v.check_choice("device.c2c_mode", self.c2c_mode, C2C_MODES)
        v.check_optional_float("device.r_on", self.r_on, 0.0, 1e12, lo_open=True)
        v.check_optional_float("device.on_off_ratio", self.on_off_ratio, 1.0, 1e9, lo_open=True)

    def resolved(self) -> DevicePreset:
        """The preset with this config's overrides applied."""
        p = PRESETS[self.name]
        pick = lambda mine, preset: preset if mine is None else mine  # noqa: E731
        return DevicePreset(
            nl_ltp=float(pick(self.nl_ltp, p.nl_ltp)),
            nl_ltd=float(pick(self.nl_ltd, p.nl_ltd)),
            max_level=int(pick(self.max_level, p.max_level)),
            c2c_sigma=float(pick(self.c2c_sigma, p.c2c_sigma)),
            r_on=float(pick(self.r_on, p.r_on)),
            on_off_ratio=float(pick(self.on_off_ratio, p.on_off_ratio)),
            source=p.source,
        )


@v.frozen
class TrainConfig:
    """Training schedule and optimiser (docs/model.md §1.5).

    Attributes:
      epochs: number of epochs (NeuroSim: 257).
      optimizer: ``neurosim`` (momentum → device-aware update), ``sgd`` (plain float
        momentum SGD, the digital baseline), or an in-situ training rule on the pulsed device
        ``device.pulsed_preset``: ``analog_sgd``, ``ttv1``, ``ttv2``, ``cttv2``, ``agad``,
        ``mixed_precision`` (docs/algorithms.md; aihwkit-derived defaults; no learning-rate
        decay, so ``lr_decay_epochs`` must be empty).
      learning_rate: NeuroSim's ``grad_scale`` for ``neurosim``; the step size for ``sgd``; the
        rule's ``lr`` for the in-situ rules.
      update_mode: how an in-situ rule turns an update into pulses: ``expected`` (the mean of
        aihwkit's stochastic pulse trains), ``deterministic`` (rounded pulse counts), both from
        the gradient matrix, or ``stochastic`` (aihwkit's pulse trains from every sample's, or
        conv patch position's, ``(x, d)`` vectors; an in-situ rule only; docs/algorithms.md).
      momentum: γ of the velocity v ← γ·v + α·g.
      alpha: α of the velocity update.
      lr_decay_epochs: epochs at which the learning rate is divided by ``lr_decay_factor``.
      lr_decay_factor: divisor (NeuroSim: 8).
      momentum_renorm: NeuroSim's as-released in-place renormalisation of the velocity.
      reset_momentum_each_epoch: NeuroSim resets the velocity every epoch.
      steps_per_epoch: cap on training steps per epoch (None = the whole split).
    """

    epochs: int = 257
    optimizer: str = "neurosim"
    learning_rate: float = 1.0
    momentum: float = 0.9
    alpha: float = 0.1
    lr_decay_epochs: tuple[int, ...] = (200, 250)
    lr_decay_factor: float = 8.0
    momentum_renorm: bool = True
    reset_momentum_each_epoch: bool = True
    steps_per_epoch: Optional[int] = None
    update_mode: str = "expected"

    def __post_init__(self):
        v.check_int("train.epochs", self.epochs, 1, 1_000_000)
        v.check_choice("train.optimizer", self.optimizer, OPTIMIZERS)
        v.check_choice("train.update_mode", self.update_mode, ANALOG_UPDATE_MODES)
        v.check_float("train.learning_rate", self.learning_rate, 0.0, 1e6, lo_open=True)
        v.check_float("train.momentum", self.momentum, 0.0, 1.0, hi_open=True)
        v.check_float("train.alpha", self.alpha, 0.0, 1e6, lo_open=True)
        if not isinstance(self.lr_decay_epochs, tuple):
            v.fail("train.lr_decay_epochs", self.lr_decay_epochs, "a tuple of increasing positive integers")
        prev = 0
        for e in self.lr_decay_epochs:
            if isinstance(e, bool) or not isinstance(e, int) or e <= prev:
                v.fail("train.lr_decay_epochs", self.lr_decay_epochs, "a tuple of increasing positive integers")
            prev = e
        v.check_float("train.lr_decay_factor", self.lr_decay_factor, 1.0, 1e6)
        v.check_bool("train.momentum_renorm", self.momentum_renorm)
        v.check_bool("train.reset_momentum_each_epoch", self.reset_momentum_each_epoch)
        v.check_optional_int("train.steps_per_epoch", self.steps_per_epoch, 1)
        if self.update_mode == "stochastic" and self.optimizer not in ANALOG_ALGORITHMS:
            raise v.ConfigError(
                f"train.update_mode = 'stochastic' is invalid with train.optimizer = {self.optimizer!r}: the "
                f"stochastic pulse trains are an in-situ rule's update; use train.optimizer in {ANALOG_ALGORITHMS} "
                "or train.update_mode in ('expected', 'deterministic')")
        if self.optimizer in ANALOG_ALGORITHMS and self.lr_decay_epochs:
            raise v.ConfigError(
                f"train.lr_decay_epochs = {self.lr_decay_epochs} is invalid with train.optimizer = "
                f"{self.optimizer!r}: the in-situ rules have no learning-rate decay; set train.lr_decay_epochs=()")


@v.frozen
class RunConfig:
    """Seed and where outputs go.

    Attributes:
      seed: the one seed every ``jax.random`` key of the run derives from, [0, 2**32 − 1].
      out_dir: directory for the run's outputs (config.json, metrics, checkpoints).
      name: a label for reports.
      estimate_each_epoch: after every epoch, estimate the chip (``hardware``) with the
        epoch's trace and append a ``NeuroSim_Output.csv`` row and a breakdown file, as
        NeuroSim does (costs one estimator compile per run, tens of seconds on a CPU).
      data_parallel: local JAX devices the batch is split over (``cimjax.parallel``): 1 = one
        device (default), 0 = every local device, n = the first n; the state is replicated.
        ``data.batch_size`` and ``data.eval_batch_size`` must be multiples of the count
        (checked when the run starts, since the count is the host's). [0, 4096].
    """

    seed: int = 117
    out_dir: str = "runs/default"
    name: str = "default"
    estimate_each_epoch: bool = True
    data_parallel: int = 1

    def __post_init__(self):
        v.check_int("run.seed", self.seed, 0, 2**32 - 1)
        v.check_str("run.out_dir", self.out_dir)
        v.check_str("run.name", self.name)
        v.check_bool("run.estimate_each_epoch", self.estimate_each_epoch)
        v.check_int("run.data_parallel", self.data_parallel, 0, 4096)


@v.frozen
class Config:
    """The whole experiment: one section per concern (see the module docstring)."""

    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    quant: QuantConfig = dataclasses.field(default_factory=QuantConfig)
    device: DeviceConfig = dataclasses.field(default_factory=DeviceConfig)
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)
    hardware: HardwareConfig = dataclasses.field(default_factory=HardwareConfig)
    array: ArraySection = dataclasses.field(default_factory=ArraySection)
    run: RunConfig = dataclasses.field(default_factory=RunConfig)

    def __post_init__(self):
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, SECTIONS[f.name]):
                v.fail(f.name, value, f"a {SECTIONS[f.name].__name__}")
        if self.array.mode != "ideal":
            check_analog_read(self.array, self.hardware, self.quant)
        if self.hardware.cell_resistance == "hardware":
            for name in ("r_on", "on_off_ratio"):
                if getattr(self.device, name) is not None:
                    v.fail(f"device.{name}", getattr(self.device, name),
                           f"None while hardware.cell_resistance = 'hardware' (the estimate then uses "
                           f"hardware.{name}); set hardware.cell_resistance=device to cost the device's own value")
        if self.run.estimate_each_epoch and self.hardware.cell_type not in ESTIMATOR_CELL_TYPES:
            raise v.ConfigError(
                f"run.estimate_each_epoch = True with hardware.cell_type = {self.hardware.cell_type!r}: the "
                f"estimator models {', '.join(ESTIMATOR_CELL_TYPES)} sub-arrays only; "
                "set run.estimate_each_epoch=false or another cell type"
            )


SECTIONS = {
    "data": DataConfig,
    "model": ModelConfig,
    "quant": QuantConfig,
    "device": DeviceConfig,
    "train": TrainConfig,
    "hardware": HardwareConfig,
    "array": ArraySection,
    "run": RunConfig,
}
