"""How fast ImageNet reaches the training loop: hp_lib.imagenet's loader against torchvision's ``ImageFolder`` with
the usual transforms, on the same images, crops, batch size and loader processes.

The images are written here, in ImageNet's layout and at its typical sizes (300–500 pixels a side, JPEG quality
90), smooth enough to compress like photographs. Both sides squash each image to 256 × 256, take a random 230 × 230
crop and a random mirror and standardise it, in the loader processes: torchvision with ``Resize``, ``RandomCrop``,
``RandomHorizontalFlip``, ``ToTensor`` and ``Normalize``; hp_lib with the same PIL operations (decoding JPEGs at
the smallest DCT scale still ≥ 256, ``Image.draft``), its crops drawn per image. (For a GPU, hp_lib's loader
processes send uint8 pixels and the GPU standardises them: that path is not timed here.) One epoch of each, timed in turns over
``--rounds`` rounds (``interleave.py``), per number of loader processes. A GPU step of ResNet-50 at batch 128 takes
on the order of 0.1 s, so a loader must deliver about 1,300 images/s to keep it busy.

Prints one JSON line: images per second of each side and the ratio (torchvision's time over hp_lib's).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader

from hp_lib import imagenet
from interleave import interleaved


def write_images(root: Path, n: int, classes: int = 4) -> None:
    rng = np.random.default_rng(0)
    for split, count in (("train", n), ("val", classes)):
        for i in range(count):
            folder = root / split / f"n{i % classes:08d}"
            folder.mkdir(parents=True, exist_ok=True)
            h, w = rng.integers(300, 501, size=2)
            smooth = rng.normal(size=(h // 16 + 2, w // 16 + 2, 3))
            image = Image.fromarray(np.uint8(np.clip(128 + 60 * smooth, 0, 255))).resize((w, h), Image.BICUBIC)
            noisy = np.asarray(image, dtype=np.int16) + rng.integers(-8, 9, size=(h, w, 3))
            Image.fromarray(np.uint8(np.clip(noisy, 0, 255))).save(folder / f"{i}.JPEG", quality=90)


def hp_lib_epoch(root: Path, batch_size: int, workers: int) -> float:
    data = imagenet.ImageNet(root, workers=workers)
    order = torch.randperm(len(data.y_train))
    start = time.perf_counter()
    for x, y in data.epoch(order, batch_size):
        pass
    return time.perf_counter() - start


def torchvision_epoch(root: Path, batch_size: int, workers: int) -> float:
    from torchvision import datasets, transforms

    transform = transforms.Compose([
        transforms.Resize((imagenet.RESIZE, imagenet.RESIZE)), transforms.RandomCrop(imagenet.CROP),
        transforms.RandomHorizontalFlip(), transforms.ToTensor(),
        transforms.Normalize(imagenet.MEAN.tolist(), imagenet.STD.tolist())])
    loader = DataLoader(datasets.ImageFolder(str(root / "train"), transform), batch_size=batch_size, shuffle=True,
                        num_workers=workers, drop_last=True, prefetch_factor=4)
    start = time.perf_counter()
    for x, y in loader:
        pass
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "imagenet"
        write_images(root, args.images)
        images = args.images // args.batch * args.batch
        for workers in args.workers:
            timed = interleaved({"torchvision": lambda: torchvision_epoch(root, args.batch, workers),
                                 "hp_lib": lambda: hp_lib_epoch(root, args.batch, workers)}, args.rounds)
            results[workers] = {"hp_lib_images_per_s": round(images / timed["hp_lib"]["seconds"]),
                                "torchvision_images_per_s": round(images / timed["torchvision"]["seconds"]),
                                "ratio_vs_torchvision": round(timed["hp_lib"]["speedup"], 2)}
            print(f"{workers} loader processes: hp_lib {results[workers]['hp_lib_images_per_s']:,} images/s, "
                  f"torchvision {results[workers]['torchvision_images_per_s']:,} "
                  f"({results[workers]['ratio_vs_torchvision']:.2f}x)")
    print(json.dumps({"bench": "imagenet_loader", "images": images, "batch": args.batch, "workers": results}))


if __name__ == "__main__":
    main()
