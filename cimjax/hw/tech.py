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
so :func:`cimjax.hw.components.gates.pn_size_ratio` (floored) is 1 either way. I_off(T) is not
modelled in either version (the tables' 300 K values).
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
# table's units: V; V; nm; µA/µm (= A/m); nA/µm (HP) or pA/µm (LSTP); fF/µm; fF/µm; 1.
_TABLE = {
    "HP": dict(
        vdd=(0.7, 0.75, 0.8, 0.85, 0.9, 1.0, 1.1, 1.2, 1.3),
        vth=(0.192, 0.183, 0.173, 0.209, 0.194, 0.171, 0.166, 0.146, 0.128),
        l_phys=(11, 14, 18, 20, 34, 45, 65, 90, 130),
        i_on_n=(1912, 1769, 1686, 1500, 1410, 1270, 1120, 1070, 930),
        i_on_p=(1686, 1627, 1550, 1320, 1220, 1080, 700, 540, 430),
        i_off_n=(100, 100, 101, 100, 100, 100, 100, 101, 100),
        i_off_n_400k=(2296, 2258, 2300, 447, 434, 445, 421, 425, 414),
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
        i_off_n=(100, 100, 100, 100, 100, 100, 100, 100, 100),
        i_off_n_400k=(12803, 12525, 12433, 2139, 1774, 1511, 1273, 1141, 1111),
        # 90 nm: 0.154 as docs/model.md's table gives it (out of line with its neighbours).
        c_ideal=(0.849, 0.942, 1.057, 0.525, 0.838, 0.893, 1.193, 0.154, 1.857),
        c_fringe=(0, 0, 0, 0.800, 0.686, 0.885, 0.962, 0.960, 0.953),
        k_eff=(1.73, 1.73, 1.76, 1.77, 1.77, 1.77, 1.77, 1.77, 1.54),
    ),
}
# Table unit → SI factor per column (I_off: nA/µm = 1e-3 A/m; pA/µm = 1e-6 A/m).
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
_I_OFF_SI = {"HP": 1e-3, "LSTP": 1e-6}

#: Temperatures of NeuroSim V2.1's FinFET on-current columns, K (300, 310, ..., 400).
V21_FINFET_TEMPERATURES_K = tuple(300.0 + 10.0 * i for i in range(11))
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
    """Device parameters of one node and roadmap (docs/model.md §5.9), SI units, at 300 K.

    Per-width quantities are per metre of *effective* width (FinFET: of fin perimeter).
    Fields are arrays with the node's shape (scalars for a scalar node).

    Attributes:
      node: feature size F, m.
      vdd: supply voltage, V.
      vth: threshold voltage, V.
      l_phys: physical gate length, m.
      i_on_n / i_on_p: NMOS / PMOS on-current per width at 300 K, A/m.
      i_off_n: NMOS off-current per width at 300 K, A/m.
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


def _v21_finfet_on_current(node: Array, roadmap: str, channel: str, temperature_k: Array) -> Array:
    """The on-current per width at ``temperature_k``, A/m (module docstring, "NeuroSim V2.1's
    FinFET on-currents"): V2.1's FinFET columns at T, the planar nodes' 300 K values, linear in
    the node between them."""
    planar = np.asarray(_TABLE[roadmap][f"i_on_{channel}"], float) * _SI[f"i_on_{channel}"]
    table = V21_FINFET_I_ON[roadmap][channel]
    cols = [interp(temperature_k, V21_FINFET_TEMPERATURES_K, table[n]) if n in table
            else jnp.full(jnp.shape(temperature_k), planar[i], _dtype()) for i, n in enumerate(NODES_NM)]
    fp = jnp.stack(cols, axis=-1)
    return fp[..., 0] + jnp.sum(_ramps(node, NODES_NM) * jnp.diff(fp, axis=-1), axis=-1)


def technology(node_nm: ArrayLike, roadmap: str = "LSTP", finfet_temperature_k: Optional[ArrayLike] = None) -> Technology:
    """Device parameters at a (continuous) technology node, docs/model.md §5.9.

    Every column of the §5.9 table interpolated linearly in the node (exact at the
    tabulated nodes). Valid for ``node_nm`` in [7, 130] (see the module docstring for
    out-of-range handling); values are at 300 K, but for the FinFET on-currents when
    ``finfet_temperature_k`` is given (NeuroSim V2.1's tables, module docstring).

    Args:
      node_nm: technology node, nm; any shape (e.g. ``(B,)`` for a design grid).
      roadmap: ``"HP"`` or ``"LSTP"`` (static).
      finfet_temperature_k: None (V2.0: the 300 K on-currents), or the temperature, K, in
        [300, 400], of NeuroSim V2.1's FinFET on-current columns (broadcast with the node).

    Returns:
      A :class:`Technology` whose fields have the shape of ``node_nm``.

    Raises:
      ValueError: unknown roadmap, or a concrete node outside [7, 130] nm, or a concrete
        ``finfet_temperature_k`` outside [300, 400] K.
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
    i_off_si = _I_OFF_SI[roadmap]
    i_off_n = interp(node, NODES_NM, np.asarray(table["i_off_n"], float) * i_off_si)
    i_off_n_400k = interp(node, NODES_NM, np.asarray(table["i_off_n_400k"], float) * i_off_si)
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


def leakage_current(tech: Technology, width: ArrayLike, mode: str = "exact") -> Array:
    """NMOS off-state leakage ``I_off·W_eff`` at 300 K, docs/model.md §5.9.

    Only the NMOS off-current is tabulated in docs/model.md (PMOS I_off and the INV/NAND/NOR
    combinations are not implemented).

    Args:
      tech: :class:`Technology`.
      width: drawn width W, m.
      mode: relax mode of the FinFET fin count (static).

    Returns:
      Leakage current, A.
    """
    return tech.i_off_n * effective_width(tech, width, mode)


def leakage_power(tech: Technology, width: ArrayLike, mode: str = "exact") -> Array:
    """NMOS leakage power ``I_off·W_eff·V_dd`` at 300 K, docs/model.md §5.9 ("Power = I·V_dd").

    Args:
      tech: :class:`Technology`.
      width: drawn width W, m.
      mode: relax mode of the FinFET fin count (static).

    Returns:
      Leakage power, W.
    """
    return leakage_current(tech, width, mode) * tech.vdd


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
