r"""First-order optimizers written from their update rules, as ``torch.optim.Optimizer`` subclasses.

Every class states its rule in its docstring and its ``step()`` applies that rule to one parameter at a
time with plain tensor operations (no ``foreach`` / ``fused`` paths). Arguments and defaults are those of
the ``torch.optim`` counterpart, and the numerics follow torch's single-tensor implementation operation for
operation, so that a reader can swap ``torch.optim.Adam`` for ``hp_lib.optim.Adam`` and get the same
trajectory (the tests check this to a relative 1e-6 over hundreds of steps).

With :math:`g_t = \nabla f(\theta_{t-1})` (plus :math:`\lambda\theta_{t-1}` for L2 weight decay), the
family is:

* :class:`SGD` — momentum as a running sum of gradients, :math:`\theta_t = \theta_{t-1} - \eta\,b_t`,
  in PyTorch's form or in the CS231n "velocity" form (heavy ball and Nesterov);
* :class:`AdaGrad`, :class:`RMSProp`, :class:`Adadelta` — per-coordinate steps scaled by
  :math:`1/\sqrt{\text{(average of) } g^2}`;
* :class:`Adam` (and :class:`AMSGrad`), :class:`AdamW`, :class:`Adamax`, :class:`Nadam` — momentum and
  per-coordinate scaling together.

:func:`trajectory` runs any of them on a function of two variables, for the book's path plots. The
learning rate, momentum and betas are read from ``param_groups`` at every step, so
``hp_lib.schedules.apply`` (which writes ``group['lr']`` and ``group['momentum']`` / ``group['betas']``)
works as with torch's optimizers.
"""

from __future__ import annotations

import math
from typing import Callable, Iterable, Iterator

import torch

__all__ = ["SGD", "AdaGrad", "RMSProp", "Adadelta", "Adam", "AMSGrad", "AdamW", "Adamax", "Nadam", "MemberSGD",
           "trajectory"]

SGD_FORMS = ("torch", "velocity")


# ----------------------------------------------------------------------------------------------------------
# argument checks (torch's messages, plus what is allowed)

def _check_nonnegative(what: str, value: float) -> None:
    if not (math.isfinite(value) and value >= 0.0):
        raise ValueError(f"Invalid {what}: {value} (must be a finite number >= 0)")


def _check_unit_interval(what: str, value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise ValueError(f"Invalid {what}: {value} (must be in [0, 1))")


def _check_betas(betas: tuple[float, float]) -> None:
    if len(betas) != 2:
        raise ValueError(f"Invalid betas: {betas} (must be a pair (beta1, beta2))")
    for i, beta in enumerate(betas):
        _check_unit_interval(f"beta parameter at index {i}", beta)


class _Optimizer(torch.optim.Optimizer):
    """The loop shared by every class: evaluate the closure, then visit each parameter that has a gradient."""

    def _evaluate(self, closure: Callable[[], torch.Tensor] | None) -> torch.Tensor | None:
        if closure is None:
            return None
        with torch.enable_grad():
            return closure()

    def _params_with_grad(self) -> Iterator[tuple[dict, torch.Tensor, dict]]:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
                yield group, p, self.state[p]


# ----------------------------------------------------------------------------------------------------------
# SGD

class SGD(_Optimizer):
    r"""Stochastic gradient descent with (heavy-ball or Nesterov) momentum and L2 weight decay.

    With :math:`g_t = \nabla f(\theta_{t-1}) + \lambda\theta_{t-1}`, ``form="torch"`` is PyTorch's
    formulation (``torch.optim.SGD`` with ``dampening=0``): a buffer sums the gradients and the learning
    rate multiplies the buffer when it is used,

    .. math::

        b_t = \mu\,b_{t-1} + g_t \quad (b_1 = g_1), \qquad
        \theta_t = \theta_{t-1} - \eta_t\,b_t, \qquad
        \text{Nesterov: } \theta_t = \theta_{t-1} - \eta_t\,(g_t + \mu\,b_t).

    ``form="velocity"`` is the CS231n formulation (``v = mu*v - lr*dx; x += v``, and for Nesterov
    ``v_prev = v; v = mu*v - lr*dx; x += -mu*v_prev + (1+mu)*v``): the learning rate goes *into* the
    velocity,

    .. math::

        v_t = \mu\,v_{t-1} - \eta_t\,g_t \quad (v_0 = 0), \qquad
        \theta_t = \theta_{t-1} + v_t, \qquad
        \text{Nesterov: } \theta_t = \theta_{t-1} - \mu\,v_{t-1} + (1 + \mu)\,v_t.

    **When the two forms agree.** For a constant learning rate :math:`v_t = -\eta\,b_t` by induction, so
    the two forms give the same trajectory, for heavy ball and for Nesterov alike (Nesterov's step
    :math:`-\mu v_{t-1} + (1+\mu)v_t = -\eta\,(b_t + \mu(b_t - b_{t-1})) = -\eta\,(g_t + \mu b_t)`).
    This holds even when the momentum :math:`\mu_t` changes between steps (cyclical momentum), because
    both forms use the current :math:`\mu_t` in the same places. They agree up to floating-point rounding,
    not bit for bit (in float64, within about 1e-13 relative after 200 steps).

    **When they differ.** When the learning rate changes, the velocity carries the old learning rates,
    :math:`v_t = -\sum_k \mu^{t-k}\eta_k g_k`, while PyTorch's step is :math:`-\eta_t \sum_k \mu^{t-k} g_k`:
    a new learning rate rescales the whole buffer at once. On :math:`f(x) = \tfrac12 a x^2` from
    :math:`x_0` with :math:`\eta_1` then :math:`\eta_2`, both forms give
    :math:`x_1 = (1 - \eta_1 a)x_0` (heavy ball) and then

    .. math::

        x_2^\text{velocity} - x_2^\text{torch} = \mu\,a\,x_0\,(\eta_2 - \eta_1)
        \quad\text{(heavy ball)}, \qquad
        x_2^\text{velocity} - x_2^\text{torch} = \mu^2\,a\,x_0\,(\eta_2 - \eta_1)
        \quad\text{(Nesterov)}.

    Sources: Polyak (1964) for the heavy ball, Sutskever et al. (2013) for Nesterov momentum in deep
    learning; the PyTorch documentation of ``torch.optim.SGD`` (its note on the formulation); CS231n,
    *Neural Networks Part 3* and the lecture *Training Neural Networks II* (2017) for the velocity form.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0, form: str = "torch") -> None:
        _check_nonnegative("learning rate", lr)
        _check_unit_interval("momentum value", momentum)
        _check_nonnegative("weight_decay value", weight_decay)
        if nesterov and momentum <= 0:
            raise ValueError(f"Nesterov momentum requires a momentum > 0, got momentum={momentum}")
        if form not in SGD_FORMS:
            raise ValueError(f"Unknown SGD form: {form!r} (allowed: {', '.join(map(repr, SGD_FORMS))})")
        defaults = dict(lr=lr, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay, form=form)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        loss = self._evaluate(closure)
        for group, p, state in self._params_with_grad():
            lr, mu, wd = group["lr"], group["momentum"], group["weight_decay"]
            g = p.grad
            if wd != 0:
                g = g.add(p, alpha=wd)                              # g ← g + λθ

            if group["form"] == "torch":
                if mu != 0:
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = g.detach().clone()  # b_1 = g_1
                    else:
                        state["momentum_buffer"].mul_(mu).add_(g)   # b ← μb + g
                    b = state["momentum_buffer"]
                    g = g.add(b, alpha=mu) if group["nesterov"] else b
                p.add_(g, alpha=-lr)                                # θ ← θ - η(b  or  g + μb)

            else:  # velocity
                if "velocity" not in state:
                    state["velocity"] = torch.zeros_like(p)         # v_0 = 0
                v = state["velocity"]
                if group["nesterov"]:
                    v_prev = v.clone()
                    v.mul_(mu).add_(g, alpha=-lr)                   # v ← μv - ηg
                    p.add_(v_prev, alpha=-mu).add_(v, alpha=1 + mu)  # θ ← θ - μ v_prev + (1+μ) v
                else:
                    v.mul_(mu).add_(g, alpha=-lr)                   # v ← μv - ηg
                    p.add_(v)                                       # θ ← θ + v
        return loss


# ----------------------------------------------------------------------------------------------------------
# per-coordinate learning rates

class AdaGrad(_Optimizer):
    r"""AdaGrad: divide each coordinate's step by the root of its summed squared gradients.

    .. math::

        g_t = \nabla f(\theta_{t-1}) + \lambda\theta_{t-1}, \qquad
        s_t = s_{t-1} + g_t^2 \quad (s_0 = 0), \qquad
        \theta_t = \theta_{t-1} - \eta\,\frac{g_t}{\sqrt{s_t} + \epsilon}.

    This is ``torch.optim.Adagrad`` with ``lr_decay=0`` and ``initial_accumulator_value=0``.

    Source: Duchi, Hazan & Singer, *Adaptive Subgradient Methods for Online Learning and Stochastic
    Optimization*, JMLR 2011; PyTorch documentation of ``torch.optim.Adagrad``.
    """

    def __init__(self, params: Iterable, lr: float = 0.01, eps: float = 1e-10, weight_decay: float = 0.0) -> None:
        _check_nonnegative("learning rate", lr)
        _check_nonnegative("epsilon value", eps)
        _check_nonnegative("weight_decay value", weight_decay)
        super().__init__(params, dict(lr=lr, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        loss = self._evaluate(closure)
        for group, p, state in self._params_with_grad():
            lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
            if not state:
                state["step"] = 0
                state["sum"] = torch.zeros_like(p)
            state["step"] += 1
            g = p.grad
            if wd != 0:
                g = g.add(p, alpha=wd)                              # g ← g + λθ
            s = state["sum"]
            s.addcmul_(g, g, value=1)                               # s ← s + g²
            std = s.sqrt().add_(eps)                                # √s + ε
            p.addcdiv_(g, std, value=-lr)                           # θ ← θ - η g / (√s + ε)
        return loss


class RMSProp(_Optimizer):
    r"""RMSProp: divide each coordinate's step by the root of a moving average of squared gradients.

    .. math::

        g_t = \nabla f(\theta_{t-1}) + \lambda\theta_{t-1}, \qquad
        s_t = \alpha\,s_{t-1} + (1 - \alpha)\,g_t^2 \quad (s_0 = 0), \qquad
        \theta_t = \theta_{t-1} - \eta\,\frac{g_t}{\sqrt{s_t} + \epsilon}.

    This is ``torch.optim.RMSprop`` with ``momentum=0`` and ``centered=False``.

    Source: Tieleman & Hinton, *Neural Networks for Machine Learning*, Coursera lecture 6.5 (2012);
    PyTorch documentation of ``torch.optim.RMSprop``.
    """

    def __init__(self, params: Iterable, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        _check_nonnegative("learning rate", lr)
        _check_unit_interval("alpha value", alpha)
        _check_nonnegative("epsilon value", eps)
        _check_nonnegative("weight_decay value", weight_decay)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        loss = self._evaluate(closure)
        for group, p, state in self._params_with_grad():
            lr, alpha, eps, wd = group["lr"], group["alpha"], group["eps"], group["weight_decay"]
            if not state:
                state["step"] = 0
                state["square_avg"] = torch.zeros_like(p)
            state["step"] += 1
            g = p.grad
            if wd != 0:
                g = g.add(p, alpha=wd)                              # g ← g + λθ
            s = state["square_avg"]
            s.mul_(alpha).addcmul_(g, g, value=1 - alpha)           # s ← αs + (1-α)g²
            avg = s.sqrt().add_(eps)                                # √s + ε
            p.addcdiv_(g, avg, value=-lr)                           # θ ← θ - η g / (√s + ε)
        return loss


class Adadelta(_Optimizer):
    r"""Adadelta: RMSProp whose step is rescaled by a moving RMS of past updates ("units correction").

    .. math::

        g_t &= \nabla f(\theta_{t-1}) + \lambda\theta_{t-1}, \\
        s_t &= \rho\,s_{t-1} + (1 - \rho)\,g_t^2, \\
        \Delta_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{s_t + \epsilon}}\,g_t, \\
        u_t &= \rho\,u_{t-1} + (1 - \rho)\,\Delta_t^2, \\
        \theta_t &= \theta_{t-1} - \eta\,\Delta_t \qquad (s_0 = u_0 = 0).

    Zeiler's method has no learning rate (:math:`\eta = 1`, torch's default).

    Source: Zeiler, *ADADELTA: An Adaptive Learning Rate Method*, arXiv:1212.5701 (2012), Algorithm 1;
    PyTorch documentation of ``torch.optim.Adadelta``.
    """

    def __init__(self, params: Iterable, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0) -> None:
        _check_nonnegative("learning rate", lr)
        _check_unit_interval("rho value", rho)
        _check_nonnegative("epsilon value", eps)
        _check_nonnegative("weight_decay value", weight_decay)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        loss = self._evaluate(closure)
        for group, p, state in self._params_with_grad():
            lr, rho, eps, wd = group["lr"], group["rho"], group["eps"], group["weight_decay"]
            if not state:
                state["step"] = 0
                state["square_avg"] = torch.zeros_like(p)
                state["acc_delta"] = torch.zeros_like(p)
            state["step"] += 1
            g = p.grad
            if wd != 0:
                g = g.add(p, alpha=wd)                              # g ← g + λθ
            s, u = state["square_avg"], state["acc_delta"]
            s.mul_(rho).addcmul_(g, g, value=1 - rho)               # s ← ρs + (1-ρ)g²
            std = s.add(eps).sqrt_()                                # √(s + ε)
            delta = u.add(eps).sqrt_()                              # √(u + ε)
            delta.div_(std).mul_(g)                                 # Δ = √(u + ε) / √(s + ε) · g
            u.mul_(rho).addcmul_(delta, delta, value=1 - rho)       # u ← ρu + (1-ρ)Δ²
            p.add_(delta, alpha=-lr)                                # θ ← θ - ηΔ
        return loss


# ----------------------------------------------------------------------------------------------------------
# Adam family

class Adam(_Optimizer):
    r"""Adam: momentum (first moment) divided by the root of the second moment, both bias-corrected.

    .. math::

        g_t &= \nabla f(\theta_{t-1}) + \lambda\theta_{t-1}, \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\,g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2)\,g_t^2 \qquad (m_0 = v_0 = 0), \\
        \theta_t &= \theta_{t-1} - \frac{\eta}{1 - \beta_1^t}\,
                    \frac{m_t}{\sqrt{v_t}\,/\sqrt{1 - \beta_2^t} + \epsilon}.

    ``bias_correction=False`` drops both factors :math:`1/(1-\beta^t)` (the CS231n lecture's "Adam without
    bias correction"): :math:`\theta_t = \theta_{t-1} - \eta\,m_t / (\sqrt{v_t} + \epsilon)`. Since
    :math:`m_1 = (1-\beta_1)g_1` and :math:`v_1 = (1-\beta_2)g_1^2`, its first step is then
    :math:`\eta\,(1-\beta_1)/\sqrt{1-\beta_2} \approx 3.16\,\eta` per coordinate with the default betas,
    where bias-corrected Adam steps by :math:`\eta`.

    ``amsgrad=True`` (AMSGrad) normalises by the running maximum :math:`\hat v_t = \max(\hat v_{t-1}, v_t)`
    instead of :math:`v_t`. As in torch, the maximum is taken over the *uncorrected* :math:`v_t` and the
    bias correction is applied to the maximum afterwards:
    :math:`\theta_t = \theta_{t-1} - \frac{\eta}{1 - \beta_1^t}\,m_t / (\sqrt{\hat v_t}/\sqrt{1-\beta_2^t} + \epsilon)`.

    Weight decay is L2, coupled into the gradient (``torch.optim.Adam``); see :class:`AdamW` for the
    decoupled kind.

    Source: Kingma & Ba, *Adam: A Method for Stochastic Optimization*, ICLR 2015 (Algorithm 1, with
    :math:`\epsilon` added to the corrected root as in torch); Reddi, Kale & Kumar, *On the Convergence of
    Adam and Beyond*, ICLR 2018 (AMSGrad); PyTorch documentation of ``torch.optim.Adam``; CS231n lecture
    *Training Neural Networks II* (2017) for the form without bias correction.
    """

    decoupled_weight_decay = False

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False,
                 bias_correction: bool = True) -> None:
        _check_nonnegative("learning rate", lr)
        _check_nonnegative("epsilon value", eps)
        _check_betas(betas)
        _check_nonnegative("weight_decay value", weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        bias_correction=bias_correction)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        loss = self._evaluate(closure)
        for group, p, state in self._params_with_grad():
            lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            if not state:
                state["step"] = 0
                state["exp_avg"] = torch.zeros_like(p)
                state["exp_avg_sq"] = torch.zeros_like(p)
                if group["amsgrad"]:
                    state["max_exp_avg_sq"] = torch.zeros_like(p)
            state["step"] += 1
            t = state["step"]
            g = p.grad
            if wd != 0:
                if self.decoupled_weight_decay:
                    p.mul_(1 - lr * wd)                             # θ ← (1 - ηλ)θ        (AdamW)
                else:
                    g = g.add(p, alpha=wd)                          # g ← g + λθ           (Adam)

            m, v = state["exp_avg"], state["exp_avg_sq"]
            m.lerp_(g, 1 - beta1)                                   # m ← β₁m + (1-β₁)g
            v.mul_(beta2).addcmul_(g, g, value=1 - beta2)           # v ← β₂v + (1-β₂)g²

            if group["bias_correction"]:
                bias_correction1, bias_correction2 = 1 - beta1 ** t, 1 - beta2 ** t
            else:
                bias_correction1, bias_correction2 = 1.0, 1.0
            step_size = lr / bias_correction1                       # η / (1 - β₁ᵗ)
            if group["amsgrad"]:
                v_max = state["max_exp_avg_sq"]
                torch.maximum(v_max, v, out=v_max)                  # v̂ ← max(v̂, v)
                v = v_max
            denom = (v.sqrt() / bias_correction2 ** 0.5).add_(eps)  # √v / √(1 - β₂ᵗ) + ε
            p.addcdiv_(m, denom, value=-step_size)                  # θ ← θ - step_size · m / denom
        return loss


class AMSGrad(Adam):
    r"""AMSGrad: :class:`Adam` with ``amsgrad=True`` (Reddi, Kale & Kumar, ICLR 2018), i.e. the step is
    normalised by the running maximum of the second moment, :math:`\hat v_t = \max(\hat v_{t-1}, v_t)`,
    so that the effective per-coordinate learning rate never increases."""

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = True,
                 bias_correction: bool = True) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, bias_correction)


class AdamW(Adam):
    r"""AdamW: :class:`Adam` with decoupled weight decay — the parameters shrink by :math:`(1 - \eta\lambda)`
    before the Adam step, instead of :math:`\lambda\theta` being added to the gradient:

    .. math::

        \theta_{t-1} &\leftarrow (1 - \eta\lambda)\,\theta_{t-1}, \qquad g_t = \nabla f(\theta_{t-1}), \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\,g_t, \qquad v_t = \beta_2 v_{t-1} + (1 - \beta_2)\,g_t^2, \\
        \theta_t &= \theta_{t-1} - \frac{\eta}{1 - \beta_1^t}\,
                    \frac{m_t}{\sqrt{v_t}\,/\sqrt{1 - \beta_2^t} + \epsilon}

    (the gradient is the one computed at the undecayed parameters, as in torch). With L2 decay inside Adam
    the decay is divided by :math:`\sqrt{v_t}` like the gradient; decoupled, every weight decays at the
    same relative rate :math:`\eta\lambda`.

    Source: Loshchilov & Hutter, *Decoupled Weight Decay Regularization*, ICLR 2019 (Algorithm 2, with
    the schedule multiplier folded into :math:`\eta`, as torch does); PyTorch documentation of
    ``torch.optim.AdamW``.
    """

    decoupled_weight_decay = True

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


class Adamax(_Optimizer):
    r"""Adamax: Adam with the second moment replaced by an exponentially weighted infinity norm.

    .. math::

        g_t &= \nabla f(\theta_{t-1}) + \lambda\theta_{t-1}, \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\,g_t, \qquad
        u_t = \max(\beta_2 u_{t-1},\; |g_t| + \epsilon) \qquad (m_0 = u_0 = 0), \\
        \theta_t &= \theta_{t-1} - \frac{\eta}{1 - \beta_1^t}\,\frac{m_t}{u_t}.

    The :math:`\epsilon` sits inside the maximum, as in torch (the paper has
    :math:`u_t = \max(\beta_2 u_{t-1}, |g_t|)` and no :math:`\epsilon`); it only matters while
    :math:`u_t` would be 0.

    Source: Kingma & Ba, *Adam: A Method for Stochastic Optimization*, ICLR 2015, §7.1 (Algorithm 2);
    PyTorch documentation of ``torch.optim.Adamax``.
    """

    def __init__(self, params: Iterable, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        _check_nonnegative("learning rate", lr)
        _check_nonnegative("epsilon value", eps)
        _check_betas(betas)
        _check_nonnegative("weight_decay value", weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        loss = self._evaluate(closure)
        for group, p, state in self._params_with_grad():
            lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            if not state:
                state["step"] = 0
                state["exp_avg"] = torch.zeros_like(p)
                state["exp_inf"] = torch.zeros_like(p)
            state["step"] += 1
            t = state["step"]
            g = p.grad
            if wd != 0:
                g = g.add(p, alpha=wd)                              # g ← g + λθ
            m, u = state["exp_avg"], state["exp_inf"]
            m.lerp_(g, 1 - beta1)                                   # m ← β₁m + (1-β₁)g
            torch.maximum(u.mul_(beta2), g.abs().add_(eps), out=u)  # u ← max(β₂u, |g| + ε)
            step_size = lr / (1 - beta1 ** t)                       # η / (1 - β₁ᵗ)
            p.addcdiv_(m, u, value=-step_size)                      # θ ← θ - step_size · m / u
        return loss


def _scalar_dtype() -> torch.dtype:
    # torch keeps NAdam's running product of momenta in a 0-dim tensor of this dtype (float32 unless the
    # default dtype is float64); we keep it the same way so that its rounding, too, is torch's.
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32


class Nadam(_Optimizer):
    r"""Nadam: Adam with Nesterov momentum — the step looks ahead by using the *next* momentum
    coefficient on :math:`m_t` and the current one on :math:`g_t`.

    With the momentum schedule :math:`\mu_t = \beta_1\,(1 - \tfrac12\,0.96^{t\psi})`
    (:math:`\psi` = ``momentum_decay``) and :math:`\Pi_t = \prod_{i \le t} \mu_i`:

    .. math::

        g_t &= \nabla f(\theta_{t-1}) + \lambda\theta_{t-1}, \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\,g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2)\,g_t^2 \qquad (m_0 = v_0 = 0), \\
        \theta_t &= \theta_{t-1}
            - \eta\,\frac{1 - \mu_t}{1 - \Pi_t}\,\frac{g_t}{\sqrt{v_t/(1 - \beta_2^t)} + \epsilon}
            - \eta\,\frac{\mu_{t+1}}{1 - \Pi_{t+1}}\,\frac{m_t}{\sqrt{v_t/(1 - \beta_2^t)} + \epsilon}.

    This is ``torch.optim.NAdam`` (with ``decoupled_weight_decay=False``); :math:`\Pi_t` is kept, as in
    torch, in a 0-dim tensor (state ``mu_product``).

    Source: Dozat, *Incorporating Nesterov Momentum into Adam*, ICLR 2016 workshop (Algorithm 2, whose
    momentum schedule uses :math:`\psi = 0.004`); PyTorch documentation of ``torch.optim.NAdam``.
    """

    def __init__(self, params: Iterable, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum_decay: float = 4e-3) -> None:
        _check_nonnegative("learning rate", lr)
        _check_nonnegative("epsilon value", eps)
        _check_betas(betas)
        _check_nonnegative("weight_decay value", weight_decay)
        _check_nonnegative("momentum_decay value", momentum_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        loss = self._evaluate(closure)
        for group, p, state in self._params_with_grad():
            lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            psi = group["momentum_decay"]
            if not state:
                state["step"] = 0
                state["mu_product"] = torch.tensor(1.0, dtype=_scalar_dtype())
                state["exp_avg"] = torch.zeros_like(p)
                state["exp_avg_sq"] = torch.zeros_like(p)
            state["step"] += 1
            t = state["step"]
            g = p.grad
            if wd != 0:
                g = g.add(p, alpha=wd)                              # g ← g + λθ

            mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))            # μ_t
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))  # μ_{t+1}
            state["mu_product"] *= mu                               # Π_t = Π_{t-1} μ_t
            mu_product = state["mu_product"].item()
            mu_product_next = mu_product * mu_next                  # Π_{t+1}

            m, v = state["exp_avg"], state["exp_avg_sq"]
            m.lerp_(g, 1 - beta1)                                   # m ← β₁m + (1-β₁)g
            v.mul_(beta2).addcmul_(g, g, value=1 - beta2)           # v ← β₂v + (1-β₂)g²
            denom = v.div(1 - beta2 ** t).sqrt().add_(eps)          # √(v / (1 - β₂ᵗ)) + ε
            p.addcdiv_(g, denom, value=-lr * (1.0 - mu) / (1.0 - mu_product))
            p.addcdiv_(m, denom, value=(-lr * mu_next) / (1.0 - mu_product_next))
        return loss


# ----------------------------------------------------------------------------------------------------------
# many runs' SGD in one optimizer (stacked runs)

class MemberSGD(_Optimizer):
    r""":class:`SGD` (PyTorch's form, ``dampening=0``) for the parameters of :mod:`hp_lib.stacked` models, whose
    first dimension holds ``members`` runs one after the other: every member has its own learning rate
    :math:`\eta_k`, momentum :math:`\mu_k` and weight decay :math:`\lambda_k` (tensors of ``members`` values),
    times its parameter group's ``lr_mult`` and ``decay_mult``; each member's update is the one
    ``torch.optim.SGD`` makes for its own run,

    .. math::

        g = \nabla f + \lambda_k\,\theta, \qquad b \leftarrow \mu_k\,b + g, \qquad
        \theta \leftarrow \theta - \eta_k\,(g + \mu_k b \;\text{(Nesterov)}\;\text{or}\; b).

    As torch's, a member whose momentum is 0 at a step leaves its buffer as it is and steps by :math:`g`.
    ``set(lr=..., momentum=...)`` changes the members' values (schedules); a member with learning rate 0 and
    no momentum stays where it is (a frozen member).
    """

    def __init__(self, params: Iterable, members: int, lr: torch.Tensor, momentum: torch.Tensor,
                 weight_decay: torch.Tensor, nesterov: bool = False) -> None:
        super().__init__(params, dict(lr_mult=1.0, decay_mult=1.0))
        self.members, self.nesterov = members, nesterov
        device = self.param_groups[0]["params"][0].device  # the values live with the parameters
        self.lr, self.momentum, self.weight_decay = (torch.as_tensor(v, dtype=torch.float32).to(device).clone()
                                                     for v in (lr, momentum, weight_decay))
        for name, values in (("lr", self.lr), ("momentum", self.momentum), ("weight_decay", self.weight_decay)):
            if values.shape != (members,):
                raise ValueError(f"{name} needs one value per member ({members}), got shape {tuple(values.shape)}")

    def set(self, lr=None, momentum=None) -> None:
        """New values of the members' learning rates or momenta (sequences of ``members`` numbers)."""
        if lr is not None:
            self.lr.copy_(torch.as_tensor(lr, dtype=torch.float32))
        if momentum is not None:
            self.momentum.copy_(torch.as_tensor(momentum, dtype=torch.float32))

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        loss = self._evaluate(closure)
        moving = bool((self.momentum != 0).all())  # else: the members at momentum 0 step by g, buffers kept
        for group, p, state in self._params_with_grad():
            # views with the members on their own first axis: (K, block, ...); values broadcast over them
            theta, grad = p.unflatten(0, (self.members, -1)), p.grad.unflatten(0, (self.members, -1))
            per_member = (self.members,) + (1,) * (theta.dim() - 1)
            lr = (self.lr * group["lr_mult"]).to(p).view(per_member)
            mu = self.momentum.to(p).view(per_member)
            g = grad + (self.weight_decay * group["decay_mult"]).to(p).view(per_member) * theta  # g ← ∇f + λθ
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = torch.zeros_like(theta)
            b = state["momentum_buffer"]
            if moving:
                b.mul_(mu).add_(g)                                  # b ← μb + g (first step: b = g)
            else:
                keep = (mu != 0).expand_as(b)
                b.copy_(torch.where(keep, mu * b + g, b))
            d = g + mu * b if self.nesterov else b                  # Nesterov: g + μb
            if not moving:
                d = torch.where((mu != 0).expand_as(d), d, g)
            theta.sub_(lr * d)                                      # θ ← θ - η·d
        return loss


# ----------------------------------------------------------------------------------------------------------
# paths on functions of two variables

def trajectory(optimizer_factory: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
               f: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], start: tuple[float, float],
               steps: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Run ``optimizer_factory([xy])`` for ``steps`` steps on ``f(x, y)`` from ``start`` and return the path,
    a ``(steps + 1, 2)`` tensor whose first row is ``start``.

    ``f`` takes two tensors and is written with torch operations, so the same function can be evaluated on
    a meshgrid for the contour plot, e.g. ``trajectory(lambda p: Adam(p, lr=0.1), rosenbrock, (-1, 1), 200)``.
    """
    xy = torch.tensor(start, dtype=dtype, requires_grad=True)
    optimizer = optimizer_factory([xy])

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = f(xy[0], xy[1])
        loss.backward()
        return loss

    path = [xy.detach().clone()]
    for _ in range(steps):
        optimizer.step(closure)
        path.append(xy.detach().clone())
    return torch.stack(path)
