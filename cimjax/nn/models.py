"""Networks built from CIM layers: NeuroSim's VGG-8 (docs/model.md §4.1) and a small MLP.

Inputs are NHWC float images. **Input normalisation is not the model's job**: the
training loop maps [0, 1] pixels to [−1, 1] (``model.input_normalisation``), and the
first layer's input is not quantised (docs/model.md §1.6), so the model takes the normalised
float image as is.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Optional, Sequence

import jax
from flax import nnx

from cimjax.config.schema import Config, ModelConfig, QuantConfig
from cimjax.hw.network import network_layers
from cimjax.build import field_value, resolve
from cimjax.analog.config import ArrayConfig, LayerArrays
from cimjax.nn.layers import CIMConv, CIMDense


def _check_input_shape(input_shape: Sequence[int]) -> tuple[int, int, int]:
    shape = tuple(int(d) for d in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"input_shape must be (H, W, C) with positive entries; got {input_shape!r}")
    return shape  # type: ignore[return-value]


def _max_pool(x: jax.Array) -> jax.Array:
    return nnx.max_pool(x, window_shape=(2, 2), strides=(2, 2), padding="VALID")


class CIMNetwork(nnx.Module):
    """A chain of CIM layers built from the network's layer table.

    The table (:func:`cimjax.hw.network.network_layers`, NeuroSim's NetWork.csv) is the one
    the hardware estimator costs, so the trained network and the estimated chip cannot
    drift apart. A row with a spatial input or kernel becomes a :class:`CIMConv`
    (``conv1``, ``conv2``, …), a 1×1-on-1×1 row a :class:`CIMDense` (``fc1``, …) preceded by
    a flatten. Every layer's output passes its activation/error quantiser, then a ReLU
    (all but the last layer), then the 2×2/2 max-pool its row asks for. The last layer
    keeps float activations (NeuroSim's ``wl_activate = −1``) but quantises its error.

    With ``arrays`` (:class:`cimjax.analog.config.LayerArrays`) every layer's product is
    the analog array read: the first layer with ``arrays.first`` (float input, no ADC),
    the others with ``arrays.later`` and ``arrays.backward``.

    Attributes:
      layer_names: CIM layer names in forward order (static).
      pool_after: names of the layers followed by a max-pool (static).
      flatten_features: input features of the first dense layer (0 if none).
    """

    def __init__(
        self,
        model_cfg: ModelConfig,
        quant: QuantConfig,
        input_shape: Sequence[int],
        *,
        rngs: nnx.Rngs,
        beta: Optional[float] = None,
        arrays: Optional[LayerArrays] = None,
    ):
        self.input_shape = _check_input_shape(input_shape)
        self.num_classes = int(model_cfg.num_classes)
        layers = network_layers(model_cfg, self.input_shape)
        q = dict(weight_bits=quant.weight_bits, err_bits=quant.error_bits, beta=beta, rngs=rngs)
        names, pools = [], []
        self.flatten_features = 0
        for i, row in enumerate(layers):
            act_bits = None if i == len(layers) - 1 else quant.activation_bits
            if arrays is not None:
                q.update(
                    array=arrays.first if i == 0 else arrays.later,
                    backward="ste" if i == 0 else arrays.backward,
                    variation_sigma=arrays.variation_sigma,
                    backward_array=None if i == 0 else arrays.later_transposed,
                )
            if row.ifm_h * row.ifm_w > 1 or row.kernel_h > 1:
                name = f"conv{sum(n.startswith('conv') for n in names) + 1}"
                layer = CIMConv(row.in_channels, row.out_channels, row.kernel_h, act_bits=act_bits, **q)
            else:
                name = f"fc{sum(n.startswith('fc') for n in names) + 1}"
                layer = CIMDense(row.in_channels, row.out_channels, act_bits=act_bits, **q)
                self.flatten_features = self.flatten_features or row.in_channels
            setattr(self, name, layer)
            names.append(name)
            if row.pool:
                pools.append(name)
        self.layer_names = tuple(names)
        self.pool_after = tuple(pools)

    def __call__(self, x: jax.Array) -> jax.Array:
        """Forward pass.

        Args:
          x: images ``(N, H, W, C)``, already normalised (e.g. to [−1, 1]).

        Returns:
          Logits ``(N, num_classes)``.
        """
        return self.forward_with_inputs(x)[0]

    def forward_with_inputs(self, x: jax.Array, taps: Optional[dict[str, jax.Array]] = None
                            ) -> tuple[jax.Array, dict[str, jax.Array]]:
        """Forward pass that also returns every CIM layer's input (for traces, and the ``x`` of
        the ``stochastic`` update).

        Args:
          x: images ``(N, H, W, C)``, already normalised.
          taps: None, or ``{layer name: zeros of its output's shape}``: each is added to the
            layer's product before its quantiser (:func:`cimjax.nn.layers._tapped`), so the
            gradient of the loss by ``taps`` is every layer's error ``d`` (see
            :func:`output_shapes`).

        Returns:
          ``(logits, inputs)``: logits ``(N, num_classes)`` and a dict from layer name to
          that layer's input activation (``(N, H, W, C)`` for convolutions, ``(N, F)`` for
          dense layers).
        """
        inputs = {}
        for i, name in enumerate(self.layer_names):
            layer = getattr(self, name)
            if isinstance(layer, CIMDense) and x.ndim > 2:
                x = x.reshape((x.shape[0], -1))
            inputs[name] = x
            x = layer(x, None if taps is None else taps[name])
            if i < len(self.layer_names) - 1:
                x = jax.nn.relu(x)
            if name in self.pool_after:
                x = _max_pool(x)
        return x, inputs

    def output_shapes(self, x_shape: Sequence[int]) -> dict[str, tuple[int, ...]]:
        """Every CIM layer's output shape (before ReLU and pool) for an input of ``x_shape``:
        the shapes of :meth:`forward_with_inputs`'s ``taps`` (traced abstractly, no compute)."""
        shapes = {}

        def run(x):
            _, inputs = self.forward_with_inputs(x)
            return inputs

        inputs = jax.eval_shape(run, jax.ShapeDtypeStruct(tuple(x_shape), jax.numpy.float32))
        for name in self.layer_names:
            layer = getattr(self, name)
            s = inputs[name].shape
            if isinstance(layer, CIMDense):
                shapes[name] = (s[0], layer.out_f)
            else:
                shapes[name] = (*s[:-1], layer.out_ch)
        return shapes


class VGG8(CIMNetwork):
    """NeuroSim V2.0's VGG-8 for CIFAR-10 with WAGE-quantised CIM layers (docs/model.md §4.1).

    conv 128, 128, M, 256, 256, M, 512, 512, M (3×3, stride 1, 'SAME', no bias), then
    FC 1024 and FC ``num_classes``; hidden widths scaled by ``width``. Layers are named
    ``conv1``…``conv6``, ``fc1``, ``fc2`` as in NeuroSim. The flatten is NHWC (row index =
    (h·W + w)·C + c), not PyTorch's NCHW order; only the row order of ``fc1.kernel``
    differs from NeuroSim's.
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
        arrays: Optional[LayerArrays] = None,
    ):
        """Builds VGG-8.

        Args:
          width: channel multiplier for the hidden layers (1.0 = NeuroSim's VGG-8).
          num_classes: outputs of the last layer.
          quant: WAGE bit widths (``gradient_bits`` is used by the update, not here).
          input_shape: ``(H, W, C)`` of one image; H and W must be ≥ 8 (three pools).
          rngs: the ``params`` stream initialises the weights.
          beta: override WAGE β for every layer (None = :func:`cimjax.nn.wage.wage_beta`).
          arrays: analog read of every layer (None: ideal float products).
        """
        if not width > 0:
            raise ValueError(f"width must be > 0; got {width!r}")
        h, w, _ = _check_input_shape(input_shape)
        if h < 8 or w < 8:
            raise ValueError(f"VGG8 needs H, W >= 8 (three 2x2 pools); got input_shape={input_shape!r}")
        self.width = float(width)
        cfg = ModelConfig(name="vgg8", width=float(width), num_classes=int(num_classes))
        super().__init__(cfg, quant, input_shape, rngs=rngs, beta=beta, arrays=arrays)


class MLP(CIMNetwork):
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
        arrays: Optional[LayerArrays] = None,
    ):
        """Builds the MLP.

        Args:
          hidden: hidden units.
          num_classes: outputs.
          quant: WAGE bit widths.
          input_shape: shape of one example (any rank); it is flattened.
          rngs: the ``params`` stream initialises the weights.
          beta: override WAGE β (None = :func:`cimjax.nn.wage.wage_beta`).
          arrays: analog read of every layer (None: ideal float products).
        """
        features = math.prod(int(d) for d in input_shape)
        if features < 1 or min(int(d) for d in input_shape) < 1:
            raise ValueError(f"input_shape must have positive entries; got {input_shape!r}")
        cfg = ModelConfig(name="mlp", hidden=int(hidden), num_classes=int(num_classes))
        super().__init__(cfg, quant, (1, 1, features), rngs=rngs, beta=beta, arrays=arrays)


def create_model(
    model_cfg: ModelConfig,
    quant_cfg: QuantConfig,
    input_shape: Sequence[int],
    *,
    rngs: nnx.Rngs,
    arrays: Optional[LayerArrays] = None,
) -> nnx.Module:
    """Builds the network a config names.

    Args:
      model_cfg: ``name`` (``vgg8`` or ``mlp``), ``width``, ``hidden``, ``num_classes``.
      quant_cfg: WAGE bit widths.
      input_shape: ``(H, W, C)`` of one image.
      rngs: the ``params`` stream initialises the weights (and, with
        ``arrays.variation_sigma > 0``, each layer's conductance variation).
      arrays: the analog read of every layer (:func:`layer_arrays` of the
        config); None builds the float network.

    Returns:
      A :class:`VGG8` or :class:`MLP`.
    """
    if model_cfg.name == "vgg8":
        return VGG8(model_cfg.width, model_cfg.num_classes, quant_cfg, input_shape, rngs=rngs, arrays=arrays)
    if model_cfg.name == "mlp":
        return MLP(model_cfg.hidden, model_cfg.num_classes, quant_cfg, input_shape, rngs=rngs, arrays=arrays)
    raise ValueError(f"model.name must be one of ('vgg8', 'mlp'); got {model_cfg.name!r}")


def layer_arrays(config: Config) -> Optional[LayerArrays]:
    """The analog read settings of every CIM layer, or None for ``array.mode = 'ideal'``.

    The first layer reads the float (normalised) image in one analog read without an ADC
    (NeuroSim's conv1 path); later layers read the ReLU'd activations bit-serially through the
    configured ADC. Sub-array rows, ADC bits, cell bits and on/off ratio come from ``hardware``,
    input and weight bits from ``quant`` (the config checked they fit together when it was built).
    The transposed read of ``hw_full`` reads through the AG ADC: ``hardware.ag_adc_bits``
    (unset: ``adc_bits``; NeuroSim's ``levelOutputAG``), resolved by the build's one rule
    (:func:`cimjax.build.resolve`).
    """
    array, hw, q = config.array, config.hardware, config.quant
    if array.mode == "ideal":
        return None
    later = ArrayConfig(
        weight_bits=int(q.weight_bits), input_bits=int(q.activation_bits), cell_bits=hw.cell_bits,
        subarray_rows=hw.subarray_rows, adc_bits=hw.adc_bits, adc_mode=array.adc_mode, adc_range=array.adc_range,
        on_off_ratio=float(field_value(config, "hardware.on_off_ratio")), mapping=array.mapping,
        level_mapping=array.level_mapping, retention_time=float(array.retention_time),
        drift_v=float(array.drift_v), drift_mode=array.drift_mode,
    )
    first = dataclasses.replace(later, bit_serial=False, adc_mode="none")
    backward = {"hw_forward": "ste", "hw_full": "analog"}[array.mode]
    ag_bits = int(resolve({"adc_bits": hw.adc_bits, "ag_adc_bits": hw.ag_adc_bits})["ag_adc_bits"])
    transposed = later if ag_bits == later.adc_bits else dataclasses.replace(later, adc_bits=ag_bits)
    return LayerArrays(first=first, later=later, backward=backward, variation_sigma=float(array.variation_sigma),
                       later_transposed=transposed)
