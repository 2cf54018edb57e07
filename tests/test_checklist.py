"""hp_lib.checklist: Smith's four steps, on named data (cached) and on a reader's own model and tensors."""

import pytest
import torch

from hp_lib import checklist


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("HP_BOOK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HP_BOOK_BUILD", str(tmp_path / "build"))


SMALL = dict(range_end=1.0, range_steps=60, batch_sizes=(16, 32, 64, 128), min_steps_per_epoch=10, short_steps=20,
             train_steps=60)


def _check(report, n_train):
    r = report.recommendation
    assert 0 < r["max_lr"] <= 1.0 and r["min_lr"] == pytest.approx(r["max_lr"] / 10)
    assert r["momentum"] in checklist.MOMENTA and r["min_momentum"] == 0.85
    assert r["batch_size"] == max(b for b in (16, 32, 64, 128) if n_train // b >= 10)
    assert list(report.table.index.get_level_values(0).unique()) == [
        "1. learning rate", "2. batch size", "3. momentum", "4. weight decay"]
    assert list(report.comparison.index) == ["recommendation (1cycle)", "baseline (constant LR 0.01)"]
    assert report.comparison["final validation accuracy"].between(0, 1).all()
    assert len(report.histories["momentum"]) == 4


def test_checklist_on_named_model_and_data_is_cached(monkeypatch):
    report = checklist.run("mlp", "digits", n_train=400, n_val=200, **SMALL)
    _check(report, 400)
    assert report.recommendation["weight_decay"] in checklist.SHALLOW_WDS  # a 3-layer MLP is shallow
    from hp_lib import sweep
    monkeypatch.setattr(sweep, "run_one", lambda cfg: pytest.fail("a cached run was trained again"))
    monkeypatch.setattr(sweep, "run_stack", lambda cfgs: pytest.fail("cached runs were trained again"))
    again = checklist.run("mlp", "digits", n_train=400, n_val=200, **SMALL)
    assert again.recommendation == report.recommendation


def test_checklist_can_hold_out_a_test_split_and_skip_its_comparison():
    report = checklist.run("mlp", "digits", n_train=400, n_val=200, n_test=100, compare=False, **SMALL)
    assert report.comparison.empty and "recommendation" not in report.histories
    cfg = report.config  # the recommendation as a config, for a comparison elsewhere
    assert (cfg.n_train, cfg.n_val, cfg.n_test) == (400, 200, 100)
    assert cfg.batch_size == report.recommendation["batch_size"] and cfg.steps == report.recommendation["steps"]
    assert cfg.weight_decay == report.recommendation["weight_decay"] and not cfg.snapshot_at
    assert cfg.lr["max_lr"] == report.recommendation["max_lr"] and cfg.momentum["min_momentum"] == 0.85


def test_checklist_on_a_readers_model_and_tensors():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(600, 8, generator=g)
    y = (x[:, :2].sum(1) > 0).long()
    data = checklist.tensors(x[:480], y[:480], x[480:], y[480:])
    model = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2))
    before = [p.detach().clone() for p in model.parameters()]
    report = checklist.run(model, data, deep=True, **SMALL)
    _check(report, 480)
    assert report.recommendation["weight_decay"] in checklist.DEEP_WDS
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # the model given is untouched
    assert report.comparison.loc["recommendation (1cycle)", "final validation accuracy"] > 0.8


def test_bad_inputs():
    model = torch.nn.Linear(4, 2)
    with pytest.raises(ValueError, match="Dataset"):
        checklist.run(model, (torch.zeros(10, 4), torch.zeros(10)))
    with pytest.raises(ValueError, match="differ in length"):
        checklist.tensors(torch.zeros(10, 4), torch.zeros(9), torch.zeros(5, 4), torch.zeros(5))


def test_one_significant_figure():
    assert [checklist._one_significant(x) for x in (3.2e-3, 1.8e-4, 1e-5, 0.0)] == [3e-3, 2e-4, 1e-5, 0.0]
