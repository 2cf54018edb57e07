"""The training loop's lecture options: optimizers, L1, plateau LR, EMA, update ratios, differential LRs,
transfer from another run, augmentation and sequence tasks, each against a reference or a closed form."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from hp_lib import data, models, results, schedules, train


pytestmark = pytest.mark.usefixtures("isolated_home")


def small(**changes) -> train.RunConfig:
    cfg = train.RunConfig(dataset="digits", model="mlp", model_kwargs={"width": 32}, n_train=200, n_val=100,
                          n_test=100, steps=30, batch_size=32, eval_every=10, lr=0.05, weight_decay=0.0)
    return cfg.replace(**changes)


def reference_loop(cfg: train.RunConfig, make_optimizer, l1: float = 0.0) -> torch.nn.Module:
    """The plain PyTorch idiom of the same run: same seed, same batches, the optimizer given."""
    torch.manual_seed(cfg.seed)
    d = train.load_data(cfg)
    model = models.build(cfg.model, d.input_shape, d.num_classes, **cfg.model_kwargs)
    opt = make_optimizer(model.parameters())
    generator = torch.Generator().manual_seed(cfg.seed)
    n, per_epoch = len(d.y_train), len(d.y_train) // cfg.batch_size
    for step in range(cfg.steps):
        if step % per_epoch == 0:
            order = torch.randperm(n, generator=generator)
        idx = order[(step % per_epoch) * cfg.batch_size:][:cfg.batch_size]
        loss = F.cross_entropy(model(d.x_train[idx]), d.y_train[idx])
        if l1:
            loss = loss + l1 * sum(p.abs().sum() for p in model.parameters())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model


def trained(cfg: train.RunConfig) -> torch.nn.Module:
    torch.manual_seed(cfg.seed)
    d = train.load_data(cfg)
    model = models.build(cfg.model, d.input_shape, d.num_classes, **cfg.model_kwargs)
    train.train(cfg, d, model=model)
    return model


def assert_same_weights(a: torch.nn.Module, b: torch.nn.Module, rtol=1e-5, atol=1e-7):
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        torch.testing.assert_close(p, q, rtol=rtol, atol=atol, msg=name)


@pytest.mark.parametrize("name,reference", [
    ("adam", lambda ps: torch.optim.Adam(ps, lr=1e-2, betas=(0.9, 0.99), weight_decay=1e-3)),
    ("adamw", lambda ps: torch.optim.AdamW(ps, lr=1e-2, betas=(0.9, 0.99), weight_decay=1e-3)),
    ("rmsprop", lambda ps: torch.optim.RMSprop(ps, lr=1e-2, alpha=0.9, weight_decay=1e-3)),
    ("nadam", lambda ps: torch.optim.NAdam(ps, lr=1e-2, betas=(0.9, 0.99), weight_decay=1e-3)),
])
def test_optimizers_follow_torch(name, reference):
    kwargs = {"alpha": 0.9} if name == "rmsprop" else {"beta2": 0.99}
    cfg = small(optimizer=name, optimizer_kwargs=kwargs, lr=1e-2, weight_decay=1e-3)
    assert_same_weights(trained(cfg), reference_loop(cfg, reference))


def test_l1_is_added_to_the_loss():
    cfg = small(momentum=0.0, l1=1e-3)
    assert_same_weights(trained(cfg), reference_loop(cfg, lambda ps: torch.optim.SGD(ps, lr=0.05), l1=1e-3))


def test_momentum_is_adams_beta1():
    cfg = small(optimizer="adam", lr=1e-2, momentum={"name": "constant", "value": 0.5})
    assert_same_weights(trained(cfg), reference_loop(cfg, lambda ps: torch.optim.Adam(ps, lr=1e-2, betas=(0.5, 0.999))))


@pytest.mark.parametrize("changes,match", [
    ({"optimizer": "lbfgs"}, "valid optimizers: sgd, adagrad"),
    ({"optimizer": "adam", "optimizer_kwargs": {"betas": (0.9, 0.9)}}, "beta1 with `momentum`"),
    ({"optimizer": "adam", "optimizer_kwargs": {"lr": 0.1}}, "config's own field"),
    ({"optimizer": "adagrad", "optimizer_kwargs": {"rho": 0.9}}, "it takes"),
    ({"l1": -1.0}, "l1 must be a number >= 0"),
    ({"lr_mults": {"net.1": -1}}, "lr_mults"),
    ({"lr_plateau": {"factor": 2.0}}, "factor"),
    ({"augment": {"rotate": 3}}, "unknown augmentation"),
    ({"ema": 1.0}, "ema is a decay"),
    ({"init_from": {"run": {"steps": 10}}}, "snapshot_at must include its steps"),
    ({"init_from": {"config": {}}}, "init_from needs 'run'"),
])
def test_bad_options_are_rejected(changes, match):
    with pytest.raises(ValueError, match=match):
        small(**changes)


def test_plateau_halves_the_lr_down_to_a_1024th():
    """A negligible LR keeps the validation loss flat, so with patience 0 every evaluation after the first
    halves the LR, until the floor of 1/1024."""
    h = train.train(small(steps=260, eval_every=20, lr=1e-12, momentum=0.0,
                          lr_plateau={"factor": 0.5, "patience": 0}))
    scale = (h["lr"] / 1e-12).dropna()
    assert scale.iloc[0] == 1.0 and scale.is_monotonic_decreasing
    assert sorted(set(scale.round(12))) == [0.5 ** k for k in range(10, -1, -1)]
    assert scale.iloc[-1] == pytest.approx(1 / 1024)


def test_ema_with_a_tiny_decay_is_the_model():
    h = train.train(small(ema=1e-9))
    evals = h.dropna(subset=["val_loss"]).iloc[1:]
    assert list(h.columns[-2:]) == ["ema_val_loss", "ema_val_acc"]
    assert evals["ema_val_loss"].tolist() == pytest.approx(evals["val_loss"].tolist(), rel=1e-6)


def test_update_ratio_of_plain_sgd_scales_with_the_lr():
    """Without momentum or decay the first update is -lr·g: its ratio to ||W|| is proportional to the LR."""
    first = {lr: train.train(small(lr=lr, momentum=0.0, log_update_ratio=True, steps=1)) for lr in (0.1, 0.2)}
    columns = [c for c in first[0.1].columns if c.startswith("update_ratio:")]
    assert columns == ["update_ratio:net.1.weight", "update_ratio:net.3.weight", "update_ratio:net.5.weight"]
    for c in columns:
        assert first[0.2][c].dropna().iloc[0] == pytest.approx(2 * first[0.1][c].dropna().iloc[0], rel=1e-5)


def test_lr_mults_freeze_and_scale_layers():
    cfg = small(lr_mults={"net.1": 0.0, "net.3": 0.5}, momentum=0.0)
    torch.manual_seed(cfg.seed)
    d = train.load_data(cfg)
    model = models.build(cfg.model, d.input_shape, d.num_classes, **cfg.model_kwargs)
    first = model.net[1].weight.detach().clone()
    groups = train.param_groups(model, 0.0, cfg.lr_mults)
    assert sorted(g["lr_mult"] for g in groups) == [0.5, 1.0]
    train.train(cfg, d, model=model)
    assert torch.equal(model.net[1].weight, first)
    with pytest.raises(ValueError, match="names no parameter"):
        train.param_groups(model, 0.0, {"encoder": 0.1})


def test_init_from_starts_at_the_source_runs_final_weights():
    source = small(classes=(0, 1, 2, 3, 4), n_train=300, n_val=100, n_test=0, snapshot_at=(30,))
    same_task = small(classes=(0, 1, 2, 3, 4), n_train=300, n_val=100, n_test=0, init_from={"run": source.to_dict()})
    new_task = same_task.replace(classes=(5, 6, 7, 8, 9), init_from={"run": source.to_dict(), "reinit": ["net.5"]})
    h_source, h_same = results.run(source), results.run(same_task)
    assert h_same["val_acc"].dropna().iloc[0] == h_source["val_acc"].dropna().iloc[-1]
    h_new = results.run(new_task)
    assert h_new.attrs["status"] == "ok" and h_new["val_acc"].dropna().iloc[-1] > 0.5


def test_load_weights_keeps_the_reinitialised_and_reshaped():
    torch.manual_seed(0)
    a, b = models.build("mlp", (1, 8, 8), 5, width=16), models.build("mlp", (1, 8, 8), 7, width=16)
    fresh = {k: v.clone() for k, v in b.state_dict().items()}
    train.load_weights(b, a.state_dict(), reinit=["net.3"])
    assert torch.equal(b.net[1].weight, a.net[1].weight)
    assert torch.equal(b.net[3].weight, fresh["net.3.weight"])     # reinit
    assert torch.equal(b.net[5].weight, fresh["net.5.weight"])     # 7 classes, not 5


def test_augmented_runs_learn():
    h = train.train(small(augment={"flip": True, "crop": 1, "cutout": 3, "mixup": 0.4}, steps=150, lr=0.1))
    val = h["val_loss"].dropna()
    assert h.attrs["status"] == "ok" and val.iloc[-1] < 0.8 * val.iloc[0]


def test_sequence_accuracy_is_per_position():
    cfg = small(dataset="chars", model="char_lstm", model_kwargs={"hidden": 16}, n_train=64, n_val=32, n_test=0,
                steps=2, optimizer="adam", lr=1e-3)
    h = train.train(cfg)
    d = train.load_data(cfg)
    assert d.y_val.shape == (32, 32)
    assert 0 <= h["val_acc"].dropna().iloc[0] <= 1
    assert h["val_loss"].dropna().iloc[0] == pytest.approx(math.log(d.num_classes), rel=0.05)


def test_nested_warmup_spec():
    spec = {"name": "linear_warmup", "schedule": {"name": "cosine", "value": 0.4, "total_steps": 100},
            "warmup_steps": 10}
    direct = schedules.linear_warmup(schedules.cosine(0.4, 100), 10)
    assert [schedules.from_spec(spec)(t) for t in range(100)] == [direct(t) for t in range(100)]
    train.RunConfig(lr=spec)  # a valid run setting


def test_class_subsets_are_relabelled():
    d = data.load("digits", 250, 100, 0, classes=(7, 3))
    full = data.load("digits", 1797 - 1, 1, 0)
    assert d.num_classes == 2 and set(d.y_train.tolist()) == {0, 1}
    with pytest.raises(ValueError, match="classes 0..9"):
        data.load("digits", 100, 10, 0, classes=(3, 12))
    # label 0 is a 7: the mean 7 of the full set is closer to a relabelled-0 image than the mean 3
    sevens, threes = full.x_train[full.y_train == 7].mean(0), full.x_train[full.y_train == 3].mean(0)
    zeros = d.x_train[d.y_train == 0].mean(0)
    assert (zeros - sevens).norm() < (zeros - threes).norm()
