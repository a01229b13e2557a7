"""NeuroSim's device-aware weight update as optax transformations (docs/model.md §1.5, §2.4–§2.6).

* :func:`cimjax.optim.momentum.neurosim_momentum` is NeuroSim's velocity ``v ← γ·v + α·g`` (with the
  as-released in-place renormalisation, docs/model.md §1.5 "momentum subtlety", or plain).
* :func:`device_update` turns that velocity into the weight change a nonlinear,
  asymmetric, noisy synaptic device achieves (``QG`` then ``W`` on every tensor,
  :mod:`cimjax.optim.weight_change`), and returns
  ``w' − w`` so that ``optax.apply_updates(params, updates)`` gives ``w'``.
* :func:`neurosim_optimizer` chains the two, from the config sections.

NeuroSim's optimiser ``SGD(lr=1)`` is the identity; ``grad_scale`` is the ``lr`` of
``QG``, scheduled with :func:`cimjax.optim.momentum.step_decay_schedule`. Digital parameters (biases, norms)
can be kept on a plain optimiser with ``optax.partition``.
"""

from __future__ import annotations

from typing import NamedTuple, Optional, Union

import jax
import jax.numpy as jnp
import numpy as np
import optax

from cimjax import quant
from cimjax.config.schema import DeviceConfig, QuantConfig, TrainConfig
from cimjax.devices.nonlinear import C2C_MODES, NL_CLIP, sample_d2d_a
from cimjax.optim.momentum import neurosim_momentum
from cimjax.optim.weight_change import DeviceValue, tensor_update_static, tensor_update_traced

Array = jax.Array
ScalarOrSchedule = Union[float, optax.Schedule]

NO_PARAMS_MSG = (
    "device_update needs the current weights: call update(updates, state, params) with "
    "params, because the conductance change depends on the current conductance."
)


# --------------------------------------------------------------------------------------
# Device update
# --------------------------------------------------------------------------------------


class DeviceUpdateState(NamedTuple):
    """State of :func:`device_update`.

    Attributes:
      count: int32 scalar, updates done so far (the schedule's argument).
      rng_key: ``jax.random`` key, split on every update (SR uniforms, c2c normals).
      a_ltp: per-weight signed LTP curve constants in pulses, a pytree like the params;
        drawn once at ``init`` with device-to-device variation, then fixed, so
        checkpointing the state restores the same device population.
      a_ltd: same for LTD.
    """

    count: Array
    rng_key: Array
    a_ltp: optax.Params
    a_ltd: optax.Params


def _is_array(x) -> bool:
    """A JAX array or tracer (a traced device parameter), not a Python/numpy number."""
    return isinstance(x, (jax.Array, jax.core.Tracer))


def _concrete(x) -> Optional[np.ndarray]:
    """The value of ``x`` as a numpy array, or None for a tracer (not checkable)."""
    if isinstance(x, jax.core.Tracer):
        return None
    try:
        return np.asarray(x)
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):  # pragma: no cover
        return None


def _check_config(nl_ltp, nl_ltd, max_level, c2c_sigma, d2d_sigma, c2c_mode, weight_bits, gradient_bits):
    """Range checks at construction. Python values are checked as before; JAX arrays must be
    scalars, and their value is checked when concrete (skipped for tracers inside
    ``jit``/``vmap``)."""
    def values(name, v):
        if _is_array(v):
            if jnp.ndim(v) != 0:
                raise ValueError(f"{name} has shape {jnp.shape(v)}: expected a scalar (vmap over a batch of settings)")
            return _concrete(v)
        return v

    for name, nl in (("nl_ltp", nl_ltp), ("nl_ltd", nl_ltd)):
        v = values(name, nl)
        if v is not None and not -NL_CLIP <= float(v) <= NL_CLIP:
            raise ValueError(f"{name} = {nl!r} is invalid: expected a label in [-9, 9] (0 = linear)")
    if _is_array(max_level):
        v = values("max_level", max_level)
        if v is not None and not float(v) >= 1.0:
            raise ValueError(f"max_level = {max_level!r} is invalid: expected >= 1")
    elif isinstance(max_level, bool) or not isinstance(max_level, int) or max_level < 1:
        raise ValueError(f"max_level = {max_level!r} is invalid: expected an int >= 1")
    for name, s in (("c2c_sigma", c2c_sigma), ("d2d_sigma", d2d_sigma)):
        v = values(name, s)
        if v is not None and not float(v) >= 0.0:
            raise ValueError(f"{name} = {s!r} is invalid: expected >= 0")
    if c2c_mode not in C2C_MODES:
        raise ValueError(f"c2c_mode = {c2c_mode!r} is invalid: expected one of {C2C_MODES}")
    quant._check_bits(weight_bits)
    quant._check_bits(gradient_bits)


def device_update(
    learning_rate: ScalarOrSchedule = 1.0,
    *,
    key: jax.Array,
    nl_ltp: DeviceValue = 1.75,
    nl_ltd: DeviceValue = 1.46,
    max_level: DeviceValue = 32,
    c2c_sigma: DeviceValue = 0.003,
    d2d_sigma: DeviceValue = 0.0,
    c2c_mode: str = "per_update",
    weight_bits: quant.Bits = 5,
    gradient_bits: quant.Bits = 5,
    floor_to_grid: bool = True,
    clip_pulses: bool = False,
    ideal: bool = False,
) -> optax.GradientTransformationExtraArgs:
    """NeuroSim's device-aware update ``QG`` + ``W`` as an optax transformation.

    Source: docs/model.md §2.4 (QG), §2.5 (W), §2.6 (d2d); defaults = the DNN+NeuroSim V2.0 HZO
    FeFET run (NL 1.75/1.46, 32 levels, c2c 0.003, 5-bit weights and gradients).

    ``update(updates, state, params)`` takes the (momentum-processed) velocity ``x`` as
    ``updates`` and, for every leaf:

    1. ``d`` = :func:`device_weight_change` (steps 1–7; per-element ``A_LTP``/``A_LTD``
       from the state, d2d included);
    2. ``Δ = SR(d)/S(b_G)`` (step 8; SR uniforms from a key split off the state's key);
       float gradient bits skip SR and the scaling: ``Δ = d``;
    3. ``w' = C(w − Δ + ε·[Δ ≠ 0], b_W)`` with c2c noise ``ε ~ N(0, (2σ)²)``
       (``per_pulse``: σ·√|ΔP|); float weight bits clip to [−1, 1];
    4. returns ``w' − w``.

    ``optax.apply_updates(params, updates)`` then reproduces ``w'`` up to the rounding
    of that one addition (exact whenever ``w`` and ``w'`` are within a factor 2, as
    Sterbenz's lemma guarantees; at most 1 ulp otherwise).

    Traced device parameters. ``nl_ltp``, ``nl_ltd``, ``max_level``, ``c2c_sigma`` and
    ``d2d_sigma`` may each be a Python number or a scalar JAX array, also a tracer: build
    the transformation *inside* a jitted / vmapped function and ``init``/``update`` it
    there, e.g. ``jax.vmap(lambda nl, key: train(device_update(..., nl_ltp=nl, key=key)))``
    trains a batch of devices in one program (:mod:`cimjax.dse.device_map`). Python values
    keep the original path (``max_level`` and ``c2c_sigma`` static); an array
    ``max_level`` is used as a float (it only scales ``ΔP`` and the curve), an array
    ``c2c_sigma`` always adds the c2c term (zero noise for σ = 0). Both paths give the
    same numbers for the same values (``tests/dse/test_dse_device_map.py``).

    Args:
      learning_rate: NeuroSim's ``grad_scale`` (``lr`` of QG): a float or an optax
        schedule of the update count (see :func:`step_decay_schedule`).
      key: ``jax.random`` key; split into the d2d draw (at ``init``) and the per-step
        stream stored in the state. The same key gives the same device population.
      nl_ltp / nl_ltd: nonlinearity labels in [−9, 9] (0 = linear; opposite signs =
        asymmetric device); float or scalar array.
      max_level: ``L`` = pulses across the full conductance range (≥ 1); int or scalar
        array.
      c2c_sigma: cycle-to-cycle σ, fraction of the conductance range (≥ 0); float or
        scalar array.
      d2d_sigma: device-to-device σ of the labels, label units (≥ 0); float or scalar
        array.
      c2c_mode: ``per_update`` (NeuroSim V2.0) or ``per_pulse``.
      weight_bits / gradient_bits: ``b_W`` / ``b_G`` (int in [1, 16] or 32/None).
      floor_to_grid: NeuroSim's 0.01-grid NL lookup (True) or the continuous closed form.
      clip_pulses: clip pulse positions to [0, L] (NeuroSim does not).
      ideal: skip the device: ``d = lr·x̂`` exactly (WAGE's update); the labels and d2d
        are ignored (the state holds ``A = inf``).

    Returns:
      An ``optax.GradientTransformationExtraArgs`` with state :class:`DeviceUpdateState`.

    Raises:
      ValueError: at construction for an invalid setting (arrays: when concrete); at
        ``update`` if ``params`` is None.
    """
    _check_config(nl_ltp, nl_ltd, max_level, c2c_sigma, d2d_sigma, c2c_mode, weight_bits, gradient_bits)
    if ideal:
        nl_ltp, nl_ltd, d2d_sigma = 0.0, 0.0, 0.0
    # Array-valued L or σ_c2c: the traced leaf path (no static specialisation on them).
    traced = _is_array(max_level) or _is_array(c2c_sigma)
    key_d2d, key_run = jax.random.split(key)

    def init_fn(params):
        leaves, treedef = jax.tree.flatten(params)
        keys = jax.random.split(key_d2d, max(len(leaves), 1))
        pairs = [
            sample_d2d_a(
                k, jnp.shape(p), nl_ltp, nl_ltd, d2d_sigma, max_level,
                floor_to_grid=floor_to_grid, dtype=jnp.result_type(p),
            )
            for k, p in zip(keys, leaves)
        ]
        a_ltp = jax.tree.unflatten(treedef, [a for a, _ in pairs])
        a_ltd = jax.tree.unflatten(treedef, [a for _, a in pairs])
        return DeviceUpdateState(jnp.zeros((), jnp.int32), key_run, a_ltp, a_ltd)

    def update_fn(updates, state, params=None, **extra_args):
        del extra_args
        if params is None:
            raise ValueError(NO_PARAMS_MSG)
        lr = learning_rate(state.count) if callable(learning_rate) else learning_rate
        rng_key, key_sr, key_c2c = jax.random.split(state.rng_key, 3)
        leaves, treedef = jax.tree.flatten(updates)
        n = max(len(leaves), 1)
        keys_sr = jax.tree.unflatten(treedef, list(jax.random.split(key_sr, n))[: len(leaves)])
        keys_c2c = jax.tree.unflatten(treedef, list(jax.random.split(key_c2c, n))[: len(leaves)])

        def leaf(x, w, a_p, a_d, k_sr, k_c2c):
            if traced:
                return tensor_update_traced(
                    x, w, a_p, a_d, lr, k_sr, k_c2c, jnp.asarray(max_level, w.dtype),
                    jnp.asarray(c2c_sigma, w.dtype), weight_bits=weight_bits, gradient_bits=gradient_bits,
                    c2c_mode=c2c_mode, clip_pulses=clip_pulses, ideal=ideal, add_c2c=True,
                )
            return tensor_update_static(
                x, w, a_p, a_d, lr, k_sr, k_c2c, max_level=max_level, weight_bits=weight_bits,
                gradient_bits=gradient_bits, c2c_sigma=float(c2c_sigma), c2c_mode=c2c_mode,
                clip_pulses=clip_pulses, ideal=ideal,
            )

        new_updates = jax.tree.map(leaf, updates, params, state.a_ltp, state.a_ltd, keys_sr, keys_c2c)
        count = optax.safe_int32_increment(state.count)
        return new_updates, DeviceUpdateState(count, rng_key, state.a_ltp, state.a_ltd)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def neurosim_optimizer(
    device: Optional[DeviceConfig] = None,
    quant_cfg: Optional[QuantConfig] = None,
    train: Optional[TrainConfig] = None,
    learning_rate: Optional[ScalarOrSchedule] = None,
    *,
    key: jax.Array,
    floor_to_grid: bool = True,
    clip_pulses: bool = False,
    ideal: bool = False,
) -> optax.GradientTransformationExtraArgs:
    """NeuroSim V2.0's optimiser: ``optax.chain(neurosim_momentum, device_update)``.

    Source: docs/model.md §1.5 (per-batch flow) and §2.4–§2.6.

    Args:
      device: the device section (preset + overrides, ``d2d_sigma``, ``c2c_mode``);
        default ``DeviceConfig()`` (HZO FeFET).
      quant_cfg: bit widths; ``weight_bits`` and ``gradient_bits`` are used. Default
        ``QuantConfig()`` (5/5).
      train: momentum γ, α and ``momentum_renorm``; also ``learning_rate`` when the
        argument below is None. Default ``TrainConfig()``.
      learning_rate: ``grad_scale``, float or schedule (e.g. :func:`step_decay_schedule`);
        None takes ``train.learning_rate`` (constant).
      key: ``jax.random`` key for the device population and the update noise.
      floor_to_grid / clip_pulses / ideal: see :func:`device_update`.

    Returns:
      The chained transformation; its state is ``(NeuroSimMomentumState,
      DeviceUpdateState)``. Call ``update(grads, state, params)``.
    """
    device = DeviceConfig() if device is None else device
    quant_cfg = QuantConfig() if quant_cfg is None else quant_cfg
    train = TrainConfig() if train is None else train
    dev = device.resolved()
    lr = train.learning_rate if learning_rate is None else learning_rate
    return optax.chain(
        neurosim_momentum(train.momentum, train.alpha, train.momentum_renorm),
        device_update(
            lr,
            key=key,
            nl_ltp=dev.nl_ltp,
            nl_ltd=dev.nl_ltd,
            max_level=dev.max_level,
            c2c_sigma=dev.c2c_sigma,
            d2d_sigma=device.d2d_sigma,
            c2c_mode=device.c2c_mode,
            weight_bits=quant_cfg.weight_bits,
            gradient_bits=quant_cfg.gradient_bits,
            floor_to_grid=floor_to_grid,
            clip_pulses=clip_pulses,
            ideal=ideal,
        ),
    )
