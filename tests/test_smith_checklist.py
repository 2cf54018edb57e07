"""The checklist chapter's comparison: held-out test split, the standard recipes, equal epochs, paired seeds."""

import pytest

from hp_lib import checklist, profiles
from hp_lib.experiments import smith_checklist as ex
from hp_lib.train import RunConfig


def _report(model, data, n_train, n_val, n_test, batch):
    cfg = RunConfig(dataset=data, model=model, n_train=n_train, n_val=n_val, n_test=n_test, batch_size=batch,
                    steps=600, weight_decay=1e-5, seed=0,
                    lr={"name": "caffe_one_cycle", "base_lr": 0.1, "max_lr": 1.0, "stepsize": 270, "momentum": 0.95,
                        "min_momentum": 0.85, "select": "lr"})
    return checklist.Report({"batch_size": batch}, None, None, {}, cfg)


def test_scoring_trains_on_train_and_validation_and_scores_the_test_split():
    reports = {"deep": _report("resnet20", "mnist1d", 10_000, 2_000, 2_000, 256),
               "shallow": _report("lenet", "fashion_mnist", 5_000, 2_000, 2_000, 128)}
    s = ex.scoring_setup("cpu", reports)
    assert s.seeds == profiles.get("cpu").paired_seeds
    for role, (n_train, n_val, n_test) in ex.SPLITS["cpu"].items():
        for arm, cfgs in s.configs[role].items():
            assert [c.seed for c in cfgs] == list(s.seeds)
            # the same total keeps the same permutation: the validation split of these runs is the test split
            # the checklist never read
            assert (cfgs[0].n_train, cfgs[0].n_val, cfgs[0].n_test) == (n_train + n_val, n_test, 0)
        rec, std = s.configs[role][ex.CHECKLIST][0], s.configs[role][ex.STANDARD][0]
        assert rec.steps * rec.batch_size == std.steps * std.batch_size  # equal epochs
    deep = s.configs["deep"][ex.STANDARD][0]
    assert (deep.batch_size, deep.momentum, deep.weight_decay, deep.nesterov) == (128, 0.9, 1e-4, False)
    assert deep.lr == {"name": "multistep", "value": 0.1, "milestones": [600, 900], "gamma": 0.1}
    shallow = s.configs["shallow"][ex.STANDARD][0]
    assert (shallow.batch_size, shallow.weight_decay, shallow.nesterov) == (64, 5e-4, False)
    assert (shallow.lr["name"], shallow.lr["value"], shallow.lr["power"]) == ("inverse_time", 0.01, 0.75)


@pytest.mark.parametrize("profile", ["smoke", "cpu", "full"])
def test_splits_fit_the_datasets(profile):
    from hp_lib import data
    for role, (model, dataset, _) in ex.ANALOGS[profile].items():
        total = sum(ex.SPLITS[profile][role])
        if dataset in ("cifar10", "mnist"):
            assert total <= {"cifar10": 60_000, "mnist": 70_000}[dataset]
        assert min(ex.SPLITS[profile][role]) > 0 and dataset in data.SOURCES


def test_every_step_has_one_record():
    ids = [t.id for t in ex.TESTS] + list(ex.ILLUSTRATED)
    assert sorted(ids) == [f"smith-checklist-{k}" for k in range(1, 5)]


@pytest.mark.parametrize("role", ["deep", "shallow"])
def test_the_scored_split_is_the_test_split_the_checklist_held_out(role):
    import torch

    from hp_lib import data
    _, dataset, _ = ex.ANALOGS["smoke"][role]
    n_train, n_val, n_test = ex.SPLITS["smoke"][role]
    chosen_on, scored_on = data.load(dataset, n_train, n_val, n_test), data.load(dataset, n_train + n_val, n_test, 0)
    assert torch.equal(scored_on.x_val, chosen_on.x_test) and torch.equal(scored_on.y_val, chosen_on.y_test)
    assert torch.equal(scored_on.x_train, torch.cat([chosen_on.x_train, chosen_on.x_val]))
