"""Regularizers: dropout kinds, DropConnect, stochastic depth, augmentations and weight averaging, against
torch's own layers and closed forms."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from hp_lib import models, regularize


def monte_carlo_mean(layer: nn.Module, x: torch.Tensor, samples: int) -> torch.Tensor:
    layer.train()
    with torch.no_grad():
        return sum(layer(x) for _ in range(samples)) / samples


@pytest.mark.parametrize("kind", regularize.DROPOUT_KINDS)
def test_dropout_kinds_match_their_test_time_output_in_expectation(kind):
    torch.manual_seed(0)
    layer, x = regularize.Dropout(0.5, kind), torch.rand(2000) + 0.5
    mean = monte_carlo_mean(layer, x, 400)
    layer.eval()
    test = layer(x)
    # a mean of 400 masks: relative error 0.05 per element (standard deviation), no bias overall
    relative = (mean - test) / test
    assert relative.abs().mean() < 0.05 and relative.mean().abs() < 0.005
    assert torch.equal(test, x * 0.5 if kind == "vanilla" else x)


def test_inverted_dropout_is_torchs_in_distribution():
    torch.manual_seed(0)
    x = torch.ones(100_000)
    ours, theirs = regularize.Dropout(0.3)(x), nn.Dropout(0.3)(x)
    for out in (ours, theirs):
        values = out.unique()
        assert len(values) == 2 and values[0] == 0 and values[1] == pytest.approx(1 / 0.7)
    assert float((ours == 0).float().mean()) == pytest.approx(float((theirs == 0).float().mean()), abs=0.01)


def test_bad_dropout_settings():
    with pytest.raises(ValueError, match=r"in \[0, 1\)"):
        regularize.Dropout(1.0)
    with pytest.raises(ValueError, match="inverted"):
        regularize.Dropout(0.5, "scaled")


def test_dropconnect_is_a_linear_layer_at_test_time_and_in_expectation():
    torch.manual_seed(0)
    layer, x = regularize.DropConnectLinear(20, 5, drop=0.5), torch.randn(3, 20)
    reference = nn.Linear(20, 5)
    reference.load_state_dict(layer.state_dict())
    layer.eval()
    torch.testing.assert_close(layer(x), reference(x))
    mean = monte_carlo_mean(layer, x, 4000)
    assert (mean - reference(x)).abs().max() < 0.1 * reference(x).abs().max()


def test_drop_path_drops_whole_samples():
    torch.manual_seed(0)
    branch = torch.ones(10_000, 4, 3)
    out = regularize.drop_path(branch, 0.25, training=True)
    per_sample = out.flatten(1)
    assert ((per_sample == 0).all(1) | (per_sample == 1 / 0.75).all(1)).all()
    assert (per_sample[:, 0] == 0).float().mean() == pytest.approx(0.25, abs=0.02)
    assert torch.equal(regularize.drop_path(branch, 0.25, training=False), branch)


def test_resnet_stochastic_depth_follows_the_linear_rule():
    model = models.build("resnet20", (1, 40), 10, drop_path=0.5)
    drops = [b.drop_path for b in model.blocks]
    assert drops == pytest.approx([0.5 * (i + 1) / 9 for i in range(9)])


def test_mlp_regularizer_options():
    torch.manual_seed(0)
    plain = models.build("mlp", (1, 8, 8), 10, width=16)
    torch.manual_seed(0)
    small = models.build("mlp", (1, 8, 8), 10, width=16, init_scale=0.01, dropout=0.5, dropconnect=0.3)
    assert isinstance(small.net[1], regularize.DropConnectLinear)
    assert any(isinstance(m, regularize.Dropout) for m in small.net)
    torch.testing.assert_close(small.net[1].weight, 0.01 * plain.net[1].weight)


def images(b=6, c=3, h=9, w=9):
    return torch.arange(b * c * h * w, dtype=torch.float32).reshape(b, c, h, w) + 1


def test_flip_mirrors_some_images():
    torch.manual_seed(0)
    x = images(64)
    out = regularize.flip(x)
    same = (out == x).flatten(1).all(1)
    mirrored = (out == x.flip(-1)).flatten(1).all(1)
    assert (same | mirrored).all() and same.any() and mirrored.any()


def test_random_crop_is_a_window_of_the_padded_image():
    torch.manual_seed(0)
    x, pad = images(20), 2
    out = regularize.random_crop(x, pad)
    padded = torch.nn.functional.pad(x, (pad,) * 4)
    for i in range(len(x)):
        windows = [padded[i, :, dy:dy + 9, dx:dx + 9] for dy in range(2 * pad + 1) for dx in range(2 * pad + 1)]
        assert any(torch.equal(out[i], w) for w in windows)


def test_cutout_zeroes_a_square():
    torch.manual_seed(0)
    x = images(200, c=1, h=16, w=16)
    out = regularize.cutout(x, 4)
    zeros = (out == 0).flatten(1).sum(1)
    assert zeros.max() == 16 and zeros.min() >= 4  # a corner square keeps at least 2×2 inside
    assert ((out == 0) | (out == x)).all()


def test_mixup_blends_pairs_of_the_batch():
    torch.manual_seed(0)
    x, y = images(8), torch.arange(8)
    mixed, y_a, y_b, lam = regularize.mixup(x, y, alpha=0.4)
    assert 0 <= lam <= 1 and torch.equal(y_a, y)
    torch.testing.assert_close(mixed, lam * x + (1 - lam) * x[y_b])


def test_color_jitter_without_range_is_identity_and_pca_jitter_shifts_each_image():
    torch.manual_seed(0)
    x = torch.rand(5, 3, 7, 7)
    torch.testing.assert_close(regularize.color_jitter(x, 0.0, 0.0), x)
    shift = regularize.pca_jitter(x, std=0.5) - x
    assert torch.allclose(shift, shift[:, :, :1, :1].expand_as(shift))  # one RGB vector per image


def test_scale_crop_size_and_bad_scale():
    torch.manual_seed(0)
    image = torch.rand(3, 40, 60)
    assert regularize.scale_crop(image, 1.5, 16).shape == (3, 16, 16)
    with pytest.raises(ValueError, match="scale must be >= 1"):
        regularize.scale_crop(image, 0.5, 16)


def test_augment_spec_is_checked():
    with pytest.raises(ValueError, match="unknown augmentation 'rotate'"):
        regularize.check_augment({"rotate": 10})
    with pytest.raises(ValueError, match="non-negative int"):
        regularize.check_augment({"crop": -1})
    with pytest.raises(ValueError, match="image batches"):
        regularize.augment_batch(torch.zeros(4, 40), torch.zeros(4), {"flip": True})


def test_ema_matches_torchs_averaged_model():
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))
    ours = regularize.EMA(model, 0.9)
    theirs = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9), use_buffers=True)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(20):
        loss = model(torch.randn(16, 4)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        ours.update(model)
        theirs.update_parameters(model)
    for a, b in zip(ours.model.state_dict().values(), theirs.module.state_dict().values()):
        if a.dtype.is_floating_point:  # torch also averages BN's batch counter; ours keeps the count
            torch.testing.assert_close(a, b)
