"""The decay schedules of the lecture and the paper's own Caffe policies, against PyTorch's schedulers
(1,200 steps each), closed forms, and the author's published logs."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from hypothesis import assume, given, settings, strategies as st

from hp_lib import schedules

N = 1_200


def approx(x, rel=1e-9):
    return pytest.approx(x, rel=rel, abs=1e-12)


def torch_values(make_scheduler, n=N, lr=0.5):
    """The LR PyTorch uses for updates 0..n-1 (read before each ``scheduler.step()``)."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = make_scheduler(opt)
    values = []
    for _ in range(n):
        values.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    return values


S = torch.optim.lr_scheduler
REFERENCES = {
    "StepLR": (lambda o: S.StepLR(o, step_size=150, gamma=0.3), schedules.step_decay(0.5, 150, 0.3), 1e-9),
    "MultiStepLR": (lambda o: S.MultiStepLR(o, milestones=[600, 900, 1050, 1125], gamma=0.316),
                    schedules.multistep(0.5, [600, 900, 1050, 1125], 0.316), 1e-9),
    "ExponentialLR": (lambda o: S.ExponentialLR(o, gamma=math.exp(-0.003)), schedules.exponential(0.5, 0.003), 1e-9),
    # CosineAnnealingLR updates recursively: its values drift from the closed form by rounding only
    "CosineAnnealingLR": (lambda o: S.CosineAnnealingLR(o, T_max=N, eta_min=0.001),
                          schedules.cosine(0.5, N, min_value=0.001), 1e-6),
    "CosineAnnealingWarmRestarts": (lambda o: S.CosineAnnealingWarmRestarts(o, T_0=50, T_mult=2, eta_min=0.01),
                                    schedules.sgdr(0.5, 50, t_mult=2, min_lr=0.01), 1e-9),
    "CosineAnnealingWarmRestarts-T_mult-1": (lambda o: S.CosineAnnealingWarmRestarts(o, T_0=70, T_mult=1),
                                             schedules.sgdr(0.5, 70), 1e-9),
    "PolynomialLR": (lambda o: S.PolynomialLR(o, total_iters=1_000, power=2.0),
                     schedules.polynomial(0.5, 1_000, power=2.0), 1e-9),
    "LinearLR": (lambda o: S.LinearLR(o, start_factor=0.1, total_iters=500),
                 schedules.linear_warmup(schedules.constant(0.5), 500, start_factor=0.1), 1e-9),
    "LinearLR+ExponentialLR": (
        lambda o: S.ChainedScheduler([S.LinearLR(o, start_factor=0.25, total_iters=300),
                                      S.ExponentialLR(o, gamma=math.exp(-0.001))]),
        schedules.linear_warmup(schedules.exponential(0.5, 0.001), 300, start_factor=0.25), 1e-9),
}


@pytest.mark.parametrize("name", REFERENCES)
def test_matches_torch_scheduler(name):
    make, ours, rel = REFERENCES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = torch_values(make)
    assert [ours(t) for t in range(N)] == [approx(r, rel) for r in ref]


def test_closed_forms():
    assert schedules.inverse_time(0.5, 0.01)(100) == approx(0.25)
    # Caffe's inv policy, lenet_solver.prototxt: base_lr 0.01, gamma 1e-4, power 0.75; at iteration 10,000
    # (the solver's max_iter) the rate is 0.01 · 2^-0.75
    assert schedules.inverse_time(0.01, 1e-4, 0.75)(10_000) == approx(0.01 * 2 ** -0.75)
    assert schedules.inverse_sqrt(0.5)(0) == approx(0.5) and schedules.inverse_sqrt(0.5)(99) == approx(0.05)
    linear = schedules.polynomial(0.5, 100)
    assert linear(0) == approx(0.5) and linear(50) == approx(0.25) and linear(100) == 0 and linear(200) == 0
    assert schedules.polynomial(0.5, 100, end_value=0.1)(50) == approx(0.3)
    assert schedules.exponential(0.5, 0.1)(10) == approx(0.5 / math.e)
    cos = schedules.cosine(1.0, 100, min_value=0.1)
    assert cos(0) == approx(1.0) and cos(50) == approx(0.55) and cos(100) == approx(0.1) and cos(500) == approx(0.1)
    # Transformer schedule: peak at the end of warmup, d_model^-1/2 · warmup^-1/2, then ∝ 1/sqrt(step)
    f = schedules.noam(512, 4000)
    assert max(f(t) for t in range(20_000)) == approx(512 ** -0.5 * 4000 ** -0.5)
    assert f(3999) == approx(512 ** -0.5 * 4000 ** -0.5)
    assert f(15_999) == approx(f(3999) / 2)
    assert schedules.noam(512, 4000, scale=2.0)(10) == approx(2 * f(10))


def test_one_cycle_rejects_empty_phases():
    with pytest.raises(ValueError, match="pct_start"):
        schedules.one_cycle(1.0, 10, pct_start=0.1)


def test_bad_arguments_name_the_argument():
    for make, name in ((lambda: schedules.step_decay(0.1, 0, 0.5), "step_size"),
                       (lambda: schedules.cosine(0.1, -3), "total_steps"),
                       (lambda: schedules.sgdr(0.1, 0), "t0"),
                       (lambda: schedules.linear_warmup(schedules.constant(1), 0), "warmup_steps"),
                       (lambda: schedules.noam(512, 0), "warmup_steps"),
                       (lambda: schedules.caffe_one_cycle(0.1, 1, 0, 0.95, 0.85), "stepsize")):
        with pytest.raises(ValueError, match=name):
            make()


def test_from_spec_bad_arguments_say_what_the_schedule_takes():
    with pytest.raises(ValueError, match="total_steps"):
        schedules.from_spec({"name": "cosine", "max_lr": 0.1})


def test_from_spec_knows_every_decay():
    spec = {"name": "multistep", "value": 0.1, "milestones": [10, 20], "gamma": 0.1}
    assert schedules.from_spec(spec)(15) == approx(0.01)
    assert {"step_decay", "multistep", "exponential", "inverse_time", "cosine", "sgdr", "noam"} <= set(
        schedules.SCHEDULES)


# --- the paper's Caffe 1cycle, against its published logs ---------------------------------------------

# (iteration, lr, momentum) as logged by Caffe in the author's runs (SOURCES §1.2; paper_logs):
# hp1_c100Resnet56_C100Res1CycLR.1001.2CM0.95.85WD1e-4Epoch145BS256g_1: base 0.1, max 1.2, SS 3417, CM 0.95→0.85
C100_LOG = [(0, 0.1, 0.95), (100, 0.132192, 0.947073), (1000, 0.42192, 0.920735), (3400, 1.19453, 0.850498),
            (3800, 1.0655, 0.861209), (6600, 0.0821773, 0.943152), (6900, 0.0001, 0.949034),
            (7000, 0.0001, 0.947571)]


@pytest.mark.parametrize("step, lr, momentum", C100_LOG)
def test_caffe_one_cycle_matches_the_published_log(step, lr, momentum):
    lr_at, mom_at = schedules.caffe_one_cycle(0.1, 1.2, 3417, momentum=0.95, min_momentum=0.85)
    assert lr_at(step) == approx(lr, rel=5e-5)  # Caffe prints six significant digits
    assert mom_at(step) == approx(momentum, rel=5e-6)


def test_caffe_one_cycle_resnet56_tbs512_log():
    # hp1_gResnet56_ResTBS512...: base 0.08, max 0.8, SS 4003; SOURCES: lr 0.6407 at iteration 4800
    lr_at, mom_at = schedules.caffe_one_cycle(0.08, 0.8, 4003, momentum=0.95, min_momentum=0.95)
    assert lr_at(4800) == approx(0.6407, rel=1e-4)
    assert lr_at(8006) == approx(0.0) and lr_at(9000) == approx(8e-5)
    assert all(mom_at(t) == approx(0.95) for t in range(0, 9277, 97))


# --- reduce on plateau --------------------------------------------------------------------------------

def test_reduce_on_plateau_matches_torch():
    metrics = [1.0, 0.9, 0.85, 0.86, 0.86, 0.86, 0.8, 0.8, 0.81, 0.82, 0.83] + [0.8] * 60
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.4)
    ref_sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=2, min_lr=0.4 / 1024)
    ours = schedules.ReduceOnPlateau(0.4, factor=0.5, patience=2)
    for m in metrics:
        ref_sched.step(m)
        assert ours.update(m) == approx(opt.param_groups[0]["lr"])
    assert ours.value == approx(0.4 / 1024)  # halved down to 1/1024 and no further


def test_reduce_on_plateau_bad_arguments():
    with pytest.raises(ValueError, match="factor"):
        schedules.ReduceOnPlateau(0.1, factor=1.5)
    with pytest.raises(ValueError, match="patience"):
        schedules.ReduceOnPlateau(0.1, patience=-1)


# --- properties ---------------------------------------------------------------------------------------

lrs = st.floats(1e-5, 1.0)
steps = st.integers(0, 5_000)
sizes = st.integers(1, 300)


@settings(max_examples=200, deadline=None)
@given(base=lrs, ratio=st.floats(1.01, 100), up=sizes, down=sizes, step=steps)
def test_triangular_stays_within_bounds_and_is_periodic(base, ratio, up, down, step):
    f = schedules.triangular(base, base * ratio, up, down)
    assert base * (1 - 1e-9) <= f(step) <= base * ratio * (1 + 1e-9)
    assert f(step) == approx(f(step + up + down), rel=1e-7)


@settings(max_examples=200, deadline=None)
@given(base=lrs, ratio=st.floats(1.01, 100), up=sizes, k=st.integers(0, 300))
def test_triangular_cycle_is_symmetric(base, ratio, up, k):
    f = schedules.triangular(base, base * ratio, up)
    k = min(k, up)
    assert f(up - k) == approx(f(up + k), rel=1e-7)


@settings(max_examples=100, deadline=None)
@given(max_lr=lrs, total=st.integers(10, 3_000), pct=st.floats(0.1, 0.9), three=st.booleans())
def test_one_cycle_phases_are_monotone_and_bounded(max_lr, total, pct, three):
    assume(pct * total > 2 and total - 1 > 2 * pct * total - 2)  # every phase at least one step
    lr, mom = schedules.one_cycle(max_lr, total, pct_start=pct, three_phase=three)
    values = [lr(t) for t in range(total)]
    peak = max(range(total), key=values.__getitem__)
    assert all(a <= b * (1 + 1e-9) for a, b in zip(values[:peak], values[1:peak + 1]))  # warm-up rises
    assert all(a >= b * (1 - 1e-9) for a, b in zip(values[peak:], values[peak + 1:]))  # then falls
    assert max(values) <= max_lr * (1 + 1e-9) and min(values) > 0
    assert all(0.85 - 1e-9 <= mom(t) <= 0.95 + 1e-9 for t in range(0, total, 7))


@settings(max_examples=100, deadline=None)
@given(value=lrs, t0=st.integers(1, 200), t_mult=st.integers(1, 3), step=steps)
def test_sgdr_restarts_at_the_top_and_stays_in_bounds(value, t0, t_mult, step):
    f = schedules.sgdr(value, t0, t_mult, min_lr=value / 100)
    assert value / 100 * (1 - 1e-9) <= f(step) <= value * (1 + 1e-9)
    starts, length, start = [], t0, 0
    while start <= step:
        starts.append(start)
        start, length = start + length, length * t_mult
    assert f(starts[-1]) == approx(value)  # each cycle starts at the maximum


@settings(max_examples=100, deadline=None)
@given(value=lrs, gamma=st.floats(0.01, 0.99), size=sizes, step=steps)
def test_decays_never_increase(value, gamma, size, step):
    for f in (schedules.step_decay(value, size, gamma), schedules.exponential(value, gamma / size),
              schedules.inverse_time(value, gamma), schedules.cosine(value, size * 3),
              schedules.polynomial(value, size, power=gamma * 3), schedules.inverse_sqrt(value),
              schedules.multistep(value, [size, 2 * size, 5 * size], gamma)):
        assert f(step + 1) <= f(step) * (1 + 1e-12) and f(step) <= value * (1 + 1e-12)


@settings(max_examples=100, deadline=None)
@given(base=lrs, ratio=st.floats(1.01, 20), stepsize=st.integers(2, 500), step=steps)
def test_caffe_one_cycle_bounds(base, ratio, stepsize, step):
    lr, mom = schedules.caffe_one_cycle(base, base * ratio, stepsize, momentum=0.95, min_momentum=0.85)
    assert 0 <= lr(step) <= base * ratio * (1 + 1e-9)
    assert 0.85 - 1e-12 <= mom(step) <= 0.95 + 1e-12
    assert mom(stepsize) == approx(0.85) and mom(2 * stepsize) == approx(0.95)


def test_from_spec_selects_lr_or_momentum_of_a_policy():
    spec = {"name": "one_cycle", "max_lr": 1.0, "total_steps": 100}
    lr, momentum = schedules.one_cycle(1.0, 100)
    assert schedules.from_spec({**spec, "select": "lr"})(30) == approx(lr(30))
    assert schedules.from_spec({**spec, "select": "momentum"})(30) == approx(momentum(30))
    with pytest.raises(ValueError, match="select"):
        schedules.from_spec(spec)
    with pytest.raises(ValueError, match="select"):
        schedules.from_spec({"name": "cosine", "value": 0.1, "total_steps": 10, "select": "lr"})
