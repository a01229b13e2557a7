"""Ctrl-C and SIGTERM during training: one graceful stop at a point where the state is whole.

A batch scheduler stops a job with SIGTERM (and SIGKILL after a grace period); a user with
Ctrl-C (SIGINT). While a :class:`GracefulStop` is entered, both become a ``KeyboardInterrupt``
that :func:`cimjax.train.train_and_evaluate` answers by saving a checkpoint. Inside
:meth:`GracefulStop.critical` (a training step and the assignment of its new state, which
donates the old one; an epoch's rows and checkpoint) the signal is held and raised when the
block ends, so the state saved is never a half-updated or deleted one and an epoch is never
half logged. A second signal while one is held interrupts at once (a long compile of the first
step). Outside those blocks (evaluation, the estimate) it interrupts at once, as Python's own
Ctrl-C does: the epoch's rows are not written yet and a resume redoes that work.

``signal_name`` is the first signal received (``"SIGINT"``, ``"SIGTERM"``), ``None`` if none:
``cimjax train`` exits 130 after Ctrl-C and 143 (128 + 15) after SIGTERM.
"""

from __future__ import annotations

import contextlib
import signal
import threading

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class GracefulStop:
    """Installs the SIGINT and SIGTERM handlers while entered (main thread only; elsewhere it
    changes nothing and Python's defaults apply)."""

    def __init__(self):
        self.signal_name: str | None = None
        self._held = 0  # depth of critical blocks
        self._pending = False  # a signal arrived inside a critical block and is not raised yet
        self._previous: dict[int, object] = {}

    def __enter__(self) -> "GracefulStop":
        if threading.current_thread() is threading.main_thread():
            for s in _SIGNALS:
                self._previous[s] = signal.signal(s, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for s, handler in self._previous.items():
            signal.signal(s, handler)
        self._previous.clear()

    def _handle(self, signum, frame) -> None:
        if self.signal_name is None:
            self.signal_name = signal.Signals(signum).name
        if self._held and not self._pending:
            self._pending = True
            return
        self._pending = False
        raise KeyboardInterrupt

    @contextlib.contextmanager
    def critical(self):
        """Hold a signal until the block ends (then raise it as ``KeyboardInterrupt``)."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
        if not self._held and self._pending:
            self._pending = False
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def ignored(self):
        """Ignore both signals (the checkpoint save after a stop must not be broken by a second one)."""
        if not self._previous:
            yield
            return
        for s in _SIGNALS:
            signal.signal(s, signal.SIG_IGN)
        try:
            yield
        finally:
            for s in _SIGNALS:
                signal.signal(s, self._handle)
