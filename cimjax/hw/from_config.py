"""Build the estimator's chip (:class:`~cimjax.hw.chip.ChipParams`, :class:`~cimjax.hw.chip.ChipConfig`)
from an experiment :class:`~cimjax.config.schema.Config`.

Mapping (spec §5.3; NeuroSim's ``Param.cpp`` and command-line precisions):

* ``hardware``: node → ``circuit.node_nm``; clock, temperature → ``circuit``; sub-array size,
  ADC bits (``adc_levels = 2^adc_bits``, also the AG ADC), columns per ADC, R_on and on/off
  (``r_off = r_on·on_off_ratio``), read/write voltages and pulse widths → ``subarray``;
  ``cell_bits`` → ``floorplan.cell_bits`` (lowered to the weight bits when larger, 1 for
  SRAM, as ``main.cpp``); ``wg_adc_bits`` → ``wg.adc_levels = 2^wg_adc_bits``;
  ``global_bus_width`` → ``floorplan.max_global_bus_width``;
  ``mapping``/``global_buffer``/``tile_buffer``/``dram``/``cell_type``/``neurosim_code`` →
  :class:`ChipConfig`.
* ``quant``: ``weight_bits`` → ``synapse_bits``; ``activation_bits`` → ``num_bit_input`` (and
  the WG farm's static width). Float (None) precisions fall back to NeuroSim's 5 and 8.
* ``data``/``train``: ``batch_size = data.batch_size``; ``num_iterations = ⌊N_train/batch⌋``
  capped by ``train.steps_per_epoch`` (the training loop's full batches)
  with ``N_train`` = ``data.num_train`` if set, else the dataset's training size (CIFAR-10
  50,000, Fashion-MNIST 60,000, synthetic ``synthetic_train_size``).
* ``device.max_level`` (resolved preset) → ``subarray.max_levels``.
* layers: :func:`cimjax.hw.network.network_layers` of the model on the data's image shape.
"""

from __future__ import annotations

from typing import Optional, Sequence

import jax.numpy as jnp

from cimjax.config.schema import Config
from cimjax.hw import chip
from cimjax.hw.components.params import CircuitParams
from cimjax.hw.network import LayerShape, network_layers

#: Training-set sizes of the datasets the data config names (the embedded Fashion-MNIST
#: subset ships 6,000 training images; synthetic data has ``data.synthetic_train_size``).
TRAIN_SIZES = {"cifar10": 50000, "fashion_mnist": 60000, "fashion_mnist_embedded": 6000}
#: NeuroSim's command-line precisions (weights, activations), used for float (None) bits.
DEFAULT_BITS = (5, 8)


def _f(x) -> jnp.ndarray:
    return jnp.asarray(float(x), jnp.result_type(float))


def train_size(config: Config) -> int:
    """Training images per epoch of ``config.data`` (``num_train`` caps the dataset size)."""
    d = config.data
    full = d.synthetic_train_size if d.name == "synthetic" else TRAIN_SIZES[d.name]
    return int(min(full, d.num_train)) if d.num_train is not None else int(full)


def chip_from_config(
    config: Config, layers: Optional[Sequence[LayerShape]] = None
) -> tuple[chip.ChipParams, chip.ChipConfig]:
    """The chip of ``config``: traced :class:`ChipParams` and static :class:`ChipConfig`.

    Args:
      config: the experiment config.
      layers: the layer table; None = the model's on the data's image shape.

    Returns:
      ``(params, chip_config)``.
    """
    hw, q = config.hardware, config.quant
    if layers is None:
        from cimjax.data import dataset_image_shape

        layers = network_layers(config.model, dataset_image_shape(config.data))
    layers = tuple(LayerShape(*layer) for layer in layers)
    synapse_bits = q.weight_bits if q.weight_bits is not None and not q.is_float(q.weight_bits) else DEFAULT_BITS[0]
    input_bits = (
        q.activation_bits if q.activation_bits is not None and not q.is_float(q.activation_bits) else DEFAULT_BITS[1]
    )
    cell_bits = 1 if hw.cell_type == "sram" else min(hw.cell_bits, synapse_bits)
    batch = config.data.batch_size
    # Iterations per epoch as the training loop runs them (full batches, capped by
    # train.steps_per_epoch): NeuroSim's numIteration.
    iterations = max(1, train_size(config) // batch)
    if config.train.steps_per_epoch is not None:
        iterations = min(iterations, config.train.steps_per_epoch)
    try:
        max_levels = config.device.resolved().max_level
    except Exception:  # pragma: no cover - a preset without levels
        max_levels = 32
    defaults = chip.default_params()
    circuit = CircuitParams(
        node_nm=_f(hw.technology_node_nm),
        clock_hz=_f(hw.clock_hz),
        temperature_k=_f(hw.temperature_k),
    )
    levels = 2.0**hw.adc_bits
    sub = defaults.subarray._replace(
        circuit=circuit,
        rows=_f(hw.subarray_rows),
        cols=_f(hw.subarray_cols),
        columns_per_adc=_f(hw.columns_per_adc),
        adc_levels=_f(levels),
        adc_levels_ag=_f(levels),
        num_bit_input=_f(input_bits),
        r_on=_f(hw.r_on),
        r_off=_f(hw.r_on * hw.on_off_ratio),
        read_voltage=_f(hw.read_voltage),
        read_pulse_width=_f(hw.read_pulse_width),
        write_voltage=_f(hw.write_voltage),
        write_pulse_width=_f(hw.write_pulse_width),
        max_levels=_f(max_levels),
    )
    fp = defaults.floorplan._replace(
        subarray_rows=_f(hw.subarray_rows),
        subarray_cols=_f(hw.subarray_cols),
        synapse_bits=_f(synapse_bits),
        cell_bits=_f(cell_bits),
        columns_per_adc=_f(hw.columns_per_adc),
        max_global_bus_width=_f(hw.global_bus_width),
    )
    wg = defaults.wg._replace(circuit=circuit, num_bit_input=_f(input_bits), batch_size=_f(batch),
                              adc_levels=_f(2.0**hw.wg_adc_bits))
    params = defaults._replace(
        circuit=circuit,
        subarray=sub,
        wg=wg,
        floorplan=fp,
        batch_size=_f(batch),
        num_iterations=_f(iterations),
        num_bit_input=_f(input_bits),
        synapse_bits=_f(synapse_bits),
    )
    chip_config = chip.ChipConfig(
        layers=layers,
        cell=hw.cell_type,
        novel_mapping=hw.mapping == "novel",
        global_buffer=hw.global_buffer,
        tile_buffer=hw.tile_buffer,
        dram=hw.dram,
        reference_subarray=(hw.subarray_rows, hw.subarray_cols, cell_bits, synapse_bits),
        wg_input_bits=int(input_bits),
        columns_per_adc=int(hw.columns_per_adc),
        neurosim_code=hw.neurosim_code,
    )
    return params, chip_config
