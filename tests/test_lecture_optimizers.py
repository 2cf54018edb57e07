"""The lecture's optimizer experiments against closed forms, and their verdicts on constructed cases."""

import math

import numpy as np
import pandas as pd
import torch

from hp_lib import claims, optim
from hp_lib.claims import INCONCLUSIVE, NOT_REPRODUCED, REPRODUCED
from hp_lib.experiments import lecture_optimizers as lo


def test_valley_is_the_quadratic_it_claims_to_be():
    v = lo.Valley.make()
    h = v.hessian()
    assert abs(h[0, 1]) < 1e-12  # decorrelated features: a diagonal Hessian
    assert torch.allclose(torch.diag(h), torch.tensor([0.04, 1.0], dtype=torch.float64), rtol=0.01)
    w = v.minimum().requires_grad_(True)
    v.loss(w[0], w[1]).backward()
    assert w.grad.abs().max() < 1e-12


def test_gradient_descent_on_the_valley_follows_the_closed_form():
    """On a diagonal quadratic each coordinate's distance to the minimum is multiplied by (1 - lr λ) per step."""
    v = lo.Valley.make()
    z = lo.zigzag(v, steps=12, lr=1.8)
    lam = torch.diag(v.hessian()).numpy()
    start = np.array(lo.VALLEY_START) - v.minimum().numpy()
    expected = start * (1 - 1.8 * lam) ** 12
    assert np.allclose(z["path"][-1] - v.minimum().numpy(), expected, rtol=1e-9)
    assert z["steep_sign_flips"] == 1.0  # 1 - 1.8 * 1.0 < 0: the steep coordinate alternates
    assert math.isclose(z["condition"], lam[1] / lam[0])


def test_random_hessians_are_rarely_positive_definite():
    """For (A + Aᵀ)/2 with standard normal A, P(2×2 positive definite) = (1 - 1/√2)/2 ≈ 0.146."""
    f = lo.minima_fraction(dims=(1, 2, 6), samples=40_000).set_index("dimension")["minima"]
    assert abs(f[1] - 0.5) < 0.01
    assert abs(f[2] - (1 - 1 / math.sqrt(2)) / 2) < 0.01
    assert f[6] < 1e-3


def test_the_momentum_diagram_is_the_optimizer_step():
    v = lo.Valley.make()
    vec = lo.momentum_vectors(v, lr=0.3, mu=0.9, at_step=3)  # raises if the sum differs from SGD's step
    assert np.allclose(vec["momentum"]["velocity"], vec["nesterov"]["velocity"])
    assert not np.allclose(vec["momentum"]["gradient"], vec["nesterov"]["gradient"])


def test_adam_without_bias_correction_first_step():
    df = lo.bias_correction(steps=50)
    raw = df[~df["bias_correction"]].set_index("step")["step_over_lr"]
    fixed = df[df["bias_correction"]].set_index("step")["step_over_lr"]
    assert math.isclose(raw[1], 0.1 / math.sqrt(0.001), rel_tol=1e-6)  # (1 - β₁)/√(1 - β₂)
    assert np.allclose(fixed, 1.0, rtol=1e-6)
    t = np.arange(1, 51)
    assert np.allclose(raw.to_numpy(), (1 - 0.9 ** t) / np.sqrt(1 - 0.999 ** t), rtol=1e-6)


def test_newton_lands_on_the_minimum_of_a_quadratic_in_one_step():
    so = lo.second_order(lo.Valley.make(), steps=5)
    assert abs(so["gap"]["Newton"].iloc[1]) < 1e-12
    assert so["gap"]["gradient descent"].iloc[5] > 1e-3
    assert math.isclose(so["memory"].set_index("parameters").loc[10 ** 6, "float32 GiB"], 4e12 / 2 ** 30)


def test_adam_goes_the_wrong_way_on_reddis_problem_and_amsgrad_does_not():
    last = lo.reddi().groupby("optimizer").tail(1).set_index("optimizer")["x"]
    assert last["Adam"] > 0.9 and last["AMSGrad"] < 0


def test_rmsprop_leaves_the_saddle_before_sgd():
    steps = lo.escape_steps(lo.saddle_paths(150))
    assert steps["RMSProp"] is not None and (steps["SGD"] is None or steps["SGD"] > steps["RMSProp"])


def test_keras_table_reads_our_defaults_from_the_signatures():
    t = lo.keras_table().set_index("Keras")
    assert list(t.index) == ["SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "Adamax", "Nadam"]
    assert "lr=0.001" in t.loc["Adam", "hp_lib defaults"] and "lr=0.002" in t.loc["Nadam", "hp_lib defaults"]
    assert t.loc["Adam", "rule"] == optim.Adam.__doc__.strip().split("\n")[0]


# --- verdicts --------------------------------------------------------------------------------------------

def test_zigzag_verdict():
    assert claims.zigzag("c", 1.0, 0.1, 0.001).status == REPRODUCED
    assert claims.zigzag("c", 0.0, 0.1, 0.001).status == NOT_REPRODUCED  # no jitter
    assert claims.zigzag("c", 1.0, 0.001, 0.1).status == NOT_REPRODUCED  # shallow direction not slower


def test_saddles_dominate_verdict():
    assert claims.saddles_dominate("c", {1: 0.5, 2: 0.15, 3: 0.02, 4: 0.002}).status == REPRODUCED
    assert claims.saddles_dominate("c", {1: 0.5, 2: 0.4, 3: 0.3}).status == NOT_REPRODUCED


def test_momentum_overshoots_verdict():
    base = {"SGD": 0.0, "SGD+Momentum": 0.2, "Nesterov": 0.1}
    assert claims.momentum_overshoots("c", base).status == REPRODUCED
    assert claims.momentum_overshoots("c", {**base, "Nesterov": 0.3}).status == INCONCLUSIVE
    assert claims.momentum_overshoots("c", {**base, "SGD+Momentum": 0.0}).status == NOT_REPRODUCED


def test_rmsprop_escapes_verdict():
    assert claims.rmsprop_escapes("c", {"SGD": None, "RMSProp": 12}, 150).status == REPRODUCED
    assert claims.rmsprop_escapes("c", {"SGD": 20, "RMSProp": 12}, 150).status == NOT_REPRODUCED
    assert claims.rmsprop_escapes("c", {"SGD": None, "RMSProp": None}, 150).status == NOT_REPRODUCED


def test_bias_correction_verdict():
    raw, fixed = pd.Series([3.16, 5.0, 6.5], index=[1, 2, 3]), pd.Series([1.0, 1.0, 1.0], index=[1, 2, 3])
    v = claims.bias_correction_needed("c", raw, fixed)
    assert v.status == REPRODUCED and v.evidence["raw_argmax"] == 3
    assert claims.bias_correction_needed("c", fixed, fixed).status == NOT_REPRODUCED


def test_newton_verdict():
    gap = pd.DataFrame({"iteration": [0, 1, 2], "Newton": [1.0, 1e-17, 1e-17], "gradient descent": [1.0, 0.5, 0.25]})
    v = claims.newton_one_step("c", gap)
    assert v.status == REPRODUCED and v.evidence["iterations_to_1e-6"] == {"Newton": 1, "gradient descent": None}
    assert claims.newton_one_step("c", gap.assign(Newton=[1.0, 0.1, 1e-17])).status == NOT_REPRODUCED


def test_amsgrad_verdict():
    assert claims.amsgrad_fixes_adam("c", 0.99, -0.9).status == REPRODUCED
    assert claims.amsgrad_fixes_adam("c", -0.99, -0.9).status == NOT_REPRODUCED
