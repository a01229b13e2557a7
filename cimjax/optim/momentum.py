"""NeuroSim's momentum and learning-rate schedule as optax pieces (docs/model.md §1.5).

* :func:`neurosim_momentum`: the velocity ``v ← γ·v + α·g`` with the as-released in-place
  renormalisation (docs/model.md §1.5 "momentum subtlety"), or plain;
* :func:`reset_momentum`: NeuroSim zeroes the velocity at the start of every epoch;
* :func:`step_decay_schedule`: ``grad_scale`` divided by a factor at given epochs.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import optax

from cimjax import quant

Array = jax.Array


class NeuroSimMomentumState(NamedTuple):
    """State of :func:`neurosim_momentum`.

    Attributes:
      velocity: the last velocity ``v_t`` (a pytree like the params), *before*
        renormalisation; zeros after ``init`` and after :func:`reset_momentum`.
    """

    velocity: optax.Updates


def _renorm(v: Array) -> Array:
    if v.size == 0:
        return v
    return v / quant.shift(jnp.max(jnp.abs(v)))


def neurosim_momentum(
    gamma: float = 0.9, alpha: float = 0.1, renorm: bool = True
) -> optax.GradientTransformation:
    """NeuroSim's velocity ``v_t = γ·v_{t−1}' + α·g_t``; the output is ``v_t``.

    Source: docs/model.md §1.5 (``train.py``; γ = 0.9, α = 0.1).

    * ``renorm=True`` (NeuroSim *as released*; the default): QG divides the velocity
      tensor in place by ``shift(max|v|)``, so the history term is the renormalised
      previous velocity, ``v_{t−1}' = v_{t−1}/shift(max|v_{t−1}|)`` (per tensor). Its
      maximum then lies in [0.64, 1.27]·γ whatever the gradient scale.
    * ``renorm=False``: plain momentum, ``v_{t−1}' = v_{t−1}``.

    The state stores ``v_t`` unnormalised and applies the renormalisation at the next
    step; this equals NeuroSim's in-place division (``shift`` of an already normalised
    tensor is 1). An all-zero velocity stays zero (``shift(0) = 1``). NeuroSim resets the
    velocity at every epoch: use :func:`reset_momentum`.

    Args:
      gamma: momentum γ, in [0, 1).
      alpha: gradient weight α, > 0.
      renorm: NeuroSim's in-place renormalisation (True) or plain momentum (False).

    Returns:
      An ``optax.GradientTransformation`` (params are not used).
    """

    def init_fn(params):
        return NeuroSimMomentumState(jax.tree.map(jnp.zeros_like, params))

    def update_fn(updates, state, params=None):
        del params

        def step(g, v):
            prev = _renorm(v) if renorm else v
            return (gamma * prev + alpha * g).astype(g.dtype)

        v = jax.tree.map(step, updates, state.velocity)
        return v, NeuroSimMomentumState(v)

    return optax.GradientTransformation(init_fn, update_fn)


def reset_momentum(opt_state: Any) -> Any:
    """Zeroes every :class:`NeuroSimMomentumState` velocity found in ``opt_state``.

    NeuroSim resets the velocity at the start of every epoch (docs/model.md §1.5). Other states
    (the device population, counters, keys) are left untouched.

    Args:
      opt_state: any optimiser state pytree (e.g. from :func:`neurosim_optimizer`, or a
        ``optax.partition`` state containing one).

    Returns:
      The same structure with zero velocities.
    """

    def reset(node):
        if isinstance(node, NeuroSimMomentumState):
            return NeuroSimMomentumState(jax.tree.map(jnp.zeros_like, node.velocity))
        return node

    return jax.tree.map(reset, opt_state, is_leaf=lambda n: isinstance(n, NeuroSimMomentumState))


def step_decay_schedule(
    learning_rate: float, decay_epochs: Sequence[int], factor: float, steps_per_epoch: int
) -> optax.Schedule:
    """``learning_rate`` divided by ``factor`` at each epoch of ``decay_epochs``.

    Source: docs/model.md §1.5 (``grad_scale`` 1 → 1/8 → 1/64 at epochs 200 and 250). Epoch ``e``
    (0-based) starts at update count ``e·steps_per_epoch``; the division applies from
    that count on. The values equal ``optax.piecewise_constant_schedule(learning_rate,
    {e·steps_per_epoch: 1/factor})``; this version also works under
    ``jax_numpy_dtype_promotion="strict"`` (optax's mixes the int count with floats).

    Args:
      learning_rate: initial value (NeuroSim's ``grad_scale``; 1).
      decay_epochs: increasing epoch indices.
      factor: divisor per boundary (> 0; NeuroSim 8).
      steps_per_epoch: optimiser updates per epoch (≥ 1).

    Returns:
      An optax schedule: update count (int) → learning rate (float scalar).
    """
    if steps_per_epoch < 1:
        raise ValueError(f"steps_per_epoch = {steps_per_epoch!r} is invalid: expected >= 1")
    if factor <= 0:
        raise ValueError(f"factor = {factor!r} is invalid: expected > 0")
    boundaries = tuple(sorted(int(e) * int(steps_per_epoch) for e in decay_epochs))

    def schedule(count):
        dtype = jnp.result_type(float)
        passed = jnp.sum(jnp.asarray(count, jnp.int32) >= jnp.asarray(boundaries, jnp.int32))
        return learning_rate * jnp.power(jnp.asarray(1.0 / factor, dtype), passed.astype(dtype))

    return schedule
