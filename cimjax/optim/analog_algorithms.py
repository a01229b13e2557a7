"""In-situ training algorithms for pulsed analog arrays, as pure step functions and optax transforms.

Six rules (``ALGORITHMS``), each a setting of :class:`AnalogAlgorithm`. Notation: ``W`` is
``(n_out, n_in)``, ``y = W x``; ``d = ∂L/∂y``; the gradient is ``G = Σ_b d_b ⊗ x_b``. ``C`` is the
slow (weight) array, ``A`` the fast (gradient) array, ``H`` a digital buffer, ``c_j ∈ {±1}`` the
input chopper of input line ``j``, ``ε_A``/``ε_C`` the arrays' granularities (the mean ``dw_min``
of their cells). Pulses are applied through :mod:`cimjax.optim.pulse_trains` in one of the update
modes ``deterministic`` / ``stochastic`` / ``expected``. The weight every forward and backward pass
sees is ``W_eff = read(C) + γ·read(A)`` (``read`` subtracts each cell's reference device).

* ``analog_sgd`` (Gokmen & Vlasov, Front. Neurosci. 10:333 (2016)): every sample's pulse trains
  update ``C`` directly, ``ΔC ≈ −lr·d ⊗ x`` (aihwkit defaults: BL 31, update and bit-length
  management on).
* ``ttv1`` Tiki-Taka (Gokmen & Haensch, Front. Neurosci. 14:103 (2020); aihwkit
  ``TransferCompound``): ``A ← A − λ_A·d ⊗ x`` by pulse trains; every ``transfer_every`` updates
  one column ``j`` (cycling) is read, ``v = read(A)[:, j]``, and written to ``C[:, j]`` as an
  outer-product pulse update with the one-hot ``e_j`` and ``lr·transfer_lr·v``
  (``transfer_bl`` = 1 pulse at most).
* ``ttv2`` (Gokmen, Front. Artif. Intell. 4:699148 (2021); aihwkit ``build_config('ttv2')``,
  i.e. ``ChoppedTransferCompound`` with chopper probability 0): as TTv1, but the read goes into
  the buffer, ``H[:, j] += lr·transfer_lr·v/(g·ε_A)`` (``H`` in pulses; ``g`` the buffer
  granularity, below); where ``|H| ≥ 1``, ``n = trunc(H)`` cut to ``±transfer_bl`` pulses go to
  ``C[:, j]``; then ``H ← momentum·H`` where pulses were sent (``forget_buffer``), or
  ``H ← H − (1 − momentum)·n``.
* ``cttv2`` chopped TTv2 (Rasch et al., Nat. Commun. 15:7133 (2024), arXiv 2303.04721; aihwkit
  ``ChoppedTransferCompound``): as TTv2 with the input chopper: ``A ← A − λ_A·d ⊗ (c ⊙ x)``,
  ``H[:, j] += c_j·lr·transfer_lr·v/(g·ε_A)``, and ``c_j`` flips with probability
  ``in_chop_prob`` after each read of column ``j``. The chopper modulates the gradient but not
  the reference offset of ``A``, so the offset averages out of ``H``.
* ``agad`` (same paper, "AGAD"; aihwkit ``DynamicTransferCompound``): as c-TTv2, but the chopper
  of a column switches regularly, every ``P = max(round(1/in_chop_prob), 2)`` reads of it, and
  the reference of a read is dynamic: ``m_prev``, the mean of the column's reads over the
  previous chopper period, weighted towards its end (read ``k`` of a period has weight
  ``1 + (tail_weightening − 1)·k/(P − 1)``). Each read gives ``Δ = c_j·(v − m_prev)``, zeroed
  where ``|Δ| < agad_z·SE`` with ``SE = s_prev/sqrt(P)`` from the previous period's weighted read
  variance (the "not significant" gate) and before the first period has ended; then
  ``H[:, j] += lr·transfer_lr·Δ/(g·ε_A)`` and the TTv2 commit. Neither the reference offset nor
  the symmetry point of ``A`` enters ``C``. (Our paraphrase of aihwkit's docstring and the
  paper's description; aihwkit's kernel was not read, so its exact weighting may differ.)
* ``mixed_precision`` (Nandakumar et al., Front. Neurosci. 14:406 (2020); aihwkit
  ``MixedPrecisionCompound``): ``χ ← χ − lr·G`` in digital floating point (``χ`` is ``H``, in
  weight units); every update ``n = round(χ/ε_C)`` cut to ``±bl`` pulses go to ``C`` and
  ``χ ← χ − n·ε_C``.

Hyper-parameters shared by the TT family (aihwkit defaults, peers_turn2.md §2):

* ``λ_A``: with ``auto_scale`` (default on) ``λ_A = fast_lr·bl·ε_A/(x̄·d̄)``, ``x̄``, ``d̄`` EMAs
  (momentum 0.99) of ``max|x|``, ``max|d|`` per update (for a gradient matrix, ``x̄·d̄`` is the EMA
  of ``max|G|/mat_vecs``, below), so the largest update is about ``fast_lr·bl`` pulses per
  mat-vec; without it ``λ_A = fast_lr``. Defaults: ``fast_lr`` 0.5 (aihwkit c-TTv2/AGAD
  presets), ``bl`` 5 (TT update BL).
* ``g`` (buffer granularity): ``auto_granularity/(n_in·transfer_every)`` when
  ``auto_granularity > 0`` (default 1000, the presets), else 1; ``thres_scale`` multiplies it.
  ``n_in·transfer_every`` is the mat-vecs of one full transfer cycle (aihwkit's ``period``), so
  a column holding ``a`` pulses of ``A`` sends about ``lr·transfer_lr·a/auto_granularity``
  pulses to ``C`` per mat-vec, whatever the layer's size.
* ``transfer_every`` 1 mat-vec, one column per transfer, ``transfer_bl`` 1, ``momentum`` 0,
  ``forget_buffer`` on, ``in_chop_prob`` 0.01 (c-TTv2) / 0.02 (AGAD; ``tail_weightening`` 5),
  ``γ`` 0.
* ``a_reference = 'symmetry_point'`` (default): ``A``'s reference device sits at each cell's
  symmetry point (bisection on ``step_up − step_down``) plus the drawn reference offset, and
  ``A`` starts at its symmetry point (aihwkit ``SoftBoundsReference`` with
  ``subtract_symmetry_point``); ``'device'`` keeps the drawn reference as is and starts ``A`` at 0.

Units of the gradient-matrix path (:func:`step_gradient`, the training loop). aihwkit's
``ChoppedTransferCompound`` counts ``transfer_every`` in mat-vecs (``units_in_mbatch`` False), so
a mini-batch of ``m`` samples reads ``m/transfer_every`` columns, and its auto-scale normalises
each sample's update by ``max|x|·max|d|`` (aihwkit ``configs/compounds.py``,
``units_in_mbatch``: "If set, then the cycle length units of ``transfer_every`` are in
``m_batch`` instead of mat-vecs", default False; ``tiles/transfer.py``,
``TorchTransferTile.update``: ``period = in_size·transfer_every``,
``lr_a = fast_lr·desired_bl·ε_A/(m_x·m_d)``). A gradient matrix ``G = Σ_b d_b ⊗ x_b`` stands for
``mat_vecs`` mat-vecs (the trainer sets it to ``data.batch_size``; default 1, which is
:func:`step`'s count of one transfer per call). So :func:`step_gradient`

* reads the ``mat_vecs/transfer_every`` columns that fall in the update, one after the other
  (each its own TTv2 commit and chopper draw; ``A`` is the same for all of them);
* takes ``x̄·d̄`` as the EMA of ``max|G|/mat_vecs``: ``max|x|·max|d| ≥ max|G|/mat_vecs``, with
  equality when the samples of ``G``'s largest element agree, so ``A`` moves at most as fast as
  aihwkit's per-sample trains would move it (``mat_vecs·fast_lr·bl`` pulses per update at most);
* and uses ``g`` with ``transfer_every`` in mat-vecs, as above.

Counting one update as one mat-vec instead (as before) read one column per batch and made the
buffer ``mat_vecs`` times coarser, so ``C`` hardly moved (TTv2 stayed at chance in the loop).

The per-step functions (:func:`step`, :func:`step_gradient`) are pure functions of the state
(everything, keys included, is in :class:`AnalogState`), jittable and vmappable: the device
numbers that vary (granularity, asymmetry, bounds, reference offsets, dead cells) live in the
state's :class:`~cimjax.devices.protocol.Cells`, so one compiled program serves a sweep.
:func:`analog_optimizer` wraps them as an ``optax.GradientTransformation`` on 2-D parameters.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple, Optional

import jax
import jax.numpy as jnp
import optax

from cimjax.devices.protocol import Cells, PulsedDevice, read, sample_cells
from cimjax.devices.steps import symmetry_point
from cimjax import trace as trace_lib
from cimjax.config.schema import ANALOG_ALGORITHMS
from cimjax.optim import pulse_trains as pt

Array = jax.Array

ALGORITHMS = ANALOG_ALGORITHMS  # the names live with train.optimizer's choices (one list)
TT_FAMILY = ("ttv1", "ttv2", "cttv2", "agad")
A_REFERENCES = ("symmetry_point", "device")
EMA_MOMENTUM = 0.99


def _range(name: str, value, lo, hi, *, lo_open=False, integer=False) -> None:
    """A ValueError naming ``algorithm.<name>`` and its range unless ``value`` lies in it."""
    bracket = "(" if lo_open else "["
    if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
        kind = "an integer" if integer else "a number"
        raise ValueError(f"algorithm.{name} = {value!r} must be {kind} in {bracket}{lo}, {hi}]")
    ok = (value > lo if lo_open else value >= lo) and value <= hi
    if not ok:
        raise ValueError(f"algorithm.{name} = {value!r} is outside {bracket}{lo}, {hi}]")


@dataclasses.dataclass(frozen=True)
class AnalogAlgorithm:
    """One in-situ training rule and its hyper-parameters (the module docstring has the rules).

    Numbers are Python floats/ints (hashable: the config is static under jit); ``defaults(name)``
    gives the aihwkit-derived defaults of each rule.
    """

    name: str = "analog_sgd"
    lr: float = 0.1  # SGD learning rate (C's lr for analog SGD / MP; scales transfer_lr for TT)
    update_mode: str = "stochastic"
    bl: int = 31  # pulse-train length of the gradient update (31 SGD, 5 TT family)
    update_management: bool = True
    bl_management: bool = True
    fast_lr: float = 0.5
    auto_scale: bool = True
    transfer_lr: float = 1.0
    transfer_every: int = 1
    transfer_bl: int = 1
    auto_granularity: float = 1000.0
    thres_scale: float = 1.0
    momentum: float = 0.0
    forget_buffer: bool = True
    in_chop_prob: float = 0.0
    tail_weightening: float = 5.0
    agad_z: float = 1.0
    gamma: float = 0.0
    a_reference: str = "symmetry_point"
    mat_vecs: int = 1  # mat-vecs (samples) one step_gradient update stands for: the batch size

    def __post_init__(self):
        if self.name not in ALGORITHMS:
            raise ValueError(f"algorithm.name = {self.name!r} is not one of {ALGORITHMS}")
        pt.check_mode(self.update_mode, "algorithm.update_mode")
        if self.a_reference not in A_REFERENCES:
            raise ValueError(f"algorithm.a_reference = {self.a_reference!r} is not one of {A_REFERENCES}")
        _range("lr", self.lr, 0.0, 1e6, lo_open=True)
        _range("bl", self.bl, 1, pt.MAX_BL, integer=True)
        _range("transfer_bl", self.transfer_bl, 1, pt.MAX_BL, integer=True)
        _range("transfer_every", self.transfer_every, 1, 10**9, integer=True)
        _range("fast_lr", self.fast_lr, 0.0, 1e6, lo_open=True)
        _range("transfer_lr", self.transfer_lr, 0.0, 1e6, lo_open=True)
        _range("auto_granularity", self.auto_granularity, 0.0, 1e9)
        _range("thres_scale", self.thres_scale, 0.0, 1e6, lo_open=True)
        _range("momentum", self.momentum, 0.0, 1.0)
        if self.momentum == 1.0:
            raise ValueError("algorithm.momentum = 1.0 is outside [0, 1)")
        _range("in_chop_prob", self.in_chop_prob, 0.0, 1.0)
        _range("tail_weightening", self.tail_weightening, 1.0, 1e6)
        _range("agad_z", self.agad_z, 0.0, 1e3)
        _range("gamma", self.gamma, 0.0, 1e3)
        _range("mat_vecs", self.mat_vecs, 1, 10**9, integer=True)
        if self.name == "agad" and self.in_chop_prob == 0.0:
            raise ValueError("algorithm.in_chop_prob = 0.0 is outside (0, 1] for 'agad' "
                             "(the period is 1/in_chop_prob)")

    @staticmethod
    def defaults(name: str, **changes) -> "AnalogAlgorithm":
        """The aihwkit-derived defaults of ``name`` (module docstring), with ``changes`` applied."""
        if name not in ALGORITHMS:
            raise ValueError(f"algorithm.name = {name!r} is not one of {ALGORITHMS}")
        base = dict(name=name)
        if name in TT_FAMILY:
            base.update(bl=5)
        if name == "cttv2":
            base.update(in_chop_prob=0.01)
        if name == "agad":
            base.update(in_chop_prob=0.02)
        base.update(changes)
        return AnalogAlgorithm(**base)

    def replace(self, **changes) -> "AnalogAlgorithm":
        return dataclasses.replace(self, **changes)

    @staticmethod
    def of_config(config) -> "AnalogAlgorithm":
        """The rule a :class:`~cimjax.config.schema.Config` trains with: ``train.optimizer`` (one
        of :data:`ALGORITHMS`) at its defaults, with ``train.learning_rate`` as ``lr``,
        ``train.update_mode``, and ``data.batch_size`` mat-vecs per update (the one place of that
        rule: the trainer and the estimator's :func:`cimjax.build.algorithm_counts` use it)."""
        t = config.train
        return AnalogAlgorithm.defaults(t.optimizer, lr=float(t.learning_rate), update_mode=t.update_mode,
                                        mat_vecs=int(config.data.batch_size))

    @property
    def has_a(self) -> bool:
        return self.name in TT_FAMILY

    @property
    def agad_period(self) -> int:
        return max(int(round(1.0 / self.in_chop_prob)), 2) if self.in_chop_prob > 0 else 2


class AgadStats(NamedTuple):
    """AGAD's per-column read statistics (``m``/``q``: weighted mean of ``v`` and ``v²``)."""

    m_cur: Array  # (n_out, n_in)
    q_cur: Array
    w_sum: Array  # (n_in,) summed weights of the current period
    k: Array  # (n_in,) int32, reads of the column in the current period
    m_prev: Array
    var_prev: Array


class RuleCounts(NamedTuple):
    """What a rule did to one weight matrix since the counters were last reset (:func:`reset_counts`;
    the training loop resets them at each epoch's start): the measured counterpart of the bounds
    of :func:`cimjax.build.algorithm_counts` (docs/algorithms.md "Hardware cost").

    Pulses are the pulses *sent*: ``|n|`` of each :func:`pulse_trains.apply_counts` call after its
    rounding (integer modes) and its cut to ``max_pulses``, whether or not the cell moves (a dead
    cell or one at its bound still receives them). In the ``expected`` mode they are the mean-field
    (fractional) counts. All float32: exact integers up to 2²⁴ per counter (per epoch).

    Attributes:
      pulses_a: ``(n_out, n_in)`` pulses sent to each cell of ``A`` (TT family), else None.
      pulses_c: ``(n_out, n_in)`` pulses sent to each cell of ``C`` (gradient updates and commits).
      reads: transfer reads (columns of ``A`` read).
      commits: cells of ``C`` that a transfer sent at least one pulse to.
      commit_pulses: pulses the transfers sent to ``C`` (summed over the cells).
      updates: gradient updates (calls of :func:`step` / :func:`step_gradient`).
      last_a: ``(n_out, n_in)`` the signed pulses the last :func:`step_gradient` sent to ``A``
        (TT family; the trainer's write statistics of ``A``, :func:`last_a_pulses`), else None.
    """

    pulses_a: Optional[Array]
    pulses_c: Array
    reads: Array
    commits: Array
    commit_pulses: Array
    updates: Array
    last_a: Optional[Array] = None


def zero_counts(shape, has_a: bool) -> RuleCounts:
    z = jnp.zeros((), jnp.float32)
    cells = lambda: jnp.zeros(shape, jnp.float32) if has_a else None  # noqa: E731
    return RuleCounts(cells(), jnp.zeros(shape, jnp.float32), z, z, z, z, cells())


def _sent(n: Array, max_pulses: int, fractional: bool = False, signed: bool = False) -> Array:
    """The pulses :func:`pulse_trains.apply_counts` sends for counts ``n`` (float32; their
    number, or with ``signed`` the signed count)."""
    n = jnp.clip(n if fractional else jnp.round(n), -max_pulses, max_pulses).astype(jnp.float32)
    return n if signed else jnp.abs(n)


class AnalogState(NamedTuple):
    """Everything one analog weight matrix's training needs (a pytree: checkpointable).

    Attributes:
      c: slow/weight array device weights ``(n_out, n_in)``.
      a: fast/gradient array device weights (TT family), else None.
      h: digital buffer (TT: pulses; mixed precision: χ in weight units), else None.
      chop: input choppers ``(n_in,)`` in {−1, +1} (float).
      agad: :class:`AgadStats` (AGAD only), else None.
      pointer: int32, the next column to read.
      count: int32, updates done.
      key: ``jax.random`` key, split every update.
      cells_c, cells_a: the arrays' per-cell device draws (``cells_a`` None without ``A``).
      eps_c, eps_a: the arrays' granularities (mean ``dw_min`` of the cells; scalars).
      x_ema, d_ema: EMAs of ``max|x|`` and ``max|d|`` (for a gradient matrix: ``max|G|/mat_vecs``
        and 1).
      counts: :class:`RuleCounts` since the last :func:`reset_counts`.
    """

    c: Array
    a: Optional[Array]
    h: Optional[Array]
    chop: Array
    agad: Optional[AgadStats]
    pointer: Array
    count: Array
    key: Array
    cells_c: Cells
    cells_a: Optional[Cells]
    eps_c: Array
    eps_a: Array
    x_ema: Array
    d_ema: Array
    counts: Optional[RuleCounts] = None


# ---------------------------------------------------------------------------------------------
# Device helpers


def place_a_reference(device: PulsedDevice, cells: Cells) -> tuple[Cells, Array]:
    """``A``'s cells with the reference moved to symmetry point + drawn offset, and ``A``'s start."""
    sp = symmetry_point(device, cells, method="bisection")
    return cells._replace(reference=sp + cells.reference), sp


def effective_weight(alg: AnalogAlgorithm, state: AnalogState) -> Array:
    """``W_eff = read(C) + γ·read(A)``."""
    w = read(state.cells_c, state.c)
    if alg.gamma > 0.0 and state.a is not None:
        w = w + alg.gamma * read(state.cells_a, state.a)
    return w


# ---------------------------------------------------------------------------------------------
# State


def init_state(alg: AnalogAlgorithm, device_c: PulsedDevice, device_a: Optional[PulsedDevice], key: Array,
               w0: Array, *, cells_c: Optional[Cells] = None, cells_a: Optional[Cells] = None) -> AnalogState:
    """The state for a weight matrix ``w0`` ``(n_out, n_in)``.

    ``C`` is programmed ideally so that ``read(C) = w0`` (clipped to the cells' bounds). The cells
    are drawn from the devices with ``key`` unless given (pass traced draws to vmap a sweep over
    device parameters). ``device_a`` defaults to ``device_c``.
    """
    w0 = jnp.asarray(w0)
    if w0.ndim != 2:
        raise ValueError(f"params leaf shape {w0.shape} is not a 2-D (n_out, n_in) weight matrix")
    device_a = device_c if device_a is None else device_a
    k_c, k_a, k_chop, key = jax.random.split(key, 4)
    if cells_c is None:
        cells_c = sample_cells(device_c, k_c, w0.shape, w0.dtype)
    c = jnp.clip(w0 + cells_c.reference, cells_c.w_min, cells_c.w_max)
    a = h = agad = None
    eps_a = jnp.zeros((), w0.dtype)
    if alg.has_a:
        if cells_a is None:
            cells_a = sample_cells(device_a, k_a, w0.shape, w0.dtype)
        if alg.a_reference == "symmetry_point":
            cells_a, a = place_a_reference(device_a, cells_a)
        else:
            a = jnp.zeros_like(w0)
        eps_a = jnp.mean(cells_a.dw_min).astype(w0.dtype)
        h = jnp.zeros_like(w0)
    else:
        cells_a = None
    if alg.name == "mixed_precision":
        h = jnp.zeros_like(w0)
    if alg.name == "agad":
        z = jnp.zeros_like(w0)
        # var_prev < 0 marks "no previous period yet" (no transfer at the first switch).
        n_in = w0.shape[1]
        agad = AgadStats(z, z, jnp.zeros(n_in, w0.dtype), jnp.zeros(n_in, jnp.int32), z, z - 1.0)
    n_in = w0.shape[1]
    if alg.name in ("cttv2",) and alg.in_chop_prob > 0:
        chop = jnp.where(jax.random.bernoulli(k_chop, 0.5, (n_in,)), 1.0, -1.0).astype(w0.dtype)
    else:
        chop = jnp.ones((n_in,), w0.dtype)
    zero = jnp.zeros((), w0.dtype)
    return AnalogState(c=c, a=a, h=h, chop=chop, agad=agad, pointer=jnp.zeros((), jnp.int32),
                       count=jnp.zeros((), jnp.int32), key=key, cells_c=cells_c, cells_a=cells_a,
                       eps_c=jnp.mean(cells_c.dw_min).astype(w0.dtype), eps_a=eps_a, x_ema=zero, d_ema=zero,
                       counts=zero_counts(w0.shape, alg.has_a))


# ---------------------------------------------------------------------------------------------
# The gradient update onto the receiving array


def _ema(old, new, count):
    return jnp.where(count == 0, new, EMA_MOMENTUM * old + (1.0 - EMA_MOMENTUM) * new)


def _fast_lr(alg, state, x_ema, d_ema):
    """``λ_A`` (see the module docstring)."""
    if not alg.auto_scale:
        return jnp.asarray(alg.fast_lr, state.c.dtype)
    tiny = jnp.finfo(state.c.dtype).tiny
    return alg.fast_lr * alg.bl * state.eps_a / jnp.maximum(x_ema * d_ema, tiny)


def _pulse_samples(alg, device, cells, w, x, d, lr, eps, key):
    """Apply every sample's pulse train in turn (a scan over the batch)."""
    fractional = alg.update_mode == "expected"
    kw = dict(update_management=alg.update_management, bl_management=alg.bl_management)

    def body(carry, inputs):
        xi, di, k = inputs
        k_train, k_pulse = jax.random.split(k)
        if alg.update_mode == "stochastic":
            n = pt.stochastic_counts(k_train, xi, di, lr, eps, alg.bl, **kw)
        elif alg.update_mode == "expected":
            n = pt.expected_counts(xi, di, lr, eps, alg.bl, **kw)
        else:
            n = pt.deterministic_counts(-lr * di[:, None] * xi[None, :], eps, alg.bl)
        w, sent, signed = carry
        w = pt.apply_counts(device, cells, w, n, k_pulse, max_pulses=alg.bl, fractional=fractional)
        return (w, sent + _sent(n, alg.bl, fractional), signed + _sent(n, alg.bl, fractional, signed=True)), None

    keys = jax.random.split(key, x.shape[0])
    zeros = jnp.zeros(w.shape, jnp.float32)
    (w, sent, signed), _ = jax.lax.scan(body, (w, zeros, zeros), (x, d, keys))
    return w, sent, signed


def _pulse_matrix(alg, device, cells, w, update, eps, key):
    """The update's pulse trains on ``w``: ``(w_new, signed pulses sent per cell)``."""
    n = pt.counts_from_update(update, eps, alg.bl, alg.update_mode)
    fractional = alg.update_mode == "expected"
    return (pt.apply_counts(device, cells, w, n, key, max_pulses=alg.bl, fractional=fractional),
            _sent(n, alg.bl, fractional, signed=True))


def _count_update(state: AnalogState, *, a=None, c=None, last_a=None) -> AnalogState:
    """Add one gradient update's pulses sent to ``A`` / ``C`` (per cell) to the counters;
    ``last_a``: its signed pulses to ``A`` (kept as :attr:`RuleCounts.last_a`)."""
    k = state.counts
    return state._replace(counts=k._replace(
        pulses_a=k.pulses_a if a is None else k.pulses_a + a,
        pulses_c=k.pulses_c if c is None else k.pulses_c + c,
        updates=k.updates + 1.0,
        last_a=k.last_a if last_a is None else last_a))


def _add_columns(state: AnalogState, cols: Array, js: Array) -> AnalogState:
    """``pulses_c[:, js[r]] += cols[r]`` for every read ``r`` (``cols`` ``(reads, n_out)``)."""
    k = state.counts
    return state._replace(counts=k._replace(pulses_c=k.pulses_c.at[:, js].add(cols.T)))


# ---------------------------------------------------------------------------------------------
# Transfer (TT family)


def _column(x: Array, j) -> Array:
    """Column ``j`` of a ``(n_out, n_in, …)`` array (``(n_out, …)``)."""
    return jax.lax.dynamic_index_in_dim(x, j, axis=1, keepdims=False)


def _set_column(x: Array, j, col: Array, do) -> Array:
    """``x`` with column ``j`` set to ``col`` where ``do`` (else unchanged): an ``O(n_out)`` write."""
    col = jnp.where(do, col, _column(x, j)).astype(x.dtype)
    return jax.lax.dynamic_update_index_in_dim(x, col, j, axis=1)


def _cells_column(cells: Cells, j) -> Cells:
    """The cells of column ``j``: every per-cell field is ``(n_out, n_in, …)`` or broadcasts as
    ``(n_out | 1, n_in | 1, …)``; 0-d fields broadcast and stay as they are."""
    def col(x):
        x = jnp.asarray(x)
        if x.ndim >= 2:
            return _column(x, j if x.shape[1] > 1 else 0)
        if x.ndim == 1 and x.shape[0] > 1:
            raise ValueError(f"a cells field of shape {x.shape} is ambiguous for a column read: give it as "
                             "(n_out, n_in) or a broadcastable (n_out | 1, n_in | 1)")
        return x
    return jax.tree.map(col, cells)


def _commit(alg, device_c, cells_j, c_j, h_j, key):
    """TTv2's threshold commit of column ``j``'s buffer ``h_j`` into ``C``'s column ``c_j``
    (``(n_out,)``): the new column, buffer and the pulses sent."""
    n = jnp.clip(jnp.trunc(h_j), -alg.transfer_bl, alg.transfer_bl)
    c_j = pt.apply_counts(device_c, cells_j, c_j, n, key, max_pulses=alg.transfer_bl)
    if alg.forget_buffer:
        h_j = jnp.where(n != 0, alg.momentum * h_j, h_j)
    else:
        h_j = h_j - (1.0 - alg.momentum) * n
    return c_j, h_j, _sent(n, alg.transfer_bl)


def _granularity(alg, n_in):
    g = alg.auto_granularity / (n_in * alg.transfer_every) if alg.auto_granularity > 0 else 1.0
    return g * alg.thres_scale


def _transfer(alg, device_c, state: AnalogState, a, key, do=True) -> tuple[AnalogState, Array]:
    """One transfer event when ``do`` (else the state unchanged): read column ``pointer`` of
    ``A`` and move it (per rule) towards ``C``; returns the state (the pointer not advanced)
    and the pulses sent to that column of ``C`` (``(n_out,)``, zero unless ``do``; not yet in
    ``counts.pulses_c``: :func:`_add_columns`).

    Only column ``j`` of ``C``, ``H`` and AGAD's statistics changes, so the event reads and
    writes that column alone (``O(n_out)``; the random draws of a commit are of the column's
    cells)."""
    n_out, n_in = a.shape
    j = state.pointer
    do = jnp.asarray(do)
    v = read(_cells_column(state.cells_a, j), _column(a, j))  # (n_out,)
    c_j = jnp.take(state.chop, j)
    k_commit, k_chop = jax.random.split(key)
    rate = alg.lr * alg.transfer_lr
    cells_j = _cells_column(state.cells_c, j)
    col_c = _column(state.c, j)
    chop, agad = state.chop, state.agad

    def finish(new_c, new_h, sent, **changes):
        sent = jnp.where(do, sent, 0.0)
        k = state.counts
        counts = k._replace(reads=k.reads + jnp.where(do, 1.0, 0.0),
                            commits=k.commits + jnp.sum(sent > 0).astype(jnp.float32),
                            commit_pulses=k.commit_pulses + jnp.sum(sent))
        h = state.h if new_h is None else _set_column(state.h, j, new_h, do)
        return state._replace(c=_set_column(state.c, j, new_c, do), h=h, counts=counts, **changes), sent

    if alg.name == "ttv1":
        x = jnp.ones((1,), a.dtype)  # the one-hot input e_j, restricted to its column
        if alg.update_mode == "stochastic":
            n = pt.stochastic_counts(k_chop, x, -v, rate, state.eps_c, alg.transfer_bl,
                                     update_management=alg.update_management, bl_management=alg.bl_management)
        elif alg.update_mode == "expected":
            n = pt.expected_counts(x, -v, rate, state.eps_c, alg.transfer_bl,
                                   update_management=alg.update_management, bl_management=alg.bl_management)
        else:
            n = pt.deterministic_counts(rate * v[:, None], state.eps_c, alg.transfer_bl)
        n = n[:, 0]
        fractional = alg.update_mode == "expected"
        new_c = pt.apply_counts(device_c, cells_j, col_c, n, k_commit, max_pulses=alg.transfer_bl,
                                fractional=fractional)
        return finish(new_c, None, _sent(n, alg.transfer_bl, fractional))
    scale = rate / (_granularity(alg, n_in) * state.eps_a)
    if alg.name in ("ttv2", "cttv2"):
        h_j = _column(state.h, j) + scale * c_j * v
        new_c, h_j, sent = _commit(alg, device_c, cells_j, col_c, h_j, k_commit)
        if alg.name == "cttv2" and alg.in_chop_prob > 0:
            flip = jax.random.bernoulli(k_chop, alg.in_chop_prob) & do
            chop = chop.at[j].set(jnp.where(flip, -c_j, c_j))
        return finish(new_c, h_j, sent, chop=chop)
    # AGAD
    period = alg.agad_period
    k = jnp.take(agad.k, j)
    m_prev = _column(agad.m_prev, j)
    var_prev = _column(agad.var_prev, j)
    first = var_prev < 0  # no previous period yet (see init_state): no transfer
    delta = c_j * (v - m_prev)
    se = jnp.sqrt(jnp.maximum(var_prev, 0.0) / period)
    delta = jnp.where((jnp.abs(delta) >= alg.agad_z * se) & ~first, delta, 0.0)
    h_j = _column(state.h, j) + scale * delta
    new_c, h_j, sent = _commit(alg, device_c, cells_j, col_c, h_j, k_commit)
    # The tail-weighted statistics of the current period; at its end they become the reference.
    wk = 1.0 + (alg.tail_weightening - 1.0) * k.astype(a.dtype) / (period - 1)
    m_old = _column(agad.m_cur, j)
    q_old = _column(agad.q_cur, j)
    ws_old = jnp.take(agad.w_sum, j)
    ws = ws_old + wk
    m = (ws_old * m_old + wk * v) / ws
    q = (ws_old * q_old + wk * v * v) / ws
    var = jnp.maximum(q - m * m, 0.0)
    switch = k + 1 >= period
    agad = AgadStats(
        m_cur=_set_column(agad.m_cur, j, jnp.where(switch, 0.0, m), do),
        q_cur=_set_column(agad.q_cur, j, jnp.where(switch, 0.0, q), do),
        w_sum=agad.w_sum.at[j].set(jnp.where(do, jnp.where(switch, 0.0, ws), ws_old)),
        k=agad.k.at[j].set(jnp.where(do, jnp.where(switch, 0, k + 1), k)),
        m_prev=_set_column(agad.m_prev, j, jnp.where(switch, m, m_prev), do),
        var_prev=_set_column(agad.var_prev, j, jnp.where(switch, var, var_prev), do),
    )
    chop = chop.at[j].set(jnp.where(do & switch, -c_j, c_j))
    return finish(new_c, h_j, sent, chop=chop, agad=agad)


def _after_update(alg, device_c, state: AnalogState, a, key) -> AnalogState:
    """Transfer every ``transfer_every`` updates (TT family), then advance the counters."""
    state = state._replace(a=a)
    if alg.has_a:
        do = (state.count + 1) % alg.transfer_every == 0
        j = state.pointer
        state, sent = _transfer(alg, device_c, state, a, key, do)
        state = state._replace(pointer=jnp.where(do, (j + 1) % a.shape[1], j))
        state = _add_columns(state, sent[None, :], j[None])
    return state._replace(count=state.count + 1)



def _reads_due(alg) -> int:
    """The most transfer reads one :func:`step_gradient` update can hold (static)."""
    return -(-alg.mat_vecs // alg.transfer_every)


def _after_gradient_update(alg, device_c, state: AnalogState, a, key) -> AnalogState:
    """:func:`step_gradient`'s transfers: the update stands for ``mat_vecs`` mat-vecs and a
    column is read every ``transfer_every`` mat-vecs (aihwkit's ``ChoppedTransferCompound``
    counts in mat-vecs, ``units_in_mbatch`` False), so the reads that fall in this update's
    ``mat_vecs`` run one after the other, each on the next column (``A`` is the same for all)."""
    state = state._replace(a=a)
    if alg.has_a:
        m, te = alg.mat_vecs, alg.transfer_every
        r = state.count % te  # reads in [count·m, (count+1)·m) mat-vecs: no int32 overflow
        n_due = (r + 1) * m // te - r * m // te

        def body(st, inputs):
            i, k = inputs
            do = i < n_due
            moved, sent = _transfer(alg, device_c, st, a, k, do)
            moved = moved._replace(pointer=jnp.where(do, (st.pointer + 1) % a.shape[1], st.pointer))
            return moved, (sent, st.pointer)

        n = _reads_due(alg)
        state, (cols, js) = jax.lax.scan(body, state, (jnp.arange(n), jax.random.split(key, n)))
        state = _add_columns(state, cols, js)
    return state._replace(count=state.count + 1)


# ---------------------------------------------------------------------------------------------
# Steps


def step(alg: AnalogAlgorithm, device_c: PulsedDevice, device_a: Optional[PulsedDevice], state: AnalogState,
         x: Array, d: Array) -> AnalogState:
    """One update from a batch of inputs ``x`` ``(batch, n_in)`` and output errors ``d``
    ``(batch, n_out)`` (``∂L/∂W = Σ_b d_b ⊗ x_b``): the faithful pulse-train path.

    Every sample's pulse train is applied in turn (up and down pulses do not cancel on an
    asymmetric device); a TT transfer follows once per call.
    """
    device_a = device_c if device_a is None else device_a
    x = jnp.atleast_2d(jnp.asarray(x, state.c.dtype))
    d = jnp.atleast_2d(jnp.asarray(d, state.c.dtype))
    key, k_upd, k_tr = jax.random.split(state.key, 3)
    state = state._replace(key=key)
    if alg.name == "mixed_precision":
        chi = state.h - alg.lr * jnp.einsum("bi,bj->ij", d, x)
        n = jnp.clip(jnp.round(chi / state.eps_c), -alg.bl, alg.bl)
        c = pt.apply_counts(device_c, state.cells_c, state.c, n, k_upd, max_pulses=alg.bl)
        state = _count_update(state, c=_sent(n, alg.bl))
        return state._replace(c=c, h=chi - n * state.eps_c, count=state.count + 1)
    if alg.name == "analog_sgd":
        c, sent, _ = _pulse_samples(alg, device_c, state.cells_c, state.c, x, d, alg.lr, state.eps_c, k_upd)
        return _count_update(state, c=sent)._replace(c=c, count=state.count + 1)
    x_ema = _ema(state.x_ema, jnp.max(jnp.abs(x)), state.count)
    d_ema = _ema(state.d_ema, jnp.max(jnp.abs(d)), state.count)
    state = state._replace(x_ema=x_ema, d_ema=d_ema)
    lam = _fast_lr(alg, state, x_ema, d_ema)
    a, sent, _ = _pulse_samples(alg, device_a, state.cells_a, state.a, x * state.chop, d, lam, state.eps_a, k_upd)
    return _after_update(alg, device_c, _count_update(state, a=sent), a, k_tr)


def step_samples(alg: AnalogAlgorithm, device_c: PulsedDevice, device_a: Optional[PulsedDevice],
                 state: AnalogState, x: Array, d: Array) -> AnalogState:
    """The training loop's update in the ``stochastic`` mode: one mini-batch of ``m`` rows
    ``x`` ``(m, n_in)``, ``d`` ``(m, n_out)`` (samples, or a conv layer's patch positions:
    :func:`layer_samples`), every row's pulse trains applied in turn as in :func:`step`, then
    the TT transfers of :func:`step_gradient` (``mat_vecs/transfer_every`` column reads per
    update, ``alg.mat_vecs`` = the batch size), so the two loop paths differ only in how the
    gradient reaches the receiving array.

    ``λ_A`` uses the EMAs of ``max|x|`` and ``max|d|`` over the batch (as :func:`step`; aihwkit's
    ``m_x·m_d``). Mixed precision accumulates ``Σ d ⊗ x`` digitally, so its ``stochastic`` update
    is :func:`step`'s (its pulses to ``C`` are rounded counts of ``χ``). The signed pulses sent to
    ``A`` are kept as :attr:`RuleCounts.last_a` (the trainer's write statistics), as the gradient
    path does.
    """
    device_a = device_c if device_a is None else device_a
    x = jnp.atleast_2d(jnp.asarray(x, state.c.dtype))
    d = jnp.atleast_2d(jnp.asarray(d, state.c.dtype))
    if alg.name in ("analog_sgd", "mixed_precision"):
        return step(alg, device_c, device_a, state, x, d)
    key, k_upd, k_tr = jax.random.split(state.key, 3)
    state = state._replace(key=key)
    x_ema = _ema(state.x_ema, jnp.max(jnp.abs(x)), state.count)
    d_ema = _ema(state.d_ema, jnp.max(jnp.abs(d)), state.count)
    state = state._replace(x_ema=x_ema, d_ema=d_ema)
    lam = _fast_lr(alg, state, x_ema, d_ema)
    a, sent, signed = _pulse_samples(alg, device_a, state.cells_a, state.a, x * state.chop, d, lam, state.eps_a,
                                     k_upd)
    return _after_gradient_update(alg, device_c, _count_update(state, a=sent, last_a=signed), a, k_tr)


def layer_samples(x: Array, d: Array, kernel_shape: tuple[int, ...]) -> tuple[Array, Array]:
    """A CIM layer's input ``x`` and output error ``d`` as the ``(rows, n_in)``, ``(rows, n_out)``
    pairs of its weight matrix (:func:`_as_matrix`; ``∂L/∂W = Σ_rows d ⊗ x``).

    * Dense, kernel ``(in, out)``: ``x`` ``(N, in)`` and ``d`` ``(N, out)`` as they are.
    * Conv, kernel ``(K, K, C_in, C_out)`` (stride 1, 'SAME', as :class:`cimjax.nn.CIMConv`):
      every output position is one row, its ``K×K×C_in`` input patch (im2col) in the weight
      matrix's order (input channel outermost, then kernel row, column:
      :func:`cimjax.trace.weight_matrix`), so ``N·H·W`` rows. aihwkit's analog convolution
      updates the same way: each patch position is one ``(x, d)`` pair of pulse trains.
    """
    x = jnp.asarray(x)
    d = jnp.asarray(d)
    if len(kernel_shape) == 2:
        return x.reshape(-1, kernel_shape[0]), d.reshape(-1, kernel_shape[1])
    if len(kernel_shape) != 4 or kernel_shape[0] != kernel_shape[1]:
        raise ValueError(f"kernel shape {kernel_shape} is neither a dense (in, out) nor a square conv "
                         "(K, K, C_in, C_out) kernel")
    k, _, c_in, c_out = kernel_shape
    p = jax.lax.conv_general_dilated_patches(x, (k, k), (1, 1), "SAME",
                                             dimension_numbers=("NHWC", "HWIO", "NHWC"))
    return p.reshape(-1, c_in * k * k), d.reshape(-1, c_out)


def step_gradient(alg: AnalogAlgorithm, device_c: PulsedDevice, device_a: Optional[PulsedDevice],
                  state: AnalogState, grad: Array) -> AnalogState:
    """One update from a gradient matrix ``G`` ``(n_out, n_in)`` (modes ``deterministic`` and
    ``expected``: the desired change ``−lr·G`` becomes counts by :func:`pulse_trains.counts_from_update`).

    ``G`` stands for ``alg.mat_vecs`` mat-vecs (the module docstring's "Units of the
    gradient-matrix path"): for the TT family ``λ_A`` uses the EMA of ``max|G|/mat_vecs`` for
    ``x̄·d̄`` (``d_ema`` stays 1), and the ``mat_vecs/transfer_every`` column reads that fall in
    the update run in turn.
    """
    device_a = device_c if device_a is None else device_a
    if alg.update_mode == "stochastic":
        raise ValueError("algorithm.update_mode = 'stochastic' needs (x, d) batches (use step); from a "
                         "gradient matrix use one of ('deterministic', 'expected')")
    grad = jnp.asarray(grad, state.c.dtype)
    key, k_upd, k_tr = jax.random.split(state.key, 3)
    state = state._replace(key=key)
    if alg.name == "mixed_precision":
        chi = state.h - alg.lr * grad
        n = jnp.clip(jnp.round(chi / state.eps_c), -alg.bl, alg.bl)
        c = pt.apply_counts(device_c, state.cells_c, state.c, n, k_upd, max_pulses=alg.bl)
        state = _count_update(state, c=_sent(n, alg.bl))
        return state._replace(c=c, h=chi - n * state.eps_c, count=state.count + 1)
    if alg.name == "analog_sgd":
        c, sent = _pulse_matrix(alg, device_c, state.cells_c, state.c, -alg.lr * grad, state.eps_c, k_upd)
        return _count_update(state, c=jnp.abs(sent))._replace(c=c, count=state.count + 1)
    # x̄·d̄ per mat-vec: G sums mat_vecs outer products, so max|x|·max|d| ≥ max|G|/mat_vecs
    x_ema = _ema(state.x_ema, jnp.max(jnp.abs(grad)) / alg.mat_vecs, state.count)
    state = state._replace(x_ema=x_ema, d_ema=jnp.ones_like(state.d_ema))
    lam = _fast_lr(alg, state, x_ema, 1.0)
    update = -lam * grad * state.chop[None, :]
    a, sent = _pulse_matrix(alg, device_a, state.cells_a, state.a, update, state.eps_a, k_upd)
    return _after_gradient_update(alg, device_c, _count_update(state, a=jnp.abs(sent), last_a=sent), a, k_tr)


# ---------------------------------------------------------------------------------------------
# optax


class AnalogOptState(NamedTuple):
    """State of :func:`analog_optimizer`: one :class:`AnalogState` per parameter leaf."""

    leaves: Any  # a pytree like the params, of AnalogState


def _as_matrix(x: Array) -> Array:
    """A weight leaf as the ``(n_out, n_in)`` matrix the rules work on: NeuroSim's weight matrix
    (:func:`cimjax.trace.weight_matrix`: a conv kernel ``(K, K, C_in, C_out)`` becomes
    ``(C_in·K·K, C_out)``, a dense kernel stays ``(in, out)``), transposed."""
    x = jnp.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"params leaf shape {x.shape} is not a 2-D (in, out) or (…, in, out) kernel: the "
                         "in-situ rules train weight arrays only (cimjax's CIM layers have no biases)")
    return trace_lib.weight_matrix(x).T


def _from_matrix(m: Array, shape: tuple[int, ...]) -> Array:
    return trace_lib.kernel_from_weight_matrix(m.T, shape)


def _leaf_name(path, names) -> Optional[str]:
    """The first key of a pytree path (dict key or attribute) that is one of ``names``."""
    for k in path:
        name = getattr(k, "key", getattr(k, "name", None))
        if name in names:
            return name
    return None


def analog_optimizer(alg: AnalogAlgorithm, device_c: PulsedDevice, key: Array,
                     device_a: Optional[PulsedDevice] = None) -> optax.GradientTransformationExtraArgs:
    """``alg`` as an ``optax.GradientTransformationExtraArgs`` over weight leaves (a kernel
    ``(…, in, out)`` is trained as the ``(out, prod(…)·in)`` matrix of its array).

    ``init(params)`` draws each leaf's cells (``key`` folded with the leaf index) and programs
    ``C`` to the params (clipped to the cells' bounds); ``update(grads, state, params)`` runs
    :func:`step_gradient` on each leaf and returns ``W_eff_new − params`` (with ``params``) or
    ``W_eff_new − W_eff_old`` (without), so after ``optax.apply_updates`` the params are the
    arrays' effective weights.

    Update modes ``deterministic`` and ``expected`` take the gradient matrix. ``stochastic`` needs
    every layer's ``(x, d)`` vectors: ``update(grads, state, params, samples=...)`` with
    ``samples = {layer name: (x, d)}`` (the layer's input and the error at its output,
    :meth:`cimjax.nn.models.CIMNetwork.forward_with_inputs` with ``taps``); the leaf whose path
    holds that name is updated by :func:`step_samples` on :func:`layer_samples` (its ``grads``
    leaf is not used). A missing ``samples`` or layer is a ValueError.
    """

    def init_fn(params):
        leaves, treedef = jax.tree.flatten(params)
        states = [init_state(alg, device_c, device_a, jax.random.fold_in(key, i), _as_matrix(p))
                  for i, p in enumerate(leaves)]
        # one buffer per leaf: a training step donates its state, and XLA refuses a buffer twice
        states = jax.tree.map(lambda x: jnp.array(x, copy=True), states)
        return AnalogOptState(jax.tree.unflatten(treedef, states))

    def update_fn(grads, state, params=None, *, samples=None, **extra_args):
        del extra_args
        with_paths, treedef = jax.tree_util.tree_flatten_with_path(grads)
        g_leaves = [g for _, g in with_paths]
        s_leaves = treedef.flatten_up_to(state.leaves)
        p_leaves = treedef.flatten_up_to(params) if params is not None else [None] * len(g_leaves)
        if alg.update_mode == "stochastic" and samples is None:
            raise ValueError("algorithm.update_mode = 'stochastic' needs the layers' (x, d) vectors: call "
                             "update(grads, state, params, samples={layer: (x, d)})")
        new_states, updates = [], []
        for (path, g), s, p in zip(with_paths, s_leaves, p_leaves):
            shape = jnp.shape(g)
            if alg.update_mode == "stochastic":
                name = _leaf_name(path, samples)
                if name is None:
                    raise ValueError(f"samples has no (x, d) for the params leaf at {jax.tree_util.keystr(path)} "
                                     f"(layers given: {sorted(samples)})")
                x, d = layer_samples(*samples[name], shape)
                new = step_samples(alg, device_c, device_a, s, x, d)
            else:
                new = step_gradient(alg, device_c, device_a, s, _as_matrix(g))
            w_new = _from_matrix(effective_weight(alg, new), shape)
            old = p if p is not None else _from_matrix(effective_weight(alg, s), shape)
            updates.append((w_new - old).astype(jnp.result_type(g)))
            new_states.append(new)
        return jax.tree.unflatten(treedef, updates), AnalogOptState(jax.tree.unflatten(treedef, new_states))

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


# ---------------------------------------------------------------------------------------------
# Counters (RuleCounts)


def _is_state(x) -> bool:
    return isinstance(x, AnalogState)


def reset_counts(opt_state: Any) -> Any:
    """``opt_state`` (any pytree holding :class:`AnalogState` s) with every :class:`RuleCounts`
    zeroed; other optimiser states pass unchanged."""
    def zero(x):
        if not _is_state(x) or x.counts is None:
            return x
        return x._replace(counts=jax.tree.map(jnp.zeros_like, x.counts))
    return jax.tree.map(zero, opt_state, is_leaf=_is_state)


def count_summary(counts: RuleCounts) -> dict:
    """One matrix's :class:`RuleCounts` as scalars (jittable): the totals, and the most pulses
    any one cell of ``A`` / ``C`` received (``max_cell_pulses_*``, the endurance figure)."""
    z = jnp.zeros((), jnp.float32)
    pa = counts.pulses_a
    return {
        "reads": counts.reads, "commits": counts.commits, "commit_pulses": counts.commit_pulses,
        "updates": counts.updates,
        "pulses_a": z if pa is None else jnp.sum(pa), "pulses_c": jnp.sum(counts.pulses_c),
        "max_cell_pulses_a": z if pa is None else jnp.max(pa), "max_cell_pulses_c": jnp.max(counts.pulses_c),
    }


def layer_counts(opt_state: Any, names: tuple[str, ...]) -> Optional[dict]:
    """``{name: count_summary}`` of the ``kernel`` of each named layer of an
    :func:`analog_optimizer` state (``opt_state.leaves[name]['kernel']``), or None when
    ``opt_state`` is no :class:`AnalogOptState` (``neurosim``, ``sgd``)."""
    if not isinstance(opt_state, AnalogOptState):
        return None
    out = {}
    for n in names:
        out[n] = count_summary(_layer_state(opt_state, n).counts)
    return out


def _layer_state(opt_state: "AnalogOptState", name: str) -> AnalogState:
    """The :class:`AnalogState` of layer ``name``'s kernel (the leaf may sit in a variable
    wrapper of a flax nnx state)."""
    return [x for x in jax.tree.leaves(opt_state.leaves[name]["kernel"], is_leaf=_is_state) if _is_state(x)][0]


def last_a_pulses(opt_state: Any, names: tuple[str, ...]) -> Optional[dict]:
    """``{name: (n_in, n_out)}``: the signed pulses the last update sent to each named layer's
    ``A`` (:attr:`RuleCounts.last_a`), in NeuroSim's weight-matrix layout
    (:func:`cimjax.trace.weight_matrix`); None unless ``opt_state`` is a TT rule's
    :func:`analog_optimizer` state. The trainer's write statistics of a TT rule are ``A``'s
    (the array the gradient updates), not those of the effective weight."""
    if not isinstance(opt_state, AnalogOptState):
        return None
    states = {n: _layer_state(opt_state, n) for n in names}
    if any(s.counts is None or s.counts.last_a is None for s in states.values()):
        return None
    return {n: s.counts.last_a.T for n, s in states.items()}
