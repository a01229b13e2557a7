"""WAGE-quantised compute-in-memory layers and networks (Flax NNX), docs/model.md §1 and §4.1.

The quantiser math is pure ``jax.numpy`` in :mod:`cimjax.nn.wage`; the layers in
:mod:`cimjax.nn.layers` are thin NNX shells around it; :mod:`cimjax.nn.models` builds
VGG-8 and an MLP; :mod:`cimjax.nn.losses` holds the SSE and cross-entropy losses.
"""

from cimjax.nn.layers import (
    CIMConv as CIMConv,
    CIMDense as CIMDense,
    CIMWeight as CIMWeight,
    cim_kernel_labels as cim_kernel_labels,
    cim_param_labels as cim_param_labels,
)
from cimjax.nn.losses import (
    cross_entropy_loss as cross_entropy_loss,
    loss_fn as loss_fn,
    sse_loss as sse_loss,
)
from cimjax.nn.models import MLP as MLP, VGG8 as VGG8, create_model as create_model, layer_arrays as layer_arrays
from cimjax.nn.wage import (
    NEUROSIM_HAND_BETA as NEUROSIM_HAND_BETA,
    wage_beta as wage_beta,
    wage_conv as wage_conv,
    wage_dense as wage_dense,
    wage_quantize_activation as wage_quantize_activation,
    wage_quantize_weight as wage_quantize_weight,
    wage_scale_limit as wage_scale_limit,
    wage_uniform_init as wage_uniform_init,
)

__all__ = [
    "CIMConv",
    "CIMDense",
    "CIMWeight",
    "MLP",
    "NEUROSIM_HAND_BETA",
    "VGG8",
    "cim_kernel_labels",
    "cim_param_labels",
    "create_model",
    "layer_arrays",
    "cross_entropy_loss",
    "loss_fn",
    "sse_loss",
    "wage_beta",
    "wage_conv",
    "wage_dense",
    "wage_quantize_activation",
    "wage_quantize_weight",
    "wage_scale_limit",
    "wage_uniform_init",
]
