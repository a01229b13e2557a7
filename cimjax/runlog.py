"""Per-epoch CSV logs of a run, rewritten atomically after every epoch.

Values are written with ``repr`` so they read back exactly: a resumed run reloads its
history and appends to it, and the files end up byte-identical to an uninterrupted run's.
"""

from __future__ import annotations

import os
from typing import Sequence

from cimjax.config import atomic_write_text


class EpochCsv:
    """A CSV file with an ``epoch`` column first, one row per finished epoch."""

    def __init__(self, path: str, header: Sequence[str]):
        if not header or header[0] != "epoch":
            raise ValueError(f"{path}: the first column must be 'epoch', got {list(header)!r}")
        self.path = path
        self.header = list(header)
        self.rows: list[list[float]] = []

    def load(self, before_epoch: int) -> None:
        """Reload rows of epochs ``< before_epoch`` (a resumed run's finished epochs)."""
        self.rows = []
        if not os.path.exists(self.path):
            return
        with open(self.path) as f:
            header = next(f, "").strip().split(",")
            if header != self.header:
                return  # another layout (e.g. a different network): start afresh
            for line in f:
                values = [float(v) for v in line.strip().split(",")]
                if int(values[0]) < before_epoch:
                    self.rows.append([int(values[0])] + values[1:])

    def append(self, epoch: int, values: Sequence[float]) -> None:
        if len(values) != len(self.header) - 1:
            raise ValueError(f"{self.path}: {len(values)} values for {len(self.header) - 1} columns")
        self.rows.append([int(epoch)] + [float(v) for v in values])
        self.write()

    def write(self) -> None:
        text = ",".join(self.header) + "\n"
        text += "".join(",".join(repr(v) for v in row) + "\n" for row in self.rows)
        atomic_write_text(self.path, text)

    def column(self, name: str) -> list[float]:
        i = self.header.index(name)
        return [row[i] for row in self.rows]


def plot_training_curve(path: str, epochs: Sequence[int], accuracy: Sequence[float], loss: Sequence[float], title: str) -> None:
    """PNG of test accuracy and loss against epoch (written atomically)."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax1 = plt.subplots(figsize=(6, 3.5), dpi=120)
    ax1.plot(epochs, accuracy, "o-", color="tab:blue")
    ax1.set_xlabel("epoch")
    ax1.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax1.set_ylabel("test accuracy (%)", color="tab:blue")
    ax2 = ax1.twinx()
    ax2.plot(epochs, loss, "s--", color="tab:red")
    ax2.set_ylabel("test loss", color="tab:red")
    ax1.set_title(title)
    fig.tight_layout()
    tmp = path + f".tmp-{os.getpid()}.png"
    fig.savefig(tmp)
    plt.close(fig)
    os.replace(tmp, path)
