"""The `cimjax` command line: help, config errors, stubs that say what is missing."""

import json
import subprocess
import sys

import pytest

from helpers import counting_compiles

from cimjax.cli import main
from cimjax.trainer import make_keys


def test_help_lists_subcommands():
    out = subprocess.run([sys.executable, "-m", "cimjax.cli", "--help"], capture_output=True, text=True, check=True)
    for cmd in ("train", "estimate", "sweep", "optimize", "config"):
        assert cmd in out.stdout


@pytest.mark.parametrize("cmd", ["train", "estimate", "sweep", "optimize", "config"])
def test_subcommand_help(cmd, capsys):
    with pytest.raises(SystemExit) as e:
        main([cmd, "--help"])
    assert e.value.code == 0
    assert "--config" in capsys.readouterr().out


def test_bad_override_is_one_clear_line(capsys):
    with counting_compiles() as compiles:
        code = main(["train", "--config", "configs/quickstart.py", "--set", "quant.weight_bits=0", "--no-progress"])
    assert compiles() == 0  # stopped before any work
    err = capsys.readouterr().err
    assert code == 2
    assert "quant.weight_bits" in err and "[1, 16]" in err
    assert "Traceback" not in err


def test_missing_config_file(capsys):
    assert main(["config", "--config", "configs/nope.py"]) == 2
    assert "nope.py" in capsys.readouterr().err


def test_config_prints_resolved_json(capsys):
    assert main(["config", "--config", "configs/quickstart.py", "--set", "train.epochs=7", "--out", "x/y"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["train"]["epochs"] == 7 and d["run"]["out_dir"] == "x/y"


def _printed_mapping(out: str) -> tuple[list[list[str]], list[str], str]:
    """The mapping table's layer rows and chip row (cells split on spaces) and its last line."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("layer  NetWork.csv row"))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("chip"))
    return [line.split() for line in lines[start + 2:end]], lines[end].split(), lines[end + 1]


def test_estimate_prints_vgg8_mapping_and_writes_it_to_json(tmp_path, capsys):
    assert main(["estimate", "--config", "configs/vgg8_cifar10.py", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "32,32,3,3,3,128,0,1" in out and "1,1,1024,1,1,10,0,1" in out
    assert "12.97M" in out  # weights
    # NeuroSim V2.0's floorplan (docs/model.md §5.2): 15 tiles, 88.59 % utilisation.
    assert "88.59 %" in out and "4x4 tile grid" in out
    # The estimate of the V2.0 default chip: ADC area 54.02 mm² (NeuroSim: 54.022), 50,000 images.
    assert "adc           54.02" in out and "50000 images per epoch" in out
    # estimate.json holds the mapping the table shows.
    mapping = json.loads((tmp_path / "estimate.json").read_text())["mapping"]
    rows, chip_row, footer = _printed_mapping(out)
    assert list(mapping["layers"]) == [f"layer{i + 1}" for i in range(8)] and len(rows) == 8
    assert {r[4] for r in rows} == {"NM", "CM"}
    for row, layer in zip(rows, mapping["layers"].values()):
        index, network_row, _, _, kind, tiles, speedup, utilisation, _ = row
        assert (network_row, kind) == (layer["network_row"], layer["mapping"])
        assert (float(tiles), float(speedup)) == (layer["tiles"], layer["speedup"])
        assert utilisation == f"{100 * layer['utilisation']:.2f}"
    chip = mapping["chip"]
    assert float(chip_row[3]) == chip["tiles"] == 15 and chip_row[4] == f"{100 * chip['utilisation']:.2f}"
    assert f"{chip['tile_grid'][0]:g}x{chip['tile_grid'][1]:g} tile grid" in footer
    assert f"{chip['weight_bits']}-bit weights in {chip['cells_per_weight']} cell(s) of {chip['cell_bits']} bit" in footer


def test_missing_dataset_fails_fast_without_writing(tmp_path, capsys):
    out = tmp_path / "run"
    make_keys(117)  # the seed's keys compile once per process; nothing else may compile
    with counting_compiles() as compiles:
        code = main(["train", "--config", "configs/vgg8_cifar10.py", "--set", f"data.data_dir={tmp_path}",
                     "--out", str(out), "--no-progress"])
    assert compiles() == 0  # stopped before any model, step or estimate was compiled
    assert code == 2
    err = capsys.readouterr().err
    assert "CIFAR-10 not found" in err and "cifar-10-python.tar.gz" in err and "Traceback" not in err
    assert not out.exists()
