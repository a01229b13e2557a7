"""Bad config values and arguments: one line naming the field, exit status 2."""

import pytest
from bad_inputs.corpus import Case, check

CASES = [
    Case("override-out-of-range", argv=["train", "--config", "configs/synthetic_smoke.py", "--set", "quant.weight_bits=0",
                                         "--out", "{tmp}/run", "--no-progress"], code=2, words=("quant.weight_bits", "[1, 16]")),
    Case("missing-config-file", argv=["estimate", "--config", "{tmp}/nope.py"], code=2, words=("nope.py", "not found")),
    Case("unknown-field", argv=["config", "--config", "configs/quickstart.py", "--set", "hardware.adc_bitz=5"], code=2,
         words=("hardware.adc_bitz",)),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case(case, tmp_path, capsys):
    check(case, tmp_path, capsys)
