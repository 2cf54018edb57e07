"""Named datasets as tensors, with train / validation / test splits and a fingerprint.

``load(name, ...)`` returns a :class:`Dataset` whose splits are tensors on the chosen device (no
DataLoader: the training loop indexes them directly). Every dataset here works offline:

* ``mnist1d``: MNIST-1D (Greydanus 2020), generated procedurally by the ``mnist1d`` package and cached as
  ``.npz`` under ``$HP_BOOK_HOME/data`` with its fingerprint; a cached file whose fingerprint no longer
  matches is regenerated. Its ``get_dataset(download=True)`` path is never used.
* ``mnist1d_hard``: the same generator with more noise and shear (:data:`MNIST1D_HARD`), hard enough that the
  convnets no longer solve it.
* ``digits``: scikit-learn's bundled 8×8 handwritten digits (1,797 images).
* ``fashion_mnist``: Fashion-MNIST from a data directory, else Debian's ``dataset-fashion-mnist``.
* ``chars`` and ``skipgram``: a character-level language-modelling task and word2vec's skip-gram pairs,
  from CPython's help topics (:mod:`hp_lib.text`).
* ``mnist``, ``cifar10``, ``cifar100``: MNIST's IDX files and CIFAR's binary versions (no pickle) from
  the data folder (``$HP_BOOK_HOME/data``, or ``--data-dir``), downloaded if missing (the ``full`` profile; it
  needs the internet once).
* ``imagenet``: ImageNet, read from ``<data folder>/imagenet`` and never downloaded; streamed from disk rather
  than held in memory (:class:`hp_lib.imagenet.ImageNet`, which answers the same questions as a
  :class:`Dataset`).

Splits are drawn at random from the samples a source has, so that a validation set is a random subset of the same
distribution; CIFAR-10 and CIFAR-100 keep their official split: the training samples are drawn from the official
training images, the validation and test samples from the official test images (the paper's test set). ``label_noise`` replaces
that fraction of the *training* labels by another class drawn uniformly (symmetric label noise); the
validation and test labels stay exact.

The fingerprint is a SHA-256 over the arrays of every split: it enters every cache key, so results
computed on other data are never re-used.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from . import paths, text


@dataclass
class Dataset:
    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    num_classes: int
    fingerprint: str

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.y_train), "val": len(self.y_val), "test": len(self.y_test)}

    # What the training loop asks of a dataset (a streamed one, hp_lib.imagenet.ImageNet, answers the same):

    def epoch(self, order: torch.Tensor, batch_size: int, first: int = 0, draw: int = 0):
        """The training minibatches ``(x, y)`` of one epoch: the samples in ``order`` (the last partial batch
        dropped), from the ``first``-th minibatch on. (``draw`` seeds a dataset's own random crops; these
        tensors have none: :func:`hp_lib.regularize.augment_batch` augments them.)"""
        for b in range(first, len(order) // batch_size):
            idx = order[b * batch_size:(b + 1) * batch_size]
            yield self.x_train[idx], self.y_train[idx]

    def held_out(self, batch_size: int):
        """The validation samples ``(x, y)`` in minibatches."""
        for i in range(0, len(self.y_val), batch_size):
            yield self.x_val[i:i + batch_size], self.y_val[i:i + batch_size]

    def probe(self, n: int, batch_size: int):
        """The first ``n`` training samples ``(x, y)`` in minibatches (the loop's training-loss probe)."""
        for i in range(0, min(n, len(self.y_train)), batch_size):
            yield self.x_train[i:min(i + batch_size, n)], self.y_train[i:min(i + batch_size, n)]


def fingerprint(*arrays: np.ndarray) -> str:
    """SHA-256 of the arrays' dtypes, shapes and bytes."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


# --- sources: each returns (x, y, num_classes) as numpy arrays, x shaped (N, C, ...) -------------------

# MNIST-1D's generator made harder: its shear and both noise scales twice the package's defaults (0.75, 0.25
# and 0.02), the smallest multiple (in steps of 0.25) at which ResNet-20 ends in 85–90 % where it nearly solves
# the default set (tools/calibrate_analog.py data: 94.3 % at 1.5, 90.2 % at 1.75, 85.5 % at 2; the §3 chapter
# measures it again on every build).
MNIST1D_DEFAULTS = {"shear_scale": 0.75, "corr_noise_scale": 0.25, "iid_noise_scale": 0.02}  # the package's
MNIST1D_HARD = {"shear_scale": 1.5, "corr_noise_scale": 0.5, "iid_noise_scale": 0.04}  # level 2


def _mnist1d_arrays(num_samples: int, generator: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``num_samples`` MNIST-1D sequences (length 40) of the package's default arguments updated with
    ``generator``, generated offline and cached on disk. The file is named by the package's version, which
    fixes the defaults, and by the changed arguments: reading it does not import the package (which imports
    scipy and pyplot: seconds in every worker process)."""
    version = importlib.metadata.version("mnist1d")
    changed = "".join(f"-{k}{v:g}" for k, v in sorted((generator or {}).items()))
    path = paths.data_dir() / f"mnist1d-{version}{changed}-{num_samples}.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as f:
            x, y, recorded = f["x"], f["y"], str(f["fingerprint"])
        if fingerprint(x, y) == recorded:
            return x, y
        print(f"warning: {path} does not match its recorded fingerprint; regenerating it")

    from mnist1d.data import get_dataset_args, make_dataset
    from mnist1d.utils import ObjectView

    args = get_dataset_args(as_dict=True)
    unknown = set(generator or {}) - set(args)
    if unknown:
        raise ValueError(f"unknown MNIST-1D generator arguments {sorted(unknown)}; valid: {', '.join(sorted(args))}")
    args.update(generator or {})
    args.update(num_samples=num_samples, train_split=1.0)
    d = make_dataset(ObjectView(args))
    x, y = d["x"].astype(np.float32), d["y"].astype(np.int64)
    _atomic_savez(path, x=x, y=y, fingerprint=np.array(fingerprint(x, y)))
    return x, y


def _atomic_savez(path: Path, **arrays) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
    os.replace(tmp, path)


def _source_mnist1d(total: int, root: Path | None, generator: dict | None = None):
    # Generating a larger pool than needed keeps smaller profiles a prefix-free subset of the same
    # distribution; pools come in fixed sizes so they are shared across experiments.
    pool = next(n for n in (5_000, 20_000, 70_000, 10**9) if n >= total)
    if pool == 10**9:
        pool = total
    x, y = _mnist1d_arrays(pool, generator)
    return x[:, None, :], y, 10


def _source_mnist1d_hard(total: int, root: Path | None):
    return _source_mnist1d(total, root, MNIST1D_HARD)


def _source_digits(total: int, root: Path | None):
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)
    x = (x - x.mean()) / x.std()
    return x[:, None, :, :], d.target.astype(np.int64), 10


FASHION_MNIST_DIRS = ("/usr/share/datasets/fashion-mnist",)


def _read_idx_gz(path: Path) -> np.ndarray:
    """An IDX file (the MNIST format), gzipped: magic (0, 0, dtype 0x08, ndim), big-endian dims, bytes."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: header says {dims}, found {data.size} bytes")
    return data.reshape(dims)


IDX_FILES = [f"{split}-{kind}-idx{n}-ubyte.gz" for split in ("train", "t10k") for kind, n in (("images", 3), ("labels", 1))]


def _read_idx_dataset(d: Path, mean: float, std: float):
    """The four gzipped IDX files of MNIST or Fashion-MNIST in folder ``d``, standardised."""
    xs = [_read_idx_gz(d / f"{s}-images-idx3-ubyte.gz") for s in ("train", "t10k")]
    ys = [_read_idx_gz(d / f"{s}-labels-idx1-ubyte.gz") for s in ("train", "t10k")]
    for split_name, images, labels in zip(("train", "t10k"), xs, ys):
        if len(images) != len(labels):
            raise ValueError(f"{d}: {split_name} has {len(images)} images but {len(labels)} labels")
    x = (np.concatenate(xs).astype(np.float32) / 255.0 - mean) / std
    return x[:, None, :, :], np.concatenate(ys).astype(np.int64), 10


def _source_fashion_mnist(total: int, root: Path | None):
    candidates = [root] if root else [Path(d) for d in FASHION_MNIST_DIRS]
    for d in candidates:
        if (d / "train-images-idx3-ubyte.gz").exists():
            return _read_idx_dataset(d, 0.2860, 0.3530)  # the training set's mean and std
    raise FileNotFoundError(
        "Fashion-MNIST not found: looked for train-images-idx3-ubyte.gz in "
        + ", ".join(str(c) for c in candidates)
        + " (install Debian's dataset-fashion-mnist, or pass root=DIR)")


MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"  # torchvision's mirror


def _source_mnist(total: int, root: Path | None):
    """MNIST (the ``full`` profile's dataset for LeNet): the IDX files in ``root`` or
    ``$HP_BOOK_HOME/data/mnist``, downloaded there if missing."""
    folder = root or paths.data_dir() / "mnist"
    missing = [f for f in IDX_FILES if not (folder / f).exists()]
    if missing:
        if root is not None:
            raise FileNotFoundError(f"MNIST files {', '.join(missing)} not found in {folder}")
        from torchvision.datasets.utils import download_url

        for f in missing:
            download_url(MNIST_URL + f, str(folder), f)
    return _read_idx_dataset(folder, 0.1307, 0.3081)


CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
CIFAR100_URL = "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"
CIFAR10_MEAN = np.array([0.4914, 0.4822, 0.4465], dtype=np.float32)[:, None, None]
CIFAR10_STD = np.array([0.2470, 0.2435, 0.2616], dtype=np.float32)[:, None, None]


def _read_cifar_bin(path: Path, label_bytes: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A CIFAR binary batch: records of ``label_bytes`` label bytes (CIFAR-100: coarse, then fine; the last
    one is kept) followed by 3×32×32 pixel bytes (no pickle)."""
    size = label_bytes + 3072
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size % size:
        raise ValueError(f"{path} is not a CIFAR binary batch ({raw.size} bytes is not a multiple of {size})")
    records = raw.reshape(-1, size)
    return records[:, label_bytes:].reshape(-1, 3, 32, 32), records[:, label_bytes - 1].astype(np.int64)


def _cifar(root: Path | None, folder_name: str, names: list[str], url: str, label_bytes: int, classes: int):
    """The images of the binary batches ``names`` (the official training batches, then the test batch), standardised,
    their labels, ``classes``, and how many of them are the official training images (all but the last batch's)."""
    folder = (root or paths.data_dir()) / folder_name
    files = [folder / name for name in names]
    if not all(f.exists() for f in files):
        if root is not None:
            raise FileNotFoundError(f"{folder_name} binary batches not found in {folder}")
        from torchvision.datasets.utils import download_and_extract_archive

        print(f"downloading {url} into {folder.parent}")
        download_and_extract_archive(url, str(folder.parent))
    xs, ys = zip(*(_read_cifar_bin(f, label_bytes) for f in files))
    x = (np.concatenate(xs).astype(np.float32) / 255.0 - CIFAR10_MEAN) / CIFAR10_STD
    return x, np.concatenate(ys), classes, sum(len(y) for y in ys[:-1])


def _source_cifar10(total: int, root: Path | None):
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    return _cifar(root, "cifar-10-batches-bin", names, CIFAR10_URL, 1, 10)


def _source_cifar100(total: int, root: Path | None):
    """CIFAR-100's binary version, fine labels; standardised with CIFAR-10's statistics (close, and the
    networks' first layers see the same scale)."""
    return _cifar(root, "cifar-100-binary", ["train.bin", "test.bin"], CIFAR100_URL, 2, 100)


SOURCES = {"mnist1d": _source_mnist1d, "mnist1d_hard": _source_mnist1d_hard, "digits": _source_digits, "fashion_mnist": _source_fashion_mnist,
           "mnist": _source_mnist, "cifar10": _source_cifar10, "cifar100": _source_cifar100,
           "chars": text._source_chars, "skipgram": text._source_skipgram}


STREAMED = ("imagenet",)  # read from disk as training goes (hp_lib.imagenet), not held in memory


def check_name(name: str) -> str:
    if name not in SOURCES and name not in STREAMED:
        raise ValueError(f"unknown dataset {name!r}; valid datasets: {', '.join((*SOURCES, *STREAMED))}")
    return name


DEFAULT_SIZES = {"mnist1d": (4_000, 500, 500), "mnist1d_hard": (4_000, 500, 500), "digits": (1_257, 180, 360),
                 "fashion_mnist": (55_000, 5_000, 10_000), "mnist": (50_000, 10_000, 10_000),
                 "cifar10": (50_000, 10_000, 0), "cifar100": (50_000, 10_000, 0),
                 "chars": (10_000, 2_000, 2_000), "skipgram": (100_000, 10_000, 10_000),
                 "imagenet": (1_281_167, 50_000, 0)}  # ImageNet: all of it (ILSVRC-2012) unless asked for less


def load(name: str, n_train: int | None = None, n_val: int | None = None, n_test: int | None = None,
         seed: int = 0, root: str | Path | None = None, device: str = "cpu",
         classes: tuple[int, ...] | None = None, label_noise: float = 0.0) -> Dataset:
    """Dataset ``name`` split into ``n_train`` / ``n_val`` / ``n_test`` disjoint samples.

    Sizes left as ``None`` take the dataset's default (``DEFAULT_SIZES``). The split is a seeded
    permutation, so the same arguments give the same tensors (and fingerprint) every time. ``classes``
    keeps only the samples of those classes, relabelled ``0 … len(classes) - 1`` in the order given (a
    pre-training task and a different fine-tuning task from one dataset). ``label_noise`` (in [0, 1)) gives
    that fraction of the training samples, drawn with ``seed``, another label drawn uniformly from the other
    classes (:func:`noisy_labels`).
    """
    check_name(name)
    if name in STREAMED:  # ImageNet: its training images train, its validation images (the paper's test set) test
        check_streamed(n_test, classes, label_noise)
        return _imagenet(str(Path(root) if root else paths.data_dir() / "imagenet"), n_train, n_val, seed, device)
    if classes is not None:
        classes = tuple(int(c) for c in classes)
        if not classes or len(set(classes)) != len(classes) or min(classes) < 0:
            raise ValueError(f"classes must be distinct non-negative labels, got {classes}")
    if root is not None and not Path(root).is_dir():
        raise FileNotFoundError(f"data directory {root} does not exist")
    sizes = tuple(d if n is None else int(n) for n, d in zip((n_train, n_val, n_test), DEFAULT_SIZES[name]))
    if min(sizes[:2]) < 1 or sizes[2] < 0:
        raise ValueError(f"train and validation sizes must be positive and the test size >= 0; "
                         f"got train/val/test = {sizes}")
    check_label_noise(label_noise)
    splits, num_classes = _split_arrays(name, sizes, seed, str(root) if root else None, classes)
    if label_noise:
        (x, y), *rest = splits
        splits = ((x, noisy_labels(y, label_noise, num_classes, seed)), *rest)
    # copies: the cached arrays must not change when a caller edits its tensors in place
    tensors = [torch.tensor(a, device=device) for pair in splits for a in pair]
    fp = fingerprint(*(a for pair in splits for a in pair))
    return Dataset(name, *tensors, num_classes=num_classes, fingerprint=fp)


def check_streamed(n_test, classes, label_noise) -> None:
    """ImageNet is taken as it is: its official training and validation images, every class, exact labels."""
    if n_test or classes is not None or label_noise:
        raise ValueError("ImageNet runs take the official training and validation images as they are: no test "
                         f"split (n_test 0), all classes and exact labels; got n_test={n_test}, classes={classes}, "
                         f"label_noise={label_noise}")


@lru_cache(maxsize=4)  # one listing and fingerprint of ImageNet's 1.3 million files per process and split
def _imagenet(folder: str, n_train: int | None, n_val: int | None, seed: int, device: str):
    from . import imagenet

    return imagenet.ImageNet(folder, n_train, n_val, seed, device)


@lru_cache(maxsize=8)
def _split_arrays(name: str, sizes: tuple[int, int, int], seed: int, root: str | None,
                  classes: tuple[int, ...] | None = None):
    # a source with an official split also returns how many of its leading samples are the official training set
    x, y, num_classes, *official = SOURCES[name](sum(sizes), Path(root) if root else None)
    if classes is not None:
        if max(classes) >= num_classes:
            raise ValueError(f"dataset {name!r} has classes 0..{num_classes - 1}; got {classes}")
        if not official:  # a pool of about `total` samples of all classes: ask for enough to keep `total` of these
            wanted = int(sum(sizes) * num_classes / len(classes) * 1.25)
            x, y, _ = SOURCES[name](wanted, Path(root) if root else None)
        relabel = np.full(num_classes, -1)
        relabel[list(classes)] = np.arange(len(classes))
        keep = relabel[y] >= 0
        official = [int(keep[:official[0]].sum())] if official else []
        x, y, num_classes = x[keep], relabel[y[keep]], len(classes)
    if official:
        return _official_split(name, x, y, official[0], sizes, seed), num_classes
    if sum(sizes) > len(y):
        raise ValueError(f"dataset {name!r} has {len(y)} samples; train/val/test = {sizes} asks for {sum(sizes)}")
    order = np.random.default_rng(seed).permutation(len(y))
    bounds = np.cumsum((0,) + sizes)
    splits = tuple((x[order[a:b]], y[order[a:b]]) for a, b in zip(bounds[:-1], bounds[1:]))
    return splits, num_classes


def _official_split(name: str, x: np.ndarray, y: np.ndarray, n_official_train: int, sizes: tuple[int, int, int],
                    seed: int):
    """Training samples drawn (seeded) from the first ``n_official_train`` samples, the official training set;
    validation then test samples from the rest, the official test set."""
    n_train, n_val, n_test = sizes
    n_official_test = len(y) - n_official_train
    if n_train > n_official_train or n_val + n_test > n_official_test:
        raise ValueError(f"dataset {name!r} has {n_official_train} training and {n_official_test} test samples "
                         f"(its official split); train/val/test = {sizes} asks for more")
    rng = np.random.default_rng(seed)
    train = rng.permutation(n_official_train)[:n_train]
    held_out = n_official_train + rng.permutation(n_official_test)[:n_val + n_test]
    return ((x[train], y[train]), (x[held_out[:n_val]], y[held_out[:n_val]]), (x[held_out[n_val:]], y[held_out[n_val:]]))


def check_label_noise(fraction) -> float:
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 <= fraction < 1:
        raise ValueError(f"label_noise is the fraction of training labels replaced, a number in [0, 1); "
                         f"got {fraction!r}")
    return fraction


def noisy_labels(y: np.ndarray, fraction: float, num_classes: int, seed: int) -> np.ndarray:
    """Symmetric label noise: ``round(fraction · len(y))`` samples, drawn with ``seed``, each get one of the
    other ``num_classes - 1`` classes, uniformly (so exactly that fraction of the labels is wrong)."""
    rng = np.random.default_rng([seed, 0x1abe1])  # a stream of its own: the split's permutation stays the same
    flipped = rng.choice(len(y), size=round(fraction * len(y)), replace=False)
    noisy = y.copy()
    noisy[flipped] = (y[flipped] + rng.integers(1, num_classes, size=len(flipped))) % num_classes
    return noisy
