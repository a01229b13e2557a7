"""A bare Flax + optax VGG-8 training step, with no cimjax code in it: the baseline the
device-aware step is compared against (issue 17: the ratio must not hide overhead that both
sides share).

NeuroSim V2.0's VGG-8 (conv 128, 128, M, 256, 256, M, 512, 512, M, FC 1024, FC classes; 3×3
'SAME' convolutions and fully connected layers without bias, ReLU, 2×2 max pools), channels
scaled by ``width`` with ``max(1, round(c·width))`` as cimjax does; float32, NHWC, SSE loss
on one-hot targets, SGD with momentum 0.9 (optax), the state donated to the jitted step.
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

PLAN = (128, 128, "M", 256, 256, "M", 512, 512, "M")


def _c(channels: int, width: float) -> int:
    return max(1, round(channels * width))


class BareVGG8(nn.Module):
    width: float = 1.0
    num_classes: int = 10

    @nn.compact
    def __call__(self, x):
        for item in PLAN:
            if item == "M":
                x = nn.max_pool(x, (2, 2), strides=(2, 2))
            else:
                x = nn.relu(nn.Conv(_c(item, self.width), (3, 3), padding="SAME", use_bias=False)(x))
        x = x.reshape((x.shape[0], -1))
        x = nn.relu(nn.Dense(_c(1024, self.width), use_bias=False)(x))
        return nn.Dense(self.num_classes, use_bias=False)(x)


def make_step(width: float, num_classes: int, input_shape: tuple[int, int, int], *, lr: float = 0.01,
              seed: int = 0) -> tuple[Any, Any]:
    """``(state, step)``: the initial ``(params, opt_state)`` and a jitted ``step(state, batch) ->
    (state, loss)`` that donates ``state``."""
    model = BareVGG8(width, num_classes)
    params = model.init(jax.random.key(seed), jnp.zeros((1, *input_shape), jnp.float32))
    tx = optax.sgd(lr, momentum=0.9)

    def loss_of(params, batch):
        logits = model.apply(params, batch["image"])
        target = jax.nn.one_hot(batch["label"], num_classes)
        return 0.5 * jnp.sum((logits - target) ** 2)

    def step(state, batch):
        params, opt_state = state
        loss, grads = jax.value_and_grad(loss_of)(params, batch)
        updates, opt_state = tx.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), loss

    return (params, tx.init(params)), jax.jit(step, donate_argnums=0)
