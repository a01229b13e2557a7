"""A TT transfer read touches only its column (issue 16: the O(n_out) read and commit): after a
gradient update of ``m`` reads, the columns read are those from the pointer on, every other column
of ``C``, ``H`` and AGAD's statistics is unchanged, and each read column of ``C`` is what TTv2's
threshold commit gives when written as a full-matrix pulse train (noise-free device)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cimjax.devices.protocol import PulsedDevice, SoftBounds, apply_pulses, read
from cimjax.optim.analog_algorithms import AnalogAlgorithm, init_state, step_gradient

# Asymmetric soft bounds with device-to-device spread, no cycle-to-cycle noise (so a commit is
# deterministic and can be recomputed).
DEV = PulsedDevice(model=SoftBounds(), dw_min=0.05, up_down=0.2, up_down_dtod=0.05, w_min_dtod=0.1,
                   w_max_dtod=0.1, dw_min_dtod=0.1, reference_std=0.05)


def _setup(name, reads=3, n_out=5, n_in=7, **changes):
    alg = AnalogAlgorithm.defaults(name, lr=50.0, mat_vecs=reads, update_mode="expected", **changes)
    k_w, k_g, k_s = jax.random.split(jax.random.key(3), 3)
    w0 = 0.3 * jax.random.normal(k_w, (n_out, n_in))
    g = jax.random.normal(k_g, (n_out, n_in))
    state = init_state(alg, DEV, None, k_s, w0)
    state = state._replace(pointer=jnp.asarray(n_in - 1, jnp.int32))  # the reads wrap around
    return alg, state, g


@pytest.mark.parametrize("name", ["ttv1", "ttv2", "cttv2", "agad"])
def test_only_the_read_columns_change(name):
    alg, state, g = _setup(name)
    new = step_gradient(alg, DEV, None, state, g)
    n_in = state.c.shape[1]
    read_cols = [(int(state.pointer) + r) % n_in for r in range(3)]
    assert int(new.pointer) == (int(state.pointer) + 3) % n_in
    assert float(new.counts.reads) == 3.0
    others = [j for j in range(n_in) if j not in read_cols]
    arrays = [("c", state.c, new.c)] + ([("h", state.h, new.h)] if state.h is not None else [])
    if state.agad is not None:
        arrays += [(f"agad.{f}", getattr(state.agad, f), getattr(new.agad, f)) for f in ("m_cur", "q_cur", "m_prev")]
    for label, old, now in arrays:
        np.testing.assert_array_equal(np.asarray(now)[:, others], np.asarray(old)[:, others], err_msg=label)
    np.testing.assert_array_equal(np.asarray(new.chop)[others], np.asarray(state.chop)[others])
    if name == "agad":  # no transfer in a column's first chopper period: its statistics are what moved
        np.testing.assert_array_equal(np.asarray(new.agad.k)[read_cols], 1)
        np.testing.assert_array_equal(np.asarray(new.agad.k)[others], 0)
    else:
        assert not np.array_equal(np.asarray(new.c)[:, read_cols], np.asarray(state.c)[:, read_cols])


def test_ttv2_commit_equals_the_full_matrix_pulse_train():
    alg, state, g = _setup("ttv2")
    new = step_gradient(alg, DEV, None, state, g)
    # Recompute the reads from A after the update: H[:, j] += scale·v, commit trunc(H) cut to ±1.
    n_out, n_in = state.c.shape
    g_scale = alg.auto_granularity / (n_in * alg.transfer_every) * alg.thres_scale
    scale = alg.lr * alg.transfer_lr / (g_scale * new.eps_a)
    v_all = read(new.cells_a, new.a)
    c, h = state.c, state.h
    for r in range(3):
        j = (int(state.pointer) + r) % n_in
        onehot = (jnp.arange(n_in) == j).astype(c.dtype)
        h = h + (scale * v_all[:, j])[:, None] * onehot[None, :]
        n = jnp.clip(jnp.trunc(h), -alg.transfer_bl, alg.transfer_bl) * onehot[None, :]
        c = apply_pulses(DEV, state.cells_c, c, n, jax.random.key(0), max_pulses=alg.transfer_bl)
        h = jnp.where(n != 0, alg.momentum * h, h)
    np.testing.assert_allclose(np.asarray(new.c), np.asarray(c), rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.asarray(new.h), np.asarray(h), rtol=0, atol=1e-5)
    assert float(new.counts.commits) > 0  # the check saw commits
