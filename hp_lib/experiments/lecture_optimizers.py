"""The lecture's optimizer figures: on functions of two variables (lecture-f1 … f7, f27 and notes-x5) and on
real data (lecture-optimizers-real, lecture-adam-default, nadam-table and notes-x6).

Every path below is what an ``hp_lib.optim`` optimizer actually does, step by step
(:func:`hp_lib.optim.trajectory`); nothing is drawn by hand except the arrows of the momentum diagrams,
whose lengths are read from a real optimizer's state. The same code runs at every profile: these are
seconds of work.

* The *valley* is a real loss: least squares with two weights whose features have standard deviations
  0.2 and 1, so its Hessian has a condition number of about 25 and a minibatch gives a noisy gradient of
  exactly that loss (lecture-f1, f3, f5, f27).
* The *saddle* is :math:`f(x, y) = x^2 - y^2 + y^4/2`: a saddle point at the origin between two minima at
  :math:`(0, \\pm 1)` (lecture-f2, f6).
* Reddi et al.'s counterexample (notes-x5): on :math:`x \\in [-1, 1]` the loss is :math:`1010\\,x` once
  every 101 steps and :math:`-10\\,x` otherwise, so the average loss :math:`0.1\\,x` is smallest at
  :math:`x = -1`.

The real-data items train the analogs of Dozat's (2015) three tasks (a skip-gram for word2vec, the MLP on
8×8 digits for image recognition, a character LSTM for the LSTM language model) with each optimizer at each
learning rate of a small grid (:func:`real_data`); the lecture's six optimizers, the Adam learning-rate sweep
and Dozat's table are read from the same runs. notes-x6 is a learning-rate × weight-decay grid of Adam with
L2 and of AdamW on 500 digits (:func:`weight_decay_grid`).
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns
import torch

from .. import claims, glue, optim, plots, profiles, sweep
from ..train import RunConfig
from .common import seeds_of

# --- the valley: least squares with two weights ------------------------------------------------------------


@dataclass
class Valley:
    """Least squares :math:`L(w) = \\frac{1}{2n}\\sum_i (x_i \\cdot w - y_i)^2` with two weights. The first
    feature has standard deviation 0.2 and the second 1: the loss is shallow along :math:`w_1` and steep
    along :math:`w_2`."""
    x: torch.Tensor
    y: torch.Tensor

    @classmethod
    def make(cls, n: int = 512, seed: int = 0, w_true=(0.0, 0.0), noise: float = 0.3) -> "Valley":
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(n, 2, generator=g, dtype=torch.float64) * torch.tensor([0.2, 1.0], dtype=torch.float64)
        x = (x - x.mean(0)) / x.std(0) * torch.tensor([0.2, 1.0], dtype=torch.float64)  # exact scales, no cross term
        x[:, 1] -= x[:, 0] * (x[:, 0] @ x[:, 1]) / (x[:, 0] @ x[:, 0])
        y = x @ torch.tensor(w_true, dtype=torch.float64) + noise * torch.randn(n, generator=g, dtype=torch.float64)
        return cls(x, y)

    def loss(self, w1, w2, rows=None):
        w1, w2 = torch.as_tensor(w1), torch.as_tensor(w2)
        if rows is None:  # the same quadratic, from its moments: no axis of n samples over a contour grid
            (h11, h12), (_, h22) = self.hessian()
            b1, b2 = self.x.T @ self.y / len(self.y)
            return 0.5 * (h11 * w1 ** 2 + 2 * h12 * w1 * w2 + h22 * w2 ** 2) - b1 * w1 - b2 * w2 + \
                0.5 * (self.y @ self.y) / len(self.y)
        x, y = self.x[rows], self.y[rows]
        pred = x[:, 0].reshape((-1,) + (1,) * w1.dim()) * w1 + x[:, 1].reshape((-1,) + (1,) * w2.dim()) * w2
        return 0.5 * ((pred - y.reshape((-1,) + (1,) * w1.dim())) ** 2).mean(0)

    def hessian(self) -> torch.Tensor:
        return self.x.T @ self.x / len(self.y)

    def minimum(self) -> torch.Tensor:
        return torch.linalg.solve(self.x.T @ self.x, self.x.T @ self.y)

    def minibatch_loss(self, batch_size: int, seed: int = 0):
        """A loss function that draws a new minibatch at every call: the optimizer sees noisy gradients."""
        g = torch.Generator().manual_seed(seed)

        def f(w1, w2):
            return self.loss(w1, w2, torch.randint(len(self.y), (batch_size,), generator=g))
        return f


def saddle(x, y):
    """:math:`x^2 - y^2 + y^4/2`: a saddle at the origin, minima at :math:`(0, \\pm 1)`."""
    return x ** 2 - y ** 2 + y ** 4 / 2


VALLEY_START = (-2.6, 1.1)

# the lecture's six update rules, each at a learning rate that suits it on the valley
OPTIMIZERS = {
    "SGD": lambda p, lr=1.8: optim.SGD(p, lr=lr),
    "SGD+Momentum": lambda p, lr=0.3: optim.SGD(p, lr=lr, momentum=0.9, form="velocity"),
    "Nesterov": lambda p, lr=0.3: optim.SGD(p, lr=lr, momentum=0.9, nesterov=True, form="velocity"),
    "AdaGrad": lambda p, lr=1.0: optim.AdaGrad(p, lr=lr),
    "RMSProp": lambda p, lr=0.1: optim.RMSProp(p, lr=lr, alpha=0.9),
    "Adam": lambda p, lr=0.3: optim.Adam(p, lr=lr),
}
SADDLE_LR = 0.02  # one learning rate for every optimizer on the saddle, as in the lecture's animation
SADDLE_START = (1.2, 1e-3)


def paths(f, start, steps: int, optimizers=None, **lr) -> dict[str, np.ndarray]:
    """Each optimizer's path on ``f`` from ``start``: name -> ``(steps + 1, 2)`` array."""
    optimizers = optimizers or OPTIMIZERS
    return {name: optim.trajectory(lambda p, make=make, name=name: make(p, **({"lr": lr[name]} if name in lr else {})),
                                   f, start, steps).numpy()
            for name, make in optimizers.items()}


def _contours(ax, f, xlim, ylim, levels=20, log=True):
    xs, ys = np.linspace(*xlim, 240), np.linspace(*ylim, 240)
    X, Y = np.meshgrid(xs, ys)
    Z = f(torch.as_tensor(X), torch.as_tensor(Y)).numpy()
    if log:
        Z = np.log(Z - Z.min() + 1e-3)
    ax.contour(X, Y, Z, levels=levels, colors="0.75", linewidths=0.7, linestyles="solid")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)


def _path(ax, xy, label, color, marker="o"):
    ax.plot(xy[:, 0], xy[:, 1], "-", color=color, lw=1.3, label=label, marker=marker, ms=2.5)


VALLEY_BOX = ((-3.0, 1.2), (-1.4, 1.4))


# --- lecture-f1: the zig-zag of plain gradient descent ----------------------------------------------------

def zigzag(valley: Valley, steps: int = 30, lr: float = 1.8) -> dict:
    """Full-batch gradient descent on the valley: its path, the Hessian's eigenvalues and condition number,
    and how the path moves in each direction."""
    path = optim.trajectory(lambda p: optim.SGD(p, lr=lr), valley.loss, VALLEY_START, steps).numpy()
    eig = torch.linalg.eigvalsh(valley.hessian()).numpy()
    w_star = valley.minimum().numpy()
    steep = np.diff(path[:, 1] - w_star[1])
    return {"path": path, "eigenvalues": eig, "condition": float(eig[-1] / eig[0]), "lr": lr,
            "steep_sign_flips": float(np.mean(np.sign(steep[1:]) != np.sign(steep[:-1]))),
            "shallow_left": float(abs(path[-1, 0] - w_star[0]) / abs(path[0, 0] - w_star[0])),
            "steep_left": float(abs(path[-1, 1] - w_star[1]) / abs(path[0, 1] - w_star[1]))}


def claim_zigzag(z: dict) -> claims.Verdict:
    verdict = claims.zigzag("lecture-f1", z["steep_sign_flips"], z["shallow_left"], z["steep_left"])
    lo, hi = z["eigenvalues"]
    en = (f"Hessian eigenvalues {lo:.3f} and {hi:.3f} (condition number {z['condition']:.0f}). In {len(z['path']) - 1} "
          f"steps at LR {z['lr']}, the steep coordinate reverses direction at {z['steep_sign_flips']:.0%} of the steps "
          f"and has {z['steep_left']:.1%} of its distance left; the shallow one still has {z['shallow_left']:.0%}. "
          f"A larger LR cannot help: above 2/{hi:.3f} = {2 / hi:.2f} the steep direction diverges, and at that limit "
          f"the shallow distance still shrinks only by a factor {1 - 2 * lo / hi:.2f} per step.")
    zh = (f"Hessian 的特徵值為 {lo:.3f} 與 {hi:.3f}(條件數 {z['condition']:.0f})。以學習率 {z['lr']} 走 "
          f"{len(z['path']) - 1} 步,陡峭方向的座標在 {z['steep_sign_flips']:.0%} 的步驟中反轉方向,剩下 {z['steep_left']:.1%} "
          f"的距離;平緩方向卻仍剩下 {z['shallow_left']:.0%}。加大學習率也無濟於事:超過 2/{hi:.3f} = {2 / hi:.2f} 時陡峭方向"
          f"會發散,而在這個上限,平緩方向的距離每一步也只縮小為 {1 - 2 * lo / hi:.2f} 倍。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def figure_zigzag(valley: Valley, z: dict, profile: str) -> None:
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    _contours(ax, valley.loss, *VALLEY_BOX)
    _path(ax, z["path"], f"gradient descent, LR {z['lr']}", "C3")
    ax.plot(*valley.minimum().numpy(), "*", color="k", ms=10, label="minimum")
    ax.set_xlabel("$w_1$ (shallow direction)")
    ax.set_ylabel("$w_2$ (steep direction)")
    ax.set_title(f"least squares, condition number {z['condition']:.0f}")
    ax.legend(fontsize=8, loc="lower right")
    plots.publish(fig, "lecture-f1", profile, "2-D least squares (512 samples)", "gradient descent")


# --- lecture-f2: local minima and saddle points ----------------------------------------------------------

def _bumpy(x, y=0.0):
    """:math:`x^4 - 3x^2 + x`: a local minimum near 1.13 beside the global one near -1.30."""
    return x ** 4 - 3 * x ** 2 + x + 0 * y


def _flat_saddle(x, y=0.0):
    """:math:`x^3`: zero gradient at 0 without being a minimum."""
    return x ** 3 + 0 * y


def minima_fraction(dims=tuple(range(1, 9)), samples: int = 20_000, seed: int = 0) -> pd.DataFrame:
    """For random critical points whose Hessian is a random symmetric Gaussian matrix (GOE) of size ``n``,
    the fraction that are minima (every eigenvalue positive) rather than saddles."""
    g = torch.Generator().manual_seed(seed)
    rows = []
    for n in dims:
        a = torch.randn(samples, n, n, generator=g, dtype=torch.float64)
        eig = torch.linalg.eigvalsh((a + a.transpose(1, 2)) / 2)
        rows.append({"dimension": n, "minima": float((eig > 0).all(1).double().mean()), "samples": samples})
    return pd.DataFrame(rows)


def stuck_points(steps: int = 500, lr: float = 0.01) -> dict:
    """Gradient descent on the two 1-D curves: where it stops and the gradient there."""
    out = {}
    for name, f, x0 in (("local minimum", _bumpy, 2.0), ("saddle point", _flat_saddle, 1.0)):
        path = optim.trajectory(lambda p: optim.SGD(p, lr=lr), f, (x0, 0.0), steps).numpy()[:, 0]
        x = torch.tensor(path[-1], dtype=torch.float64, requires_grad=True)
        f(x).backward()
        out[name] = {"path": path, "end": float(path[-1]), "gradient": float(x.grad)}
    return out


def claim_saddles(fractions: pd.DataFrame) -> claims.Verdict:
    verdict = claims.saddles_dominate("lecture-f2", dict(zip(fractions["dimension"], fractions["minima"])))
    e = verdict.evidence
    parts = ", ".join(f"n = {n}: {f:.2%}" for n, f in zip(fractions["dimension"], fractions["minima"]) if n in (1, 2, 3, 5, 8))
    en = (f"Share of random critical points that are minima — {parts}; below 1 % from n = {e['below_1pct_from']} on "
          f"({fractions['samples'].iloc[0]:,} random Hessians per dimension).")
    zh = (f"隨機臨界點中是極小值的比例——{parts};從 n = {e['below_1pct_from']} 起低於 1 %(每個維度 "
          f"{fractions['samples'].iloc[0]:,} 個隨機 Hessian)。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def figure_saddles(stuck: dict, fractions: pd.DataFrame, profile: str) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.3))
    xs = np.linspace(-1.9, 2.1, 300)
    for ax, (name, f) in zip(axes, (("local minimum", _bumpy), ("saddle point", _flat_saddle))):
        s = stuck[name]
        lo = -1.2 if name == "saddle point" else -1.9
        x = xs[xs >= lo]
        ax.plot(x, f(torch.as_tensor(x)).numpy(), color="0.3")
        p = s["path"]
        ax.plot(p, f(torch.as_tensor(p)).numpy(), "o", color="C3", ms=2.5, label="gradient descent")
        ax.set_title(f"{name}: stops at x = {s['end']:.2f}, gradient {s['gradient']:.0e}", fontsize=9)
        ax.set_xlabel("x")
        ax.legend(fontsize=8)
    axes[0].set_ylabel("loss")
    ax = axes[2]
    seen = fractions[fractions["minima"] > 0]
    ax.semilogy(seen["dimension"], seen["minima"], "o-", color="C0")
    none = fractions[fractions["minima"] == 0]
    if len(none):
        ax.text(0.97, 0.9, f"n ≥ {none['dimension'].min()}: no minimum in\n{fractions['samples'].iloc[0]:,} samples",
                transform=ax.transAxes, ha="right", va="top", fontsize=8)
    ax.set_xlim(0.5, fractions["dimension"].max() + 0.5)
    ax.set_xlabel("dimension n")
    ax.set_ylabel("share that are minima")
    ax.set_title("critical points with random Hessians (GOE)", fontsize=9)
    fig.tight_layout()
    plots.publish(fig, "lecture-f2", profile, "1-D curves, random Hessians", "gradient descent")


# --- lecture-f3: minibatch noise --------------------------------------------------------------------------

def noisy_paths(valley: Valley, steps: int = 60, lr: float = 0.9, batch_size: int = 8, seed: int = 0) -> dict:
    """Full-batch gradient descent against minibatch SGD at the same LR, and how noisy the minibatch
    gradient is at the start and at the minimum (its standard deviation over the full gradient's norm)."""
    full = optim.trajectory(lambda p: optim.SGD(p, lr=lr), valley.loss, VALLEY_START, steps).numpy()
    mini = optim.trajectory(lambda p: optim.SGD(p, lr=lr), valley.minibatch_loss(batch_size, seed),
                            VALLEY_START, steps).numpy()
    noise = {}
    for where, w in (("start", torch.tensor(VALLEY_START, dtype=torch.float64)), ("minimum", valley.minimum())):
        g = torch.Generator().manual_seed(seed)
        grads = []
        for _ in range(500):
            w_ = w.clone().requires_grad_(True)
            valley.loss(w_[0], w_[1], torch.randint(len(valley.y), (batch_size,), generator=g)).backward()
            grads.append(w_.grad)
        grads = torch.stack(grads)
        noise[where] = {"mean_norm": float(grads.mean(0).norm()), "std": float(grads.std(0).norm())}
    return {"full": full, "minibatch": mini, "lr": lr, "batch_size": batch_size, "noise": noise}


def describe_noise(n: dict) -> None:
    s, m = n["noise"]["start"], n["noise"]["minimum"]
    en = (f"Minibatches of {n['batch_size']} from 512 samples: at the start the gradient's norm is {s['mean_norm']:.2f} and "
          f"its minibatch noise {s['std']:.2f}; at the minimum the mean gradient is {m['mean_norm']:.1e} but the noise "
          f"is still {m['std']:.2f}, so SGD keeps moving there.")
    zh = (f"從 512 筆樣本中取 {n['batch_size']} 筆的小批次:起點的梯度範數為 {s['mean_norm']:.2f},小批次雜訊為 {s['std']:.2f};"
          f"在極小值處平均梯度只有 {m['mean_norm']:.1e},雜訊卻仍有 {m['std']:.2f},因此 SGD 在那裡仍不停移動。")
    glue.text("lecture-f3-numbers", en, zh)


def figure_noise(valley: Valley, n: dict, profile: str) -> None:
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    _contours(ax, valley.loss, *VALLEY_BOX)
    _path(ax, n["full"], f"full batch (512), LR {n['lr']}", "C0")
    _path(ax, n["minibatch"], f"minibatch of {n['batch_size']}, LR {n['lr']}", "C3")
    ax.set_xlabel("$w_1$ (shallow direction)")
    ax.set_ylabel("$w_2$ (steep direction)")
    ax.legend(fontsize=8, loc="lower right")
    plots.publish(fig, "lecture-f3", profile, "2-D least squares (512 samples)", "SGD")


# --- lecture-f4: the momentum and Nesterov diagrams ---------------------------------------------------

def momentum_vectors(valley: Valley, lr: float = 0.3, mu: float = 0.9, at_step: int = 3) -> dict:
    """The arrows of the two diagrams, read from a heavy-ball run on the valley after ``at_step`` steps:
    the velocity :math:`\\mu v`, the gradient step :math:`-\\eta\\nabla f` (at the point, or at the
    look-ahead point for Nesterov) and their sum, the actual step. The heavy-ball sum is checked against the
    optimizer's own next step."""
    path = optim.trajectory(lambda p: optim.SGD(p, lr=lr, momentum=mu, form="velocity"), valley.loss,
                            VALLEY_START, at_step + 1).numpy()
    here, v = path[at_step], path[at_step] - path[at_step - 1]

    def grad_at(point):
        w = torch.tensor(point, dtype=torch.float64, requires_grad=True)
        valley.loss(w[0], w[1]).backward()
        return w.grad.numpy()

    heavy = {"velocity": mu * v, "gradient": -lr * grad_at(here)}
    heavy["step"] = heavy["velocity"] + heavy["gradient"]
    nesterov = {"velocity": mu * v, "gradient": -lr * grad_at(here + mu * v)}
    nesterov["step"] = nesterov["velocity"] + nesterov["gradient"]
    mismatch = float(np.abs(heavy["step"] - (path[at_step + 1] - here)).max())
    if mismatch > 1e-12:
        raise AssertionError(f"the heavy-ball diagram disagrees with hp_lib.optim.SGD by {mismatch}")
    return {"point": here, "momentum": heavy, "nesterov": nesterov, "lr": lr, "mu": mu}


def figure_momentum_vectors(vec: dict, profile: str) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.6))
    colors = {"velocity": "C0", "gradient": "C3", "step": "k"}
    p = vec["point"]
    for ax, kind, title in zip(axes, ("momentum", "nesterov"), ("Momentum update", "Nesterov momentum")):
        a = vec[kind]
        starts = {"velocity": p, "gradient": p + a["velocity"] if kind == "nesterov" else p, "step": p}
        labels = {"velocity": "velocity $\\mu v$",
                  "gradient": "gradient step $-\\eta\\nabla f(\\theta + \\mu v)$" if kind == "nesterov"
                  else "gradient step $-\\eta\\nabla f(\\theta)$", "step": "actual step"}
        for name in ("velocity", "gradient", "step"):
            ax.annotate("", xy=starts[name] + a[name], xytext=starts[name],
                        arrowprops={"arrowstyle": "-|>", "color": colors[name], "lw": 2})
            ax.plot([], [], color=colors[name], lw=2, label=labels[name])
        pts = np.array([p, p + a["velocity"], p + a["step"], p + a["gradient"],
                        p + a["velocity"] + a["gradient"]])
        pad = 0.15 * np.ptp(pts, axis=0).max()
        ax.set_xlim(pts[:, 0].min() - pad, pts[:, 0].max() + pad)
        ax.set_ylim(pts[:, 1].min() - pad, pts[:, 1].max() + pad)
        ax.plot(*p, "o", color="k", ms=4)
        ax.set_title(title)
        ax.set_xlabel("$w_1$")
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18))
    axes[0].set_ylabel("$w_2$")
    fig.tight_layout()
    plots.publish(fig, "lecture-f4", profile, "2-D least squares (512 samples)",
                  f"SGD, LR {vec['lr']}, momentum {vec['mu']}")


# --- lecture-f5 and f6: six optimizers on the valley and on the saddle ----------------------------------

def valley_paths(valley: Valley, steps: int = 60) -> dict[str, np.ndarray]:
    return paths(valley.loss, VALLEY_START, steps)


def saddle_paths(steps: int = 150) -> dict[str, np.ndarray]:
    return paths(saddle, SADDLE_START, steps, **{name: SADDLE_LR for name in OPTIMIZERS})


def escape_steps(saddle_runs: dict[str, np.ndarray], threshold: float = 0.5) -> dict[str, int | None]:
    """The first step at which each path is ``threshold`` away from the saddle along the escape
    direction (``None``: never, within the run)."""
    out = {}
    for name, xy in saddle_runs.items():
        away = np.nonzero(np.abs(xy[:, 1]) >= threshold)[0]
        out[name] = int(away[0]) if len(away) else None
    return out


def overshoot(valley: Valley, valley_runs: dict[str, np.ndarray]) -> dict[str, float]:
    """How far each path passes beyond the minimum along the shallow direction, in units of the starting
    distance (0: it never crosses)."""
    w1_star = float(valley.minimum()[0])
    start = VALLEY_START[0] - w1_star
    return {name: float(max(0.0, np.max((xy[:, 0] - w1_star) / -start))) for name, xy in valley_runs.items()}


def claim_overshoot(over: dict[str, float]) -> claims.Verdict:
    verdict = claims.momentum_overshoots("lecture-f5", over)
    parts = "; ".join(f"{k}: {v:.0%}" for k, v in over.items())
    claims.glue_verdict(verdict, f"Overshoot past the minimum along the shallow direction, as a share of the starting "
                                 f"distance — {parts}.",
                        f"沿平緩方向越過極小值的距離(以起點距離為單位)——{parts.replace('; ', ';')}。")
    return verdict


def claim_escape(steps: dict[str, int | None], total: int) -> claims.Verdict:
    verdict = claims.rmsprop_escapes("lecture-f6", steps, total)
    parts = "; ".join(f"{k}: {v if v is not None else f'not within {total}'}" for k, v in steps.items())
    parts_zh = ";".join(f"{k}:{v if v is not None else f'{total} 步內未離開'}" for k, v in steps.items())
    claims.glue_verdict(verdict, f"Steps until each path is 0.5 away from the saddle, all at LR {SADDLE_LR} — {parts}.",
                        f"各路徑離開鞍點 0.5 所需的步數,學習率皆為 {SADDLE_LR}——{parts_zh}。")
    return verdict


def _paths_panel(ax, f, runs, box, title, upto=None):
    _contours(ax, f, *box)
    for (name, xy), color in zip(runs.items(), sns.color_palette("tab10")):
        _path(ax, xy[: None if upto is None else upto + 1], name, color, marker=None)
    ax.set_title(title, fontsize=10)


SADDLE_BOX = ((-1.3, 1.3), (-1.3, 1.3))


def figure_paths(valley: Valley, valley_runs, saddle_runs, profile: str) -> None:
    for fig_id, f, runs, box, title in (("lecture-f5", valley.loss, valley_runs, VALLEY_BOX, "the valley (least squares)"),
                                        ("lecture-f6", saddle, saddle_runs, SADDLE_BOX, "the saddle $x^2 - y^2 + y^4/2$")):
        fig, ax = plt.subplots(figsize=(6.4, 4.2 if fig_id == "lecture-f6" else 3.6))
        _paths_panel(ax, f, runs, box, title)
        ax.plot(*SADDLE_START if fig_id == "lecture-f6" else VALLEY_START, "ko", ms=4)
        ax.set_xlabel("$w_1$ (shallow direction)" if fig_id == "lecture-f5" else "$x$")
        ax.set_ylabel("$w_2$ (steep direction)" if fig_id == "lecture-f5" else "$y$")
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        plots.publish(fig, fig_id, profile, "2-D least squares" if fig_id == "lecture-f5" else "2-D saddle",
                      "SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam")


def animation_paths(valley: Valley, valley_runs, saddle_runs, profile: str, frames: int = 60) -> None:
    """Both panels as one animated GIF, the paths growing step by step (the lecture's animations)."""
    n = min(frames, len(next(iter(valley_runs.values()))) - 1)
    stride = max(1, (len(next(iter(saddle_runs.values()))) - 1) // n)
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 4.0))
    lines = []
    for ax, f, runs, box, title, k in ((axes[0], valley.loss, valley_runs, VALLEY_BOX, "valley", 1),
                                       (axes[1], saddle, saddle_runs, SADDLE_BOX, "saddle", stride)):
        _contours(ax, f, *box)
        ax.set_title(title, fontsize=10)
        for (name, xy), color in zip(runs.items(), sns.color_palette("tab10")):
            (line,) = ax.plot([], [], "-", color=color, lw=1.5, label=name)
            lines.append((line, xy, k))
    axes[1].legend(fontsize=7, loc="upper right", ncol=2)
    label = fig.text(0.5, 0.01, "", ha="center", fontsize=9)

    def draw(t):
        for line, xy, k in lines:
            line.set_data(xy[: t * k + 1, 0], xy[: t * k + 1, 1])
        label.set_text(f"step {t} (valley), {t * stride} (saddle)")
        return [line for line, _, _ in lines] + [label]

    plots.publish_animation(fig, draw, range(n + 1), "lecture-f6-animation", profile, "2-D least squares and saddle",
                            "SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam")


# --- lecture-f7: Adam's bias correction -----------------------------------------------------------------

def bias_correction(steps: int = 1000, lr: float = 1e-3, betas=(0.9, 0.999)) -> pd.DataFrame:
    """Adam with and without bias correction on :math:`f(\\theta) = \\theta` (a constant gradient of 1):
    per step, the first and second moments and the step length relative to the learning rate."""
    rows = []
    for corrected in (True, False):
        theta = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        opt = optim.Adam([theta], lr=lr, betas=betas, bias_correction=corrected)
        for t in range(1, steps + 1):
            before = theta.item()
            opt.zero_grad()
            theta.sum().backward()
            opt.step()
            state = opt.state[theta]
            rows.append({"step": t, "bias_correction": corrected, "m": float(state["exp_avg"]),
                         "v": float(state["exp_avg_sq"]), "step_over_lr": abs(theta.item() - before) / lr})
    return pd.DataFrame(rows)


def claim_bias_correction(df: pd.DataFrame, betas=(0.9, 0.999)) -> claims.Verdict:
    raw = df[~df["bias_correction"]].set_index("step")["step_over_lr"]
    fixed = df[df["bias_correction"]].set_index("step")["step_over_lr"]
    verdict = claims.bias_correction_needed("lecture-f7", raw, fixed)
    e = verdict.evidence
    closed = (1 - betas[0]) / math.sqrt(1 - betas[1])
    en = (f"With a constant gradient, corrected Adam steps by {fixed.iloc[0]:.3f} η from the first step on. Without the "
          f"correction the first step is {raw.iloc[0]:.3f} η (the closed form (1 − β₁)/√(1 − β₂) = {closed:.3f}), the "
          f"largest is {e['raw_max']:.2f} η at step {e['raw_argmax']}, and the steps are still {raw.iloc[-1]:.2f} η at "
          f"step {len(raw)}.")
    zh = (f"在固定梯度下,修正過的 Adam 從第一步起每步都走 {fixed.iloc[0]:.3f} η。沒有修正時,第一步是 {raw.iloc[0]:.3f} η"
          f"(閉式解 (1 − β₁)/√(1 − β₂) = {closed:.3f}),最大的一步是第 {e['raw_argmax']} 步的 {e['raw_max']:.2f} η,"
          f"到第 {len(raw)} 步仍有 {raw.iloc[-1]:.2f} η。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def figure_bias_correction(df: pd.DataFrame, profile: str) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    raw, fixed = df[~df["bias_correction"]], df[df["bias_correction"]]
    ax = axes[0]
    ax.plot(raw["step"], raw["m"], color="C0", label="$m_t$ (first moment)")
    ax.plot(raw["step"], np.sqrt(raw["v"]), color="C1", label="$\\sqrt{v_t}$ (second moment)")
    ax.axhline(1.0, color="k", ls=":", lw=1, label="the true value (gradient = 1)")
    ax.set_xscale("log")
    ax.set_xlabel("step")
    ax.set_title("moments start at zero", fontsize=10)
    ax.legend(fontsize=8)
    ax = axes[1]
    ax.plot(raw["step"], raw["step_over_lr"], color="C3", label="without bias correction")
    ax.plot(fixed["step"], fixed["step_over_lr"], color="C2", label="with bias correction")
    ax.set_xscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("step length / learning rate")
    ax.set_title("step length of Adam", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    plots.publish(fig, "lecture-f7", profile, "constant gradient", "Adam, β = (0.9, 0.999)")


# --- lecture-f27: first- and second-order methods ----------------------------------------------------------

def _smooth_1d(x):
    """:math:`\\log(1 + e^{2x}) - x + x^2/4`: smooth, convex, not quadratic."""
    return torch.nn.functional.softplus(2 * x) - x + x ** 2 / 4


def second_order(valley: Valley, steps: int = 60, gd_lr: float = 1.8) -> dict:
    """Loss above the minimum per iteration on the valley (full batch) for gradient descent, Adam, L-BFGS
    (``torch.optim.LBFGS``) and Newton's method :math:`w \\leftarrow w - H^{-1}\\nabla L`, which has no
    learning rate; and the memory a dense Hessian needs."""
    w_star = valley.minimum()
    floor = float(valley.loss(w_star[0], w_star[1]))
    gap = {}
    for name, make in (("gradient descent", lambda p: optim.SGD(p, lr=gd_lr)), ("Adam", lambda p: optim.Adam(p, lr=0.3))):
        xy = optim.trajectory(make, valley.loss, VALLEY_START, steps)
        gap[name] = [float(valley.loss(a, b)) - floor for a, b in xy]
    xy = torch.tensor(VALLEY_START, dtype=torch.float64, requires_grad=True)
    lbfgs = torch.optim.LBFGS([xy], lr=1, max_iter=1, history_size=10, line_search_fn="strong_wolfe")
    gap["L-BFGS"] = [float(valley.loss(*xy.detach())) - floor]
    for _ in range(steps):
        def closure():
            lbfgs.zero_grad()
            loss = valley.loss(xy[0], xy[1])
            loss.backward()
            return loss
        lbfgs.step(closure)
        gap["L-BFGS"].append(float(valley.loss(*xy.detach())) - floor)
    w = torch.tensor(VALLEY_START, dtype=torch.float64)
    gap["Newton"] = [float(valley.loss(*w)) - floor]
    for _ in range(steps):
        w_ = w.clone().requires_grad_(True)
        valley.loss(w_[0], w_[1]).backward()
        h = torch.autograd.functional.hessian(lambda v: valley.loss(v[0], v[1]), w)
        w = w - torch.linalg.solve(h, w_.grad)
        gap["Newton"].append(float(valley.loss(*w)) - floor)
    memory = pd.DataFrame([{"parameters": n, "Hessian entries": n * n, "float32 GiB": n * n * 4 / 2 ** 30}
                           for n in (10 ** 3, 10 ** 6, 25_557_032)])  # 25.6M: ResNet-50
    return {"gap": pd.DataFrame(gap).rename_axis("iteration").reset_index(), "memory": memory, "gd_lr": gd_lr}


def taylor(x0: float = -1.0) -> dict:
    """The first- and second-order Taylor approximations of :func:`_smooth_1d` at ``x0``, and the Newton step."""
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(_smooth_1d(x), x, create_graph=True)
    (h,) = torch.autograd.grad(g, x)
    return {"x0": x0, "f0": float(_smooth_1d(x)), "g": float(g), "h": float(h), "newton": x0 - float(g) / float(h)}


def claim_newton(so: dict) -> claims.Verdict:
    gap = so["gap"]
    verdict = claims.newton_one_step("lecture-f27", gap)
    e = verdict.evidence
    mem = so["memory"].set_index("parameters")["float32 GiB"]
    gd = e["iterations_to_1e-6"]["gradient descent"]
    en = (f"After one Newton step the loss is {e['newton_after_1']:.1e} above the minimum; gradient descent (LR "
          f"{so['gd_lr']}) needs {gd if gd is not None else f'more than {len(gap) - 1}'} iterations to come within 1e-6 "
          f"and L-BFGS {e['iterations_to_1e-6']['L-BFGS']}. The Hessian of 1M parameters has 1e12 entries: "
          f"{mem[10 ** 6]:,.0f} GiB in float32.")
    zh = (f"一次牛頓步之後,損失只比極小值高 {e['newton_after_1']:.1e};梯度下降(學習率 {so['gd_lr']})需要 "
          f"{gd if gd is not None else f'超過 {len(gap) - 1}'} 次迭代才進入 1e-6 之內,L-BFGS 需要 "
          f"{e['iterations_to_1e-6']['L-BFGS']} 次。一百萬個參數的 Hessian 有 1e12 個元素:float32 下是 {mem[10 ** 6]:,.0f} GiB。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def figure_second_order(tay: dict, so: dict, profile: str) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    ax = axes[0]
    xs = np.linspace(-2.5, 2.0, 300)
    d = xs - tay["x0"]
    ax.plot(xs, _smooth_1d(torch.as_tensor(xs)).numpy(), color="0.2", label="loss")
    ax.plot(xs, tay["f0"] + tay["g"] * d, color="C0", ls="--", label="first-order approximation")
    ax.plot(xs, tay["f0"] + tay["g"] * d + tay["h"] * d ** 2 / 2, color="C3", ls="--", label="second-order approximation")
    ax.axvline(tay["newton"], color="C3", lw=0.8, ls=":")
    ax.plot(tay["x0"], tay["f0"], "ko", ms=4)
    ax.annotate("Newton step", xy=(tay["newton"], _smooth_1d(torch.tensor(tay["newton"])).item()),
                xytext=(tay["newton"] + 0.2, tay["f0"]), fontsize=8, arrowprops={"arrowstyle": "->"})
    ax.set_ylim(0, 2.5)
    ax.set_xlabel("$\\theta$")
    ax.legend(fontsize=8)
    ax = axes[1]
    gap = so["gap"]
    for name in ("gradient descent", "Adam", "L-BFGS", "Newton"):
        ax.semilogy(gap["iteration"], gap[name].clip(lower=1e-16), label=name)
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss − minimum")
    ax.set_title("the valley, full batch", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    plots.publish(fig, "lecture-f27", profile, "1-D convex curve; 2-D least squares",
                  "gradient descent, Adam, L-BFGS, Newton")


# --- notes-x5: Adam moves the wrong way where AMSGrad does not --------------------------------------------

def reddi(steps: int = 20_000, lr: float = 0.5, betas=(0.9, 0.99)) -> pd.DataFrame:
    """Reddi, Kale & Kumar's online problem on :math:`x \\in [-1, 1]`: the loss is :math:`1010\\,x` at every
    101st step and :math:`-10\\,x` otherwise, with :math:`\\eta_t = \\eta/\\sqrt t` and a projection back
    onto the interval after each step. Adam and AMSGrad from :math:`x = 0`; one row per step."""
    rows = []
    for name, amsgrad in (("Adam", False), ("AMSGrad", True)):
        x = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        opt = optim.Adam([x], lr=lr, betas=betas, amsgrad=amsgrad)
        regret = 0.0
        for t in range(1, steps + 1):
            c = 1010.0 if t % 101 == 1 else -10.0
            opt.param_groups[0]["lr"] = lr / math.sqrt(t)
            opt.zero_grad()
            loss = c * x.sum()
            loss.backward()
            opt.step()
            with torch.no_grad():
                x.clamp_(-1.0, 1.0)
            regret += loss.item() - c * -1.0  # against the best fixed point, x = -1
            rows.append({"optimizer": name, "step": t, "x": x.item(), "average regret": regret / t})
    return pd.DataFrame(rows)


def claim_amsgrad(df: pd.DataFrame) -> claims.Verdict:
    last = df.groupby("optimizer").tail(1).set_index("optimizer")
    verdict = claims.amsgrad_fixes_adam("notes-x5", float(last.loc["Adam", "x"]), float(last.loc["AMSGrad", "x"]))
    steps = int(last["step"].iloc[0])
    en = (f"After {steps:,} steps Adam is at x = {last.loc['Adam', 'x']:+.3f} (average regret "
          f"{last.loc['Adam', 'average regret']:.3f}) and AMSGrad at x = {last.loc['AMSGrad', 'x']:+.3f} (average regret "
          f"{last.loc['AMSGrad', 'average regret']:.3f}); the best point is x = −1.")
    zh = (f"經過 {steps:,} 步,Adam 停在 x = {last.loc['Adam', 'x']:+.3f}(平均遺憾 {last.loc['Adam', 'average regret']:.3f}),"
          f"AMSGrad 停在 x = {last.loc['AMSGrad', 'x']:+.3f}(平均遺憾 {last.loc['AMSGrad', 'average regret']:.3f});"
          f"最佳點是 x = −1。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def figure_amsgrad(df: pd.DataFrame, profile: str) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    for (name, g), color in zip(df.groupby("optimizer", sort=False), ("C3", "C0")):
        axes[0].plot(g["step"], g["x"], color=color, lw=0.8, label=name)
        axes[1].plot(g["step"], g["average regret"], color=color, label=name)
    axes[0].axhline(-1, color="k", ls=":", lw=1, label="best point")
    axes[0].set_ylabel("x")
    axes[1].set_ylabel("average regret $R_t / t$")
    axes[1].set_yscale("symlog", linthresh=0.01)
    for ax in axes:
        ax.set_xlabel("step")
        ax.set_xscale("log")
        ax.legend(fontsize=8)
    fig.tight_layout()
    plots.publish(fig, "notes-x5", profile, "Reddi et al.'s online problem", "Adam, AMSGrad, β = (0.9, 0.99)")


# --- keras-table: the Keras optimizer family -------------------------------------------------------------

# Keras 2's defaults (cited from the Keras documentation): name -> (arguments, hp_lib class)
KERAS_DEFAULTS = {
    "SGD": ("lr=0.01, momentum=0.0, nesterov=False", optim.SGD),
    "RMSprop": ("lr=0.001, rho=0.9", optim.RMSProp),
    "Adagrad": ("lr=0.01", optim.AdaGrad),
    "Adadelta": ("lr=1.0, rho=0.95", optim.Adadelta),
    "Adam": ("lr=0.001, beta_1=0.9, beta_2=0.999, amsgrad=False", optim.Adam),
    "Adamax": ("lr=0.002, beta_1=0.9, beta_2=0.999", optim.Adamax),
    "Nadam": ("lr=0.002, beta_1=0.9, beta_2=0.999, schedule_decay=0.004", optim.Nadam),
}


def keras_table() -> pd.DataFrame:
    """Each Keras optimizer's defaults beside the ``hp_lib.optim`` class that implements it: its defaults,
    read from its signature, and the first line of its docstring (the rule in words)."""
    rows = []
    for name, (keras, cls) in KERAS_DEFAULTS.items():
        params = inspect.signature(cls.__init__).parameters
        ours = ", ".join(f"{k}={v.default}" for k, v in params.items()
                         if k not in ("self", "params") and k in ("lr", "momentum", "nesterov", "alpha", "rho", "betas"))
        rows.append({"Keras": name, "Keras defaults": keras, "hp_lib.optim": cls.__name__, "hp_lib defaults": ours,
                     "rule": inspect.getdoc(cls).split("\n")[0]})
    return pd.DataFrame(rows)


# --- real data: the lecture's optimizers, Adam's default rate and Dozat's table on three analog tasks ------
#
# Dozat (2015) compared his optimizers on three tasks; each has an analog here, small enough for a CPU:
# "word2vec" is a skip-gram with a full softmax over 1,000 words, "image recognition" the two-layer MLP on
# scikit-learn's 8×8 digits, "LSTM language model" a one-layer character LSTM (per-character cross-entropy).
# Every optimizer runs at each learning rate of a small grid on a ladder of ×3 steps, and is scored by its
# final held-out (validation) loss at its best rate, mean over seeds. The same runs serve the lecture's six
# optimizers (lecture-optimizers-real), the Adam sweep (lecture-adam-default) and Dozat's table (nadam-table).

TASKS = ("word2vec", "image recognition", "LSTM language model")  # Dozat's columns, in his order

# Dozat's update rules: {no momentum, classical, Nesterov} × {no scaling, L2 (RMSProp), L∞ (Adamax)}, plus
# the lecture's AdaGrad. Maxa is Adamax without momentum (β1 = 0), as RMSProp is, roughly, Adam without it. Dozat's ninth,
# N-max (Nadam with the L∞ norm), has no implementation in hp_lib.optim.
RULES = {
    "GD": dict(optimizer="sgd", momentum=0.0, nesterov=False),
    "Mom": dict(optimizer="sgd", momentum=0.9, nesterov=False),
    "NAG": dict(optimizer="sgd", momentum=0.9, nesterov=True),
    "AdaGrad": dict(optimizer="adagrad", momentum=0.0, nesterov=False),
    "RMS": dict(optimizer="rmsprop", momentum=0.0, nesterov=False),
    "Adam": dict(optimizer="adam", momentum=0.9, nesterov=False),
    "Nadam": dict(optimizer="nadam", momentum=0.9, nesterov=False),
    "Maxa": dict(optimizer="adamax", momentum=0.0, nesterov=False),
    "A-max": dict(optimizer="adamax", momentum=0.9, nesterov=False),
}
DOZAT_RULES = ("GD", "Mom", "NAG", "RMS", "Adam", "Nadam", "Maxa", "A-max", "N-max")
LECTURE_RULES = {"SGD": "GD", "SGD+Momentum": "Mom", "Nesterov": "NAG", "AdaGrad": "AdaGrad", "RMSProp": "RMS",
                 "Adam": "Adam"}

# Quoted from Dozat (2015), "Incorporating Nesterov Momentum into Adam" (Stanford CS229 report), as the
# lecture notes reproduce it: test loss for word2vec and image recognition, test perplexity for the LSTM.
DOZAT_2015 = {
    "word2vec": {"GD": .368, "Mom": .361, "NAG": .358, "RMS": .316, "Adam": .325, "Nadam": .284,
                 "Maxa": .346, "A-max": .356, "N-max": .355},
    "image recognition": {"GD": .0202, "Mom": .0263, "NAG": .0283, "RMS": .0172, "Adam": .0175, "Nadam": .0183,
                          "Maxa": .0195, "A-max": .0231, "N-max": .0204},
    "LSTM language model": {"GD": 100.8, "Mom": 99.3, "NAG": 99.8, "RMS": 106.7, "Adam": 111.0, "Nadam": 105.5,
                            "Maxa": 106.3, "A-max": 108.5, "N-max": 107.0},
}

LR_LADDER = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
# the centre of each rule's grid on each task: the rates that suit it there; the grid is the centre and its
# neighbours on the ladder (one on each side at cpu, two at full, none at smoke)
GRID_CENTRES = {
    "word2vec": {"GD": 1.0, "Mom": 0.1, "NAG": 0.1, "AdaGrad": 0.3, "RMS": 3e-3, "Adam": 1e-2, "Nadam": 1e-2,
                 "Maxa": 3e-2, "A-max": 3e-2},
    "image recognition": {"GD": 0.3, "Mom": 3e-2, "NAG": 3e-2, "AdaGrad": 3e-2, "RMS": 3e-3, "Adam": 3e-3,
                          "Nadam": 3e-3, "Maxa": 3e-2, "A-max": 1e-2},
    "LSTM language model": {"GD": 10.0, "Mom": 3.0, "NAG": 3.0, "AdaGrad": 0.3, "RMS": 1e-2, "Adam": 3e-2,
                            "Nadam": 3e-2, "Maxa": 0.1, "A-max": 0.1},
}
ADAM_SWEEP = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1)  # the lecture's default, 1e-3, in ×3 steps around it
ADAM_DEFAULT = 1e-3


def task_config(task: str, profile: str) -> RunConfig:
    """The analog of one of Dozat's tasks, without weight decay (the optimizers alone are compared)."""
    p = profiles.get(profile)
    common = dict(n_test=0, weight_decay=0.0, train_probe=False, threads=p.threads, **p.accelerator)
    if task == "word2vec":
        return RunConfig(dataset="skipgram", model="skipgram", n_train=p.pick(5_000, 100_000, 100_000),
                         n_val=p.pick(500, 5_000, 10_000), batch_size=256, steps=p.pick(20, 800, 4_000),
                         eval_every=p.pick(10, 100, 200), **common)
    if task == "image recognition":
        return RunConfig(dataset="digits", model="mlp", n_train=1_257, n_val=540, batch_size=50,
                         steps=p.pick(20, 500, 2_000), eval_every=p.pick(10, 25, 100), **common)
    if task == "LSTM language model":
        return RunConfig(dataset="chars", model="char_lstm", model_kwargs={"hidden": p.pick(32, 64, 128)},
                         n_train=p.pick(500, 10_000, 10_000), n_val=p.pick(100, 500, 2_000), batch_size=64,
                         steps=p.pick(10, 300, 3_000), eval_every=p.pick(5, 50, 200), **common)
    raise ValueError(f"unknown task {task!r}; tasks: {', '.join(TASKS)}")


def lr_grid(task: str, rule: str, profile: str) -> tuple[float, ...]:
    i = LR_LADDER.index(GRID_CENTRES[task][rule])
    k = profiles.get(profile).pick(0, 1, 2)
    return LR_LADDER[max(0, i - k): i + k + 1]


def at_edge(task: str, rule: str, lr: float, profile: str) -> bool:
    """Whether ``lr`` is the lowest or highest rate of a grid of more than one: the best rate may lie beyond."""
    grid = lr_grid(task, rule, profile)
    return len(grid) > 1 and lr in (grid[0], grid[-1])


def adam_sweep(profile: str) -> tuple[float, ...]:
    return profiles.get(profile).pick((ADAM_DEFAULT, 1e-2), ADAM_SWEEP, ADAM_SWEEP)


def real_data_setup(profile: str, seeds=None) -> dict[tuple, RunConfig]:
    """Every run of the three real-data items: (task, rule, lr, seed) -> config. Each rule of
    :data:`RULES` at each rate of its grid, and Adam also at every rate of :func:`adam_sweep`."""
    seeds = seeds_of(profiles.get(profile), seeds)
    out = {}
    for task in TASKS:
        base = task_config(task, profile)
        for rule in RULES:
            lrs = sorted(set(lr_grid(task, rule, profile)) | (set(adam_sweep(profile)) if rule == "Adam" else set()))
            for lr in lrs:
                for s in seeds:
                    out[(task, rule, lr, s)] = base.replace(lr=lr, seed=s, **RULES[rule])
    return out


@dataclass
class RealRuns:
    """The real-data runs: ``finals`` has one row per run (task, rule, lr, seed, its final held-out ``loss`` —
    infinite if it diverged —, ``acc`` and the ``initial`` loss before training); ``histories`` the runs."""
    finals: pd.DataFrame
    histories: dict
    profile: str

    def scores(self) -> pd.DataFrame:
        """Mean, std, min and max over seeds of the final loss, per task, rule and learning rate."""
        g = self.finals.groupby(["task", "rule", "lr"])["loss"]
        return pd.DataFrame({"mean": g.mean(), "std": g.std(ddof=1).fillna(0.0), "min": g.min(), "max": g.max(),
                             "seeds": g.size()}).reset_index()

    def best(self, grid_only: bool = True) -> pd.DataFrame:
        """Each task's and rule's best learning rate (lowest mean final loss) among its grid (``grid_only``)
        or among every rate it ran at, with that rate's scores and whether it lies at the grid's edge."""
        s = self.scores()
        if grid_only:
            s = s[[lr in lr_grid(t, r, self.profile) for t, r, lr in zip(s["task"], s["rule"], s["lr"])]]
        best = s.loc[s.groupby(["task", "rule"])["mean"].idxmin()].reset_index(drop=True)
        best["edge"] = [at_edge(t, r, lr, self.profile) for t, r, lr in zip(best["task"], best["rule"], best["lr"])]
        return best

    def initial(self) -> dict[str, float]:
        """Each task's held-out loss before training (mean over its runs)."""
        return self.finals.groupby("task")["initial"].mean().to_dict()


def real_data(profile: str, seeds=None) -> RealRuns:
    setup = real_data_setup(profile, seeds)
    histories = dict(zip(setup, sweep.run(list(setup.values()), desc="optimizers on real data")))
    rows = []
    for (task, rule, lr, seed), h in histories.items():
        ev = h.dropna(subset=["val_loss"])
        ok = h.attrs.get("status", "ok") == "ok"
        rows.append({"task": task, "rule": rule, "lr": lr, "seed": seed, "initial": float(ev["val_loss"].iloc[0]),
                     "loss": float(ev["val_loss"].iloc[-1]) if ok else float("inf"),
                     "acc": float(ev["val_acc"].iloc[-1]) if ok else float("nan"), "status": h.attrs.get("status")})
    return RealRuns(pd.DataFrame(rows), histories, profile)


TASK_ANALOGS = {"word2vec": "skip-gram, 1,000 words", "image recognition": "MLP on 8×8 digits",
                "LSTM language model": "character LSTM"}
TASK_ZH = {"word2vec": "word2vec", "image recognition": "影像辨識", "LSTM language model": "LSTM 語言模型"}


def _fmt_lr(lr: float) -> str:
    return f"{lr:g}"


def describe_tasks(profile: str, seeds=None) -> None:
    """Glue the three tasks' settings (``lecture-optimizers-tasks``) for the prose."""
    w, i, l = (task_config(t, profile) for t in TASKS)
    n_seeds, n_lrs = len(seeds_of(profiles.get(profile), seeds)), len(lr_grid(TASKS[0], "Adam", profile))
    en = (f"word2vec — a skip-gram (64-dimensional embeddings, a full softmax over 1,000 words) on {w.n_train:,} "
          f"(center, context) pairs from Python's help texts, batch {w.batch_size}, {w.steps:,} iterations; image "
          f"recognition — the MLP (two hidden layers of 128 ReLU units) on {i.n_train:,} 8×8 digits, batch "
          f"{i.batch_size}, {i.steps:,} iterations; LSTM language model — one LSTM layer of {l.model_kwargs['hidden']} "
          f"units predicting each next character in {l.n_train:,} windows of 32 characters of the same texts, batch "
          f"{l.batch_size}, {l.steps:,} iterations. No weight decay; {n_lrs} learning rate{'s' if n_lrs > 1 else ''} per "
          f"optimizer; {n_seeds} seed{'s' if n_seeds > 1 else ''}; held-out sets of {w.n_val:,} pairs, {i.n_val:,} digits "
          f"and {l.n_val:,} windows.")
    zh = (f"word2vec——skip-gram(64 維的嵌入向量,對 1,000 個字做完整的 softmax),使用取自 Python 說明文件的 {w.n_train:,} "
          f"組(中心字, 上下文字)配對,批次 {w.batch_size},{w.steps:,} 次迭代;影像辨識——MLP(兩個各有 128 個 ReLU 單元的"
          f"隱藏層),使用 {i.n_train:,} 張 8×8 數字影像,批次 {i.batch_size},{i.steps:,} 次迭代;LSTM 語言模型——一層 "
          f"{l.model_kwargs['hidden']} 個單元的 LSTM,在同樣文字的 {l.n_train:,} 個 32 字元片段中預測每一個下一字元,批次 "
          f"{l.batch_size},{l.steps:,} 次迭代。不使用權重衰減;每種最佳化器 {n_lrs} 個學習率;{n_seeds} 個隨機種子;保留集"
          f"分別有 {w.n_val:,} 組配對、{i.n_val:,} 張數字影像與 {l.n_val:,} 個片段。")
    glue.text("lecture-optimizers-tasks", en, zh)


# --- lecture-optimizers-real: the lecture's six optimizers on real data ------------------------------------

def claim_adam_first(real: RealRuns, margin: float = 0.1) -> claims.Verdict:
    best = real.best()
    losses = {task: {name: float(best[(best["task"] == task) & (best["rule"] == rule)]["mean"].iloc[0])
                     for name, rule in LECTURE_RULES.items()} for task in TASKS}
    initial = real.initial()
    verdict = claims.adam_first_choice("lecture-optimizers-real", losses, initial, margin=margin)
    e = verdict.evidence
    parts, parts_zh = [], []
    for task in TASKS:
        order = sorted(losses[task], key=losses[task].get)
        sgdm = claims.loss_shortfall(losses[task]["SGD+Momentum"], losses[task][e[task]["best"]], initial[task])
        parts.append(f"{task}: best {e[task]['best']} ({losses[task][e[task]['best']]:.3f}), Adam {losses[task]['Adam']:.3f} "
                     f"(rank {order.index('Adam') + 1} of 6, shortfall {e[task]['shortfall']:.0%}), SGD+Momentum "
                     f"{losses[task]['SGD+Momentum']:.3f} (shortfall {sgdm:.0%})")
        parts_zh.append(f"{TASK_ZH[task]}:最佳為 {e[task]['best']}({losses[task][e[task]['best']]:.3f}),Adam 為 "
                        f"{losses[task]['Adam']:.3f}(6 個中排第 {order.index('Adam') + 1},差距 {e[task]['shortfall']:.0%}),"
                        f"SGD+Momentum 為 {losses[task]['SGD+Momentum']:.3f}(差距 {sgdm:.0%})")
    en = (f"Final held-out loss at each optimizer's best learning rate, mean over seeds — " + "; ".join(parts) +
          f". The shortfall is the gap to the best optimizer as a share of the best run's fall from the initial loss; "
          f"the criterion is at most {margin:.0%} on every task.")
    zh = ("各最佳化器在其最佳學習率下的最終保留集損失(各隨機種子的平均)——" + ";".join(parts_zh) +
          f"。差距是與最佳最佳化器之間的落差,以最佳執行從初始損失下降的幅度為單位;判準是每個任務都不超過 {margin:.0%}。")
    claims.glue_verdict(verdict, en, zh)
    return verdict



def figure_real_data(real: RealRuns, profile: str) -> None:
    """Per task, the held-out loss against the iteration of the lecture's six optimizers, each at its best
    learning rate: the mean over seeds and the band between the lowest and highest seed."""
    best = real.best().set_index(["task", "rule"])
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.0))
    for ax, task in zip(axes, TASKS):
        tops = []
        for (name, rule), color in zip(LECTURE_RULES.items(), sns.color_palette("tab10")):
            lr = best.loc[(task, rule), "lr"]
            evs = [h.dropna(subset=["val_loss"]).set_index("step")["val_loss"]
                   for (t, r, l, _), h in real.histories.items() if (t, r, l) == (task, rule, lr)]
            curves = pd.concat(evs, axis=1)
            x = curves.index + 1
            ax.plot(x, curves.mean(axis=1), color=color, lw=1.5, label=f"{name} (LR {_fmt_lr(lr)})")
            ax.fill_between(x, curves.min(axis=1), curves.max(axis=1), color=color, alpha=0.2, lw=0)
            tops.append(curves.iloc[len(curves) // 5:].max().max())
        if task == "image recognition":  # the loss falls by two decades here
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(mticker.LogLocator(subs=(1, 2, 5)))
            ax.yaxis.set_major_formatter(mticker.FormatStrFormatter("%g"))
            ax.yaxis.set_minor_formatter(mticker.NullFormatter())
        ax.set_ylim(top=max(tops) * 1.1)
        ax.set_xlabel("iteration")
        ax.set_title(f"{task}: {TASK_ANALOGS[task]}", fontsize=10)
        ax.legend(fontsize=7)
    axes[0].set_ylabel("held-out (validation) loss")
    fig.tight_layout()
    runs = [h for (t, r, l, _), h in real.histories.items()
            if r in LECTURE_RULES.values() and l == best.loc[(t, r), "lr"]]
    plots.publish(fig, "lecture-optimizers-real", profile, "skip-gram pairs, sklearn digits, characters",
                  "skip-gram, MLP, char LSTM", runs)


# --- lecture-adam-default: "Adam with lr = 1e-3 (or 5e-4) is a great starting point" ------------------------

def adam_sweep_scores(real: RealRuns) -> pd.DataFrame:
    s = real.scores()
    return s[(s["rule"] == "Adam") & s["lr"].isin(adam_sweep(real.profile))].reset_index(drop=True)


def claim_adam_default(real: RealRuns, margin: float = 0.1) -> claims.Verdict:
    s = adam_sweep_scores(real)
    losses = {task: dict(zip(g["lr"], g["mean"])) for task, g in s.groupby("task")}
    initial = real.initial()
    verdict = claims.adam_default_lr("lecture-adam-default", {t: losses[t] for t in TASKS}, initial,
                                     default=ADAM_DEFAULT, margin=margin)
    e = verdict.evidence
    parts = [f"{task}: best LR {_fmt_lr(e[task]['best_lr'])} ({losses[task][e[task]['best_lr']]:.3f}), LR 1e-3 "
             f"{losses[task][ADAM_DEFAULT]:.3f} (shortfall {e[task]['shortfall']:.0%})" for task in TASKS]
    parts_zh = [f"{TASK_ZH[task]}:最佳學習率 {_fmt_lr(e[task]['best_lr'])}({losses[task][e[task]['best_lr']]:.3f}),"
                f"學習率 1e-3 為 {losses[task][ADAM_DEFAULT]:.3f}(差距 {e[task]['shortfall']:.0%})" for task in TASKS]
    lrs = ", ".join(_fmt_lr(lr) for lr in adam_sweep(real.profile))
    en = (f"Adam at LR {lrs}, final held-out loss, mean over seeds — " + "; ".join(parts) +
          f". The shortfall is the gap to the best rate as a share of the best run's fall from the initial loss; "
          f"the criterion is at most {margin:.0%} on every task.")
    zh = (f"Adam 在學習率 {lrs} 下的最終保留集損失(各隨機種子的平均)——" + ";".join(parts_zh) +
          f"。差距是與最佳學習率之間的落差,以最佳執行從初始損失下降的幅度為單位;判準是每個任務都不超過 {margin:.0%}。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def figure_adam_default(real: RealRuns, profile: str, margin: float = 0.1) -> None:
    """Per task, Adam's final held-out loss against its learning rate (mean over seeds, bars from the lowest to
    the highest seed), the lecture's 1e-3 and 5e-4 marked, and the loss within ``margin`` of the best."""
    s = adam_sweep_scores(real)
    initial = real.initial()
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    for ax, task in zip(axes, TASKS):
        g = s[s["task"] == task].sort_values("lr")
        ok = np.isfinite(g["mean"])
        ax.errorbar(g["lr"][ok], g["mean"][ok], yerr=[g["mean"][ok] - g["min"][ok], g["max"][ok] - g["mean"][ok]],
                    fmt="o-", color="C0", capsize=3, label="Adam, mean and range over seeds")
        top = initial[task] * 1.05
        if (~ok).any():
            ax.plot(g["lr"][~ok], [top * 0.98] * int((~ok).sum()), "x", color="C3", ms=8, mew=2, label="diverged")
        best = g.loc[g["mean"].idxmin()]
        threshold = best["mean"] + margin * (initial[task] - best["mean"])
        ax.axhline(threshold, color="0.4", ls="--", lw=1, label=f"within {margin:.0%} of the best fall")
        ax.axhline(initial[task], color="0.6", ls=":", lw=1, label="initial loss")
        ax.axvspan(5e-4, 1e-3, color="C2", alpha=0.2, lw=0, label="lecture: 5e-4 … 1e-3")
        ax.set_xscale("log")
        ax.set_ylim(best["mean"] - 0.05 * (initial[task] - best["mean"]), top)
        ax.set_xlabel("Adam learning rate")
        ax.set_title(f"{task}: {TASK_ANALOGS[task]}", fontsize=10)
    axes[0].set_ylabel("final held-out loss")
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.legend(*axes[-1].get_legend_handles_labels(), loc="lower center", ncol=5, fontsize=8, frameon=False)
    runs = [h for (t, r, l, _), h in real.histories.items() if r == "Adam" and l in adam_sweep(profile)]
    plots.publish(fig, "lecture-adam-default", profile, "skip-gram pairs, sklearn digits, characters",
                  "Adam on skip-gram, MLP, char LSTM", runs)


# --- nadam-table: Dozat's table beside our measured ranking ------------------------------------------------

def ours_by_task(real: RealRuns) -> dict[str, dict[str, float]]:
    best = real.best()
    return {task: {rule: float(best[(best["task"] == task) & (best["rule"] == rule)]["mean"].iloc[0])
                   for rule in DOZAT_RULES if rule in RULES} for task in TASKS}


def nadam_table(real: RealRuns) -> pd.DataFrame:
    """Dozat's (2015) table, quoted, beside ours: per task, his test loss (perplexity for the LSTM) with its rank
    among the optimizers we also ran, and our final held-out loss at the best learning rate (mean ± std over
    seeds) with its rank and that rate (``*``: at the edge of the grid)."""
    best = real.best().set_index(["task", "rule"])
    ours = ours_by_task(real)
    columns = {}
    for task in TASKS:
        paper = DOZAT_2015[task]
        paper_rank = pd.Series({r: v for r, v in paper.items() if r in RULES}).rank(method="min").astype(int)
        our_rank = pd.Series(ours[task]).rank(method="min").astype(int)
        kind = "test perplexity" if task == "LSTM language model" else "test loss"
        col_paper, col_ours = [], []
        for rule in DOZAT_RULES:
            value = f"{paper[rule]:g}".lstrip("0") if paper[rule] < 1 else f"{paper[rule]:.1f}"
            col_paper.append(f"{value} ({paper_rank[rule]})" if rule in paper_rank else f"{value} (–)")
            if rule in RULES:
                b = best.loc[(task, rule)]
                col_ours.append(f"{b['mean']:.4f} ± {b['std']:.4f} ({our_rank[rule]}), "
                                f"LR {_fmt_lr(b['lr'])}{'*' if b['edge'] else ''}")
            else:
                col_ours.append("not implemented")
        columns[(task, f"Dozat (2015): {kind} (rank)")] = col_paper
        columns[(task, "ours: held-out loss (rank), LR")] = col_ours
    table = pd.DataFrame(columns, index=list(DOZAT_RULES))
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    if glue._kernel():  # pasted into the page with {glue:figure}, under the caption of each language
        from myst_nb import glue as paste

        paste("nadam-table", table, display=False)
    return table


def claim_nadam(real: RealRuns, min_rho: float = 0.5) -> claims.Verdict:
    ours = ours_by_task(real)
    verdict = claims.ranking_agrees("nadam-table", ours, DOZAT_2015, min_rho=min_rho)
    e = verdict.evidence
    nadam_rank = {t: int(pd.Series(ours[t]).rank(method="min")["Nadam"]) for t in TASKS}
    parts = [f"{task}: ρ = {e[task]['rho']:+.2f}, best ours {e[task]['ours_best']} vs Dozat's {e[task]['paper_best']}, "
             f"Nadam ranks {nadam_rank[task]} of {len(ours[task])}" for task in TASKS]
    parts_zh = [f"{TASK_ZH[task]}:ρ = {e[task]['rho']:+.2f},本書最佳為 {e[task]['ours_best']},Dozat 為 "
                f"{e[task]['paper_best']},Nadam 在 {len(ours[task])} 個中排第 {nadam_rank[task]}" for task in TASKS]
    en = (f"Spearman's rank correlation between Dozat's scores and ours over the {len(ours[TASKS[0]])} optimizers we "
          f"ran — " + "; ".join(parts) + f". The criterion is ρ ≥ {min_rho} on every task.")
    zh = (f"Dozat 的分數與本書分數在我們執行的 {len(ours[TASKS[0]])} 種最佳化器上的 Spearman 等級相關——" + ";".join(parts_zh) +
          f"。判準是每個任務都 ρ ≥ {min_rho}。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


# --- notes-x6: Adam with L2 against AdamW's decoupled weight decay ----------------------------------------

def weight_decay_setup(profile: str, seeds=None) -> dict[tuple, RunConfig]:
    """(optimizer, lr, weight decay, seed) -> config: the MLP on 500 digits, long enough to overfit without
    weight decay, over a learning-rate × weight-decay grid for Adam with L2 and for AdamW; the learning rate
    (``lr``: its initial value) is annealed to zero along a cosine, as in Loshchilov & Hutter's experiments, so
    that the final loss is not the noise of a large constant step. AdamW's decay per step is
    :math:`\\eta\\lambda` while L2's acts through the normalised gradient, so their useful :math:`\\lambda`
    differ by orders of magnitude: each grid spans three decades around its own."""
    p = profiles.get(profile)
    seeds = seeds_of(p, seeds)
    steps = p.pick(40, 1_000, 4_000)
    base = RunConfig(dataset="digits", model="mlp", n_train=500, n_val=1_000, n_test=0, batch_size=50, momentum=0.9,
                     nesterov=False, steps=steps, eval_every=steps, train_probe=False, threads=p.threads, **p.accelerator)
    lrs = p.pick((1e-3, 1e-2), (1e-3, 3e-3, 1e-2, 3e-2), (3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1))
    wds = {"Adam + L2": ("adam", p.pick((1e-3, 1e-2), (1e-4, 1e-3, 1e-2, 0.1), (1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0))),
           "AdamW": ("adamw", p.pick((0.1, 1.0), (1e-2, 0.1, 1.0, 10.0), (1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0)))}
    return {(name, lr, wd, s): base.replace(optimizer=opt, lr={"name": "cosine", "value": lr, "total_steps": steps},
                                            weight_decay=wd, seed=s)
            for name, (opt, grid) in wds.items() for lr in lrs for wd in grid for s in seeds}


def weight_decay_grid(profile: str, seeds=None) -> pd.DataFrame:
    """One row per run of :func:`weight_decay_setup`: its final held-out loss (infinite if it diverged) and
    accuracy."""
    setup = weight_decay_setup(profile, seeds)
    rows = []
    for (name, lr, wd, seed), h in zip(setup, sweep.run(list(setup.values()), desc="Adam + L2 and AdamW")):
        ev = h.dropna(subset=["val_loss"])
        ok = h.attrs.get("status", "ok") == "ok"
        rows.append({"optimizer": name, "lr": lr, "weight_decay": wd, "seed": seed,
                     "loss": float(ev["val_loss"].iloc[-1]) if ok else float("inf"),
                     "acc": float(ev["val_acc"].iloc[-1]) if ok else float("nan"), "history": h})
    return pd.DataFrame(rows)


def weight_decay_tables(df: pd.DataFrame, value: str = "loss") -> dict[str, pd.DataFrame]:
    """Per optimizer, the mean over seeds of ``value`` with one row per weight decay and one column per LR."""
    return {name: g.pivot_table(index="weight_decay", columns="lr", values=value, aggfunc="mean")
            for name, g in df.groupby("optimizer", sort=False)}


def claim_adamw(df: pd.DataFrame, margin: float = 0.1, tolerance: float = 0.02) -> claims.Verdict:
    loss, acc = weight_decay_tables(df), weight_decay_tables(df, "acc")
    verdict = claims.decoupled_weight_decay("notes-x6", loss["Adam + L2"], loss["AdamW"], margin, tolerance)
    e = verdict.evidence

    def best_cell(name, at="at LR", accuracy="accuracy"):
        t = loss[name]
        wd, lr = t.stack().idxmin()
        return f"{t.loc[wd, lr]:.3f} {at} {_fmt_lr(lr)}, λ {_fmt_lr(wd)} ({accuracy} {acc[name].loc[wd, lr]:.1%})"

    moves = {k: ", ".join(_fmt_lr(v) for v in e[f"{k}_best_wd"].values()) for k in ("coupled", "decoupled")}
    lrs = ", ".join(_fmt_lr(lr) for lr in loss["AdamW"].columns)
    values = {k: len(set(e[f"{k}_best_wd"].values())) for k in ("coupled", "decoupled")}
    en = (f"Best final held-out loss (mean over seeds): Adam + L2 {best_cell('Adam + L2')}; AdamW {best_cell('AdamW')}. "
          f"Cells within {margin:.0%} of their grid's best: {e['coupled_good_cells']} of {e['cells']} for Adam + L2, "
          f"{e['decoupled_good_cells']} of {e['cells']} for AdamW. The best λ at LR {lrs}: Adam + L2 {moves['coupled']}; "
          f"AdamW {moves['decoupled']} (distinct values: {values['coupled']} for Adam + L2, {values['decoupled']} for "
          f"AdamW). Criterion: AdamW's best at most {tolerance:.0%} above Adam + L2's, and at least as many good cells.")
    zh = (f"最佳的最終保留集損失(各隨機種子的平均):Adam + L2 {best_cell('Adam + L2', '於學習率', '準確率')};AdamW "
          f"{best_cell('AdamW', '於學習率', '準確率')}。與各自網格最佳值相差 {margin:.0%} 以內的格子:Adam + L2 有 "
          f"{e['coupled_good_cells']}/{e['cells']} 格,AdamW 有 {e['decoupled_good_cells']}/{e['cells']} 格。學習率 {lrs} "
          f"下的最佳 λ:Adam + L2 為 {moves['coupled']};AdamW 為 {moves['decoupled']}(不同的值:Adam + L2 有 "
          f"{values['coupled']} 個,AdamW 有 {values['decoupled']} 個)。判準:AdamW 的最佳值不比 Adam + L2 "
          f"的高出 {tolerance:.0%} 以上,且好的格子至少一樣多。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def figure_adamw(df: pd.DataFrame, profile: str, margin: float = 0.1) -> None:
    """Two heatmaps of the final held-out loss (mean over seeds) over learning rate × weight decay, on one
    colour scale; outlined: the cells within ``margin`` of their grid's best; starred: the best."""
    tables = weight_decay_tables(df)
    lo = min(np.nanmin(t.to_numpy()) for t in tables.values())
    hi = min(max(np.nanmax(np.where(np.isfinite(t.to_numpy()), t.to_numpy(), np.nan)) for t in tables.values()),
             4 * lo)
    fig, axes = plt.subplots(1, 2, figsize=(11.5, 4.2), gridspec_kw={"wspace": 0.35})
    titles = {"Adam + L2": "Adam + L2: $g \\leftarrow g + \\lambda\\theta$",
              "AdamW": "AdamW: $\\theta \\leftarrow (1 - \\eta\\lambda)\\,\\theta$"}
    for ax, (name, t) in zip(axes, tables.items()):
        values = t.to_numpy()
        im = ax.imshow(np.clip(values, lo, hi), cmap="viridis_r", vmin=lo, vmax=hi, origin="lower", aspect="auto")
        best = np.nanmin(values)
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                v = values[i, j]
                good = v <= (1 + margin) * best
                ax.text(j, i, ("★ " if v == best else "") + (f"{v:.3f}" if np.isfinite(v) else "div."),
                        ha="center", va="center", fontsize=8, color="k" if v < (lo + hi) / 2 else "w",
                        fontweight="bold" if good else "normal")
                if good:
                    ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="C3", lw=2))
        ax.set_xticks(range(len(t.columns)), [_fmt_lr(c) for c in t.columns])
        ax.set_yticks(range(len(t.index)), [_fmt_lr(w) for w in t.index])
        ax.set_xlabel("initial learning rate $\\eta$ (cosine to 0)")
        ax.set_ylabel("weight decay $\\lambda$")
        ax.set_title(titles[name], fontsize=10)
        ax.grid(False)
    fig.colorbar(im, ax=axes, label="final held-out loss (mean over seeds)")
    plots.publish(fig, "notes-x6", profile, "sklearn digits (500 training samples)", "MLP, Adam + L2 and AdamW",
                  list(df["history"]))


def describe_weight_decay(profile: str, seeds=None) -> None:
    """Glue notes-x6's settings (``notes-x6-setup``) for the prose."""
    setup = weight_decay_setup(profile, seeds)
    cfg = next(iter(setup.values()))
    grid = lambda name, i: ", ".join(_fmt_lr(v) for v in sorted({k[i] for k in setup if k[0] == name}))
    lrs, l2, w = grid("Adam + L2", 1), grid("Adam + L2", 2), grid("AdamW", 2)
    epochs = cfg.steps * cfg.batch_size // cfg.n_train
    n_seeds = len({k[3] for k in setup})
    en = (f"{cfg.steps:,} iterations of batch {cfg.batch_size} ({epochs} epochs), initial learning rate {lrs} annealed "
          f"to zero along a cosine, λ {l2} for "
          f"Adam + L2 and {w} for AdamW, β₁ = 0.9, β₂ = 0.999, {n_seeds} seed{'s' if n_seeds > 1 else ''}, scored on "
          f"{cfg.n_val:,} other digits.")
    zh = (f"{cfg.steps:,} 次迭代,批次 {cfg.batch_size}({epochs} 個 epoch),初始學習率 {lrs},沿餘弦曲線退火到零,"
          f"Adam + L2 的 λ 為 {l2},AdamW 的 "
          f"λ 為 {w},β₁ = 0.9、β₂ = 0.999,{n_seeds} 個隨機種子,以另外 {cfg.n_val:,} 張數字影像評分。")
    glue.text("notes-x6-setup", en, zh)


def plan(profile: str, seeds=None) -> list[RunConfig]:
    """Every training run of the chapter, for :func:`hp_lib.sweep.prefetch`."""
    return list(real_data_setup(profile, seeds).values()) + list(weight_decay_setup(profile, seeds).values())
