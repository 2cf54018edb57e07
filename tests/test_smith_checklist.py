"""The checklist chapter's tests: held-out test split, one arm per setting a step chose, equal epochs, paired seeds."""

import pytest

from hp_lib import checklist, profiles
from hp_lib.experiments import smith_checklist as ex
from hp_lib.train import RunConfig


def _report(model, data, n_train, n_val, n_test, batch, weight_decay=1e-5, grid=checklist.DEEP_WDS):
    cfg = RunConfig(dataset=data, model=model, n_train=n_train, n_val=n_val, n_test=n_test, batch_size=batch,
                    steps=600, weight_decay=weight_decay, seed=0, **checklist.one_cycle(1.0, 0.1, 0.95, 600))
    rec = {"max_lr": 1.0, "min_lr": 0.1, "batch_size": batch, "momentum": 0.95, "min_momentum": 0.85,
           "weight_decay": weight_decay, "steps": 600, "momentum_ranking": [0.95, 0.9, 0.99, 0.97],
           "weight_decay_grid": grid}
    return checklist.Report(rec, None, None, {}, cfg)


REPORTS = {"deep": _report("resnet20", "mnist1d", 10_000, 2_000, 2_000, 256),
           "shallow": _report("lenet", "fashion_mnist", 5_000, 2_000, 2_000, 128, 1e-2, checklist.SHALLOW_WDS)}


def test_scoring_trains_on_train_and_validation_and_scores_the_test_split():
    s = ex.scoring_setup("cpu", REPORTS)
    assert s.seeds == profiles.get("cpu").paired_seeds
    for role, (n_train, n_val, n_test) in ex.SPLITS["cpu"].items():
        assert set(s.configs[role]) == set(ex.GLUE_NAMES)  # every arm the tests and the page read
        for arm, cfgs in s.configs[role].items():
            assert [c.seed for c in cfgs] == list(s.seeds)
            # the same total keeps the same permutation: the validation split of these runs is the test split
            # the checklist never read
            assert (cfgs[0].n_train, cfgs[0].n_val, cfgs[0].n_test) == (n_train + n_val, n_test, 0)
            rec = s.configs[role][ex.CHECKLIST][0]
            assert cfgs[0].steps * cfgs[0].batch_size == rec.steps * rec.batch_size  # equal epochs
            assert cfgs[0].snapshot_at == () and cfgs[0].start_from is None


def test_the_recommendation_is_the_config_the_checklist_made():
    s = ex.scoring_setup("cpu", REPORTS)
    made = REPORTS["deep"].config
    rec = s.configs["deep"][ex.CHECKLIST][0]
    assert (rec.lr, rec.momentum, rec.weight_decay, rec.batch_size, rec.steps) == \
        (made.lr, made.momentum, made.weight_decay, made.batch_size, made.steps)


def test_each_arm_changes_one_setting_of_the_recommendation():
    arms = ex.scoring_setup("cpu", REPORTS).configs["deep"]
    rec = arms[ex.CHECKLIST][0]

    def differs(arm):
        a = arms[arm][0]
        return {k for k in ("lr", "momentum", "weight_decay", "batch_size", "steps", "nesterov")
                if getattr(a, k) != getattr(rec, k)}

    assert (arms[ex.LR_HALF][0].lr["max_lr"], arms[ex.LR_HALF][0].lr["base_lr"]) == (0.5, 0.05)
    assert (arms[ex.LR_DOUBLE][0].lr["max_lr"], arms[ex.LR_DOUBLE][0].lr["base_lr"]) == (2.0, 0.2)
    assert differs(ex.LR_HALF) == differs(ex.LR_DOUBLE) == {"lr", "momentum"}  # the policy carries both bounds
    quarter = arms[ex.BATCH_QUARTER][0]
    assert (quarter.batch_size, quarter.steps, quarter.lr["max_lr"], quarter.lr["stepsize"]) == (64, 2400, 0.25, 1080)
    # the momentum arms: the short runs' ranking after the pick (0.95), in its order
    assert [arms[a][0].momentum["momentum"] for a in ex.MOMENTUM_RANKED] == [0.9, 0.99, 0.97]
    assert all(differs(a) == {"lr", "momentum"} and arms[a][0].lr == {**rec.lr, "momentum": arms[a][0].lr["momentum"]}
               for a in ex.MOMENTUM_RANKED)
    wds = [arms[a][0].weight_decay for a in (ex.WD_UP, ex.WD_DOWN, ex.WD_FINE)]
    assert wds == pytest.approx([1e-4, 1e-6, 1.4e-5])
    assert all(differs(a) == {"weight_decay"} for a in (ex.WD_UP, ex.WD_DOWN, ex.WD_FINE))


def test_the_baseline_is_the_range_tests_lr_with_a_step_decay_and_the_standard_wd_and_batch():
    s = ex.scoring_setup("cpu", REPORTS)
    deep = s.configs["deep"][ex.BASELINE][0]
    assert (deep.batch_size, deep.momentum, deep.weight_decay, deep.nesterov) == (128, 0.9, 1e-4, False)
    assert deep.steps == 1200  # the recommendation's 600 at batch 256: the same epochs
    assert deep.lr == {"name": "multistep", "value": 1.0, "milestones": [600, 900], "gamma": 0.1}
    shallow = s.configs["shallow"][ex.BASELINE][0]
    assert (shallow.batch_size, shallow.weight_decay, shallow.steps) == (64, 5e-4, 1200)
    with pytest.raises(ValueError, match="no standard recipe for 'mlp'"):
        ex.practitioner_baseline("mlp", 0.1, 1_000)


def test_a_weight_decay_of_0_is_tested_against_values_below_the_grid():
    report = _report("resnet20", "mnist1d", 10_000, 2_000, 2_000, 256, weight_decay=0.0)
    arms = ex.arms(report, 12_000, 2_000)
    assert arms[ex.CHECKLIST].weight_decay == 0.0
    assert [arms[a].weight_decay for a in (ex.WD_UP, ex.WD_DOWN, ex.WD_FINE)] == pytest.approx([1e-6, 1e-8, 1.4e-7])


@pytest.mark.parametrize("profile", ["smoke", "cpu", "full"])
def test_splits_fit_the_datasets(profile):
    from hp_lib import data
    for role, (model, dataset, _) in ex.ANALOGS[profile].items():
        total = sum(ex.SPLITS[profile][role])
        if dataset in ("cifar10", "mnist"):
            assert total <= {"cifar10": 60_000, "mnist": 70_000}[dataset]
        assert min(ex.SPLITS[profile][role]) > 0 and dataset in data.SOURCES


def test_every_step_has_one_test():
    assert [t.id for t in ex.TESTS] == [f"smith-checklist-{k}" for k in range(1, 5)]
    assert ex.CHAPTER.items == tuple(t.id for t in ex.TESTS)


@pytest.mark.parametrize("role", ["deep", "shallow"])
def test_the_scored_split_is_the_test_split_the_checklist_held_out(role):
    import torch

    from hp_lib import data
    _, dataset, _ = ex.ANALOGS["smoke"][role]
    n_train, n_val, n_test = ex.SPLITS["smoke"][role]
    chosen_on, scored_on = data.load(dataset, n_train, n_val, n_test), data.load(dataset, n_train + n_val, n_test, 0)
    assert torch.equal(scored_on.x_val, chosen_on.x_test) and torch.equal(scored_on.y_val, chosen_on.y_test)
    assert torch.equal(scored_on.x_train, torch.cat([chosen_on.x_train, chosen_on.x_val]))
