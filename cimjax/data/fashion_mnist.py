"""Fashion-MNIST: the four standard idx files, or the class-balanced subset shipped in the package.

- ``fashion_mnist``: ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
  ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` (each optionally ``.gz``) from
  ``data.data_dir`` or ``data.data_dir/fashion_mnist``; if ``data.data_dir`` is None, from
  ``$CIMJAX_DATA_DIR/fashion_mnist`` (when the variable is set), then
  ``/usr/share/datasets/fashion-mnist`` (Debian package ``dataset-fashion-mnist``).
- ``fashion_mnist_embedded``: 600 train and 100 test images per class (6 000 / 1 000), made by
  ``scripts/make_embedded_fashion_mnist.py``.
"""

from __future__ import annotations

import io
import os
from importlib import resources
from pathlib import Path
from typing import Optional

import numpy as np

from cimjax.data.base import DATA_DIR_ENV, DataNotFoundError, Dataset, as_nhwc_uint8, data_root
from cimjax.data.idx import read_idx

NUM_CLASSES = 10

FASHION_MNIST_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
FASHION_MNIST_URL = "https://github.com/zalandoresearch/fashion-mnist"


def fashion_mnist_dirs(data_dir: Optional[str]) -> list[Path]:
    """Directories searched for the Fashion-MNIST idx files (see the module docstring)."""
    if data_dir is not None:
        d = Path(data_dir).expanduser()
        return [d, d / "fashion_mnist"]
    dirs = [data_root() / "fashion_mnist"] if os.environ.get(DATA_DIR_ENV) else []
    return dirs + [FASHION_MNIST_SYSTEM_DIR]


def _find_idx_files(d: Path) -> dict[str, Path]:
    found = {}
    for key, stem in FASHION_MNIST_FILES.items():
        for name in (stem, stem + ".gz"):
            if (d / name).is_file():
                found[key] = d / name
                break
    return found


def read_idx_dataset(paths: dict[str, Path], name: str) -> Dataset:
    """Reads an MNIST-style dataset from its four idx files.

    Args:
      paths: file for each of ``train_images``, ``train_labels``, ``test_images``,
        ``test_labels``.
      name: dataset name for the description.

    Returns:
      The dataset with images as ``(N, 28, 28, 1)`` uint8.
    """
    arrays = {k: read_idx(p) for k, p in paths.items()}
    images = {s: as_nhwc_uint8(arrays[f"{s}_images"], str(paths[f"{s}_images"])) for s in ("train", "test")}
    labels = {}
    for s in ("train", "test"):
        lab = arrays[f"{s}_labels"]
        if lab.ndim != 1 or len(lab) != len(images[s]):
            label_file, image_file = paths[f"{s}_labels"], paths[f"{s}_images"]
            raise ValueError(f"{label_file}: {lab.shape} labels for {len(images[s])} images in {image_file}")
        if lab.size and (lab.min() < 0 or lab.max() >= NUM_CLASSES):
            raise ValueError(f"{paths[f'{s}_labels']}: labels outside [0, {NUM_CLASSES})")
        labels[s] = lab.astype(np.int32)
    h, w, c = images["train"].shape[1:]
    folder = paths["train_images"].parent
    return Dataset(
        images["train"],
        labels["train"],
        images["test"],
        labels["test"],
        NUM_CLASSES,
        f"{name} (idx files in {folder}): {len(labels['train'])} train / {len(labels['test'])} test "
        f"images of {h}×{w}×{c}, {NUM_CLASSES} classes",
    )


def load_fashion_mnist(data_dir: Optional[str]) -> Dataset:
    """Loads Fashion-MNIST from the standard idx files.

    Args:
      data_dir: ``data.data_dir`` (None = the defaults in the module docstring).

    Returns:
      The full dataset (60 000 train / 10 000 test for the real files).

    Raises:
      DataNotFoundError: no directory holds all four files.
    """
    dirs = fashion_mnist_dirs(data_dir)
    partial = []
    for d in dirs:
        found = _find_idx_files(d)
        if len(found) == len(FASHION_MNIST_FILES):
            return read_idx_dataset(found, "Fashion-MNIST")
        if found:
            missing = [FASHION_MNIST_FILES[k] for k in FASHION_MNIST_FILES if k not in found]
            partial.append(f"{d} lacks {', '.join(missing)}")
    detail = f" ({'; '.join(partial)})" if partial else ""
    names = ", ".join(f"{n}[.gz]" for n in FASHION_MNIST_FILES.values())
    raise DataNotFoundError(
        f"Fashion-MNIST not found (data.name = 'fashion_mnist'): looked in "
        f"{', '.join(str(d) for d in dirs)}{detail}.\n"
        f"Install the Debian package (files go to {FASHION_MNIST_SYSTEM_DIR}): "
        "sudo apt-get install dataset-fashion-mnist\n"
        f"or put the four idx files {names} (from {FASHION_MNIST_URL}) in one folder and set "
        "data.data_dir to it,\n"
        "or use the subset shipped with cimjax: data.name = 'fashion_mnist_embedded'."
    )


# --------------------------------------------------------------------------- the embedded subset

EMBEDDED_PACKAGE = "cimjax.data"
EMBEDDED_FILE = ("embedded", "fashion_mnist_subset.npz")


def load_fashion_mnist_embedded() -> Dataset:
    """Loads the Fashion-MNIST subset shipped inside the package.

    The npz holds ``train_images`` (6 000 × 28 × 28 × 1 uint8), ``train_labels``,
    ``test_images`` (1 000), ``test_labels``, and ``train_index`` / ``test_index``: the
    positions of the chosen images in the original idx files (the first 600 train and 100
    test images of each class, kept in file order).

    Returns:
      The subset.

    Raises:
      DataNotFoundError: the file is missing from the installation.
    """
    res = resources.files(EMBEDDED_PACKAGE)
    for part in EMBEDDED_FILE:
        res = res / part
    try:
        raw = res.read_bytes()
    except (FileNotFoundError, OSError) as e:
        raise DataNotFoundError(
            f"The embedded Fashion-MNIST subset {'/'.join(EMBEDDED_FILE)} is missing from the "
            f"{EMBEDDED_PACKAGE} package ({res}). Reinstall cimjax, or recreate it with "
            "python scripts/make_embedded_fashion_mnist.py (needs the idx files, e.g. "
            "apt-get install dataset-fashion-mnist)."
        ) from e
    with np.load(io.BytesIO(raw), allow_pickle=False) as z:
        tr_x = as_nhwc_uint8(z["train_images"], "embedded train_images")
        te_x = as_nhwc_uint8(z["test_images"], "embedded test_images")
        tr_y = z["train_labels"].astype(np.int32)
        te_y = z["test_labels"].astype(np.int32)
    return Dataset(
        tr_x,
        tr_y,
        te_x,
        te_y,
        NUM_CLASSES,
        f"Fashion-MNIST subset embedded in cimjax ({EMBEDDED_PACKAGE}/{'/'.join(EMBEDDED_FILE)}): "
        f"{len(tr_y)} train / {len(te_y)} test images of 28×28×1, {NUM_CLASSES} classes, "
        "class-balanced (first images of each class in the original files)",
    )
