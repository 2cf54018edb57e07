"""Many runs as one model: K runs of one architecture on one dataset, trained side by side in one forward pass.

The members' layers are joined into one layer each: convolutions become grouped convolutions (``groups=K``),
batch norms one batch norm over all members' channels, linear layers one batched matrix product. A minibatch
is the members' own minibatches side by side on the channel axis, so member ``k`` only ever sees its own
samples, its own weights and its own batch-norm statistics; the loss is the sum of the members' losses, so
each member's gradient is the one its own run computes. On one CPU thread this trains each member faster than
its own run would (``benchmarks/stacked.py``): the grouped layers are larger, the per-step overheads shared.

:func:`train` trains a list of :class:`~hp_lib.train.RunConfig` that :func:`group_key` puts together and
returns each member's History as its own run (:func:`hp_lib.train.train`) would: its own seed (initial
weights, minibatch order), learning-rate and momentum schedules and weight decay
(:class:`hp_lib.optim.MemberSGD`). A member whose loss stops being finite is frozen at that step and recorded
as diverged; the others go on. Its ``time`` column and ``seconds`` are the member's share of the group's
(the group's divided by its members); ``attrs["stacked"]`` is the group's size.

:func:`stack` joins any of :data:`ARCHITECTURES`; runs stack (:func:`stackable`) where it pays,
:data:`STACKED_MODELS`, with plain SGD and without what draws random numbers during training (dropout,
DropConnect, stochastic depth, augmentation), snapshots, EMA, L1, an LR plateau, update logging or
``torch.compile``. Everything else trains one run at a time.
"""

from __future__ import annotations

import copy
import json
import math
import time

import torch
import torch.nn.functional as F
from torch import nn

from . import data as data_lib
from . import models, optim, schedules
from .train import History, RunConfig, _tidy, autocast, load_data, param_groups, precision

ARCHITECTURES = ("three_layer", "resnet20", "resnet56", "wrn32_4", "lenet", "mlp")
# The models whose runs train faster stacked than one by one, each in its precision of the cpu book:
# benchmarks/stacked.py on the 2-core reference machine measured per-member throughput over separate float32 runs
# of 2.60x for the MLP at K = 8 (float32), 1.64x for ResNet-56 and 1.54x for ResNet-20 (bf16; alone in bf16
# they train 1.16x and 1.30x as fast: benchmarks/precision.py) and 1.08x for the 3-layer net (float32, K = 4);
# but 1.39x for WRN-32-4 and 1.47x for LeNet in bf16, no more than they train alone in bf16 (1.34x, 1.48x).
STACKED_MODELS = frozenset({"mlp", "resnet56", "resnet20", "three_layer"})
# the settings members may differ in; everything else in a config is the group's
MEMBER_FIELDS = ("seed", "lr", "momentum", "weight_decay")


class StackedLinear(nn.Module):
    """``K`` linear layers as one: inputs ``(N, K·in)`` (member ``k``'s features at block ``k``), outputs
    ``(N, K·out)``; the weight is stored ``(K, in, out)``, the bias ``(K, 1, out)``."""

    def __init__(self, linears: list[nn.Linear]):
        super().__init__()
        self.members = len(linears)
        self.weight = nn.Parameter(torch.stack([lin.weight.detach().t() for lin in linears]).contiguous())
        self.bias = nn.Parameter(torch.stack([lin.bias.detach() for lin in linears]).unsqueeze(1))

    def forward(self, x):
        n = x.shape[0]
        x = x.reshape(n, self.members, -1).transpose(0, 1)              # (K, N, in)
        return torch.baddbmm(self.bias, x, self.weight).transpose(0, 1).reshape(n, -1)


def _joined(layers: list[nn.Module]) -> nn.Module | None:
    """One layer for the members' ``layers`` (the same layer of each member), or ``None`` if it acts on each
    channel alone (activations, pooling, normalisation within a channel) and serves all members as it is."""
    first, k = layers[0], len(layers)
    if isinstance(first, nn.Conv2d):
        if first.groups != 1:
            raise ValueError("stacking joins ungrouped convolutions only")
        joined = nn.Conv2d(k * first.in_channels, k * first.out_channels, first.kernel_size, first.stride,
                           first.padding, first.dilation, groups=k, bias=first.bias is not None)
    elif isinstance(first, nn.BatchNorm2d):
        joined = nn.BatchNorm2d(k * first.num_features, first.eps, first.momentum, first.affine,
                                first.track_running_stats)
    elif isinstance(first, nn.Linear):
        return StackedLinear(layers)
    else:
        return None
    joined.load_state_dict({name: torch.cat([layer.state_dict()[name] for layer in layers])
                            for name in first.state_dict() if name != "num_batches_tracked"}, strict=False)
    return joined


def stack(members: list[nn.Module]) -> nn.Module:
    """One model that computes ``members`` (models of one architecture, each with its own weights) side by side:
    it takes the members' inputs concatenated on the channel axis and returns their logits the same way,
    ``(N, K·classes)``."""
    stacked = copy.deepcopy(members[0])
    for name, module in list(stacked.named_modules()):
        for child_name, child in list(module.named_children()):
            path = f"{name}.{child_name}" if name else child_name
            joined = _joined([m.get_submodule(path) for m in members])
            if joined is not None:
                setattr(module, child_name, joined)
    return stacked.to(memory_format=torch.channels_last)


def stackable(cfg: RunConfig) -> bool:
    """Whether the sweep trains ``cfg`` as a member of a stack (see the module's docstring)."""
    return cfg.model in STACKED_MODELS and can_stack(cfg)


def can_stack(cfg: RunConfig) -> bool:
    """Whether :func:`train` can train ``cfg`` as a member of a stack (its architecture and settings allow it)."""
    kwargs = cfg.model_kwargs
    random_layers = kwargs.get("dropout", 0) or kwargs.get("dropconnect", 0) or kwargs.get("drop_path", 0)
    return (cfg.model in ARCHITECTURES and cfg.optimizer == "sgd" and not cfg.optimizer_kwargs
            and not random_layers and not cfg.augment and cfg.l1 == 0 and cfg.ema is None and cfg.lr_plateau is None
            and not cfg.snapshot_at and cfg.start_from is None and cfg.init_from is None
            and not cfg.log_update_ratio and not cfg.compile)


def nesterov(cfg: RunConfig) -> bool:
    """Whether the run steps with Nesterov momentum (as :func:`hp_lib.train.build_optimizer` decides it: if asked
    for and the momentum is > 0 at the first step)."""
    return cfg.nesterov and schedules.from_spec(cfg.momentum)(0) > 0


def group_key(cfg: RunConfig) -> str:
    """Runs with the same key can train as one stack: they differ at most in :data:`MEMBER_FIELDS`, and not in
    whether they use Nesterov momentum."""
    shared = {k: v for k, v in cfg.to_dict().items() if k not in MEMBER_FIELDS}
    shared["nesterov"] = nesterov(cfg)
    return json.dumps(shared, sort_keys=True, default=str)


def groups(configs: list[RunConfig], size: int) -> list[list[RunConfig]]:
    """``configs`` in stacks of at most ``size`` members, as even as can be (12 runs: 6 and 6, not 8 and 4; a run
    that cannot stack is a stack of one), the same stacks for the same configs whatever their order."""
    by_key: dict[str, list[RunConfig]] = {}
    for cfg in configs:
        by_key.setdefault(group_key(cfg) if stackable(cfg) else json.dumps(cfg.to_dict(), default=str), []).append(cfg)
    out = []
    for key in sorted(by_key):
        members = sorted(by_key[key], key=lambda c: json.dumps(c.to_dict(), sort_keys=True, default=str))
        n = math.ceil(len(members) / size)
        out += [members[i * len(members) // n:(i + 1) * len(members) // n] for i in range(n)]
    return out


def _side_by_side(xs: list[torch.Tensor]) -> torch.Tensor:
    return torch.cat(xs, 1)


@torch.no_grad()
def evaluate(model, members: int, x, y, batch_size: int = 500, precision=None) -> list[tuple[float, float]]:
    """Each member's mean cross-entropy and accuracy on ``(x, y)``, in eval mode (as
    :func:`hp_lib.train.evaluate` for one run)."""
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros(members, dtype=torch.float64, device=y.device)
    correct = torch.zeros(members, dtype=torch.int64, device=y.device)
    for i in range(0, len(y), batch_size):
        xb, yb = x[i:i + batch_size], y[i:i + batch_size]
        with precision:
            logits = model(_side_by_side([xb] * members)).float()
        logits = logits.view(len(yb), members, -1)
        target = yb.unsqueeze(1).expand(-1, members)
        loss_sum += F.cross_entropy(logits.permute(0, 2, 1), target, reduction="none").sum(0).double()
        correct += (logits.argmax(2) == target).sum(0)
    model.train(was_training)
    return [(s / y.numel(), c / y.numel()) for s, c in zip(loss_sum.tolist(), correct.tolist())]


def train(cfgs: list[RunConfig], data: data_lib.Dataset | None = None) -> list[History]:
    """Train ``cfgs`` (one :func:`group_key`, each :func:`stackable`) as one stacked model; return each one's
    History as :func:`hp_lib.train.train` would."""
    if not cfgs or len({group_key(c) for c in cfgs}) != 1 or not all(can_stack(c) for c in cfgs):
        raise ValueError("stacked.train takes configs of one architecture that stacks, with plain SGD, that "
                         f"differ only in {', '.join(MEMBER_FIELDS)}")
    cfg, k_members = cfgs[0], len(cfgs)
    torch.set_num_threads(cfg.threads)
    data = data if data is not None else load_data(cfg)
    if cfg.batch_size > len(data.y_train):
        raise ValueError(f"batch_size {cfg.batch_size} is larger than the training set ({len(data.y_train)} samples)")
    built = []
    for c in cfgs:  # each member's initial weights are those its own run draws
        torch.manual_seed(c.seed)
        built.append(models.build(c.model, data.input_shape, data.num_classes, **c.model_kwargs))
    model = stack(built)
    lr_at = [schedules.from_spec(c.lr) for c in cfgs]
    momentum_at = [schedules.from_spec(c.momentum) for c in cfgs]
    optimizer = optim.MemberSGD(param_groups(model, 0.0, cfg.lr_mults), k_members,
                                torch.tensor([f(0) for f in lr_at]), torch.tensor([f(0) for f in momentum_at]),
                                torch.tensor([float(c.weight_decay) for c in cfgs]), nesterov=nesterov(cfg))
    generators = [torch.Generator().manual_seed(c.seed) for c in cfgs]
    n = len(data.y_train)
    batches_per_epoch = n // cfg.batch_size
    probe = torch.arange(min(len(data.y_val), n))
    autocast_ = autocast(cfg)

    rows: list[list[dict]] = [[] for _ in cfgs]
    windows: list[list[torch.Tensor]] = [[] for _ in cfgs]
    active = [True] * k_members
    live = torch.ones(k_members, dtype=torch.bool, device=data.y_train.device)  # active, where the losses are
    diverged_step: list[int | None] = [None] * k_members
    orders: list[torch.Tensor] = []
    start = time.perf_counter()
    train_seconds, tic = 0.0, start

    def eval_rows(step: int) -> None:
        val = evaluate(model, k_members, data.x_val, data.y_val, precision=autocast_)
        probe_ = evaluate(model, k_members, data.x_train[probe], data.y_train[probe], precision=autocast_) \
            if cfg.train_probe else [(float("nan"), float("nan"))] * k_members
        for k in range(k_members):
            if active[k]:
                val_loss = val[k][0] if math.isfinite(val[k][0]) else float("nan")
                rows[k].append({"step": step - 1, "epoch": step / batches_per_epoch, "val_loss": val_loss,
                                "val_acc": val[k][1], "train_eval_loss": probe_[k][0], "train_eval_acc": probe_[k][1],
                                "time": train_seconds / k_members})

    model.train()
    for step in range(cfg.steps):
        if step % batches_per_epoch == 0:
            orders = [torch.randperm(n, generator=g).to(data.y_train.device) for g in generators]
        if step % cfg.eval_every == 0:
            train_seconds += time.perf_counter() - tic
            eval_rows(step)
            tic = time.perf_counter()
        lrs, momenta = [f(step) for f in lr_at], [f(step) for f in momentum_at]
        optimizer.set(lr=[lr if a else 0.0 for lr, a in zip(lrs, active)],
                      momentum=[mu if a else 0.0 for mu, a in zip(momenta, active)])
        idx = [order[(step % batches_per_epoch) * cfg.batch_size:][:cfg.batch_size] for order in orders]
        x = _side_by_side([data.x_train[i] for i in idx])
        y = torch.stack([data.y_train[i] for i in idx], 1)                 # (N, K)
        with autocast_:
            logits = model(x).float().view(len(y), k_members, -1)
        losses = F.cross_entropy(logits.permute(0, 2, 1), y, reduction="none").mean(0)  # each member's loss
        optimizer.zero_grad(set_to_none=True)
        losses[live].sum().backward()
        optimizer.step()

        log_row = (step + 1) % cfg.log_every == 0 or step + 1 == cfg.steps
        for k in range(k_members):
            if not active[k]:
                continue
            windows[k].append(losses[k].detach())
            if log_row:
                train_loss = torch.stack(windows[k]).mean().item()
                windows[k] = []
                rows[k].append({"step": step, "epoch": (step + 1) / batches_per_epoch, "lr": lrs[k],
                                "momentum": momenta[k], "train_loss": train_loss})
                if not math.isfinite(train_loss):
                    active[k], live[k], diverged_step[k] = False, False, step
                    _zero_member(model, optimizer, k, k_members)
        if not any(active):
            break
    train_seconds += time.perf_counter() - tic
    eval_rows(cfg.steps)
    seconds = (time.perf_counter() - start) / k_members
    histories = []
    for k, c in enumerate(cfgs):
        history = _tidy(rows[k])
        history.attrs.update(status="ok" if diverged_step[k] is None else "diverged", diverged_step=diverged_step[k],
                             seed=c.seed, precision=precision(c), seconds=seconds, stacked=k_members)
        histories.append(history)
    return histories


@torch.no_grad()
def _zero_member(model: nn.Module, optimizer: optim.MemberSGD, k: int, members: int) -> None:
    """Freeze member ``k`` (its learning rate and momentum are 0 from now on) with zero weights, statistics and
    momentum, so that a diverged member's infinities cannot reach the others' shared computations."""
    tensors = [t for t in [*model.parameters(), *model.buffers()] if t.dim() > 0]
    tensors += [s["momentum_buffer"] for s in optimizer.state.values()]
    for t in tensors:
        block = t.shape[0] // members
        t[k * block:(k + 1) * block] = 0
