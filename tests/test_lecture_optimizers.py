"""The lecture's optimizer experiments against closed forms, and their verdicts on constructed cases."""

import math

import numpy as np
import pandas as pd
import pytest
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


def test_the_valleys_loss_from_its_moments_is_the_mean_over_its_samples():
    v = lo.Valley.make(n=64)
    w1, w2 = torch.meshgrid(torch.linspace(-3, 1, 7, dtype=torch.float64),
                            torch.linspace(-1, 1, 5, dtype=torch.float64), indexing="ij")
    assert torch.allclose(v.loss(w1, w2), v.loss(w1, w2, rows=torch.arange(64)), rtol=1e-12, atol=1e-14)


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


# --- real data: the lecture's optimizers, Adam's default rate, Dozat's table, AdamW ------------------------

def test_grids_are_neighbours_on_the_ladder():
    assert lo.lr_grid("image recognition", "Adam", "cpu") == (1e-3, 3e-3, 1e-2)
    assert lo.lr_grid("image recognition", "Adam", "smoke") == (3e-3,)
    assert lo.lr_grid("LSTM language model", "GD", "full") == (1.0, 3.0, 10.0, 30.0)  # clipped at the ladder's top
    for task in lo.TASKS:
        assert set(lo.GRID_CENTRES[task]) == set(lo.RULES)


def test_real_data_runs_are_shared_between_the_three_items():
    setup = lo.real_data_setup("cpu")
    configs = list(setup.values())
    assert len(configs) == len(set(map(repr, configs)))  # no run twice
    # 9 rules × 3 rates, and Adam at the 4 rates of the sweep outside its grid, on 3 tasks, 2 seeds
    assert len(setup) == (9 * 3 + 4) * 3 * 2
    for task in lo.TASKS:
        adam = {lr for t, r, lr, s in setup if (t, r) == (task, "Adam")}
        assert adam == set(lo.ADAM_SWEEP) and lo.ADAM_DEFAULT in adam
        for rule in lo.LECTURE_RULES.values():
            assert all((task, rule, lr, 0) in setup for lr in lo.lr_grid(task, rule, "cpu"))
    assert all(c.weight_decay == 0 for c in configs)
    nag = setup[("word2vec", "NAG", 0.1, 0)]
    assert nag.optimizer == "sgd" and nag.nesterov and nag.momentum == 0.9
    assert setup[("word2vec", "Mom", 0.1, 0)].nesterov is False
    lstm = setup[("LSTM language model", "Adam", 1e-3, 1)]
    assert (lstm.dataset, lstm.model, lstm.model_kwargs, lstm.seed) == ("chars", "char_lstm", {"hidden": 64}, 1)
    assert {c.dataset for c in configs} == {"skipgram", "digits", "chars"}
    assert len(lo.plan("cpu")) == len(setup) + len(lo.weight_decay_setup("cpu"))


def test_full_profile_configs_are_larger_and_fit_the_corpora():
    from hp_lib import data

    full = lo.real_data_setup("full")
    assert len(full) > len(lo.real_data_setup("cpu")) and all(c.device == "cuda" for c in full.values())
    for task in lo.TASKS:
        cfg = lo.task_config(task, "full")
        assert cfg.steps > lo.task_config(task, "cpu").steps
        d = data.load(cfg.dataset, cfg.n_train, cfg.n_val, cfg.n_test)  # raises if the corpus is too small
        assert len(d.y_train) == cfg.n_train
    assert len(lo.weight_decay_setup("full")) == 2 * 6 * 6 * 4


def test_maxa_is_adamax_without_momentum_a_sign_step_at_first():
    """With β1 = 0, Adamax's first step is η g / (|g| + ε): a step of η against the sign of every coordinate."""
    from hp_lib.train import build_optimizer

    cfg = lo.task_config("image recognition", "cpu").replace(lr=0.01, **lo.RULES["Maxa"])
    w = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    opt = build_optimizer(cfg, [{"params": [w], "weight_decay": 0.0}], cfg.lr, cfg.momentum)
    (w * torch.tensor([5.0, -0.1, 0.0])).sum().backward()
    opt.step()
    assert torch.allclose(w.detach(), torch.tensor([0.99, -1.99, 3.0]), atol=1e-6)


def test_dozats_table_is_quoted_whole():
    for task, scores in lo.DOZAT_2015.items():
        assert list(scores) == list(lo.DOZAT_RULES)
    assert min(lo.DOZAT_2015["word2vec"], key=lo.DOZAT_2015["word2vec"].get) == "Nadam"
    assert min(lo.DOZAT_2015["image recognition"], key=lo.DOZAT_2015["image recognition"].get) == "RMS"
    assert min(lo.DOZAT_2015["LSTM language model"], key=lo.DOZAT_2015["LSTM language model"].get) == "Mom"
    assert set(lo.DOZAT_RULES) - set(lo.RULES) == {"N-max"}


def _fake_real(profile="cpu", loss=None):
    """RealRuns with made-up final losses (no training): ``loss(task, rule, lr, seed)``."""
    rows = [{"task": t, "rule": r, "lr": lr, "seed": s, "initial": 5.0, "loss": loss(t, r, lr, s), "acc": 0.5,
             "status": "ok"} for t, r, lr, s in lo.real_data_setup(profile)]
    return lo.RealRuns(pd.DataFrame(rows), {}, profile)


def test_best_rate_and_nadam_table_from_made_up_losses():
    def loss(task, rule, lr, seed):
        """Dozat's word2vec order on every task (AdaGrad last); each rule best at its grid's centre, GD at its top;
        Adam even better at 1e-4, a rate of its sweep outside its grid."""
        if (rule, lr) == ("Adam", 1e-4):
            return 0.5
        target = lo.lr_grid(task, rule, "cpu")[-1] if rule == "GD" else lo.GRID_CENTRES[task][rule]
        rank = order.index(rule) if rule in order else len(order)
        return 1.0 + 0.1 * rank + abs(math.log(lr / target)) + 0.01 * seed

    order = sorted(lo.DOZAT_RULES, key=lo.DOZAT_2015["word2vec"].get)

    real = _fake_real(loss=loss)
    best = real.best().set_index(["task", "rule"])
    assert best.loc[("word2vec", "Adam"), "lr"] == 1e-2 and not best.loc[("word2vec", "Adam"), "edge"]
    assert best.loc[("word2vec", "GD"), "lr"] == 3.0 and best.loc[("word2vec", "GD"), "edge"]
    assert math.isclose(best.loc[("word2vec", "Adam"), "std"], 0.01 / math.sqrt(2))
    # the sweep's rates outside Adam's grid do not compete for its best rate in the table
    assert real.best(grid_only=False).set_index(["task", "rule"]).loc[("word2vec", "Adam"), "lr"] == 1e-4
    table = lo.nadam_table(real)
    assert list(table.index) == list(lo.DOZAT_RULES)
    ours = ("word2vec", "ours: held-out loss (rank), LR")
    assert table.loc["N-max", ours] == "not implemented"
    assert table.loc["Nadam", ours] == "1.0050 ± 0.0071 (1), LR 0.01"
    assert table.loc["GD", ours] == "1.8050 ± 0.0071 (8), LR 3*"
    assert table.loc["Nadam", ("word2vec", "Dozat (2015): test loss (rank)")] == ".284 (1)"
    assert table.loc["Mom", ("LSTM language model", "Dozat (2015): test perplexity (rank)")] == "99.3 (1)"
    assert lo.claim_nadam(real).evidence["word2vec"]["rho"] == claims.spearman(
        lo.ours_by_task(real)["word2vec"], lo.DOZAT_2015["word2vec"])


def test_weight_decay_grid_setup():
    setup = lo.weight_decay_setup("cpu")
    assert len(setup) == 2 * 4 * 4 * 2
    cfg = setup[("AdamW", 1e-2, 1.0, 0)]
    assert (cfg.optimizer, cfg.weight_decay, cfg.n_train, cfg.dataset) == ("adamw", 1.0, 500, "digits")
    assert cfg.lr == {"name": "cosine", "value": 1e-2, "total_steps": cfg.steps}
    assert setup[("Adam + L2", 1e-2, 1e-3, 1)].optimizer == "adam"
    df = pd.DataFrame([{"optimizer": k[0], "lr": k[1], "weight_decay": k[2], "seed": k[3], "loss": k[1] + k[3],
                        "acc": 0.9} for k in setup])
    tables = lo.weight_decay_tables(df)
    assert tables["AdamW"].shape == (4, 4) and tables["AdamW"].loc[1.0, 1e-2] == 1e-2 + 0.5


# --- verdicts on real data -------------------------------------------------------------------------------

def test_loss_shortfall_closed_form():
    assert claims.loss_shortfall(2.0, 2.0, 5.0) == 0.0
    assert claims.loss_shortfall(5.0, 2.0, 5.0) == 1.0
    assert math.isclose(claims.loss_shortfall(2.3, 2.0, 5.0), 0.1)
    assert claims.loss_shortfall(float("inf"), 2.0, 5.0) == float("inf")


def test_adam_first_choice_verdict():
    initial = {"a": 3.0, "b": 3.0}
    close = {"a": {"Adam": 1.05, "SGD": 1.0}, "b": {"Adam": 1.0, "SGD": 1.1}}
    v = claims.adam_first_choice("c", close, initial)
    assert v.status == REPRODUCED and v.evidence["a"]["best"] == "SGD" and math.isclose(v.evidence["a"]["shortfall"], 0.025)
    assert claims.adam_first_choice("c", {**close, "a": {"Adam": 2.0, "SGD": 1.0}}, initial).status == INCONCLUSIVE
    far = {"a": {"Adam": 2.0, "SGD": 1.0}, "b": {"Adam": 2.5, "SGD": 1.0}}
    assert claims.adam_first_choice("c", far, initial).status == NOT_REPRODUCED


def test_adam_default_lr_verdict():
    initial = {"a": 4.0, "b": 4.0}
    good = {"a": {1e-3: 1.1, 1e-2: 1.0}, "b": {1e-3: 2.0, 1e-2: 3.0}}
    v = claims.adam_default_lr("c", good, initial)
    assert v.status == REPRODUCED and v.evidence["b"] == {"best_lr": 1e-3, "shortfall": 0.0}
    assert claims.adam_default_lr("c", {**good, "a": {1e-3: 2.0, 1e-2: 1.0}}, initial).status == INCONCLUSIVE
    assert claims.adam_default_lr("c", {"a": {1e-3: float("inf"), 1e-2: 1.0}}, {"a": 4.0}).status == NOT_REPRODUCED


def test_spearman_and_ranking_agrees_verdict():
    assert claims.spearman({"x": 1, "y": 2, "z": 3}, {"x": 10, "y": 20, "z": 30}) == 1.0
    assert math.isclose(claims.spearman({"w": 1, "x": 2, "y": 3, "z": 4}, {"w": 1, "x": 3, "y": 2, "z": 4}), 0.8)
    paper = {"t": {"x": 1, "y": 2, "z": 3, "only_paper": 0}, "u": {"x": 1, "y": 2, "z": 3}}
    same = {"t": {"x": 5, "y": 6, "z": 7}, "u": {"x": 5, "y": 6, "z": 7}}
    v = claims.ranking_agrees("c", same, paper)
    assert v.status == REPRODUCED and v.evidence["t"]["paper_best"] == "x"  # keys we did not run are left out
    reverse = {"x": 7, "y": 6, "z": 5}
    assert claims.ranking_agrees("c", {**same, "u": reverse}, paper).status == INCONCLUSIVE
    assert claims.ranking_agrees("c", {"t": reverse, "u": reverse}, paper).status == NOT_REPRODUCED


def test_decoupled_weight_decay_verdict():
    lrs, wds = [1e-3, 1e-2], [1e-4, 1e-3]
    diagonal = pd.DataFrame([[1.0, 2.0], [2.0, 1.5]], index=wds, columns=lrs)  # one good cell
    wide = pd.DataFrame([[1.0, 1.05], [1.08, 1.5]], index=wds, columns=lrs)  # three good cells, same best
    v = claims.decoupled_weight_decay("c", diagonal, wide)
    assert v.status == REPRODUCED
    assert (v.evidence["coupled_good_cells"], v.evidence["decoupled_good_cells"]) == (1, 3)
    assert v.evidence["coupled_best_wd"] == {1e-3: 1e-4, 1e-2: 1e-3}
    assert claims.decoupled_weight_decay("c", diagonal, wide + 0.5).status == INCONCLUSIVE  # wider, but worse
    assert claims.decoupled_weight_decay("c", wide, diagonal + 0.5).status == NOT_REPRODUCED


@pytest.mark.slow
def test_real_data_and_weight_decay_at_smoke():
    real = lo.real_data("smoke")
    assert len(real.finals) == len(lo.real_data_setup("smoke")) and real.finals["loss"].notna().all()
    initial = real.initial()
    assert abs(initial["image recognition"] - math.log(10)) < 0.3  # an untrained 10-way classifier
    assert abs(initial["word2vec"] - math.log(1000)) < 0.5
    assert set(lo.adam_sweep_scores(real)["lr"]) == set(lo.adam_sweep("smoke"))
    assert lo.nadam_table(real).shape == (9, 6)
    grid = lo.weight_decay_grid("smoke")
    assert len(grid) == 8 and set(grid["optimizer"]) == {"Adam + L2", "AdamW"}
