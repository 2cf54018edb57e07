"""The paper's architectures, each in a 1-D form (for MNIST-1D) and a 2-D form (for images).

The input shape decides the form: ``(C, L)`` builds ``Conv1d`` layers, ``(C, H, W)`` builds ``Conv2d``
layers; depths, widths, normalisation and shortcuts are the same in both.

* ``three_layer``: Caffe's ``cifar10_full`` net that Smith calls "3-layer" (``cifar3.prototxt``): three
  5-wide convolutions with 32/32/64 filters, max then average pooling (3, stride 2), within-channel local
  response normalisation, and one fully connected layer; in its 2-D form with the file's per-parameter
  multipliers (biases learn at twice the rate, the classifier's weights decay at 250 times the weight decay).
* ``resnet20`` / ``resnet56``: the CIFAR ResNets of He et al. (2016), depth 6n+2 with n = 3 / 9 basic
  blocks per stage at 16/32/64 channels, batch norm, projection (1×1) shortcuts where the shape changes.
* ``wrn32_4``: the author's 32-layer wide ResNet (``wide32cifar.prototxt``): the same basic blocks, 5 per
  stage, at 16/64/256 channels; ``depth`` shrinks it (6n+2) where a CPU budget forces it (four times wider per stage instead of two, as in the author's file).
* ``densenet40``: DenseNet-40 (Huang et al. 2017, as in ``genDensenet40.prototxt``): three dense blocks of 12
  BN-ReLU-conv layers with growth 12, dropout 0.2 after every convolution, 1×1 transitions with pooling;
  ``depth`` (3n+4) shrinks it.
* ``lenet``: Caffe's MNIST LeNet: 20 and 50 5-wide convolutions, each followed by 2-pooling, FC 500, ReLU,
  FC 10.
* ``mlp``: ``depth`` hidden layers of ``width`` ReLU units (the capacity sweeps; the lecture's dropout,
  DropConnect and initialisation-scale runs).
* ``char_lstm``, ``skipgram``: the text tasks' models (:mod:`hp_lib.sequence_models`).
"""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from . import regularize, sequence_models


def _layers(dim: int):
    if dim not in (1, 2):
        raise ValueError(f"inputs must be (C, L) or (C, H, W); got {dim} spatial dimensions")
    if dim == 1:
        return nn.Conv1d, nn.BatchNorm1d, nn.MaxPool1d, nn.AvgPool1d, F.avg_pool1d
    return nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d, nn.AvgPool2d, F.avg_pool2d


class WithinChannelLRN(nn.Module):
    """Caffe's ``LRN`` with ``norm_region: WITHIN_CHANNEL``: :math:`x / (1 + \\alpha\\,\\overline{x^2})^{\\beta}`
    where :math:`\\overline{x^2}` is the mean of :math:`x^2` over a ``size``-wide spatial neighbourhood."""

    def __init__(self, dim: int, size: int = 3, alpha: float = 5e-5, beta: float = 0.75):
        super().__init__()
        self.pool = _layers(dim)[4]
        self.size, self.alpha, self.beta = size, alpha, beta

    def forward(self, x):
        mean_sq = self.pool(x * x, self.size, stride=1, padding=self.size // 2, count_include_pad=True)
        return x / (1 + self.alpha * mean_sq) ** self.beta


class ThreeLayerNet(nn.Module):
    def __init__(self, input_shape: tuple[int, ...], num_classes: int = 10):
        super().__init__()
        dim = len(input_shape) - 1
        Conv, _, MaxPool, AvgPool, _ = _layers(dim)
        c = input_shape[0]
        self.features = nn.Sequential(
            Conv(c, 32, 5, padding=2), MaxPool(3, 2, ceil_mode=True), nn.ReLU(), WithinChannelLRN(dim),
            Conv(32, 32, 5, padding=2), nn.ReLU(), AvgPool(3, 2, ceil_mode=True), WithinChannelLRN(dim),
            Conv(32, 64, 5, padding=2), nn.ReLU(), AvgPool(3, 2, ceil_mode=True),
        )
        with torch.no_grad():
            n_features = self.features(torch.zeros(1, *input_shape)).numel()
        self.fc = nn.Linear(n_features, num_classes)
        # cifar3.prototxt: biases learn twice as fast, the classifier's weights decay 250 times as much and
        # its bias not at all. The 1-D analog keeps plain weight decay: its classifier sees 320 features
        # instead of 1,024 and it trains at ten times the learning rate, so a 250-fold decay there would
        # regularize far more than the paper's (measured: it halves the accuracy of Fig. 3a's runs).
        self.param_multipliers = {}
        if dim == 2:
            self.param_multipliers = {f"features.{i}.bias": {"lr": 2.0} for i in (0, 4, 8)}
            self.param_multipliers.update({"fc.weight": {"decay": 250.0}, "fc.bias": {"lr": 2.0, "decay": 0.0}})

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))


class BasicBlock(nn.Module):
    def __init__(self, dim: int, c_in: int, c_out: int, stride: int, drop_path: float = 0.0):
        super().__init__()
        self.drop_path = drop_path
        Conv, BN, *_ = _layers(dim)
        self.conv1 = Conv(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = BN(c_out)
        self.conv2 = Conv(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = BN(c_out)
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(Conv(c_in, c_out, 1, stride, bias=False), BN(c_out))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = regularize.drop_path(self.bn2(self.conv2(out)), self.drop_path, self.training)
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    """CIFAR ResNet of depth ``6n + 2``; ``widths`` are the channels of the stem and of the three stages.
    ``drop_path`` > 0 is stochastic depth (Huang et al. 2016) with their linear rule: block ``i`` of ``N``
    drops its residual branch with probability ``drop_path · i / N``."""

    def __init__(self, depth: int, input_shape: tuple[int, ...], num_classes: int = 10,
                 widths: tuple[int, int, int, int] = (16, 16, 32, 64), drop_path: float = 0.0):
        super().__init__()
        if (depth - 2) % 6:
            raise ValueError(f"a CIFAR ResNet has depth 6n+2 (20, 32, 44, 56, 110); got {depth}")
        n = (depth - 2) // 6
        dim = len(input_shape) - 1
        Conv, BN, *_ = _layers(dim)
        stem, *stages = widths
        self.stem = nn.Sequential(Conv(input_shape[0], stem, 3, 1, 1, bias=False), BN(stem), nn.ReLU())
        blocks, c = [], stem
        for stage, c_out in enumerate(stages):
            for i in range(n):
                drop = drop_path * (len(blocks) + 1) / (3 * n)
                blocks.append(BasicBlock(dim, c, c_out, stride=2 if stage > 0 and i == 0 else 1, drop_path=drop))
                c = c_out
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(c, num_classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv1d, nn.Conv2d)):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(x.flatten(2).mean(-1))


class DenseLayer(nn.Module):
    def __init__(self, dim: int, c_in: int, c_out: int, kernel: int, dropout: float):
        super().__init__()
        Conv, BN, *_ = _layers(dim)
        self.bn, self.conv = BN(c_in), Conv(c_in, c_out, kernel, padding=kernel // 2, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(self.conv(F.relu(self.bn(x))))


class DenseNet(nn.Module):
    """DenseNet of depth ``3n + 4`` without bottlenecks: every layer's output is concatenated to its input."""

    def __init__(self, input_shape: tuple[int, ...], num_classes: int = 10, depth: int = 40, growth: int = 12,
                 dropout: float = 0.2):
        super().__init__()
        if (depth - 4) % 3:
            raise ValueError(f"a DenseNet without bottlenecks has depth 3n+4 (40, 100); got {depth}")
        n = (depth - 4) // 3
        dim = len(input_shape) - 1
        Conv, BN, _, AvgPool, _ = _layers(dim)
        c = 16
        self.stem = Conv(input_shape[0], c, 3, padding=1, bias=False)
        self.blocks = nn.ModuleList()
        self.transitions = nn.ModuleList()
        for block in range(3):
            layers = nn.ModuleList()
            for _ in range(n):
                layers.append(DenseLayer(dim, c, growth, 3, dropout))
                c += growth
            self.blocks.append(layers)
            if block < 2:  # 1×1 transition at the same width, then halve the resolution
                self.transitions.append(nn.Sequential(DenseLayer(dim, c, c, 1, dropout), AvgPool(2, ceil_mode=True)))
        self.bn = BN(c)
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x):
        x = self.stem(x)
        for i, layers in enumerate(self.blocks):
            for layer in layers:
                x = torch.cat([x, layer(x)], 1)
            if i < len(self.transitions):
                x = self.transitions[i](x)
        return self.fc(F.relu(self.bn(x)).flatten(2).mean(-1))


class LeNet(nn.Module):
    def __init__(self, input_shape: tuple[int, ...], num_classes: int = 10):
        super().__init__()
        dim = len(input_shape) - 1
        Conv, _, MaxPool, *_ = _layers(dim)
        self.features = nn.Sequential(Conv(input_shape[0], 20, 5), MaxPool(2), Conv(20, 50, 5), MaxPool(2))
        with torch.no_grad():
            n_features = self.features(torch.zeros(1, *input_shape)).numel()
        self.classifier = nn.Sequential(nn.Linear(n_features, 500), nn.ReLU(), nn.Linear(500, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


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
}


def check_name(name: str) -> str:
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; valid models: {', '.join(MODELS)}")
    return name


def build(name: str, input_shape: tuple[int, ...], num_classes: int = 10, **kwargs) -> nn.Module:
    """Model ``name`` for inputs of ``input_shape`` (without the batch dimension)."""
    return MODELS[check_name(name)](tuple(input_shape), num_classes, **kwargs)


def num_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
