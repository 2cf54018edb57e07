"""ImageNet (ILSVRC-2012) from a local folder, streamed: the ``full`` profile's data for Figs. 3b, 4b and 16.

ImageNet cannot be downloaded without an account and cannot be generated, and no other dataset can stand in
for it at the paper's scale: the library never fetches it and has no substitute at ``full``. A reader who has it
passes its folder (``--data-dir DIR``: ``DIR/imagenet``), laid out as torchvision's ``ImageFolder`` reads it::

    DIR/imagenet/train/n01440764/*.JPEG    (1,000 class folders, 1,281,167 images)
    DIR/imagenet/val/n01440764/*.JPEG      (the same 1,000 folders, 50,000 images)

(the validation images sorted into their class folders, as the usual ``valprep.sh`` does). The validation set
is the paper's test set (its Caffe nets test on it), so it is this dataset's validation split and there is no
test split.

The preprocessing is the author's Caffe pipeline: images squashed to 256 × 256 (the LMDB his solvers read,
``…/256/``), a random 230 × 230 crop and a random mirror for training (``crop_size: 230``, ``mirror: true`` in
``resnet50.prototxt``), the centre crop for testing; pixels standardised per channel (Caffe subtracted a mean
image; the networks' batch norm makes the scale immaterial). The random crop and mirror of an image are drawn
from (run seed, epoch, image), so the same run sees the same pixels whatever the number of loader processes.

The data's fingerprint, which enters every cache key, is a SHA-256 of the files' names and sizes, the split
sizes and seed, and this module's source (the preprocessing).
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

RESIZE, CROP = 256, 230
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)  # ImageNet's channel means and deviations
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
EXTENSIONS = (".jpeg", ".jpg", ".png")
NEEDED = ("ImageNet is read from a folder you give (--data-dir DIR, with DIR/imagenet/train/<class>/*.JPEG and "
          "DIR/imagenet/val/<class>/*.JPEG); it cannot be downloaded, and nothing else stands in for it at the full "
          "profile")


@lru_cache(maxsize=4)
def index(folder: str) -> tuple[tuple[str, ...], tuple[tuple[str, int, int], ...], tuple[tuple[str, int, int], ...]]:
    """The classes (sorted folder names) and, for ``train`` and ``val``, every image as (path relative to
    ``folder``, label, size in bytes), sorted by path."""
    root = Path(folder)
    splits = {}
    for split in ("train", "val"):
        if not (root / split).is_dir():
            raise FileNotFoundError(f"{root / split} does not exist. {NEEDED}.")
        splits[split] = sorted(d.name for d in os.scandir(root / split) if d.is_dir())
    classes = splits["train"]
    if not classes:
        raise FileNotFoundError(f"{root / 'train'} has no class folders. {NEEDED}.")
    if splits["val"] != classes:
        missing = sorted(set(classes) ^ set(splits["val"]))[:5]
        raise ValueError(f"{root / 'val'} must hold the same class folders as {root / 'train'} (the validation "
                         f"images sorted by class); they differ in {missing}")
    images = {}
    for split in ("train", "val"):
        found = []
        for label, name in enumerate(tqdm(classes, desc=f"listing {root / split}", unit="class",
                                          disable=len(classes) < 100)):
            for entry in os.scandir(root / split / name):
                if entry.name.lower().endswith(EXTENSIONS):
                    found.append((f"{split}/{name}/{entry.name}", label, entry.stat().st_size))
        if not found:
            raise FileNotFoundError(f"{root / split} holds no images ({', '.join(EXTENSIONS)}). {NEEDED}.")
        images[split] = tuple(sorted(found))
    return tuple(classes), images["train"], images["val"]


class Images(torch.utils.data.Dataset):
    """Images and their labels by key ``(i, draw)``: image ``i``, decoded, squashed to 256², cropped to 230²
    (where ``draw`` is a seed: a random crop and mirror drawn from (draw, i); ``None``: the centre crop), as
    CHW pixels: uint8 (``as_bytes``: a GPU standardises them after a copy four times smaller) or standardised
    float32 (here, in the loader processes, for a CPU)."""

    def __init__(self, root: Path, images: list[tuple[str, int, int]], as_bytes: bool = False):
        # arrays, not lists of Python objects: a loader process that reads a list's items touches their reference
        # counts and so copies the pages it forked (the memory of every process grows toward the list's size)
        self.root, self.as_bytes = root, as_bytes
        self.paths = np.array([p.encode() for p, _, _ in images])
        self.labels = np.array([y for _, y, _ in images], dtype=np.int64)

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, key: tuple[int, int | None]) -> tuple[torch.Tensor, int]:
        from PIL import Image

        i, draw = key
        path = self.root / self.paths[i].decode()
        try:
            with Image.open(path) as image:
                image.draft("RGB", (RESIZE, RESIZE))  # JPEG: decode at the smallest scale still >= 256 (fast)
                resized = image.convert("RGB").resize((RESIZE, RESIZE), Image.BILINEAR)
        except OSError as e:  # a damaged or truncated file: name it (the loader process's traceback would not)
            raise OSError(f"cannot read the image {path}: {e}") from e
        if draw is None:
            top = left = (RESIZE - CROP) // 2
            mirror = False
        else:
            rng = np.random.default_rng([draw, i])
            top, left = (int(v) for v in rng.integers(0, RESIZE - CROP + 1, size=2))
            mirror = rng.random() < 0.5
        crop = resized.crop((left, top, left + CROP, top + CROP))
        if mirror:
            crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        pixels = torch.from_numpy(np.array(crop)).permute(2, 0, 1).contiguous()
        return (pixels if self.as_bytes else standardise(pixels)), int(self.labels[i])


class ImageNet:
    """The training and validation images of an ImageNet folder, streamed to ``device`` in minibatches by
    loader processes. It answers what the training loop asks of a dataset (:class:`hp_lib.data.Dataset`): the
    labels, ``input_shape``, ``num_classes``, the minibatches of an epoch and of the held-out images."""

    name = "imagenet"
    input_shape = (3, CROP, CROP)

    def __init__(self, folder: str | Path, n_train: int | None = None, n_val: int | None = None, seed: int = 0,
                 device: str = "cpu", workers: int | None = None):
        self.folder, self.device = Path(folder), device
        classes, train, val = index(str(self.folder))
        self.num_classes = len(classes)
        rng = np.random.default_rng(seed)
        picked = []
        for split, images, n in (("training", train, n_train), ("validation", val, n_val)):
            if n is not None and not 1 <= n <= len(images):
                raise ValueError(f"{self.folder} has {len(images):,} {split} images; asked for {n:,}")
            keep = np.sort(rng.permutation(len(images))[:n]) if n is not None else np.arange(len(images))
            picked.append([images[i] for i in keep])
        train, val = picked
        on_gpu = torch.device(device).type == "cuda"
        self.train, self.val = Images(self.folder, train, on_gpu), Images(self.folder, val, on_gpu)
        self.y_train = torch.from_numpy(self.train.labels).to(device)
        self.y_val = torch.from_numpy(self.val.labels).to(device)
        self.workers = workers if workers is not None else max(1, min(16, (os.cpu_count() or 2) - 1))
        h = hashlib.sha256(Path(__file__).read_bytes())
        h.update(repr((n_train, n_val, seed)).encode())
        for p, y, size in train + val:
            h.update(f"{p}\0{y}\0{size}\n".encode())
        self.fingerprint = h.hexdigest()

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.y_train), "val": len(self.y_val), "test": 0}

    def epoch(self, order: torch.Tensor, batch_size: int, first: int = 0, draw: int = 0):
        """The training minibatches ``(x, y)`` of one epoch: the images in ``order`` (the last partial batch
        dropped), from the ``first``-th minibatch on; crops and mirrors drawn with seed ``draw``."""
        order = order.cpu()[first * batch_size:len(order) // batch_size * batch_size].tolist()
        return self._batches(self.train, [(i, draw) for i in order], batch_size)

    def held_out(self, batch_size: int):
        """The validation images ``(x, y)`` in minibatches, centre-cropped."""
        return self._batches(self.val, [(i, None) for i in range(len(self.val))], batch_size)

    def probe(self, n: int, batch_size: int):
        """The first ``n`` training images ``(x, y)``, centre-cropped (the loop's training-loss probe)."""
        return self._batches(self.train, [(i, None) for i in range(min(n, len(self.train)))], batch_size)

    def _batches(self, images: Images, keys: list, batch_size: int):
        loader = DataLoader(images, batch_size=batch_size, sampler=keys, num_workers=self.workers,
                            pin_memory=torch.device(self.device).type == "cuda", prefetch_factor=4)
        for x, y in loader:
            x = x.to(self.device, non_blocking=True)
            yield standardise(x) if images.as_bytes else x, y.to(self.device, non_blocking=True)


def standardise(pixels: torch.Tensor) -> torch.Tensor:
    """uint8 RGB pixels, channels first (one image or a batch), as float32 standardised per channel."""
    mean, std = (torch.from_numpy(v).to(pixels.device).view(3, 1, 1) for v in (MEAN, STD))
    return pixels.float().div_(255).sub_(mean).div_(std)
