"""Datasets: splits, fingerprints, the MNIST-1D disk cache and the Fashion-MNIST IDX reader."""

from __future__ import annotations

import gzip
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from hp_lib import data

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(autouse=True)
def _fresh_split_cache(tmp_path, monkeypatch):
    """Every test writes generated data under its own HP_BOOK_HOME and sees an empty split cache."""
    monkeypatch.setenv("HP_BOOK_HOME", str(tmp_path / "home"))
    data._split_arrays.cache_clear()
    yield
    data._split_arrays.cache_clear()


def _rows(x: torch.Tensor) -> list[bytes]:
    a = x.numpy()
    return [r.tobytes() for r in a.reshape(len(a), -1)]


# --- digits ------------------------------------------------------------------------------------------

def test_digits_splits():
    ds = data.load("digits", 100, 50, 50)
    assert ds.sizes() == {"train": 100, "val": 50, "test": 50}
    assert ds.x_train.shape == (100, 1, 8, 8) and ds.x_val.shape == (50, 1, 8, 8)
    assert ds.x_test.shape == (50, 1, 8, 8)
    assert ds.input_shape == (1, 8, 8) and ds.num_classes == 10
    assert ds.x_train.dtype == torch.float32 and ds.y_train.dtype == torch.int64

    # the three splits are a draw without replacement from the source (with matching labels)
    x_src, y_src, _ = data.SOURCES["digits"](200, None)
    source = Counter(_rows(torch.from_numpy(x_src)))
    labels = {}
    for r, y in zip(_rows(torch.from_numpy(x_src)), y_src):
        labels.setdefault(r, set()).add(int(y))
    drawn = Counter()
    for x, y in ((ds.x_train, ds.y_train), (ds.x_val, ds.y_val), (ds.x_test, ds.y_test)):
        rows = _rows(x)
        drawn.update(rows)
        assert all(int(lab) in labels[r] for r, lab in zip(rows, y))
    assert sum(drawn.values()) == 200
    assert all(drawn[r] <= source[r] for r in drawn), "a sample appears in two splits"


def test_digits_fingerprint_is_seeded():
    a = data.load("digits", 100, 50, 50, seed=0)
    data._split_arrays.cache_clear()
    b = data.load("digits", 100, 50, 50, seed=0)
    c = data.load("digits", 100, 50, 50, seed=1)
    assert a.fingerprint == b.fingerprint
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    assert c.fingerprint != a.fingerprint
    assert not torch.equal(a.x_train, c.x_train)
    # the fingerprint is over the split arrays, so it also changes with the sizes
    assert data.load("digits", 101, 50, 50).fingerprint != a.fingerprint


def test_default_sizes():
    ds = data.load("digits")
    assert tuple(ds.sizes().values()) == data.DEFAULT_SIZES["digits"]


def test_unknown_dataset_lists_valid():
    with pytest.raises(ValueError) as e:
        data.load("nope")
    for name in ("mnist1d", "digits", "fashion_mnist", *data.SOURCES):
        assert name in str(e.value)


def test_too_many_samples():
    with pytest.raises(ValueError, match="1797"):
        data.load("digits", 1000, 500, 500)


def test_nonpositive_split_size():
    with pytest.raises(ValueError, match="positive"):
        data.load("digits", 100, 0, 50)


def test_fingerprint_function():
    x = np.arange(6, dtype=np.float32)
    assert data.fingerprint(x) == data.fingerprint(x.copy())
    assert data.fingerprint(x) != data.fingerprint(x.reshape(2, 3))  # shape matters
    assert data.fingerprint(x) != data.fingerprint(x.astype(np.float64))  # dtype matters
    y = x.copy()
    y[3] += 1
    assert data.fingerprint(x) != data.fingerprint(y)


# --- MNIST-1D -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mnist1d_home(tmp_path_factory):
    """An HP_BOOK_HOME in which MNIST-1D has been generated once (by ``data.load``), and that load."""
    home = tmp_path_factory.mktemp("mnist1d-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HP_BOOK_HOME", str(home))
        data._split_arrays.cache_clear()
        ds = data.load("mnist1d", 200, 50, 50)
        data._split_arrays.cache_clear()
    return home, ds


def test_mnist1d_generated_offline(mnist1d_home):
    home, ds = mnist1d_home
    assert ds.x_train.shape == (200, 1, 40) and ds.x_val.shape == (50, 1, 40) and ds.x_test.shape == (50, 1, 40)
    assert ds.num_classes == 10
    assert set(ds.y_train.tolist()) == set(range(10))
    files = list((home / "data").glob("mnist1d-*.npz"))
    assert len(files) == 1
    with np.load(files[0]) as f:
        assert data.fingerprint(f["x"], f["y"]) == str(f["fingerprint"])
        assert len(f["y"]) >= 300
    assert not [p for p in (home / "data").iterdir() if p.name.startswith(".")], "temporary file left behind"


def test_mnist1d_cached_file_is_reused(mnist1d_home, tmp_path, monkeypatch):
    home, ds = mnist1d_home
    shutil.copytree(home / "data", tmp_path / "home" / "data")
    import mnist1d.data
    monkeypatch.setattr(mnist1d.data, "make_dataset", lambda *a, **k: pytest.fail("regenerated a valid file"))
    assert data.load("mnist1d", 200, 50, 50).fingerprint == ds.fingerprint


def test_mnist1d_corrupt_file_is_regenerated(mnist1d_home, tmp_path, capsys):
    home, ds = mnist1d_home
    shutil.copytree(home / "data", tmp_path / "home" / "data")
    (path,) = (tmp_path / "home" / "data").glob("mnist1d-*.npz")
    with np.load(path) as f:
        x, y, fp = f["x"].copy(), f["y"].copy(), f["fingerprint"].copy()
    corrupted = x.copy()
    corrupted[:, 0] += 1.0
    with open(path, "wb") as fh:  # altered arrays, the old fingerprint
        np.savez(fh, x=corrupted, y=y, fingerprint=fp)
    data._split_arrays.cache_clear()

    again = data.load("mnist1d", 200, 50, 50)
    assert "fingerprint" in capsys.readouterr().out  # the warning
    assert again.fingerprint == ds.fingerprint
    assert torch.equal(again.x_train, ds.x_train) and torch.equal(again.y_test, ds.y_test)
    with np.load(path) as f:  # the file on disk is repaired
        np.testing.assert_array_equal(f["x"], x)
        assert data.fingerprint(f["x"], f["y"]) == str(f["fingerprint"])


def test_mnist1d_hard_is_the_generator_with_its_arguments(tmp_path, monkeypatch):
    """The harder set is the package's generator with MNIST1D_HARD's arguments (and only those changed), in a
    file of its own; the defaults it names are the package's."""
    from mnist1d.data import get_dataset_args

    defaults = get_dataset_args(as_dict=True)
    assert data.MNIST1D_DEFAULTS == {k: defaults[k] for k in data.MNIST1D_DEFAULTS}
    assert set(data.MNIST1D_HARD) == set(data.MNIST1D_DEFAULTS)
    seen = []
    import mnist1d.data
    real = mnist1d.data.make_dataset
    monkeypatch.setattr(mnist1d.data, "make_dataset", lambda args: seen.append(dict(vars(args))) or real(args))
    monkeypatch.setenv("HP_BOOK_HOME", str(tmp_path))
    data._split_arrays.cache_clear()
    hard = data.load("mnist1d_hard", 200, 50, 50)
    data._split_arrays.cache_clear()
    (args,) = seen
    assert {k: args[k] for k in defaults if args[k] != defaults[k]} == {**data.MNIST1D_HARD, "train_split": 1.0}
    assert args["num_samples"] == 5_000  # the smallest pool
    (path,) = (tmp_path / "data").glob("mnist1d-*.npz")
    assert "shear_scale1.5" in path.name
    assert hard.x_train.shape == (200, 1, 40) and hard.num_classes == 10


def test_label_noise_replaces_that_fraction_of_training_labels_only():
    clean = data.load("digits", 1_000, 200, 300)
    noisy = data.load("digits", 1_000, 200, 300, label_noise=0.2)
    wrong = noisy.y_train != clean.y_train
    assert int(wrong.sum()) == 200  # exactly the fraction, each to another class
    assert torch.equal(noisy.x_train, clean.x_train)  # the same samples in the same order
    assert torch.equal(noisy.y_val, clean.y_val) and torch.equal(noisy.y_test, clean.y_test)
    assert noisy.fingerprint != clean.fingerprint  # cached runs on clean labels are never re-used
    assert torch.equal(data.load("digits", 1_000, 200, 300, label_noise=0.2).y_train, noisy.y_train)  # seeded
    y = clean.y_train.numpy()
    assert (data.noisy_labels(y, 0.2, 10, 0) != data.noisy_labels(y, 0.2, 10, 1)).any()  # another seed, others


def test_label_noise_is_symmetric():
    """Every wrong label is any other class with equal chance: over many samples each offset 1..9 of the
    true class is about equally common (a chi-square test against the uniform)."""
    from scipy import stats

    y = np.repeat(np.arange(10), 5_000)
    noisy = data.noisy_labels(y, 0.5, 10, 0)
    offsets = ((noisy - y) % 10)[noisy != y]
    counts = np.bincount(offsets, minlength=10)
    assert counts[0] == 0 and len(offsets) == 25_000
    assert stats.chisquare(counts[1:]).pvalue > 0.001


@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5, True, "0.1", None])
def test_label_noise_out_of_range_is_refused(bad):
    with pytest.raises(ValueError, match=r"label_noise .*\[0, 1\)"):
        data.load("digits", label_noise=bad)


# --- Fashion-MNIST (IDX files) ------------------------------------------------------------------------

def _write_idx(path: Path, array: np.ndarray, magic: int | None = None) -> None:
    array = np.asarray(array, dtype=np.uint8)
    magic = magic if magic is not None else 0x0800 + array.ndim
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


def _pattern(label: int) -> np.ndarray:
    r, c = np.meshgrid(np.arange(28), np.arange(28), indexing="ij")
    return ((label * 37 + r * 3 + c * 5) % 256).astype(np.uint8)


def _write_fashion(root: Path, n_train: int = 6, n_test: int = 4) -> None:
    labels = np.arange(n_train + n_test) % 10
    images = np.stack([_pattern(int(lab)) for lab in labels])
    _write_idx(root / "train-images-idx3-ubyte.gz", images[:n_train])
    _write_idx(root / "train-labels-idx1-ubyte.gz", labels[:n_train])
    _write_idx(root / "t10k-images-idx3-ubyte.gz", images[n_train:])
    _write_idx(root / "t10k-labels-idx1-ubyte.gz", labels[n_train:])


def test_fashion_mnist_from_idx_files(tmp_path):
    _write_fashion(tmp_path)
    ds = data.load("fashion_mnist", 5, 3, 2, root=tmp_path)
    assert ds.sizes() == {"train": 5, "val": 3, "test": 2}
    assert ds.input_shape == (1, 28, 28) and ds.num_classes == 10
    seen = []
    for x, y in ((ds.x_train, ds.y_train), (ds.x_val, ds.y_val), (ds.x_test, ds.y_test)):
        pixels = np.rint((x.numpy() * 0.3530 + 0.2860) * 255)
        for img, lab in zip(pixels, y.tolist()):
            np.testing.assert_array_equal(img[0], _pattern(lab))
            seen.append(lab)
    assert sorted(seen) == list(range(10))


@pytest.mark.parametrize("defect", ["dtype", "size"])
def test_fashion_mnist_malformed_header(tmp_path, defect):
    _write_fashion(tmp_path)
    images = np.stack([_pattern(i) for i in range(6)])
    if defect == "dtype":  # 0x0903: signed bytes, not the unsigned-byte format
        _write_idx(tmp_path / "train-images-idx3-ubyte.gz", images, magic=0x0903)
    else:  # header claims 7 images, 6 stored
        header = (0x0803).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in (7, 28, 28))
        with gzip.open(tmp_path / "train-images-idx3-ubyte.gz", "wb") as f:
            f.write(header + images.tobytes())
    with pytest.raises(ValueError):
        data.load("fashion_mnist", 5, 3, 2, root=tmp_path)


@pytest.mark.skipif(not (DEBIAN_FASHION / "train-images-idx3-ubyte.gz").exists(),
                    reason="Debian's dataset-fashion-mnist is not installed")
def test_fashion_mnist_debian_files():
    ds = data.load("fashion_mnist")
    assert ds.sizes() == {"train": 55_000, "val": 5_000, "test": 10_000}
    assert ds.input_shape == (1, 28, 28)
    y = torch.cat([ds.y_train, ds.y_val, ds.y_test])
    assert len(y) == 70_000
    assert torch.bincount(y, minlength=10).tolist() == [7_000] * 10
    # normalised with the training set's statistics: roughly zero mean, unit std
    assert abs(ds.x_train.mean().item()) < 0.01
    assert abs(ds.x_train.std().item() - 1.0) < 0.01


# --- CIFAR-10 (binary batches, faked) ------------------------------------------------------------------

def _write_cifar(root: Path, per_file: int = 2, record_bytes: int = 3073) -> None:
    """Five training batches and a test batch of ``per_file`` images each; an image's pixels are 20 × its label
    + 5, or + 6 in the test batch (so that a test tells the official test images apart)."""
    folder = root / "cifar-10-batches-bin"
    folder.mkdir(parents=True)
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    for f, name in enumerate(names):
        records = []
        for r in range(per_file):
            label = (f * per_file + r) % 10
            pixels = np.full(3072, 20 * label + 5 + (name == "test_batch.bin"), dtype=np.uint8)
            records.append(np.concatenate([[label], pixels]).astype(np.uint8)[:record_bytes])
        np.concatenate(records).tofile(folder / name)


def test_cifar10_from_binary_batches_keeps_the_official_split(tmp_path):
    """Training samples from the training batches, validation and test samples from the test batch."""
    _write_cifar(tmp_path, per_file=4)
    ds = data.load("cifar10", 12, 2, 2, root=tmp_path)
    assert ds.sizes() == {"train": 12, "val": 2, "test": 2}
    assert ds.input_shape == (3, 32, 32) and ds.num_classes == 10
    labels = []
    for split, (x, y) in {"train": (ds.x_train, ds.y_train), "val": (ds.x_val, ds.y_val),
                          "test": (ds.x_test, ds.y_test)}.items():
        pixels = np.rint((x.numpy() * data.CIFAR10_STD + data.CIFAR10_MEAN) * 255)
        for img, lab in zip(pixels, y.tolist()):
            assert (img == 20 * lab + 5 + (split != "train")).all(), split
            labels.append(lab)
    assert sorted(labels[12:]) == sorted(i % 10 for i in range(20, 24))  # the whole test batch, split in two
    with pytest.raises(ValueError, match="official split"):
        data.load("cifar10", 12, 4, 1, root=tmp_path)


def test_cifar10_given_root_without_files_raises(tmp_path):
    with pytest.raises(FileNotFoundError):  # and no download is attempted
        data.load("cifar10", 6, 4, 2, root=tmp_path)


def test_cifar10_truncated_batch(tmp_path):
    _write_cifar(tmp_path, record_bytes=3000)
    with pytest.raises(ValueError, match="3073"):
        data.load("cifar10", 6, 1, 1, root=tmp_path)


# --- robustness ---------------------------------------------------------------------------------------

def test_in_place_change_does_not_leak_into_later_loads():
    a = data.load("digits", 100, 50, 50)
    fp, x0 = a.fingerprint, a.x_train.clone()
    a.x_train.mul_(0)  # e.g. an in-place augmentation or normalisation by a caller
    b = data.load("digits", 100, 50, 50)
    assert torch.equal(b.x_train, x0)
    assert b.fingerprint == fp


def test_fashion_mnist_image_label_count_mismatch(tmp_path):
    labels = np.arange(10)
    images = np.stack([_pattern(int(lab)) for lab in labels])
    _write_idx(tmp_path / "train-images-idx3-ubyte.gz", images[:6])
    _write_idx(tmp_path / "train-labels-idx1-ubyte.gz", labels[:5])  # one label short
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images[6:])
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", labels[5:])  # one label too many
    with pytest.raises(ValueError, match="labels"):
        data.load("fashion_mnist", 5, 3, 2, root=tmp_path)


def test_mnist_from_idx_files(tmp_path):
    _write_fashion(tmp_path)  # the same four IDX files as Fashion-MNIST
    ds = data.load("mnist", 5, 3, 2, root=tmp_path)
    assert ds.input_shape == (1, 28, 28) and ds.num_classes == 10
    for x, y in ((ds.x_train, ds.y_train), (ds.x_val, ds.y_val)):
        pixels = np.rint((x.numpy() * 0.3081 + 0.1307) * 255)
        for img, lab in zip(pixels, y.tolist()):
            np.testing.assert_array_equal(img[0], _pattern(lab))


def test_mnist_given_root_without_files_names_them(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.gz"):
        data.load("mnist", 5, 3, 2, root=tmp_path)


def _write_cifar100(root: Path, per_file: int = 6) -> None:
    """CIFAR-100's binary format: a coarse and a fine label byte, then 3×32×32 pixel bytes."""
    folder = root / "cifar-100-binary"
    folder.mkdir(parents=True)
    for f, name in enumerate(("train.bin", "test.bin")):
        records = []
        for r in range(per_file):
            fine = 17 * (f * per_file + r) % 100
            records.append(np.concatenate([[fine // 5, fine], np.full(3072, (2 * fine + 1) % 256)]).astype(np.uint8))
        np.concatenate(records).tofile(folder / name)


def test_cifar100_fine_labels_from_binary_files(tmp_path):
    _write_cifar100(tmp_path)
    ds = data.load("cifar100", 6, 4, 2, root=tmp_path)
    assert ds.input_shape == (3, 32, 32) and ds.num_classes == 100
    labels = []
    for x, y in ((ds.x_train, ds.y_train), (ds.x_val, ds.y_val), (ds.x_test, ds.y_test)):
        pixels = np.rint((x.numpy() * data.CIFAR10_STD + data.CIFAR10_MEAN) * 255)
        for img, lab in zip(pixels, y.tolist()):
            assert (img == (2 * lab + 1) % 256).all()  # the fine label, not the coarse one
            labels.append(lab)
    assert sorted(labels) == sorted(17 * i % 100 for i in range(12))
