"""Every chapter declares its experiments once (``CHAPTER``); its page, its tests, its runs to start ahead and its
verdict table agree with that list."""

import importlib
import json
import re
from pathlib import Path

import pytest

from hp_lib import experiments, verdicts
from hp_lib.experiments.chapter import Chapter, Experiment, configs
from hp_lib.train import RunConfig

ROOT = Path(__file__).resolve().parent.parent
ANCHOR = re.compile(r"^\(([a-z0-9-]+)\)=$", re.M)


@pytest.mark.parametrize("name", experiments.CHAPTERS)
def test_a_chapters_items_are_the_stable_ids_its_page_anchors_in_the_pages_order(name):
    page = (ROOT / "notebooks" / f"{name}.md").read_text(encoding="utf-8")
    anchored = list(dict.fromkeys(ANCHOR.findall(page)))
    declared = importlib.import_module(f"hp_lib.experiments.{name}").CHAPTER
    assert declared.items == tuple(anchored)
    assert declared.name == name.replace("_", "-")


@pytest.mark.parametrize("name", experiments.CHAPTERS)
def test_every_test_a_chapter_declares_belongs_to_one_of_its_experiments(name):
    module = importlib.import_module(f"hp_lib.experiments.{name}")
    ids = [t.id for t in module.CHAPTER.tests]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(t.id for t in module.TESTS)


def _cfg(seed: int) -> RunConfig:
    return RunConfig(dataset="digits", model="mlp", steps=2, seed=seed)


def _setup(profile, seeds=None, dataset=None):
    return [_cfg(s).replace(dataset=dataset or "digits") for s in (seeds or (0, 1))]


def test_a_plan_lists_each_run_once_and_passes_only_the_options_an_experiment_names():
    chapter = Chapter("toy", (Experiment("a", ("toy-a",), _setup, options=("dataset",)),
                              Experiment("b", ("toy-b",), lambda profile, seeds=None: {"x": _cfg(0), "y": [_cfg(5)]}),
                              Experiment("c", ("toy-c",))))
    planned = chapter.plan("smoke", dataset="mnist1d")
    assert [(c.dataset, c.seed) for c in planned] == [("mnist1d", 0), ("mnist1d", 1), ("digits", 0), ("digits", 5)]
    assert len(chapter.plan("smoke")) == 3  # digits seed 0 is in both a and b: listed once


def test_configs_reads_every_form_of_setup():
    class Grid:
        def all(self):
            return [_cfg(3)]

    assert [c.seed for c in configs(Grid())] == [3]
    assert [c.seed for c in configs({"a": _cfg(1), "b": [_cfg(2), _cfg(4)]})] == [1, 2, 4]
    assert [c.seed for c in configs([_cfg(0)])] == [0]


def test_an_experiment_refuses_a_test_of_another_item_and_a_chapter_an_item_declared_twice():
    class FakeTest:
        id = "toy-b"

    with pytest.raises(ValueError, match="toy-b"):
        Experiment("a", ("toy-a",), tests=(FakeTest(),))
    FakeTest.id = "toy-a-part"  # a part of a claim in several parts
    Experiment("a", ("toy-a",), tests=(FakeTest(),))
    with pytest.raises(ValueError, match="toy-a"):
        Chapter("toy", (Experiment("a", ("toy-a",)), Experiment("b", ("toy-a", "toy-b"))))


def test_publish_writes_one_record_per_item_in_the_declared_order_and_refuses_a_gap(tmp_path, monkeypatch):
    monkeypatch.setenv("HP_BOOK_BUILD", str(tmp_path))
    monkeypatch.setenv("HP_BOOK_NOTEBOOK", "toy")
    def setup(profile, seeds, dataset=None):
        seeds = seeds or (0,)
        size = {"n_train": 50_000, "batch_size": 1_000} if profile == "full" else {"n_train": 4_000, "batch_size": 128}
        return [RunConfig(dataset=dataset or "mnist1d_hard", model="resnet20", label_noise=0.15, seed=s, **size)
                for s in seeds]

    chapter = Chapter("toy", (Experiment("a", ("toy-b", "toy-a"), setup, options=("dataset",)),
                              Experiment("c", ("toy-c",))))
    shown = {i: verdicts.illustration(i, "shown") for i in ("toy-a", "toy-b", "toy-c")}
    chapter.publish(list(shown.values()), "smoke")
    records = json.loads(verdicts.record_path("smoke", "toy").read_text())
    assert [r["id"] for r in records] == ["toy-b", "toy-a", "toy-c"]
    assert {r["chapter"] for r in records} == {"toy"}
    # what each item's experiment ran, in both languages, its batch share beside the full profile's; an
    # experiment without runs says nothing
    assert records[0]["ran"]["en"] == ("ResNet-20 on MNIST-1D (hard) with 15 % of its training labels noisy; "
                                       "batch 3.2 % of the training set (at `full`: 2 %)")
    assert records[0]["ran"]["zh"].startswith("ResNet-20，於 MNIST-1D（困難版）") and records[2]["ran"] == {}
    assert records[0]["ran"]["zh"].endswith("；批次量為訓練集的 3.2 %（`full` 設定檔：2 %）")
    chapter.publish(list(shown.values()), "smoke", dataset="digits")  # a reader's option reaches the setup
    assert "sklearn digits" in json.loads(verdicts.record_path("smoke", "toy").read_text())[1]["ran"]["en"]
    with pytest.raises(ValueError, match=r"no verdict for \['toy-c'\]"):
        chapter.publish({i: shown[i] for i in ("toy-a", "toy-b")}, "smoke")
    with pytest.raises(ValueError, match=r"undeclared items \['toy-d'\]"):
        chapter.publish({**shown, "toy-d": verdicts.illustration("toy-d", "shown")}, "smoke")


@pytest.mark.parametrize("profile", ["smoke", "cpu"])
def test_a_run_whose_training_time_a_chapter_reads_is_never_stacked_by_another(profile):
    """A timed experiment's runs train alone; a run two chapters share must then be timed in both, or the
    chapter that reads its time could read a stack's shared clock."""
    timed, stacked = set(), set()
    for chapter in experiments.chapters():
        for is_timed, into in ((True, timed), (False, stacked)):
            into.update(json.dumps(c.to_dict(), sort_keys=True) for c in chapter.plan(profile, timed=is_timed))
    assert timed and not timed & stacked


def test_prefetch_starts_the_timed_experiments_runs_alone(monkeypatch):
    from hp_lib import sweep
    from hp_lib.experiments import smith_weight_decay as ex

    calls = []
    monkeypatch.setattr(sweep, "prefetch", lambda cfgs, stack=True: calls.append((stack, len(cfgs))) or len(cfgs))
    started = ex.CHAPTER.prefetch("smoke")
    assert calls == [(False, len(ex.CHAPTER.plan("smoke", timed=True))), (True, len(ex.CHAPTER.plan("smoke", timed=False)))]
    assert started == len(ex.CHAPTER.plan("smoke")) and calls[0][1] > 0
