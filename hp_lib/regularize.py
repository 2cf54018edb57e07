"""Regularizers of the lecture: noise added at training time and averaged out at test time.

* Layers: :class:`Dropout` (vanilla, scaled at test time, or inverted, scaled at training time),
  :class:`DropConnectLinear` (Wan et al. 2013: drop weights instead of activations) and :func:`drop_path`
  (stochastic depth, Huang et al. 2016: drop a whole residual branch per sample).
* Data augmentation on image batches ``(B, C, H, W)``: :func:`flip`, :func:`random_crop`,
  :func:`scale_crop`, :func:`color_jitter`, :func:`pca_jitter`, :func:`cutout` (DeVries & Taylor 2017) and
  :func:`mixup` (Zhang et al. 2018). :func:`augment_batch` applies the ones a run's ``augment`` spec names.
* :class:`EMA`: an exponential moving average of the weights (Polyak averaging), numerically
  ``torch.optim.swa_utils.AveragedModel`` with ``get_ema_multi_avg_fn``.

Random draws use torch's global generator, which a training run seeds (``torch.manual_seed``).
"""

from __future__ import annotations

import copy

import torch
from torch import nn
import torch.nn.functional as F

DROPOUT_KINDS = ("inverted", "vanilla")


def _check_probability(what: str, p: float) -> None:
    if not 0 <= p < 1:
        raise ValueError(f"{what} must be in [0, 1), got {p!r}")


class Dropout(nn.Module):
    """Drop each activation with probability ``drop`` during training (Srivastava et al. 2014).

    ``kind="vanilla"`` keeps the survivors as they are and multiplies by the keep probability at test time;
    ``kind="inverted"`` (CS231n's recommendation, and ``nn.Dropout``) divides the survivors by the keep
    probability during training and does nothing at test time. Both give a test-time output equal to the
    expected training-time output."""

    def __init__(self, drop: float = 0.5, kind: str = "inverted"):
        super().__init__()
        _check_probability("dropout probability", drop)
        if kind not in DROPOUT_KINDS:
            raise ValueError(f"dropout kind must be one of {DROPOUT_KINDS}, got {kind!r}")
        self.drop, self.kind = drop, kind

    def forward(self, x):
        keep = 1 - self.drop
        if not self.training:
            return x * keep if self.kind == "vanilla" else x
        mask = (torch.rand_like(x) < keep).to(x.dtype)
        return x * mask / keep if self.kind == "inverted" else x * mask

    def extra_repr(self) -> str:
        return f"drop={self.drop}, kind={self.kind}"


class DropConnectLinear(nn.Linear):
    """A linear layer whose weights (not activations) are dropped with probability ``drop`` during training,
    one mask per minibatch, the survivors divided by the keep probability (inverted, like :class:`Dropout`);
    at test time the full weights are used (the mean-field form of Wan et al.'s inference)."""

    def __init__(self, in_features: int, out_features: int, drop: float = 0.5, bias: bool = True):
        super().__init__(in_features, out_features, bias)
        _check_probability("DropConnect probability", drop)
        self.drop = drop

    def forward(self, x):
        if not self.training or self.drop == 0:
            return super().forward(x)
        keep = 1 - self.drop
        mask = (torch.rand_like(self.weight) < keep).to(x.dtype)
        return F.linear(x, self.weight * mask / keep, self.bias)


def drop_path(branch: torch.Tensor, drop: float, training: bool) -> torch.Tensor:
    """Stochastic depth: zero the residual ``branch`` of each sample with probability ``drop`` while
    training (survivors divided by the keep probability, so that the test-time network, which keeps every
    branch, matches in expectation)."""
    if not training or drop == 0:
        return branch
    keep = 1 - drop
    mask = (torch.rand((branch.shape[0],) + (1,) * (branch.dim() - 1), device=branch.device) < keep)
    return branch * mask.to(branch.dtype) / keep


# --- data augmentation -------------------------------------------------------------------------------

def flip(x: torch.Tensor) -> torch.Tensor:
    """Mirror each image left-right with probability 1/2."""
    mirrored = torch.rand(len(x), device=x.device) < 0.5
    return torch.where(mirrored[:, None, None, None], x.flip(-1), x)


def random_crop(x: torch.Tensor, pad: int) -> torch.Tensor:
    """Pad each image by ``pad`` zeros on every side and crop a random window of the original size (the
    CIFAR ResNets' augmentation, with ``pad`` 4 on 32-pixel images)."""
    if pad == 0:
        return x
    b, c, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad))
    dy, dx = torch.randint(0, 2 * pad + 1, (2, b), device=x.device)
    rows = (torch.arange(h, device=x.device)[None] + dy[:, None])[:, :, None]   # (B, H, 1)
    cols = (torch.arange(w, device=x.device)[None] + dx[:, None])[:, None, :]   # (B, 1, W)
    return padded[torch.arange(b, device=x.device)[:, None, None], :, rows, cols].permute(0, 3, 1, 2)


def scale_crop(image: torch.Tensor, scale: float, size: int) -> torch.Tensor:
    """ResNet-style scale augmentation on one image ``(C, H, W)``: resize so that the short side is
    ``scale`` times ``size``, then take a random ``size``×``size`` crop."""
    if scale < 1:
        raise ValueError(f"scale must be >= 1 (the crop must fit in the resized image), got {scale}")
    c, h, w = image.shape
    factor = scale * size / min(h, w)
    resized = F.interpolate(image[None], size=(round(h * factor), round(w * factor)), mode="bilinear",
                            align_corners=False, antialias=True)[0]
    top = int(torch.randint(0, resized.shape[1] - size + 1, ()))
    left = int(torch.randint(0, resized.shape[2] - size + 1, ()))
    return resized[:, top:top + size, left:left + size]


def color_jitter(x: torch.Tensor, brightness: float, contrast: float) -> torch.Tensor:
    """Multiply each image's brightness by a factor drawn from ``[1 - brightness, 1 + brightness]``, then
    scale its deviations from its mean grey by a factor from ``[1 - contrast, 1 + contrast]``."""
    shape = (len(x),) + (1,) * (x.dim() - 1)
    bright = 1 + brightness * (2 * torch.rand(shape, device=x.device) - 1)
    cont = 1 + contrast * (2 * torch.rand(shape, device=x.device) - 1)
    x = x * bright
    mean = x.mean(dim=tuple(range(1, x.dim())), keepdim=True)
    return mean + (x - mean) * cont


def pca_jitter(x: torch.Tensor, std: float = 0.1) -> torch.Tensor:
    """AlexNet's colour augmentation (Krizhevsky et al. 2012): add to every pixel of an image the RGB
    vector :math:`\\sum_i \\alpha_i \\lambda_i p_i`, with :math:`(\\lambda_i, p_i)` the eigenpairs of the
    pixels' RGB covariance and :math:`\\alpha_i \\sim N(0, \\text{std}^2)` drawn per image."""
    b, c = x.shape[:2]
    eigenvalues, eigenvectors = torch.linalg.eigh(torch.cov(x.transpose(0, 1).reshape(c, -1)))
    alpha = torch.randn((b, c), device=x.device) * std
    shift = (alpha * eigenvalues.clamp(min=0)) @ eigenvectors.T              # (B, C)
    return x + shift.view(b, c, *([1] * (x.dim() - 2)))


def cutout(x: torch.Tensor, size: int) -> torch.Tensor:
    """Zero a ``size``×``size`` square at a random centre of each image; the square may stick out of the
    image, as in DeVries & Taylor (2017)."""
    b, _, h, w = x.shape
    top = torch.randint(0, h, (b,), device=x.device) - size // 2
    left = torch.randint(0, w, (b,), device=x.device) - size // 2
    rows = torch.arange(h, device=x.device)[None] - top[:, None]      # offset inside the square
    cols = torch.arange(w, device=x.device)[None] - left[:, None]
    square = ((rows >= 0) & (rows < size))[:, :, None] & ((cols >= 0) & (cols < size))[:, None, :]
    return x * (~square)[:, None].to(x.dtype)


def mixup(x: torch.Tensor, y: torch.Tensor, alpha: float):
    """Blend each sample with another of the same batch, :math:`\\tilde x = \\lambda x_i + (1-\\lambda)x_j`,
    :math:`\\lambda \\sim \\text{Beta}(\\alpha, \\alpha)` (one per batch, as in Zhang et al.'s code).
    Returns ``(x_mixed, y, y[perm], lam)``; the loss is :math:`\\lambda\\,CE(y) + (1-\\lambda)\\,CE(y_j)`."""
    if alpha <= 0:
        raise ValueError(f"mixup alpha must be > 0, got {alpha}")
    lam = float(torch.distributions.Beta(alpha, alpha).sample())
    perm = torch.randperm(len(x), device=x.device)
    return lam * x + (1 - lam) * x[perm], y, y[perm], lam


AUGMENTATIONS = {"flip": bool, "crop": int, "cutout": int, "mixup": float}


def check_augment(spec: dict) -> dict:
    """A run's ``augment`` spec: ``{"flip": True, "crop": pad, "cutout": size, "mixup": alpha}``, any
    subset, applied in that order."""
    if not isinstance(spec, dict):
        raise ValueError(f"augment must be a dict such as {{'flip': True, 'crop': 2}}; got {spec!r}")
    for name, value in spec.items():
        if name not in AUGMENTATIONS:
            raise ValueError(f"unknown augmentation {name!r}; valid: {', '.join(AUGMENTATIONS)}")
        kind = AUGMENTATIONS[name]
        if not isinstance(value, kind) or (kind is not bool and (isinstance(value, bool) or value < 0)):
            raise ValueError(f"augmentation {name!r} takes a {'non-negative ' if kind is not bool else ''}"
                             f"{kind.__name__}, got {value!r}")
    return spec


def augment_batch(x: torch.Tensor, y: torch.Tensor, spec: dict):
    """Apply ``spec`` to a batch of images; returns ``(x, y_a, y_b, lam)`` (``y_b is y_a`` and ``lam`` 1
    without mixup)."""
    if spec and x.dim() != 4:
        raise ValueError(f"augmentations work on image batches (B, C, H, W); got shape {tuple(x.shape)}")
    if spec.get("flip"):
        x = flip(x)
    if spec.get("crop"):
        x = random_crop(x, spec["crop"])
    if spec.get("cutout"):
        x = cutout(x, spec["cutout"])
    if spec.get("mixup"):
        return mixup(x, y, spec["mixup"])
    return x, y, y, 1.0


# --- weight averaging --------------------------------------------------------------------------------

class EMA:
    """Exponential moving average of a model's parameters and buffers: the first :meth:`update` copies
    them, every later one does :math:`\\bar\\theta \\leftarrow d\\,\\bar\\theta + (1-d)\\,\\theta`.
    ``self.model`` is the averaged copy, ready to evaluate."""

    def __init__(self, model: nn.Module, decay: float):
        if not 0 < decay < 1:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay!r}")
        self.decay, self.updates = decay, 0
        self.model = copy.deepcopy(model)
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        averaged = list(self.model.parameters()) + list(self.model.buffers())
        current = list(model.parameters()) + list(model.buffers())
        for a, c in zip(averaged, current):
            if self.updates == 0 or not a.dtype.is_floating_point:
                a.copy_(c)
            else:
                a.lerp_(c, 1 - self.decay)
        self.updates += 1
