"""The training loop: one plain config in, one tidy ``History`` out.

Everything a run depends on is in :class:`RunConfig` (airbench style): it is also the cache key. The loop knows
no cache (:mod:`hp_lib.results` stores what it returns) and reads top to bottom like nanoGPT's: build data and
model, then for every step set the scheduled LR and momentum, take the epoch's next minibatch (the dataset's
``epoch``: tensors indexed in memory, no DataLoader; ImageNet, which does not fit in memory, streams from its
loader processes), step, and every ``eval_every`` steps evaluate. A non-finite loss
stops the run and marks it ``diverged``. (:mod:`hp_lib.stacked` trains several runs as one model, each with
the History this loop would give it.)

The ``History`` is a pandas DataFrame with one row per logged step and the columns ``step, epoch, lr,
momentum, train_loss`` (mean minibatch loss since the previous row) and, on evaluation rows, ``val_loss,
val_acc, train_eval_loss, train_eval_acc`` (on a fixed training subset of the validation set's size, in
eval mode, so that validation minus training loss compares like with like; left empty with
``train_probe=False``, which halves the cost of evaluating) and ``time`` (seconds of training
so far, evaluations excluded: the clock batch-size comparisons need). ``history.attrs`` holds
``status`` ("ok" or "diverged"), ``diverged_step`` and ``seconds``.

Optimizers: ``optimizer="sgd"`` is ``torch.optim.SGD`` (Nesterov by default, as every solver of the paper);
the lecture's others are :mod:`hp_lib.optim`'s (``OPTIMIZERS``), with ``optimizer_kwargs`` for their other
arguments. ``momentum`` is SGD's momentum or the Adam family's :math:`\\beta_1`, so either can follow a schedule.

The lecture's regularizers and diagnostics, each off by default: ``l1`` (added to the loss, on the
parameters weight decay applies to: with ``weight_decay`` it is the elastic net), ``augment`` (a
:func:`hp_lib.regularize.augment_batch` spec), ``ema`` (adds ``ema_val_loss, ema_val_acc``: the averaged
weights evaluated), ``lr_plateau`` (a :class:`~hp_lib.schedules.ReduceOnPlateau` scale on the scheduled LR,
updated on the validation loss at every evaluation), ``lr_mults`` (per-layer LR multipliers by parameter-name
prefix; 0 freezes a layer) and ``log_update_ratio`` (adds ``update_ratio:<parameter>`` columns: the
update's norm over the weight's norm, per weight matrix, on logged steps).

The GPU path (the ``full`` profile): the data sits on ``device`` (minibatches are indexed there, nothing is
copied per step; ImageNet's arrive from pinned memory), the models keep activations channels-last,
``precision="bf16"`` runs the forward passes under bf16 autocast and ``compile=True`` compiles the model with
``torch.compile``. Tests run the same path on the CPU with tiny shapes.

Snapshots (Smith §4.4, Fig. 12: search the weight decay from a snapshot instead of from scratch): a config
with ``snapshot_at=(s,)`` keeps its full training state after ``s`` updates in its cache entry (``s`` may be
``steps``: the final state), and a config with ``start_from={"run": <that config as a dict>, "step": s}``
continues from it, with its own weight decay, schedule values and remaining steps; its History starts at step
``s``. ``init_from={"run": <config dict>, "reinit": [prefixes]}`` instead starts a new run from another run's
final weights (which it must snapshot at ``steps``), except the parameters named by ``reinit`` and those whose
shape differs (transfer learning: a new classifier for new classes).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import inspect
import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from . import data as data_lib
from . import models, optim, regularize, schedules

History = pd.DataFrame


@dataclass
class RunConfig:
    # data
    dataset: str = "mnist1d"
    n_train: int | None = None
    n_val: int | None = None
    n_test: int | None = None
    data_seed: int = 0
    classes: tuple[int, ...] | None = None
    label_noise: float = 0.0  # the fraction of training labels replaced by another class (data.noisy_labels)
    # model
    model: str = "resnet20"
    model_kwargs: dict = field(default_factory=dict)
    init_from: dict | None = None
    # optimisation
    optimizer: str = "sgd"
    optimizer_kwargs: dict = field(default_factory=dict)
    steps: int = 1000
    batch_size: int = 128
    lr: float | dict = 0.1
    momentum: float | dict = 0.9
    nesterov: bool = True
    weight_decay: float = 1e-4
    lr_mults: dict = field(default_factory=dict)
    lr_plateau: dict | None = None
    # regularization
    l1: float = 0.0
    augment: dict = field(default_factory=dict)
    ema: float | None = None
    # measurement
    eval_every: int = 100
    train_probe: bool = True  # evaluate on a training subset too (train_eval_loss, train_eval_acc)
    log_every: int = 1
    log_update_ratio: bool = False
    seed: int = 0
    threads: int = 1
    device: str = "cpu"
    precision: str = "fp32"  # "bf16": forward passes under bf16 autocast; "auto": bf16 where it pays (CPU_BF16)
    compile: bool = False    # torch.compile the model
    # snapshots
    snapshot_at: tuple[int, ...] = ()
    start_from: dict | None = None

    def __post_init__(self):
        data_lib.check_name(self.dataset)
        data_lib.check_label_noise(self.label_noise)
        if self.dataset in data_lib.STREAMED:
            data_lib.check_streamed(self.n_test, self.classes, self.label_noise)
        models.check_name(self.model)
        for name in ("steps", "batch_size", "eval_every", "log_every", "threads"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        for name in ("weight_decay", "l1"):
            value = getattr(self, name)
            if isinstance(value, bool) or not (isinstance(value, (int, float)) and value >= 0):
                raise ValueError(f"{name} must be a number >= 0, got {value!r}")
        self._check_schedules()
        self._check_optimizer()
        if not isinstance(self.train_probe, bool):
            raise ValueError(f"train_probe is True or False, got {self.train_probe!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"unknown precision {self.precision!r}; valid precisions: {', '.join(PRECISIONS)}")
        if self.classes is not None:
            self.classes = tuple(self.classes)
        if any(not (isinstance(m, (int, float)) and m >= 0) for m in self.lr_mults.values()):
            raise ValueError(f"lr_mults maps parameter-name prefixes to multipliers >= 0; got {self.lr_mults}")
        if self.lr_plateau is not None:
            schedules.ReduceOnPlateau(1.0, **self.lr_plateau)  # fails early on a bad argument
        regularize.check_augment(self.augment)
        if self.ema is not None and not 0 < self.ema < 1:
            raise ValueError(f"ema is a decay in (0, 1) or None, got {self.ema!r}")
        self.snapshot_at = tuple(self.snapshot_at)
        if any(not 0 < s <= self.steps for s in self.snapshot_at):
            raise ValueError(f"snapshot_at steps must lie in 1..steps = {self.steps}, got {self.snapshot_at}")
        if self.init_from is not None:
            if set(self.init_from) - {"run", "reinit"} or "run" not in self.init_from:
                raise ValueError(f"init_from needs 'run' (a config dict) and optionally 'reinit' (parameter-name "
                                 f"prefixes); got {sorted(self.init_from)}")
            source = RunConfig(**self.init_from["run"])
            if source.steps not in source.snapshot_at:
                raise ValueError(f"init_from's run must keep its final weights: snapshot_at must include its "
                                 f"steps ({source.steps}); got {source.snapshot_at}")
        if self.start_from is not None:
            parent, step = self.parent(), self.start_from.get("step")
            if step not in parent.snapshot_at or step >= self.steps:
                raise ValueError(f"start_from step {step!r} must be one of the parent's snapshot_at "
                                 f"{parent.snapshot_at} and below steps ({self.steps})")

    def _check_schedules(self) -> None:
        """The learning rate is finite and >= 0 at every step, and > 0 when constant (a schedule may start or
        end at 0); momentum (β1 for the Adam family) lies in [0, 1) — a schedule may touch 1, where Smith's
        momentum range tests end. Unknown schedule names fail in ``from_spec``."""
        lr_at, momentum_at = schedules.from_spec(self.lr), schedules.from_spec(self.momentum)
        steps = sorted({round(i * (self.steps - 1) / 1000) for i in range(1001)})  # every step, up to 1001 of them
        lrs = [lr_at(s) for s in steps]
        if isinstance(self.lr, dict):
            if not all(math.isfinite(v) and v >= 0 for v in lrs):
                raise ValueError(f"the learning rate must be finite and >= 0 at every step; "
                                 f"schedule {self.lr} gives values from {min(lrs):g} to {max(lrs):g}")
        elif not (math.isfinite(lrs[0]) and lrs[0] > 0):
            raise ValueError(f"lr must be a finite number > 0 (or a schedule), got {self.lr!r}")
        momenta = [momentum_at(s) for s in steps]
        if isinstance(self.momentum, dict):
            if not all(0 <= m <= 1 for m in momenta):
                raise ValueError(f"a momentum schedule must stay in [0, 1]; schedule {self.momentum} gives "
                                 f"values from {min(momenta):g} to {max(momenta):g}")
        elif not 0 <= momenta[0] < 1:
            raise ValueError(f"momentum (β1 for the Adam family) must lie in [0, 1), got {self.momentum!r}")

    def _check_optimizer(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; valid optimizers: {', '.join(OPTIMIZERS)}")
        for fixed in ("lr", "momentum", "nesterov", "weight_decay"):
            if fixed in self.optimizer_kwargs:
                raise ValueError(f"set {fixed} with the config's own field, not optimizer_kwargs")
        if "betas" in self.optimizer_kwargs:
            raise ValueError("set the Adam family's beta1 with `momentum` (it can follow a schedule) and beta2 "
                             "with optimizer_kwargs={'beta2': ...}, not 'betas'")
        try:
            inspect.signature(OPTIMIZERS[self.optimizer]).bind([], lr=0.1, **self.constructor_kwargs(0.9))
        except TypeError as e:
            raise ValueError(f"optimizer {self.optimizer!r}: {e}; it takes "
                             f"{inspect.signature(OPTIMIZERS[self.optimizer])}") from None

    def constructor_kwargs(self, momentum: float) -> dict:
        """``optimizer_kwargs`` as the optimizer's constructor takes them (``beta2`` joins β1 in ``betas``)."""
        kwargs = dict(self.optimizer_kwargs)
        if "beta2" in kwargs:
            kwargs["betas"] = (momentum, kwargs.pop("beta2"))
        return kwargs

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


PRECISIONS = ("fp32", "bf16", "auto")

# The models whose training is faster under bf16 autocast on a CPU with native bf16 (avx512_bf16):
# benchmarks/precision.py on the 2-core reference machine measured bf16 over float32 at 1.64x (skipgram), 1.48x
# (LeNet), 1.47x (char_lstm), 1.34x (WRN-32-4), 1.30x (ResNet-20), 1.16x (ResNet-56) and 1.07x (DenseNet-40),
# but 0.91x for the 3-layer net and 0.63x for the MLP (too small for bf16's conversions to pay); precision
# "auto" trains the first seven in bf16 and the other two in float32.
CPU_BF16 = frozenset({"skipgram", "lenet", "char_lstm", "wrn32_4", "resnet20", "resnet56", "densenet40"})

OPTIMIZERS = {"sgd": torch.optim.SGD, "adagrad": optim.AdaGrad, "rmsprop": optim.RMSProp,
              "adadelta": optim.Adadelta, "adam": optim.Adam, "amsgrad": optim.AMSGrad, "adamw": optim.AdamW,
              "adamax": optim.Adamax, "nadam": optim.Nadam}


EVAL_BATCH = 500  # samples per forward pass when evaluating


def load_data(cfg: RunConfig) -> data_lib.Dataset:
    return data_lib.load(cfg.dataset, cfg.n_train, cfg.n_val, cfg.n_test, seed=cfg.data_seed, device=cfg.device,
                         classes=cfg.classes, label_noise=cfg.label_noise)


def build_optimizer(cfg: RunConfig, groups: list[dict], lr: float, momentum: float) -> torch.optim.Optimizer:
    kwargs = cfg.constructor_kwargs(momentum)
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=momentum, nesterov=cfg.nesterov and momentum > 0, **kwargs)
    return OPTIMIZERS[cfg.optimizer](groups, lr=lr, **kwargs)


def precision(cfg: RunConfig) -> str:
    """The precision a run trains in: ``auto`` is bf16 on a GPU, and on the CPU for the models of
    :data:`CPU_BF16`; float32 otherwise."""
    if cfg.precision != "auto":
        return cfg.precision
    return "bf16" if torch.device(cfg.device).type == "cuda" or cfg.model in CPU_BF16 else "fp32"


def autocast(cfg: RunConfig) -> torch.autocast:
    """The forward passes' precision: bf16 autocast (matmuls and convolutions in bf16; reductions, softmax and
    the loss in float32; weights and optimizer state stay float32) or float32."""
    return torch.autocast(torch.device(cfg.device).type, torch.bfloat16, enabled=precision(cfg) == "bf16")


def evaluate(model, x, y, batch_size: int = EVAL_BATCH, precision=None) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` (in eval mode) on ``(x, y)``, under ``precision`` (a
    context manager, e.g. :func:`autocast`) if given."""
    return evaluate_batches(model, ((x[i:i + batch_size], y[i:i + batch_size]) for i in range(0, len(y), batch_size)),
                            precision)


@torch.no_grad()
def evaluate_batches(model, batches, precision=None) -> tuple[float, float]:
    """:func:`evaluate` on minibatches ``(x, y)``."""
    was_training = model.training
    model.eval()
    loss_sum, correct, count = 0.0, 0, 0
    for x, y in batches:
        with precision or contextlib.nullcontext():
            logits = model(x).float()
        loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
        correct += (logits.argmax(1) == y).sum().item()
        count += y.numel()
    model.train(was_training)
    return loss_sum / count, correct / count  # per position, for sequence tasks


def train(cfg: RunConfig, data: data_lib.Dataset | None = None, state: dict | None = None,
          on_snapshot=None, model: torch.nn.Module | None = None, init: dict | None = None) -> History:
    """Train ``cfg.model`` on ``cfg.dataset`` for ``cfg.steps`` steps; return its History.

    ``state`` (a snapshot) continues a run from where it was taken; ``init`` (another run's final snapshot)
    gives the starting weights of ``cfg.init_from``; ``on_snapshot(step, state)`` receives the training
    state at each step of ``cfg.snapshot_at``. A reader's own ``model`` and ``data`` replace the named ones
    (the model is trained in place); ``cfg`` still gives every other setting."""
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    data = data if data is not None else load_data(cfg)
    if cfg.batch_size > len(data.y_train):
        raise ValueError(f"batch_size {cfg.batch_size} is larger than the training set ({len(data.y_train)} samples)")
    if model is None:
        model = models.build(cfg.model, data.input_shape, data.num_classes, **cfg.model_kwargs)
    model = model.to(cfg.device)
    if init is not None:
        load_weights(model, init["model"], cfg.init_from.get("reinit", ()))
    lr_at, momentum_at = schedules.from_spec(cfg.lr), schedules.from_spec(cfg.momentum)
    groups = param_groups(model, cfg.weight_decay, cfg.lr_mults)
    optimizer = build_optimizer(cfg, groups, lr_at(0), momentum_at(0))
    ema = regularize.EMA(model, cfg.ema) if cfg.ema else None
    if cfg.compile:  # in place, after EMA's copy: state_dict keys and snapshots stay those of the plain model
        model.compile()
    plateau = schedules.ReduceOnPlateau(1.0, **cfg.lr_plateau) if cfg.lr_plateau else None
    watched = [(name, p) for name, p in model.named_parameters() if p.dim() > 1 and p.requires_grad]
    generator = torch.Generator().manual_seed(cfg.seed)
    n = len(data.y_train)
    batches_per_epoch = n // cfg.batch_size           # the last partial batch is dropped
    probe = min(len(data.y_val), n)  # the fixed training subset of train_eval_*: its first samples
    first_step, order = 0, None
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        for group in optimizer.param_groups:  # the snapshot's hyper-parameters give way to this run's
            group["weight_decay"] = cfg.weight_decay * group["decay_mult"]
        generator.set_state(state["generator"])
        torch.set_rng_state(state["rng"])
        first_step, order = int(state["step"]), state["order"].to(cfg.device)
        batches = data.epoch(order, cfg.batch_size, first_step % batches_per_epoch,
                             _draw(cfg, first_step, batches_per_epoch))
        if ema is not None and "ema" in state:
            ema.model.load_state_dict(state["ema"])
            ema.updates = state["ema_updates"]
        if plateau is not None and "plateau" in state:
            plateau.__dict__.update(state["plateau"])

    def snapshot(step: int) -> None:
        # deep copies: state_dict() returns the live tensors, which the next steps change in place
        st = {"step": step, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
              "generator": generator.get_state(), "rng": torch.get_rng_state(), "order": order.cpu()}
        if ema is not None:
            st.update(ema=ema.model.state_dict(), ema_updates=ema.updates)
        if plateau is not None:
            st["plateau"] = dict(vars(plateau))
        on_snapshot(step, copy.deepcopy(st))

    rows, window = [], []
    status, diverged_step = "ok", None
    start = time.perf_counter()
    train_seconds, tic = 0.0, start
    scale = plateau.value if plateau is not None else 1.0
    model.train()
    for step in range(first_step, cfg.steps):
        if step in cfg.snapshot_at and on_snapshot is not None:  # taken before this step draws anything
            snapshot(step)
        if step % batches_per_epoch == 0:
            order = torch.randperm(n, generator=generator).to(cfg.device)
            batches = data.epoch(order, cfg.batch_size, 0, _draw(cfg, step, batches_per_epoch))
        if step % cfg.eval_every == 0 or step == first_step > 0:
            train_seconds += time.perf_counter() - tic
            rows.append(_eval_row(model, ema, data, probe, step, batches_per_epoch, train_seconds, cfg))
            if plateau is not None and step > first_step:
                scale = plateau.update(rows[-1]["val_loss"])
            tic = time.perf_counter()

        lr, momentum = lr_at(step) * scale, momentum_at(step)
        schedules.apply(optimizer, lr=lr, momentum=momentum)
        x, y_a, y_b, lam = regularize.augment_batch(*next(batches), cfg.augment)
        with autocast(cfg):
            logits = model(x).float()  # the loss in float32 whatever the forward pass's precision
        loss = F.cross_entropy(logits, y_a) if lam == 1.0 else \
            lam * F.cross_entropy(logits, y_a) + (1 - lam) * F.cross_entropy(logits, y_b)
        objective = loss + cfg.l1 * l1_penalty(optimizer) if cfg.l1 else loss
        optimizer.zero_grad(set_to_none=True)
        objective.backward()
        log_row = (step + 1) % cfg.log_every == 0 or step + 1 == cfg.steps
        before = [p.detach().clone() for _, p in watched] if cfg.log_update_ratio and log_row else None
        optimizer.step()
        if ema is not None:
            ema.update(model)
        window.append(loss.detach())

        if log_row:
            train_loss = torch.stack(window).mean().item()
            window = []
            rows.append({"step": step, "epoch": (step + 1) / batches_per_epoch, "lr": lr,
                         "momentum": momentum, "train_loss": train_loss})
            if before is not None:
                rows[-1].update({f"update_ratio:{name}": ((p.detach() - b).norm() / b.norm()).item()
                                 for (name, p), b in zip(watched, before)})
            if not math.isfinite(train_loss):
                status, diverged_step = "diverged", step
                break
    if status == "ok":
        train_seconds += time.perf_counter() - tic
        rows.append(_eval_row(model, ema, data, probe, cfg.steps, batches_per_epoch, train_seconds, cfg))
        if cfg.steps in cfg.snapshot_at and on_snapshot is not None:
            snapshot(cfg.steps)

    history = _tidy(rows)
    history.attrs.update(status=status, diverged_step=diverged_step, seed=cfg.seed, precision=precision(cfg),
                         seconds=time.perf_counter() - start)
    return history


def param_groups(model, weight_decay: float, lr_mults: dict | None = None) -> list[dict]:
    """One optimizer group per (lr_mult, decay_mult) pair: the model's ``param_multipliers`` (Caffe's
    per-parameter ``lr_mult`` / ``decay_mult``, where the paper's prototxt sets them) times the ``lr_mults``
    of the longest matching parameter-name prefix (differential learning rates); the rest at 1, 1. A
    parameter whose multiplier is 0 is frozen."""
    multipliers = getattr(model, "param_multipliers", {})
    names = [name for name, _ in model.named_parameters()]
    for prefix in lr_mults or {}:
        if not any(name.startswith(prefix) for name in names):
            raise ValueError(f"lr_mults prefix {prefix!r} names no parameter; parameters: {', '.join(names)}")
    groups: dict[tuple[float, float], list] = {}
    for name, p in model.named_parameters():
        m = multipliers.get(name, {})
        matches = [prefix for prefix in lr_mults or {} if name.startswith(prefix)]
        lr_mult = m.get("lr", 1.0) * (lr_mults[max(matches, key=len)] if matches else 1.0)
        if lr_mult == 0:
            p.requires_grad_(False)
            continue
        groups.setdefault((lr_mult, m.get("decay", 1.0)), []).append(p)
    return [{"params": ps, "lr_mult": lr_mult, "decay_mult": decay_mult, "weight_decay": weight_decay * decay_mult}
            for (lr_mult, decay_mult), ps in groups.items()]


def l1_penalty(optimizer) -> torch.Tensor:
    """:math:`\\sum |w|` over the parameters, each weighted by its group's ``decay_mult``."""
    return sum(group["decay_mult"] * sum(p.abs().sum() for p in group["params"])
               for group in optimizer.param_groups)


def load_weights(model, weights: dict, reinit=()) -> None:
    """Copy ``weights`` into ``model``, except the parameters whose names start with a ``reinit`` prefix and
    those whose shape differs (they keep their fresh initialisation)."""
    own = model.state_dict()
    kept = {name: w for name, w in weights.items()
            if name in own and own[name].shape == w.shape and not any(name.startswith(r) for r in reinit)}
    model.load_state_dict(kept, strict=False)


def _draw(cfg: RunConfig, step: int, batches_per_epoch: int) -> int:
    """The seed of a streamed dataset's random crops in the epoch of ``step``: one per run and epoch."""
    return cfg.seed * 100_003 + step // batches_per_epoch


def _eval_row(model, ema, data, probe, step, batches_per_epoch, train_seconds, cfg) -> dict:
    val_loss, val_acc = evaluate_batches(model, data.held_out(EVAL_BATCH), precision=autocast(cfg))
    tr_loss = tr_acc = float("nan")
    if cfg.train_probe:
        tr_loss, tr_acc = evaluate_batches(model, data.probe(probe, EVAL_BATCH), precision=autocast(cfg))
    if not math.isfinite(val_loss):
        val_loss = float("nan")
    # Evaluations are recorded "before step `step`", i.e. after `step` updates.
    row = {"step": step - 1, "epoch": step / batches_per_epoch, "val_loss": val_loss, "val_acc": val_acc,
           "train_eval_loss": tr_loss, "train_eval_acc": tr_acc, "time": train_seconds}
    if ema is not None:
        row["ema_val_loss"], row["ema_val_acc"] = evaluate_batches(ema.model, data.held_out(EVAL_BATCH),
                                                                   precision=autocast(cfg))
    return row


def _tidy(rows: list[dict]) -> History:
    """Merge train and eval rows of the same step into one row per step."""
    df = pd.DataFrame(rows)
    for col in ("lr", "momentum", "train_loss", "val_loss", "val_acc", "train_eval_loss", "train_eval_acc", "time"):
        if col not in df:
            df[col] = np.nan
    df = df.groupby("step", as_index=False, sort=True).first()
    columns = ["step", "epoch", "lr", "momentum", "train_loss", "val_loss", "val_acc", "train_eval_loss",
               "train_eval_acc", "time"]
    return df[columns + [c for c in df.columns if c not in columns]]  # then ema_* and update_ratio:*

