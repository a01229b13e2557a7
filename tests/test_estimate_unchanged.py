"""Every figure of ``estimate.json`` for the pinned configurations (``tests/estimate_golden.py``)
equals the stored float64 value to 1e-9 relative: refactors of the config → chip road and of
the models must not move a number unless they mean to (then re-write the files and say so)."""

import json
import math
import os

import pytest

from tests import estimate_golden as G
from tests.helpers import x64


def _leaves(d, prefix=""):
    if isinstance(d, dict):
        for k, v in d.items():
            yield from _leaves(v, f"{prefix}.{k}" if prefix else k)
    else:
        yield prefix, d


@pytest.mark.parametrize("name", list(G.CASES))
def test_estimate_figures_unchanged(name):
    with open(os.path.join(G.DATA, f"{name}.json")) as f:
        want = dict(_leaves(json.load(f)))
    with x64():
        got = dict(_leaves(G.estimate_case(name)))
    assert set(want) <= set(got), set(want) - set(got)
    bad = []
    for key, w in want.items():
        g = got[key]
        if isinstance(w, str):
            ok = g == w
        else:
            ok = math.isclose(g, w, rel_tol=1e-9, abs_tol=0.0) or (w == 0.0 and g == 0.0)
        if not ok:
            bad.append(f"{key}: {g!r} != {w!r}")
    assert not bad, f"{len(bad)} of {len(want)} figures moved:\n" + "\n".join(bad[:20])

