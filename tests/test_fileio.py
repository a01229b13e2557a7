"""cimjax.fileio: the number syntax, the CSV reader's row and column numbering, the finite-figure
guard and the output-directory probe."""

import math

import numpy as np
import pytest

from cimjax import fileio
from cimjax.errors import InputError, RunError


@pytest.mark.parametrize("text, value", [("12", 12.0), (" -0.5 ", -0.5), ("1e-3", 1e-3), (".5", 0.5), ("+3.", 3.0),
                                         ("1E+2", 100.0), ("inf", math.inf), ("-Infinity", -math.inf)])
def test_numbers_read(text, value):
    assert fileio.parse_number(text) == value


@pytest.mark.parametrize("text", ["1_0", "１２", "٠.٥", "0x10", "", "1e", "--1", "1.2.3", "½", "nan1"])
def test_numbers_refused(text):
    assert fileio.parse_number(text) is None


def test_nan_is_a_number_but_not_finite():
    assert math.isnan(fileio.parse_number("NaN"))


@pytest.mark.parametrize("text, value", [("7", 7), ("-3", -3), ("+0", 0)])
def test_ints(text, value):
    assert fileio.parse_int(text) == value


@pytest.mark.parametrize("text", ["1.0", "1e3", "1_000", "٣", "seven"])
def test_ints_refused(text):
    assert fileio.parse_int(text) is None


def test_csv_rows_are_numbered_as_lines_of_the_file(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("epoch,a,b\n0,1,2\n\n1,3,x\n")
    with pytest.raises(InputError, match=r"t.csv: row 4, column b: 'x' is not a number"):
        fileio.read_csv(str(p))
    p.write_text("epoch,a,b\n0,1,2\n1,3,-inf\n")
    with pytest.raises(InputError, match=r"row 3, column b: '-inf' is not a finite number"):
        fileio.read_csv(str(p))
    header, rows = fileio.read_csv(str(p), finite=False)
    assert header == ["epoch", "a", "b"] and rows == [[0.0, 1.0, 2.0], [1.0, 3.0, -math.inf]]


def test_finite_guard_names_the_figure():
    fileio.check_finite({"a": [1.0, np.float32(2.0)], "b": "text", "c": None}, "ok.json")
    with pytest.raises(RunError, match=r"out.json: the figure layers.fc2.energy\[1\] = nan is not finite"):
        fileio.check_finite({"layers": {"fc1": {"energy": 1.0}, "fc2": {"energy": np.array([1.0, np.nan])}}},
                            "out.json")


def test_output_dir_probe(tmp_path):
    assert fileio.check_output_dir(str(tmp_path / "a" / "b")) == str(tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir() and list((tmp_path / "a" / "b").iterdir()) == []  # the probe is gone
    (tmp_path / "f").write_text("")
    with pytest.raises(InputError, match="exists and is not a directory"):
        fileio.check_output_dir(str(tmp_path / "f"))
    with pytest.raises(InputError, match=r"--out = '' is invalid"):
        fileio.check_output_dir("")


def test_memory_check_names_the_need_and_what_is_there(monkeypatch):
    monkeypatch.setattr(fileio, "available_memory", lambda: 2**30)
    fileio.check_memory([("dataset", 2**29)], "the data", "use less")
    with pytest.raises(InputError, match=r"the data needs about 3 GiB of memory \(dataset 1 GiB, one batch 2 GiB\), "
                                         r"more than the 1 GiB available: use less"):
        fileio.check_memory([("dataset", 2**30), ("one batch", 2**31)], "the data", "use less")
