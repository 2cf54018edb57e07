"""The training loop: one plain config in, one tidy ``History`` out.

Everything a run depends on is in :class:`RunConfig` (airbench style): it is also the cache key. The loop
reads top to bottom like nanoGPT's: build data and model, then for every step set the scheduled LR and
momentum, take a minibatch by indexing tensors (no DataLoader: the data is already in memory), step,
and every ``eval_every`` steps evaluate. A non-finite loss stops the run and marks it ``diverged``.

The ``History`` is a pandas DataFrame with one row per logged step and the columns ``step, epoch, lr,
momentum, train_loss`` (mean minibatch loss since the previous row) and, on evaluation rows, ``val_loss,
val_acc, train_eval_loss, train_eval_acc`` (on a fixed training subset of the validation set's size, in
eval mode, so that validation minus training loss compares like with like) and ``time`` (seconds of training
so far, evaluations excluded: the clock batch-size comparisons need). ``history.attrs`` holds
``status`` ("ok" or "diverged"), ``diverged_step`` and ``seconds``.

Snapshots (Smith §4.4, Fig. 12: search the weight decay from a snapshot instead of from scratch): a config
with ``snapshot_at=(s,)`` keeps its full training state after ``s`` updates in its cache entry, and a config
with ``start_from={"run": <that config as a dict>, "step": s}`` continues from it, with its own weight decay,
schedule values and remaining steps; its History starts at step ``s``.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from . import data as data_lib
from . import models, schedules

History = pd.DataFrame


@dataclass
class RunConfig:
    # data
    dataset: str = "mnist1d"
    n_train: int | None = None
    n_val: int | None = None
    n_test: int | None = None
    data_seed: int = 0
    # model
    model: str = "resnet20"
    model_kwargs: dict = field(default_factory=dict)
    # optimisation (SGD; Nesterov as in every solver of the paper)
    steps: int = 1000
    batch_size: int = 128
    lr: float | dict = 0.1
    momentum: float | dict = 0.9
    nesterov: bool = True
    weight_decay: float = 1e-4
    # measurement
    eval_every: int = 100
    log_every: int = 1
    seed: int = 0
    threads: int = 1
    device: str = "cpu"
    # snapshots
    snapshot_at: tuple[int, ...] = ()
    start_from: dict | None = None

    def __post_init__(self):
        data_lib.check_name(self.dataset)
        models.check_name(self.model)
        for name in ("steps", "batch_size", "eval_every", "log_every", "threads"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not (isinstance(self.weight_decay, (int, float)) and self.weight_decay >= 0):
            raise ValueError(f"weight_decay must be a number >= 0, got {self.weight_decay!r}")
        schedules.from_spec(self.lr)  # fails early on an unknown schedule name
        schedules.from_spec(self.momentum)
        self.snapshot_at = tuple(self.snapshot_at)
        if any(not 0 < s < self.steps for s in self.snapshot_at):
            raise ValueError(f"snapshot_at steps must lie in 1..steps-1 = {self.steps - 1}, got {self.snapshot_at}")
        if self.start_from is not None:
            parent, step = self.parent(), self.start_from.get("step")
            if step not in parent.snapshot_at or step >= self.steps:
                raise ValueError(f"start_from step {step!r} must be one of the parent's snapshot_at "
                                 f"{parent.snapshot_at} and below steps ({self.steps})")

    def parent(self) -> "RunConfig | None":
        """The run this one continues (``start_from``), if any."""
        if self.start_from is None:
            return None
        if set(self.start_from) != {"run", "step"}:
            raise ValueError(f"start_from needs exactly 'run' (a config dict) and 'step'; got {sorted(self.start_from)}")
        return RunConfig(**self.start_from["run"])

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def replace(self, **changes) -> "RunConfig":
        return dataclasses.replace(self, **changes)


def load_data(cfg: RunConfig) -> data_lib.Dataset:
    return data_lib.load(cfg.dataset, cfg.n_train, cfg.n_val, cfg.n_test, seed=cfg.data_seed, device=cfg.device)


@torch.no_grad()
def evaluate(model, x, y, batch_size: int = 1000) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` (in eval mode) on ``(x, y)``."""
    was_training = model.training
    model.eval()
    loss_sum, correct = 0.0, 0
    for i in range(0, len(y), batch_size):
        logits = model(x[i:i + batch_size])
        loss_sum += F.cross_entropy(logits, y[i:i + batch_size], reduction="sum").item()
        correct += (logits.argmax(1) == y[i:i + batch_size]).sum().item()
    model.train(was_training)
    return loss_sum / len(y), correct / len(y)


def train(cfg: RunConfig, data: data_lib.Dataset | None = None, state: dict | None = None,
          on_snapshot=None, model: torch.nn.Module | None = None) -> History:
    """Train ``cfg.model`` on ``cfg.dataset`` for ``cfg.steps`` SGD steps; return its History.

    ``state`` (a snapshot) continues a run from where it was taken; ``on_snapshot(step, state)`` receives the
    training state at each step of ``cfg.snapshot_at``. A reader's own ``model`` and ``data`` replace the
    named ones (the model is trained in place); ``cfg`` still gives every other setting."""
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    data = data if data is not None else load_data(cfg)
    if cfg.batch_size > len(data.y_train):
        raise ValueError(f"batch_size {cfg.batch_size} is larger than the training set ({len(data.y_train)} samples)")
    if model is None:
        model = models.build(cfg.model, data.input_shape, data.num_classes, **cfg.model_kwargs)
    model = model.to(cfg.device)
    lr_at, momentum_at = schedules.from_spec(cfg.lr), schedules.from_spec(cfg.momentum)
    optimizer = torch.optim.SGD(param_groups(model, cfg.weight_decay), lr=lr_at(0), momentum=momentum_at(0),
                                nesterov=cfg.nesterov and momentum_at(0) > 0)
    generator = torch.Generator().manual_seed(cfg.seed)
    n = len(data.y_train)
    batches_per_epoch = n // cfg.batch_size           # the last partial batch is dropped
    train_probe = torch.arange(min(len(data.y_val), n))  # fixed training subset for train_eval_*
    first_step, order = 0, None
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        for group in optimizer.param_groups:  # the snapshot's hyper-parameters give way to this run's
            group["weight_decay"] = cfg.weight_decay * group["decay_mult"]
        generator.set_state(state["generator"])
        first_step, order = int(state["step"]), state["order"].to(cfg.device)

    rows, window = [], []
    status, diverged_step = "ok", None
    start = time.perf_counter()
    train_seconds, tic = 0.0, start
    model.train()
    for step in range(first_step, cfg.steps):
        if step in cfg.snapshot_at and on_snapshot is not None:  # taken before this step draws anything
            # deep copies: state_dict() returns the live tensors, which the next steps change in place
            on_snapshot(step, copy.deepcopy({"step": step, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                                             "generator": generator.get_state(), "order": order.cpu()}))
        if step % batches_per_epoch == 0:
            order = torch.randperm(n, generator=generator).to(cfg.device)
        if step % cfg.eval_every == 0 or step == first_step > 0:
            train_seconds += time.perf_counter() - tic
            rows.append(_eval_row(model, data, train_probe, step, batches_per_epoch, train_seconds))
            tic = time.perf_counter()

        lr, momentum = lr_at(step), momentum_at(step)
        schedules.apply(optimizer, lr=lr, momentum=momentum)
        idx = order[(step % batches_per_epoch) * cfg.batch_size:][:cfg.batch_size]
        loss = F.cross_entropy(model(data.x_train[idx]), data.y_train[idx])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        window.append(loss.detach())

        if (step + 1) % cfg.log_every == 0 or step + 1 == cfg.steps:
            train_loss = torch.stack(window).mean().item()
            window = []
            rows.append({"step": step, "epoch": (step + 1) / batches_per_epoch, "lr": lr,
                         "momentum": momentum, "train_loss": train_loss})
            if not math.isfinite(train_loss):
                status, diverged_step = "diverged", step
                break
    if status == "ok":
        train_seconds += time.perf_counter() - tic
        rows.append(_eval_row(model, data, train_probe, cfg.steps, batches_per_epoch, train_seconds))

    history = _tidy(rows)
    history.attrs.update(status=status, diverged_step=diverged_step, seed=cfg.seed,
                         seconds=time.perf_counter() - start)
    return history


def param_groups(model, weight_decay: float) -> list[dict]:
    """One optimizer group per (lr_mult, decay_mult) pair of the model's ``param_multipliers`` (Caffe's
    per-parameter ``lr_mult`` / ``decay_mult``, where the paper's prototxt sets them); the rest at 1, 1."""
    multipliers = getattr(model, "param_multipliers", {})
    groups: dict[tuple[float, float], list] = {}
    for name, p in model.named_parameters():
        m = multipliers.get(name, {})
        groups.setdefault((m.get("lr", 1.0), m.get("decay", 1.0)), []).append(p)
    return [{"params": ps, "lr_mult": lr_mult, "decay_mult": decay_mult, "weight_decay": weight_decay * decay_mult}
            for (lr_mult, decay_mult), ps in groups.items()]


def _eval_row(model, data, train_probe, step, batches_per_epoch, train_seconds) -> dict:
    val_loss, val_acc = evaluate(model, data.x_val, data.y_val)
    tr_loss, tr_acc = evaluate(model, data.x_train[train_probe], data.y_train[train_probe])
    if not math.isfinite(val_loss):
        val_loss = float("nan")
    # Evaluations are recorded "before step `step`", i.e. after `step` updates.
    return {"step": step - 1, "epoch": step / batches_per_epoch, "val_loss": val_loss, "val_acc": val_acc,
            "train_eval_loss": tr_loss, "train_eval_acc": tr_acc, "time": train_seconds}


def _tidy(rows: list[dict]) -> History:
    """Merge train and eval rows of the same step into one row per step."""
    df = pd.DataFrame(rows)
    for col in ("lr", "momentum", "train_loss", "val_loss", "val_acc", "train_eval_loss", "train_eval_acc", "time"):
        if col not in df:
            df[col] = np.nan
    df = df.groupby("step", as_index=False, sort=True).first()
    return df[["step", "epoch", "lr", "momentum", "train_loss", "val_loss", "val_acc",
               "train_eval_loss", "train_eval_acc", "time"]]


def run(cfg: RunConfig) -> History:
    """``train(cfg)`` through the result cache: an unchanged config on unchanged data and code is
    trained once."""
    from . import cache, progress

    data = load_data(cfg)
    k = cache.key(cfg.to_dict(), data.fingerprint)
    history = cache.load(k)
    cached = history is not None
    if not cached:
        state = None
        if cfg.start_from is not None:
            parent = run(cfg.parent())
            state = cache.load_snapshot(parent.attrs["cache_key"], cfg.start_from["step"])
        snapshots = {}
        history = train(cfg, data, state, on_snapshot=lambda step, st: snapshots.__setitem__(step, st))
        cache.save(k, history, cfg.to_dict(), snapshots)
    progress.report(f"{cfg.model}/{cfg.dataset} seed {cfg.seed}", cached=cached)
    history.attrs["cache_key"] = k
    return history
