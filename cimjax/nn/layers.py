"""CIM layers of the training path: NeuroSim's QConv2d / QLinear (``inference=0``).

Each layer is a thin Flax NNX shell around :mod:`cimjax.nn.wage`: it owns the stored
float weight (a :class:`CIMWeight`, named ``kernel``) and the static WAGE scale, and
computes ``WAGEQuantizer_f(op(x, wq) / s, b_A, b_E)`` (docs/model.md §1.3). There is no bias.

With an analog :class:`cimjax.analog.ArrayConfig` (``array=``), the product ``op(x, wq)``
is the analog array read (:func:`cimjax.analog.analog_dense` / ``analog_conv``) instead
of the float product; the WAGE weight path around it (``wq``, ``/ s``, the activation
quantiser) is unchanged. :func:`cimjax.nn.models.layer_arrays` builds the configurations from the
config sections.
"""

from __future__ import annotations

from typing import Optional

import jax
import jax.numpy as jnp
from flax import nnx

from cimjax.analog import ArrayConfig, analog_conv, analog_dense, cell_shape, draw_drift_sign, draw_variation
from cimjax.nn import wage
from cimjax.nn.wage import Bits

BACKWARDS = ("ste", "analog")


class CIMWeight(nnx.Param):
    """A weight stored in a CIM array (a conductance), as opposed to a digital parameter.

    A subclass of ``nnx.Param``, so ``nnx.Param`` filters (``nnx.Optimizer(...,
    wrt=nnx.Param)``, ``nnx.grad``) include it; :func:`cimjax.nn.cim_param_labels` uses
    the type to label parameters for ``optax.partition``.
    """


class CellVariation(nnx.Variable):
    """Static per-cell conductance variation ``ε`` of a layer's array (``g·(1 + ε)``).

    Deliberately not an ``nnx.Param``: optimisers and gradients filtered on ``nnx.Param``
    leave it alone. It is drawn once, at construction, from the ``params`` stream, so it
    is a deterministic function of the seed.
    """


class CellDriftSign(nnx.Variable):
    """Static per-cell retention drift direction ``s ∈ {−1, 0, +1}`` (``drift_mode='random'``).

    Like :class:`CellVariation`, not an ``nnx.Param``; drawn once, at construction, from the
    ``params`` stream (after the variation), only for ``array.drift_mode == 'random'``.
    """


def _setup_array(
    layer: nnx.Module,
    owner: str,
    array: Optional[ArrayConfig],
    backward: str,
    variation_sigma: float,
    w_shape: tuple[int, ...],
    rngs: nnx.Rngs,
    backward_array: Optional[ArrayConfig] = None,
) -> None:
    """Checks and stores a layer's analog read settings; draws its variation."""
    if array is not None and not isinstance(array, ArrayConfig):
        raise ValueError(f"{owner}.array must be a cimjax.analog.ArrayConfig or None; got {type(array).__name__}")
    if backward_array is not None and not isinstance(backward_array, ArrayConfig):
        raise ValueError(f"{owner}.backward_array must be a cimjax.analog.ArrayConfig or None; "
                         f"got {type(backward_array).__name__}")
    if backward not in BACKWARDS:
        raise ValueError(f"{owner}.backward must be one of {BACKWARDS}; got {backward!r}")
    if isinstance(variation_sigma, bool) or not isinstance(variation_sigma, (int, float)) or not variation_sigma >= 0:
        raise ValueError(f"{owner}.variation_sigma must be a number >= 0; got {variation_sigma!r}")
    layer.array = array
    layer.backward_array = backward_array
    layer.backward = backward
    layer.variation_sigma = float(variation_sigma)
    if array is not None and variation_sigma > 0:
        eps = draw_variation(rngs.params(), cell_shape(w_shape, array), float(variation_sigma))
        layer.variation = CellVariation(eps)
    else:
        layer.variation = None
    if array is not None and array.drift_mode == "random":
        layer.drift_sign = CellDriftSign(draw_drift_sign(rngs.params(), cell_shape(w_shape, array)))
    else:
        layer.drift_sign = None


def _tapped(y: jax.Array, tap: Optional[jax.Array]) -> jax.Array:
    """``y + tap`` (``y`` unchanged for ``tap`` None): the error tap of the ``stochastic`` update.

    ``tap`` is a zero array of ``y``'s shape that the caller differentiates the loss by, so its
    gradient is ``d = ∂L/∂y`` at ``y = op(x, wq)/s``, the input of WAGE's activation/error
    quantiser: ``d`` is the error after ``QE`` and the clip derivative, exactly the error the
    weight gradient is made of (``∂L/∂kernel = Σ x ⊗ d`` over samples and patch positions; the
    scale ``s`` of ``wq`` cancels the ``1/s``). Same gradient pass, no second backward. This is
    what Flax's ``Module.perturb`` does, but as an argument, so no variable whose shape is one
    batch's lives in the model state (docs/algorithms.md "Update modes").
    """
    return y if tap is None else y + tap.astype(y.dtype)


def _variation(layer: nnx.Module) -> Optional[jax.Array]:
    return None if layer.variation is None else layer.variation[...]


def _drift_sign(layer: nnx.Module) -> Optional[jax.Array]:
    return None if getattr(layer, "drift_sign", None) is None else layer.drift_sign[...]


class CIMConv(nnx.Module):
    """3×3 (or K×K) convolution on a CIM array, stride 1, 'SAME' padding, no bias.

    Attributes:
      kernel: the stored float weight, ``(K, K, in_ch, out_ch)`` (HWIO), a
        :class:`CIMWeight`.
      scale: the WAGE per-layer scale ``s`` (static Python float, a power of two).
      in_ch, out_ch, kernel_size, weight_bits, act_bits, err_bits: static.
      array, backward, variation_sigma: the analog read (static; ``array`` None = ideal).
      variation: a :class:`CellVariation` of ``cell_shape(kernel.shape, array)``, or None.
      drift_sign: a :class:`CellDriftSign` of the same shape (``drift_mode='random'``), or None.
    """

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        kernel: int = 3,
        *,
        weight_bits: Bits,
        act_bits: Bits,
        err_bits: Bits,
        beta: Optional[float] = None,
        clip_weight: bool = False,
        precision: Optional[jax.lax.Precision] = None,
        array: Optional[ArrayConfig] = None,
        backward: str = "ste",
        variation_sigma: float = 0.0,
        backward_array: Optional[ArrayConfig] = None,
        rngs: nnx.Rngs,
    ):
        """Builds the layer with the WAGE initialiser (docs/model.md §1.2).

        Args:
          in_ch: input channels.
          out_ch: output channels.
          kernel: kernel size K (NeuroSim: 3).
          weight_bits: ``b_W`` (int in [1, 16], or 32 / None for float).
          act_bits: ``b_A`` of the output quantiser.
          err_bits: ``b_E`` of the output quantiser's backward pass.
          beta: override WAGE β (see :func:`cimjax.nn.wage.wage_beta`).
          clip_weight: clip the weight before ``Q`` in the forward pass (not NeuroSim).
          precision: conv precision (None = JAX default; ideal path only).
          array: analog read of ``conv(x, wq)`` (None: the float product).
          backward: ``'ste'`` or ``'analog'`` (see :func:`cimjax.analog.analog_conv`).
          variation_sigma: σ of the static conductance variation (analog read only).
          backward_array: the transposed read's configuration with ``backward = 'analog'``
            (its ADC: NeuroSim's ``levelOutputAG``); None = ``array``.
          rngs: the ``params`` stream draws the initial weight, then the variation.
        """
        for name, value in (("in_ch", in_ch), ("out_ch", out_ch), ("kernel", kernel)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"CIMConv.{name} must be a positive int; got {value!r}")
        self.in_ch = in_ch
        self.out_ch = out_ch
        self.kernel_size = kernel
        self.weight_bits = wage.check_bits("weight_bits", weight_bits)
        self.act_bits = wage.check_bits("act_bits", act_bits)
        self.err_bits = wage.check_bits("err_bits", err_bits)
        self.clip_weight = clip_weight
        self.precision = precision
        self.scale, limit = wage.wage_scale_limit(in_ch * kernel * kernel, self.weight_bits, beta)
        shape = (kernel, kernel, in_ch, out_ch)
        self.kernel = CIMWeight(wage.wage_uniform_init(rngs.params(), shape, limit))
        _setup_array(self, "CIMConv", array, backward, variation_sigma, shape, rngs, backward_array)

    def __call__(self, x: jax.Array, tap: Optional[jax.Array] = None) -> jax.Array:
        """Applies the layer.

        Args:
          x: ``(N, H, W, in_ch)``.
          tap: None, or zeros of the output's shape added to ``op(x, wq)/s`` before the
            activation/error quantiser (see :func:`_tapped`): its gradient is the layer's ``d``.

        Returns:
          The quantised output, ``(N, H, W, out_ch)``.
        """
        if self.array is not None:
            wq = wage.wage_quantize_weight(self.kernel[...], self.scale, self.weight_bits, clip=self.clip_weight)
            y = analog_conv(x, wq, self.array, variation=_variation(self), drift_sign=_drift_sign(self),
                            backward=self.backward, backward_cfg=self.backward_array)
            y = y / jnp.asarray(self.scale, dtype=y.dtype)
            return wage.wage_quantize_activation(_tapped(y, tap), self.act_bits, self.err_bits)
        y = wage.wage_conv(
            x,
            self.kernel[...],
            self.scale,
            self.weight_bits,
            clip_weight=self.clip_weight,
            precision=self.precision,
        )
        return wage.wage_quantize_activation(_tapped(y, tap), self.act_bits, self.err_bits)


class CIMDense(nnx.Module):
    """Fully connected layer on a CIM array, no bias.

    Attributes:
      kernel: the stored float weight, ``(in_f, out_f)``, a :class:`CIMWeight`.
      scale: the WAGE per-layer scale ``s`` (static Python float).
      in_f, out_f, weight_bits, act_bits, err_bits: static.
      array, backward, variation_sigma: the analog read (static; ``array`` None = ideal).
      variation: a :class:`CellVariation` of ``cell_shape(kernel.shape, array)``, or None.
      drift_sign: a :class:`CellDriftSign` of the same shape (``drift_mode='random'``), or None.
    """

    def __init__(
        self,
        in_f: int,
        out_f: int,
        *,
        weight_bits: Bits,
        act_bits: Bits,
        err_bits: Bits,
        beta: Optional[float] = None,
        clip_weight: bool = False,
        precision: Optional[jax.lax.Precision] = None,
        array: Optional[ArrayConfig] = None,
        backward: str = "ste",
        variation_sigma: float = 0.0,
        backward_array: Optional[ArrayConfig] = None,
        rngs: nnx.Rngs,
    ):
        """Builds the layer with the WAGE initialiser (docs/model.md §1.2).

        Args:
          in_f: input features.
          out_f: output features.
          weight_bits: ``b_W`` (int in [1, 16], or 32 / None for float).
          act_bits: ``b_A`` of the output quantiser (NeuroSim's last layer: float).
          err_bits: ``b_E`` of the output quantiser's backward pass.
          beta: override WAGE β (see :func:`cimjax.nn.wage.wage_beta`).
          clip_weight: clip the weight before ``Q`` in the forward pass (not NeuroSim).
          precision: matmul precision (None = JAX default; ideal path only).
          array: analog read of ``x @ wq`` (None: the float product).
          backward: ``'ste'`` or ``'analog'`` (see :func:`cimjax.analog.analog_dense`).
          variation_sigma: σ of the static conductance variation (analog read only).
          backward_array: the transposed read's configuration with ``backward = 'analog'``
            (its ADC: NeuroSim's ``levelOutputAG``); None = ``array``.
          rngs: the ``params`` stream draws the initial weight, then the variation.
        """
        for name, value in (("in_f", in_f), ("out_f", out_f)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"CIMDense.{name} must be a positive int; got {value!r}")
        self.in_f = in_f
        self.out_f = out_f
        self.weight_bits = wage.check_bits("weight_bits", weight_bits)
        self.act_bits = wage.check_bits("act_bits", act_bits)
        self.err_bits = wage.check_bits("err_bits", err_bits)
        self.clip_weight = clip_weight
        self.precision = precision
        self.scale, limit = wage.wage_scale_limit(in_f, self.weight_bits, beta)
        self.kernel = CIMWeight(wage.wage_uniform_init(rngs.params(), (in_f, out_f), limit))
        _setup_array(self, "CIMDense", array, backward, variation_sigma, (in_f, out_f), rngs, backward_array)

    def __call__(self, x: jax.Array, tap: Optional[jax.Array] = None) -> jax.Array:
        """Applies the layer.

        Args:
          x: ``(N, in_f)``.
          tap: None, or zeros ``(N, out_f)`` added to ``x @ wq / s`` before the quantiser
            (see :func:`_tapped`): its gradient is the layer's ``d``.

        Returns:
          The quantised output, ``(N, out_f)``.
        """
        if self.array is not None:
            wq = wage.wage_quantize_weight(self.kernel[...], self.scale, self.weight_bits, clip=self.clip_weight)
            y = analog_dense(x, wq, self.array, variation=_variation(self), drift_sign=_drift_sign(self),
                             backward=self.backward, backward_cfg=self.backward_array)
            y = y / jnp.asarray(self.scale, dtype=y.dtype)
            return wage.wage_quantize_activation(_tapped(y, tap), self.act_bits, self.err_bits)
        y = wage.wage_dense(
            x,
            self.kernel[...],
            self.scale,
            self.weight_bits,
            clip_weight=self.clip_weight,
            precision=self.precision,
        )
        return wage.wage_quantize_activation(_tapped(y, tap), self.act_bits, self.err_bits)


def cim_param_labels(
    tree,
    *,
    wrt: nnx.filterlib.Filter = nnx.Param,
    cim: str = "cim",
    digital: str = "digital",
):
    """Labels each parameter as a CIM weight or a digital parameter, for ``optax.partition``.

    A parameter is ``cim`` when it is a :class:`CIMWeight` (every ``kernel`` of a CIM
    layer) and ``digital`` otherwise (biases, norms, ... of future non-CIM layers). The
    decision uses the variable type, not names, so it is generic.

    Typical use with flax NNX (``tx.update`` sees plain arrays, so pass the labels tree,
    not this function, to ``optax.partition``)::

        labels = cim_param_labels(model)
        tx = optax.partition({"cim": device_tx, "digital": optax.sgd(1e-2)}, labels)
        optimizer = nnx.Optimizer(model, tx, wrt=nnx.Param)

    Args:
      tree: an ``nnx.Module``, or a state holding ``nnx.Variable`` s (e.g.
        ``nnx.state(model, nnx.Param)``). Plain array trees carry no type and are
        rejected.
      wrt: the filter that selects parameters from a module (default ``nnx.Param``).
      cim: label for CIM weights.
      digital: label for the other parameters.

    Returns:
      A tree with the structure of ``nnx.as_pure(nnx.state(model, wrt))`` whose leaves
      are the label strings.

    Raises:
      TypeError: if ``tree`` holds leaves that are not ``nnx.Variable`` s.
    """
    if isinstance(tree, nnx.Module):
        tree = nnx.state(tree, wrt)

    def is_var(x) -> bool:
        return isinstance(x, nnx.Variable)

    def label(x) -> str:
        if not is_var(x):
            raise TypeError(
                "cim_param_labels needs a module or a state of nnx.Variables (the variable type "
                f"says what is a CIM weight); got a leaf of type {type(x).__name__}"
            )
        return cim if isinstance(x, CIMWeight) else digital

    return jax.tree.map(label, tree, is_leaf=is_var)


#: Alias of :func:`cim_param_labels`.
cim_kernel_labels = cim_param_labels
