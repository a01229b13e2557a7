"""Dataset sources and :func:`load_dataset`, which picks one from a :class:`DataConfig`.

Sources (``data.name``):
- ``cifar10``: the standard archive or tensorflow-datasets, see :mod:`cimjax.data.cifar10`.
- ``fashion_mnist``: the four standard idx files (``train-images-idx3-ubyte``,
  ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each
  optionally ``.gz``) from ``data.data_dir`` or ``data.data_dir/fashion_mnist``; if
  ``data.data_dir`` is None, from
  ``$CIMJAX_DATA_DIR/fashion_mnist`` (when the variable is set), then
  ``/usr/share/datasets/fashion-mnist`` (Debian package ``dataset-fashion-mnist``).
- ``fashion_mnist_embedded``: a class-balanced subset of the real Fashion-MNIST shipped in the
  package (600 train and 100 test images per class, 6 000 / 1 000), made by
  ``scripts/make_embedded_fashion_mnist.py``; ``data.data_dir`` is not used.
- ``synthetic``: class-conditional patterns generated from a ``jax.random`` key (required).
"""

from __future__ import annotations

import io
import os
from importlib import resources
from pathlib import Path
from typing import Optional

import jax
import numpy as np

from cimjax.config.schema import DataConfig
from cimjax.data.base import (
    DATA_DIR_ENV,
    DataNotFoundError,
    Dataset,
    as_nhwc_uint8,
    data_root,
    fit_image_shape,
    take_first,
)
from cimjax.data.cifar10 import load_cifar10
from cimjax.data.idx import read_idx

NUM_CLASSES = 10

# --------------------------------------------------------------------------- Fashion-MNIST

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


# --------------------------------------------------------------------------- embedded subset

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


# --------------------------------------------------------------------------- synthetic

SYNTHETIC_DEFAULT_SHAPE = (32, 32, 3)
# The task (class templates) is drawn from this fixed seed, so every run learns the same task;
# the run's key only draws labels, shifts and noise.
SYNTHETIC_TASK_SEED = 0x5EED_C1A5
SYNTHETIC_GRID = 4  # templates interpolate a random 4×4 grid per channel: low frequency
SYNTHETIC_MAX_SHIFT = 2  # pixels, each direction
_SYNTHETIC_CHUNK = 8192  # examples per noise draw (bounds the float32 working set)
_TRAIN_STREAM, _TEST_STREAM = 0, 1


def _interp_matrix(out_size: int, in_size: int) -> np.ndarray:
    """``(out_size, in_size)`` weights of linear interpolation with aligned end points."""
    pos = np.linspace(0.0, in_size - 1.0, out_size) if out_size > 1 else np.zeros(1)
    lo = np.clip(np.floor(pos).astype(int), 0, max(in_size - 2, 0))
    frac = pos - lo
    m = np.zeros((out_size, in_size))
    m[np.arange(out_size), lo] += 1.0 - frac
    m[np.arange(out_size), np.minimum(lo + 1, in_size - 1)] += frac
    return m


def synthetic_templates(image_shape: tuple[int, int, int], num_classes: int = NUM_CLASSES) -> np.ndarray:
    """The fixed class templates of the synthetic task.

    Each template is a random ``SYNTHETIC_GRID × SYNTHETIC_GRID`` grid per channel (drawn
    from the constant ``SYNTHETIC_TASK_SEED``), interpolated bilinearly to ``H × W`` and
    rescaled to span [0, 1].

    Args:
      image_shape: ``(H, W, C)``.
      num_classes: number of classes.

    Returns:
      ``(num_classes, H, W, C)`` float32 array.
    """
    h, w, c = (int(s) for s in image_shape)
    rng = np.random.default_rng(SYNTHETIC_TASK_SEED)
    grid = rng.uniform(size=(num_classes, SYNTHETIC_GRID, SYNTHETIC_GRID, c))
    t = np.einsum(
        "hg,kgfc,wf->khwc", _interp_matrix(h, SYNTHETIC_GRID), grid, _interp_matrix(w, SYNTHETIC_GRID)
    )
    lo = t.min(axis=(1, 2, 3), keepdims=True)
    hi = t.max(axis=(1, 2, 3), keepdims=True)
    return ((t - lo) / np.maximum(hi - lo, 1e-6)).astype(np.float32)


def _key_rng(key: jax.Array, stream: int) -> np.random.Generator:
    """A numpy Generator seeded from the key's bits and a stream number (no global RNG)."""
    bits = np.asarray(jax.random.key_data(key)).astype(np.uint64).ravel().tolist()
    return np.random.default_rng(bits + [stream])


def _synthetic_split(
    rng: np.random.Generator, n: int, templates: np.ndarray, noise: float
) -> tuple[np.ndarray, np.ndarray]:
    num_classes, h, w, c = templates.shape
    labels = rng.permutation(np.arange(n) % num_classes).astype(np.int32)
    s = SYNTHETIC_MAX_SHIFT
    span = 2 * s + 1
    padded = np.pad(templates, ((0, 0), (s, s), (s, s), (0, 0)), mode="edge")
    # Every class template at every shift: (K, span², H, W, C), small.
    shifted = np.stack(
        [padded[:, dy : dy + h, dx : dx + w, :] for dy in range(span) for dx in range(span)], axis=1
    )
    shift_idx = rng.integers(0, span * span, size=n)
    out = np.empty((n, h, w, c), dtype=np.uint8)
    for start in range(0, n, _SYNTHETIC_CHUNK):
        sl = slice(start, min(start + _SYNTHETIC_CHUNK, n))
        x = shifted[labels[sl], shift_idx[sl]]
        x += np.float32(noise) * rng.standard_normal(x.shape, dtype=np.float32)
        out[sl] = np.rint(np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8)
    return out, labels


def make_synthetic(
    key: jax.Array,
    image_shape: Optional[tuple[int, int, int]] = None,
    train_size: int = 2000,
    test_size: int = 500,
    noise: float = 0.25,
) -> Dataset:
    """Generates the synthetic classification task.

    Each class has a fixed low-frequency random template (:func:`synthetic_templates`, the
    same in every run). An example is its class template shifted by up to
    ``SYNTHETIC_MAX_SHIFT`` pixels in each direction (edge-padded), plus Gaussian noise of
    std ``noise``, clipped to [0, 1] and stored as uint8. Labels are balanced (counts differ
    by at most 1) and shuffled.

    The draws use numpy Generators seeded from the bits of ``key``
    (``jax.random.key_data``), one stream for train and one for test: the result depends
    only on ``key`` and the arguments, and generation takes milliseconds (``jax.random``
    would cost seconds of compilation for every new shape on CPU).

    Args:
      key: ``jax.random`` key (typed or raw).
      image_shape: ``(H, W, C)``; None gives 32×32×3.
      train_size: number of training examples (``data.synthetic_train_size``).
      test_size: number of test examples (``data.synthetic_test_size``).
      noise: pixel-noise std (``data.synthetic_noise``).

    Returns:
      The dataset (10 classes).
    """
    shape = tuple(int(s) for s in (image_shape or SYNTHETIC_DEFAULT_SHAPE))
    templates = synthetic_templates(shape)
    tr_x, tr_y = _synthetic_split(_key_rng(key, _TRAIN_STREAM), train_size, templates, noise)
    te_x, te_y = _synthetic_split(_key_rng(key, _TEST_STREAM), test_size, templates, noise)
    h, w, c = shape
    return Dataset(
        tr_x,
        tr_y,
        te_x,
        te_y,
        NUM_CLASSES,
        f"synthetic (class templates + noise {noise:g} + shifts ≤ {SYNTHETIC_MAX_SHIFT} px): "
        f"{train_size} train / {test_size} test images of {h}×{w}×{c}, {NUM_CLASSES} classes",
    )


# --------------------------------------------------------------------------- dispatch


# The shape each dataset's images have before ``data.image_shape`` is applied.
NATIVE_IMAGE_SHAPES: dict[str, tuple[int, int, int]] = {
    "cifar10": (32, 32, 3),
    "fashion_mnist": (28, 28, 1),
    "fashion_mnist_embedded": (28, 28, 1),
    "synthetic": SYNTHETIC_DEFAULT_SHAPE,
}


def dataset_image_shape(cfg: DataConfig) -> tuple[int, int, int]:
    """The ``(H, W, C)`` of the images :func:`load_dataset` returns, without loading anything.

    Args:
      cfg: the data section of the config.

    Returns:
      ``data.image_shape`` if set, else the dataset's own shape (CIFAR-10 and synthetic
      32×32×3, Fashion-MNIST 28×28×1).
    """
    if cfg.image_shape is not None:
        return tuple(int(s) for s in cfg.image_shape)
    if cfg.name not in NATIVE_IMAGE_SHAPES:
        raise ValueError(f"data.name = {cfg.name!r} is invalid: no known image shape")
    return NATIVE_IMAGE_SHAPES[cfg.name]


def load_dataset(cfg: DataConfig, *, key: Optional[jax.Array] = None) -> Dataset:
    """Loads the dataset a :class:`DataConfig` names, cut and reshaped as it says.

    Applies ``data.num_train`` / ``data.num_test`` (the first N examples of each split), then
    ``data.image_shape`` (centred zero-padding and 1 → C channel replication, see
    :func:`cimjax.data.base.fit_image_shape`).

    Args:
      cfg: the data section of the config.
      key: ``jax.random`` key, used only by ``synthetic``, where it is required (there is no
        default key: the training code passes one derived from ``run.seed``). Ignored by the
        other datasets.

    Returns:
      The dataset: uint8 NHWC images and int32 labels on the host.

    Raises:
      DataNotFoundError: the dataset's files are missing; the message says how to get them.
      ValueError: ``key`` missing for ``synthetic``, a count larger than the split, or an
        ``image_shape`` the images cannot be fitted to.
    """
    name = cfg.name
    if name == "synthetic":
        if key is None:
            raise ValueError(
                "data.name = 'synthetic' needs a jax.random key: call load_dataset(cfg, key=...) "
                "(e.g. a key derived from run.seed)"
            )
        ds = make_synthetic(
            key, cfg.image_shape, cfg.synthetic_train_size, cfg.synthetic_test_size, cfg.synthetic_noise
        )
    elif name == "cifar10":
        ds = load_cifar10(cfg.data_dir, cfg.cifar10_source, cfg.num_train, cfg.num_test)
    elif name == "fashion_mnist":
        ds = load_fashion_mnist(cfg.data_dir)
    elif name == "fashion_mnist_embedded":
        ds = load_fashion_mnist_embedded()
    else:  # the config validates the name; this guards against a new name without a loader
        raise ValueError(f"data.name = {name!r} is invalid: no loader for it")

    tr_x, tr_y = take_first(
        ds.train_images, ds.train_labels, cfg.num_train, "data.num_train", f"{name} train"
    )
    te_x, te_y = take_first(ds.test_images, ds.test_labels, cfg.num_test, "data.num_test", f"{name} test")
    notes = []
    if cfg.num_train is not None or cfg.num_test is not None:
        notes.append(f"using the first {len(tr_y)} train / {len(te_y)} test examples")
    if cfg.image_shape is not None and tuple(cfg.image_shape) != tr_x.shape[1:]:
        tr_x = fit_image_shape(tr_x, cfg.image_shape)
        te_x = fit_image_shape(te_x, cfg.image_shape)
        h, w, c = cfg.image_shape
        notes.append(f"zero-padded (centred) / channel-replicated to {h}×{w}×{c}")
    description = ds.description + "".join(f"; {n}" for n in notes)
    return Dataset(
        np.ascontiguousarray(tr_x),
        tr_y.astype(np.int32, copy=False),
        np.ascontiguousarray(te_x),
        te_y.astype(np.int32, copy=False),
        ds.num_classes,
        description,
    )
