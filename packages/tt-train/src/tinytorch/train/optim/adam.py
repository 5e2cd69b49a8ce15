"""Adam and AdamW (module 11).

PyTorch's update rule (`torch.optim.Adam` / `AdamW`), per parameter p with
gradient g at step t = 1, 2, ...:

    p = p * (1 - lr * weight_decay)                  (AdamW: decoupled weight decay)
    g = g + weight_decay * p                         (Adam: L2 penalty folded into g)
    m = m + (1 - beta1) * (g - m)                    (first moment, a running mean of g)
    v = beta2 * v + (1 - beta2) * g * g              (second moment, a running mean of g^2)
    v_max = max(v_max, v)                            (amsgrad only; then used instead of v)
    denom = sqrt(v) / sqrt(1 - beta2^t) + eps        (bias-corrected, eps outside the sqrt)
    p = p - lr / (1 - beta1^t) * m / denom

State per parameter: "step" (an int), "exp_avg" (m) and "exp_avg_sq" (v), and
with amsgrad "max_exp_avg_sq": exactly 2x (3x) the parameter bytes.

Two versions of `step()`: the rule in whole-array NumPy (the default, what a
student writes; a warm step holds up to 3 parameter-sized temporaries), and
`fused=True`, given code tested equal to it: `adam_update` writes every
intermediate into one scratch array, and `for_each_slice` updates a large
parameter in one slice per core (a NumPy ufunc uses one core). It matters for
one large parameter only (1M float32: guide 11 §3); a TinyGPT or MNIST step
takes the same time either way.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from tinytorch.core import Tensor
from tinytorch.train.optim.optimizer import (
    Optimizer,
    ParamGroup,
    Params,
    for_each_slice,
    mark_updated,
    require,
)


class Adam(Optimizer):
    """`Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, fused=False)`.

    `fused=True`: the same rule with one scratch array and a slice per core for
    large parameters (`adam_update`; results equal to float rounding).
    Raises ValueError for lr <= 0, betas outside [0, 1), eps < 0, weight_decay < 0.
    """

    decoupled_weight_decay = False  # AdamW: True
    state_spec: ClassVar[dict[str, str]] = {
        "step": "count",
        "exp_avg": "array",
        "exp_avg_sq": "array",
        "max_exp_avg_sq": "array",
    }

    def required_state(self, group: ParamGroup) -> set[str]:
        return {"step", "exp_avg", "exp_avg_sq"} | ({"max_exp_avg_sq"} if group["amsgrad"] else set())

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        fused: bool = False,
    ) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        super().__init__(params, defaults)
        self.fused = bool(fused)  # an attribute, not a hyperparameter: checkpoints don't hold it

    def check_group(self, group: ParamGroup) -> None:
        name = self.name
        for key in ("lr", "eps", "weight_decay"):
            group[key] = float(group[key])
        require(name, "lr", group["lr"], group["lr"] > 0, "lr > 0")
        require(name, "eps", group["eps"], group["eps"] >= 0, "eps >= 0")
        require(name, "weight_decay", group["weight_decay"], group["weight_decay"] >= 0, "weight_decay >= 0")
        betas = group["betas"]
        require(name, "betas", betas, len(betas) == 2, "a pair (beta1, beta2)")
        beta1, beta2 = float(betas[0]), float(betas[1])
        require(name, "betas", betas, 0 <= beta1 < 1 and 0 <= beta2 < 1, "0 <= beta1, beta2 < 1")
        group["betas"] = (beta1, beta2)
        group["amsgrad"] = bool(group["amsgrad"])

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient (in place, no graph)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.setdefault(p, {})
                if not state:  # first step: m and v (and v_max), zeros of p's shape
                    state.update(step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = np.zeros_like(p.data)
                state["step"] += 1
                if self.fused:
                    self._fused_update(p, p.grad.data, state, group)
                else:
                    self.update(p, p.grad.data, state, group)
        mark_updated(self.param_groups)  # in place: graphs that saved them are stale
        return loss

    def update(self, p: Tensor, g: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        """The rule for one parameter `p` with gradient `g` (p's shape), at step t = state["step"]
        (already counted): changes `p.data` and the moments in `state` in place."""
        ### BEGIN SOLUTION 11
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        if self.decoupled_weight_decay:
            p.data *= 1 - lr * weight_decay  # AdamW
        elif weight_decay != 0:
            g = g + weight_decay * p.data  # Adam: L2 penalty
        m += (1 - beta1) * (g - m)  # m, v change in place: they are the state
        v *= beta2
        v += (1 - beta2) * (g * g)
        if group["amsgrad"]:
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        denom = np.sqrt(v) / math.sqrt(1 - beta2**t) + eps
        p.data -= lr / (1 - beta1**t) * m / denom
        ### END SOLUTION

    def _fused_update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        """`update` with `fused=True`: one `adam_update` call, in slices for a large `p`."""
        t, (beta1, beta2) = state["step"], group["betas"]
        lr, decay = group["lr"], group["weight_decay"]
        if decay != 0 and not self.decoupled_weight_decay:
            grad = grad + decay * p.data
        arrays = [p.data, grad, state["exp_avg"], state["exp_avg_sq"], state.get("max_exp_avg_sq")]
        for_each_slice(
            adam_update,
            [*arrays, np.empty_like(p.data)],  # the scratch array, sliced as the others
            decay=1 - lr * decay if self.decoupled_weight_decay else 1.0,
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            step_size=lr / (1 - beta1**t),
            bias_correction2_sqrt=math.sqrt(1 - beta2**t),
        )


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): `p *= 1 - lr * weight_decay`
    before the Adam update, instead of adding `weight_decay * p` to the gradient.

    `AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False)`
    (PyTorch's defaults: note weight_decay 0.01).
    """

    decoupled_weight_decay = True

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        fused: bool = False,
    ) -> None:
        super().__init__(
            params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, fused=fused
        )


def adam_update(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    max_exp_avg_sq: np.ndarray | None,
    scratch: np.ndarray,
    *,
    decay: float,
    beta1: float,
    beta2: float,
    eps: float,
    step_size: float,
    bias_correction2_sqrt: float,
) -> None:
    """The Adam update of one parameter (or one slice of it), in place: `Adam(fused=True)`.

    Every array has the parameter's shape; `scratch` holds every intermediate,
    so nothing else is allocated. `decay` is AdamW's 1 - lr * weight_decay
    (1.0: none); `max_exp_avg_sq` is None without amsgrad.
    """
    if decay != 1.0:
        param *= decay
    np.subtract(grad, exp_avg, out=scratch)
    scratch *= 1 - beta1
    exp_avg += scratch  # m = m + (1 - beta1)(g - m): torch's lerp_
    exp_avg_sq *= beta2
    np.multiply(grad, grad, out=scratch)
    scratch *= 1 - beta2
    exp_avg_sq += scratch  # v = beta2 v + (1 - beta2) g^2
    second = exp_avg_sq
    if max_exp_avg_sq is not None:  # amsgrad: the largest v so far
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        second = max_exp_avg_sq
    np.sqrt(second, out=scratch)
    scratch /= bias_correction2_sqrt
    scratch += eps  # denom = sqrt(v) / sqrt(1 - beta2^t) + eps
    np.divide(exp_avg, scratch, out=scratch)
    scratch *= -step_size
    param += scratch  # p = p - lr / (1 - beta1^t) * m / denom
