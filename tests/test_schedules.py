"""Schedules as pure functions, checked against PyTorch's own schedulers step by step."""

from __future__ import annotations

import math
import warnings

import pytest
import torch

from hp_lib import schedules


def _approx(x):
    return pytest.approx(x, rel=1e-9, abs=1e-12)


def _sgd(lr=0.1, momentum=0.9):
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr, momentum=momentum)


def _drive(optimizer, scheduler, n, read_momentum=False):
    """The values PyTorch uses for the updates 0..n-1 (read before each ``scheduler.step()``)."""
    lrs, moms = [], []
    for i in range(n):
        lrs.append(optimizer.param_groups[0]["lr"])
        moms.append(optimizer.param_groups[0]["momentum"])
        if i < n - 1:
            optimizer.step()
            scheduler.step()
    return (lrs, moms) if read_momentum else lrs


# --- one_cycle vs OneCycleLR -------------------------------------------------------------------------

@pytest.mark.parametrize("anneal", ["cos", "linear"])
@pytest.mark.parametrize("three_phase", [False, True])
@pytest.mark.parametrize("pct_start", [0.3, 0.25, 0.45])
@pytest.mark.parametrize("total_steps", [37, 1_200])
def test_one_cycle_matches_torch(anneal, three_phase, pct_start, total_steps):
    kw = dict(max_lr=0.8, total_steps=total_steps, pct_start=pct_start, div_factor=20.0,
              final_div_factor=500.0, three_phase=three_phase, base_momentum=0.8, max_momentum=0.95)
    opt = _sgd()
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, anneal_strategy=anneal, cycle_momentum=True, **kw)
    ref_lr, ref_mom = _drive(opt, sched, total_steps, read_momentum=True)

    lr_at, mom_at = schedules.one_cycle(anneal=anneal, **kw)
    for step in range(total_steps):
        assert lr_at(step) == _approx(ref_lr[step]), f"lr at step {step}"
        assert mom_at(step) == _approx(ref_mom[step]), f"momentum at step {step}"


def test_one_cycle_endpoints():
    lr_at, mom_at = schedules.one_cycle(1.0, 100, pct_start=0.3, div_factor=25.0, final_div_factor=1e4)
    assert lr_at(0) == _approx(1.0 / 25)
    assert lr_at(29) == _approx(1.0)  # end of the warm-up phase: pct_start * total - 1
    assert lr_at(99) == _approx(1.0 / 25 / 1e4)
    assert mom_at(0) == _approx(0.95) and mom_at(29) == _approx(0.85) and mom_at(99) == _approx(0.95)


def test_one_cycle_unknown_anneal():
    with pytest.raises(ValueError, match="cos"):
        schedules.one_cycle(1.0, 100, anneal="step")


# --- triangular vs CyclicLR --------------------------------------------------------------------------

@pytest.mark.parametrize("mode,gamma", [("triangular", 1.0), ("triangular2", 1.0), ("exp_range", 0.9995)])
@pytest.mark.parametrize("step_size_down", [None, 70])
def test_triangular_matches_torch(mode, gamma, step_size_down):
    """LR and cyclical momentum (the same rule with the bounds swapped) against CyclicLR, 1,200 steps."""
    base_lr, max_lr, up, n = 0.01, 0.3, 50, 1_200
    opt = _sgd(lr=base_lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = torch.optim.lr_scheduler.CyclicLR(opt, base_lr=base_lr, max_lr=max_lr, step_size_up=up,
                                                  step_size_down=step_size_down, mode=mode, gamma=gamma,
                                                  cycle_momentum=True, base_momentum=0.85, max_momentum=0.95)
    ref, ref_mom = _drive(opt, sched, n, read_momentum=True)

    f = schedules.triangular(base_lr, max_lr, up, step_size_down, mode=mode, gamma=gamma)
    momentum = schedules.triangular(0.95, 0.85, up, step_size_down, mode=mode, gamma=gamma)
    assert [f(t) for t in range(n)] == [_approx(r) for r in ref]
    assert [momentum(t) for t in range(n)] == [_approx(r) for r in ref_mom]
    # sanity: the reference really cycles (base at step 0, first peak at step_size_up)
    scale = gamma ** up if mode == "exp_range" else 1.0
    assert ref[0] == _approx(base_lr)
    assert ref[up] == _approx(base_lr + (max_lr - base_lr) * scale)
    assert max(ref) == ref[up]


def test_triangular_unknown_mode():
    with pytest.raises(ValueError, match="exp_range"):
        schedules.triangular(0.1, 1.0, 5, mode="sawtooth")


# --- range_test -------------------------------------------------------------------------------------

def test_range_test_linear():
    f = schedules.range_test(0.01, 1.01, 11, mode="linear")
    assert f(0) == 0.01
    assert f(10) == _approx(1.01)
    assert f(5) == _approx(0.51)  # arithmetic midpoint
    assert f(3) == _approx(0.01 + 1.0 * 3 / 10)
    assert f(11) == _approx(1.01) and f(1000) == _approx(1.01)  # constant after n-1


def test_range_test_exp():
    f = schedules.range_test(1e-4, 1.0, 11, mode="exp")
    assert f(0) == _approx(1e-4)
    assert f(10) == _approx(1.0)
    assert f(5) == _approx(math.sqrt(1e-4 * 1.0))  # geometric midpoint
    # equal ratio per step
    ratios = [f(t + 1) / f(t) for t in range(10)]
    assert ratios == [_approx(10 ** 0.4)] * 10
    assert f(50) == _approx(1.0)


def test_range_test_default_mode_is_exp():
    assert schedules.range_test(1e-3, 1e-1, 3)(1) == _approx(1e-2)


def test_range_test_errors():
    with pytest.raises(ValueError, match="linear"):
        schedules.range_test(1e-3, 1.0, 10, mode="cosine")
    with pytest.raises(ValueError, match="start_lr > 0"):
        schedules.range_test(0.0, 1.0, 10, mode="exp")
    with pytest.raises(ValueError):
        schedules.range_test(-1e-3, 1.0, 10, mode="exp")
    # a linear test may start at zero
    assert schedules.range_test(0.0, 1.0, 3, mode="linear")(1) == _approx(0.5)


# --- from_spec and apply ------------------------------------------------------------------------------

def test_from_spec_numbers_are_constants():
    f = schedules.from_spec(0.1)
    assert [f(t) for t in (0, 1, 10_000)] == [0.1, 0.1, 0.1]
    g = schedules.from_spec(3)
    assert g(7) == 3.0 and isinstance(g(7), float)


def test_from_spec_dicts():
    spec = {"name": "range_test", "start_lr": 1e-3, "end_lr": 1.0, "num_steps": 5, "mode": "linear"}
    f, ref = schedules.from_spec(spec), schedules.range_test(1e-3, 1.0, 5, "linear")
    assert [f(t) for t in range(8)] == [ref(t) for t in range(8)]
    g = schedules.from_spec({"name": "triangular", "base_lr": 0.1, "max_lr": 1.0, "step_size_up": 4})
    assert g(0) == _approx(0.1) and g(4) == _approx(1.0) and g(8) == _approx(0.1)
    assert schedules.from_spec({"name": "constant", "value": 0.5})(3) == 0.5
    assert spec["name"] == "range_test"  # the spec is not mutated


def test_from_spec_unknown_name_lists_valid():
    with pytest.raises(ValueError) as e:
        schedules.from_spec({"name": "cosine_warmup", "max_lr": 1.0})
    msg = str(e.value)
    assert "cosine_warmup" in msg
    for name in schedules.SCHEDULES:
        assert name in msg


@pytest.mark.parametrize("bad", ["0.1", {"start_lr": 0.1}, [0.1], None])
def test_from_spec_rejects_other_data(bad):
    with pytest.raises(ValueError):
        schedules.from_spec(bad)


def test_apply_sgd_all_groups():
    a, b = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))
    opt = torch.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    schedules.apply(opt, lr=0.02, momentum=0.7)
    assert [g["lr"] for g in opt.param_groups] == [0.02, 0.02]
    assert [g["momentum"] for g in opt.param_groups] == [0.7, 0.7]
    schedules.apply(opt, lr=0.3)  # momentum left alone
    assert [g["lr"] for g in opt.param_groups] == [0.3, 0.3]
    assert [g["momentum"] for g in opt.param_groups] == [0.7, 0.7]
    schedules.apply(opt, momentum=0.5)  # lr left alone
    assert [g["lr"] for g in opt.param_groups] == [0.3, 0.3]
    assert [g["momentum"] for g in opt.param_groups] == [0.5, 0.5]


def test_apply_adam_sets_beta1():
    opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))], lr=1e-3, betas=(0.9, 0.999))
    schedules.apply(opt, lr=0.01, momentum=0.85)
    g = opt.param_groups[0]
    assert g["lr"] == 0.01
    assert tuple(g["betas"]) == (0.85, 0.999)
    assert "momentum" not in g
