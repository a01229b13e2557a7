"""How fast many small trainings run: the member-execution methods the paper study chooses
between (benchmarks/README.md, "Many small trainings").

    python -m cimjax.study.speed WIDTH STEPS MEMBERS METHODS    # e.g. 0.125 10 4 single,stepwise,lmap,vmap

Trains ``MEMBERS`` members (asymmetric NL ±1, ±2, …, 32 states, c2c 1 %) of VGG-8 ×``WIDTH`` on the
embedded Fashion-MNIST (batch 100, one epoch of ``STEPS`` steps, 200 test images) with
:mod:`cimjax.dse.device_train`'s member program, by each method: ``single`` (one compiled member
program called per member, device values traced: the whole run one ``lax.scan``), ``stepwise``
(:class:`cimjax.dse.device_train.StepwiseProgram`: one compiled step called per step, the study's
``loop`` method), ``lmap`` (``lax.map`` over the members in one program), ``vmap`` (one vmapped
program). Prints the first call (compile and run) and a second,
compiled call per method.
"""

from __future__ import annotations

import sys
import time

import jax
import jax.numpy as jnp


def measure(width: float, steps: int, members: int, methods) -> list[dict]:
    from cimjax.config import Config, DataConfig, DeviceConfig, ModelConfig, RunConfig, TrainConfig
    from cimjax.dse import device_train as dt

    cfg = Config(data=DataConfig(name="fashion_mnist_embedded", batch_size=100, eval_batch_size=200, num_test=200),
                 model=ModelConfig(name="vgg8", width=width), device=DeviceConfig(name="fefet_hzo"),
                 train=TrainConfig(epochs=1, steps_per_epoch=steps, lr_decay_epochs=()),
                 run=RunConfig(seed=0, estimate_each_epoch=False))
    s = dt.setup_for(cfg)
    dtype = jnp.result_type(float)
    devs = [{"nl_ltp": jnp.asarray(1.0 + i, dtype), "nl_ltd": jnp.asarray(-1.0 - i, dtype),
             "max_level": jnp.asarray(32, jnp.int32), "c2c_sigma": jnp.asarray(0.01, dtype),
             "d2d_sigma": jnp.asarray(0.0, dtype)} for i in range(members)]
    p0 = [s.seed_params(0, True) for _ in range(members)]
    keys = [s.member_keys(i, True)[1] for i in range(members)]

    def stack(trees):
        return jax.tree.map(lambda *x: jnp.stack(x), *trees)

    def member(p, d, k, data):
        return s.train_member(p, d, k, data, ideal=False)

    out = []
    for method in methods:
        if method == "stepwise":
            prog = dt.StepwiseProgram(s, False, batched=False)
            image = jnp.asarray(s.test_images[0])

            def call():
                return [prog(p0[i], devs[i], keys[i], s.data, image) for i in range(members)]
        elif method == "single":
            fn = jax.jit(member)

            def call():
                return [fn(p0[i], devs[i], keys[i], s.data) for i in range(members)]
        elif method in ("vmap", "lmap"):
            args = (stack(p0), stack(devs), jnp.stack(keys), s.data)
            fn = (jax.jit(jax.vmap(member, in_axes=(0, 0, 0, None))) if method == "vmap" else
                  jax.jit(lambda P, D, K, data: jax.lax.map(lambda a: member(a[0], a[1], a[2], data), (P, D, K))))

            def call():
                return fn(*args)
        else:
            raise ValueError(f"method {method!r} is invalid: expected single, stepwise, lmap or vmap")
        t0 = time.perf_counter()
        jax.block_until_ready(call())
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        jax.block_until_ready(call())
        run = time.perf_counter() - t0
        row = {"method": method, "width": width, "members": members, "steps": steps, "first_call_s": first,
               "run_s": run, "member_step_s": run / (members * steps)}
        print(f"{method}: width {width} members {members} steps {steps}: first call (compile+run) {first:.1f} s, "
              f"run {run:.2f} s = {row['member_step_s']:.3f} s/member-step", flush=True)
        out.append(row)
    return out


if __name__ == "__main__":
    measure(float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].split(","))
