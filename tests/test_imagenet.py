"""ImageNet read from a folder in the layout torchvision's ImageFolder reads (the files are written here, JPEGs of
several sizes in class folders): labels, crops, standardisation, reproducible random crops, and a run that trains
on it, stops at a snapshot and continues exactly as the uninterrupted run."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import torchvision
from PIL import Image

from hp_lib import data, imagenet
from hp_lib.train import RunConfig, train

CLASSES = ("n01440764", "n01443537", "n01484850")  # ImageNet's first three class folders


def write_imagenet(root: Path, per_class: dict[str, int]) -> Path:
    rng = np.random.default_rng(0)
    for split, n in per_class.items():
        for c in CLASSES:
            (root / split / c).mkdir(parents=True, exist_ok=True)
            for i in range(n):
                h, w = rng.integers(200, 420, size=2)
                pixels = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(root / split / c / f"{c}_{i}.JPEG", quality=90)
    (root / "train" / CLASSES[0] / "README.txt").write_text("not an image")
    return root


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return write_imagenet(tmp_path_factory.mktemp("data") / "imagenet", {"train": 6, "val": 2})


def test_the_labels_are_torchvisions_imagefolder_labels(folder):
    d = data.load("imagenet", root=folder)
    reference = torchvision.datasets.ImageFolder(str(folder / "train"))
    assert d.num_classes == 3 and d.input_shape == (3, 230, 230)
    assert d.sizes() == {"train": 18, "val": 6, "test": 0}
    assert d.y_train.tolist() == reference.targets
    assert [str(folder / p.decode()) for p in d.train.paths] == [path for path, _ in reference.samples]
    assert d.fingerprint == data.load("imagenet", root=folder).fingerprint
    subset = data.load("imagenet", n_train=9, n_val=3, root=folder)
    assert subset.sizes() == {"train": 9, "val": 3, "test": 0} and subset.fingerprint != d.fingerprint


def test_the_centre_crop_is_standardised(tmp_path):
    root = write_imagenet(tmp_path / "imagenet", {"train": 1, "val": 1})
    pixels = np.random.default_rng(1).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(root / "val" / CLASSES[0] / f"{CLASSES[0]}_0.png")
    d = imagenet.ImageNet(root)
    i = d.val.paths.tolist().index(f"val/{CLASSES[0]}/{CLASSES[0]}_0.png".encode())
    x, y = next(iter(d.held_out(batch_size=len(d.val))))
    expected = torch.tensor(pixels[13:243, 13:243].transpose(2, 0, 1), dtype=torch.float32)
    expected = (expected / 255 - torch.tensor(imagenet.MEAN)[:, None, None]) / torch.tensor(imagenet.STD)[:, None, None]
    torch.testing.assert_close(x[i], expected)
    assert y.tolist() == d.y_val.tolist()


def test_random_crops_repeat_for_the_same_draw_whatever_the_loader_processes(folder):
    order = torch.randperm(18, generator=torch.Generator().manual_seed(0))

    def epoch(workers, draw, first=0):
        d = imagenet.ImageNet(folder, workers=workers)
        return list(d.epoch(order, batch_size=4, first=first, draw=draw))

    one, two = epoch(1, draw=5), epoch(2, draw=5)
    assert len(one) == 4  # 18 images in batches of 4: the last partial batch dropped
    for (x1, y1), (x2, y2), b in zip(one, two, range(4)):
        assert torch.equal(x1, x2) and torch.equal(y1, y2)
        assert y1.tolist() == [data.load("imagenet", root=folder).y_train[i].item() for i in order[4 * b:4 * b + 4]]
    assert not torch.equal(one[0][0], epoch(1, draw=6)[0][0])  # another epoch, other crops
    assert torch.equal(epoch(1, draw=5, first=2)[0][0], one[2][0])  # resuming mid-epoch: the same minibatches


def test_a_run_on_imagenet_continues_from_its_snapshot_as_if_never_stopped(folder, monkeypatch):
    monkeypatch.setenv("HP_BOOK_DATA", str(folder.parent))
    cfg = RunConfig(dataset="imagenet", n_test=0, model="resnet20", steps=6, batch_size=4, eval_every=3, lr=0.05,
                    snapshot_at=(3,))
    snapshots = {}
    whole = train(cfg, on_snapshot=lambda step, state: snapshots.__setitem__(step, state))
    assert whole.attrs["status"] == "ok" and whole["val_loss"].notna().sum() == 3
    continued = train(cfg.replace(start_from={"run": cfg.to_dict(), "step": 3}), state=snapshots[3])
    columns = ["step", "lr", "train_loss", "val_loss", "val_acc"]
    after = lambda h: h[h["step"] >= 2][columns].reset_index(drop=True)  # noqa: E731 (from the snapshot's evaluation on)
    pd.testing.assert_frame_equal(after(continued).iloc[1:], after(whole).iloc[1:])
    assert after(continued)["val_loss"][0] == after(whole)["val_loss"][0]


def test_a_folder_that_is_not_imagenet_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"imagenet/train does not exist.*--data-dir DIR"):
        data.load("imagenet", root=tmp_path / "imagenet")
    root = write_imagenet(tmp_path / "imagenet", {"train": 1, "val": 1})
    (root / "val" / CLASSES[2] / f"{CLASSES[2]}_0.JPEG").rename(root / "val" / f"{CLASSES[2]}_0.JPEG")
    (root / "val" / CLASSES[2]).rmdir()
    imagenet.index.cache_clear()
    with pytest.raises(ValueError, match=r"must hold the same class folders.*n01484850"):
        data.load("imagenet", root=root)


def test_a_damaged_image_is_named(tmp_path):
    root = write_imagenet(tmp_path / "imagenet", {"train": 2, "val": 1})
    damaged = root / "train" / CLASSES[1] / f"{CLASSES[1]}_0.JPEG"
    damaged.write_bytes(damaged.read_bytes()[:40])  # a truncated download
    d = imagenet.ImageNet(root)
    with pytest.raises(Exception, match=f"cannot read the image {damaged}"):
        list(d.epoch(torch.arange(6), batch_size=6))


def test_bytes_for_a_gpu_standardise_to_the_same_pixels(folder):
    """On a GPU the loader processes send uint8 pixels and the device standardises them; on a CPU they send the
    standardised floats: the same numbers either way."""
    classes, train, _ = imagenet.index(str(folder))
    as_floats, as_bytes = imagenet.Images(folder, list(train)), imagenet.Images(folder, list(train), as_bytes=True)
    for key in ((0, None), (5, 3), (17, 8)):
        (floats, y1), (pixels, y2) = as_floats[key], as_bytes[key]
        assert pixels.dtype == torch.uint8 and y1 == y2
        torch.testing.assert_close(imagenet.standardise(pixels[None])[0], floats)
