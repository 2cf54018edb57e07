"""The `full` profile runs the paper's own settings. On the CPU we check the configs against the paper's
(cited values, SOURCES: the author's log range2SS80kRes56LR) and run one step of each on fake data of the
real shape, so the GPU path cannot rot unnoticed."""

import json

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
    lr = schedules.from_spec(setup.all()[0].lr)
    assert lr(0) == 0.0 and abs(lr(79_999) - 2.0) < 1e-12 and abs(lr(100) - 0.0025) < 1e-6  # log: 0.00250006


def test_fig1_full_config_runs_one_step_on_fake_data():
    cfg = ex.range_test_setup("full").all()[0].replace(device="cpu", threads=1, steps=1, batch_size=4,
                                                           eval_every=1)
    history = train(cfg, fake_cifar())
    assert history.attrs["status"] == "ok" and len(history) == 2


def test_fig2_full_config_runs_one_step():
    cfg = ex.capacity_setup("full").all()[-1].replace(device="cpu", dataset="digits", n_train=64, n_val=32,
                                                          n_test=32, steps=1, batch_size=32, eval_every=1)
    assert train(cfg).attrs["status"] == "ok"


# --- §4.1–4.3: the paper's settings, typed in from SOURCES §1.4–1.5 as cited facts ------------------------

from hp_lib.experiments import smith_batch_size, smith_momentum, smith_superconvergence  # noqa: E402


def _one_step(cfg):
    """One iteration of a full-profile config on fake CIFAR-shaped data, on the CPU."""
    history = train(cfg.replace(device="cpu", threads=1, steps=1, batch_size=4, eval_every=1), fake_cifar())
    assert history.attrs["status"] == "ok"


def test_fig5_full_is_the_super_convergence_run():
    s = smith_superconvergence.setup("full")
    for cfg in (s.cycle, s.step):
        assert (cfg.dataset, cfg.model, cfg.batch_size, cfg.momentum) == ("cifar10", "resnet56", 1000, 0.9)
    assert s.cycle.lr == {"name": "triangular", "base_lr": 0.1, "max_lr": 3.0, "step_size_up": 5000}
    assert s.cycle.steps == 10_000
    assert s.step.lr == {"name": "multistep", "value": 0.35, "milestones": [50_000, 70_000], "gamma": 0.1}
    assert s.step.steps == 80_000 and s.step.weight_decay == 1e-4
    assert s.weight_decays == (1e-3, 1e-4, 1e-5, 1e-6) and len(s.seeds) == 4
    for cfgs in s.grid().configs.values():
        _one_step(cfgs[0])


def test_fig6_full_is_the_batch_size_runs():
    s = smith_batch_size.setup("full")
    # TBS: (max LR, epochs, stepsize in epochs); iterations = epochs · 50000 / TBS as the author's script counts
    paper = {128: (0.4, 48, 21), 256: (0.6, 70, 31), 512: (0.8, 95, 41), 1024: (1.0, 116, 51)}
    assert sorted(s.configs) == sorted(paper)
    for tbs, (max_lr, epochs, ss) in paper.items():
        cfg = s.configs[tbs]
        assert (cfg.dataset, cfg.model, cfg.batch_size, cfg.weight_decay, cfg.momentum) == ("cifar10", "resnet56", tbs, 1e-4, 0.95)
        assert cfg.steps == epochs * 50_000 // tbs
        assert cfg.lr["max_lr"] == max_lr and cfg.lr["base_lr"] == max_lr / 10
        assert cfg.lr["stepsize"] == ss * 50_000 // tbs
    # the author's log of the TBS 512 run: 9,277 iterations, stepsize 4,003, lr 0.6407 at iteration 4,800
    cfg = s.configs[512]
    assert (cfg.steps, cfg.lr["stepsize"]) == (9_277, 4_003)
    assert abs(schedules.from_spec(cfg.lr)(4_800) - 0.6407) < 1e-4
    _one_step(cfg)


def test_fig7_fig8_full_are_the_momentum_runs():
    p = "full"
    a = smith_momentum.range_momentum_setup(p)
    assert sorted(a.configs) == ["momentum 0.7", "momentum 0.9", "momentum 0.99"]
    for cfgs in a.configs.values():
        cfg = cfgs[0]
        assert (cfg.model, cfg.dataset, cfg.weight_decay, cfg.steps) == ("three_layer", "cifar10", 4e-3, 10_000)
        lr = schedules.from_spec(cfg.lr)
        assert lr(0) == 0.0 and abs(lr(9_999) - 0.02) < 1e-12
    c = smith_momentum.range_cyclical_setup(p).configs
    falling = schedules.from_spec(c["falling 0.95 → 0.8"][0].momentum)
    assert falling(0) == 0.95 and abs(falling(9_999) - 0.8) < 1e-12
    lr = schedules.from_spec(c["constant 0.9"][0].lr)
    assert abs(lr(0) - 0.002) < 1e-12 and abs(lr(9_999) - 0.02) < 1e-12
    d = smith_momentum.step_momentum_setup(p).configs["cyclical 0.95 → 0.85"][0]
    assert d.steps == 20_000 and d.lr["value"] == 0.005 and d.lr["gamma"] == 0.316
    assert d.lr["milestones"] == [10_000, 15_000, 17_500, 18_750]
    e = smith_momentum.one_cycle_momentum_setup(p).configs["falling 0.95 → 0.85"][0]
    assert (e.model, e.steps, e.weight_decay, e.lr["stepsize"], e.lr["max_lr"]) == ("resnet56", 20_000, 5e-5, 9_000, 1.0)
    momentum = schedules.from_spec(e.momentum)
    assert momentum(0) == 0.95 and abs(momentum(9_000) - 0.85) < 1e-12
    for grid in (a, smith_momentum.range_cyclical_setup(p), smith_momentum.step_momentum_setup(p),
                 smith_momentum.one_cycle_momentum_setup(p)):
        for cfgs in grid.configs.values():
            _one_step(cfgs[0])


def test_table1_full_is_the_papers_table():
    t = smith_momentum.table_1_setup("full")
    assert len(t.rows) == 20 and len(t.grid.configs) == 20
    assert all(len(cfgs) == 4 for cfgs in t.grid.configs.values())
    shallow = t.grid.configs["3-layer | 0.0005-0.005/11 | 0.95-0.85"][0]
    assert (shallow.model, shallow.weight_decay, shallow.batch_size) == ("three_layer", 3e-3, 128)
    assert shallow.steps == 25 * 50_000 // 128 and shallow.lr["stepsize"] == 11 * 50_000 // 128
    assert (shallow.lr["base_lr"], shallow.lr["max_lr"]) == (0.0005, 0.005)
    deep = t.grid.configs["resnet-56 | 0.08-0.80/41 | 0.90-1.00"][0]
    assert (deep.model, deep.weight_decay, deep.batch_size, deep.steps) == ("resnet56", 1e-4, 512, 9_277)
    assert (deep.lr["base_lr"], deep.lr["max_lr"], deep.lr["stepsize"]) == (0.08, 0.8, 4_003)
    assert (deep.momentum["momentum"], deep.momentum["min_momentum"]) == (0.9, 1.0)
    assert t.grid.configs["resnet-56 | 0.1 | 0.85"][0].lr == 0.1
    assert t.grid.configs["3-layer | 0.005 | 0.95"][0].lr == 0.005
    # the paper's column, typed in from Table 1
    assert smith_momentum.PAPER_TABLE_1[("resnet-56", "0.08-0.80/41", "0.95")] == (92.1, 0.1)
    assert smith_momentum.PAPER_TABLE_1[("3-layer", "0.0005-0.005/11", "0.95-0.85")] == (81.3, 0.1)
    _one_step(deep)
    _one_step(shallow)


def test_fig9_to_fig12_full_are_the_weight_decay_searches():
    from hp_lib.experiments import smith_weight_decay as wd

    s9 = wd.constant_lr_setup("full")
    assert sorted(s9.configs) == sorted([1e-2, 3.2e-3, 1.8e-3, 1e-3])
    for w, cfg in s9.configs.items():
        assert (cfg.model, cfg.dataset, cfg.lr, cfg.momentum, cfg.weight_decay) == ("three_layer", "cifar10", 0.005, 0.95, w)
    s10 = wd.cyclical_setup("full").configs[1.8e-3]
    lr, momentum = schedules.from_spec(s10.lr), schedules.from_spec(s10.momentum)
    assert abs(lr(0) - 0.001) < 1e-12 and abs(lr(s10.steps - 1) - 0.01) < 1e-12
    assert momentum(0) == 0.98 and abs(momentum(s10.steps - 1) - 0.9) < 1e-12
    s11a, s11b = wd.resnet_setup("full"), wd.resnet_setup("full", lr_range=True)
    assert sorted(s11a.configs) == sorted([1e-4, 3.2e-4, 5.6e-4, 1e-3])
    for cfg in (*s11a.configs.values(), *s11b.configs.values()):
        assert (cfg.model, cfg.momentum, cfg.batch_size) == ("resnet56", 0.95, 1_030)
    assert s11a.configs[1e-4].lr == 0.1
    lr = schedules.from_spec(s11b.configs[1e-4].lr)
    assert abs(lr(0) - 0.1) < 1e-12 and abs(lr(s11b.configs[1e-4].steps - 1) - 1.0) < 1e-12
    # Fig. 12a: the author's snapshot job (3layWDsnap: LR 0.005, 35 epochs at TBS 2,048, momentum 0.95), from
    # scratch and continued at 1e-2, 3e-3 and 1e-3; Fig. 9 keeps no snapshot there
    s12a = wd.snapshot_search_setup("full")
    assert s9.snapshot_wd is None and s9.restart_wds == ()
    assert s12a.restart_wds == (1e-2, 3e-3, 1e-3) and sorted(s12a.configs) == sorted(s12a.restart_wds)
    for w, cfg in s12a.configs.items():
        assert (cfg.model, cfg.dataset, cfg.lr, cfg.momentum, cfg.weight_decay) == ("three_layer", "cifar10", 0.005, 0.95, w)
        assert (cfg.batch_size, cfg.steps) == (2_048, 35 * 50_000 // 2_048)
    assert wd.snapshot_search_setup("cpu").configs == wd.constant_lr_setup("cpu").configs  # Fig. 9's on CPUs
    # Fig. 12: restarts from the snapshot of the WD 1e-3 (3-layer) and WD 1e-4 (ResNet) runs, halfway
    for setup, parent_wd in ((s12a, 1e-3), (s11b, 1e-4)):
        parent = setup.configs[parent_wd]
        assert setup.snapshot_wd == parent_wd and setup.step % parent.eval_every == 0
        assert parent.steps // 2 - parent.eval_every < setup.step <= parent.steps // 2  # halfway, on an evaluation
        children = setup.restart_grid().all()
        assert {c.start_from["step"] for c in children} == {setup.step}
        assert all(c.parent().weight_decay == parent_wd for c in children)
    for cfg in (s9.configs[1e-2], s10, s11a.configs[1e-3]):
        _one_step(cfg)


def test_fig13_to_table2_full_are_the_papers_settings():
    from hp_lib.experiments import smith_other_architectures as ex

    g13 = ex.fig13_setup("full")
    wrn = g13["13a"].configs["WD 1e-4"][0]
    assert (wrn.model, wrn.model_kwargs, wrn.dataset, wrn.batch_size) == ("wrn32_4", {}, "cifar10", 512)
    lr, momentum = schedules.from_spec(wrn.lr), schedules.from_spec(wrn.momentum)
    assert abs(lr(0) - 0.1) < 1e-12 and abs(lr(wrn.steps - 1) - 1.0) < 1e-12
    assert momentum(0) == 0.95 and abs(momentum(wrn.steps - 1) - 0.85) < 1e-12
    dense = g13["13c"].configs["WD 1e-5"][0]
    assert (dense.model, dense.model_kwargs, dense.batch_size) == ("densenet40", {}, 256)
    assert abs(schedules.from_spec(dense.lr)(dense.steps - 1) - 4.0) < 1e-12
    assert sorted(g13["13b"].configs) == ["momentum 0.9", "momentum 0.95", "momentum 0.97", "momentum 0.99"]
    lenet = ex.fig14_setup("full")["14b"].configs["WD 3e-3"][0]
    assert (lenet.model, lenet.dataset, lenet.weight_decay) == ("lenet", "mnist", 3e-3)
    assert abs(schedules.from_spec(lenet.lr)(0) - 0.001) < 1e-12
    assert abs(schedules.from_spec(lenet.lr)(lenet.steps - 1) - 0.04) < 1e-12
    c100 = ex.fig15_setup("full")["15a"].configs["WD 1e-4"][0]
    assert (c100.model, c100.dataset) == ("resnet56", "cifar100")

    t2 = ex.table_2_setup("full")
    assert len(t2.rows) == 26 and all(len(c) == 4 for c in t2.grid.configs.values())
    # the author's DenseNet 1cycle log: 4,882 iterations, stepsize 2,148, LR 0.1 -> 4 (TBS 512, 50 epochs)
    d = t2.grid.configs["densenet | 0.1-4/22 | 50"][0]
    assert (d.steps, d.lr["stepsize"], d.lr["base_lr"], d.lr["max_lr"], d.weight_decay) == (4_882, 2_148, 0.1, 4.0, 1e-6)
    assert (d.momentum["momentum"], d.momentum["min_momentum"]) == (0.9, 0.85)
    step = t2.grid.configs["wide resnet | 0.1/Step | 800"][0]
    assert step.lr["gamma"] == 0.316 and step.steps == 800 * 50_000 // 512 and step.momentum == 0.9
    inv = t2.grid.configs["LeNet | 0.01/inv | 85"][0]
    assert inv.dataset == "mnist" and inv.lr["power"] == 0.75 and inv.weight_decay == 5e-4
    for cfg in (wrn, dense, step, c100.replace(dataset="cifar10")):
        _one_step(cfg.replace(model_kwargs=cfg.model_kwargs))


def test_figs_3b_4b_16_full_are_the_papers_imagenet_runs():
    """ImageNet's official split, the author's batches (4 GPUs × 32 for ResNet-50, × 28 for Inception-ResNet-v2),
    his baseline solver (asolver1: LR 0.1 × 0.94 every 20,000 iterations, momentum 0.9, WD 1e-4) and his 1cycle
    solvers (SOURCES §1.4, §2)."""
    from hp_lib.experiments import smith_other_architectures as s5, smith_test_loss as s3

    baseline = {"name": "step_decay", "value": 0.1, "step_size": 20_000, "gamma": 0.94}
    b3 = s3.capacity_models_setup("full")
    for arm, (model, tbs) in ((s3.SHALLOW, ("resnet50", 128)), (s3.DEEP, ("inception_resnet_v2", 112))):
        cfg = b3.configs[arm][0]
        assert (cfg.dataset, cfg.n_train, cfg.n_val, cfg.n_test) == ("imagenet", 1_281_167, 50_000, 0)
        assert (cfg.model, cfg.batch_size, cfg.steps, cfg.lr, cfg.momentum, cfg.weight_decay) == \
            (model, tbs, 100_000, baseline, 0.9, 1e-4)
    b4 = s3.overfitting_setup("full").configs
    assert b4[s3.STANDARD][0] == b3.configs[s3.SHALLOW][0]  # the same baseline run
    cycle = b4[s3.ONE_CYCLE][0]  # bsolver4: 10 epochs, stepsize 35k, WD 1e-7
    assert (cycle.model, cycle.steps, cycle.weight_decay, cycle.lr["stepsize"]) == ("resnet50", 100_000, 1e-7, 35_000)
    assert (cycle.lr["base_lr"], cycle.lr["max_lr"], cycle.momentum["momentum"], cycle.momentum["min_momentum"]) == \
        (0.05, 1.0, 0.95, 0.85)
    f16 = s5.fig16_setup("full")
    # standard: 130 / 100 epochs at the net's batch; 1cycle: bsolver35/36 (200k, SS 95k), Inception's (220k, 108k)
    for fig, model, standard_steps, cycle_steps, stepsize, wds in (
            ("16a", "resnet50", 130 * 1_281_167 // 128, 200_000, 95_000, (3e-6, 1e-5)),
            ("16b", "inception_resnet_v2", 100 * 1_281_167 // 112, 220_000, 108_000, (3e-6, 1e-6))):
        configs = {arm: cfgs[0] for arm, cfgs in f16[fig].configs.items()}
        assert {c.model for c in configs.values()} == {model} and {c.dataset for c in configs.values()} == {"imagenet"}
        standard = configs[s5.standard_arm(130 if fig == "16a" else 100)]
        assert (standard.steps, standard.lr, standard.weight_decay) == (standard_steps, baseline, 1e-4)
        for wd in wds:
            c = configs[s5.cycle_arm(wd)]
            assert (c.steps, c.lr["stepsize"], c.weight_decay, c.lr["max_lr"]) == (cycle_steps, stepsize, wd, 1.0)
        assert all(len(cfgs) == 4 for cfgs in f16[fig].configs.values())


def _every_full_config():
    """Every distinct config the chapters run at the full profile (one seed each)."""
    from hp_lib.experiments import (smith_other_architectures as s5, smith_test_loss as s3,
                                    smith_weight_decay as s44)

    grids = [s3.underfitting_setup("full"), s3.capacity_models_setup("full"), s3.weight_decay_range_setup("full"),
             s3.overfitting_setup("full"), smith_superconvergence.setup("full").grid(),
             smith_batch_size.setup("full").grid(), smith_momentum.batch_size_cm_setup("full").grid(),
             smith_momentum.range_momentum_setup("full"), smith_momentum.momentum_range_setup("full"),
             smith_momentum.range_cyclical_setup("full"), smith_momentum.step_momentum_setup("full"),
             smith_momentum.one_cycle_momentum_setup("full"), smith_momentum.table_1_setup("full").grid,
             s44.constant_lr_setup("full").grid(), s44.snapshot_search_setup("full").grid(),
             s44.cyclical_setup("full").grid(), s44.resnet_setup("full").grid(),
             s44.resnet_setup("full", lr_range=True).grid(), s5.table_2_setup("full").grid,
             *s5.fig13_setup("full").values(), *s5.fig14_setup("full").values(), *s5.fig15_setup("full").values(),
             *s5.fig16_setup("full").values()]
    configs = [cfgs[0] for g in grids for cfgs in g.configs.values()] + [s3.range_test_setup("full").all()[0]]
    return {json.dumps(c.to_dict(), sort_keys=True): c for c in configs}.values()


FAKE_SHAPES = {"cifar10": ((3, 32, 32), 10), "cifar100": ((3, 32, 32), 100), "mnist": ((1, 28, 28), 10),
               "mnist1d": ((1, 40), 10), "mnist1d_hard": ((1, 40), 10), "imagenet": ((3, 230, 230), 1000)}


def test_fig_15b_full_takes_the_job_scripts_stepsize():
    """C100Res256/512/1024: stepsize = epochs (55/55, 50/50, 130/130): the LR rises over the whole run."""
    from hp_lib.experiments import smith_other_architectures as ex

    for label, cfgs in ex.fig15_setup("full")["15b"].configs.items():
        assert cfgs[0].lr["stepsize"] == cfgs[0].steps, label


def test_every_full_cifar_config_fits_the_official_split():
    """The paper's training images train; its test images validate (50,000 and 10,000 in CIFAR-10 and -100)."""
    from hp_lib import data

    for cfg in _every_full_config():
        if cfg.dataset in ("cifar10", "cifar100"):
            n_train, n_val, n_test = (d if n is None else n for n, d in
                                      zip((cfg.n_train, cfg.n_val, cfg.n_test), data.DEFAULT_SIZES[cfg.dataset]))
            assert n_train <= 50_000 and n_val + n_test <= 10_000, (cfg.dataset, n_train, n_val, n_test)


def test_every_full_config_runs_one_step_on_fake_data_of_its_shape():
    configs = list(_every_full_config())
    assert len(configs) > 100
    g = torch.Generator().manual_seed(0)
    for cfg in configs:
        assert cfg.device == "cuda"  # the full profile is meant for a GPU
        shape, k = FAKE_SHAPES[cfg.dataset]
        x, y = torch.randn(8, *shape, generator=g), torch.randint(0, k, (8,), generator=g)
        fake = data.Dataset(cfg.dataset, x, y, x, y, x[:0], y[:0], num_classes=k, fingerprint="fake")
        h = train(cfg.replace(device="cpu", threads=1, steps=1, batch_size=4, eval_every=1, snapshot_at=()), fake)
        assert h.attrs["status"] == "ok", cfg
