"""bf16 autocast against float32 on this CPU, for every analog model the book trains: its speed, and whether it
changes a run's outcome.

* **Speed.** Per model, the training time of ``--speed-steps`` steps in float32 and under bf16 autocast, one
  thread, interleaved (fp32, bf16, fp32, bf16, ...) over ``--rounds`` rounds so that a change of load on a
  shared machine cannot decide the ratio: the median of the rounds' ratios.
* **Outcome.** Per model, one run in each precision on each of ``--seeds`` paired seeds (a seed fixes the
  initial weights and the minibatches in both precisions), at the model's setting in the ``cpu`` book (its
  first planned run that is not a range test, capped at ``--steps`` steps). The per-seed differences bf16 − fp32 of the final test loss
  and accuracy are tested by the verdict core as a claim of *no* difference, with the float32 runs' own seed
  spread (or two binomial standard errors of the test set, if larger) as the band: *equivalent* when the 90 %
  interval lies inside it, *different* when it lies beyond it — a finding to fix, not to hide.

Prints one JSON line: ``{"bench": "precision", "models": {model: {"speedup": ..., "loss": ..., "acc": ...}}}``.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from hp_lib import experiments, verdicts
from hp_lib.train import RunConfig, load_data, train
from interleave import interleaved

STATUS = {verdicts.REPRODUCED: "equivalent", verdicts.NOT_REPRODUCED: "different",
          verdicts.INCONCLUSIVE: "inconclusive"}


def _range_test(schedule) -> bool:
    return isinstance(schedule, dict) and schedule.get("name") == "range_test"


def book_configs() -> dict[str, RunConfig]:
    """Every model the ``cpu`` book trains, at the setting of its first planned run that trains it to an end
    (not a range test, whose final loss is that of a learning rate past divergence)."""
    out = {}
    for chapter in experiments.chapters():
        for cfg in chapter.plan("cpu"):
            if cfg.start_from is None and cfg.init_from is None and not _range_test(cfg.lr) \
                    and not _range_test(cfg.momentum):
                out.setdefault(cfg.model, cfg)
    return out


def chosen(models: list[str] | None) -> dict[str, RunConfig]:
    """:func:`book_configs` of ``models`` (all, if none are named); an unknown model stops the script."""
    configs = book_configs()
    unknown = sorted(set(models or ()) - set(configs))
    if unknown:
        raise SystemExit(f"unknown models {unknown}; the cpu book trains {sorted(configs)}")
    return {m: configs[m] for m in models or configs}


def seconds(cfg: RunConfig, data) -> float:
    history = train(cfg, data)
    if history.attrs["status"] != "ok":
        raise RuntimeError(f"{cfg.model} diverged at step {history.attrs['diverged_step']}: a run that stops early "
                           "is not timed")
    return history["time"].dropna().iloc[-1]  # training time, evaluations excluded


def speedup(cfg: RunConfig, steps: int, rounds: int) -> float:
    cfg = cfg.replace(steps=steps, eval_every=steps, snapshot_at=(), threads=1, precision="fp32")
    data = load_data(cfg)
    train(cfg.replace(steps=5, eval_every=5), data)  # first-call costs
    train(cfg.replace(steps=5, eval_every=5, precision="bf16"), data)
    timed = interleaved({"fp32": lambda: seconds(cfg, data),
                         "bf16": lambda: seconds(cfg.replace(precision="bf16"), data)}, rounds)
    return timed["bf16"]["speedup"]


def finals(cfg: RunConfig, data) -> tuple[float, float]:
    """The final test loss and accuracy (points) of a run; a diverged run scores the uniform guess."""
    history = train(cfg, data)
    ev = history.dropna(subset=["val_loss"])
    if history.attrs["status"] != "ok":
        return float(np.log(data.num_classes)), 100.0 / data.num_classes
    return float(ev["val_loss"].iloc[-1]), 100 * float(ev["val_acc"].iloc[-1])


def outcome(cfg: RunConfig, steps: int, seeds: int) -> dict:
    cfg = cfg.replace(steps=min(cfg.steps, steps), eval_every=min(cfg.steps, steps), snapshot_at=(), threads=1)
    data = load_data(cfg)
    runs = {p: np.array([finals(cfg.replace(precision=p, seed=s), data) for s in range(seeds)]) for p in ("fp32", "bf16")}
    n_eval = len(data.y_val)
    out = {"steps": cfg.steps, "seeds": seeds}
    for column, name in enumerate(("loss", "acc")):
        fp32, bf16 = runs["fp32"][:, column], runs["bf16"][:, column]
        band = float(np.std(fp32, ddof=1))
        if name == "acc":
            band = max(band, verdicts.accuracy_margin(n_eval, min(max(fp32.mean() / 100, 0.0), 1.0)))
        claim = verdicts.Claim(f"precision-{cfg.model}-{name}", "bf16 autocast leaves the final metric unchanged",
                               f"bf16 minus fp32, final test {name}", band, "the float32 runs' seed spread",
                               form=verdicts.EQUIVALENCE)
        v = verdicts.paired(claim, bf16, fp32)
        out[name] = {"fp32": round(float(fp32.mean()), 4), "bf16": round(float(bf16.mean()), 4),
                     "difference": round(v.effect, 4), "ci90": [round(c, 4) for c in v.ci],
                     "band": round(band, 4), "verdict": STATUS[v.status]}
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="*", default=None, help="default: every model of the cpu book")
    parser.add_argument("--speed-steps", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=600, help="the outcome runs' cap on steps")
    parser.add_argument("--seeds", type=int, default=4)
    args = parser.parse_args()
    configs = chosen(args.models)
    results = {}
    for model in configs:
        start = time.perf_counter()
        r = {"speedup": round(speedup(configs[model], args.speed_steps, args.rounds), 3),
             **outcome(configs[model], args.steps, args.seeds)}
        results[model] = r
        print(f"{model:12s} bf16 {r['speedup']:.2f}x as fast; loss {r['loss']['difference']:+.4f} "
              f"(90% CI {r['loss']['ci90']}, band ±{r['loss']['band']:.4f}: {r['loss']['verdict']}); acc "
              f"{r['acc']['difference']:+.2f} (90% CI {r['acc']['ci90']}, band ±{r['acc']['band']:.2f}: "
              f"{r['acc']['verdict']})  [{time.perf_counter() - start:.0f} s]", flush=True)
    print(json.dumps({"bench": "precision", "models": results}))


if __name__ == "__main__":
    main()
