"""Precision "auto" (the cpu profile's): bf16 autocast for the models measured faster under it, float32 for the
others; a bf16 run is as deterministic as a float32 one."""

import pandas as pd
import pytest
import torch

from hp_lib import train as train_lib
from hp_lib.train import RunConfig, precision, train

TINY = dict(dataset="digits", model="mlp", n_train=256, n_val=64, n_test=0, steps=20, eval_every=10,
            batch_size=32, lr=0.05)


def test_auto_is_bf16_on_a_gpu_and_on_the_cpu_for_the_measured_models_only(monkeypatch):
    monkeypatch.setattr(train_lib, "CPU_BF16", frozenset({"mlp"}))
    assert precision(RunConfig(**TINY, precision="auto")) == "bf16"
    assert precision(RunConfig(**{**TINY, "model": "lenet", "dataset": "fashion_mnist"}, precision="auto")) == "fp32"
    assert precision(RunConfig(**{**TINY, "model": "lenet", "dataset": "fashion_mnist"}, precision="auto",
                               device="cuda")) == "bf16"
    assert precision(RunConfig(**TINY, precision="fp32")) == "fp32"  # an explicit precision is kept


@pytest.mark.parametrize("in_table", [True, False])
def test_an_auto_run_trains_in_the_precision_it_records(monkeypatch, in_table):
    monkeypatch.setattr(train_lib, "CPU_BF16", frozenset({"mlp"} if in_table else ()))
    seen = []
    cfg = RunConfig(**TINY, precision="auto")
    data = train_lib.load_data(cfg)
    model = train_lib.models.build("mlp", data.input_shape, data.num_classes)
    next(m for m in model.modules() if isinstance(m, torch.nn.Linear)).register_forward_hook(
        lambda module, args, out: seen.append(out.dtype))
    torch.manual_seed(cfg.seed)
    history = train(cfg, data, model=model)
    expected = "bf16" if in_table else "fp32"
    assert history.attrs["precision"] == expected
    assert set(seen) == {torch.bfloat16 if in_table else torch.float32}


def test_a_bf16_run_gives_the_same_history_twice():
    cfg = RunConfig(**TINY, precision="bf16")
    first, second = train(cfg), train(cfg)
    pd.testing.assert_frame_equal(first.drop(columns="time"), second.drop(columns="time"), check_exact=True)
