"""Calibrate the CPU analog once, before any experiment runs on it.

``data``: the harder MNIST-1D (``hp_lib.data.MNIST1D_HARD``). ResNet-20's final test accuracy as the
generator's shear and noise scales grow together: each level multiplies the package's defaults (shear 0.75,
correlated noise 0.25, i.i.d. noise 0.02) by one factor. The run is the §3 chapter's calibration run
(:func:`hp_lib.experiments.smith_test_loss.analog_config`: ResNet-20 on 10,000 training samples, 20 epochs of
a step schedule). The level chosen is the smallest whose mean accuracy falls in 85–90 %.

``lr-scale``: the factor by which the 3-layer net's learning rates exceed the paper's
(``hp_lib.experiments.common.LR_SCALE_3LAYER``). The paper's Fig. 4a range test at WD 4e-3 blows up near LR
0.008; the same range test of our 3-layer net (its 1-D form, on the analog's data) blows up at the LR this
prints, per seed: where its test loss first stands half as high again as the lowest before it (a net that
collapses ends at the uniform guess's loss, ln 10, not at infinity). The scale is the median over 0.008, to one
significant figure.

    .venv/bin/python tools/calibrate_analog.py data --levels 1.5 1.75 2 --seeds 0 1
    .venv/bin/python tools/calibrate_analog.py lr-scale --seeds 0 1 2 3 --top 0.3
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ProcessPoolExecutor
from functools import partial

import numpy as np

PAPER_BLOW_UP_LR = 0.008  # Fig. 4a, WD 4e-3 (the paper's text: "diverges at LR ≈ 0.008")
BLOW_UP = 1.5  # a test loss this many times the lowest before it ends the stable part


def generator(level: float) -> dict:
    from hp_lib.data import MNIST1D_DEFAULTS

    return {k: round(v * level, 4) for k, v in MNIST1D_DEFAULTS.items()}


def final_accuracy(level: float, seed: int) -> float:
    import torch

    from hp_lib import data
    from hp_lib.experiments.smith_test_loss import analog_config
    from hp_lib.train import train

    torch.set_num_threads(1)
    name = f"mnist1d_level_{level:g}"
    data.SOURCES[name] = partial(data._source_mnist1d, generator=generator(level))
    data.DEFAULT_SIZES[name] = data.DEFAULT_SIZES["mnist1d"]
    cfg = analog_config("cpu").replace(seed=seed)
    h = train(cfg, data.load(name, cfg.n_train, cfg.n_val, cfg.n_test))
    return 100 * float(h.dropna(subset=["val_acc"])["val_acc"].iloc[-1])


def blow_up_lr(seed: int, top: float) -> float:
    """The LR at which the 3-layer net's range test at WD 4e-3 leaves its stable part."""
    import torch

    from hp_lib import lr_finder
    from hp_lib.experiments.smith_test_loss import weight_decay_range_setup
    from hp_lib.train import train

    torch.set_num_threads(1)
    base = weight_decay_range_setup("cpu").configs["WD 4e-3"][0]
    steps = base.steps
    cfg = lr_finder.config(base.replace(seed=seed), 0.0, top, steps, "linear", 25)
    ev = lr_finder.evaluations(train(cfg))
    return float(lr_finder.stable_part(ev, BLOW_UP)["lr"].iloc[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["data", "lr-scale"])
    parser.add_argument("--levels", type=float, nargs="+", default=[1, 1.25, 1.5, 1.75, 2, 2.5, 3])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--top", type=float, default=0.1, help="the end of the LR range test (lr-scale)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with ProcessPoolExecutor(args.workers) as pool:
        if args.what == "data":
            jobs = [(level, seed) for level in args.levels for seed in args.seeds]
            accs = list(pool.map(final_accuracy, *zip(*jobs)))
            for level in args.levels:
                a = [acc for (lv, _), acc in zip(jobs, accs) if lv == level]
                print(json.dumps({"level": level, "generator": generator(level),
                                  "accuracy": round(float(np.mean(a)), 2), "per_seed": [round(x, 2) for x in a]}))
        else:
            lrs = list(pool.map(blow_up_lr, args.seeds, [args.top] * len(args.seeds)))
            if max(lrs) >= args.top * 0.99:
                raise SystemExit(f"a range test did not blow up below LR {args.top:g} ({lrs}): raise --top")
            scale = float(f"{np.median(lrs) / PAPER_BLOW_UP_LR:.1g}")
            print(json.dumps({"blow_up_lr": [round(x, 4) for x in lrs], "scale": scale}))


if __name__ == "__main__":
    main()
