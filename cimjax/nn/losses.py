"""Training losses: NeuroSim's SSE (docs/model.md §1.4) and softmax cross-entropy.

Every loss has the signature ``loss(logits, labels, num_classes=None) -> scalar`` with
``logits`` of shape ``(N, K)`` and integer ``labels`` of shape ``(N,)``.
"""

from __future__ import annotations

from typing import Callable, Optional

import jax
import jax.numpy as jnp
import optax

LossFn = Callable[..., jax.Array]


def _num_classes(logits: jax.Array, num_classes: Optional[int]) -> int:
    k = logits.shape[-1]
    if num_classes is not None and int(num_classes) != k:
        raise ValueError(f"num_classes={num_classes} does not match logits.shape[-1]={k}")
    return k


def sse_loss(logits: jax.Array, labels: jax.Array, num_classes: Optional[int] = None) -> jax.Array:
    """NeuroSim's loss: ``0.5 · Σ_batch Σ_classes (logits − onehot(labels))²``.

    Summed over the batch, not averaged, and no softmax (docs/model.md §1.4).

    Args:
      logits: ``(N, K)``.
      labels: integer class indices, ``(N,)``.
      num_classes: K; None takes it from ``logits``.

    Returns:
      Scalar loss, dtype of ``logits``.
    """
    k = _num_classes(logits, num_classes)
    onehot = jax.nn.one_hot(labels, k, dtype=logits.dtype)
    return 0.5 * jnp.sum(jnp.square(logits - onehot))


def cross_entropy_loss(logits: jax.Array, labels: jax.Array, num_classes: Optional[int] = None) -> jax.Array:
    """Softmax cross-entropy, averaged over the batch.

    Args:
      logits: ``(N, K)``.
      labels: integer class indices, ``(N,)``.
      num_classes: K; None takes it from ``logits`` (only checked).

    Returns:
      Scalar loss.
    """
    _num_classes(logits, num_classes)
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, labels))


LOSSES: dict[str, LossFn] = {"sse": sse_loss, "cross_entropy": cross_entropy_loss}


def loss_fn(name: str) -> LossFn:
    """Looks a loss up by its config name (``model.loss``).

    Args:
      name: ``sse`` or ``cross_entropy``.

    Returns:
      The loss function.

    Raises:
      ValueError: for an unknown name, listing the valid ones.
    """
    try:
        return LOSSES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown loss {name!r}; choose one of {tuple(LOSSES)}") from None
