"""cimjax.host_eval: a traced program evaluated with NumPy equals the same function under jax.jit."""

import pickle

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from cimjax import host_eval

RNG = np.random.default_rng(0)
X = RNG.uniform(0.1, 3.0, (3, 4)).astype(np.float32)
X[0, :3] = [0.49999997, 2.5, 1.5]  # rounding edge cases: just below a half, and halves
Y = RNG.normal(size=(3, 4)).astype(np.float32)
I = RNG.integers(-5, 6, (3, 4)).astype(np.int32)

#: name -> (function, args, primitives the program must hold, IEEE-exact operations only?)
CASES = {
    "arithmetic": (lambda x, y: (x + y) * y - x / (y + 4.0), (X, Y), {"add", "mul", "sub", "div"}, True),
    "max_min_abs_neg": (lambda x, y: jnp.maximum(x, y) - jnp.minimum(x, -y) + jnp.abs(y), (X, Y), {"max", "min", "abs", "neg"}, True),
    "floor_ceil_round": (lambda x, y: (jnp.floor(y * 3), jnp.ceil(y * 3), jnp.round(x), lax.round(x), lax.round(-x),
                                       jnp.round(y * 2.5)), (X, Y),
                         {"floor", "ceil", "round"}, True),
    "sqrt_integer_pow": (lambda x, y: jnp.sqrt(x) + x**2 + x**3 + x**-2 + y**5, (X, Y), {"sqrt", "integer_pow"}, True),
    "transcendental": (lambda x, y: jnp.exp(y) + jnp.log(x) + jnp.exp2(y) + x**y + jnp.tanh(y) + jnp.log1p(x), (X, Y),
                       {"exp", "log", "exp2", "pow", "tanh", "log1p"}, False),
    "compare_select": (lambda x, y: jnp.where((x > y) & (y < 0) | (x == 1.0) | ~(y >= x), x, y), (X, Y),
                       {"gt", "lt", "eq", "ge", "and", "or", "not", "select_n"}, True),
    "clip_sign": (lambda x, y: jnp.clip(y, -0.5, 0.5) * jnp.sign(y) + (y != 0) + (y <= 0), (X, Y), {"ne", "le", "sign"}, True),
    "reductions": (lambda x, y: (jnp.sum(x, 0), jnp.max(y, 1), jnp.min(y), jnp.prod(x, 1), jnp.any(y > 1, 0), jnp.all(x > 0)),
                   (X, Y), {"reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_or", "reduce_and"}, True),
    "argmax_argmin": (lambda x, y: (jnp.argmax(y, 1), jnp.argmin(y, 0)), (X, Y), {"argmax", "argmin"}, True),
    "shapes": (lambda x, y: (jnp.transpose(x).reshape(2, 6), x[None, :, 1], jnp.squeeze(x[:1]), x[1:3, ::2],
                             jnp.concatenate([x, y], 1), jnp.stack([x, y], 0), jnp.broadcast_to(x[:, :1], (3, 4))),
               (X, Y), {"transpose", "reshape", "broadcast_in_dim", "squeeze", "slice", "concatenate"}, True),
    "iota_convert": (lambda x, y: jnp.arange(12).reshape(3, 4) * x + y.astype(jnp.int32), (X, Y),
                     {"iota", "convert_element_type"}, True),
    "integers": (lambda i, y: (i // 2, i % 3, lax.div(i, 3), lax.rem(i, 3), i >> 1, i << 2, i ^ 3, -i), (I, Y),
                 {"div", "rem", "shift_right_arithmetic", "shift_left", "xor"}, True),
    "bitcast_frexp": (lambda x, y: jnp.frexp(x * 100) + (lax.bitcast_convert_type(x, jnp.int32),), (X, Y),
                      {"bitcast_convert_type"}, True),
    "dynamic_slice": (lambda x, i: lax.dynamic_slice(x, (i[0, 0], i[0, 1]), (2, 2)), (X, I), {"dynamic_slice"}, True),
    "is_finite": (lambda x, y: jnp.isfinite(jnp.log(y)), (X, Y), {"is_finite"}, True),
    "take_along_axis": (lambda x, i: jnp.take_along_axis(x, jnp.abs(i) % 4, axis=1), (X, I), {"gather"}, True),
    "take_fill": (lambda x, i: jnp.take(x, i[0], axis=1, mode="fill", fill_value=-1.0), (X, I), {"gather"}, True),
    "take_clip": (lambda x, i: jnp.take(x, i[:, 0], axis=0, mode="clip"), (X, I), {"gather"}, True),
    "vmapped_index": (lambda x, i: jax.vmap(lambda row, j: row[j % 4])(x, i[:, 0]), (X, I), {"gather"}, True),
    "nested_jit_custom_jvp": (lambda x, y: jax.jit(lambda a: jax.nn.relu(a) + jax.nn.softplus(a))(y) * x, (X, Y),
                              set(), False),
    "scan": (lambda x, y: lax.scan(lambda c, r: (c * 0.5 + r, c.sum()), jnp.zeros(4), x), (X, Y), {"scan"}, True),
    "scan_reverse": (lambda x, y: lax.scan(lambda c, r: (c + r * y[0], c), x[0], x, reverse=True), (X, Y), {"scan"}, True),
    "polyval": (lambda x, y: jnp.polyval(jnp.array([0.5, -1.0, 2.0]), x), (X, Y), set(), True),
    "pad": (lambda x, y: (lax.pad(x, 0.5, [(1, -1, 1), (-1, 2, 0)]), lax.pad(y, -2.0, [(0, 0, 2), (2, -3, 0)]),
                          jnp.pad(x, ((0, 1), (2, 0)))), (X, Y), {"pad"}, True),
    "dot_general": (lambda x, y: (x @ y.T, jnp.einsum("ij,ik->jk", x, y), jnp.einsum("bi,bj->bij", x, y),
                                  lax.dot_general(x, y, (((1,), (1,)), ((0,), (0,))))), (X, Y), {"dot_general"}, False),
    "split_unstack": (lambda x, y: (*jnp.split(x, [1, 3], axis=1), *jnp.unstack(y, axis=0)), (X, Y),
                      {"split", "unstack"}, True),
    # The reverse pass: add_any sums cotangents, pad transposes slice, select_n / mul / reduce_sum /
    # broadcast_in_dim / dot_general transposes (what cimjax optimize's host step evaluates).
    "value_and_grad": (lambda x, y: jax.value_and_grad(
        lambda a: jnp.sum(jnp.where(a > 1.0, a * y, jnp.log(a)) * a[:, :1] + jnp.concatenate([a[:, 1:], a[:, :1]], 1) ** 2)
        + jnp.sum(a @ y.T) + jnp.sum(jax.nn.softplus(a[1:]) * jnp.exp(-a[1:])))(x), (X, Y),
        {"add_any", "pad", "select_n", "dot_general", "mul", "reduce_sum", "broadcast_in_dim"}, False),
}


def _names(prog):
    out = set()
    for ins in prog.instrs:
        out.add(ins.name)
        if ins.body is not None:
            out |= _names(ins.body)
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_rule_equals_jit(case):
    fn, args, prims, exact = CASES[case]
    prog = host_eval.trace(fn, *args)
    assert prims <= _names(prog), f"the case does not exercise {prims - _names(prog)}"
    assert prog.serialisable and "jax" not in _names(prog)
    got, want = host_eval.run(prog, *args), jax.jit(fn)(*args)
    assert jax.tree.structure(got) == jax.tree.structure(want)
    for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
        assert np.shape(g) == np.shape(w) and np.asarray(g).dtype == np.asarray(w).dtype
        if not np.issubdtype(np.asarray(w).dtype, np.floating):
            np.testing.assert_array_equal(g, w)
        else:  # XLA contracts a·b + c into one FMA: an ulp or two apart; libm vs XLA's exp/log: a few
            np.testing.assert_allclose(g, w, rtol=4e-7 if exact else 2e-6, atol=1e-7)


def test_unknown_primitive_runs_through_jax():
    fn = lambda x: lax.cumsum(x, axis=1) * 2.0  # noqa: E731  (cumsum has no NumPy rule)
    prog = host_eval.trace(fn, X)
    assert "jax" in _names(prog) and not prog.serialisable
    np.testing.assert_allclose(host_eval.run(prog, X), fn(X), rtol=1e-6)


def test_program_pickles_and_float64_stays_float64():
    with jax.enable_x64(True):
        x = X.astype(np.float64)
        fn = lambda a: {"s": jnp.sqrt(a) / 3.0, "n": jnp.sum(a > 1.0)}  # noqa: E731
        prog = pickle.loads(pickle.dumps(host_eval.trace(fn, x)))
        got = host_eval.run(prog, x)
        assert got["s"].dtype == np.float64
        np.testing.assert_allclose(got["s"], jax.jit(fn)(x)["s"], rtol=1e-15)
        assert int(got["n"]) == int(np.sum(x > 1.0))


def test_run_checks_the_argument_count():
    prog = host_eval.trace(lambda a, b: a + b, X, Y)
    with pytest.raises(ValueError, match="2 input arrays|1 input arrays"):
        host_eval.run(prog, X)


def test_python_float_inputs_are_taken_as_traced():
    """A Python float traced as float32 is evaluated as float32 (as jit would), not float64."""
    fn = lambda a, b: a - b  # noqa: E731
    a, b = 16777217.0, 1.0  # 2^24 + 1: not a float32; float32(a) - 1 = 16777215
    got = host_eval.run(host_eval.trace(fn, a, b), a, b)
    assert got.dtype == np.float32
    assert got == jax.jit(fn)(a, b) == np.float32(16777215.0)


def _batch_of(a, size=3):
    """``size`` different values of argument ``a`` stacked on a new leading axis."""
    a = np.asarray(a)
    if np.issubdtype(a.dtype, np.integer):
        return np.stack([(a + k) % 7 - 3 for k in range(size)]).astype(a.dtype)
    return np.stack([a * (1.0 + 0.37 * k) for k in range(size)]).astype(a.dtype)


#: Both arguments batched where an operand and its indices / carries meet; else one at a time.
_BOTH = {"dynamic_slice", "take_along_axis", "take_fill", "take_clip", "vmapped_index", "scan", "scan_reverse"}


@pytest.mark.parametrize("case,in_axes", [(c, ax) for c in sorted(CASES)
                                          for ax in ((0, None), (None, 0)) + (((0, 0),) if c in _BOTH else ())])
def test_run_batched_equals_jitted_vmap(case, in_axes):
    """One unbatched program evaluated for a batch of designs == ``jit(vmap(fn))``, and ==
    the per-design host run (the batched rules, the batched gather, scans with batched
    carries, and the per-design fallback of dynamic_slice with batched starts)."""
    fn, args, _, exact = CASES[case]
    prog = host_eval.trace(fn, *args)
    bargs = tuple(_batch_of(a) if ax == 0 else a for a, ax in zip(args, in_axes))
    got = host_eval.run_batched(prog, bargs, in_axes)
    want = jax.jit(jax.vmap(fn, in_axes=in_axes))(*bargs)
    loop = [host_eval.run(prog, *(a[i] if ax == 0 else a for a, ax in zip(bargs, in_axes))) for i in range(3)]
    assert jax.tree.structure(got) == jax.tree.structure(want)
    for k, (g, w) in enumerate(zip(jax.tree.leaves(got), jax.tree.leaves(want))):
        assert np.shape(g) == np.shape(w) and np.asarray(g).dtype == np.asarray(w).dtype
        one = np.stack([jax.tree.leaves(r)[k] for r in loop])
        if not np.issubdtype(np.asarray(w).dtype, np.floating):
            np.testing.assert_array_equal(g, w)
            np.testing.assert_array_equal(g, one)
        else:  # as test_rule_equals_jit, with the absolute part scaled to the array (a sum's cancellation)
            tol = 4e-7 if exact else 2e-6
            np.testing.assert_allclose(g, w, rtol=tol, atol=1e-7 + tol * float(np.max(np.abs(w))))
            np.testing.assert_allclose(g, one, rtol=2e-7, atol=1e-7)


def test_run_batched_falls_back_per_design_for_primitives_run_by_jax():
    fn = lambda x, y: lax.cumsum(x, axis=1) * y  # noqa: E731  (cumsum has no NumPy rule)
    prog = host_eval.trace(fn, X, Y)
    xb = _batch_of(X)
    got = host_eval.run_batched(prog, (xb, Y), (0, None))
    np.testing.assert_allclose(got, jax.vmap(fn, in_axes=(0, None))(xb, Y), rtol=1e-6)


def test_run_batched_checks_its_arguments():
    prog = host_eval.trace(lambda a, b: a + b, X, Y)
    with pytest.raises(ValueError, match="one in_axes entry"):
        host_eval.run_batched(prog, (X, Y), (0,))
    with pytest.raises(ValueError, match="one leading size"):
        host_eval.run_batched(prog, (_batch_of(X, 2), _batch_of(Y, 3)), (0, 0))
