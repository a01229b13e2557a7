"""docs/neurosim_params.md cannot go stale: every config field its tables name exists and has the
default the table gives, every ``hardware`` field is named there, and no ``Param.cpp`` name is
listed twice."""

from __future__ import annotations

import ast
import dataclasses
import os
import re

import pytest

from cimjax import build as build_lib
from cimjax.config import Config
from cimjax.config.hardware import HardwareConfig
from tests.helpers import ROOT

DOC = os.path.join(ROOT, "docs", "neurosim_params.md")
FIELD = re.compile(r"^`([a-z_]+)\.([a-z_]+)`$")


def table_rows() -> list[list[str]]:
    """Every body row of every table in the document, as stripped cells."""
    rows = []
    with open(DOC, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line.startswith("|") or set(line) <= set("|- "):
                continue
            cells = [c.strip() for c in line.strip("|").split("|")]
            if cells[0] in ("`Param.cpp`", "cimjax field"):  # header rows
                continue
            rows.append(cells)
    return rows


def field_rows() -> list[tuple[str, str]]:
    """``(section.field, default literal)`` of every row that names a cimjax field: the
    parameter table (field in column 4, default in 5) and the cimjax-only table (1 and 2)."""
    out = []
    for cells in table_rows():
        for i in (3, 0):
            if len(cells) > i + 1 and FIELD.match(cells[i]):
                out.append((cells[i].strip("`"), cells[i + 1]))
                break
    return out


def test_the_tables_are_read():
    rows = table_rows()
    assert len(rows) > 70
    assert len(field_rows()) > 35


@pytest.mark.parametrize("field,default", field_rows())
def test_named_field_exists_with_the_tables_default(field, default):
    section, name = field.split(".")
    assert hasattr(Config(), section), f"{field}: no config section {section!r}"
    assert name in {f.name for f in dataclasses.fields(getattr(Config(), section))} or field == "device.max_level", (
        f"{field}: not a field of the config")
    assert default.startswith("`") and default.endswith("`"), f"{field}: default {default!r} is not a `literal`"
    want = ast.literal_eval(default.strip("`"))
    got = build_lib.field_value(Config(), field)
    assert got == want and type(got) is type(want), f"{field}: the table says {want!r}, the config has {got!r}"


def test_every_hardware_field_is_in_the_table():
    named = {f for f, _ in field_rows()}
    missing = [f"hardware.{f.name}" for f in dataclasses.fields(HardwareConfig) if f"hardware.{f.name}" not in named]
    assert not missing, f"docs/neurosim_params.md does not name {missing}"


def test_no_parameter_is_listed_twice():
    names = [c[0] for c in table_rows() if c[0].startswith("`") and c[0] != "`hardware.vdd_scale`"]
    names = [n for n in names if not FIELD.match(n)]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_the_param_cpp_reader_maps_as_the_table_says():
    """``cimjax config --from-neurosim`` (:mod:`cimjax.config.neurosim_param`) maps every
    parameter onto the field the table names, and knows every parameter the table lists."""
    from cimjax.config import neurosim_param as NP

    listed = {}
    for cells in table_rows():
        if len(cells) == 6 and cells[0].startswith("`") and "main.cpp" not in cells[0]:
            listed[cells[0].strip("`")] = cells[3]
    for name, field in listed.items():
        if FIELD.match(field):
            assert name in NP.FIELDS and NP.FIELDS[name][0] == field.strip("`"), name
        else:
            assert name in NP.MODELLED_AS or name in NP.DERIVED_IN_CIMJAX or name in NP.DERIVED, name
    known = set(NP.FIELDS) | set(NP.MODELLED_AS) | set(NP.DERIVED_IN_CIMJAX)
    assert known == set(listed) - NP.DERIVED, known ^ (set(listed) - NP.DERIVED)
