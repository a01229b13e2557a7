"""Writes cimjax/data/embedded/fashion_mnist_subset.npz, the Fashion-MNIST subset shipped with cimjax.

The subset is class-balanced and deterministic: the first 600 training and the first 100
test images of each class, in the order of the original idx files, kept in that order (so
classes are interleaved as in the original). The original positions are stored as
``train_index`` / ``test_index``.

Usage:
    python scripts/make_embedded_fashion_mnist.py [--src /usr/share/datasets/fashion-mnist] [--out PATH]

The idx files come from the Debian package ``dataset-fashion-mnist`` (installed to
/usr/share/datasets/fashion-mnist) or https://github.com/zalandoresearch/fashion-mnist.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from cimjax.data.fashion_mnist import FASHION_MNIST_SYSTEM_DIR, NUM_CLASSES, load_fashion_mnist

TRAIN_PER_CLASS = 600
TEST_PER_CLASS = 100
DEFAULT_OUT = (
    Path(__file__).resolve().parents[1] / "cimjax" / "data" / "embedded" / "fashion_mnist_subset.npz"
)


def first_per_class(labels: np.ndarray, per_class: int, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Indices of the first ``per_class`` examples of each class, sorted (original order).

    Args:
      labels: ``(N,)`` integer labels.
      per_class: examples to keep per class.
      num_classes: number of classes.

    Returns:
      Sorted int64 indices, ``per_class * num_classes`` of them.
    """
    chosen = []
    for c in range(num_classes):
        idx = np.flatnonzero(labels == c)[:per_class]
        if len(idx) < per_class:
            raise ValueError(f"class {c} has only {len(idx)} examples, need {per_class}")
        chosen.append(idx)
    return np.sort(np.concatenate(chosen))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", default=str(FASHION_MNIST_SYSTEM_DIR), help="folder with the four idx files")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="npz file to write")
    args = parser.parse_args(argv)

    ds = load_fashion_mnist(args.src)
    tr = first_per_class(ds.train_labels, TRAIN_PER_CLASS)
    te = first_per_class(ds.test_labels, TEST_PER_CLASS)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out,
        train_images=ds.train_images[tr],
        train_labels=ds.train_labels[tr].astype(np.uint8),
        test_images=ds.test_images[te],
        test_labels=ds.test_labels[te].astype(np.uint8),
        train_index=tr.astype(np.int32),
        test_index=te.astype(np.int32),
    )
    print(f"wrote {out}: {len(tr)} train / {len(te)} test images, {out.stat().st_size / 1e6:.2f} MB")
    print(f"source: {ds.description}")


if __name__ == "__main__":
    main()
