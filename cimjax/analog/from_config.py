"""From the config sections to the analog array read of each CIM layer (issue 6, item 4).

The ``array`` section (:class:`cimjax.config.schema.ArraySection`) picks the mode:

* ``ideal``: the float product of the WAGE weights (:func:`cimjax.nn.wage.wage_dense` /
  ``wage_conv``); no analog configuration is built.
* ``hw_forward``: the forward product ``x @ wq`` / ``conv(x, wq)`` through
  :func:`cimjax.analog.analog_dense` / ``analog_conv`` with ``backward='ste'``.
* ``hw_full``: as ``hw_forward`` with ``backward='analog'`` (the activation gradient is
  the transposed read of the same cells).

Every other number comes from one place: sub-array rows, ADC bits, cell bits and on/off
ratio from ``hardware``, input bits from ``quant.activation_bits``, weight bits from
``quant.weight_bits``. The first layer reads the float (normalised) image in one analog
read without an ADC (``bit_serial=False, adc_mode='none'``, NeuroSim's conv1 path); the
later layers read the ReLU'd activations bit-serially through the configured ADC.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

from cimjax.analog.config import NONLINEAR_ADC_BITS, ArrayConfig
from cimjax.config._validate import ConfigError
from cimjax.config.schema import ArraySection, HardwareConfig, QuantConfig

#: ``array.mode`` → ``backward`` argument of the analog read (``ideal`` has none).
BACKWARD_OF_MODE = {"hw_forward": "ste", "hw_full": "analog"}


@dataclasses.dataclass(frozen=True)
class LayerArrays:
    """The analog read settings of a network, as the layers take them.

    Attributes:
      first: :class:`ArrayConfig` of the first layer (float input, no ADC).
      later: :class:`ArrayConfig` of every later layer (bit-serial input, ADC).
      backward: ``'ste'`` or ``'analog'`` for the later layers. The first layer always
        uses ``'ste'``: its activation gradient (w.r.t. the image) is never used, so a
        transposed read there would cost time and change nothing.
      variation_sigma: σ of the static conductance variation of every layer (0: none).
    """

    first: ArrayConfig
    later: ArrayConfig
    backward: str
    variation_sigma: float


def _bits(path: str, bits: Optional[int], mode: str) -> int:
    if bits is None or bits == 32:
        raise ConfigError(
            f"{path} = {bits!r} is invalid with array.mode = {mode!r}: the analog array needs an "
            "integer bit width in [1, 16], not float"
        )
    return int(bits)


def layer_array_configs(
    array: ArraySection,
    hardware: Optional[HardwareConfig] = None,
    quant: Optional[QuantConfig] = None,
) -> Optional[LayerArrays]:
    """Builds the per-layer analog configurations, or None for ``array.mode = 'ideal'``.

    Args:
      array: the ``array`` section.
      hardware: the ``hardware`` section (default ``HardwareConfig()``).
      quant: the ``quant`` section (default ``QuantConfig()``).

    Returns:
      A :class:`LayerArrays`, or None in ``ideal`` mode.

    Raises:
      ConfigError: naming the fields, when the sections do not fit together:
        ``quant.weight_bits`` / ``quant.activation_bits`` float, ``quant.weight_bits`` not
        divisible by ``hardware.cell_bits``, or ``array.adc_mode = 'nonlinear'`` with
        ``hardware.adc_bits`` outside 3..5.
    """
    if array.mode == "ideal":
        return None
    hardware = HardwareConfig() if hardware is None else hardware
    quant = QuantConfig() if quant is None else quant
    weight_bits = _bits("quant.weight_bits", quant.weight_bits, array.mode)
    input_bits = _bits("quant.activation_bits", quant.activation_bits, array.mode)
    if weight_bits % hardware.cell_bits:
        raise ConfigError(
            f"quant.weight_bits = {weight_bits} is invalid with hardware.cell_bits = {hardware.cell_bits}: "
            "expected quant.weight_bits divisible by hardware.cell_bits (each weight is split into "
            "weight_bits / cell_bits cells)"
        )
    if array.adc_mode == "nonlinear" and hardware.adc_bits not in NONLINEAR_ADC_BITS:
        raise ConfigError(
            f"hardware.adc_bits = {hardware.adc_bits} is invalid with array.adc_mode = 'nonlinear': "
            f"expected one of {NONLINEAR_ADC_BITS} (or array.adc_mode = 'none' / 'linear')"
        )
    later = ArrayConfig(
        weight_bits=weight_bits,
        input_bits=input_bits,
        cell_bits=hardware.cell_bits,
        subarray_rows=hardware.subarray_rows,
        adc_bits=hardware.adc_bits,
        adc_mode=array.adc_mode,
        adc_range=array.adc_range,
        on_off_ratio=float(hardware.on_off_ratio),
        mapping=array.mapping,
        retention_time=float(array.retention_time),
        drift_v=float(array.drift_v),
        drift_mode=array.drift_mode,
    )
    first = dataclasses.replace(later, bit_serial=False, adc_mode="none")
    return LayerArrays(
        first=first,
        later=later,
        backward=BACKWARD_OF_MODE[array.mode],
        variation_sigma=float(array.variation_sigma),
    )
