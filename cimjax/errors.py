"""cimjax's error classes: the one mechanism by which a failure reaches the user.

Every error a user can cause or meet derives from :class:`CimjaxError` and carries its exit
code. ``cimjax.cli.main`` turns any of them into one line on stderr (``cimjax COMMAND: error:
...``) and that exit code; ``--debug`` shows the traceback instead. The codes:

- 2 (:class:`InputError`): bad input, found before any work: a config field, a command-line
  argument, a damaged or missing file. The message names the field or the file (and the row or
  column where there is one) and what is allowed.
- 1 (:class:`RunError`): a failure during the run: divergence, a full disk, a non-finite figure.
  What the run produced up to that point is kept.

A module raises these where it knows what went wrong; it never prints and exits itself.
"""

from __future__ import annotations


class CimjaxError(Exception):
    """A failure the user is told about in one line; ``exit_code`` is the command's exit status."""

    exit_code = 1


class InputError(CimjaxError, ValueError):
    """Bad input (config field, argument, file content): exit status 2."""

    exit_code = 2


class RunError(CimjaxError, RuntimeError):
    """A failure during the run (divergence, disk full, non-finite result): exit status 1."""

    exit_code = 1
