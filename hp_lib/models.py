"""The paper's architectures, each in a 1-D form (for MNIST-1D) and a 2-D form (for images).

The input shape decides the form: ``(C, L)`` builds 1-D layers, ``(C, H, W)`` 2-D ones; depths, widths,
normalisation and shortcuts are the same in both. The 1-D layers are 2-D layers over inputs of height 1
(``RowConv`` and the row pools): with activations in the channels-last layout, which both forms use, the
CPU's convolution kernels train them about 1.3 times as fast as ``Conv1d`` (benchmarks/train_loop.py).
Models take ``(N, C, L)`` or ``(N, C, H, W)`` batches as they are.

* ``three_layer``: Caffe's ``cifar10_full`` net that Smith calls "3-layer" (``cifar3.prototxt``): three
  5-wide convolutions with 32/32/64 filters, max then average pooling (3, stride 2), within-channel local
  response normalisation, and one fully connected layer. The 2-D form has the file's per-parameter
  multipliers (biases learn at twice the rate, the classifier's weights decay at 250 times the weight decay)
  and takes inputs at the file's scale (mean-subtracted pixel values, so standardised inputs times 64); the
  1-D form, plain weight decay on standardised inputs (why: the class).
* ``resnet20`` / ``resnet56``: the CIFAR ResNets of He et al. (2016), depth 6n+2 with n = 3 / 9 basic
  blocks per stage at 16/32/64 channels, batch norm, projection (1×1) shortcuts where the shape changes.
* ``wrn32_4``: the author's 32-layer wide ResNet (``wide32cifar.prototxt``): the same basic blocks, 5 per
  stage, at 16/64/256 channels (four times wider per stage instead of two, as in the author's file); ``depth``
  shrinks it (6n+2) where a CPU budget forces it.
* ``densenet40``: DenseNet-40 (Huang et al. 2017, as in ``genDensenet40.prototxt``): three dense blocks of 12
  BN-ReLU-conv layers with growth 12, dropout 0.2 after every convolution, 1×1 transitions with pooling;
  ``depth`` (3n+4) shrinks it.
* ``lenet``: Caffe's MNIST LeNet: 20 and 50 5-wide convolutions, each followed by 2-pooling, FC 500, ReLU,
  FC 10.
* ``mlp``: ``depth`` hidden layers of ``width`` ReLU units (the capacity sweeps; the lecture's dropout,
  DropConnect and initialisation-scale runs).
* ``char_lstm``, ``skipgram``: the text tasks' models (:mod:`hp_lib.sequence_models`).
* ``resnet50``, ``inception_resnet_v2``: the paper's ImageNet networks (the ``full`` profile's Figs. 3b, 4b and
  16), 2-D only: torchvision's ResNet-50 (He et al. 2016) and timm's Inception-ResNet-v2 (Szegedy et al. 2017),
  untrained, their batches taken channels-last.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn
import torch.nn.functional as F

from . import regularize, sequence_models


class RowConv(nn.Conv2d):
    """``Conv1d(c_in, c_out, kernel_size, stride, padding)`` as a 2-D convolution over rows: inputs
    ``(N, C, 1, L)``, a ``1 × kernel_size`` kernel."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int, stride: int = 1, padding: int = 0, bias: bool = True):
        super().__init__(c_in, c_out, (1, kernel_size), (1, stride), (0, padding), bias=bias)


class RowMaxPool(nn.MaxPool2d):
    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0, ceil_mode: bool = False):
        super().__init__((1, kernel_size), (1, stride or kernel_size), (0, padding), ceil_mode=ceil_mode)


class RowAvgPool(nn.AvgPool2d):
    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0, ceil_mode: bool = False):
        super().__init__((1, kernel_size), (1, stride or kernel_size), (0, padding), ceil_mode=ceil_mode)


def row_avg_pool(x, kernel_size: int, stride: int | None = None, padding: int = 0, count_include_pad: bool = True):
    return F.avg_pool2d(x, (1, kernel_size), (1, stride or kernel_size), (0, padding),
                        count_include_pad=count_include_pad)


def channels_last(x: torch.Tensor) -> torch.Tensor:
    """A batch in the layout the convolutions run in: ``(N, C, L)`` becomes rows ``(N, C, 1, L)``; both
    forms are stored channels-last."""
    if x.dim() == 3:
        x = x.unsqueeze(2)
    return x.contiguous(memory_format=torch.channels_last)


def as_is(x: torch.Tensor) -> torch.Tensor:
    return x


@dataclass(frozen=True)
class Form:
    """The layers of one form of the convolutional models, and ``prepare``, what their forward does to a
    batch first. The default forms keep activations channels-last (1-D ones as rows); ``plain`` is the usual
    PyTorch idiom (``Conv1d``, contiguous ``NCHW``), which the benchmarks compare with."""
    dim: int
    Conv: type
    BN: type
    MaxPool: type
    AvgPool: type
    avg_pool: Callable
    prepare: Callable


def form(input_shape: tuple[int, ...], plain: bool = False) -> Form:
    dim = len(input_shape) - 1
    if dim not in (1, 2):
        raise ValueError(f"inputs must be (C, L) or (C, H, W); got {dim} spatial dimensions")
    if plain and dim == 1:
        return Form(1, nn.Conv1d, nn.BatchNorm1d, nn.MaxPool1d, nn.AvgPool1d, F.avg_pool1d, as_is)
    if plain:
        return Form(2, nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d, nn.AvgPool2d, F.avg_pool2d, as_is)
    if dim == 1:
        return Form(1, RowConv, nn.BatchNorm2d, RowMaxPool, RowAvgPool, row_avg_pool, channels_last)
    return Form(2, nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d, nn.AvgPool2d, F.avg_pool2d, channels_last)


class WithinChannelLRN(nn.Module):
    """Caffe's ``LRN`` with ``norm_region: WITHIN_CHANNEL``: :math:`x / (1 + \\alpha\\,\\overline{x^2})^{\\beta}`
    where :math:`\\overline{x^2}` is the mean of :math:`x^2` over a ``size``-wide spatial neighbourhood."""

    def __init__(self, f: Form, size: int = 3, alpha: float = 5e-5, beta: float = 0.75):
        super().__init__()
        self.pool = f.avg_pool
        self.size, self.alpha, self.beta = size, alpha, beta

    def forward(self, x):
        mean_sq = self.pool(x * x, self.size, stride=1, padding=self.size // 2, count_include_pad=True)
        # (1 + αm)^-β as exp(-β log1p(αm)): about twice as fast as a power on the CPU, and as exact
        return x * torch.exp(-self.beta * torch.log1p(self.alpha * mean_sq))


CAFFE_PIXEL_STD = 64.0  # 255 × CIFAR-10's per-channel standard deviation (0.247, 0.243, 0.262), rounded


class ThreeLayerNet(nn.Module):
    def __init__(self, input_shape: tuple[int, ...], num_classes: int = 10, plain: bool = False):
        super().__init__()
        f = form(input_shape, plain)
        Conv, MaxPool, AvgPool, self.prepare = f.Conv, f.MaxPool, f.AvgPool, f.prepare
        c = input_shape[0]
        self.features = nn.Sequential(
            Conv(c, 32, 5, padding=2), MaxPool(3, 2, ceil_mode=True), nn.ReLU(inplace=True), WithinChannelLRN(f),
            Conv(32, 32, 5, padding=2), nn.ReLU(inplace=True), AvgPool(3, 2, ceil_mode=True), WithinChannelLRN(f),
            Conv(32, 64, 5, padding=2), nn.ReLU(inplace=True), AvgPool(3, 2, ceil_mode=True),
        )
        with torch.no_grad():
            n_features = self.features(self.prepare(torch.zeros(1, *input_shape))).numel()
        self.fc = nn.Linear(n_features, num_classes)
        # cifar3.prototxt: biases learn twice as fast, the classifier's weights decay 250 times as much and
        # its bias not at all; the file's inputs are pixel values less the mean image (a spread of about 64 on
        # CIFAR-10), at which its learning rates fit and its LRN normalises. The 1-D analog keeps plain weight
        # decay and standardised inputs: with the multipliers and that scale, at Fig. 9's settings (one seed)
        # its classifier decays to the uniform guess at twice the paper's LR (WD 3.2e-3 and 1e-2), and at the
        # paper's LR it ends at 16–46 % accuracy (WD 1e-2 … 1e-3); the plain net ends at 25–71 % at its own
        # LR scale.
        self.param_multipliers, self.input_scale = {}, 1.0
        if f.dim == 2:
            self.param_multipliers = {f"features.{i}.bias": {"lr": 2.0} for i in (0, 4, 8)}
            self.param_multipliers.update({"fc.weight": {"decay": 250.0}, "fc.bias": {"lr": 2.0, "decay": 0.0}})
            self.input_scale = CAFFE_PIXEL_STD

    def forward(self, x):
        return self.fc(self.features(self.prepare(x) * self.input_scale).flatten(1))


class BasicBlock(nn.Module):
    def __init__(self, f: Form, c_in: int, c_out: int, stride: int, drop_path: float = 0.0):
        super().__init__()
        self.drop_path = drop_path
        Conv, BN = f.Conv, f.BN
        self.conv1 = Conv(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = BN(c_out)
        self.conv2 = Conv(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = BN(c_out)
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(Conv(c_in, c_out, 1, stride, bias=False), BN(c_out))

    def forward(self, x):
        # in place where autograd allows (batch norm and convolution keep their inputs, not their outputs):
        # measured about 10 % faster training steps for ResNet-20 on one CPU thread
        out = F.relu_(self.bn1(self.conv1(x)))
        out = regularize.drop_path(self.bn2(self.conv2(out)), self.drop_path, self.training)
        out += self.shortcut(x)
        return F.relu_(out)


class ResNet(nn.Module):
    """CIFAR ResNet of depth ``6n + 2``; ``widths`` are the channels of the stem and of the three stages.
    ``drop_path`` > 0 is stochastic depth (Huang et al. 2016) with their linear rule: block ``i`` of ``N``
    drops its residual branch with probability ``drop_path · i / N``."""

    def __init__(self, depth: int, input_shape: tuple[int, ...], num_classes: int = 10,
                 widths: tuple[int, int, int, int] = (16, 16, 32, 64), drop_path: float = 0.0, plain: bool = False):
        super().__init__()
        if (depth - 2) % 6:
            raise ValueError(f"a CIFAR ResNet has depth 6n+2 (20, 32, 44, 56, 110); got {depth}")
        n = (depth - 2) // 6
        f = form(input_shape, plain)
        Conv, BN, self.prepare = f.Conv, f.BN, f.prepare
        stem, *stages = widths
        self.stem = nn.Sequential(Conv(input_shape[0], stem, 3, 1, 1, bias=False), BN(stem), nn.ReLU(inplace=True))
        blocks, c = [], stem
        for stage, c_out in enumerate(stages):
            for i in range(n):
                drop = drop_path * (len(blocks) + 1) / (3 * n)
                blocks.append(BasicBlock(f, c, c_out, stride=2 if stage > 0 and i == 0 else 1, drop_path=drop))
                c = c_out
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(c, num_classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv1d, nn.Conv2d)):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.blocks(self.stem(self.prepare(x)))
        return self.fc(x.flatten(2).mean(-1))


class DenseLayer(nn.Module):
    def __init__(self, f: Form, c_in: int, c_out: int, kernel: int, dropout: float):
        super().__init__()
        Conv, BN = f.Conv, f.BN
        self.bn, self.conv = BN(c_in), Conv(c_in, c_out, kernel, padding=kernel // 2, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(self.conv(F.relu_(self.bn(x))))


class DenseNet(nn.Module):
    """DenseNet of depth ``3n + 4`` without bottlenecks: every layer's output is concatenated to its input."""

    def __init__(self, input_shape: tuple[int, ...], num_classes: int = 10, depth: int = 40, growth: int = 12,
                 dropout: float = 0.2, plain: bool = False):
        super().__init__()
        if (depth - 4) % 3:
            raise ValueError(f"a DenseNet without bottlenecks has depth 3n+4 (40, 100); got {depth}")
        n = (depth - 4) // 3
        f = form(input_shape, plain)
        Conv, BN, AvgPool, self.prepare = f.Conv, f.BN, f.AvgPool, f.prepare
        c = 16
        self.stem = Conv(input_shape[0], c, 3, padding=1, bias=False)
        self.blocks = nn.ModuleList()
        self.transitions = nn.ModuleList()
        for block in range(3):
            layers = nn.ModuleList()
            for _ in range(n):
                layers.append(DenseLayer(f, c, growth, 3, dropout))
                c += growth
            self.blocks.append(layers)
            if block < 2:  # 1×1 transition at the same width, then halve the resolution
                self.transitions.append(nn.Sequential(DenseLayer(f, c, c, 1, dropout), AvgPool(2, ceil_mode=True)))
        self.bn = BN(c)
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x):
        x = self.stem(self.prepare(x))
        for i, layers in enumerate(self.blocks):
            for layer in layers:
                x = torch.cat([x, layer(x)], 1)
            if i < len(self.transitions):
                x = self.transitions[i](x)
        return self.fc(F.relu_(self.bn(x)).flatten(2).mean(-1))


class LeNet(nn.Module):
    def __init__(self, input_shape: tuple[int, ...], num_classes: int = 10, plain: bool = False):
        super().__init__()
        f = form(input_shape, plain)
        Conv, MaxPool, self.prepare = f.Conv, f.MaxPool, f.prepare
        self.features = nn.Sequential(Conv(input_shape[0], 20, 5), MaxPool(2), Conv(20, 50, 5), MaxPool(2))
        with torch.no_grad():
            n_features = self.features(self.prepare(torch.zeros(1, *input_shape))).numel()
        self.classifier = nn.Sequential(nn.Linear(n_features, 500), nn.ReLU(), nn.Linear(500, num_classes))

    def forward(self, x):
        return self.classifier(self.features(self.prepare(x)).flatten(1))


class MLP(nn.Module):
    """``depth`` hidden layers of ``width`` ReLU units. The lecture's regularizers attach here: ``dropout``
    after every hidden layer (``dropout_kind`` "inverted" or "vanilla"), ``dropconnect`` on every hidden
    layer's weights; ``init_scale`` multiplies PyTorch's default initial weights (a too-small scale is the
    lecture's "bad initialisation" curve)."""

    def __init__(self, input_shape: tuple[int, ...], num_classes: int = 10, width: int = 128, depth: int = 2,
                 dropout: float = 0.0, dropout_kind: str = "inverted", dropconnect: float = 0.0,
                 init_scale: float = 1.0):
        super().__init__()
        n_in = int(torch.tensor(input_shape).prod())
        layers = [nn.Flatten()]
        for _ in range(depth):
            linear = regularize.DropConnectLinear(n_in, width, dropconnect) if dropconnect else nn.Linear(n_in, width)
            layers += [linear, nn.ReLU()]
            if dropout:
                layers.append(regularize.Dropout(dropout, dropout_kind))
            n_in = width
        layers.append(nn.Linear(n_in, num_classes))
        self.net = nn.Sequential(*layers)
        if init_scale != 1.0:
            with torch.no_grad():
                for m in self.net:
                    if isinstance(m, nn.Linear):
                        m.weight.mul_(init_scale)

    def forward(self, x):
        return self.net(x)


class ImageNetNet(nn.Module):
    """A reference implementation of an ImageNet network, fed channels-last batches as the models above."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(channels_last(x))


def resnet50(input_shape: tuple[int, ...], num_classes: int = 1000) -> nn.Module:
    import torchvision

    _require_images(input_shape, "resnet50")
    return ImageNetNet(torchvision.models.resnet50(weights=None, num_classes=num_classes))


def inception_resnet_v2(input_shape: tuple[int, ...], num_classes: int = 1000) -> nn.Module:
    import timm  # imported here: seconds, and only the ImageNet runs need it

    _require_images(input_shape, "inception_resnet_v2")
    return ImageNetNet(timm.create_model("inception_resnet_v2", pretrained=False, num_classes=num_classes))


def _require_images(input_shape: tuple[int, ...], name: str) -> None:
    if len(input_shape) != 3 or input_shape[0] != 3:
        raise ValueError(f"{name} takes RGB images (3, H, W); got inputs of shape {input_shape}")


MODELS = {
    "three_layer": ThreeLayerNet,
    "resnet20": lambda input_shape, num_classes=10, **kw: ResNet(20, input_shape, num_classes, **kw),
    "resnet56": lambda input_shape, num_classes=10, **kw: ResNet(56, input_shape, num_classes, **kw),
    "wrn32_4": lambda input_shape, num_classes=10, depth=32, **kw: ResNet(depth, input_shape, num_classes,
                                                                         (16, 16, 64, 256), **kw),
    "densenet40": DenseNet,
    "lenet": LeNet,
    "mlp": MLP,
    "char_lstm": sequence_models.CharLSTM,
    "skipgram": sequence_models.SkipGram,
    "resnet50": resnet50,
    "inception_resnet_v2": inception_resnet_v2,
}


def check_name(name: str) -> str:
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; valid models: {', '.join(MODELS)}")
    return name


CONV_MODELS = ("three_layer", "resnet20", "resnet56", "wrn32_4", "densenet40", "lenet")


def build(name: str, input_shape: tuple[int, ...], num_classes: int = 10, plain: bool = False, **kwargs) -> nn.Module:
    """Model ``name`` for inputs of ``input_shape`` (without the batch dimension). Convolution weights are
    stored channels-last, as the activations; ``plain`` builds the usual PyTorch form instead (``Form``)."""
    if name in CONV_MODELS:
        kwargs["plain"] = plain
    model = MODELS[check_name(name)](tuple(input_shape), num_classes, **kwargs)
    return model if plain else model.to(memory_format=torch.channels_last)


def num_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
