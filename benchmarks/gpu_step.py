"""Per-step training time of the paper's CIFAR networks on a GPU: what the ``full`` book's hours rest on.

For ResNet-56, WRN-32-4 and DenseNet-40 on 32×32×3 inputs at the batch size the ``full`` book trains each with
most (512, 512, 256): one training step (forward, backward, SGD with Nesterov momentum) under bf16 autocast,
channels-last, timed with the device synchronised, for each of

* ``compile``: eager, and ``torch.compile``-d (its compilation is timed apart and left out of the step time);
* ``members`` K: one model, and K models stacked into one (:mod:`hp_lib.stacked`), each member on its own batch.

Per case: the median step time over ``--steps`` timed steps after ``--warmup`` steps, the time per member-step,
and the achieved bf16 TFLOP/s (training FLOPs from ``torch.utils.flop_counter``, K times one model's). On a
machine without a GPU, ``--device cpu`` with a small ``--batch`` runs the same code (for the tests).

Prints one JSON line: ``{"bench": "gpu_step", "device", "cases": [{model, batch, members, compile, step_ms,
member_step_ms, tflops}, ...]}``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from hp_lib import models, optim, stacked

BATCHES = {"resnet56": 512, "wrn32_4": 512, "densenet40": 256}  # the full book's most common batch per model
SHAPE, CLASSES = (3, 32, 32), 10


def build(model: str, members: int, device: str) -> torch.nn.Module:
    built = []
    for seed in range(members):
        torch.manual_seed(seed)
        # DenseNet-40's dropout draws masks per member; its stack is timed without it (same FLOPs)
        kwargs = {"dropout": 0.0} if model == "densenet40" and members > 1 else {}
        built.append(models.build(model, SHAPE, CLASSES, **kwargs))
    return (built[0] if members == 1 else stacked.stack(built)).to(device)


def training_flops(model: str, batch: int) -> int:
    net = models.build(model, SHAPE, CLASSES).to("meta")
    with FlopCounterMode(display=False) as counter:
        F.cross_entropy(net(torch.empty(batch, *SHAPE, device="meta")),
                        torch.zeros(batch, dtype=torch.long, device="meta")).backward()
    return counter.get_total_flops()


def time_steps(model: str, batch: int, members: int, compile_: bool, device: str, steps: int,
               warmup: int) -> dict:
    net = build(model, members, device)
    values = torch.full((members,), 0.05)
    optimizer = optim.MemberSGD([{"params": list(net.parameters()), "lr_mult": 1.0, "decay_mult": 1.0}], members,
                                values, torch.full((members,), 0.9), torch.full((members,), 5e-4), nesterov=True)
    x = torch.randn(batch, members * SHAPE[0], *SHAPE[1:], device=device).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, CLASSES, (batch, members), device=device)
    forward = torch.compile(net) if compile_ else net
    kind = torch.device(device).type

    def step():
        with torch.autocast(kind, torch.bfloat16):
            logits = forward(x).float().view(batch, members, -1)
        loss = F.cross_entropy(logits.permute(0, 2, 1), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    def sync():
        if kind == "cuda":
            torch.cuda.synchronize()

    start = time.perf_counter()
    step()
    sync()
    first = time.perf_counter() - start
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        sync()
        tic = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - tic)
    step_s = statistics.median(times)
    return {"model": model, "batch": batch, "members": members, "compile": compile_,
            "first_step_s": round(first, 2), "step_ms": round(1e3 * step_s, 3),
            "member_step_ms": round(1e3 * step_s / members, 3),
            "tflops": round(members * training_flops(model, batch) / step_s / 1e12, 2)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--models", nargs="*", default=list(BATCHES), choices=list(BATCHES))
    parser.add_argument("--batch", type=int, default=None, help="default: the full book's batch per model")
    parser.add_argument("--members", nargs="*", type=int, default=[1, 4])
    parser.add_argument("--compile", nargs="*", default=["eager", "compile"], choices=["eager", "compile"])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    if torch.device(args.device).type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("no GPU here: gpu_step.py measures a GPU (pass --device cpu with a small --batch to try "
                         "the code on the CPU)")
    torch.backends.cudnn.benchmark = True
    cases = []
    for model in args.models:
        for mode in args.compile:
            for k in args.members:
                case = time_steps(model, args.batch or BATCHES[model], k, mode == "compile", args.device,
                                  args.steps, args.warmup)
                cases.append(case)
                print(f"{model:11s} batch {case['batch']:4d} K={k} {mode:7s}: {case['step_ms']:8.2f} ms/step, "
                      f"{case['member_step_ms']:8.2f} ms per member-step, {case['tflops']:6.1f} TFLOP/s "
                      f"(first step {case['first_step_s']} s)", flush=True)
    device = torch.cuda.get_device_name() if torch.device(args.device).type == "cuda" else args.device
    print(json.dumps({"bench": "gpu_step", "device": device, "cases": cases}))


if __name__ == "__main__":
    main()
