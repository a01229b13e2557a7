"""Tests of cimjax.data: sources, missing-data errors, batching and augmentation."""

from __future__ import annotations

import gzip
import io
import pickle
import tarfile
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cimjax.config import DataConfig
from cimjax.errors import InputError
from cimjax.data import (
    DataNotFoundError,
    Dataset,
    augment_batch,
    dataset_image_shape,
    fit_image_shape,
    iterate_batches,
    load_dataset,
    num_batches,
    parse_idx,
    read_idx,
    synthetic_templates,
)
from cimjax.data import cifar10 as cifar10_mod
from cimjax.data.fashion_mnist import FASHION_MNIST_FILES, FASHION_MNIST_SYSTEM_DIR

HAVE_REAL_FASHION = all(
    (FASHION_MNIST_SYSTEM_DIR / (n + ".gz")).is_file() or (FASHION_MNIST_SYSTEM_DIR / n).is_file()
    for n in FASHION_MNIST_FILES.values()
)
needs_real_fashion = pytest.mark.skipif(
    not HAVE_REAL_FASHION, reason=f"Fashion-MNIST idx files not in {FASHION_MNIST_SYSTEM_DIR}"
)


# --------------------------------------------------------------------------- helpers


def idx_bytes(arr: np.ndarray) -> bytes:
    """Encodes an array as an idx file by hand (the format's spec, independent of the reader)."""
    codes = {
        np.dtype(np.uint8): 0x08,
        np.dtype(np.int8): 0x09,
        np.dtype(np.int16): 0x0B,
        np.dtype(np.int32): 0x0C,
        np.dtype(np.float32): 0x0D,
        np.dtype(np.float64): 0x0E,
    }
    header = bytes([0, 0, codes[arr.dtype], arr.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def write_idx_set(folder: Path, rng: np.random.Generator, n_train=12, n_test=5, gz=True):
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train_labels": (np.arange(n_train) % 10).astype(np.uint8),
        "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "test_labels": (np.arange(n_test)[::-1] % 10).astype(np.uint8),
    }
    for key, stem in FASHION_MNIST_FILES.items():
        raw = idx_bytes(arrays[key])
        if gz:
            (folder / (stem + ".gz")).write_bytes(gzip.compress(raw))
        else:
            (folder / stem).write_bytes(raw)
    return arrays


def fake_cifar(rng: np.random.Generator, per_train_batch=3, n_test=4):
    """Channel-major rows (1024 R, 1024 G, 1024 B) and labels for the 5 train batches and the test batch."""
    batches = {}
    for name in cifar10_mod.TRAIN_BATCHES + (cifar10_mod.TEST_BATCH,):
        n = n_test if name == cifar10_mod.TEST_BATCH else per_train_batch
        batches[name] = (rng.integers(0, 256, (n, 3072), dtype=np.uint8), rng.integers(0, 10, n).tolist())
    return batches


def write_cifar(folder: Path, batches, fmt: str, layout: str) -> None:
    """Writes the batches as the python (pickle) or binary CIFAR-10 version, extracted or as .tar.gz."""
    files = {}
    for name, (data, labels) in batches.items():
        if fmt == "python":
            d = {
                b"batch_label": name.encode(),
                b"labels": labels,
                b"data": data,
                b"filenames": [f"{i}.png".encode() for i in range(len(labels))],
            }
            files[name] = pickle.dumps(d, protocol=2)
        else:
            rec = np.concatenate([np.asarray(labels, np.uint8)[:, None], data], axis=1)
            files[name + ".bin"] = rec.tobytes()
    sub = cifar10_mod.PYTHON_DIR if fmt == "python" else cifar10_mod.BINARY_DIR
    folder.mkdir(parents=True, exist_ok=True)
    if layout == "dir":
        (folder / sub).mkdir()
        for n, raw in files.items():
            (folder / sub / n).write_bytes(raw)
    else:
        tar_name = cifar10_mod.PYTHON_TAR if fmt == "python" else cifar10_mod.BINARY_TAR
        with tarfile.open(folder / tar_name, "w:gz") as tar:
            for n, raw in files.items():
                info = tarfile.TarInfo(f"{sub}/{n}")
                info.size = len(raw)
                tar.addfile(info, io.BytesIO(raw))


def expected_nhwc(data: np.ndarray) -> np.ndarray:
    """Channel-major rows → NHWC, written pixel by pixel (independent of the loader's reshape)."""
    n = data.shape[0]
    out = np.zeros((n, 32, 32, 3), np.uint8)
    for c in range(3):
        for y in range(32):
            out[:, y, :, c] = data[:, c * 1024 + y * 32 : c * 1024 + y * 32 + 32]
    return out


@pytest.fixture(scope="module")
def real_fashion():
    return load_dataset(DataConfig(name="fashion_mnist"))


@pytest.fixture(scope="module")
def embedded():
    return load_dataset(DataConfig(name="fashion_mnist_embedded"))


# --------------------------------------------------------------------------- idx


@pytest.mark.parametrize("gz", [False, True])
def test_idx_parser_round_trip(tmp_path, gz):
    rng = np.random.default_rng(0)
    cases = [
        rng.integers(0, 256, (3, 4, 5), dtype=np.uint8),
        np.arange(7, dtype=np.uint8),
        np.array([[-70000, 5], [3, 2**30]], dtype=np.int32),
        np.array([1.5, -2.25], dtype=np.float32),
    ]
    for i, arr in enumerate(cases):
        raw = idx_bytes(arr)
        path = tmp_path / f"a{i}.idx"
        path.write_bytes(gzip.compress(raw) if gz else raw)
        got = read_idx(path)
        assert got.shape == arr.shape
        assert got.dtype == arr.dtype.newbyteorder("=")
        np.testing.assert_array_equal(got, arr)


def test_idx_parser_rejects_bad_files():
    good = idx_bytes(np.zeros((2, 3), np.uint8))
    with pytest.raises(ValueError, match="not an idx file"):
        parse_idx(b"\x01" + good[1:])
    with pytest.raises(ValueError, match="unknown idx data type"):
        parse_idx(good[:2] + b"\x07" + good[3:])
    with pytest.raises(ValueError, match="data bytes"):
        parse_idx(good[:-1])
    with pytest.raises(ValueError, match="truncated"):
        parse_idx(good[:6])


# --------------------------------------------------------------------------- Fashion-MNIST


@needs_real_fashion
def test_real_fashion_mnist(real_fashion):
    ds = real_fashion
    assert isinstance(ds, Dataset)
    assert ds.train_images.shape == (60000, 28, 28, 1) and ds.train_images.dtype == np.uint8
    assert ds.test_images.shape == (10000, 28, 28, 1) and ds.test_images.dtype == np.uint8
    assert ds.train_labels.dtype == np.int32 and ds.test_labels.dtype == np.int32
    assert ds.num_classes == 10
    np.testing.assert_array_equal(np.bincount(ds.train_labels), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(ds.test_labels), [1000] * 10)
    # Published statistics of Fashion-MNIST: mean pixel 0.2860 (train); first labels 9, 0, 0, 3.
    assert abs(ds.train_images.mean() / 255.0 - 0.2860) < 1e-3
    np.testing.assert_array_equal(ds.train_labels[:4], [9, 0, 0, 3])
    assert str(FASHION_MNIST_SYSTEM_DIR) in ds.description and "60000" in ds.description


@needs_real_fashion
def test_real_fashion_mnist_loads():
    load_dataset(DataConfig(name="fashion_mnist"))


@pytest.mark.parametrize("gz", [False, True])
def test_fashion_mnist_from_data_dir(tmp_path, gz):
    arrays = write_idx_set(tmp_path / "fm", np.random.default_rng(1), gz=gz)
    ds = load_dataset(DataConfig(name="fashion_mnist", data_dir=str(tmp_path / "fm")))
    np.testing.assert_array_equal(ds.train_images[..., 0], arrays["train_images"])
    np.testing.assert_array_equal(ds.test_images[..., 0], arrays["test_images"])
    np.testing.assert_array_equal(ds.train_labels, arrays["train_labels"])
    np.testing.assert_array_equal(ds.test_labels, arrays["test_labels"])
    assert ds.train_labels.dtype == np.int32 and ds.train_images.shape[1:] == (28, 28, 1)


def test_fashion_mnist_missing_is_helpful(tmp_path):
    (tmp_path / "fm").mkdir()
    (tmp_path / "fm" / "train-images-idx3-ubyte.gz").write_bytes(b"")  # a partial folder
    with pytest.raises(DataNotFoundError) as err:
        load_dataset(DataConfig(name="fashion_mnist", data_dir=str(tmp_path / "fm")))
    msg = str(err.value)
    assert isinstance(err.value, FileNotFoundError)
    for needle in (
        "apt-get install dataset-fashion-mnist",
        str(tmp_path / "fm"),
        "data.data_dir",
        "t10k-labels-idx1-ubyte",
        "fashion_mnist_embedded",
        "lacks",
    ):
        assert needle in msg, needle


# --------------------------------------------------------------------------- embedded subset


def test_embedded_subset(embedded):
    ds = embedded
    assert ds.train_images.shape == (6000, 28, 28, 1) and ds.test_images.shape == (1000, 28, 28, 1)
    assert ds.train_images.dtype == np.uint8 and ds.train_labels.dtype == np.int32
    np.testing.assert_array_equal(np.bincount(ds.train_labels, minlength=10), [600] * 10)
    np.testing.assert_array_equal(np.bincount(ds.test_labels, minlength=10), [100] * 10)
    assert ds.num_classes == 10 and "embedded" in ds.description
    assert 0 < ds.train_images.mean() < 255  # real images, not blank


def test_embedded_loads():
    load_dataset(DataConfig(name="fashion_mnist_embedded"))


@needs_real_fashion
def test_embedded_is_first_images_of_each_class_of_real_files(embedded, real_fashion):
    for split, per_class in (("train", 600), ("test", 100)):
        labels = getattr(real_fashion, f"{split}_labels")
        idx = np.sort(np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(10)]))
        np.testing.assert_array_equal(
            getattr(embedded, f"{split}_images"), getattr(real_fashion, f"{split}_images")[idx]
        )
        np.testing.assert_array_equal(getattr(embedded, f"{split}_labels"), labels[idx])


# --------------------------------------------------------------------------- CIFAR-10 archive


@pytest.mark.parametrize("fmt", ["python", "binary"])
@pytest.mark.parametrize("layout", ["tar", "dir"])
@pytest.mark.parametrize("source", ["archive", "auto"])
def test_cifar10_archive_round_trip(tmp_path, fmt, layout, source):
    batches = fake_cifar(np.random.default_rng(2))
    write_cifar(tmp_path, batches, fmt, layout)
    ds = load_dataset(DataConfig(name="cifar10", cifar10_source=source, data_dir=str(tmp_path)))
    train = [batches[n] for n in cifar10_mod.TRAIN_BATCHES]
    data_tr = np.concatenate([d for d, _ in train])
    np.testing.assert_array_equal(ds.train_images, expected_nhwc(data_tr))
    np.testing.assert_array_equal(ds.train_labels, np.concatenate([lab for _, lab in train]))
    data_te, lab_te = batches[cifar10_mod.TEST_BATCH]
    np.testing.assert_array_equal(ds.test_images, expected_nhwc(data_te))
    np.testing.assert_array_equal(ds.test_labels, lab_te)
    assert ds.train_images.shape == (15, 32, 32, 3) and ds.test_images.shape == (4, 32, 32, 3)
    assert ds.train_images.dtype == np.uint8 and ds.train_labels.dtype == np.int32
    assert ds.num_classes == 10 and fmt in ds.description and str(tmp_path) in ds.description
    # One pixel by hand: image 1, row 5, column 7, green = byte 1024 + 5*32 + 7 of its row.
    assert ds.train_images[1, 5, 7, 1] == data_tr[1, 1024 + 5 * 32 + 7]


def test_cifar10_archive_in_cifar10_subfolder_of_data_dir(tmp_path):
    batches = fake_cifar(np.random.default_rng(5))
    write_cifar(tmp_path / "cifar10", batches, "python", "tar")
    ds = load_dataset(DataConfig(name="cifar10", data_dir=str(tmp_path), num_train=4, num_test=2))
    first = np.concatenate([batches["data_batch_1"][0], batches["data_batch_2"][0]])[:4]
    np.testing.assert_array_equal(ds.train_images, expected_nhwc(first))
    assert ds.test_images.shape == (2, 32, 32, 3)


def test_cifar10_pickle_refuses_foreign_globals(tmp_path):
    import collections

    batches = fake_cifar(np.random.default_rng(3))
    write_cifar(tmp_path, batches, "python", "dir")
    evil = {b"data": collections.OrderedDict(), b"labels": []}
    (tmp_path / cifar10_mod.PYTHON_DIR / "test_batch").write_bytes(pickle.dumps(evil, protocol=2))
    with pytest.raises(InputError, match="test_batch: damaged CIFAR-10 batch file .UnpicklingError: refusing"):
        load_dataset(DataConfig(name="cifar10", cifar10_source="archive", data_dir=str(tmp_path)))


def test_cifar10_incomplete_archive(tmp_path):
    write_cifar(tmp_path, fake_cifar(np.random.default_rng(4)), "binary", "dir")
    (tmp_path / cifar10_mod.BINARY_DIR / "data_batch_3.bin").unlink()
    with pytest.raises(DataNotFoundError, match="data_batch_3.bin"):
        load_dataset(DataConfig(name="cifar10", cifar10_source="archive", data_dir=str(tmp_path)))


@pytest.mark.parametrize("source", ["auto", "archive", "tfds"])
def test_cifar10_missing_is_helpful(tmp_path, source):
    with pytest.raises(DataNotFoundError) as err:
        load_dataset(DataConfig(name="cifar10", cifar10_source=source, data_dir=str(tmp_path)))
    msg = str(err.value)
    for needle in (
        str(tmp_path),
        "cifar-10-python.tar.gz",
        "cifar-10-binary.tar.gz",
        "https://www.cs.toronto.edu/~kriz/cifar.html",
        "pip install 'cimjax[tfds-prepare]'",
        "array_record",
        "download=True",
        f"data.cifar10_source = '{source}'",
        "data.data_dir",
    ):
        assert needle in msg, needle


def test_cifar10_missing_default_dirs(monkeypatch, tmp_path):
    monkeypatch.setenv("CIMJAX_DATA_DIR", str(tmp_path / "root"))
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    with pytest.raises(DataNotFoundError) as err:
        load_dataset(DataConfig(name="cifar10"))
    assert str(tmp_path / "root" / "cifar10") in str(err.value)
    assert str(tmp_path / "tfds" / "cifar10") in str(err.value)


# --------------------------------------------------------------------------- CIFAR-10 tfds


def _fake_prepared_tfds(root: Path, splits=("train", "test"), fmt="array_record") -> None:
    import tensorflow_datasets as tfds

    vdir = root / "cifar10" / str(tfds.builder_cls("cifar10").VERSION)
    vdir.mkdir(parents=True)
    (vdir / "dataset_info.json").write_text("{}")
    for s in splits:
        (vdir / f"cifar10-{s}.{fmt}-00000-of-00001").write_bytes(b"")


@pytest.mark.parametrize("source", ["tfds", "auto"])
def test_cifar10_tfds_with_mock_data(tmp_path, monkeypatch, source):
    import tensorflow_datasets as tfds

    _fake_prepared_tfds(tmp_path)
    calls = []
    real_data_source = tfds.data_source

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real_data_source(*args, **kwargs)

    monkeypatch.setattr(tfds, "data_source", spy)
    with tfds.testing.mock_data(num_examples=12):
        ds = load_dataset(DataConfig(name="cifar10", cifar10_source=source, data_dir=str(tmp_path)))
        few = load_dataset(
            DataConfig(name="cifar10", cifar10_source="tfds", data_dir=str(tmp_path), num_train=5, num_test=3)
        )
    assert ds.train_images.shape == (12, 32, 32, 3) and ds.test_images.shape == (12, 32, 32, 3)
    assert ds.train_images.dtype == np.uint8 and ds.train_labels.dtype == np.int32
    assert ds.train_labels.shape == (12,) and ds.test_labels.dtype == np.int32
    assert ds.train_labels.min() >= 0 and ds.train_labels.max() < 10 and ds.num_classes == 10
    assert ds.train_images.std() > 0  # mock data is random, not blank
    assert "tensorflow-datasets" in ds.description
    assert few.train_images.shape == (5, 32, 32, 3) and few.test_images.shape == (3, 32, 32, 3)
    np.testing.assert_array_equal(few.train_images, ds.train_images[:5])
    assert calls and all(c["download"] is False for c in calls)
    assert {c["split"] for c in calls} == {"train", "test"}
    assert all(c["data_dir"] == str(tmp_path) for c in calls)


def test_cifar10_tfds_prepared_as_tfrecord_is_explained(tmp_path):
    _fake_prepared_tfds(tmp_path, fmt="tfrecord")
    with pytest.raises(DataNotFoundError, match="tfrecord") as err:
        load_dataset(DataConfig(name="cifar10", cifar10_source="tfds", data_dir=str(tmp_path)))
    assert "array_record" in str(err.value)


# --------------------------------------------------------------------------- synthetic


def test_synthetic_deterministic_balanced_learnable():
    cfg = DataConfig(name="synthetic", synthetic_train_size=1000, synthetic_test_size=300)
    a = load_dataset(cfg, key=jax.random.key(7))
    b = load_dataset(cfg, key=jax.random.key(7))
    c = load_dataset(cfg, key=jax.random.key(8))
    for x, y in zip(a[:4], b[:4], strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a.train_images, c.train_images)
    assert not np.array_equal(a.train_labels, c.train_labels)
    assert a.train_images.shape == (1000, 32, 32, 3) and a.test_images.shape == (300, 32, 32, 3)
    assert a.train_images.dtype == np.uint8 and a.train_labels.dtype == np.int32 and a.num_classes == 10
    np.testing.assert_array_equal(np.bincount(a.train_labels), [100] * 10)
    np.testing.assert_array_equal(np.bincount(a.test_labels), [30] * 10)
    assert not np.array_equal(a.train_images[:300], a.test_images)  # independent splits
    # Learnable: a nearest-template classifier is nearly always right.
    t = synthetic_templates((32, 32, 3))
    x = a.test_images.astype(np.float32) / 255.0
    pred = ((x[:, None] - t[None]) ** 2).sum(axis=(2, 3, 4)).argmin(axis=1)
    assert (pred == a.test_labels).mean() > 0.95
    # The same task in every run: templates do not depend on the key.
    np.testing.assert_array_equal(t, synthetic_templates((32, 32, 3)))


def test_synthetic_shape_noise_and_key_required():
    cfg = DataConfig(
        name="synthetic",
        image_shape=(16, 16, 1),
        synthetic_train_size=105,
        synthetic_test_size=20,
        synthetic_noise=0.0,
    )
    ds = load_dataset(cfg, key=jax.random.PRNGKey(0))  # raw uint32 keys work too
    assert ds.train_images.shape == (105, 16, 16, 1) and ds.test_images.shape == (20, 16, 16, 1)
    counts = np.bincount(ds.train_labels, minlength=10)
    assert counts.max() - counts.min() <= 1
    # Without noise every image is an exactly shifted template (up to uint8 rounding).
    t = np.rint(synthetic_templates((16, 16, 1)) * 255)
    img = ds.train_images[0].astype(np.float64)
    tp = np.pad(t[ds.train_labels[0]], ((2, 2), (2, 2), (0, 0)), mode="edge")
    assert any(np.array_equal(img, tp[dy : dy + 16, dx : dx + 16]) for dy in range(5) for dx in range(5))
    with pytest.raises(ValueError, match="key"):
        load_dataset(cfg)


def test_synthetic_of_any_size_loads():
    """(Its speed is a benchmark's business: a timed assertion fails on a busy machine.)"""
    ds = load_dataset(DataConfig(name="synthetic", synthetic_train_size=5000), key=jax.random.key(1))
    assert len(ds.train_labels) == 5000 and ds.train_images.shape[1:] == (32, 32, 3)


# --------------------------------------------------------------------------- shapes and counts


def test_image_shape_pads_centred_and_replicates(embedded):
    ds = load_dataset(
        DataConfig(name="fashion_mnist_embedded", image_shape=(32, 32, 3), num_train=50, num_test=20)
    )
    assert ds.train_images.shape == (50, 32, 32, 3) and ds.test_images.shape == (20, 32, 32, 3)
    assert ds.train_images.dtype == np.uint8
    for got, src in (
        (ds.train_images, embedded.train_images[:50]),
        (ds.test_images, embedded.test_images[:20]),
    ):
        for c in range(3):
            np.testing.assert_array_equal(got[:, 2:30, 2:30, c], src[..., 0])
        mask = np.ones((32, 32), bool)
        mask[2:30, 2:30] = False
        assert not got[:, mask, :].any()
    np.testing.assert_array_equal(ds.train_labels, embedded.train_labels[:50])
    assert "32×32×3" in ds.description and "first 50 train / 20 test" in ds.description


def test_dataset_image_shape_matches_loaded_data(embedded):
    assert dataset_image_shape(DataConfig(name="fashion_mnist_embedded")) == embedded.train_images.shape[1:]
    assert dataset_image_shape(DataConfig(name="fashion_mnist")) == (28, 28, 1)
    assert dataset_image_shape(DataConfig(name="cifar10")) == (32, 32, 3)
    cfg = DataConfig(name="synthetic", synthetic_train_size=10, synthetic_test_size=10)
    assert dataset_image_shape(cfg) == load_dataset(cfg, key=jax.random.key(0)).train_images.shape[1:]
    assert dataset_image_shape(DataConfig(name="cifar10", image_shape=(40, 40, 3))) == (40, 40, 3)


def test_fit_image_shape_odd_padding_and_errors():
    x = np.arange(2 * 3 * 2 * 1, dtype=np.uint8).reshape(2, 3, 2, 1) + 1
    out = fit_image_shape(x, (6, 5, 1))
    assert out.shape == (2, 6, 5, 1)
    np.testing.assert_array_equal(out[:, 1:4, 1:3], x)  # extra row / column at the bottom / right
    assert out.sum() == x.sum()
    assert fit_image_shape(x, (3, 2, 1)) is x
    with pytest.raises(ValueError, match=r"data\.image_shape.*larger"):
        fit_image_shape(x, (2, 8, 1))
    with pytest.raises(ValueError, match=r"data\.image_shape.*channels"):
        fit_image_shape(np.zeros((1, 4, 4, 3), np.uint8), (4, 4, 1))
    with pytest.raises(ValueError, match=r"data\.image_shape"):
        load_dataset(DataConfig(name="fashion_mnist_embedded", image_shape=(16, 16, 1)))


def test_num_train_num_test(embedded):
    ds = load_dataset(DataConfig(name="fashion_mnist_embedded", num_train=10, num_test=7))
    np.testing.assert_array_equal(ds.train_images, embedded.train_images[:10])
    np.testing.assert_array_equal(ds.test_labels, embedded.test_labels[:7])
    with pytest.raises(ValueError, match=r"data\.num_train = 6001"):
        load_dataset(DataConfig(name="fashion_mnist_embedded", num_train=6001))


# --------------------------------------------------------------------------- batching


def test_iterate_batches_shuffles_deterministically():
    n, bs = 103, 10
    images = np.arange(n, dtype=np.uint8)[:, None, None, None] * np.ones((1, 2, 3, 1), np.uint8)
    labels = np.arange(n, dtype=np.int32)

    def epoch(key, drop=True):
        return [b["label"] for b in iterate_batches(images, labels, bs, key=key, drop_remainder=drop)]

    a, b, c = epoch(jax.random.key(0)), epoch(jax.random.key(0)), epoch(jax.random.key(1))
    assert len(a) == num_batches(n, bs, True) == 10
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))
    assert not np.array_equal(np.concatenate(a), np.arange(100))  # actually shuffled
    full = epoch(jax.random.key(3), drop=False)
    assert len(full) == num_batches(n, bs, False) == 11 and len(full[-1]) == 3
    np.testing.assert_array_equal(np.sort(np.concatenate(full)), labels)  # each example once
    ordered = epoch(None, drop=False)
    np.testing.assert_array_equal(np.concatenate(ordered), labels)
    for batch in iterate_batches(images, labels, bs, key=jax.random.key(0)):
        assert batch["image"].dtype == np.float32 and batch["label"].dtype == np.int32
        assert batch["image"].shape == (bs, 2, 3, 1)
        assert 0.0 <= batch["image"].min() and batch["image"].max() <= 1.0
        # images stay with their labels
        np.testing.assert_allclose(batch["image"][:, 0, 0, 0], batch["label"] / 255.0, rtol=1e-6)


def test_iterate_batches_errors_and_num_batches():
    x = np.zeros((5, 2, 2, 1), np.uint8)
    y = np.zeros(5, np.int32)
    with pytest.raises(ValueError, match="batch_size"):
        list(iterate_batches(x, y, 8))
    assert len(list(iterate_batches(x, y, 8, drop_remainder=False))) == 1
    with pytest.raises(ValueError, match="labels"):
        list(iterate_batches(x, y[:4], 2))
    assert num_batches(0, 3) == 0 and num_batches(7, 7) == 1 and num_batches(8, 7, False) == 2


# --------------------------------------------------------------------------- augmentation


def _candidates(img: np.ndarray, pad: int = 4):
    h, w, _ = img.shape
    p = np.pad(img, ((pad, pad), (pad, pad), (0, 0)))
    for dy in range(2 * pad + 1):
        for dx in range(2 * pad + 1):
            crop = p[dy : dy + h, dx : dx + w]
            yield (dy, dx, False), crop
            yield (dy, dx, True), crop[:, ::-1]


@pytest.mark.parametrize("shape", [(8, 8, 3), (6, 10, 1)])
def test_augment_batch_is_shifted_flipped_copy(shape):
    h, w, c = shape
    img = (np.arange(h * w * c, dtype=np.float32).reshape(shape) + 1.0) / (h * w * c + 1.0)
    batch = jnp.asarray(np.broadcast_to(img, (64, *shape)))
    key = jax.random.key(5)
    out = augment_batch(key, batch)
    assert out.shape == batch.shape and out.dtype == batch.dtype
    np.testing.assert_array_equal(np.asarray(jax.jit(augment_batch)(key, batch)), np.asarray(out))
    np.testing.assert_array_equal(np.asarray(augment_batch(key, batch)), np.asarray(out))
    seen = set()
    for o in np.asarray(out):
        matches = [tag for tag, cand in _candidates(img) if np.array_equal(o, cand)]
        assert len(matches) == 1, "every output is exactly one crop/flip of the padded input"
        seen.add(matches[0])
    assert len({t[:2] for t in seen}) > 10  # offsets differ per image
    assert {t[2] for t in seen} == {False, True}  # both flipped and unflipped
    assert not np.array_equal(np.asarray(augment_batch(jax.random.key(6), batch)), np.asarray(out))


def test_augment_batch_offset_range_covers_neurosim_crop():
    # RandomCrop(32, padding=4) offsets are uniform on 0..8 inclusive: both extremes occur.
    img = np.ones((4, 4, 1), np.float32)
    out = np.asarray(augment_batch(jax.random.key(0), jnp.asarray(np.broadcast_to(img, (2000, 4, 4, 1)))))
    # a fully shifted crop of a 4×4 image padded by 4 can be all zeros (offset 0 or 8 in either axis)
    assert (out.sum(axis=(1, 2, 3)) == 0).any()
    assert (out.sum(axis=(1, 2, 3)) == 16).any()  # offset 4,4: the whole image
