"""The wire table and wire resistances (docs/model.md §5.3) as pure ``jnp``.

Source: DNN+NeuroSim V2.0 ``Param.cpp`` (wire table: aspect ratio and resistivity per wire
width) as tabulated in docs/model.md §5.3; the node → wire width pairing and the temperature factor
are V2.1's. Nothing here is fitted by cimjax. The wire width is a continuous parameter:
every column is interpolated linearly in the width over the tabulated widths.

Valid range: wire width in [14, 200] nm (node in [7, 130] nm for the pairing). Python
(concrete) inputs outside raise ``ValueError``; traced inputs are clipped to the range
(:func:`cimjax.hw.tech.check_range`). Inputs are named with their unit (``wire_width_nm``,
``temperature_k``); every output is SI (Ω·m, Ω/m, Ω).
"""

from __future__ import annotations

from typing import Union

import jax
import jax.numpy as jnp

from cimjax.hw import tech

Array = jax.Array
ArrayLike = Union[jax.Array, float, int]

#: Tabulated wire widths, nm (ascending), docs/model.md §5.3.
WIRE_WIDTHS_NM = (14.0, 22.0, 32.0, 40.0, 50.0, 100.0, 200.0)
#: Valid wire-width range, nm.
WIRE_WIDTH_RANGE_NM = (14.0, 200.0)
#: V2.1 wire resistivity temperature coefficient, 1/K (docs/model.md §5.3, §6).
WIRE_TEMPERATURE_COEFFICIENT = 0.00451

#: Wire table (docs/model.md §5.3): wire width → aspect ratio, resistivity (Ω·m), in :data:`WIRE_WIDTHS_NM` order.
WIRE_ASPECT_RATIO = (2.10, 2.00, 1.90, 1.90, 2.34, 2.30, 2.10)
WIRE_RESISTIVITY = (7.43e-8, 5.41e-8, 4.51e-8, 4.03e-8, 3.91e-8, 2.73e-8, 2.42e-8)
#: V2.1's node → wire width pairing (docs/model.md §5.3), nm, in :data:`cimjax.hw.tech.NODES_NM` order.
NODE_WIRE_WIDTH_NM = (14, 14, 22, 32, 40, 50, 100, 200, 200)


def wire_width_for_node(node_nm: ArrayLike) -> Array:
    """Wire width paired with a node (V2.1's ``Param.cpp`` comments, docs/model.md §5.3), nm.

    130/90 → 200; 65 → 100; 45 → 50; 32 → 40; 22 → 32; 14 → 22; 10/7 → 14, linear in the
    node between tabulated nodes. Valid for [7, 130] nm.

    Args:
      node_nm: technology node, nm, any shape.

    Returns:
      Wire width, **nm** (the unit :func:`wire_resistance_per_length` takes).

    Raises:
      ValueError: a concrete node outside [7, 130] nm.
    """
    node = tech.check_range("node_nm", node_nm, *tech.NODE_RANGE_NM)
    return tech.interp(node, tech.NODES_NM, NODE_WIRE_WIDTH_NM)


def wire_table(wire_width_nm: ArrayLike) -> tuple[Array, Array]:
    """Aspect ratio and resistivity (at 300 K) of a wire width, docs/model.md §5.3.

    Linear in the wire width between the tabulated widths 14, 22, 32, 40, 50, 100, 200 nm.

    Args:
      wire_width_nm: wire width, nm, in [14, 200]; any shape.

    Returns:
      ``(aspect ratio, resistivity in Ω·m)``.

    Raises:
      ValueError: a concrete width outside [14, 200] nm.
    """
    width = tech.check_range("wire_width_nm", wire_width_nm, *WIRE_WIDTH_RANGE_NM)
    aspect_ratio = tech.interp(width, WIRE_WIDTHS_NM, WIRE_ASPECT_RATIO)
    return aspect_ratio, tech.interp(width, WIRE_WIDTHS_NM, WIRE_RESISTIVITY)


def wire_resistance_per_length(wire_width_nm: ArrayLike, temperature_k: ArrayLike = 300.0) -> Array:
    """Unit wire resistance ``ρ(T)/(w²·AR)``, docs/model.md §5.3 (about 13.3 Ω/µm at 40 nm, 300 K).

    ``ρ(T) = ρ·(1 + 0.00451·(T − 300))`` is V2.1's temperature term (docs/model.md §6 writes
    ``|T − 300|``; the signed form is used, so resistivity falls below 300 K). V2.0 has no
    temperature term: pass ``temperature_k = 300`` to reproduce it.

    Args:
      wire_width_nm: wire width w, nm, in [14, 200]; any shape.
      temperature_k: temperature, K (broadcast against the width).

    Returns:
      Resistance per length, Ω/m.

    Raises:
      ValueError: a concrete width outside [14, 200] nm.
    """
    width = tech.check_range("wire_width_nm", wire_width_nm, *WIRE_WIDTH_RANGE_NM)
    aspect_ratio, resistivity = wire_table(width)
    temperature = jnp.asarray(temperature_k).astype(jnp.result_type(float))
    resistivity = resistivity * (1.0 + WIRE_TEMPERATURE_COEFFICIENT * (temperature - tech.REFERENCE_TEMPERATURE_K))
    w = width * 1e-9
    return resistivity / (w * w * aspect_ratio)


def wire_resistance_per_cell(
    wire_width_nm: ArrayLike, cell_size_f: ArrayLike, temperature_k: ArrayLike = 300.0
) -> Array:
    """Wire resistance across one cell, docs/model.md §5.3: unit R × wire width × cell size in F.

    As docs/model.md states it, the length of a cell's wire is its height (or width) in F times
    the *wire width* (not the node).

    Args:
      wire_width_nm: wire width, nm, in [14, 200].
      cell_size_f: cell height (for a column wire) or width (row wire), in F.
      temperature_k: temperature, K.

    Returns:
      Resistance per cell, Ω.
    """
    width = tech.check_range("wire_width_nm", wire_width_nm, *WIRE_WIDTH_RANGE_NM)
    length = width * 1e-9 * jnp.asarray(cell_size_f).astype(jnp.result_type(float))
    return wire_resistance_per_length(width, temperature_k) * length
