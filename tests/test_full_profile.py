"""The `full` profile runs the paper's own settings. On the CPU we check the configs against the paper's
(cited values, SOURCES: the author's log range2SS80kRes56LR) and run one step of each on fake data of the
real shape, so the GPU path cannot rot unnoticed."""

import torch

from hp_lib import data, schedules
from hp_lib.experiments import smith_test_loss as ex
from hp_lib.train import train


def fake_cifar(n=8):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 3, 32, 32, generator=g)
    y = torch.randint(0, 10, (n,), generator=g)
    return data.Dataset("cifar10", x, y, x, y, x[:0], y[:0], num_classes=10, fingerprint="fake")


def test_fig1_full_matches_the_papers_range_test():
    setup = ex.range_test_setup("full")
    cfg = setup.base
    assert (cfg.dataset, cfg.model) == ("cifar10", "resnet56")
    assert (cfg.batch_size, cfg.momentum, cfg.weight_decay, cfg.nesterov) == (1000, 0.9, 1e-4, True)
    assert (setup.start_lr, setup.end_lr, setup.steps, setup.mode) == (0.0, 2.0, 80_000, "linear")
    assert cfg.n_train == 50_000 and cfg.n_val == 10_000
    assert len(setup.seeds) == 4  # every curve of the paper averages 4 runs
    lr = schedules.from_spec(setup.configs()[0].lr)
    assert lr(0) == 0.0 and abs(lr(79_999) - 2.0) < 1e-12 and abs(lr(100) - 0.0025) < 1e-6  # log: 0.00250006


def test_fig1_full_config_runs_one_step_on_fake_data():
    cfg = ex.range_test_setup("full").configs()[0].replace(device="cpu", threads=1, steps=1, batch_size=4,
                                                           eval_every=1)
    history = train(cfg, fake_cifar())
    assert history.attrs["status"] == "ok" and len(history) == 2


def test_fig2_full_config_runs_one_step():
    cfg = ex.capacity_setup("full").configs()[-1].replace(dataset="digits", n_train=64, n_val=32, n_test=32,
                                                          steps=1, batch_size=32, eval_every=1)
    assert train(cfg).attrs["status"] == "ok"
