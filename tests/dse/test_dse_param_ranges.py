"""A design parameter's range is its config field's: the sweep grid (ParamSpec lo/hi) and the
config's own check accept and refuse the same values at both ends (issue 19: the grid allowed
adc_bits 1–8 while the config allowed 1–12)."""

import pytest

from cimjax.config import ConfigError, apply_overrides, load_config
from cimjax.dse import params as P

# a base where every range end is reachable: columns_per_adc up to 256 needs 256+ columns,
# ag_rows_per_adc 256 needs 256+ rows, wg_rows_per_adc 256 needs a 256+-column WG sub-array
BASE = apply_overrides(
    load_config("configs/quickstart.py"),
    ["hardware.subarray_cols=2048", "hardware.subarray_rows=2048", "hardware.wg_subarray_cols=2048"],
)
NUMERIC = [(name, field) for name, s in P.PARAMS.items() if s.numeric for field in s.fields]


def _accepts(field: str, value) -> bool:
    try:
        apply_overrides(BASE, [f"{field}={value}"])
        return True
    except ConfigError:
        return False


def _text(spec, x) -> str:
    return str(int(x)) if spec.discrete else repr(float(x))


@pytest.mark.parametrize("name, field", NUMERIC, ids=[f"{n}:{f}" for n, f in NUMERIC])
def test_param_range_is_the_config_range(name, field):
    s = P.PARAMS[name]
    if s.kind == "pow2":
        below, above = s.lo / 2, s.hi * 2
    elif s.kind == "int":
        below, above = s.lo - 1, s.hi + 1
    else:
        below, above = s.lo - max(abs(s.lo), 1.0) * 1e-6, s.hi + max(abs(s.hi), 1.0) * 1e-6
    assert _accepts(field, _text(s, s.hi)), f"{field} refuses the grid's upper end {s.hi}"
    assert not _accepts(field, _text(s, above)), f"{field} takes {above}, beyond the grid's {s.range_text()}"
    assert _accepts(field, _text(s, s.lo)) != s.lo_open, f"{field} and the grid disagree on the lower end {s.lo}"
    if not s.lo_open:
        assert not _accepts(field, _text(s, below)), f"{field} takes {below}, below the grid's {s.range_text()}"
