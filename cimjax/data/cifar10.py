"""CIFAR-10 from the standard archive (python or binary version) or from tensorflow-datasets.

Archive (``data.cifar10_source = 'archive'``): looked for in ``data.data_dir`` and
``data.data_dir/cifar10`` if ``data.data_dir`` is set, else in ``$CIMJAX_DATA_DIR/cifar10``,
else ``~/.cache/cimjax/cifar10``. Accepted, in this order of preference, in each directory:

- ``cifar-10-batches-py/`` (extracted python version: pickles ``data_batch_1`` …
  ``data_batch_5``, ``test_batch``), or those pickles directly in the directory;
- ``cifar-10-batches-bin/`` (extracted binary version: ``data_batch_1.bin`` …
  ``data_batch_5.bin``, ``test_batch.bin``), or those files directly in the directory;
- ``cifar-10-python.tar.gz`` or ``cifar-10-binary.tar.gz`` (read without extracting).

Both come from https://www.cs.toronto.edu/~kriz/cifar.html. The pickles are read with a
restricted unpickler that only accepts numpy arrays, lists, dicts, numbers and strings.

tensorflow-datasets (``data.cifar10_source = 'tfds'``): the ``cifar10`` dataset prepared in
the array_record format under ``data.data_dir`` if set, else ``$TFDS_DATA_DIR``, else
``~/tensorflow_datasets``; read with ``tfds.data_source`` (no TensorFlow needed) and never
downloaded. ``tensorflow_datasets`` is imported only on this path.

``auto`` tries the archive, then tensorflow-datasets.
"""

from __future__ import annotations

import io
import pickle
import tarfile
import zlib
from pathlib import Path
from typing import Any, Optional

import numpy as np

from cimjax.errors import InputError
from cimjax.data.base import DATA_DIR_ENV, DataNotFoundError, Dataset, data_root, tfds_data_dir

NUM_CLASSES = 10
URL = "https://www.cs.toronto.edu/~kriz/cifar.html"
PYTHON_TAR = "cifar-10-python.tar.gz"
PYTHON_DIR = "cifar-10-batches-py"
BINARY_TAR = "cifar-10-binary.tar.gz"
BINARY_DIR = "cifar-10-batches-bin"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
TFDS_NAME = "cifar10"
_PIXELS = 32 * 32 * 3
_BINARY_RECORD = 1 + _PIXELS


# --------------------------------------------------------------------------- archive


def archive_dirs(data_dir: Optional[str]) -> list[Path]:
    """Directories searched for the CIFAR-10 archive (see the module docstring)."""
    if data_dir is not None:
        d = Path(data_dir).expanduser()
        return [d, d / "cifar10"]
    return [data_root() / "cifar10"]


def _batch_names(fmt: str) -> tuple[str, ...]:
    names = TRAIN_BATCHES + (TEST_BATCH,)
    return names if fmt == "python" else tuple(n + ".bin" for n in names)


def find_archive(dirs: list[Path]) -> Optional[tuple[str, str, Path]]:
    """The first CIFAR-10 archive found in ``dirs``.

    Args:
      dirs: directories to look in, in order.

    Returns:
      ``(format, layout, path)`` with format ``'python'`` or ``'binary'``, layout ``'dir'``
      (a folder holding the batch files) or ``'tar'`` (a ``.tar.gz``), or None if nothing
      is there.
    """
    for d in dirs:
        if not d.is_dir():
            continue
        for fmt, sub in (("python", PYTHON_DIR), ("binary", BINARY_DIR)):
            first = _batch_names(fmt)[0]
            for folder in (d / sub, d):
                if (folder / first).is_file():
                    return fmt, "dir", folder
        for fmt, tar in (("python", PYTHON_TAR), ("binary", BINARY_TAR)):
            if (d / tar).is_file():
                return fmt, "tar", d / tar
    return None


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickler that only resolves the globals a CIFAR-10 batch pickle needs."""

    _ALLOWED = frozenset(
        {
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
            ("numpy.core.multiarray", "scalar"),
            ("numpy._core.multiarray", "scalar"),
            ("numpy", "ndarray"),
            ("numpy", "dtype"),
            ("_codecs", "encode"),
        }
    )

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name} from a CIFAR-10 pickle: only numpy arrays, "
                "lists, dicts, numbers and strings are expected"
            )
        return super().find_class(module, name)


def _decode_python_batch(raw: bytes, name: str) -> tuple[np.ndarray, np.ndarray]:
    batch = _ArrayUnpickler(io.BytesIO(raw), encoding="bytes").load()
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise ValueError(f"{name}: not a CIFAR-10 batch (expected a dict with b'data' and b'labels')")
    data = np.asarray(batch[b"data"], dtype=np.uint8)
    labels = np.asarray(batch[b"labels"], dtype=np.int32)
    if data.ndim != 2 or data.shape[1] != _PIXELS or data.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{name}: data of shape {data.shape} with {labels.shape[0]} labels, expected (N, 3072)"
        )
    return _channel_major_to_nhwc(data), labels


def _decode_binary_batch(raw: bytes, name: str) -> tuple[np.ndarray, np.ndarray]:
    if len(raw) % _BINARY_RECORD:
        raise ValueError(f"{name}: {len(raw)} bytes is not a whole number of {_BINARY_RECORD}-byte records")
    records = np.frombuffer(raw, dtype=np.uint8).reshape(-1, _BINARY_RECORD)
    return _channel_major_to_nhwc(records[:, 1:]), records[:, 0].astype(np.int32)


def _channel_major_to_nhwc(data: np.ndarray) -> np.ndarray:
    """``(N, 3072)`` rows of 1024 R, 1024 G, 1024 B (row-major 32×32) → ``(N, 32, 32, 3)``."""
    return np.ascontiguousarray(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))


def _read_batch_files(fmt: str, layout: str, path: Path) -> dict[str, bytes]:
    names = _batch_names(fmt)
    found: dict[str, bytes] = {}
    if layout == "dir":
        for n in names:
            if (path / n).is_file():
                found[n] = (path / n).read_bytes()
    else:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                base = member.name.rsplit("/", 1)[-1]
                if member.isfile() and base in names and base not in found:
                    f = tar.extractfile(member)
                    assert f is not None
                    found[base] = f.read()
    missing = [n for n in names if n not in found]
    if missing:
        raise DataNotFoundError(
            f"Incomplete CIFAR-10 archive at {path}: missing {', '.join(missing)}. "
            f"Download a fresh {PYTHON_TAR if fmt == 'python' else BINARY_TAR} from {URL}."
        )
    return found


_DAMAGED = (tarfile.TarError, EOFError, zlib.error, OSError, pickle.UnpicklingError, ValueError)


def _damaged(where: str, fmt: str, what: str, err: Exception) -> InputError:
    """The error of a damaged CIFAR-10 archive, folder or batch file ``where``."""
    text = (str(err).strip() or "unreadable").splitlines()[0].rstrip(":")
    return InputError(f"{where}: damaged CIFAR-10 {what} ({type(err).__name__}: {text}); "
                      f"download a fresh {PYTHON_TAR if fmt == 'python' else BINARY_TAR} from {URL}")


def read_archive(fmt: str, layout: str, path: Path) -> Dataset:
    """Reads a CIFAR-10 archive located by :func:`find_archive`.

    Args:
      fmt: ``'python'`` or ``'binary'``.
      layout: ``'dir'`` or ``'tar'``.
      path: the folder or the ``.tar.gz`` file.

    Returns:
      The full dataset (50 000 train and 10 000 test images for the real archive).

    Raises:
      InputError: a damaged archive or batch file (naming it).
      DataNotFoundError: batch files missing from it.
    """
    decode = _decode_python_batch if fmt == "python" else _decode_binary_batch
    names = _batch_names(fmt)
    try:
        files = _read_batch_files(fmt, layout, path)
    except _DAMAGED as err:
        if isinstance(err, FileNotFoundError):  # DataNotFoundError: an incomplete archive says what is missing
            raise
        raise _damaged(str(path), fmt, "archive" if layout == "tar" else "folder", err) from err
    parts = []
    for n in names:
        try:
            parts.append(decode(files[n], str(path / n)))
        except _DAMAGED as err:
            where = str(path / n) if layout == "dir" else f"{path} (member {n})"
            raise _damaged(where, fmt, "batch file", err) from err
    train_images = np.concatenate([p[0] for p in parts[:-1]])
    train_labels = np.concatenate([p[1] for p in parts[:-1]])
    test_images, test_labels = parts[-1]
    for split, labels in (("train", train_labels), ("test", test_labels)):
        if labels.size and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
            raise InputError(f"{path}: {split} labels outside [0, {NUM_CLASSES})")
    return Dataset(
        train_images,
        train_labels,
        test_images,
        test_labels,
        NUM_CLASSES,
        f"CIFAR-10 ({fmt} archive {path}): {len(train_images)} train / {len(test_images)} test "
        "images of 32×32×3, 10 classes",
    )


# --------------------------------------------------------------------------- tensorflow-datasets


def _import_tfds():
    try:
        import tensorflow_datasets as tfds  # lazy: only this path needs it
    except ImportError as e:  # pragma: no cover - it is a declared dependency
        raise DataNotFoundError(
            "data.cifar10_source = 'tfds' needs the tensorflow-datasets package: "
            f"pip install tensorflow-datasets ({e})"
        ) from e
    return tfds


def check_tfds_prepared(root: Path) -> Optional[str]:
    """Checks that ``cifar10`` is prepared in array_record format under ``root``.

    Only looks at files, so it is quick, never downloads, and imports tensorflow-datasets
    only when ``root/cifar10`` exists (to learn the version it reads).

    Args:
      root: the tensorflow-datasets data directory.

    Returns:
      None when the dataset is there and readable with ``tfds.data_source``, ``''`` when
      nothing is there at all, or a sentence describing what is wrong.
    """
    ds_dir = root / TFDS_NAME
    if not ds_dir.is_dir():
        return ""
    version = str(_import_tfds().builder_cls(TFDS_NAME).VERSION)
    vdir = ds_dir / version
    if not (vdir / "dataset_info.json").is_file():
        others = sorted(p.parent.name for p in ds_dir.glob("*/dataset_info.json"))
        extra = (
            f" (found version(s) {', '.join(others)}, which this tensorflow-datasets does not read)"
            if others
            else ""
        )
        return f"{vdir} has no dataset_info.json{extra}"
    missing = [s for s in ("train", "test") if not any(vdir.glob(f"{TFDS_NAME}-{s}.array_record*"))]
    if missing:
        return (
            f"{vdir} is prepared but has no array_record files for split(s) {', '.join(missing)} "
            "(probably prepared by tfds.load in the tfrecord format, which tfds.data_source cannot "
            "read); prepare it again with file_format='array_record' in another data_dir"
        )
    return None


def _read_source(source: Any, limit: Optional[int]) -> tuple[np.ndarray, np.ndarray]:
    """The first ``limit`` items of a tfds data source, indexed one by one."""
    n = len(source) if limit is None else min(limit, len(source))
    if n == 0:
        return np.zeros((0, 32, 32, 3), np.uint8), np.zeros((0,), np.int32)
    images = np.empty((n, 32, 32, 3), np.uint8)
    labels = np.empty((n,), np.int32)
    for i in range(n):
        item = source[i]
        images[i] = np.asarray(item["image"], dtype=np.uint8)
        labels[i] = int(item["label"])
    return images, labels


def read_tfds(root: Path, num_train: Optional[int] = None, num_test: Optional[int] = None) -> Dataset:
    """Reads the prepared ``cifar10`` with ``tfds.data_source`` (never downloads).

    Call :func:`check_tfds_prepared` first; this function assumes the data is there.

    Args:
      root: the tensorflow-datasets data directory.
      num_train: read only the first N training examples (None = all).
      num_test: read only the first N test examples (None = all).

    Returns:
      The dataset.
    """
    tfds = _import_tfds()
    splits = {}
    for split, limit in (("train", num_train), ("test", num_test)):
        source = tfds.data_source(TFDS_NAME, split=split, data_dir=str(root), download=False)
        splits[split] = _read_source(source, limit)
    (tr_x, tr_y), (te_x, te_y) = splits["train"], splits["test"]
    return Dataset(
        tr_x,
        tr_y,
        te_x,
        te_y,
        NUM_CLASSES,
        f"CIFAR-10 (tensorflow-datasets {root / TFDS_NAME}): {len(tr_x)} train / {len(te_x)} test "
        "images of 32×32×3, 10 classes",
    )


# --------------------------------------------------------------------------- dispatch


def _missing_message(source: str, dirs: list[Path], root: Path, tfds_problem: Optional[str]) -> str:
    where = ", ".join(str(d) for d in dirs)
    lines = [f"CIFAR-10 not found (data.name = 'cifar10', data.cifar10_source = '{source}')."]
    archive_verb = "expected in" if source == "tfds" else "looked in"
    archive_help = [
        f"- Standard archive: {archive_verb} {where} "
        f"(data.data_dir, or ${DATA_DIR_ENV}/cifar10, or ~/.cache/cimjax/cifar10).",
        f"  Put {PYTHON_TAR} or {BINARY_TAR} from {URL} there (or their extracted folders "
        f"{PYTHON_DIR}/ with data_batch_1..5 and test_batch, or {BINARY_DIR}/ with "
        "data_batch_1.bin..data_batch_5.bin and test_batch.bin), or set data.data_dir to where they are.",
    ]
    problem = f" ({tfds_problem})" if tfds_problem else ""
    verb = "expects" if source == "archive" else "looked for"
    tfds_help = [
        f"- tensorflow-datasets: {verb} {root / TFDS_NAME}/<version>/ in the array_record format"
        f"{problem} (data.data_dir, or $TFDS_DATA_DIR, or ~/tensorflow_datasets).",
        "  To prepare it once (needs TensorFlow and internet):",
        "    pip install 'cimjax[tfds-prepare]'",
        "    python -c \"import tensorflow_datasets as tfds; tfds.data_source('cifar10', "
        f"data_dir='{root}', download=True, "
        "download_and_prepare_kwargs={'file_format': 'array_record'})\"",
    ]
    if source == "tfds":
        lines += (
            tfds_help + ["Or use the standard archive with data.cifar10_source = 'archive':"] + archive_help
        )
    else:
        lines += archive_help
        if source == "archive":
            lines.append("Or use tensorflow-datasets with data.cifar10_source = 'tfds':")
        lines += tfds_help
    return "\n".join(lines)


def load_cifar10(
    data_dir: Optional[str], source: str, num_train: Optional[int] = None, num_test: Optional[int] = None
) -> Dataset:
    """Loads CIFAR-10 from the archive or tensorflow-datasets.

    Args:
      data_dir: ``data.data_dir`` (None = defaults, see the module docstring).
      source: ``data.cifar10_source``: ``'auto'``, ``'archive'`` or ``'tfds'``.
      num_train: tfds reads only the first N training examples (the archive is always read
        whole; the caller cuts it).
      num_test: the same for the test split.

    Returns:
      The dataset, train then test in the files' order.

    Raises:
      DataNotFoundError: nothing usable was found; the message says what to install or where
        to put which files.
    """
    dirs = archive_dirs(data_dir)
    root = tfds_data_dir(data_dir)
    tfds_problem: Optional[str] = None
    if source in ("auto", "archive"):
        found = find_archive(dirs)
        if found is not None:
            return read_archive(*found)
    if source in ("auto", "tfds"):
        tfds_problem = check_tfds_prepared(root)
        if tfds_problem is None:
            return read_tfds(root, num_train, num_test)
    raise DataNotFoundError(_missing_message(source, dirs, root, tfds_problem or None))
