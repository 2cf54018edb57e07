"""The paper's architectures in their 1-D and 2-D forms."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from hp_lib import models

INPUTS = {"1d": (1, 40), "2d": (3, 32, 32)}


IMAGENET_MODELS = ("resnet50", "inception_resnet_v2")  # reference implementations, RGB images only
IMAGE_MODELS = sorted(set(models.MODELS) - {"char_lstm", "skipgram", *IMAGENET_MODELS})  # text models take token ids


@pytest.mark.parametrize("name", IMAGE_MODELS)
@pytest.mark.parametrize("form", sorted(INPUTS))
def test_every_model_builds_and_gives_logits(name, form):
    torch.manual_seed(0)
    shape = INPUTS[form]
    model = models.build(name, shape, num_classes=7)
    x = torch.randn(3, *shape)
    out = model(x)
    assert out.shape == (3, 7)
    assert torch.isfinite(out).all()
    model.eval()
    with torch.no_grad():
        assert model(x[:1]).shape == (1, 7)
    # the input form decides the convolution type: 1-D convolutions run as 2-D ones over rows
    convs = [m for m in model.modules() if isinstance(m, (nn.Conv1d, nn.Conv2d))]
    expected = models.RowConv if form == "1d" else nn.Conv2d
    assert all(type(m) is expected for m in convs)
    if name != "mlp":
        assert convs


# Published sizes at 1,000 classes: torchvision's ResNet-50 docs (25,557,032) and timm's Inception-ResNet-v2
# (55.84 M, as Szegedy et al.'s reference implementation)
IMAGENET_PARAMETERS = {"resnet50": 25_557_032, "inception_resnet_v2": 55_843_464}


@pytest.mark.parametrize("name", IMAGENET_MODELS)
def test_imagenet_models_are_the_reference_networks(name):
    torch.manual_seed(0)
    assert models.num_parameters(models.build(name, (3, 230, 230), num_classes=1000)) == IMAGENET_PARAMETERS[name]
    model = models.build(name, (3, 96, 96), num_classes=7)
    out = model(torch.randn(2, 3, 96, 96))
    assert out.shape == (2, 7) and torch.isfinite(out).all()
    with pytest.raises(ValueError, match=r"takes RGB images \(3, H, W\); got inputs of shape \(1, 40\)"):
        models.build(name, (1, 40))


@pytest.mark.parametrize("name", models.CONV_MODELS)
@pytest.mark.parametrize("form", sorted(INPUTS))
def test_the_channels_last_form_computes_what_the_plain_one_does(name, form):
    """From the same seed, the default form (channels-last, 1-D as rows) and the usual PyTorch form
    (Conv1d, NCHW) have the same weights, outputs and gradients."""
    shape = INPUTS[form]
    built = {}
    for plain in (False, True):
        torch.manual_seed(0)
        model = models.build(name, shape, num_classes=7, plain=plain).eval()
        torch.manual_seed(1)
        x = torch.randn(4, *shape)
        out = model(x)
        out.square().sum().backward()
        built[plain] = (out, [(n, p.detach(), p.grad) for n, p in model.named_parameters()])
    (fast, fast_params), (plain, plain_params) = built[False], built[True]
    torch.testing.assert_close(fast, plain, rtol=1e-4, atol=1e-5)
    for (name_f, p_f, g_f), (name_p, p_p, g_p) in zip(fast_params, plain_params, strict=True):
        assert name_f == name_p
        torch.testing.assert_close(p_f.reshape(p_p.shape), p_p, rtol=0, atol=0)
        # sums in another order: each gradient agrees to a thousandth of its largest entry
        torch.testing.assert_close(g_f.reshape(g_p.shape), g_p, rtol=1e-3, atol=1e-3 * float(g_p.abs().max()))


@pytest.mark.parametrize("name,published", [("resnet20", 0.27e6), ("resnet56", 0.85e6)])
def test_cifar_resnet_parameter_counts(name, published):
    n = models.num_parameters(models.build(name, (3, 32, 32), 10))
    assert abs(n - published) / published < 0.03, n


@pytest.mark.parametrize("name,depth,channels", [("resnet20", 20, [16, 32, 64]), ("resnet56", 56, [16, 32, 64]),
                                                  ("wrn32_4", 32, [16, 64, 256])])
def test_cifar_resnet_depth(name, depth, channels):
    """6n+2 weighted layers: the stem, 6n 3x3 convolutions in the blocks and the classifier."""
    model = models.build(name, (3, 32, 32), 10)
    convs3 = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3)]
    fcs = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert len(convs3) + len(fcs) == depth
    assert sorted({m.out_channels for m in convs3}) == channels


def test_lenet_is_caffes_mnist_lenet():
    """Caffe's examples/mnist LeNet on 28x28 inputs has 431,080 parameters: 20·25+20, 50·20·25+50,
    500·800+500, 10·500+10."""
    model = models.build("lenet", (1, 28, 28), 10)
    assert models.num_parameters(model) == 520 + 25_050 + 400_500 + 5_010


def test_densenet40_layout():
    """DenseNet-40 with growth 12: 36 3x3 layers (3 blocks of 12), widths 160 and 304 at the transitions,
    448 features before the classifier, about 1.0M parameters on CIFAR (Huang et al., Table 2), dropout
    after every convolution."""
    model = models.build("densenet40", (3, 32, 32), 10)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert sum(m.kernel_size == (3, 3) for m in convs) == 37  # the stem and 36 layers
    assert [m.out_channels for m in convs if m.kernel_size == (1, 1)] == [160, 304]
    assert model.fc.in_features == 448
    assert abs(models.num_parameters(model) - 1.0e6) / 1.0e6 < 0.05
    assert sum(isinstance(m, nn.Dropout) for m in model.modules()) == len(convs) - 1


def test_densenet_rejects_depth_not_3n_plus_4():
    with pytest.raises(ValueError, match="3n"):
        models.DenseNet((1, 40), depth=41)


def test_unknown_model_names_valid_ones():
    with pytest.raises(ValueError) as e:
        models.build("nope", (1, 40), 10)
    for name in models.MODELS:
        assert name in str(e.value)


@pytest.mark.parametrize("depth", [21, 18, 0])
def test_resnet_rejects_depth_not_6n_plus_2(depth):
    with pytest.raises(ValueError, match="6n"):
        models.ResNet(depth, (3, 32, 32))


def test_wide_resnet_depth_can_shrink():
    model = models.build("wrn32_4", (1, 40), 10, depth=14)
    convs3 = [m for m in model.modules() if isinstance(m, models.RowConv) and m.kernel_size == (1, 3)]
    assert len(convs3) == 13 and {m.out_channels for m in convs3} == {16, 64, 256}


def test_resnet_accepts_other_6n_plus_2_depths():
    model = models.ResNet(8, (3, 16, 16), num_classes=5)
    assert model(torch.randn(2, 3, 16, 16)).shape == (2, 5)


def test_three_spatial_dims_rejected():
    with pytest.raises(ValueError, match="spatial"):
        models.build("three_layer", (1, 8, 8, 8), 10)


def _convs(model):
    return [m for m in model.modules() if isinstance(m, (nn.Conv1d, nn.Conv2d))]


def test_three_layer_same_in_1d_and_2d():
    c1 = _convs(models.build("three_layer", (1, 40), 10))
    c2 = _convs(models.build("three_layer", (3, 32, 32), 10))
    assert len(c1) == len(c2) == 3
    assert [m.out_channels for m in c1] == [m.out_channels for m in c2] == [32, 32, 64]
    assert [m.kernel_size for m in c1] == [(1, 5)] * 3  # 1-D convolutions over rows
    assert all(m.kernel_size == (5, 5) for m in c2)


def test_mlp_width_and_depth():
    model = models.build("mlp", (1, 40), 10, width=32, depth=3)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(40, 32), (32, 32), (32, 32), (32, 10)]
    assert models.num_parameters(model) == 40 * 32 + 32 + 2 * (32 * 32 + 32) + 32 * 10 + 10


def test_within_channel_lrn_formula():
    lrn = models.WithinChannelLRN(models.form((1, 3), plain=True), size=3, alpha=0.5, beta=0.75)
    x = torch.tensor([[[1.0, 2.0, 3.0]]])
    mean_sq = torch.tensor([(0 + 1 + 4) / 3, (1 + 4 + 9) / 3, (4 + 9 + 0) / 3])  # zero padding counted
    expected = x / (1 + 0.5 * mean_sq) ** 0.75
    assert torch.allclose(lrn(x), expected)
    rows = models.WithinChannelLRN(models.form((1, 3)), size=3, alpha=0.5, beta=0.75)
    assert torch.allclose(rows(models.channels_last(x)).squeeze(2), expected)
