"""Datasets, batching and augmentation.

``load_dataset(cfg.data, key=...)`` returns a :class:`Dataset` of uint8 NHWC images and int32
labels on the host; :func:`iterate_batches` turns a split into float32 batches in [0, 1]
(shuffled by an explicit ``jax.random`` key for training); :func:`augment_batch` applies
NeuroSim's CIFAR-10 train augmentation inside jit.

Where data is looked for (details in :mod:`cimjax.data.cifar10` and
:mod:`cimjax.data.fashion_mnist`):

- ``cifar10`` archive: ``data.data_dir`` (or its ``cifar10/``), else
  ``$CIMJAX_DATA_DIR/cifar10``, else ``~/.cache/cimjax/cifar10``; ``cifar10``
  tensorflow-datasets copy (array_record): ``data.data_dir``, else ``$TFDS_DATA_DIR``, else
  ``~/tensorflow_datasets``. Never downloaded.
- ``fashion_mnist`` idx files: ``data.data_dir`` (or its ``fashion_mnist/``), else
  ``$CIMJAX_DATA_DIR/fashion_mnist`` (if the variable is set), then
  ``/usr/share/datasets/fashion-mnist`` (``apt-get install dataset-fashion-mnist``).
- ``fashion_mnist_embedded``: shipped in the package.
- ``synthetic``: generated from the ``key`` passed to :func:`load_dataset` (required).

Missing files raise :class:`DataNotFoundError` (a ``FileNotFoundError``) whose message says
what to install or where to put which files.
"""

from cimjax.data.base import (
    DataNotFoundError as DataNotFoundError,
    Dataset as Dataset,
    fit_image_shape as fit_image_shape,
)
from cimjax.data.idx import parse_idx as parse_idx, read_idx as read_idx
from cimjax.data.pipeline import (
    augment_batch as augment_batch,
    iterate_batches as iterate_batches,
    num_batches as num_batches,
)
from cimjax.data.fashion_mnist import (
    load_fashion_mnist as load_fashion_mnist,
    load_fashion_mnist_embedded as load_fashion_mnist_embedded,
)
from cimjax.data.sources import dataset_image_shape as dataset_image_shape, load_dataset as load_dataset
from cimjax.data.synthetic import make_synthetic as make_synthetic, synthetic_templates as synthetic_templates

__all__ = [
    "DataNotFoundError",
    "Dataset",
    "augment_batch",
    "dataset_image_shape",
    "fit_image_shape",
    "iterate_batches",
    "load_dataset",
    "load_fashion_mnist",
    "load_fashion_mnist_embedded",
    "make_synthetic",
    "num_batches",
    "parse_idx",
    "read_idx",
    "synthetic_templates",
]
