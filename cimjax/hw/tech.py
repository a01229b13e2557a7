"""Technology tables and simple transistor formulas (docs/model.md §5.3 and §5.9) as pure ``jnp``.

Source: DNN+NeuroSim V2.0 ``Technology.cpp`` (PTM-based conventional CMOS, values at
300 K) and ``formula.cpp``, as tabulated in docs/model.md §5.9. Nothing here is fitted by cimjax. The
wire table is :mod:`cimjax.hw.wiring`.

The technology node is a *continuous* parameter: every table column is interpolated
linearly in the node with ``jnp.interp`` over the tabulated nodes 7, 10, 14, 22, 32, 45,
65, 90, 130 nm, so the node can be ``vmap``-ped and differentiated. At tabulated nodes the
values are the table's exactly; between them they are an interpolation cimjax chose (the
table has no such points). Nodes below 22 nm are FinFETs (docs/model.md §5.9), so quantities that
change definition there (effective width, overlap capacitance) jump at 22 nm, and between
14 and 22 nm the interpolated per-width values mix the planar and FinFET tables.

Valid range: node in [7, 130] nm. Python (concrete) inputs
outside raise ``ValueError``; traced inputs (inside ``jit``/``vmap``/``grad``) are clipped to
the range instead (gradient 0 outside). Roadmaps are static strings, ``"HP"`` or ``"LSTP"``
(NeuroSim's ``deviceroadmap`` 1 / 2; LSTP is the V2.0 default).

Units: inputs are named with their unit (``node_nm``); every output is SI (V, m, A/m, F/m, F,
Ω, A, W, s).

**NeuroSim V2.1's FinFET on-currents** (``technology(..., finfet_temperature_k=T)``; the version
flag ``finfet_on_current_temperature``, read by
:func:`cimjax.hw.components.params.circuit_technology`). V2.1 (18289cb) ``Technology.cpp``
``Initialize`` recalibrated the 14/10/7 nm I_on tables, every 10 K from 300 to 400 K
(:data:`V21_FINFET_I_ON`; NeuroSim interpolates linearly per kelvin between them and
``formula.cpp`` ``CalculateOnResistance`` reads the column of ``temp``, exiting outside 300–400 K).
The 300 K column is V2.0's to 4 digits; V2.0's own tables change little with T and cimjax keeps
their 300 K values (as for every planar node in both versions). With ``T`` given, ``i_on_n`` /
``i_on_p`` at the FinFET nodes are V2.1's at ``T`` (linear in T, exact at integer kelvins; a
concrete T outside [300, 400] K raises, a traced one is clipped), planar nodes keep their 300 K
values, and nodes between 14 and 22 nm interpolate as the other columns. ``pnSizeRatio`` is
``(int)`` of the 300 K ratio in NeuroSim; the FinFET ratio is in [1, 2) at every tabulated T,
so :func:`cimjax.hw.components.gates.pn_size_ratio` (floored) is 1 either way.

**Off-currents (both versions).** NeuroSim V2.0 (d4de5bc) and V2.1 (18289cb) ``Technology.cpp``
``Initialize`` tabulate ``currentOffNmos`` / ``currentOffPmos`` every 10 K from 300 to 400 K for
every node and roadmap (:data:`I_OFF`; the two versions' tables are identical), fill the kelvins
between linearly, and ``formula.cpp`` ``CalculateGateLeakage`` reads index ``(int)temperature −
300`` (``main.cpp``: ``inputParameter.temperature = param->temp``; V2.0's ``Param.cpp`` ships
``temp = 301``, V2.1's ``temp = 300``), exiting with "Temperature is out of range" outside
300–400 K. cimjax reads :data:`I_OFF` at :func:`technology`'s ``temperature_k`` (the circuit
temperature, :func:`cimjax.hw.components.params.circuit_technology`), linear in T (equal to
NeuroSim's at integer kelvins; NeuroSim truncates a fractional T to the kelvin below), NMOS and
PMOS separately. Valid range: [300, 400] K (concrete inputs outside raise ``ValueError``; traced
ones are clipped). Leakage rises steeply with T: ×1.4–1.5 per 10 K above 300 K for LSTP planar
nodes, ×1.85–2.0 for the LSTP FinFETs (14 nm LSTP NMOS ×15.5, PMOS ×21.7 at 350 K).
"""

from __future__ import annotations

from typing import NamedTuple, Optional, Union

import jax
import jax.numpy as jnp
import numpy as np

from cimjax.hw import relax

Array = jax.Array
ArrayLike = Union[jax.Array, float, int]

#: Roadmaps of the technology table.
ROADMAPS = ("HP", "LSTP")
#: Tabulated nodes, nm (ascending).
NODES_NM = (7.0, 10.0, 14.0, 22.0, 32.0, 45.0, 65.0, 90.0, 130.0)
#: Valid node range, nm.
NODE_RANGE_NM = (7.0, 130.0)
#: Nodes strictly below this are FinFETs (docs/model.md §5.9).
FINFET_BELOW_NM = 22.0
#: Reference temperature of every table, K.
REFERENCE_TEMPERATURE_K = 300.0

# docs/model.md §5.9 technology table, columns in the order of NODES_NM (7 → 130 nm), in the
# table's units: V; V; nm; µA/µm (= A/m); fF/µm; fF/µm; 1. The off-currents are :data:`I_OFF`.
_TABLE = {
    "HP": dict(
        vdd=(0.7, 0.75, 0.8, 0.85, 0.9, 1.0, 1.1, 1.2, 1.3),
        vth=(0.192, 0.183, 0.173, 0.209, 0.194, 0.171, 0.166, 0.146, 0.128),
        l_phys=(11, 14, 18, 20, 34, 45, 65, 90, 130),
        i_on_n=(1912, 1769, 1686, 1500, 1410, 1270, 1120, 1070, 930),
        i_on_p=(1686, 1627, 1550, 1320, 1220, 1080, 700, 540, 430),
        c_ideal=(1.049, 1.142, 1.257, 0.329, 0.377, 0.409, 0.487, 0.569, 0.606),
        c_fringe=(0, 0, 0, 0.453, 0.471, 0.496, 0.527, 0.565, 0.612),
        k_eff=(1.45, 1.49, 1.51, 1.54, 1.54, 1.54, 1.54, 1.54, 1.54),
    ),
    "LSTP": dict(
        vdd=(0.7, 0.75, 0.8, 0.85, 0.9, 1.0, 1.1, 1.2, 1.3),
        vth=(0.403, 0.391, 0.382, 0.420, 0.442, 0.464, 0.502, 0.501, 0.466),
        l_phys=(11, 14, 18, 20, 34, 45, 65, 90, 130),
        i_on_n=(822, 862, 893, 792, 600, 500, 400, 346, 301),
        i_on_p=(737, 775, 820, 600, 400, 300, 239, 200, 151),
        # 90 nm: 0.154 as docs/model.md's table gives it (out of line with its neighbours).
        c_ideal=(0.849, 0.942, 1.057, 0.525, 0.838, 0.893, 1.193, 0.154, 1.857),
        c_fringe=(0, 0, 0, 0.800, 0.686, 0.885, 0.962, 0.960, 0.953),
        k_eff=(1.73, 1.73, 1.76, 1.77, 1.77, 1.77, 1.77, 1.77, 1.54),
    ),
}
# Table unit → SI factor per column.
_SI = {
    "vdd": 1.0,
    "vth": 1.0,
    "l_phys": 1e-9,
    "i_on_n": 1.0,
    "i_on_p": 1.0,
    "c_ideal": 1e-9,
    "c_fringe": 1e-9,
    "k_eff": 1.0,
}
#: :data:`I_OFF`'s unit → A/m: nA/µm (HP) = 1e-3 A/m, pA/µm (LSTP) = 1e-6 A/m.
_I_OFF_SI = {"HP": 1e-3, "LSTP": 1e-6}

#: Temperatures of NeuroSim's transistor tables (on- and off-currents), K: 300, 310, ..., 400.
TABLE_TEMPERATURES_K = tuple(300.0 + 10.0 * i for i in range(11))
#: Valid temperature range of the tables, K (``formula.cpp`` exits outside, module docstring).
TEMPERATURE_RANGE_K = (TABLE_TEMPERATURES_K[0], TABLE_TEMPERATURES_K[-1])
#: NeuroSim V2.0 (d4de5bc) ``Technology.cpp`` ``Initialize`` (conventional transistors),
#: ``currentOffNmos`` / ``currentOffPmos`` at :data:`TABLE_TEMPERATURES_K`, per roadmap, channel
#: and node (nm), in nA/µm (HP) or pA/µm (LSTP) (:data:`_I_OFF_SI`). V2.1 (18289cb) has the same
#: tables, value for value. Transcribed as printed there, including 10 nm HP PMOS at 300 K
#: (``1.6268e-3`` A/m, ~60× below its own 310 K value and every other node's 300 K value).
I_OFF = {
    "HP": {
        "n": {
            7.0: (100.2258, 149.0252, 216.5654, 308.1967, 430.2635, 590.1731, 796.4489, 1058.8, 1388, 1796, 2296.1),
            10.0: (100.1203, 148.6272, 215.6467, 306.4157, 427.1264, 584.9857, 788.2578, 1046.3, 1369.5, 1769.4, 2258.4),
            14.0: (100.9152, 150.0786, 218.1063, 310.359, 433.1757, 593.9313, 801.0747, 1064.1, 1393.8, 1801.6, 2300.31),
            22.0: (100.2, 120.4, 143.5, 169.5, 198.7, 231.2, 267, 306.3, 349.3, 396, 446.6),
            32.0: (100.3, 120.4, 143.1, 168.6, 197, 228.4, 262.9, 300.6, 341.7, 386.1, 433.9),
            45.0: (100, 120.7, 144.1, 170.5, 199.8, 232.3, 268, 307.1, 349.5, 395.4, 444.8),
            65.0: (100, 119.7, 141.9, 166.8, 194.4, 224.8, 258.1, 294.4, 333.6, 375.9, 421.2),
            90.0: (100.8, 120.8, 143.4, 168.6, 196.6, 227.4, 261.1, 297.7, 337.3, 379.8, 425.4),
            130.0: (100, 119.9, 142.2, 167, 194.3, 224.3, 256.8, 292, 329.9, 370.5, 413.8),
        },
        "p": {
            7.0: (97.9484, 156.3424, 243.1919, 369.4499, 549.1886, 800.1479, 1144.3, 1608.3, 2224.2, 3029.5, 4067.4),
            10.0: (1.6268, 157.8505, 245.2725, 372.2051, 552.6667, 804.2786, 1148.8, 1612.5, 2226.8, 3028.1, 4058.4),
            14.0: (98.6503, 157.5545, 245.1751, 372.5374, 553.7661, 806.5971, 1152.9, 1619, 2236.1, 3040.5, 4073.3),
            22.0: (100.2, 119.4, 140.8, 164.6, 190.9, 219.5, 250.7, 284.5, 320.9, 359.8, 401.5),
            32.0: (100.1, 119, 140, 163.3, 188.8, 216.7, 247, 279.7, 314.9, 352.6, 392.8),
            45.0: (100.2, 118.7, 139.3, 162, 186.8, 213.9, 243.3, 274.9, 308.9, 345.2, 383.8),
            65.0: (100.1, 115.2, 131.5, 149, 167.6, 187.4, 208.4, 230.5, 253.7, 278.1, 303.6),
            90.0: (100, 114, 128.9, 144.8, 161.6, 179.3, 197.9, 217.4, 237.9, 259.1, 281.3),
            130.0: (100.2, 113.6, 127.9, 143.1, 159.1, 175.8, 193.4, 211.7, 230.8, 250.7, 271.2),
        },
    },
    "LSTP": {
        "n": {
            7.0: (100, 185, 332, 574, 962, 1569.5, 2495.3, 3874.4, 5885.8, 8762.4, 12802.5),
            10.0: (99.6973, 184.4892, 329.1615, 568.0731, 951.0401, 1548.4, 2457.4, 3809, 5776.7, 8586.2, 12525),
            14.0: (99.7866, 184.4553, 328.7707, 566.8658, 948.1816, 1542.5, 2446, 3788.5, 5741.6, 8528.1, 12432.7),
            22.0: (100, 147.3, 212.1, 299.6, 415.3, 565.8, 758.9, 1003, 1307, 1682, 2139),
            32.0: (100.1, 143.6, 202.1, 279.3, 379.5, 507.5, 668.8, 869.2, 1115, 1415, 1774),
            45.0: (100, 140.5, 193.9, 263.1, 351.4, 462.5, 600.3, 769.2, 973.9, 1219, 1511),
            65.0: (100.2, 137.5, 185.8, 247.2, 324.2, 419.3, 535.4, 675.7, 843.1, 1041, 1273),
            90.0: (100, 135.7, 181.1, 238, 308.5, 394.6, 498.5, 622.6, 769.3, 941.2, 1141),
            130.0: (100.2, 135.9, 181.2, 237.8, 307.3, 391.9, 493.3, 613.7, 755.3, 920.2, 1111),
        },
        "p": {
            7.0: (100.9536, 201.3937, 386.2086, 714.4288, 1278.8, 2220.7, 3750.9, 6175, 9927.8, 15614.6, 24063.3),
            10.0: (100.5839, 200.2609, 383.3239, 707.8499, 1264.9, 2193.2, 3698.7, 6080.4, 9762.2, 15334, 23600.7),
            14.0: (102.3333, 203.4774, 389.0187, 717.5912, 1281, 2219.2, 3739.5, 6142.8, 9855.4, 15470.2, 23795.9),
            22.0: (100, 147.3, 212.1, 299.6, 415.3, 565.8, 758.9, 1003, 1307, 1682, 2139),
            32.0: (100.1, 140.7, 194, 262.5, 349.3, 457.7, 591.2, 753.7, 949.3, 1182, 1457),
            45.0: (100.2, 138.4, 187.6, 250.1, 328.1, 424.1, 540.9, 681.3, 848.3, 1045, 1275),
            65.0: (100.2, 135.4, 179.7, 234.9, 302.5, 384.3, 482.2, 598, 733.9, 891.6, 1073),
            90.0: (100.3, 133.2, 174.2, 224.4, 285.1, 357.6, 443.4, 543.7, 660, 793.8, 946.4),
            130.0: (100.2, 132.8, 173, 221.9, 280.7, 350.4, 432.2, 527.2, 636.8, 761.9, 903.8),
        },
    },
}

#: Temperatures of NeuroSim V2.1's FinFET on-current columns, K (300, 310, ..., 400).
V21_FINFET_TEMPERATURES_K = TABLE_TEMPERATURES_K
#: NeuroSim V2.1 (18289cb) ``Technology.cpp`` ``Initialize``: FinFET on-currents, µA/µm (= A/m),
#: at :data:`V21_FINFET_TEMPERATURES_K`, per roadmap, channel and node (nm).
V21_FINFET_I_ON = {
    "HP": {
        "n": {14.0: (1686, 1652, 1607, 1562, 1517, 1472, 1439, 1394, 1349, 1315, 1270),
              10.0: (1769, 1734, 1686, 1639, 1592, 1545, 1510, 1462, 1415, 1380, 1333),
              7.0: (1912, 1874, 1823, 1772, 1721, 1670, 1632, 1581, 1530, 1491, 1440)},
        "p": {14.0: (1550, 1468, 1397, 1327, 1256, 1198, 1139, 1080, 1033.6, 986, 939),
              10.0: (1626, 1540, 1466, 1392, 1318, 1256, 1195, 1133, 1084, 1035, 985),
              7.0: (1685, 1596, 1519, 1442, 1366, 1302, 1238, 1174, 1123, 1072, 1021)},
    },
    "LSTP": {
        "n": {14.0: (893, 853, 814, 777, 742, 708, 677, 646, 618, 591, 565),
              10.0: (862, 824, 787, 751, 717, 684, 654, 624, 597, 571, 546),
              7.0: (822, 786, 750, 716, 684, 653, 624, 595, 569, 545, 521)},
        "p": {14.0: (820, 767, 718, 672, 631, 593, 558, 526, 496, 469, 443),
              10.0: (775, 725, 678, 636, 597, 561, 527, 497, 469, 443, 419),
              7.0: (737, 689, 645, 605, 567, 533, 501, 473, 446, 421, 398)},
    },
}

# Fin geometry (pitch, width, height), nm, at the FinFET nodes 7, 10, 14 (docs/model.md §5.9).
_FIN_NODES_NM = (7.0, 10.0, 14.0)
_FIN = dict(pitch=(22, 28, 32), width=(7, 9, 10), height=(18, 21, 23))



class Technology(NamedTuple):
    """Device parameters of one node and roadmap (docs/model.md §5.9), SI units, at 300 K but for
    the off-currents (at :func:`technology`'s ``temperature_k``) and V2.1's FinFET on-currents.

    Per-width quantities are per metre of *effective* width (FinFET: of fin perimeter).
    Fields are arrays with the node's shape (scalars for a scalar node).

    Attributes:
      node: feature size F, m.
      vdd: supply voltage, V.
      vth: threshold voltage, V.
      l_phys: physical gate length, m.
      i_on_n / i_on_p: NMOS / PMOS on-current per width at 300 K, A/m.
      i_off_n / i_off_p: NMOS / PMOS off-current per width at the ``temperature_k`` of
        :func:`technology` (300 K by default), A/m (:data:`I_OFF`).
      i_off_n_400k: NMOS off-current per width at 400 K, A/m (the table's other end point).
      c_ideal: ideal gate capacitance per width, F/m.
      c_fringe: fringe capacitance per width, F/m (0 for FinFET).
      c_overlap: overlap capacitance per width, ``0.2·c_ideal`` planar, 0 FinFET, F/m.
      k_eff: on-resistance fitting factor (CACTI), 1.
      finfet: bool, node < 22 nm.
      fin_pitch / fin_width / fin_height: fin geometry, m (interpolated over 7–14 nm and
        held at the 14-nm values up to 22 nm; 0 for planar nodes).
      cells: None, or a dict of quantities derived from the fields above (standard-cell
        layout values and gates, :func:`cimjax.hw.components.gates.with_standard_cells`),
        computed once and looked up instead of re-derived.
    """

    node: Array
    vdd: Array
    vth: Array
    l_phys: Array
    i_on_n: Array
    i_on_p: Array
    i_off_n: Array
    i_off_p: Array
    i_off_n_400k: Array
    c_ideal: Array
    c_fringe: Array
    c_overlap: Array
    k_eff: Array
    finfet: Array
    fin_pitch: Array
    fin_width: Array
    fin_height: Array
    cells: Optional[dict] = None


def _dtype():
    return jnp.result_type(float)


def _concrete(x: ArrayLike):
    """``x`` as a numpy array if it is concrete (not traced), else None."""
    if isinstance(x, jax.core.Tracer):
        return None  # cheap test first: a failed conversion builds a costly error message
    try:
        return np.asarray(x, dtype=float)
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError, TypeError):
        return None


def check_range(name: str, x: ArrayLike, lo: float, hi: float) -> Array:
    """Raise ValueError for a concrete ``x`` outside [lo, hi]; clip a traced one."""
    v = _concrete(x)
    if v is not None and not np.all(np.isfinite(v) & (v >= lo) & (v <= hi)):
        raise ValueError(f"{name} = {x!r}: expected values in [{lo:g}, {hi:g}]")
    return jnp.clip(jnp.asarray(x).astype(_dtype()), lo, hi)


def check_roadmap(roadmap: str) -> str:
    """The canonical roadmap name (``"HP"`` or ``"LSTP"``, case-insensitive), else ValueError."""
    key = roadmap.upper() if isinstance(roadmap, str) else roadmap
    if key not in ROADMAPS:
        raise ValueError(f"roadmap = {roadmap!r}: expected one of {ROADMAPS}")
    return key


def _ramps(x: Array, xp) -> Array:
    """Segment ramps of ``x`` on the static sorted nodes ``xp``: ``clip((x − xp_i)/(xp_{i+1} − xp_i), 0, 1)``.

    ``interp(x) = fp_0 + ramps @ diff(fp)`` equals ``jnp.interp(x, xp, fp)`` (constant beyond
    the end nodes) but is a few elementwise ops instead of a ``searchsorted`` scan, which
    keeps the chip estimate's graph (hundreds of technology look-ups) small. It is monotone
    for monotone ``fp`` and exact on constant segments. At a node the gradient is the mean
    of the two adjacent slopes (``clip`` ties split evenly), the limit of a central finite
    difference.

    Args:
      x: any shape.
      xp: static increasing nodes, ``(n,)``, n ≥ 2.

    Returns:
      Ramps of shape ``x.shape + (n − 1,)`` in [0, 1].
    """
    xp = np.asarray(xp, float)
    xe = jnp.asarray(x)[..., None]
    return jnp.clip((xe - xp[:-1].astype(xe.dtype)) / np.diff(xp).astype(xe.dtype), 0.0, 1.0)


def interp(x: Array, xp, fp) -> Array:
    """``jnp.interp(x, xp, fp)`` for static ``xp``/``fp`` (see :func:`_ramps`)."""
    x = jnp.asarray(x).astype(_dtype())
    fp = np.asarray(fp, float)
    steps = np.diff(fp).astype(x.dtype)
    return fp[0].astype(x.dtype) + jnp.sum(_ramps(x, xp) * steps, axis=-1)


def _node_interp_of_temperature(node: Array, columns: dict, temperature_k: Array) -> Array:
    """A table of the node and the temperature at (``node``, ``temperature_k``), broadcast.

    ``columns`` maps each tabulated node (a subset of :data:`NODES_NM`, or all) to either 11
    values at :data:`TABLE_TEMPERATURES_K` (linear in T between them, as NeuroSim's
    ``Technology.cpp`` ``Initialize`` fills the kelvins between its 10 K columns) or one value
    (the same at every T). The node columns are then linear in the node as every other column."""
    cols = []
    for n in NODES_NM:
        v = columns[n]
        if np.ndim(v):
            cols.append(interp(temperature_k, TABLE_TEMPERATURES_K, v))
        else:
            cols.append(jnp.full(jnp.shape(temperature_k), float(v), _dtype()))
    fp = jnp.stack(cols, axis=-1)
    return fp[..., 0] + jnp.sum(_ramps(node, NODES_NM) * jnp.diff(fp, axis=-1), axis=-1)


def _v21_finfet_on_current(node: Array, roadmap: str, channel: str, temperature_k: Array) -> Array:
    """The on-current per width at ``temperature_k``, A/m (module docstring, "NeuroSim V2.1's
    FinFET on-currents"): V2.1's FinFET columns at T, the planar nodes' 300 K values, linear in
    the node between them."""
    planar = np.asarray(_TABLE[roadmap][f"i_on_{channel}"], float) * _SI[f"i_on_{channel}"]
    table = V21_FINFET_I_ON[roadmap][channel]
    columns = {n: table[n] if n in table else planar[i] for i, n in enumerate(NODES_NM)}
    return _node_interp_of_temperature(node, columns, temperature_k)


def off_current(node: Array, roadmap: str, channel: str, temperature_k: ArrayLike) -> Array:
    """Off-current per width of the ``channel`` (``"n"``/``"p"``) transistor, A/m, at the node
    and ``temperature_k`` (module docstring, "Off-currents"): :data:`I_OFF`, linear in T between
    its 10 K columns and in the node between its nodes."""
    si = _I_OFF_SI[roadmap]
    columns = {n: np.asarray(v, float) * si for n, v in I_OFF[roadmap][channel].items()}
    return _node_interp_of_temperature(jnp.asarray(node), columns, jnp.asarray(temperature_k).astype(_dtype()))


def technology(node_nm: ArrayLike, roadmap: str = "LSTP", finfet_temperature_k: Optional[ArrayLike] = None,
               temperature_k: ArrayLike = REFERENCE_TEMPERATURE_K) -> Technology:
    """Device parameters at a (continuous) technology node, docs/model.md §5.9.

    Every column of the §5.9 table interpolated linearly in the node (exact at the
    tabulated nodes). Valid for ``node_nm`` in [7, 130] (see the module docstring for
    out-of-range handling); values are at 300 K, but for the off-currents (NeuroSim's tables
    at ``temperature_k``, V2.0 and V2.1 alike) and the FinFET on-currents when
    ``finfet_temperature_k`` is given (NeuroSim V2.1's tables, module docstring).

    Args:
      node_nm: technology node, nm; any shape (e.g. ``(B,)`` for a design grid).
      roadmap: ``"HP"`` or ``"LSTP"`` (static).
      finfet_temperature_k: None (V2.0: the 300 K on-currents), or the temperature, K, in
        [300, 400], of NeuroSim V2.1's FinFET on-current columns (broadcast with the node).
      temperature_k: temperature of the off-currents ``i_off_n`` / ``i_off_p``, K, in [300,
        400] (broadcast with the node); 300 K by default.

    Returns:
      A :class:`Technology` whose fields have the shape of ``node_nm``.

    Raises:
      ValueError: unknown roadmap, or a concrete node outside [7, 130] nm, or a concrete
        ``finfet_temperature_k`` or ``temperature_k`` outside [300, 400] K.
    """
    roadmap = check_roadmap(roadmap)
    node = check_range("node_nm", node_nm, *NODE_RANGE_NM)
    table = _TABLE[roadmap]
    col = {name: interp(node, NODES_NM, np.asarray(table[name], float) * si) for name, si in _SI.items()}
    if finfet_temperature_k is not None:
        t_k = check_range("finfet_temperature_k", finfet_temperature_k, V21_FINFET_TEMPERATURES_K[0],
                          V21_FINFET_TEMPERATURES_K[-1])
        for ch in ("n", "p"):
            col[f"i_on_{ch}"] = _v21_finfet_on_current(node, roadmap, ch, t_k)
    t_off = check_range("temperature_k", temperature_k, *TEMPERATURE_RANGE_K)
    i_off_n = off_current(node, roadmap, "n", t_off)
    i_off_p = off_current(node, roadmap, "p", t_off)
    i_off_n_400k = interp(node, NODES_NM, [I_OFF[roadmap]["n"][n][-1] * _I_OFF_SI[roadmap] for n in NODES_NM])
    finfet = node < FINFET_BELOW_NM
    fin = {
        k: jnp.where(finfet, interp(node, _FIN_NODES_NM, np.asarray(v, float) * 1e-9), 0.0)
        for k, v in _FIN.items()
    }
    return Technology(
        node=node * 1e-9,
        vdd=col["vdd"],
        vth=col["vth"],
        l_phys=col["l_phys"],
        i_on_n=col["i_on_n"],
        i_on_p=col["i_on_p"],
        i_off_n=i_off_n,
        i_off_p=i_off_p,
        i_off_n_400k=i_off_n_400k,
        c_ideal=col["c_ideal"],
        c_fringe=col["c_fringe"],
        c_overlap=jnp.where(finfet, 0.0, 0.2 * col["c_ideal"]),
        k_eff=col["k_eff"],
        finfet=finfet,
        fin_pitch=fin["pitch"],
        fin_width=fin["width"],
        fin_height=fin["height"],
    )


#: A fin count within this (absolute) amount above an integer is treated as that integer
#: (float round-off when W is an integer multiple of 2F).
_FIN_COUNT_TOLERANCE = 1e-5


def effective_width(tech: Technology, width: ArrayLike, mode: str = "exact") -> Array:
    """Effective channel width ``W_eff``, docs/model.md §5.9 (``CalculateGateCap``'s FinFET rule).

    Planar (node ≥ 22 nm): ``W_eff = W``. FinFET: ``W' = W·PitchFin/(2F)`` and
    ``W_eff = ⌈W'/PitchFin⌉·(2·H_fin + W_fin)``, i.e. ``⌈W/(2F)⌉`` fins. The fin count uses
    :func:`cimjax.hw.relax.ceil` with ``mode`` (exact: zero gradient in ``W``).

    Args:
      tech: :class:`Technology` (from :func:`technology`).
      width: drawn transistor width W, m (broadcast against the node's shape).
      mode: ``"exact"``, ``"relaxed"`` or ``"ste"`` (static).

    Returns:
      ``W_eff``, m.
    """
    width = jnp.asarray(width).astype(_dtype())
    fins = relax.ceil(width / (2.0 * tech.node) - _FIN_COUNT_TOLERANCE, mode)
    return jnp.where(tech.finfet, fins * (2.0 * tech.fin_height + tech.fin_width), width)


def gate_capacitance(tech: Technology, width: ArrayLike, mode: str = "exact") -> Array:
    """Gate capacitance of a transistor of width ``W``, docs/model.md §5.9.

    ``C_g = (C_ideal + C_overlap + C_fringe)·W_eff + L_phys·C_polywire`` with
    ``C_overlap = 0.2·C_ideal`` (planar) or 0 (FinFET) and ``C_polywire = 0``.

    Args:
      tech: :class:`Technology`.
      width: drawn width W, m.
      mode: relax mode of the FinFET fin count (static).

    Returns:
      Gate capacitance, F.
    """
    per_width = tech.c_ideal + tech.c_overlap + tech.c_fringe
    return per_width * effective_width(tech, width, mode)


def on_resistance(tech: Technology, width: ArrayLike, channel: str = "n", mode: str = "exact") -> Array:
    """On-resistance ``R_on = k_eff·V_dd/(I_on·W_eff)`` at 300 K, docs/model.md §5.9.

    Args:
      tech: :class:`Technology`.
      width: drawn width W, m (> 0).
      channel: ``"n"`` (NMOS) or ``"p"`` (PMOS) (static).
      mode: relax mode of the FinFET fin count (static).

    Returns:
      On-resistance, Ω.

    Raises:
      ValueError: unknown ``channel``.
    """
    if channel not in ("n", "p"):
        raise ValueError(f"channel = {channel!r}: expected 'n' or 'p'")
    i_on = tech.i_on_n if channel == "n" else tech.i_on_p
    return tech.k_eff * tech.vdd / (i_on * effective_width(tech, width, mode))


def leakage_current(tech: Technology, width: ArrayLike, mode: str = "exact", channel: str = "n") -> Array:
    """Off-state leakage ``I_off·W_eff`` of one transistor, at the technology's temperature.

    Source: NeuroSim ``formula.cpp`` ``CalculateGateLeakage`` (per transistor; the gate's
    combination, ``(N + P)/2`` for an INV, the NAND/NOR averages, is
    :func:`cimjax.hw.components.gates.gate`'s), with the ``currentOffNmos/Pmos`` tables
    (:data:`I_OFF`) and ``CalculateGateCap``'s FinFET effective width.

    Args:
      tech: :class:`Technology` (its ``i_off_n`` / ``i_off_p`` are at its temperature).
      width: drawn width W, m.
      mode: relax mode of the FinFET fin count (static).
      channel: ``"n"`` (NMOS) or ``"p"`` (PMOS) (static).

    Returns:
      Leakage current, A.

    Raises:
      ValueError: unknown ``channel``.
    """
    if channel not in ("n", "p"):
        raise ValueError(f"channel = {channel!r}: expected 'n' or 'p'")
    i_off = tech.i_off_n if channel == "n" else tech.i_off_p
    return i_off * effective_width(tech, width, mode)


def leakage_power(tech: Technology, width: ArrayLike, mode: str = "exact", channel: str = "n") -> Array:
    """Leakage power ``I_off·W_eff·V_dd`` of one transistor, docs/model.md §5.9 ("Power = I·V_dd").

    Args:
      tech: :class:`Technology`.
      width: drawn width W, m.
      mode: relax mode of the FinFET fin count (static).
      channel: ``"n"`` or ``"p"`` (static).

    Returns:
      Leakage power, W.
    """
    return leakage_current(tech, width, mode, channel) * tech.vdd


def junction_capacitance_coefficients(vdd: ArrayLike) -> tuple[Array, Array, Array]:
    """Drain-junction capacitance coefficients at supply ``V_dd``, docs/model.md §5.9.

    ``C_j = 1e−3/(1 + V_dd/0.9)^0.5`` F/m² (bottom), ``C_sw = 2.5e−10/(1 + V_dd/0.9)^0.33``
    F/m (side wall), ``C_gate-edge = 0.5e−10/(1 + V_dd/0.9)^0.33`` F/m. The drain capacitance
    itself needs the folded standard-cell layout, which docs/model.md §5.9 does not fully give.

    Args:
      vdd: supply voltage, V (> 0), any shape.

    Returns:
      ``(C_j in F/m², C_sw in F/m, C_gate_edge in F/m)``.
    """
    base = 1.0 + jnp.asarray(vdd).astype(_dtype()) / 0.9
    return 1e-3 / base**0.5, 2.5e-10 / base**0.33, 0.5e-10 / base**0.33


def horowitz(
    tau: ArrayLike, ramp_input: ArrayLike, *, beta: float = 0.5, v_s: float = 0.5
) -> tuple[Array, Array]:
    """Horowitz gate delay, as in CACTI (docs/model.md §5.9).

    ``t = τ·sqrt(ln(v_s)² + 2·α·β·(1 − v_s))`` with ``α = 1/(τ·ramp_input)``; the output
    ramp is ``(1 − v_s)/t``. A step input (``ramp_input = inf``) gives ``t = τ·ln 2``.

    Args:
      tau: RC time constant of the stage, s (> 0).
      ramp_input: input ramp (slope), 1/s (> 0; ``inf`` allowed).
      beta: β, fixed at 0.5 in NeuroSim (static).
      v_s: switching voltage fraction, 0.5 in NeuroSim (static).

    Returns:
      ``(delay in s, output ramp in 1/s)``.
    """
    dtype = _dtype()
    tau = jnp.asarray(tau).astype(dtype)
    alpha = 1.0 / (tau * jnp.asarray(ramp_input).astype(dtype))
    delay = tau * jnp.sqrt(np.log(v_s) ** 2 + 2.0 * alpha * beta * (1.0 - v_s))
    return delay, (1.0 - v_s) / delay
