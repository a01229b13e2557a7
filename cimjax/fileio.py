"""The files cimjax reads and the directories it writes, checked so that a failure names the
file (and the row and column) and what is wrong (issue 19).

- :func:`parse_number` / :func:`parse_int`: the one number syntax of cimjax's text inputs
  (``--set`` values, CSV cells): ASCII digits only; no underscores (``1_0``) and no digits of
  other scripts (``１２``, ``٠.٥``), which Python's ``int``/``float`` accept silently;
  :func:`number_arg`, the ``argparse`` type of a numeric argument (checked at parse time).
- :func:`read_csv`: a numeric CSV file (header row, then rows of numbers), read with errors
  naming ``PATH: row N, column NAME`` for a cell that is no number or not finite, and ``PATH:
  ...`` for an empty, binary or ragged file.
- :func:`check_output_dir`: an output directory is created and written to (a probe file) before
  any work, so a bad ``--out`` (a file, under a file, a symbolic-link loop, read-only, full)
  fails at once. :func:`write_failure` turns a failed write during the run into a
  :class:`~cimjax.errors.RunError` naming the path.
- :func:`lock_run_dir` / :func:`unlock_run_dir`: the lock file of a training run directory
  (``fcntl.flock`` on an open file: the kernel drops it when its process dies, even by
  ``kill -9``), so two runs never write one directory at once.
- :func:`check_finite`: every number of a figure set (nested dicts, lists, arrays) is finite,
  else a :class:`~cimjax.errors.RunError` naming the first bad figure; called by every writer
  of estimates, so none is written with a NaN or an infinity.
- :func:`available_memory` / :func:`check_memory`: a pre-flight memory estimate against what
  the machine has, before a large allocation.

Only the standard library and NumPy are imported here.
"""

from __future__ import annotations

import argparse
import errno
import math
import os
import re
from typing import Any, Callable, Optional, Sequence

import numpy as np

from cimjax.errors import InputError, RunError

# ---------------------------------------------------------------------------------------
# Numbers

_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SPECIAL = {"nan": math.nan, "+nan": math.nan, "-nan": math.nan, "inf": math.inf, "+inf": math.inf,
            "-inf": -math.inf, "infinity": math.inf, "+infinity": math.inf, "-infinity": -math.inf}

#: What the number syntax allows, for error messages.
NUMBER_SYNTAX = "ASCII digits 0-9, no underscores"


def parse_int(text: str) -> Optional[int]:
    """``text`` (surrounding blanks ignored) as an int, or None when it is not ASCII digits
    with an optional sign."""
    t = text.strip()
    return int(t) if _INT.fullmatch(t) else None


def parse_number(text: str) -> Optional[float]:
    """``text`` (surrounding blanks ignored) as a float, or None when it is no number.

    Decimal notation with ASCII digits (``12``, ``-0.5``, ``1e-3``, ``.5``) and the words
    ``nan``, ``inf``, ``infinity`` (any case, signed; the caller decides whether a non-finite
    value is allowed). Underscores and other scripts' digits are refused.
    """
    t = text.strip()
    if _FLOAT.fullmatch(t):
        return float(t)
    return _SPECIAL.get(t.lower())


def number_arg(kind: type, lo: float, *, lo_open: bool = False):
    """An argparse ``type=`` for a finite number (``int`` or ``float``) ≥ ``lo`` (> with
    ``lo_open``), in cimjax's number syntax (:mod:`cimjax.fileio`): a bad value stops the
    command when its arguments are parsed, before any work."""
    what = "an integer" if kind is int else "a finite number"
    allowed = f"{what} {'>' if lo_open else '≥'} {lo:g}"

    def parse(text: str):
        value = parse_int(text) if kind is int else parse_number(text)
        if value is None or not math.isfinite(value) or value < lo or (lo_open and value == lo):
            raise argparse.ArgumentTypeError(f"{text!r} is invalid: expected {allowed}")
        return value

    parse.__name__ = "integer" if kind is int else "number"
    return parse


# ---------------------------------------------------------------------------------------
# Reading CSV files


def read_text(path: str, what: str = "file") -> str:
    """The text of ``path``, or :class:`InputError` naming it when it is missing, unreadable
    or binary (a NUL byte, or not UTF-8)."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise InputError(f"{path}: not found") from None
    except OSError as err:
        raise InputError(f"{path}: cannot read the {what}: {os_reason(err)}") from None
    if b"\0" in raw:
        raise InputError(f"{path}: not a text {what} (binary data)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: not a text {what} (binary data at byte {err.start})") from None


def read_csv(path: str, *, finite: bool = True, what: str = "CSV file",
             check_header: Optional[Callable[[list[str]], Optional[str]]] = None) -> tuple[list[str], list[list[float]]]:
    """A numeric CSV file: ``(header, rows)``, every cell of every row a number.

    Blank lines are skipped. Rows are numbered as lines of the file (the header is row 1).

    Args:
      path: the file.
      finite: refuse NaN and infinities (else they are read as such).
      what: what the file is, for messages (``"hardware trace"``).
      check_header: returns what is wrong with a header (None if nothing), checked before the rows.

    Raises:
      InputError: naming ``path``: missing, binary, empty (no header), a row with the wrong
        number of values, or ``row N, column NAME`` holding something that is no (finite)
        number.
    """
    text = read_text(path, what)
    lines = [(i, line) for i, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        raise InputError(f"{path}: empty {what} (expected a header row, then rows of numbers)")
    (_, head), body = lines[0], lines[1:]
    header = [h.strip() for h in head.split(",")]
    problem = check_header(header) if check_header is not None else None
    if problem:
        raise InputError(f"{path}: row 1 is not the header of a {what}: {problem}")
    rows = []
    for n, line in body:
        cells = line.split(",")
        if len(cells) != len(header):
            raise InputError(f"{path}: row {n} has {len(cells)} values, expected {len(header)} "
                             f"(one per column of the header)")
        values = []
        for name, cell in zip(header, cells):
            x = parse_number(cell)
            if x is None:
                raise InputError(f"{path}: row {n}, column {name}: {cell.strip()[:40]!r} is not a number")
            if finite and not math.isfinite(x):
                raise InputError(f"{path}: row {n}, column {name}: {cell.strip()!r} is not a finite number")
            values.append(x)
        rows.append(values)
    return header, rows


# ---------------------------------------------------------------------------------------
# Output directories


def os_reason(err: OSError, path: Optional[str] = None) -> str:
    """What an ``OSError`` of a write means, in words."""
    reasons = {
        errno.EEXIST: "it exists and is not a directory",
        errno.ENOTDIR: "a part of the path is a file, not a directory",
        errno.ELOOP: "a symbolic link loop (too many levels of symbolic links)",
        errno.EROFS: "read-only file system",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENOSPC: "no space left on device",
        errno.EDQUOT: "disk quota exceeded",
        errno.ENAMETOOLONG: "file name too long",
        errno.EISDIR: "it is a directory",
        errno.ENOENT: "no such file or directory (a symbolic link to a missing target?)",
    }
    text = reasons.get(err.errno, err.strerror or str(err))
    if path is not None and err.filename and os.path.abspath(str(err.filename)) != os.path.abspath(path):
        text += f" ({err.filename})"
    return text


def check_output_dir(path: Optional[str], flag: str = "--out") -> str:
    """Create the output directory ``path`` and write (then remove) a probe file in it, before
    any work; return ``path``.

    Raises:
      InputError: ``path`` empty, or not a writable directory (it is a file, lies under a file,
        a symbolic-link loop, a read-only file system, permission denied, a full disk), naming
        it and the reason.
    """
    if path is None or not str(path).strip():
        raise InputError(f"{flag} = {path!r} is invalid: expected a directory path")
    path = str(path)
    probe = os.path.join(path, f".cimjax-write-probe-{os.getpid()}")
    try:
        if os.path.lexists(path) and not os.path.exists(path):
            os.stat(path)  # a symbolic link that leads nowhere: ELOOP for a loop, ENOENT when dangling
        if os.path.exists(path) and not os.path.isdir(path):
            raise FileExistsError(errno.EEXIST, "File exists", path)
        os.makedirs(path, exist_ok=True)
        with open(probe, "wb") as f:
            f.write(b"cimjax\n")
            f.flush()
            os.fsync(f.fileno())
    except OSError as err:
        raise InputError(f"{path}: cannot write the output directory: {os_reason(err, path)}") from None
    finally:
        try:
            os.remove(probe)
        except OSError:
            pass
    return path


def write_failure(path: str, err: OSError) -> RunError:
    """The :class:`RunError` of a write to ``path`` that failed during the run (a full disk):
    it names the path and says the files written before are kept."""
    return RunError(f"{path}: cannot write: {os_reason(err, path)}; the files written before it are kept")


# ---------------------------------------------------------------------------------------
# The lock of a run directory

#: The lock file in a training run directory (holds the PID of the run writing it).
LOCK_NAME = ".cimjax.lock"
_HELD: dict[str, int] = {}  # absolute run directory -> open file descriptor holding the flock


def lock_run_dir(out: str, moved_from: Optional[str] = None) -> None:
    """Take the lock of run directory ``out`` (it exists): ``fcntl.flock`` on ``out/.cimjax.lock``,
    which then holds this process's PID. Released by :func:`unlock_run_dir` or when the
    process ends (however it ends: the kernel drops the lock of a dead process; a lock file
    left by ``kill -9`` is taken over).

    ``moved_from``: the run directory was just moved there (an earlier run moved aside) with
    this process's lock file in it; that lock is released and its file removed once the new
    one is held.

    Raises:
      InputError: another process holds the lock, naming ``out`` and its PID.
    """
    import fcntl

    key = os.path.abspath(out)
    path = os.path.join(out, LOCK_NAME)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise InputError(f"{out}: cannot create the lock file {LOCK_NAME}: {os_reason(err, path)}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        pid = os.read(fd, 64).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise InputError(f"{out}: another cimjax run (PID {pid}) is writing to this directory "
                         f"(lock file {path}); wait for it to end or use another --out") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    old = _HELD.pop(key, None)
    _HELD[key] = fd
    if old is not None:
        os.close(old)
        if moved_from is not None:
            try:
                os.remove(os.path.join(moved_from, LOCK_NAME))
            except OSError:
                pass


def unlock_run_dir(out: str) -> None:
    """Release this process's lock of ``out`` (if it holds one) and remove the lock file."""
    fd = _HELD.pop(os.path.abspath(out), None)
    if fd is None:
        return
    try:
        os.remove(os.path.join(out, LOCK_NAME))
    except OSError:
        pass
    os.close(fd)


def run_entries(out: str) -> list[str]:
    """The entries of run directory ``out`` other than its lock file (none if it is missing)."""
    if not os.path.isdir(out):
        return []
    return [e for e in os.listdir(out) if e != LOCK_NAME]


# ---------------------------------------------------------------------------------------
# Finite figures


def check_finite(data: Any, what: str) -> None:
    """Raise :class:`RunError` naming the first non-finite number in ``data`` (nested dicts,
    lists, tuples, NumPy/JAX arrays and scalars) as ``what: FIGURE = nan``."""

    def walk(x, where):
        if isinstance(x, dict):
            for k, v in x.items():
                walk(v, f"{where}.{k}" if where else str(k))
        elif isinstance(x, (list, tuple)):
            for i, v in enumerate(x):
                walk(v, f"{where}[{i}]")
        elif isinstance(x, (str, bytes, bool, type(None))):
            return
        else:
            try:
                arr = np.asarray(x, dtype=float)
            except (TypeError, ValueError):
                return
            bad = np.flatnonzero(~np.isfinite(arr.ravel()))
            if bad.size:
                i = int(bad[0])
                at = "" if arr.ndim == 0 else str([int(j) for j in np.unravel_index(i, arr.shape)])
                raise RunError(f"{what}: the figure {where}{at} = {arr.ravel()[i]} is not finite, so it is not "
                               f"written (run again with --debug; with valid inputs this is a bug in cimjax)")

    walk(data, "")


# ---------------------------------------------------------------------------------------
# Memory


def available_memory() -> Optional[int]:
    """Bytes of memory available to a new allocation (``MemAvailable`` of ``/proc/meminfo``,
    else the free pages of ``os.sysconf``), or None when unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError, AttributeError):
        return None


def gib(n: float) -> str:
    """Bytes as ``"12.3 GiB"``."""
    return f"{n / 2**30:.3g} GiB"


def check_memory(parts: Sequence[tuple[str, float]], what: str, advice: str) -> None:
    """Raise :class:`InputError` when the bytes of ``parts`` (``(name, bytes)``) add up to more
    than :func:`available_memory`; the message says ``what`` needs how much, of which parts,
    what is available, and ``advice``."""
    need = sum(b for _, b in parts)
    have = available_memory()
    if have is None or need <= have:
        return
    detail = ", ".join(f"{name} {gib(b)}" for name, b in parts)
    raise InputError(f"{what} needs about {gib(need)} of memory ({detail}), more than the {gib(have)} "
                     f"available: {advice}")
