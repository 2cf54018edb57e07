"""Figures in the paper's panel layouts, each saved under its stable id with its provenance.

``publish(fig, fig_id, ...)`` writes ``<figures>/<fig_id>.png`` and ``<fig_id>.json`` (profile,
dataset and model analog, seeds, commit, run time, cache keys) and, inside a notebook, glues the PNG
under the name ``fig_id`` so that the page shows exactly that file (MyST ``{glue:figure}``).
Figure text is English and math; captions are written in the chapter, in both languages.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
import torch  # noqa: E402

from . import __version__, glue, paths  # noqa: E402
from .means import mean_over_seeds  # noqa: E402

sns.set_theme(context="paper", style="whitegrid", font_scale=1.1)
COLORS = {"train": "#1f77b4", "val": "#d62728", "acc": "#2ca02c", "gap": "#9467bd", "window": "#7f7f7f"}


def publish(fig, fig_id: str, profile: str, dataset: str, model: str, histories=(), **extra) -> None:
    """Save ``fig`` as ``<fig_id>.png`` with a provenance JSON beside it; glue it into the notebook."""
    png = _figures_out(profile) / f"{fig_id}.png"
    fig.savefig(png, dpi=130, bbox_inches="tight")
    plt.close(fig)
    _record(fig_id, png, profile, dataset, model, histories, **extra)


def publish_animation(fig, draw, frames, fig_id: str, profile: str, dataset: str, model: str, fps: int = 8,
                      dpi: int = 80, **extra) -> None:
    """Save the frames of ``fig`` that ``draw(t)`` makes, for ``t`` in ``frames``, as ``<fig_id>.gif`` with its
    provenance JSON; glue it like a figure. ``draw`` updates the moving artists and returns them: the still
    parts (axes, contours) are drawn once and each frame redraws only those (blitting), which makes a GIF of
    contour plots several times as fast to write as matplotlib's animation writers, which redraw everything."""
    from PIL import Image

    frames = list(frames)
    fig.set_dpi(dpi)
    for artist in draw(frames[0]):
        artist.set_animated(True)  # left out of the background
    canvas = fig.canvas
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    images = []
    for t in frames:
        canvas.restore_region(background)
        for artist in draw(t):
            fig.draw_artist(artist)
        images.append(Image.frombuffer("RGBA", canvas.get_width_height(), bytes(canvas.buffer_rgba())).convert("RGB"))
    gif = _figures_out(profile) / f"{fig_id}.gif"
    images[0].save(gif, save_all=True, append_images=images[1:], duration=1000 // fps, loop=0)
    plt.close(fig)
    _record(fig_id, gif, profile, dataset, model, (), **extra)


def _figures_out(profile: str) -> Path:
    out = paths.figures_dir(profile) / os.environ.get("HP_BOOK_NOTEBOOK", "interactive")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _record(fig_id: str, image: Path, profile: str, dataset: str, model: str, histories, **extra) -> None:
    """Write ``<fig_id>.json`` beside the image (profile, analog, seeds, commit, run time, cache keys) and
    glue the image and its provenance line into the notebook."""
    histories = list(histories)
    provenance = {
        "id": fig_id, "profile": profile, "dataset": dataset, "model": model,
        "seeds": sorted({h.attrs.get("seed") for h in histories if h.attrs.get("seed") is not None}),
        "run_seconds": round(sum(h.attrs.get("seconds", 0.0) for h in histories), 1),
        "cache_keys": [h.attrs.get("cache_key") for h in histories],
        "commit": paths.commit(), "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "hp_lib": __version__, "torch": torch.__version__, "python": platform.python_version(), **extra,
    }
    image.with_suffix(".json").write_text(json.dumps(provenance, indent=1, default=str))
    _glue(fig_id, image, provenance)


def provenance_line(p: dict, zh: bool = False) -> str:
    """One line under a figure: profile, analog dataset and model, seeds, commit and run time."""
    from .build import interface

    seeds = ", ".join(str(s) for s in p["seeds"]) or "-"
    return interface()["provenance"]["zh" if zh else "en"].format(
        profile=p["profile"], dataset=p["dataset"], model=p["model"], seeds=seeds, commit=p["commit"],
        seconds=f"{p['run_seconds']:.0f}")


def _glue(fig_id: str, image: Path, provenance: dict) -> None:
    glue.image(fig_id, image)
    glue.text(f"{fig_id}-provenance", provenance_line(provenance), provenance_line(provenance, zh=True))


# --- panels ----------------------------------------------------------------------------------------

def _shade(ax, windows: list[dict], label: str):
    for k, w in enumerate(windows):
        ax.axvspan(w["lr_start"], w["lr_end"], color=COLORS["window"], alpha=0.18, lw=0,
                   label=label if k == 0 else None)


def lr_range_test(histories, evaluations, windows=(), log_x=False, title=None):
    """Fig. 1a: training loss, validation loss (left axis) and validation accuracy (right axis) against
    the learning rate of a range test, averaged over seeds; shaded: where the validation loss rises."""
    from .lr_finder import smooth

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    train = mean_over_seeds(histories, ["lr", "train_loss"], logged="train_loss")
    ev = mean_over_seeds(evaluations, ["lr", "val_loss", "val_acc"])
    ax.plot(train["lr"], smooth(train["train_loss"]), color=COLORS["train"], lw=1.2, label="training loss")
    ax.plot(ev["lr"], ev["val_loss"], "-o", ms=2.5, color=COLORS["val"], lw=1.2, label="validation loss")
    _shade(ax, list(windows), "val. loss rises (overfitting)")
    # the loss axis stops at 1.3× the loss of the untrained net: a blow-up leaves the frame, as in the paper
    start = np.nanmax([ev["val_loss"].iloc[0], train["train_loss"].iloc[0]])
    ax.set_ylim(0, 1.3 * start)
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss")
    if log_x:
        ax.set_xscale("log")
    ax2 = ax.twinx()
    ax2.plot(ev["lr"], ev["val_acc"], "-s", ms=2.5, color=COLORS["acc"], lw=1.0, label="validation accuracy")
    ax2.set_ylabel("validation accuracy")
    ax2.set_ylim(0, 1)
    ax2.grid(False)
    lines = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    labels = ax.get_legend_handles_labels()[1] + ax2.get_legend_handles_labels()[1]
    ax.legend(lines, labels, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=8, frameon=False)
    if title:
        ax.set_title(title)
    return fig


def generalization_error(evaluations, windows=(), log_x=False, title=None):
    """Fig. 1b: generalisation error = validation loss − training loss against the learning rate."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for i, ev in enumerate(evaluations):
        ax.plot(ev["lr"], ev["generalization_error"], color=COLORS["gap"], lw=0.8, alpha=0.35,
                label="single seed" if i == 0 else None)
    mean = mean_over_seeds(evaluations, ["lr", "generalization_error"])
    ax.plot(mean["lr"], mean["generalization_error"], "-o", ms=2.5, color=COLORS["gap"], lw=1.4,
            label="mean over seeds")
    _shade(ax, list(windows), "val. loss rises (overfitting)")
    ax.axhline(0, color="black", lw=0.6)
    # frame the part before the blow-up; what comes after leaves the frame
    from .lr_finder import stable_part

    stable = stable_part(mean_over_seeds(evaluations, ["lr", "val_loss", "generalization_error"]))
    lo, hi = stable["generalization_error"].min(), stable["generalization_error"].max()
    ax.set_ylim(min(lo, 0) - 0.05, max(hi, 0) * 1.4 + 0.05)
    ax.set_xlabel("learning rate")
    if log_x:
        ax.set_xscale("log")
    ax.set_ylabel("validation loss − training loss")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, fontsize=8, frameon=False)
    if title:
        ax.set_title(title)
    return fig


def capacity_tradeoff(poly: pd.DataFrame, mlp: pd.DataFrame, best_degree=None):
    """Fig. 2 from measurements. Left: training and test error of least-squares polynomials against their
    degree (median and interquartile range over draws), underfitting left of the best degree and
    overfitting right of it. Right: training and validation loss of MLPs against width (mean ± std)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.5, 4.0))
    for col, name, color in (("train_loss", "training error", COLORS["train"]),
                             ("val_loss", "test error", COLORS["val"])):
        sns.lineplot(data=poly, x="degree", y=col, estimator="median", errorbar=("pi", 50), marker="o",
                     color=color, label=name, ax=left)
    left.set_yscale("log")
    degrees = sorted(poly["degree"].unique())
    if best_degree is not None:
        left.axvline(best_degree, color="black", lw=0.8, ls="--", label="best capacity")
        left.axvspan(degrees[0], best_degree, color=COLORS["train"], alpha=0.06, lw=0)
        left.axvspan(best_degree, degrees[-1], color=COLORS["val"], alpha=0.06, lw=0)
        left.text(degrees[0], left.get_ylim()[1], " underfitting", va="top", fontsize=9)
        left.text(degrees[-1], left.get_ylim()[1], "overfitting ", va="top", ha="right", fontsize=9)
    left.set_xlabel("model capacity (polynomial degree)")
    left.set_ylabel("mean squared error")
    left.set_title("polynomial fits", fontsize=10)
    left.legend(fontsize=8, loc="upper center")

    for col, name, color in (("train_loss", "training loss", COLORS["train"]),
                             ("val_loss", "validation (test) loss", COLORS["val"])):
        sns.lineplot(data=mlp, x="width", y=col, errorbar="sd", marker="o", color=color, label=name, ax=right)
    right.set_xscale("log", base=2)
    right.set_xlabel("model capacity (MLP width)")
    right.set_ylabel("cross-entropy loss")
    right.set_title("neural networks", fontsize=10)
    acc = right.twinx()
    sns.lineplot(data=mlp, x="width", y="val_acc", errorbar="sd", marker="s", color=COLORS["acc"],
                 label="validation accuracy", ax=acc, legend=False)
    acc.set_ylabel("validation accuracy")
    acc.set_ylim(0, 1)
    acc.grid(False)
    handles = right.get_legend_handles_labels()[0] + acc.get_legend_handles_labels()[0]
    labels = right.get_legend_handles_labels()[1] + acc.get_legend_handles_labels()[1]
    right.legend(handles, labels, fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig


def schedule_grid(named: dict, steps: int, ncols: int = 3, log_y: bool = False, panel_size=(3.6, 2.6)):
    """One small panel per schedule: ``named`` maps a title to a schedule ``f(step)``, to a pair
    ``(lr, momentum)`` (momentum drawn on a right axis), or to a dict of labelled schedules sharing a panel.
    Every panel plots ``f(t)`` for ``t`` in ``range(steps)``."""
    n = len(named)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows), squeeze=False)
    t = np.arange(steps)
    for ax, (title, sched) in zip(axes.flat, named.items()):
        if isinstance(sched, tuple):
            lr, momentum = sched
            ax.plot(t, [lr(i) for i in t], color=COLORS["train"], label="lr")
            ax2 = ax.twinx()
            ax2.plot(t, [momentum(i) for i in t], color=COLORS["val"], ls="--", label="momentum")
            ax2.set_ylabel("momentum", color=COLORS["val"], fontsize=8)
            ax2.tick_params(labelsize=7)
            ax2.grid(False)
        elif isinstance(sched, dict):
            for label, f in sched.items():
                ax.plot(t, [f(i) for i in t], label=label, lw=1.2)
            ax.legend(fontsize=7)
        else:
            ax.plot(t, [sched(i) for i in t], color=COLORS["train"])
        if log_y:
            ax.set_yscale("log")
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.set_xlabel("step", fontsize=8)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def curves(groups: dict, x: str = "step", y: str = "val_loss", xlabel: str = "iteration",
           ylabel: str = "test (validation) loss", log_x: bool = False, log_y: bool = False,
           top: float | None = None, colors=None, title=None):
    """Mean (line) and single seeds (thin) of ``y`` against ``x`` for labelled groups of evaluation
    frames: ``groups = {label: [frame per seed]}`` (rows without ``y`` are skipped). A run that diverged
    ends in a cross, and its group's label says how many did, and at which steps."""
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    palette = colors or sns.color_palette("tab10")
    for (label, frames), color in zip(groups.items(), palette):
        diverged = [f.attrs.get("status") == "diverged" for f in frames]
        steps = ", ".join(str(f.attrs.get("diverged_step")) for f, d in zip(frames, diverged) if d)
        frames = [f.dropna(subset=[y]) for f in frames]
        for f, d in zip(frames, diverged):
            ax.plot(f[x], f[y], color=color, lw=0.6, alpha=0.3)
            if d and len(f):
                ax.plot(f[x].iloc[-1], f[y].iloc[-1], "x", color=color, ms=8, mew=2)
        mean = mean_over_seeds(frames, [x, y] if x != "step" else [y])
        if any(diverged):
            label += f" ({sum(diverged)}/{len(frames)} diverged: step {steps})"
        ax.plot(mean[x], mean[y], color=color, lw=1.6, label=label)
    if log_x:
        ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    if top is not None:  # a blow-up leaves the frame
        ax.set_ylim(0, top)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def overlay_paper_logs(fig, logs: dict[str, str], x: str = "iteration", y: str = "test_acc") -> list[str]:
    """Draw the author's published curves (``logs``: legend label -> name in :data:`hp_lib.paper_logs.LOGS`)
    dashed over the first panel of ``fig``; return the labels drawn. A log that cannot be fetched (offline)
    is skipped with a one-line note, never an error: the figure stands on our runs."""
    from . import paper_logs

    ax, drawn = fig.axes[0], []
    for label, name in logs.items():
        try:
            log = paper_logs.load(name).dropna(subset=[y])
        except RuntimeError as error:
            print(f"note: the paper's curve {label!r} is not drawn: {error}")
            continue
        ax.plot(log[x], log[y], ls="--", lw=1.0, color="0.25", alpha=0.8, label=f"paper: {label}")
        drawn.append(label)
    if drawn:
        ax.legend(fontsize=8)
    return drawn


STATUS_COLORS = {"reproduced": "#2ca02c", "not reproduced": "#d62728", "inconclusive": "#7f7f7f",
                 "illustration": "#1f77b4"}


def forest(records: list[dict], title: str | None = None):
    """Each tested claim's mean effect and CI in units of its margin (the dashed lines at ±1: an interval
    wholly beyond one decides), coloured by its verdict; a diamond marks the paper's effect where it reports
    one. Illustrations and claims without an interval are listed at 0 without a bar."""
    fig, ax = plt.subplots(figsize=(7.0, 0.32 * len(records) + 1.2))
    for i, r in enumerate(records):
        m = r["margin"] or 1.0  # a margin of 0 is drawn in the effect's own units
        color = STATUS_COLORS[r["status"]]
        if r["ci"]:
            ax.plot([r["ci"][0] / m, r["ci"][1] / m], [i, i], color=color, lw=2)
        if r["effect"] is not None:
            ax.plot(r["effect"] / m, i, "o", color=color, ms=5)
        else:  # an illustration, or a verdict with no effect measured: its status only
            ax.plot(0, i, "s", color=color, ms=4)
        if r.get("paper") is not None and r["kind"] == "test":
            ax.plot(r["paper"] / m, i, "D", mfc="none", mec="black", ms=5)
    for x in (-1, 1):
        ax.axvline(x, color="black", lw=0.8, ls="--")
    ax.axvline(0, color="black", lw=0.5)
    ax.set_yticks(range(len(records)), [r["id"] for r in records], fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("symlog", linthresh=3, linscale=1.5)  # paper effects can be tens of margins
    ticks = [-100, -30, -10, -3, -1, 0, 1, 3, 10, 30, 100]
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.set_xlabel("effect / margin (the claimed direction positive; dashed: ±1 margin)")
    handles = [plt.Line2D([], [], color=c, marker="o", lw=2, label=s) for s, c in STATUS_COLORS.items()]
    handles.append(plt.Line2D([], [], marker="D", mfc="none", mec="black", ls="none", label="paper"))
    ax.legend(handles=handles, fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=5, frameon=False)
    if title:
        ax.set_title(title)
    return fig
