"""hp_lib.optim: each optimizer against torch's, the closed forms, the two SGD forms, argument checks."""

import math

import pytest
import torch

from hp_lib import optim, schedules

STEPS = 200


# ----------------------------------------------------------------------------------------------------------
# random problems: a few parameter tensors of different shapes, float64, seeded

def least_squares(seed):
    """Mean squared error of ``X @ W + b + s * z`` against random targets; W (6, 3), b (3,), s ()."""
    gen = torch.Generator().manual_seed(seed)
    X, Y, z = torch.randn(32, 6, generator=gen), torch.randn(32, 3, generator=gen), torch.randn(32, 1, generator=gen)
    params = [torch.randn(6, 3, generator=gen), torch.randn(3, generator=gen), torch.randn((), generator=gen)]
    X, Y, z = X.double(), Y.double(), z.double()

    def loss(W, b, s):
        return ((X @ W + b + s * z - Y) ** 2).mean()

    return [p.double() for p in params], loss


def tiny_mlp(seed):
    """A 5-8-1 tanh network on random regression data; W1 (8, 5), b1 (8,), W2 (1, 8), b2 (1,)."""
    gen = torch.Generator().manual_seed(seed)
    X, Y = torch.randn(64, 5, generator=gen).double(), torch.randn(64, 1, generator=gen).double()
    params = [torch.randn(8, 5, generator=gen) / 5 ** 0.5, torch.zeros(8),
              torch.randn(1, 8, generator=gen) / 8 ** 0.5, torch.zeros(1)]

    def loss(W1, b1, W2, b2):
        return ((torch.tanh(X @ W1.T + b1) @ W2.T + b2 - Y) ** 2).mean()

    return [p.double() for p in params], loss


PROBLEMS = {"least_squares": least_squares, "tiny_mlp": tiny_mlp}


def run_side_by_side(ours_factory, torch_factory, problem, steps=STEPS, each_step=None):
    """Run both optimizers from the same start; return the largest relative difference seen at any step
    (relative to ``max(|torch value|, 1e-12)``)."""
    start, loss_fn = problem
    runs = []
    for factory in (ours_factory, torch_factory):
        params = [p.clone().requires_grad_(True) for p in start]
        runs.append((params, factory(params)))
    worst = 0.0
    for step in range(steps):
        for params, opt in runs:
            if each_step is not None:
                each_step(opt, step)

            def closure(params=params, opt=opt):
                opt.zero_grad()
                loss = loss_fn(*params)
                loss.backward()
                return loss

            opt.step(closure)
        for mine, ref in zip(runs[0][0], runs[1][0]):
            rel = ((mine - ref).abs() / ref.abs().clamp_min(1e-12)).max().item()
            assert rel <= 1e-6, f"step {step}: relative difference {rel:.3g}"
            worst = max(worst, rel)
    # the run moved the parameters (the comparison is not vacuous)
    assert any((p - s).abs().max() > 1e-3 for p, s in zip(runs[1][0], start))
    return worst


# name: (our class, kwargs, torch's class); every config runs with and without weight decay
CONFIGS = {
    "sgd": (optim.SGD, dict(lr=0.05), torch.optim.SGD),
    "sgd_momentum": (optim.SGD, dict(lr=0.02, momentum=0.9), torch.optim.SGD),
    "sgd_nesterov": (optim.SGD, dict(lr=0.02, momentum=0.9, nesterov=True), torch.optim.SGD),
    "adagrad": (optim.AdaGrad, dict(lr=0.05), torch.optim.Adagrad),
    "rmsprop": (optim.RMSProp, dict(lr=0.003), torch.optim.RMSprop),
    "adadelta": (optim.Adadelta, dict(lr=1.0), torch.optim.Adadelta),
    "adam": (optim.Adam, dict(lr=0.01), torch.optim.Adam),
    "adam_amsgrad": (optim.Adam, dict(lr=0.01, amsgrad=True), torch.optim.Adam),
    "adamw": (optim.AdamW, dict(lr=0.01), torch.optim.AdamW),
    "adamw_amsgrad": (optim.AdamW, dict(lr=0.01, amsgrad=True), torch.optim.AdamW),
    "adamax": (optim.Adamax, dict(lr=0.01), torch.optim.Adamax),
    "nadam": (optim.Nadam, dict(lr=0.01), torch.optim.NAdam),
}


@pytest.mark.parametrize("problem", PROBLEMS)
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
@pytest.mark.parametrize("name", CONFIGS)
def test_matches_torch(name, weight_decay, problem):
    ours, kwargs, theirs = CONFIGS[name]
    kwargs = {**kwargs, "weight_decay": weight_decay}
    run_side_by_side(lambda p: ours(p, **kwargs), lambda p: theirs(p, **kwargs, foreach=False),
                     PROBLEMS[problem](seed=list(CONFIGS).index(name)))


def test_defaults_match_torch():
    pairs = [(optim.SGD, torch.optim.SGD), (optim.AdaGrad, torch.optim.Adagrad),
             (optim.RMSProp, torch.optim.RMSprop), (optim.Adadelta, torch.optim.Adadelta),
             (optim.Adam, torch.optim.Adam), (optim.AdamW, torch.optim.AdamW),
             (optim.Adamax, torch.optim.Adamax), (optim.Nadam, torch.optim.NAdam)]
    for ours, theirs in pairs:
        p = [torch.zeros(1, requires_grad=True)]
        mine, ref = ours(p).defaults, theirs(p).defaults
        for key, value in mine.items():
            if key in ref:
                assert ref[key] == value, f"{ours.__name__}.{key}: {value} vs torch {ref[key]}"


def test_schedules_apply_takes_effect_like_torch():
    """lr (and momentum / beta1) written into param_groups by ``schedules.apply`` between steps are used at
    the next step, exactly as by torch's optimizers."""
    lr_at = schedules.triangular(0.002, 0.02, step_size_up=10)
    mom_at = schedules.triangular(0.95, 0.85, step_size_up=10)
    cases = [(optim.SGD, torch.optim.SGD, dict(momentum=0.9, nesterov=True), True),
             (optim.Adam, torch.optim.Adam, {}, True), (optim.AdamW, torch.optim.AdamW, {}, True),
             (optim.Adamax, torch.optim.Adamax, {}, True), (optim.Nadam, torch.optim.NAdam, {}, True),
             (optim.AdaGrad, torch.optim.Adagrad, {}, False), (optim.RMSProp, torch.optim.RMSprop, {}, False),
             (optim.Adadelta, torch.optim.Adadelta, {}, False)]
    for ours, theirs, kwargs, has_momentum in cases:
        def each_step(opt, step, has_momentum=has_momentum):
            schedules.apply(opt, lr=lr_at(step), momentum=mom_at(step) if has_momentum else None)

        run_side_by_side(lambda p: ours(p, **kwargs), lambda p: theirs(p, **kwargs, foreach=False),
                         least_squares(seed=3), steps=40, each_step=each_step)


def test_changing_lr_in_param_groups_takes_effect():
    x = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    opt = optim.SGD([x], lr=0.1)
    x.grad = torch.tensor([1.0, 1.0], dtype=torch.float64)
    schedules.apply(opt, lr=0.0)
    opt.step()
    assert x.tolist() == [1.0, -2.0]
    schedules.apply(opt, lr=0.5)
    opt.step()
    assert x.tolist() == [0.5, -2.5]


def test_step_returns_closure_loss():
    x = torch.tensor([3.0, 4.0], requires_grad=True)
    opt = optim.Adam([x])

    def closure():
        opt.zero_grad()
        loss = (x ** 2).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 25.0
    assert opt.step() is None


# ----------------------------------------------------------------------------------------------------------
# closed forms

def test_adam_without_bias_correction_closed_form():
    beta1, beta2, lr, eps = 0.9, 0.999, 0.1, 1e-8
    grads = [torch.tensor([0.5, -2.0, 3.0]), torch.tensor([-1.0, 0.25, 3.0]), torch.tensor([2.0, 1.0, -0.5])]
    grads = [g.double() for g in grads]
    theta = torch.tensor([1.0, 2.0, -1.0], dtype=torch.float64, requires_grad=True)
    opt = optim.Adam([theta], lr=lr, betas=(beta1, beta2), eps=eps, bias_correction=False)
    expected, m, v = theta.detach().clone(), torch.zeros(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)
    for g in grads:
        theta.grad = g.clone()
        opt.step()
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g ** 2
        expected = expected - lr * m / (v.sqrt() + eps)
        torch.testing.assert_close(theta.detach(), expected, rtol=1e-12, atol=1e-14)
    # the first step of Adam without bias correction is (1-β1)/√(1-β2) ≈ 3.16 lr per coordinate
    theta = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    opt = optim.Adam([theta], lr=lr, bias_correction=False)
    theta.grad = grads[0].clone()
    opt.step()
    torch.testing.assert_close(theta.detach().abs(), torch.full((3,), lr * 0.1 / 0.001 ** 0.5, dtype=torch.float64),
                               rtol=1e-6, atol=0)


def test_amsgrad_alias():
    a = optim.AMSGrad([torch.zeros(1, requires_grad=True)])
    assert isinstance(a, optim.Adam) and a.defaults["amsgrad"] is True


def quadratic(a, b):
    return lambda x, y: 0.5 * (a * x ** 2 + b * y ** 2)


def test_trajectory_sgd_closed_form():
    a, b, lr, steps = 1.0, 10.0, 0.05, 30
    path = optim.trajectory(lambda p: optim.SGD(p, lr=lr), quadratic(a, b), (2.0, -1.5), steps)
    assert path.shape == (steps + 1, 2)
    t = torch.arange(steps + 1, dtype=torch.float64)
    torch.testing.assert_close(path[:, 0], 2.0 * (1 - lr * a) ** t, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(path[:, 1], -1.5 * (1 - lr * b) ** t, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("factory", [
    lambda p: optim.SGD(p, lr=0.01, momentum=0.9), lambda p: optim.SGD(p, lr=0.01, momentum=0.9, form="velocity"),
    lambda p: optim.AdaGrad(p, lr=0.5), lambda p: optim.RMSProp(p, lr=0.01), lambda p: optim.Adadelta(p),
    lambda p: optim.Adam(p, lr=0.05), lambda p: optim.AMSGrad(p, lr=0.05), lambda p: optim.AdamW(p, lr=0.05),
    lambda p: optim.Adamax(p, lr=0.05), lambda p: optim.Nadam(p, lr=0.05)])
def test_trajectory_every_optimizer_on_2d(factory):
    path = optim.trajectory(factory, quadratic(1.0, 10.0), (2.0, -1.5), 50)
    assert path.shape == (51, 2) and path.dtype == torch.float64 and torch.isfinite(path).all()
    assert path[0].tolist() == [2.0, -1.5]
    assert quadratic(1.0, 10.0)(*path[-1]) < quadratic(1.0, 10.0)(*path[0])


# ----------------------------------------------------------------------------------------------------------
# SGD: the torch form and the CS231n velocity form

def sgd_pair(lrs, momenta=None, nesterov=False, weight_decay=0.0, problem=None):
    """Trajectories of both forms under per-step lr (and momentum) schedules; returns (velocity, torch)."""
    start, loss_fn = problem or least_squares(seed=11)
    paths = []
    for form in ("velocity", "torch"):
        params = [p.clone().requires_grad_(True) for p in start]
        opt = optim.SGD(params, lr=lrs[0], momentum=0.9, nesterov=nesterov, weight_decay=weight_decay, form=form)
        path = []
        for step, lr in enumerate(lrs):
            schedules.apply(opt, lr=lr, momentum=None if momenta is None else momenta[step])
            opt.zero_grad()
            loss_fn(*params).backward()
            opt.step()
            path.append(torch.cat([p.detach().flatten() for p in params]))
        paths.append(torch.stack(path))
    return paths


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_sgd_forms_agree_for_constant_lr(nesterov, weight_decay):
    velocity, torch_form = sgd_pair([0.02] * STEPS, nesterov=nesterov, weight_decay=weight_decay)
    torch.testing.assert_close(velocity, torch_form, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_forms_agree_for_constant_lr_and_changing_momentum(nesterov):
    momenta = [schedules.triangular(0.95, 0.85, step_size_up=20)(t) for t in range(STEPS)]
    velocity, torch_form = sgd_pair([0.02] * STEPS, momenta=momenta, nesterov=nesterov)
    torch.testing.assert_close(velocity, torch_form, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_forms_differ_when_lr_changes(nesterov):
    lrs = [schedules.triangular(0.002, 0.03, step_size_up=20)(t) for t in range(STEPS)]
    velocity, torch_form = sgd_pair(lrs, nesterov=nesterov)
    torch.testing.assert_close(velocity[0], torch_form[0], rtol=1e-12, atol=1e-14)  # identical first step
    assert ((velocity - torch_form).abs().max(dim=1).values > 1e-4).any()


@pytest.mark.parametrize("nesterov, power", [(False, 1), (True, 2)])
def test_sgd_forms_closed_form_on_1d_quadratic(nesterov, power):
    """On f = a x²/2 with lr η1 then η2: x2(velocity) - x2(torch) = μ^k a x0 (η2 - η1), k = 1 (heavy ball),
    2 (Nesterov); and each form's two steps follow its own closed form."""
    a, x0, mu, lr1, lr2 = 3.0, 1.5, 0.9, 0.1, 0.04
    out = {}
    for form in ("velocity", "torch"):
        x = torch.tensor([x0], dtype=torch.float64, requires_grad=True)
        opt = optim.SGD([x], lr=lr1, momentum=mu, nesterov=nesterov, form=form)
        xs = []
        for lr in (lr1, lr2):
            schedules.apply(opt, lr=lr)
            opt.zero_grad()
            (0.5 * a * x ** 2).sum().backward()
            opt.step()
            xs.append(x.item())
        out[form] = xs
    if nesterov:
        x1 = x0 - (1 + mu) * lr1 * a * x0
        x2_torch = x1 - (1 + mu) * lr2 * a * x1 - mu ** 2 * lr2 * a * x0
        x2_velocity = x1 - (1 + mu) * lr2 * a * x1 - mu ** 2 * lr1 * a * x0
    else:
        x1 = (1 - lr1 * a) * x0
        x2_torch = x1 - lr2 * (mu * a * x0 + a * x1)
        x2_velocity = x1 - mu * lr1 * a * x0 - lr2 * a * x1
    assert out["torch"] == pytest.approx([x1, x2_torch], rel=1e-14)
    assert out["velocity"] == pytest.approx([x1, x2_velocity], rel=1e-14)
    assert out["velocity"][1] - out["torch"][1] == pytest.approx(mu ** power * a * x0 * (lr2 - lr1), rel=1e-12)


# ----------------------------------------------------------------------------------------------------------
# argument checks

P = [torch.zeros(2, requires_grad=True)]
INVALID = [
    (lambda: optim.SGD(P, lr=-1.0), "learning rate: -1.0"),
    (lambda: optim.SGD(P, lr=math.nan), "learning rate: nan"),
    (lambda: optim.Adam(P, lr=math.inf), "learning rate: inf"),
    (lambda: optim.AdaGrad(P, lr=-math.inf), "learning rate: -inf"),
    (lambda: optim.SGD(P, lr=0.1, momentum=1.0), "momentum value: 1.0"),
    (lambda: optim.SGD(P, lr=0.1, momentum=-0.1), "momentum value: -0.1"),
    (lambda: optim.Adam(P, betas=(1.0, 0.999)), "beta parameter at index 0: 1.0"),
    (lambda: optim.Nadam(P, betas=(0.9, 1.0)), "beta parameter at index 1: 1.0"),
    (lambda: optim.Adamax(P, betas=(0.9, -0.5)), "beta parameter at index 1: -0.5"),
    (lambda: optim.AdamW(P, weight_decay=-0.01), "weight_decay value: -0.01"),
    (lambda: optim.SGD(P, lr=0.1, weight_decay=-1.0), "weight_decay value: -1.0"),
    (lambda: optim.RMSProp(P, eps=-1e-8), "epsilon value: -1e-08"),
    (lambda: optim.RMSProp(P, alpha=1.5), "alpha value: 1.5"),
    (lambda: optim.Adadelta(P, rho=-0.1), "rho value: -0.1"),
    (lambda: optim.Nadam(P, momentum_decay=-1.0), "momentum_decay value: -1.0"),
    (lambda: optim.SGD(P, lr=0.1, nesterov=True), "momentum=0.0"),
    (lambda: optim.SGD(P, lr=0.1, momentum=0.9, form="heavy_ball"), "'heavy_ball'"),
]


@pytest.mark.parametrize("make, message", INVALID, ids=[m for _, m in INVALID])
def test_invalid_arguments(make, message):
    with pytest.raises(ValueError, match="Invalid|requires|Unknown") as err:
        make()
    assert message in str(err.value)


def test_unknown_form_names_the_allowed_ones():
    with pytest.raises(ValueError, match="'torch', 'velocity'"):
        optim.SGD(P, lr=0.1, form="cs231n")


def test_zero_lr_is_allowed():
    optim.SGD(P, lr=0.0)
    optim.Adam(P, lr=0.0)
