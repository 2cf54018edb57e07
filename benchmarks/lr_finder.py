"""``hp_lib.lr_finder.range_test`` against the ``torch-lr-finder`` package (``LRFinder.range_test``): the same
model and initial weights, minibatches in the same order (``SameOrder``), batch size, optimizer (SGD,
momentum 0.9), LR ramp (exponential, 1e-5 to 10), number of iterations, smoothing (0.05) and stopping rule
(5 × the best loss), and the same threads; timed in turns over ``--rounds`` rounds (``interleave.py``).

Prints one JSON line: the time ratio (torch-lr-finder / hp_lib, the median of the rounds') and both suggested
learning rates (the same in every round: the same weights and minibatches each time) (steepest
descent of the smoothed loss, the first 10 and last 5 points skipped, as torch-lr-finder's ``plot`` does).
"""

from __future__ import annotations

import argparse
import copy
import json
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402
from torch_lr_finder import LRFinder  # noqa: E402

from hp_lib import lr_finder, models  # noqa: E402
from hp_lib.train import RunConfig, load_data  # noqa: E402
from interleave import interleaved  # noqa: E402

START_LR, END_LR, SMOOTH, DIVERGE = 1e-5, 10.0, 0.05, 5.0


class SameOrder:
    """A DataLoader batch sampler that draws the minibatches ``hp_lib.lr_finder`` draws (a permutation per
    epoch from one seeded generator, the last partial batch dropped): both tests then see the same data in
    the same order, and differ only by their code. With independent shuffles, the steepest point of a noisy
    curve moves by more than a factor 2 from one order to another."""

    def __init__(self, n: int, batch_size: int, seed: int = 0):
        self.n, self.batch_size = n, batch_size
        self.generator = torch.Generator().manual_seed(seed)

    def __iter__(self):  # one epoch: torch-lr-finder starts a new iterator at each epoch's end
        order = torch.randperm(self.n, generator=self.generator)
        return iter(order[:len(self) * self.batch_size].view(len(self), self.batch_size).tolist())

    def __len__(self):
        return self.n // self.batch_size


def with_package(model, x, y, batch_size: int, num_iter: int) -> tuple[float, float]:
    optimizer = torch.optim.SGD(model.parameters(), lr=START_LR, momentum=0.9)
    loader = DataLoader(TensorDataset(x, y), batch_sampler=SameOrder(len(y), batch_size))
    finder = LRFinder(model, optimizer, torch.nn.CrossEntropyLoss(), device="cpu")
    start = time.perf_counter()
    finder.range_test(loader, end_lr=END_LR, num_iter=num_iter, step_mode="exp", smooth_f=SMOOTH, diverge_th=DIVERGE)
    seconds = time.perf_counter() - start
    _, ax = plt.subplots()
    _, suggestion = finder.plot(skip_start=10, skip_end=5, ax=ax, suggest_lr=True)
    plt.close("all")
    return seconds, float(suggestion)


def with_hp_lib(model, x, y, batch_size: int, num_iter: int) -> tuple[float, float]:
    start = time.perf_counter()
    result = lr_finder.range_test(model, (x, y), start_lr=START_LR, end_lr=END_LR, num_iter=num_iter, mode="exp",
                                  batch_size=batch_size, momentum=0.9, smooth=SMOOTH, diverge_th=DIVERGE)
    return time.perf_counter() - start, float(result.suggestion)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num-iter", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", default="resnet20", help="an hp_lib model, on MNIST-1D")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = load_data(RunConfig(dataset="mnist1d", model=args.model, n_train=4_000, n_val=500, n_test=500))
    torch.manual_seed(0)
    model = models.build(args.model, data.input_shape, data.num_classes)
    x, y = data.x_train, data.y_train
    suggested = {"torch_lr_finder": set(), "hp_lib": set()}

    def side(name, test):
        def timed() -> float:
            seconds, suggestion = test(copy.deepcopy(model), x, y, args.batch_size, args.num_iter)
            suggested[name].add(suggestion)
            return seconds
        return timed

    timed = interleaved({"torch_lr_finder": side("torch_lr_finder", with_package),
                         "hp_lib": side("hp_lib", with_hp_lib)}, args.rounds)
    if any(len(s) != 1 for s in suggested.values()):
        raise RuntimeError(f"a range test suggested different rates on the same weights and data: {suggested}")
    (their_lr,), (our_lr,) = suggested["torch_lr_finder"], suggested["hp_lib"]
    theirs, ours = timed["torch_lr_finder"]["seconds"], timed["hp_lib"]["seconds"]
    ratio, agreement = timed["hp_lib"]["speedup"], max(our_lr, their_lr) / min(our_lr, their_lr)
    print(f"torch-lr-finder {theirs:6.2f} s, suggests {their_lr:.3g}   hp_lib {ours:6.2f} s, suggests {our_lr:.3g}")
    print(json.dumps({"bench": "lr_finder", "model": args.model, "num_iter": args.num_iter,
                      "ratio_vs_torch_lr_finder": round(ratio, 3), "suggested_lr": {"hp_lib": our_lr,
                      "torch_lr_finder": their_lr}, "suggestions_within_factor": round(agreement, 3)}))


if __name__ == "__main__":
    main()
