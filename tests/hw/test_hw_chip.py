"""Chip roll-up (cimjax.hw.chip): JAX transforms, monotonicity.

The transform checks run on a small two-layer network (a 16×16×16 → 32 conv with pooling and
an FC layer) to keep compile times down; the golden VGG-8 numbers are in ``test_hw_golden.py``.
(An FC-only network makes the WG unit degenerate: its farm is sized ⌊windows/128⌋ = 0 arrays
for 1 window, NaN WG figures, as NeuroSim's own sizing would.)
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from helpers import x64
from cimjax.hw import chip
from cimjax import host_eval, trace as trace_lib
from cimjax.hw.network import LayerShape

LAYERS = (LayerShape(16, 16, 16, 3, 3, 32, True), LayerShape(1, 1, 2048, 1, 1, 10, False))


def _trace(read_occupancy=(0.8, 0.7)):
    return trace_lib.make_trace([0.3, 0.2], 0.5, [400.0, 100.0], [900.0, 150.0], [0.6, 0.4], [0.2, 0.1],
                                read_occupancy=read_occupancy)


def _total_energy(est):
    return est.fw.energy + est.ag.energy + est.wg.energy + est.wu.energy


def _host(params, config, trace):
    """One estimate evaluated on the host (cimjax.host_eval, the path `cimjax estimate` takes):
    seconds, where an eager op-by-op estimate takes about half a minute of dispatch."""
    return host_eval.call(lambda p, t: chip.estimate(p, config, t), params, trace)


@functools.lru_cache(maxsize=4)
def _jitted(config):
    return jax.jit(functools.partial(chip.estimate, config=config))


@pytest.mark.slow  # two XLA compiles of the whole estimate (1–4 min on 2 shared cores)
def test_jit_equals_eager_and_vmap_equals_loop():
    config = chip.ChipConfig(LAYERS)
    params, trace = chip.default_params(), _trace()
    f = _jitted(config)
    jit_est = f(params, trace=trace)
    eager = chip.estimate(params, config, trace)
    for a, b in zip(jax.tree.leaves(jit_est), jax.tree.leaves(eager)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=2e-5, atol=0)
    # vmap over three read voltages == a loop of the jitted estimate.
    volts = jnp.asarray([0.4, 0.5, 0.6])

    def with_v(v):
        return params._replace(subarray=params.subarray._replace(read_voltage=v))

    vm = jax.vmap(lambda v: f(with_v(v), trace=trace))(volts)
    for i, v in enumerate(volts):
        one = f(with_v(v), trace=trace)
        for a, b in zip(jax.tree.leaves(vm), jax.tree.leaves(one)):
            np.testing.assert_allclose(np.asarray(a)[i], np.asarray(b), rtol=2e-5)
    assert float(vm.fw.energy[2]) != pytest.approx(float(vm.fw.energy[0]), rel=1e-3)


@pytest.mark.slow  # float64 compiles of the estimate and its gradient (about 1 min)
def test_grad_total_energy_matches_finite_differences():
    with x64():
        config = chip.ChipConfig(LAYERS, mode="relaxed")
        trace = jax.tree.map(lambda x: jnp.asarray(x, jnp.float64), _trace())

        def energy(x):
            p = chip.default_params()
            p = p._replace(
                subarray=p.subarray._replace(read_voltage=x[0], r_on=x[1]),
                circuit=p.circuit._replace(clock_hz=x[2]),
            )
            return _total_energy(chip.estimate(p, config, trace))

        x0 = jnp.asarray([0.5, 100e3, 1e9], jnp.float64)
        f = jax.jit(energy)
        g = np.asarray(jax.jit(jax.grad(energy))(x0))
        assert np.all(np.isfinite(g))
        for i in range(3):
            h = 1e-4 * float(x0[i])
            e = np.zeros(3)
            e[i] = h
            fd = (float(f(x0 + e)) - float(f(x0 - e))) / (2 * h)
            assert g[i] == pytest.approx(fd, rel=1e-4, abs=1e-12 * abs(float(f(x0))) / float(x0[i]))


def test_monotonic_in_adc_bits_and_node():
    config = chip.ChipConfig(LAYERS)
    trace = _trace()
    base = chip.default_params()
    low = _host(base._replace(subarray=base.subarray._replace(adc_levels=16.0)), config, trace)
    high = _host(base, config, trace)
    assert float(high.area.adc) > float(low.area.adc)
    assert float(high.breakdown.adc.energy) > float(low.breakdown.adc.energy)
    big = base._replace(circuit=base.circuit._replace(node_nm=45.0))
    est_big = _host(big, config, trace)
    assert float(est_big.area.total) > float(high.area.total)


def test_read_occupancy_sets_only_the_adc_energy():
    """Empty reads (trace.read_occupancy < 1) cost the sub-array MLSA almost nothing: the ADC
    energy drops roughly in proportion, latency and every other energy bucket stay."""
    config = chip.ChipConfig(LAYERS)
    params = chip.default_params()
    full = _host(params, config, _trace((1.0, 1.0)))
    half = _host(params, config, _trace((0.5, 0.5)))
    adc_full, adc_half = float(full.breakdown.adc.energy), float(half.breakdown.adc.energy)
    assert 0.4 * adc_full < adc_half < 0.75 * adc_full
    for name in ("accumulation", "array", "buffer", "interconnect", "dram"):
        assert float(getattr(half.breakdown, name).energy) == pytest.approx(
            float(getattr(full.breakdown, name).energy), rel=1e-5), name
    assert float(half.wg.energy) == pytest.approx(float(full.wg.energy), rel=1e-6)
    assert float(half.wu.energy) == pytest.approx(float(full.wu.energy), rel=1e-6)
    assert float(half.fw.energy) < float(full.fw.energy) and float(half.ag.energy) < float(full.ag.energy)


@pytest.mark.slow  # a vmapped and a differentiated compile of the estimate
def test_read_occupancy_vmaps_and_differentiates():
    config = chip.ChipConfig(LAYERS)
    params, base = chip.default_params(), _trace((1.0, 1.0))
    f = _jitted(config)

    def adc(o):
        return f(params, trace=base._replace(read_occupancy=o)).breakdown.adc.energy

    occs = jnp.asarray([[1.0, 1.0], [0.8, 0.7], [0.5, 0.5]])
    vm = np.asarray(jax.vmap(adc)(occs))
    loop = [float(adc(o)) for o in occs]
    np.testing.assert_allclose(vm, loop, rtol=2e-5)
    assert vm[0] > vm[1] > vm[2]
    g = np.asarray(jax.grad(adc)(jnp.asarray([0.8, 0.7])))
    assert np.all(np.isfinite(g)) and np.all(g > 0)


def test_config_errors():
    with pytest.raises(ValueError, match="ChipConfig.dram"):
        chip.ChipConfig(LAYERS, dram="ddr4")
    with pytest.raises(ValueError, match="ops_per_mac"):
        chip.ChipConfig(LAYERS, ops_per_mac=3)
    with pytest.raises(ValueError, match="layers"):
        chip.ChipConfig(())
