"""Networks built from CIM layers: NeuroSim's VGG-8 (spec §4.1) and a small MLP.

Inputs are NHWC float images. **Input normalisation is not the model's job**: the
training loop maps [0, 1] pixels to [−1, 1] (``model.input_normalisation``), and the
first layer's input is not quantised (spec §1.6), so the model takes the normalised
float image as is.
"""

from __future__ import annotations

from typing import Optional, Sequence

import jax
import jax.numpy as jnp
from flax import nnx

from cimjax.config.schema import ModelConfig, QuantConfig
from cimjax.nn.layers import CIMConv, CIMDense

#: VGG-8's feature layers: output channels of each 3×3 conv, "M" = max-pool 2×2/2.
VGG8_FEATURES: tuple = (128, 128, "M", 256, 256, "M", 512, 512, "M")
#: Hidden units of VGG-8's first FC layer.
VGG8_FC_HIDDEN = 1024


def scaled_width(channels: int, width: float) -> int:
    """Channels of a hidden layer under the width multiplier: ``max(1, round(c·width))``."""
    return max(1, int(round(channels * width)))


def _check_input_shape(input_shape: Sequence[int]) -> tuple[int, int, int]:
    shape = tuple(int(d) for d in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"input_shape must be (H, W, C) with positive entries; got {input_shape!r}")
    return shape  # type: ignore[return-value]


def _max_pool(x: jax.Array) -> jax.Array:
    return nnx.max_pool(x, window_shape=(2, 2), strides=(2, 2), padding="VALID")


class VGG8(nnx.Module):
    """NeuroSim V2.0's VGG-8 for CIFAR-10 with WAGE-quantised CIM layers (spec §4.1).

    conv 128, 128, M, 256, 256, M, 512, 512, M (3×3, stride 1, 'SAME', no bias), then
    FC 1024 and FC ``num_classes``. Every layer's output passes its activation/error
    quantiser, then a ReLU (all but the last layer); max-pools follow the ReLU. The last
    layer keeps float activations (NeuroSim's ``wl_activate = −1``) but quantises its
    error. Layers are named ``conv1``…``conv6``, ``fc1``, ``fc2`` as in NeuroSim.

    The flatten is NHWC (row index = (h·W + w)·C + c), not PyTorch's NCHW order; only the
    row order of ``fc1.kernel`` differs from NeuroSim's.

    Attributes:
      layer_names: static tuple of the CIM layer names in forward order.
      flatten_features: input features of ``fc1``.
    """

    def __init__(
        self,
        width: float,
        num_classes: int,
        quant: QuantConfig,
        input_shape: Sequence[int],
        *,
        rngs: nnx.Rngs,
        beta: Optional[float] = None,
    ):
        """Builds VGG-8.

        Args:
          width: channel multiplier for the hidden layers (1.0 = NeuroSim's VGG-8).
          num_classes: outputs of the last layer.
          quant: WAGE bit widths (``gradient_bits`` is used by the update, not here).
          input_shape: ``(H, W, C)`` of one image; H and W must be ≥ 8 (three pools).
          rngs: the ``params`` stream initialises the weights.
          beta: override WAGE β for every layer (None = :func:`cimjax.nn.wage.wage_beta`).
        """
        if not width > 0:
            raise ValueError(f"width must be > 0; got {width!r}")
        h, w, c = _check_input_shape(input_shape)
        if h < 8 or w < 8:
            raise ValueError(f"VGG8 needs H, W >= 8 (three 2x2 pools); got input_shape={input_shape!r}")
        self.input_shape = (h, w, c)
        self.num_classes = int(num_classes)
        self.width = float(width)
        q = dict(weight_bits=quant.weight_bits, err_bits=quant.error_bits, beta=beta, rngs=rngs)
        names: list[str] = []
        # (conv name, max-pool after it?) in forward order.
        plan: list[tuple[str, bool]] = []
        in_ch = c
        for item in VGG8_FEATURES:
            if item == "M":
                name, _ = plan[-1]
                plan[-1] = (name, True)
                h, w = h // 2, w // 2
                continue
            out_ch = scaled_width(int(item), width)
            name = f"conv{len(plan) + 1}"
            setattr(self, name, CIMConv(in_ch, out_ch, 3, act_bits=quant.activation_bits, **q))
            names.append(name)
            plan.append((name, False))
            in_ch = out_ch
        self.flatten_features = h * w * in_ch
        hidden = scaled_width(VGG8_FC_HIDDEN, width)
        self.fc1 = CIMDense(self.flatten_features, hidden, act_bits=quant.activation_bits, **q)
        self.fc2 = CIMDense(hidden, self.num_classes, act_bits=None, **q)
        self.layer_names = tuple(names) + ("fc1", "fc2")
        self.pool_after = tuple(name for name, pool in plan if pool)

    def __call__(self, x: jax.Array) -> jax.Array:
        """Forward pass.

        Args:
          x: images ``(N, H, W, C)``, already normalised (e.g. to [−1, 1]).

        Returns:
          Logits ``(N, num_classes)``.
        """
        return self.forward_with_inputs(x)[0]

    def forward_with_inputs(self, x: jax.Array) -> tuple[jax.Array, dict[str, jax.Array]]:
        """Forward pass that also returns every CIM layer's input (for traces).

        Args:
          x: images ``(N, H, W, C)``, already normalised.

        Returns:
          ``(logits, inputs)``: logits ``(N, num_classes)`` and a dict from layer name
          (``conv1`` … ``fc2``) to that layer's input activation.
        """
        inputs = {}
        for name in self.layer_names[:-2]:
            inputs[name] = x
            x = jax.nn.relu(getattr(self, name)(x))
            if name in self.pool_after:
                x = _max_pool(x)
        x = x.reshape((x.shape[0], -1))
        inputs["fc1"] = x
        x = jax.nn.relu(self.fc1(x))
        inputs["fc2"] = x
        return self.fc2(x), inputs


class MLP(nnx.Module):
    """Flatten → CIMDense(hidden) → ReLU → CIMDense(num_classes), for quick tests.

    The hidden layer quantises its activation to ``b_A`` bits; the last layer, as in
    VGG-8, keeps float activations and quantises its error.
    """

    def __init__(
        self,
        hidden: int,
        num_classes: int,
        quant: QuantConfig,
        input_shape: Sequence[int],
        *,
        rngs: nnx.Rngs,
        beta: Optional[float] = None,
    ):
        """Builds the MLP.

        Args:
          hidden: hidden units.
          num_classes: outputs.
          quant: WAGE bit widths.
          input_shape: shape of one example (any rank); it is flattened.
          rngs: the ``params`` stream initialises the weights.
          beta: override WAGE β (None = :func:`cimjax.nn.wage.wage_beta`).
        """
        self.input_shape = tuple(int(d) for d in input_shape)
        in_f = 1
        for d in self.input_shape:
            in_f *= d
        if in_f < 1:
            raise ValueError(f"input_shape must have positive entries; got {input_shape!r}")
        self.num_classes = int(num_classes)
        q = dict(weight_bits=quant.weight_bits, err_bits=quant.error_bits, beta=beta, rngs=rngs)
        self.fc1 = CIMDense(in_f, int(hidden), act_bits=quant.activation_bits, **q)
        self.fc2 = CIMDense(int(hidden), self.num_classes, act_bits=None, **q)
        self.layer_names = ("fc1", "fc2")

    def __call__(self, x: jax.Array) -> jax.Array:
        """Forward pass.

        Args:
          x: ``(N, *input_shape)``.

        Returns:
          Logits ``(N, num_classes)``.
        """
        return self.forward_with_inputs(x)[0]

    def forward_with_inputs(self, x: jax.Array) -> tuple[jax.Array, dict[str, jax.Array]]:
        """Forward pass that also returns each CIM layer's input (see :meth:`VGG8.forward_with_inputs`)."""
        x = jnp.reshape(x, (x.shape[0], -1))
        h = jax.nn.relu(self.fc1(x))
        return self.fc2(h), {"fc1": x, "fc2": h}


def create_model(
    model_cfg: ModelConfig,
    quant_cfg: QuantConfig,
    input_shape: Sequence[int],
    *,
    rngs: nnx.Rngs,
) -> nnx.Module:
    """Builds the network a config names.

    Args:
      model_cfg: ``name`` (``vgg8`` or ``mlp``), ``width``, ``hidden``, ``num_classes``.
      quant_cfg: WAGE bit widths.
      input_shape: ``(H, W, C)`` of one image.
      rngs: the ``params`` stream initialises the weights.

    Returns:
      A :class:`VGG8` or :class:`MLP`.
    """
    if model_cfg.name == "vgg8":
        return VGG8(model_cfg.width, model_cfg.num_classes, quant_cfg, input_shape, rngs=rngs)
    if model_cfg.name == "mlp":
        return MLP(model_cfg.hidden, model_cfg.num_classes, quant_cfg, input_shape, rngs=rngs)
    raise ValueError(f"model.name must be one of ('vgg8', 'mlp'); got {model_cfg.name!r}")
