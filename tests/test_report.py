"""``cimjax.report``: the unit and axis choice of plots and tables."""

import numpy as np
import pytest

from cimjax.report.units import AxisScale, axis_for, axis_scale, prefix, si


@pytest.mark.parametrize("lo, hi, unit, want", [
    (86.0, 98.0, "J", AxisScale(1.0, "J", False)),  # the adc_subarray sweep's energy: linear, J
    (2.4e-5, 7.2e-4, "m²", AxisScale(1e-6, "mm²", True)),  # 24–720 mm²: 30×, log
    (2.4e-5, 3.2e-5, "m²", AxisScale(1e-6, "mm²", False)),
    (92.0, 370.0, "s", AxisScale(1.0, "s", False)),  # 4×: linear
    (2e-4, 5e-2, "s", AxisScale(1e-3, "ms", True)),  # 250×: log, prefix by the largest value
    (5e-4, 4e-3, "J", AxisScale(1e-3, "mJ", False)),
    (6e-7, 85.0, "J", AxisScale(1.0, "J", True)),
    (1.2e3, 9e3, "J·s", AxisScale(1e3, "kJ·s", False)),
    (0.0, 5e-6, "W", AxisScale(1e-6, "µW", False)),  # a zero: never log
    (-3.0, 40.0, "J", AxisScale(1.0, "J", False)),
    (1.0, 10.0, "J", AxisScale(1.0, "J", True)),  # exactly 10×: log
    (0.5, 80.0, "%", AxisScale(1.0, "%", True)),  # no prefix for % or plain numbers
    (3.0, 900.0, "", AxisScale(1.0, "", True)),
    (1e-18, 2e-17, "J", AxisScale(1e-15, "fJ", True)),  # below femto: femto
])
def test_axis_scale(lo, hi, unit, want):
    assert axis_scale(lo, hi, unit) == want


def test_axis_for_ignores_non_finite_values():
    assert axis_for([np.nan, 3e-3, np.inf, 5e-3], "s") == AxisScale(1e-3, "ms", False)
    assert axis_for([np.nan], "s") == AxisScale(1.0, "s", False)


def test_si_text():
    assert si(0.02683, "s") == "26.83 ms"
    assert si(84.74, "J") == "84.74 J"
    assert si(12345.0, "J") == "12.35 kJ"
    assert si(6.016e-7, "J", 3) == "602 nJ"
    assert si(0.0, "s") == "0 s"
    assert si(5.4e-5, "m²") == "54 mm²"
    assert prefix(0.0, "J") == (1.0, "J")
