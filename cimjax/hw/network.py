"""The network as the hardware estimator sees it: one row of static layer shapes per layer.

This is NeuroSim's ``NetWork.csv`` (docs/model.md §4.2): per layer the input feature-map size,
kernel size, output channels, whether a 2×2 max-pool follows, and the stride. Fully
connected layers are 1×1 convolutions on a 1×1 input. It is the only static input of the
estimator; it is derived from the model config, never written by hand.

Counting conventions (docs/model.md §4.1–§4.2):
- ``macs`` counts every output position of the padded ('same') convolution, as the network
  computes it: 615,917,568 per 32×32 image for VGG-8.
- ``valid_windows`` is NeuroSim's ``numInVector``, the number of *valid* (unpadded) windows
  ((H − K + 1)/stride)², which the core uses although the network pads (docs/model.md §8 quirk).
- The weight matrix of a layer is ``(C_in·K·K) × C_out``; :mod:`cimjax.hw.floorplan` maps
  it onto sub-arrays, PEs and tiles.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Protocol

VGG8_CONV_CHANNELS = (128, 128, 256, 256, 512, 512)
VGG8_POOL_AFTER = (False, True, False, True, False, True)
VGG8_FC_HIDDEN = 1024


class LayerShape(NamedTuple):
    """One row of NeuroSim's NetWork.csv."""

    ifm_h: int
    ifm_w: int
    in_channels: int
    kernel_h: int
    kernel_w: int
    out_channels: int
    pool: bool
    stride: int = 1

    @property
    def weight_rows(self) -> int:
        return self.in_channels * self.kernel_h * self.kernel_w

    @property
    def num_weights(self) -> int:
        return self.weight_rows * self.out_channels

    @property
    def output_positions(self) -> int:
        # 'same' padding: one output per input position (divided by the stride).
        return math.ceil(self.ifm_h / self.stride) * math.ceil(self.ifm_w / self.stride)

    @property
    def macs(self) -> int:
        return self.output_positions * self.num_weights

    @property
    def valid_windows(self) -> int:
        return ((self.ifm_h - self.kernel_h + 1) // self.stride) * ((self.ifm_w - self.kernel_w + 1) // self.stride)

    def csv_row(self) -> str:
        return ",".join(
            str(int(x))
            for x in (
                self.ifm_h,
                self.ifm_w,
                self.in_channels,
                self.kernel_h,
                self.kernel_w,
                self.out_channels,
                self.pool,
                self.stride,
            )
        )


def scaled_channels(channels: int, width: float) -> int:
    """Channels of a hidden layer under the width multiplier (at least 1)."""
    return max(1, round(channels * width))


class ModelShape(Protocol):
    """What the layer table reads of a model config (``cimjax.config.schema.ModelConfig``)."""

    name: str  # "vgg8" or "mlp"
    width: float  # VGG-8 channel multiplier
    hidden: int  # MLP hidden units
    num_classes: int


def network_layers(model: ModelShape, input_shape: tuple[int, int, int]) -> list[LayerShape]:
    """The layer table of ``model`` for images of ``input_shape`` = (H, W, C)."""
    h, w, c = input_shape
    layers: list[LayerShape] = []
    if model.name == "vgg8":
        for channels, pool in zip(VGG8_CONV_CHANNELS, VGG8_POOL_AFTER):
            out = scaled_channels(channels, model.width)
            layers.append(LayerShape(h, w, c, 3, 3, out, pool))
            c = out
            if pool:
                h, w = h // 2, w // 2
        features = h * w * c
        hidden = scaled_channels(VGG8_FC_HIDDEN, model.width)
        layers.append(LayerShape(1, 1, features, 1, 1, hidden, False))
        layers.append(LayerShape(1, 1, hidden, 1, 1, model.num_classes, False))
    elif model.name == "mlp":
        layers.append(LayerShape(1, 1, h * w * c, 1, 1, model.hidden, False))
        layers.append(LayerShape(1, 1, model.hidden, 1, 1, model.num_classes, False))
    else:  # pragma: no cover - ModelConfig validates the name
        raise ValueError(f"model.name = {model.name!r}: no layer table")
    return layers


def network_csv(layers: list[LayerShape]) -> str:
    """NeuroSim's NetWork.csv text (no header)."""
    return "".join(layer.csv_row() + "\n" for layer in layers)
