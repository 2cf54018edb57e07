"""hp_lib.stacked: runs trained as one stacked model are the runs they stand for."""

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from hp_lib import cache, models, optim, results, stacked, sweep, train

COLUMNS = ["train_loss", "val_loss", "val_acc", "train_eval_loss", "train_eval_acc"]


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("HP_BOOK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HP_BOOK_BUILD", str(tmp_path / "build"))
    sweep._stop_pool()
    yield
    sweep._stop_pool()


def base(model: str, **changes) -> train.RunConfig:
    cfg = train.RunConfig(dataset="mnist1d", n_train=1000, n_val=200, model=model, steps=200, batch_size=32,
                          eval_every=50, precision="fp32", lr=0.01)
    return cfg.replace(**changes)


def members(cfg: train.RunConfig) -> list[train.RunConfig]:
    """Four members that differ in everything a member may: seed, LR (one scheduled), momentum, weight decay."""
    return [cfg.replace(seed=0), cfg.replace(seed=1, lr={"name": "cosine", "value": cfg.lr, "total_steps": cfg.steps}),
            cfg.replace(seed=2, momentum=0.8, weight_decay=5e-4), cfg.replace(seed=3, lr=cfg.lr / 2)]


def relative_difference(a: pd.DataFrame, b: pd.DataFrame) -> float:
    x, y = a[COLUMNS].to_numpy(float), b[COLUMNS].to_numpy(float)
    assert a["step"].tolist() == b["step"].tolist() and (np.isnan(x) == np.isnan(y)).all()
    known = ~np.isnan(y)
    return float((np.abs(x - y)[known] / np.maximum(np.abs(y[known]), 1e-12)).max())


@pytest.mark.parametrize("model", stacked.ARCHITECTURES)
def test_a_stacked_model_computes_each_members_loss_and_gradients(model):
    data = train.load_data(base(model, n_train=200))
    built = []
    for seed in range(3):
        torch.manual_seed(seed)
        built.append(models.build(model, data.input_shape, data.num_classes, depth=8) if model == "wrn32_4"
                     else models.build(model, data.input_shape, data.num_classes))
    joined = stacked.stack(built)
    xs, ys = [data.x_train[16 * i:16 * (i + 1)] for i in range(3)], [data.y_train[16 * i:16 * (i + 1)] for i in range(3)]
    losses = [F.cross_entropy(m(x), y) for m, x, y in zip(built, xs, ys)]
    for loss in losses:
        loss.backward()
    logits = joined(torch.cat(xs, 1)).view(16, 3, -1)
    joint = F.cross_entropy(logits.permute(0, 2, 1), torch.stack(ys, 1), reduction="none").mean(0)
    joint.sum().backward()
    torch.testing.assert_close(joint, torch.stack(losses).detach(), rtol=1e-5, atol=1e-6)
    for name, p in joined.named_parameters():
        own = [dict(m.named_parameters())[name].grad for m in built]
        expected = torch.stack([g.t() for g in own]) if p.dim() == 3 else torch.cat(own).view_as(p)
        if name.endswith("bias") and p.dim() == 3:
            expected = torch.stack(own).unsqueeze(1)
        error = ((p.grad - expected).norm() / expected.norm()).item()
        assert error <= 1e-4, f"{model}: {name}'s gradient is off by {error:.1e} (relative norm)"


@pytest.mark.parametrize("model", ["mlp", "three_layer"])
def test_four_stacked_members_train_as_their_own_runs_over_200_steps(model):
    cfgs = members(base(model))
    data = train.load_data(cfgs[0])
    together = stacked.train(cfgs, data)
    for cfg, history in zip(cfgs, together):
        alone = train.train(cfg, data)
        assert relative_difference(history, alone) <= 1e-4
        assert history.attrs["stacked"] == 4 and history.attrs["status"] == "ok"


def test_a_resnets_stacked_members_differ_from_their_runs_no_more_than_another_kernel_does():
    """ResNet-20 at batch 32 amplifies rounding: the same run through Conv1d kernels (``plain``) leaves its
    row-convolution twin by ~1e-2 within 200 steps. The stacked members must agree with their runs to 1e-4 over
    the first steps and, after that, stay within the spread a change of kernel alone makes."""
    cfgs = members(base("resnet20", steps=60, eval_every=20))
    data = train.load_data(cfgs[0])
    together = stacked.train(cfgs, data)
    for cfg, history in zip(cfgs, together):
        alone = train.train(cfg, data)
        torch.manual_seed(cfg.seed)
        plain = train.train(cfg, data, model=models.build("resnet20", data.input_shape, data.num_classes, plain=True))
        early = history["step"] < 3
        assert relative_difference(history[early], alone[early]) <= 1e-4
        assert relative_difference(history, alone) <= max(1e-4, 3 * relative_difference(plain, alone))


def test_a_diverging_member_is_frozen_and_the_others_go_on():
    cfgs = members(base("mlp", steps=60, eval_every=20))
    cfgs[1] = cfgs[1].replace(lr=50.0)
    data = train.load_data(cfgs[0])
    together = stacked.train(cfgs, data)
    wild, alone = together[1], train.train(cfgs[1], data)
    assert wild.attrs["status"] == alone.attrs["status"] == "diverged"
    assert wild.attrs["diverged_step"] == alone.attrs["diverged_step"] < 59
    for i in (0, 2, 3):
        assert together[i].attrs["status"] == "ok"
        assert relative_difference(together[i], train.train(cfgs[i], data)) <= 1e-4


def test_stacked_training_is_deterministic():
    cfgs = members(base("three_layer", steps=40, eval_every=20, precision="bf16"))
    first, second = stacked.train(cfgs, None), stacked.train(cfgs, None)
    for a, b in zip(first, second):
        pd.testing.assert_frame_equal(a.drop(columns="time"), b.drop(columns="time"), check_exact=True)


def test_member_sgd_is_torch_sgd_for_each_member():
    torch.manual_seed(0)
    lrs, momenta, wds = torch.tensor([0.1, 0.05, 0.2]), torch.tensor([0.9, 0.0, 0.5]), torch.tensor([1e-3, 0.0, 1e-2])
    joint = torch.randn(6, 4, requires_grad=True)  # 3 members of 2 rows each
    own = [joint.detach()[2 * k:2 * k + 2].clone().requires_grad_() for k in range(3)]
    member_sgd = optim.MemberSGD([{"params": [joint], "lr_mult": 2.0, "decay_mult": 1.0}], 3, lrs, momenta, wds,
                                 nesterov=True)
    torch_sgds = [torch.optim.SGD([p], lr=2 * lrs[k].item(), momentum=momenta[k].item(),
                                  weight_decay=wds[k].item(), nesterov=momenta[k].item() > 0) for k, p in enumerate(own)]
    for step in range(20):
        grads = torch.randn(6, 4)
        joint.grad = grads.clone()
        member_sgd.step()
        for k, (p, opt) in enumerate(zip(own, torch_sgds)):
            p.grad = grads[2 * k:2 * k + 2].clone()
            opt.step()
    torch.testing.assert_close(joint.detach(), torch.cat([p.detach() for p in own]), rtol=1e-6, atol=1e-7)


def test_what_stacks_and_how_runs_are_grouped():
    cfg = base("resnet20")
    assert stacked.stackable(cfg) and not stacked.can_stack(base("densenet40"))
    assert stacked.can_stack(base("lenet")) and not stacked.stackable(base("lenet"))  # it can; it does not pay
    assert not stacked.stackable(base("mlp", model_kwargs={"dropout": 0.5}))
    assert not stacked.stackable(cfg.replace(snapshot_at=(100,))) and not stacked.stackable(cfg.replace(optimizer="adam"))
    grid = [cfg.replace(seed=s, lr=lr) for lr in (0.01, 0.1) for s in range(4)] + [cfg.replace(batch_size=64)]
    grouped = stacked.groups(grid, 4)
    assert sorted(map(len, grouped)) == [1, 4, 4]
    assert sorted(map(len, stacked.groups(grid[:7], 4))) == [3, 4]  # as even as can be
    assert sorted(map(len, stacked.groups(grid + [cfg.replace(seed=9)], 8))) == [1, 4, 5]
    assert stacked.groups(grid[::-1], 4) == grouped  # whatever the order they come in
    with pytest.raises(ValueError, match="differ only in seed, lr, momentum, weight_decay"):
        stacked.train([cfg, cfg.replace(batch_size=64)])


def test_a_stacked_sweep_stores_each_member_as_its_own_run(monkeypatch):
    cfgs = [base("mlp", steps=30, eval_every=10, seed=s) for s in range(3)]
    histories = sweep.run(cfgs, workers=1)
    assert [h.attrs["stacked"] for h in histories] == [3, 3, 3]
    for cfg, h in zip(cfgs, histories):
        stored = cache.load(results.key(cfg))
        pd.testing.assert_frame_equal(stored[COLUMNS], h[COLUMNS])
    monkeypatch.setattr(sweep, "run_stack", lambda cfgs: pytest.fail("cached runs were trained again"))
    assert [h.attrs["cache_key"] for h in sweep.run(cfgs, workers=1)] == [h.attrs["cache_key"] for h in histories]
    alone = [base("mlp", steps=30, eval_every=10, seed=s, lr=0.02) for s in range(2)]
    assert all("stacked" not in h.attrs for h in sweep.run(alone, workers=1, stack=False))
