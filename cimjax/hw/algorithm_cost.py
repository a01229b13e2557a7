"""What an in-situ training rule adds to the chip: extra arrays, a transfer phase, a digital
buffer, and the endurance load of its devices (issue 16, item 4; docs/algorithms.md "Hardware cost").

The rules are those of :mod:`cimjax.optim.analog_algorithms` (docs/algorithms.md).
:func:`cimjax.build.algorithm_counts` turns ``train.optimizer`` into the per-iteration counts of
:class:`AlgorithmCounts`. :func:`algorithm_estimate` costs them with the chip's own models, so
there is no second read, write or buffer model:

* **Extra arrays.** Each rule of the Tiki-Taka family (``ttv1``, ``ttv2``, ``cttv2``, ``agad``)
  keeps a fast array ``A`` beside the weight array ``C``: two device arrays per weight
  (Gokmen & Haensch, Front. Neurosci. 14:103 (2020), §2). ``A`` is costed like ``C``: one more
  copy of the chip's cell arrays (the ``array`` area bucket). The periphery (drivers, ADCs,
  adders) is shared, because ``A`` is read only between updates. ``A``'s reference device is
  costed like ``C``'s, i.e. not at all: NeuroSim's ``C`` has no reference array either.
* **Transfer reads** (the TT family). A transfer reads one column ``j`` of ``A``: a forward read
  whose input is the one-hot ``e_j``. That is one input bit-vector with one of the layer's ``n_in``
  rows on, so the trace's ``input_activity`` is ``1/n_in`` and its read occupancy 1. It is costed
  by the forward read of :func:`cimjax.hw.chip_figures.subarray_figures` (NeuroSim's sub-array
  read) in each of the ``⌈C_col/cols⌉`` sub-arrays that hold the row, where
  ``C_col = C_out·cells per weight``. Every one of the ``C_col`` cell columns is converted by an ADC.
  Reads per iteration: ``batch/transfer_every`` (``batch`` the traced ``ChipParams.batch_size``) (aihwkit counts ``transfer_every`` in mat-vecs,
  docs/algorithms.md "Units of the gradient-matrix path").
* **Transfer writes.** After each read, the column's commit is written into ``C``. The model is
  the worst case of the rule: every weight of the column gets ``transfer_bl`` pulses, half of them
  SET and half RESET. Those are NeuroSim's write statistics of one row
  (:func:`cimjax.trace.weight_update_stats`, docs/model.md §5.5): per sub-array
  ``write_pulses = 2·transfer_bl`` (the row's SET and RESET phases), ``cell_pulses =
  m·transfer_bl`` with ``m = C_out/⌈C_col/cols⌉`` weights, ``row_write_activity = 1/(2·rows)`` and
  ``col_write_activity = ⌊m/2⌋/(2·cols)``. They are costed by the sub-array write of the same
  call. TTv2, c-TTv2 and AGAD commit only where ``|H| ≥ 1``, so for them this is an upper bound.
* **Digital buffer.** TTv2 and c-TTv2 keep ``H`` (one word per weight). Each read reads and
  writes the column's ``C_out`` words. AGAD also keeps four statistics per weight (``m``, ``q``
  of the current period, ``m``, variance of the previous), so it has 5 words per weight and reads
  and writes 5 per read. Mixed precision keeps ``χ`` (one word per weight) and reads and writes
  all of it every update (Nandakumar et al., Front. Neurosci. 14:406 (2020)). Words are
  :data:`BUFFER_WORD_BITS` bits. The buffer is the chip's global-buffer kind
  (``hardware.global_buffer``: NeuroSim's register file or SRAM, :mod:`cimjax.hw.chip_rollup`
  ``BUFFERS``), with ``⌈bits/core²⌉`` cores per layer on the chip's global bus.
* **Transfer phase.** Per layer and iteration, latency ``R·(t_read + t_write) + t_buffer`` and
  energy ``R·n_sub·(E_read + E_write) + E_buffer``, where ``R`` is the reads and ``n_sub`` the
  sub-arrays of a row. The sub-arrays of a row work in parallel, and successive columns one
  after the other. Layers add up, as NeuroSim's phases do. The update of the array the gradient
  goes to (``C`` for SGD, analog SGD and mixed precision, ``A`` for the TT family) stays the WU
  phase of :func:`cimjax.hw.chip.estimate`, costed from the trace's write statistics.
* **Endurance.** This is a bound on the pulses one device receives per iteration, taken from
  the rule's caps (:class:`AlgorithmCounts`), times the iterations of an epoch.
* **Measured counts.** A training run records what the rule did per epoch
  (:class:`MeasuredCounts`, ``algorithm_counts.csv``). Given them, the reads, the commit's
  write statistics (mean cells committed and pulses per read, in place of the worst case), the
  buffer traffic and the endurance (the most pulses one cell received) are the measured ones
  (:func:`algorithm_estimate`, docs/algorithms.md "Measured counts").

Valid range: the rules' schedules as implemented in :mod:`cimjax.optim.analog_algorithms`, with
``n_reads_per_transfer = 1``. Peripheral circuits for the pulse trains (stochastic bit
generators) and the reference devices are not costed.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from cimjax.hw import chip
from cimjax.hw.chip_figures import subarray_figures
from cimjax.hw.chip_rollup import BUFFERS
from cimjax.hw.chip_types import LatencyEnergy
from cimjax.hw.components import misc
from cimjax.hw.components.gates import with_standard_cells
from cimjax.hw.components.params import as_float
from cimjax.hw.floorplan import floorplan
from cimjax.trace import Trace

Array = jax.Array

#: Bits of one digital buffer word (``H``, ``χ``, AGAD's statistics): float32, the precision in
#: which :mod:`cimjax.optim.analog_algorithms` holds them (and aihwkit's ``float`` tiles).
BUFFER_WORD_BITS = 32


class AlgorithmCounts(NamedTuple):
    """What a rule does, from :func:`cimjax.build.algorithm_counts` (per image, per read or per
    iteration, so that the batch size stays a traced knob of the chip).

    Attributes:
      extra_arrays: scalar, device arrays per weight besides ``C`` (TT family 1, else 0).
      reads_per_image: scalar, column reads of ``A`` per training image (``1/transfer_every``;
        a layer reads ``batch·reads_per_image`` columns per iteration).
      commit_pulses: scalar, the most pulses one commit gives a cell of ``C`` (``transfer_bl``).
      buffer_words: ``(L,)`` digital buffer capacity in words.
      read_words_per_read / write_words_per_read: ``(L,)`` buffer words read / written per
        transfer read.
      read_words_per_update / write_words_per_update: ``(L,)`` buffer words read / written per
        iteration besides the reads (mixed precision's ``χ``).
      pulses_per_update_a / pulses_per_update_c: scalars, the most pulses one device of ``A`` /
        ``C`` receives from one gradient update (the rule's cap). ``C``'s commits add
        ``commit_pulses·reads/n_in`` per iteration: the reads cycle through the ``n_in`` columns.
    """

    extra_arrays: Array
    reads_per_image: Array
    commit_pulses: Array
    buffer_words: Array
    read_words_per_read: Array
    write_words_per_read: Array
    read_words_per_update: Array
    write_words_per_update: Array
    pulses_per_update_a: Array
    pulses_per_update_c: Array


#: The per-layer fields of :class:`MeasuredCounts`, in the order of ``algorithm_counts.csv``.
MEASURED_FIELDS = ("updates", "reads", "commits", "commit_pulses", "pulses_a", "pulses_c", "max_cell_pulses_a",
                   "max_cell_pulses_c", "buffer_words_read", "buffer_words_written")


class MeasuredCounts(NamedTuple):
    """What a training run's rule did in one epoch, per layer (each field ``(L,)``): the
    optimiser's :class:`cimjax.optim.analog_algorithms.RuleCounts` summed over the epoch, written
    by the training loop to ``algorithm_counts.csv`` (docs/algorithms.md "Hardware cost").

    Attributes:
      updates: gradient updates (iterations).
      reads: transfer reads (columns of ``A``).
      commits: cells of ``C`` a transfer sent at least one pulse to (over all reads).
      commit_pulses: pulses the transfers sent to ``C``.
      pulses_a / pulses_c: pulses sent to ``A`` / ``C`` (all cells; ``C``'s include the commits).
      max_cell_pulses_a / max_cell_pulses_c: the most pulses one cell of ``A`` / ``C`` received.
      buffer_words_read / buffer_words_written: digital buffer traffic in words: the measured
        reads and updates times the words per read and per update of
        :func:`cimjax.build.algorithm_counts` (the buffer's access pattern is fixed by the rule).
    """

    updates: Array
    reads: Array
    commits: Array
    commit_pulses: Array
    pulses_a: Array
    pulses_c: Array
    max_cell_pulses_a: Array
    max_cell_pulses_c: Array
    buffer_words_read: Array
    buffer_words_written: Array


def measured_columns(layer_names) -> list[str]:
    """The columns of ``algorithm_counts.csv`` after ``epoch``: ``FIELD_LAYER`` for every field of
    :data:`MEASURED_FIELDS`, each for every layer."""
    return [f"{f}_{n}" for f in MEASURED_FIELDS for n in layer_names]


def measured_counts(layers: dict, counts: AlgorithmCounts) -> MeasuredCounts:
    """:class:`MeasuredCounts` (numpy, float64) from ``{layer: summary}``
    (:func:`cimjax.optim.analog_algorithms.layer_counts`, in the network's layer order) and the
    rule's words per read / update (``counts``, :func:`cimjax.build.algorithm_counts`)."""
    import numpy as np

    col = {k: np.asarray([float(v[k]) for v in layers.values()], np.float64)
           for k in MEASURED_FIELDS if k not in ("buffer_words_read", "buffer_words_written")}
    words = lambda per_read, per_update: (col["reads"] * np.asarray(per_read, np.float64)  # noqa: E731
                                          + col["updates"] * np.asarray(per_update, np.float64))
    return MeasuredCounts(**col, buffer_words_read=words(counts.read_words_per_read, counts.read_words_per_update),
                          buffer_words_written=words(counts.write_words_per_read, counts.write_words_per_update))


def measured_from_row(values, num_layers: int) -> MeasuredCounts:
    """The :class:`MeasuredCounts` of one ``algorithm_counts.csv`` row (without its epoch)."""
    import numpy as np

    v = np.asarray(values, np.float64)
    if v.shape != (len(MEASURED_FIELDS) * num_layers,):
        raise ValueError(f"{v.size} values, expected {len(MEASURED_FIELDS)} fields × {num_layers} layers")
    return MeasuredCounts(*v.reshape(len(MEASURED_FIELDS), num_layers))


class AlgorithmEstimate(NamedTuple):
    """The rule's cost per epoch (s, J, m², W); ``layer_*`` fields are ``(L,)``.

    Attributes:
      array_area: the extra device arrays (``extra_arrays ×`` the chip's cell-array area).
      buffer_area / buffer_leakage: the digital buffer.
      transfer: the transfer phase per epoch (latency, energy): reads + writes + buffer.
      transfer_read / transfer_write / buffer: its parts.
      layer_latency / layer_energy: the phase per layer.
      transfer_reads: column reads per epoch (all layers).
      adc_conversions: ADC conversions of the transfer reads per epoch.
      buffer_bits_read / buffer_bits_written: buffer traffic per epoch, bits.
      max_pulses_per_epoch: the most pulses one device receives per epoch (all arrays): the
        bound, or with measured counts the measured maximum.
    """

    array_area: Array
    buffer_area: Array
    buffer_leakage: Array
    transfer: LatencyEnergy
    transfer_read: LatencyEnergy
    transfer_write: LatencyEnergy
    buffer: LatencyEnergy
    layer_latency: Array
    layer_energy: Array
    transfer_reads: Array
    adc_conversions: Array
    buffer_bits_read: Array
    buffer_bits_written: Array
    max_pulses_per_epoch: Array


def commit_write_stats(commit_pulses, out_channels, weight_cols, sub_rows, sub_cols, measured=None):
    """NeuroSim's per-sub-array write statistics of one column commit (module docstring):
    ``(write_pulses, cell_pulses, row_write_activity, col_write_activity)`` and the number of
    sub-arrays the row spans, ``⌈weight_cols/sub_cols⌉``.

    Without ``measured``, the worst case: all ``m`` weights of the row's part in a sub-array get
    ``commit_pulses``. With ``measured = (cells, pulses)``, the mean cells committed and pulses
    sent per read (a run's :class:`MeasuredCounts`): ``m`` becomes ``cells/n_sub`` (not floored:
    a mean) and ``cell_pulses = pulses/n_sub``; the row's SET and RESET phases
    (``write_pulses``) stay ``2·commit_pulses``."""
    n_sub = jnp.ceil(weight_cols / sub_cols)
    write_pulses = 2.0 * commit_pulses * jnp.ones_like(n_sub)
    row_activity = jnp.ones_like(n_sub) / (2.0 * sub_rows)
    if measured is None:
        m = jnp.minimum(out_channels / n_sub, sub_cols)
        cell_pulses = m * commit_pulses
        col_activity = jnp.floor(m / 2.0) / (2.0 * sub_cols)
    else:
        cells, pulses = measured
        cell_pulses = pulses / n_sub
        col_activity = jnp.minimum(cells / n_sub, sub_cols) / 2.0 / (2.0 * sub_cols)
    return (write_pulses, cell_pulses, row_activity, col_activity), n_sub


def algorithm_estimate(params, config, trace, counts: AlgorithmCounts, array_area,
                       measured: MeasuredCounts | None = None) -> AlgorithmEstimate:
    """The cost of the rule's ``counts`` on the chip ``params``/``config`` (module docstring).

    With ``measured`` (a run's epoch, :class:`MeasuredCounts`), the per-iteration reads are the
    measured ``reads/updates``; each read's commit is costed from the measured cells and pulses
    per read (:func:`commit_write_stats`) instead of the worst case; the buffer traffic is the
    measured one per update; and the endurance figure is the measured most pulses one cell
    received in the epoch. Iterations per epoch stay the chip's (``num_iterations``).

    Args:
      params: ``ChipParams`` (traced).
      config: ``ChipConfig`` (static).
      trace: the estimate's ``Trace`` (its weight level sets the transfer read and write).
      counts: :class:`AlgorithmCounts`.
      array_area: the chip's cell-array area (``ChipEstimate.area.array``), m².
      measured: a run's per-epoch counts, or None (the bound).

    Returns:
      :class:`AlgorithmEstimate` per epoch.
    """

    params = params._replace(circuit=with_standard_cells(params.circuit, config.component))
    fp = floorplan(*chip.floorplan_inputs(params, config))
    sp = params.subarray
    sub_rows, sub_cols = as_float(sp.rows), as_float(sp.cols)
    dtype = fp.weight_rows.dtype
    c_out = jnp.asarray([float(l.out_channels) for l in config.layers], dtype)
    n_in = fp.weight_rows
    ones = jnp.ones_like(n_in)
    if measured is not None:
        per_update = jnp.maximum(as_float(measured.updates), 1.0)
        per_read = jnp.maximum(as_float(measured.reads), 1.0)
        commit = (as_float(measured.commits) / per_read, as_float(measured.commit_pulses) / per_read)
    else:
        commit = None
    stats, n_sub = commit_write_stats(as_float(counts.commit_pulses), c_out, fp.weight_cols, sub_rows, sub_cols,
                                      commit)
    transfer_trace = Trace(input_activity=1.0 / n_in, weight_level=as_float(trace.weight_level) * ones,
                           write_pulses=stats[0], cell_pulses=stats[1], row_write_activity=stats[2],
                           col_write_activity=stats[3], read_occupancy=ones)
    sub = subarray_figures(params, config, transfer_trace, fp)
    if measured is None:
        reads = as_float(counts.reads_per_image) * as_float(params.batch_size) * ones  # per iteration
    else:
        reads = as_float(measured.reads) / per_update
    read_t, read_e = reads * sub.fw_latency, reads * n_sub * sub.fw_energy
    write_t, write_e = reads * sub.write_latency, reads * n_sub * sub.write_energy

    # The digital buffer: the chip's global-buffer kind and cores (rows × cols bits, read cols
    # bits a line), on the global bus.
    cc = config.component
    core_rows, core_cols = (float(x) for x in config.global_buffer_core)
    kind = config.global_buffer
    bcfg = cc.sub(misc.BufferConfig, core_rows=config.global_buffer_core[0], core_cols=config.global_buffer_core[1])
    word = float(BUFFER_WORD_BITS)
    cap_bits = as_float(counts.buffer_words) * word
    cores = jnp.maximum(cc.ceil(cap_bits / (core_rows * core_cols)), 1.0)

    def access(bits, n_cores, write):
        p = misc.BufferParams(params.circuit, bits, n_cores, core_cols, fp.global_bus_width, 1.0, 1.0)
        if kind == "sram":
            return BUFFERS[kind](p, bcfg, write=write, cell=params.sram_cell)
        return BUFFERS[kind](p, bcfg)

    if measured is None:
        rd_bits = (reads * as_float(counts.read_words_per_read) + as_float(counts.read_words_per_update)) * word
        wr_bits = (reads * as_float(counts.write_words_per_read) + as_float(counts.write_words_per_update)) * word
    else:
        rd_bits = as_float(measured.buffer_words_read) / per_update * word
        wr_bits = as_float(measured.buffer_words_written) / per_update * word
    rd = jax.vmap(lambda b, n: access(b, n, False))(rd_bits, cores)
    wr = jax.vmap(lambda b, n: access(b, n, True))(wr_bits, cores)
    has = cap_bits > 0
    buf_t = jnp.where(has, rd.latency + wr.latency, 0.0)
    buf_e = jnp.where(has, rd.energy + wr.energy, 0.0)
    buf_area = jnp.sum(jnp.where(has, rd.area, 0.0), axis=-1)
    buf_leak = jnp.sum(jnp.where(has, rd.leakage, 0.0), axis=-1)

    iters = as_float(params.num_iterations)
    layer_t = (read_t + write_t + buf_t) * iters
    layer_e = (read_e + write_e + buf_e) * iters

    def total(t, e):
        return LatencyEnergy(jnp.sum(t, axis=-1) * iters, jnp.sum(e, axis=-1) * iters)

    pulses_c = as_float(counts.pulses_per_update_c) + as_float(counts.commit_pulses) * reads / n_in
    pulses_a = as_float(counts.pulses_per_update_a) * ones
    max_pulses = jnp.max(jnp.maximum(pulses_a, pulses_c), axis=-1) * iters
    if measured is not None:  # the run's epoch, scaled to the chip's iterations per epoch
        cell_max = jnp.maximum(as_float(measured.max_cell_pulses_a), as_float(measured.max_cell_pulses_c))
        max_pulses = jnp.max(cell_max / per_update, axis=-1) * iters
    return AlgorithmEstimate(
        array_area=as_float(counts.extra_arrays) * as_float(array_area),
        buffer_area=buf_area,
        buffer_leakage=buf_leak,
        transfer=LatencyEnergy(jnp.sum(layer_t, axis=-1), jnp.sum(layer_e, axis=-1)),
        transfer_read=total(read_t, read_e),
        transfer_write=total(write_t, write_e),
        buffer=total(buf_t, buf_e),
        layer_latency=layer_t,
        layer_energy=layer_e,
        transfer_reads=jnp.sum(reads, axis=-1) * iters,
        adc_conversions=jnp.sum(reads * fp.weight_cols, axis=-1) * iters,
        buffer_bits_read=jnp.sum(rd_bits, axis=-1) * iters,
        buffer_bits_written=jnp.sum(wr_bits, axis=-1) * iters,
        max_pulses_per_epoch=max_pulses,
    )
