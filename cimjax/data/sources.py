"""Dataset sources and :func:`load_dataset`, which picks one from a :class:`DataConfig`.

Sources (``data.name``):
- ``cifar10``: the standard archive or tensorflow-datasets, see :mod:`cimjax.data.cifar10`.
- ``fashion_mnist``: the four standard idx files, and ``fashion_mnist_embedded``: a
  class-balanced subset of the real Fashion-MNIST shipped in the package (``data.data_dir``
  is not used), see :mod:`cimjax.data.fashion_mnist`.
- ``synthetic``: class-conditional patterns generated from a ``jax.random`` key (required),
  see :mod:`cimjax.data.synthetic`.
"""

from __future__ import annotations

from typing import Optional

import jax
import numpy as np

from cimjax import fileio
from cimjax.config.schema import DataConfig
from cimjax.data.base import Dataset, fit_image_shape, take_first
from cimjax.data.cifar10 import load_cifar10
from cimjax.data.fashion_mnist import load_fashion_mnist, load_fashion_mnist_embedded
from cimjax.data.synthetic import NUM_CLASSES as SYNTHETIC_NUM_CLASSES
from cimjax.data.synthetic import _SYNTHETIC_CHUNK as SYNTHETIC_CHUNK
from cimjax.data.synthetic import SYNTHETIC_DEFAULT_SHAPE, SYNTHETIC_MAX_SHIFT, make_synthetic


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


#: ``(train, test)`` examples of each dataset's full splits (synthetic: the config's sizes).
SPLIT_SIZES: dict[str, tuple[int, int]] = {
    "cifar10": (50000, 10000),
    "fashion_mnist": (60000, 10000),
    "fashion_mnist_embedded": (6000, 1000),
}


def memory_needed(cfg: DataConfig) -> list[tuple[str, float]]:
    """A cheap pre-flight estimate of the host memory the data of ``cfg`` takes, in bytes, by
    part: the uint8 dataset as loaded (native shape) and as reshaped, the synthetic generator's
    float32 working set (every class template at every shift, one chunk of noise), and one
    training and one test batch as float32."""
    h, w, c = dataset_image_shape(cfg)
    pixels = float(h * w * c)
    if cfg.name == "synthetic":
        n_train, n_test = cfg.synthetic_train_size, cfg.synthetic_test_size
        native = 0.0
        span = 2 * SYNTHETIC_MAX_SHIFT + 1
        work = (SYNTHETIC_NUM_CLASSES * span * span + 2 * min(SYNTHETIC_CHUNK, max(n_train, n_test))) * pixels * 4
    else:
        n_train, n_test = SPLIT_SIZES.get(cfg.name, (0, 0))
        nh, nw, nc = NATIVE_IMAGE_SHAPES.get(cfg.name, (h, w, c))
        native = float(n_train + n_test) * nh * nw * nc if (nh, nw, nc) != (h, w, c) else 0.0
        n_train, n_test = cfg.num_train or n_train, cfg.num_test or n_test
        work = 0.0
    parts = [("dataset", (n_train + n_test) * pixels + native)]
    if work:
        parts.append(("synthetic generator", work))
    parts.append(("one batch", (cfg.batch_size + cfg.eval_batch_size) * pixels * 4))
    return parts


def check_memory(cfg: DataConfig) -> None:
    """Refuse a data config whose images do not fit in memory (:func:`memory_needed`), before
    allocating them (an out-of-memory kill otherwise)."""
    h, w, c = dataset_image_shape(cfg)
    sizes = (f"{cfg.synthetic_train_size} + {cfg.synthetic_test_size} synthetic images"
             if cfg.name == "synthetic" else f"{cfg.name} images")
    fileio.check_memory(
        memory_needed(cfg),
        f"the data ({sizes} of {h}×{w}×{c}, data.image_shape = {cfg.image_shape})",
        "use a smaller data.image_shape, fewer images (data.synthetic_train_size / data.synthetic_test_size, "
        "data.num_train / data.num_test) or a smaller data.batch_size",
    )


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
      InputError: the data would not fit in memory (:func:`check_memory`, before allocating).
      DataNotFoundError: the dataset's files are missing; the message says how to get them.
      ValueError: ``key`` missing for ``synthetic``, a count larger than the split, or an
        ``image_shape`` the images cannot be fitted to.
    """
    name = cfg.name
    check_memory(cfg)
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
