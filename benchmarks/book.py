"""The wall time of ``make book`` for a profile, per chapter and in all, cold (an empty result cache) and warm
(every run from the cache); and how fast the analog models train, as a fraction of this machine's
matrix-multiply peak.

* The book is built twice with ``python -m hp_lib build --profile P`` into a fresh build folder (the one
  ``make book`` uses is left alone); the chapters' times come from the ``build.json`` each build writes.
* ``run_seconds``: the training seconds of the cold build's runs, per model, from its result cache; more of
  them than wall seconds is training that went on in parallel.
* The peak is ``torch.mm`` on two 2048 × 2048 matrices (2·2048³ FLOPs per product), in float32 and in bf16. A model's
  training FLOPs per step (forward and backward) are counted by ``torch.utils.flop_counter``; its achieved
  FLOP/s is that count times the steps per second of ``hp_lib.train`` on its data, batch 128, in the precision
  the ``cpu`` book trains it (``precision="auto"``: bf16 autocast for the models of ``train.CPU_BF16``), compared
  with the peak of that precision; and, for the models that stack, the same for ``--members`` runs trained as one
  stack (:mod:`hp_lib.stacked`), counting every member's FLOPs.

Prints one JSON line: ``{"bench": "book", "profile", "cold", "warm", "peak_gflops", "models"}``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from hp_lib import models, paths, stacked
from hp_lib.train import RunConfig, load_data, precision, train

MODELS = {"three_layer": "mnist1d", "resnet20": "mnist1d", "resnet56": "mnist1d", "wrn32_4": "mnist1d",
          "densenet40": "mnist1d", "lenet": "fashion_mnist", "mlp": "fashion_mnist"}


def build_book(profile: str, build_dir: Path) -> dict:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "hp_lib", "build", "--profile", profile], check=True,
                   cwd=paths.project_root(), env={**os.environ, "HP_BOOK_BUILD": str(build_dir)})
    seconds = time.perf_counter() - start
    record = json.loads((build_dir / "html" / "build.json").read_text())
    return {"total_s": round(seconds, 1), "chapters_s": {page: t["seconds"] for page, t in record["chapters"].items()},
            "runs": sum(t["runs"] for t in record["chapters"].values()),
            "cached": sum(t["cached"] for t in record["chapters"].values()),
            "run_seconds": run_seconds(build_dir / "cache")}


def run_seconds(cache: Path) -> dict:
    """The training seconds of the runs in the result cache, per model (each measured by its run at its own
    threads): against the build's wall time they tell how much of the training went on side by side."""
    total: dict[str, float] = {}
    for meta in cache.glob("*/*/meta.json"):
        entry = json.loads(meta.read_text())
        model = entry["config"]["model"]
        total[model] = total.get(model, 0.0) + float(entry["attrs"].get("seconds") or 0.0)
    return {model: round(s, 1) for model, s in sorted(total.items())}


def matmul_peak(threads: int, dtype: torch.dtype = torch.float32, n: int = 2048, repeats: int = 20) -> float:
    """FLOP/s of ``torch.mm`` on n × n matrices of ``dtype``."""
    torch.set_num_threads(threads)
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    torch.mm(a, b)
    start = time.perf_counter()
    for _ in range(repeats):
        torch.mm(a, b)
    return 2 * n ** 3 * repeats / (time.perf_counter() - start)


def training_flops_per_step(cfg: RunConfig, data) -> int:
    model = models.build(cfg.model, data.input_shape, data.num_classes, **cfg.model_kwargs)
    x, y = data.x_train[:cfg.batch_size], data.y_train[:cfg.batch_size]
    with FlopCounterMode(display=False) as counter:
        F.cross_entropy(model(x), y).backward()
    return counter.get_total_flops()


def achieved(model: str, dataset: str, threads: int, steps: int, members: int) -> dict:
    cfg = RunConfig(dataset=dataset, model=model, n_train=4_000, n_val=500, n_test=500, steps=steps,
                    eval_every=steps, batch_size=128, lr=0.01, threads=threads, precision="auto")
    data = load_data(cfg)
    flops = training_flops_per_step(cfg, data)
    histories = {1: [train(cfg, data)]}
    if members > 1 and stacked.stackable(cfg):
        histories[members] = stacked.train([cfg.replace(seed=s) for s in range(members)], data)
    out = {"gflop_per_step": round(flops / 1e9, 4)}
    for k, hs in histories.items():
        if any(h.attrs["status"] != "ok" for h in hs):
            raise RuntimeError(f"{model} diverged: its speed is not measured")
        seconds = sum(h.attrs["seconds"] for h in hs)  # a stacked member's are its share: the sum is the stack's
        out["gflops" if k == 1 else f"gflops_stacked_{k}"] = round(k * flops * steps / seconds / 1e9, 2)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="cpu", help="smoke, cpu or full")
    parser.add_argument("--threads", type=int, default=1, help="threads per training run, as the book's workers")
    parser.add_argument("--steps", type=int, default=100, help="steps timed per model")
    parser.add_argument("--skip-book", action="store_true", help="only the models' FLOP/s")
    parser.add_argument("--members", type=int, default=8, help="runs per stack for the stacked FLOP/s")
    args = parser.parse_args()

    result = {"bench": "book", "profile": args.profile}
    if not args.skip_book:
        build_dir = Path(tempfile.mkdtemp(prefix="hp-bench-book-"))
        result["cold"] = build_book(args.profile, build_dir)
        result["warm"] = build_book(args.profile, build_dir)
        print(f"make book --profile {args.profile}: cold {result['cold']['total_s']:.0f} s, "
              f"warm {result['warm']['total_s']:.0f} s")
    dtypes = {"fp32": torch.float32, "bf16": torch.bfloat16}
    peak = {(t, p): matmul_peak(t, dtype) for t in sorted({1, args.threads, os.cpu_count() or 1})
            for p, dtype in dtypes.items()}
    result["peak_gflops"] = {f"{p}_{t}_threads": round(f / 1e9, 1) for (t, p), f in peak.items()}
    result["models"] = {}
    for model, dataset in MODELS.items():
        m = achieved(model, dataset, args.threads, args.steps, args.members)
        m["precision"] = precision(RunConfig(model=model, precision="auto"))
        top = peak[(args.threads, m["precision"])]
        stack_key = f"gflops_stacked_{args.members}"
        m["fraction_of_peak"] = round(m["gflops"] * 1e9 / top, 4)
        line = f"{model:12s} {m['precision']} {m['gflops']:7.2f} GFLOP/s {100 * m['fraction_of_peak']:5.1f} %"
        if stack_key in m:
            m["fraction_of_peak_stacked"] = round(m[stack_key] * 1e9 / top, 4)
            line += f"; {args.members} stacked: {m[stack_key]:7.2f} GFLOP/s {100 * m['fraction_of_peak_stacked']:5.1f} %"
        result["models"][model] = m
        print(line + f" of the {args.threads}-thread {m['precision']} matmul peak")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
