"""The `full` profile's GPU path — bf16 autocast, torch.compile, the profile's hardware fields in every
config — run on the CPU with tiny shapes, so that it cannot rot where no GPU is."""

import importlib

import pytest
import torch

from hp_lib import models, profiles
from hp_lib.experiments import CHAPTERS
from hp_lib.train import RunConfig, load_data, train

TINY = dict(dataset="digits", model="mlp", n_train=256, n_val=64, n_test=0, steps=20, eval_every=10,
            batch_size=32, lr=0.05)


def _output_dtypes(cfg: RunConfig) -> tuple[list[torch.dtype], dict]:
    """Train ``cfg`` on a model that records the dtype of its first layer's output at every call."""
    data = load_data(cfg)
    torch.manual_seed(cfg.seed)  # the initial weights train() itself would draw
    model = models.build(cfg.model, data.input_shape, data.num_classes)
    seen = []
    next(m for m in model.modules() if isinstance(m, torch.nn.Linear)).register_forward_hook(
        lambda module, args, out: seen.append(out.dtype))
    history = train(cfg, data, model=model)
    return seen, history


def test_bf16_runs_the_forward_passes_in_bf16_and_trains_as_float32_does():
    cfg = RunConfig(**TINY)
    seen, history = _output_dtypes(cfg.replace(precision="bf16"))
    assert set(seen) == {torch.bfloat16}  # training steps and evaluations alike
    _, reference = _output_dtypes(cfg)
    assert history.attrs["status"] == "ok"
    final, expected = history["val_loss"].dropna().iloc[-1], reference["val_loss"].dropna().iloc[-1]
    assert final == pytest.approx(expected, rel=0.05)
    assert final < history["val_loss"].dropna().iloc[0] * 0.8  # it learned


def test_weights_stay_float32_under_bf16():
    seen = {}
    train(RunConfig(**TINY, precision="bf16", snapshot_at=(20,)),
          on_snapshot=lambda step, state: seen.update(state["model"]))
    assert {w.dtype for w in seen.values() if w.is_floating_point()} == {torch.float32}


def test_a_compiled_model_trains_as_the_plain_one_and_keeps_its_parameter_names():
    cfg = RunConfig(**TINY, snapshot_at=(20,))
    snapshots = {}
    plain = train(cfg, on_snapshot=lambda step, state: snapshots.__setitem__("plain", state["model"]))
    compiled = train(cfg.replace(compile=True), on_snapshot=lambda step, state: snapshots.__setitem__("compiled",
                                                                                                      state["model"]))
    assert snapshots["compiled"].keys() == snapshots["plain"].keys()  # snapshots and init_from still apply
    assert compiled["train_loss"].dropna().to_numpy() == pytest.approx(plain["train_loss"].dropna().to_numpy(), rel=1e-3)
    assert compiled["val_loss"].dropna().to_numpy() == pytest.approx(plain["val_loss"].dropna().to_numpy(), rel=1e-3)


def test_an_unknown_precision_is_refused_with_the_valid_ones():
    with pytest.raises(ValueError, match="unknown precision 'fp16'; valid precisions: fp32, bf16, auto"):
        RunConfig(**TINY, precision="fp16")


def test_the_full_profile_asks_for_cuda_and_bf16_and_compiles_only_when_asked(monkeypatch):
    full = profiles.get("full")
    monkeypatch.delenv("HP_BOOK_COMPILE", raising=False)
    assert full.accelerator == {"device": "cuda", "precision": "bf16", "compile": False}
    monkeypatch.setenv("HP_BOOK_COMPILE", "1")
    assert full.accelerator["compile"] is True
    assert profiles.get("cpu").accelerator == {"device": "cpu", "precision": "auto", "compile": True}


def _declared(chapter: str):
    return importlib.import_module(f"hp_lib.experiments.{chapter}").CHAPTER


# the chapters with runs known before any result (the checklist's are chained, each step reading the last)
PLANNING = [c for c in CHAPTERS if any(e.setup is not None for e in _declared(c).experiments)]


@pytest.mark.parametrize("chapter", PLANNING)
def test_every_full_run_of_a_chapter_takes_the_profiles_hardware(chapter, monkeypatch):
    monkeypatch.setenv("HP_BOOK_COMPILE", "1")
    configs = _declared(chapter).plan("full")
    assert configs
    assert {(c.device, c.precision, c.compile) for c in configs} == {("cuda", "bf16", True)}
