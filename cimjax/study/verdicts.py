"""The paper study's conclusions table: each conclusion of DNN+NeuroSim V2.0's device benchmark
(issue 18; docs/model.md §7.3) as a *rule on the numbers of this run*, with its verdict
(``yes`` / ``partly`` / ``no`` / ``n/a``) and the numbers that decide it. No verdict is written
down: every one is computed from the accuracies and estimates the study measured.

Significance: a difference of accuracies counts when it exceeds :func:`tolerance`,
``max(2·σ_seed, 1 point)``, σ_seed being the pooled seed-to-seed standard deviation of the run
(the ideal update's and every setting's, :func:`pooled_std`). With one seed σ_seed is 0 and the
floor of 1 point decides. Absolute accuracies (85 %, 77 %, 91 %) are the paper's for the full
VGG-8 on CIFAR-10 after 257 epochs; a width-scaled short run cannot reach them, so those rows
compare the *orderings and gaps* and print the paper's value next to this run's.

Pure NumPy and Python: the rules are unit-tested on hand-made numbers (tests/test_study.py).
"""

from __future__ import annotations

from typing import Mapping, NamedTuple, Optional, Sequence

import numpy as np

#: Smallest accuracy difference (points) that counts, whatever the seed spread.
MIN_POINTS = 1.0
#: Multiple of the pooled seed σ a difference must exceed.
SIGMA_FACTOR = 2.0
#: The paper's thresholds for the estimator rows.
R_ON_THRESHOLD = 100e3
WRITE_PULSE_THRESHOLD = 1e-6
#: Relative change of the epoch energy that counts as "matters" in the R_on rule.
ENERGY_CHANGE = 0.10


class Verdict(NamedTuple):
    key: str
    conclusion: str
    verdict: str  # yes / partly / no / n/a
    numbers: str
    rule: str


def pooled_std(per_seed: Sequence[Sequence[float]]) -> float:
    """Pooled sample standard deviation over seeds of several settings (rows: settings, columns:
    seeds); 0 when every row has fewer than two seeds."""
    num = den = 0.0
    for row in per_seed:
        row = np.asarray(row, float)
        if row.size >= 2:
            num += float(np.sum((row - row.mean()) ** 2))
            den += row.size - 1
    return float(np.sqrt(num / den)) if den > 0 else 0.0


def tolerance(sigma: float) -> float:
    """The smallest accuracy difference that counts: ``max(SIGMA_FACTOR·σ, MIN_POINTS)``."""
    return max(SIGMA_FACTOR * float(sigma), MIN_POINTS)


def _fmt(x: Optional[float], unit: str = "%") -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.2f}{unit}"


def _get(d: Mapping, k):
    v = d.get(k)
    return None if v is None else float(v)


def c2c_threshold(c2c_acc: Mapping[float, float], tol: float) -> Verdict:
    """c2c under 1 % is needed: accuracy at 1 % within ``tol`` of 0 %, and the largest c2c
    (≥ 3 %) below 0 % by more than ``tol``. ``partly``: accuracy falls with c2c but already
    at 1 %."""
    conc = "c2c σ under 1 % is needed"
    a0, a1 = _get(c2c_acc, 0.0), _get(c2c_acc, 0.01)
    big = max((c for c in c2c_acc if c >= 0.03), default=None)
    if a0 is None or a1 is None or big is None:
        return Verdict("c2c", conc, "n/a", "the c2c sweep lacks 0 %, 1 % or ≥ 3 %", "")
    ab = float(c2c_acc[big])
    ok_1 = a0 - a1 <= tol
    falls = a0 - ab > tol
    verdict = "yes" if ok_1 and falls else "partly" if falls else "no"
    return Verdict("c2c", conc, verdict,
                   f"acc(c2c 0) {_fmt(a0)}, acc(1 %) {_fmt(a1)}, acc({big * 100:g} %) {_fmt(ab)}; tol {tol:.2f}",
                   "yes: acc(0) − acc(1 %) ≤ tol and acc(0) − acc(max c2c ≥ 3 %) > tol; partly: only the second")


def nl_threshold(nl_acc: Mapping[float, float], tol: float) -> Verdict:
    """|NL| within about 3 is needed: accuracy at ±3 within ``tol`` of ±1, and ±6 below ±3 by
    more than ``tol``. ``partly``: accuracy falls from ±1 to ±6 but already by ±3."""
    conc = "|NL| within about 3 is needed"
    a1, a3, a6 = _get(nl_acc, 1.0), _get(nl_acc, 3.0), _get(nl_acc, 6.0)
    if a1 is None or a3 is None or a6 is None:
        return Verdict("nl", conc, "n/a", "the NL sweep lacks ±1, ±3 or ±6", "")
    ok_3 = a1 - a3 <= tol
    falls = a3 - a6 > tol
    verdict = "yes" if ok_3 and falls else "partly" if a1 - a6 > tol else "no"
    return Verdict("nl", conc, verdict, f"acc(±1) {_fmt(a1)}, acc(±3) {_fmt(a3)}, acc(±6) {_fmt(a6)}; tol {tol:.2f}",
                   "yes: acc(±1) − acc(±3) ≤ tol and acc(±3) − acc(±6) > tol; partly: acc(±1) − acc(±6) > tol")


def r_on_threshold(energy_by_r_on: Mapping[float, float]) -> Verdict:
    """R_on above 100 kΩ is needed: lowering R_on below 100 kΩ raises the epoch energy by more
    than :data:`ENERGY_CHANGE`, raising it above 100 kΩ lowers it by less than that (a knee at
    100 kΩ). ``partly``: energy falls with R_on but without the knee."""
    conc = "R_on above 100 kΩ is needed"
    lo = [r for r in energy_by_r_on if r < R_ON_THRESHOLD]
    hi = [r for r in energy_by_r_on if r > R_ON_THRESHOLD]
    if R_ON_THRESHOLD not in energy_by_r_on or not lo or not hi:
        return Verdict("r_on", conc, "n/a", "the R_on sweep lacks points below, at or above 100 kΩ", "")
    e_ref = float(energy_by_r_on[R_ON_THRESHOLD])
    e_lo, e_hi = float(energy_by_r_on[min(lo)]), float(energy_by_r_on[max(hi)])
    up = e_lo / e_ref - 1.0
    down = 1.0 - e_hi / e_ref
    verdict = "yes" if up > ENERGY_CHANGE and down < ENERGY_CHANGE else "partly" if up > 0 else "no"
    return Verdict("r_on", conc, verdict,
                   f"energy/epoch at R_on {min(lo):.3g} Ω: {up * 100:+.1f} %, at {max(hi):.3g} Ω: {-down * 100:+.1f} % "
                   "(relative to 100 kΩ)",
                   f"yes: +>{ENERGY_CHANGE * 100:g} % below 100 kΩ and <{ENERGY_CHANGE * 100:g} % gain above; "
                   "partly: energy still falls with R_on")


def write_pulse_threshold(wu_share_by_pulse: Mapping[float, float]) -> Verdict:
    """Write pulses under 1 µs are needed: with 1 µs pulses the weight update takes under half of
    the epoch latency, and with the longest pulse above 1 µs more than half. ``partly``: the
    share grows with the pulse but does not cross one half at 1 µs."""
    conc = "write pulses under 1 µs are needed"
    longer = [p for p in wu_share_by_pulse if p > WRITE_PULSE_THRESHOLD]
    if WRITE_PULSE_THRESHOLD not in wu_share_by_pulse or not longer:
        return Verdict("write_pulse", conc, "n/a", "the pulse sweep lacks 1 µs or a longer pulse", "")
    s1 = float(wu_share_by_pulse[WRITE_PULSE_THRESHOLD])
    p_long = max(longer)
    sl = float(wu_share_by_pulse[p_long])
    verdict = "yes" if s1 < 0.5 < sl else "partly" if sl > s1 else "no"
    return Verdict("write_pulse", conc, verdict,
                   f"weight-update share of the epoch latency: {s1 * 100:.1f} % at 1 µs, {sl * 100:.1f} % at {p_long * 1e6:g} µs",
                   "yes: share < 50 % at 1 µs and > 50 % at the longest pulse; partly: the share grows")


def momentum_nl(mom: Mapping[float, float], no_mom: Mapping[float, float], tol: float) -> Verdict:
    """With momentum about 85 % at NL ±3 and 77 % at ±6: here the ordering ±3 > ±6 with momentum
    (gap > ``tol``), printed next to the paper's numbers."""
    conc = "with momentum ~85 % at NL ±3 and ~77 % at ±6"
    a3, a6 = _get(mom, 3.0), _get(mom, 6.0)
    if a3 is None or a6 is None:
        return Verdict("momentum_nl", conc, "n/a", "the momentum NL sweep lacks ±3 or ±6", "")
    gap = a3 - a6
    verdict = "partly" if gap > tol else "no"
    return Verdict("momentum_nl", conc, verdict,
                   f"with momentum acc(±3) {_fmt(a3)}, acc(±6) {_fmt(a6)} (gap {gap:.2f}; paper 85/77, gap 8); tol {tol:.2f}",
                   "partly: acc(±3) − acc(±6) > tol (absolute values are the paper's full VGG-8/CIFAR-10 run's and "
                   "are not compared); no otherwise")


def momentum_helps(mom: Mapping[float, float], no_mom: Mapping[float, float], tol: float) -> Verdict:
    """Momentum helps at high NL: accuracy at the largest |NL| with momentum above that without,
    by more than ``tol``."""
    conc = "momentum helps at high |NL|"
    common = sorted(set(mom) & set(no_mom))
    if not common:
        return Verdict("momentum_helps", conc, "n/a", "no |NL| swept with and without momentum", "")
    v = common[-1]
    a, b = float(mom[v]), float(no_mom[v])
    verdict = "yes" if a - b > tol else "no"
    return Verdict("momentum_helps", conc, verdict,
                   f"acc(±{v:g}) with momentum {_fmt(a)}, without {_fmt(b)}; tol {tol:.2f}",
                   "yes: with − without > tol at the largest |NL|")


def d2d_harmless(d2d_mom: Mapping[float, float], tol: float) -> Verdict:
    """d2d σ 0.5 with momentum does not hurt: accuracy at σ 0.5 not below σ 0 by more than ``tol``."""
    conc = "d2d σ 0.5 with momentum does not hurt"
    a0, a5 = _get(d2d_mom, 0.0), _get(d2d_mom, 0.5)
    if a0 is None or a5 is None:
        return Verdict("d2d", conc, "n/a", "the d2d sweep lacks 0 or 0.5", "")
    verdict = "yes" if a0 - a5 <= tol else "no"
    return Verdict("d2d", conc, verdict, f"with momentum acc(d2d 0) {_fmt(a0)}, acc(d2d 0.5) {_fmt(a5)}; tol {tol:.2f}",
                   "yes: acc(0) − acc(0.5) ≤ tol")


def fefet(ideal: float, fefet_acc: float, strong: Mapping[str, float], tol: float) -> Verdict:
    """FeFET with 32 levels reaches about 91 % (the paper's ideal is ~92 %): the FeFET within
    ``tol`` of the ideal update. ``partly``: only above the strongly nonlinear devices."""
    conc = "FeFET with 32 levels reaches ~91 % (near the ideal)"
    worst = max(strong.values()) if strong else None
    near = ideal - fefet_acc <= tol
    above = worst is not None and fefet_acc - worst > tol
    verdict = "yes" if near else "partly" if above else "no"
    return Verdict("fefet", conc, verdict,
                   f"ideal update {_fmt(ideal)}, FeFET {_fmt(fefet_acc)} (paper ~91); best strongly nonlinear "
                   f"{_fmt(worst)}; tol {tol:.2f}",
                   "yes: ideal − FeFET ≤ tol; partly: FeFET − best strongly nonlinear device > tol")


def ordering(ideal: float, fefet_acc: float, strong: Mapping[str, float], tol: float) -> Verdict:
    """ideal ≥ FeFET > strongly nonlinear devices: FeFET not above the ideal update by more than
    ``tol`` and above every strongly nonlinear device by more than ``tol``."""
    conc = "ideal > FeFET > strongly nonlinear devices"
    if not strong:
        return Verdict("ordering", conc, "n/a", "no strongly nonlinear device", "")
    names = ", ".join(f"{k} {_fmt(v)}" for k, v in strong.items())
    a = fefet_acc - ideal <= tol
    b = all(fefet_acc - v > tol for v in strong.values())
    verdict = "yes" if a and b else "partly" if (a or b) else "no"
    return Verdict("ordering", conc, verdict, f"ideal {_fmt(ideal)}, FeFET {_fmt(fefet_acc)}, {names}; tol {tol:.2f}",
                   "yes: FeFET − ideal ≤ tol and FeFET − each strong-NL device > tol; partly: one of the two")


def falls_with(values: Mapping[float, float], what: str, key: str, tol: float) -> Verdict:
    """Accuracy falls with a swept quantity: the least-squares slope is negative and the
    accuracy at the largest value is below the smallest's by more than ``tol``. ``partly``:
    negative slope only."""
    conc = f"accuracy falls with {what}"
    xs = sorted(values)
    if len(xs) < 2:
        return Verdict(key, conc, "n/a", "fewer than two swept values", "")
    ys = np.asarray([float(values[x]) for x in xs])
    slope = float(np.polyfit(np.asarray(xs, float), ys, 1)[0])
    drop = float(ys[0] - ys[-1])
    verdict = "yes" if slope < 0 and drop > tol else "partly" if slope < 0 else "no"
    return Verdict(key, conc, verdict,
                   f"acc {', '.join(f'{x:g}: {y:.2f}' for x, y in zip(xs, ys))}; slope {slope:.3g}/unit; "
                   f"drop {drop:.2f}; tol {tol:.2f}",
                   "yes: slope < 0 and acc(min) − acc(max) > tol; partly: slope < 0")


def sram_beats_envm(sram7: Mapping[str, float], envm: Mapping[str, Mapping[str, float]]) -> Verdict:
    """7 nm parallel SRAM beats the 32 nm eNVM designs in energy efficiency (TOPS/W) and
    throughput (TOPS): above every eNVM row in both (``partly``: in one)."""
    conc = "7 nm parallel SRAM beats 32 nm eNVM in energy efficiency and throughput"
    if not envm or sram7 is None:
        return Verdict("sram", conc, "n/a", "no SRAM 7 nm or eNVM estimate", "")
    best_eff = max(envm, key=lambda k: envm[k]["tops_per_w"])
    best_thr = max(envm, key=lambda k: envm[k]["tops"])
    eff = sram7["tops_per_w"] > envm[best_eff]["tops_per_w"]
    thr = sram7["tops"] > envm[best_thr]["tops"]
    verdict = "yes" if eff and thr else "partly" if (eff or thr) else "no"
    return Verdict("sram", conc, verdict,
                   f"SRAM 7 nm: {sram7['tops_per_w']:.3g} TOPS/W, {sram7['tops']:.3g} TOPS; best eNVM: "
                   f"{best_eff} {envm[best_eff]['tops_per_w']:.3g} TOPS/W, {best_thr} {envm[best_thr]['tops']:.3g} TOPS",
                   "yes: SRAM 7 nm above every eNVM in TOPS/W and TOPS (training, per epoch); partly: one of them")
