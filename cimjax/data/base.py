"""The :class:`Dataset` container, the missing-data error and shape helpers shared by all sources.

Images are kept on the host as ``uint8`` NHWC numpy arrays (0–255) and labels as ``int32``;
:mod:`cimjax.data.pipeline` turns them into float batches in [0, 1].

Default directories:
- ``CIMJAX_DATA_DIR`` (environment variable): root of cimjax's own data folders; without it
  the root is ``~/.cache/cimjax``. CIFAR-10 archives: ``data.data_dir`` and
  ``data.data_dir/cifar10`` if set, else ``<root>/cifar10``.
- Fashion-MNIST idx files: ``data.data_dir`` and ``data.data_dir/fashion_mnist`` if set, else
  ``$CIMJAX_DATA_DIR/fashion_mnist`` (only when the variable is set), then
  ``/usr/share/datasets/fashion-mnist`` (Debian package ``dataset-fashion-mnist``).
- tensorflow-datasets: ``data.data_dir`` if set, else ``TFDS_DATA_DIR``, else
  ``~/tensorflow_datasets``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple, Optional

import numpy as np

from cimjax.config import ConfigError
from cimjax.errors import InputError

DATA_DIR_ENV = "CIMJAX_DATA_DIR"
TFDS_DATA_DIR_ENV = "TFDS_DATA_DIR"
DEFAULT_DATA_ROOT = Path("~/.cache/cimjax")
DEFAULT_TFDS_DIR = Path("~/tensorflow_datasets")


class Dataset(NamedTuple):
    """A dataset held in host memory.

    Attributes:
      train_images: ``uint8`` array of shape ``(N_train, H, W, C)``, values 0–255.
      train_labels: ``int32`` array of shape ``(N_train,)``, values in ``[0, num_classes)``.
      test_images: ``uint8`` array of shape ``(N_test, H, W, C)``.
      test_labels: ``int32`` array of shape ``(N_test,)``.
      num_classes: number of classes.
      description: human-readable provenance: source, path, sizes and any reshaping.
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    num_classes: int
    description: str


class DataNotFoundError(InputError, FileNotFoundError):
    """The dataset's files are not where cimjax looked; the message says how to get them."""


def data_root() -> Path:
    """cimjax's data root: ``$CIMJAX_DATA_DIR`` if set, else ``~/.cache/cimjax`` (expanded)."""
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env).expanduser() if env else DEFAULT_DATA_ROOT.expanduser()


def tfds_data_dir(data_dir: Optional[str]) -> Path:
    """The tensorflow-datasets directory: ``data_dir``, else ``$TFDS_DATA_DIR``, else the default.

    Args:
      data_dir: ``data.data_dir`` or None.

    Returns:
      The expanded path (it may not exist); the default is ``~/tensorflow_datasets``.
    """
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get(TFDS_DATA_DIR_ENV)
    return Path(env).expanduser() if env else DEFAULT_TFDS_DIR.expanduser()


def as_nhwc_uint8(images: np.ndarray, what: str) -> np.ndarray:
    """Checks that ``images`` is ``uint8`` with 3 or 4 dims and returns it as NHWC (adds C=1).

    Args:
      images: ``(N, H, W)`` or ``(N, H, W, C)`` uint8 array.
      what: name used in the error message.

    Returns:
      A C-contiguous ``(N, H, W, C)`` uint8 array.
    """
    if images.dtype != np.uint8:
        raise ValueError(f"{what}: expected uint8 images, got {images.dtype}")
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4:
        raise ValueError(f"{what}: expected images of shape (N, H, W[, C]), got {images.shape}")
    return np.ascontiguousarray(images)


def fit_image_shape(images: np.ndarray, image_shape: tuple[int, int, int]) -> np.ndarray:
    """Zero-pads images (centred) to ``H × W`` and replicates one channel to ``C``.

    When the padding is odd the extra row/column goes at the bottom/right, so an image is
    placed at offset ``((H - h) // 2, (W - w) // 2)``.

    Args:
      images: ``(N, h, w, c)`` array (any dtype).
      image_shape: the target ``(H, W, C)`` (``data.image_shape``).

    Returns:
      ``(N, H, W, C)`` array of the same dtype.

    Raises:
      ValueError: an image is larger than the target, or the channel counts are
        incompatible (only ``c == C`` or ``c == 1`` can be fitted).
    """
    if images.ndim != 4:
        raise ValueError(f"fit_image_shape: expected NHWC images, got shape {images.shape}")
    n, h, w, c = images.shape
    th, tw, tc = (int(s) for s in image_shape)
    if h > th or w > tw:
        raise ConfigError(
            f"data.image_shape = {tuple(image_shape)!r} is invalid for this dataset: its images are "
            f"{h}×{w}×{c}, larger than the target {th}×{tw} (images are only zero-padded, never cropped)"
        )
    if c != tc and c != 1:
        raise ConfigError(
            f"data.image_shape = {tuple(image_shape)!r} is invalid for this dataset: its images have "
            f"{c} channels, which cannot become {tc} (only 1 channel can be replicated)"
        )
    if (h, w, c) == (th, tw, tc):
        return images
    top, left = (th - h) // 2, (tw - w) // 2
    out = np.zeros((n, th, tw, tc), dtype=images.dtype)
    out[:, top : top + h, left : left + w, :] = images  # broadcasts c == 1 over tc
    return out


def take_first(
    images: np.ndarray, labels: np.ndarray, count: Optional[int], field: str, dataset: str
) -> tuple[np.ndarray, np.ndarray]:
    """The first ``count`` examples (all when ``count`` is None).

    Args:
      images: images of one split.
      labels: labels of the same split.
      count: ``data.num_train`` or ``data.num_test``.
      field: the config field name, for the error message.
      dataset: the dataset name, for the error message.

    Returns:
      ``(images[:count], labels[:count])``.

    Raises:
      ValueError: ``count`` is larger than the split.
    """
    if count is None:
        return images, labels
    if count > len(images):
        raise ConfigError(f"{field} = {count} is invalid: the {dataset} split has only {len(images)} examples")
    return images[:count], labels[:count]
