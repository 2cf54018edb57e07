"""hp_lib.train against the plain PyTorch idiom (TensorDataset + DataLoader(shuffle=True) + the usual loop),
for the 3-layer and ResNet-20 1-D analogs on MNIST-1D and LeNet on Fashion-MNIST.

Same model, data, batch size, optimizer, number of steps and threads. hp_lib's time includes its two
evaluations of the validation set (before the first step and after the last; no training-subset evaluation:
``train_probe=False``), the idiom's none. The two are timed in turns over ``--rounds`` rounds
(``interleave.py``). Prints one JSON line: the time ratio (idiom / hp_lib, the median of the rounds') per model.
"""

from __future__ import annotations

import argparse
import json
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from hp_lib import models
from hp_lib.train import RunConfig, load_data, train
from interleave import interleaved


def plain_pytorch(cfg: RunConfig, data) -> float:
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    model = models.build(cfg.model, data.input_shape, data.num_classes, plain=True)  # Conv1d, NCHW
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, nesterov=True,
                          weight_decay=cfg.weight_decay)
    loader = DataLoader(TensorDataset(data.x_train, data.y_train), batch_size=cfg.batch_size, shuffle=True,
                        drop_last=True)
    start, step = time.perf_counter(), 0
    model.train()
    while step < cfg.steps:
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            if step == cfg.steps:
                break
    return time.perf_counter() - start


def fashion_shaped(cfg: RunConfig) -> RunConfig:
    """``cfg`` on Fashion-MNIST (28×28 grey images; Debian's dataset-fashion-mnist), 10,000 of them."""
    return cfg.replace(dataset="fashion_mnist", n_train=10_000, n_val=1_000, n_test=1_000)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    mnist1d = dict(dataset="mnist1d", n_train=4_000, n_val=500, n_test=500)
    cases = {"three_layer": RunConfig(model="three_layer", **mnist1d), "resnet20": RunConfig(model="resnet20", **mnist1d),
             "lenet": fashion_shaped(RunConfig(model="lenet"))}
    ratios = {}
    for model, base in cases.items():
        cfg = base.replace(steps=args.steps, eval_every=args.steps, train_probe=False, lr=0.01,
                           threads=args.threads)
        data = load_data(cfg)

        def ours() -> float:
            history = train(cfg, data)
            if history.attrs["status"] != "ok":  # it would have stopped early: no comparison
                raise RuntimeError(f"{model} diverged at step {history.attrs['diverged_step']}; lower the LR")
            return history.attrs["seconds"]

        timed = interleaved({"plain": lambda: plain_pytorch(cfg, data), "hp_lib": ours}, args.rounds)
        ratios[model] = round(timed["hp_lib"]["speedup"], 3)
        print(f"{model:12s} plain {timed['plain']['seconds']:6.2f} s   hp_lib {timed['hp_lib']['seconds']:6.2f} s   "
              f"ratio {ratios[model]:.2f}")
    print(json.dumps({"bench": "train_loop", "ratio_vs_dataloader": ratios}))


if __name__ == "__main__":
    main()
