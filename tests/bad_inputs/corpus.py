"""The bad-input corpus: one table row per case, run through ``cimjax.cli.main`` in-process.

A case is a command line (or a function that prepares files and returns one), the exit status
it must give and the words its one-line error must contain. Every case also checks what issue 19
asks of all of them: no traceback on stderr, and no non-finite number in any file it wrote.

    CASES = [
        Case("trace-nan", prepare=nan_trace, code=2, words=("hardware_trace.csv", "row 2")),
        Case("lr-nan", argv=["optimize", ..., "--lr", "nan"], code=2, words=("--lr",)),
    ]

    @pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
    def test_case(case, tmp_path, capsys):
        check(case, tmp_path, capsys)

``prepare(tmp_path)`` makes whatever files the case needs under ``tmp_path`` and returns the
argv; ``argv`` entries may contain ``{tmp}``, replaced by ``tmp_path``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

from cimjax.cli import main

_NONFINITE = re.compile(r"(?<![A-Za-z_])(nan|inf|infinity)(?![A-Za-z_])", re.IGNORECASE)


@dataclass(frozen=True)
class Case:
    """One bad input: how to produce it, the exit status, and words the error must contain."""

    name: str
    argv: Sequence[str] = ()
    prepare: Optional[Callable[[Path], Sequence[str]]] = None
    code: int = 2
    words: Sequence[str] = field(default_factory=tuple)


def _json_nonfinite(path: Path) -> list[str]:
    bad: list[str] = []

    def walk(x, where):
        if isinstance(x, float) and not math.isfinite(x):
            bad.append(f"{path}:{where}")
        elif isinstance(x, dict):
            for k, v in x.items():
                walk(v, f"{where}.{k}")
        elif isinstance(x, list):
            for i, v in enumerate(x):
                walk(v, f"{where}[{i}]")

    try:
        walk(json.loads(path.read_text(), parse_constant=lambda c: float(c)), "")
    except (ValueError, UnicodeDecodeError):
        pass
    return bad


def nonfinite_in_outputs(root: Path) -> list[str]:
    """Files under ``root`` (JSON, CSV, Markdown, text) that hold a NaN or an infinity."""
    bad: list[str] = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix not in (".json", ".csv", ".md", ".txt"):
            continue
        if path.suffix == ".json":
            bad += _json_nonfinite(path)
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        for i, line in enumerate(text.splitlines(), 1):
            if _NONFINITE.search(line):
                bad.append(f"{path}:{i}: {line[:80]}")
    return bad


def check(case: Case, tmp_path: Path, capsys, *, inputs: Sequence[Path] = ()) -> str:
    """Run ``case``; assert its exit status, its words, no traceback, no non-finite output.

    ``inputs`` are files the case planted on purpose (a damaged trace): they are not outputs and
    are skipped by the non-finite scan. Returns stderr for further checks.
    """
    argv = list(case.prepare(tmp_path)) if case.prepare is not None else [a.replace("{tmp}", str(tmp_path)) for a in case.argv]
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse refuses an argument while parsing: usage + one error line
        code = exit_.code
    out, err = capsys.readouterr()
    assert code == case.code, f"{case.name}: exit {code}, expected {case.code}\nstdout: {out[-2000:]}\nstderr: {err[-2000:]}"
    assert "Traceback" not in err and "Traceback" not in out, f"{case.name}: traceback\n{err[-3000:]}"
    if case.code != 0:
        lines = [line for line in err.strip().splitlines() if line.strip()]
        assert lines, f"{case.name}: no error message"
        for word in case.words:
            assert word in err, f"{case.name}: {word!r} not in the error:\n{err[-2000:]}"
    planted = {Path(p).resolve() for p in inputs}
    bad = [b for b in nonfinite_in_outputs(tmp_path) if Path(b.split(":", 1)[0]).resolve() not in planted]
    assert not bad, f"{case.name}: non-finite numbers written:\n" + "\n".join(bad[:10])
    return err
