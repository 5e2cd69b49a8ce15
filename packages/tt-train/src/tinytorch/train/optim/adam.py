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
with amsgrad "max_exp_avg_sq": exactly 2x (3x) the parameter bytes. An update
uses one parameter-sized scratch array for every intermediate (Adam with L2
weight decay one more, for g + weight_decay * p). `adam_update` is the
arithmetic for one array; a large parameter is updated in one slice per core
(`for_each_slice`), since a NumPy ufunc uses a single core.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar

import numpy as np

from tinytorch.train.optim.optimizer import (
    Optimizer,
    ParamGroup,
    Params,
    for_each_slice,
    mark_updated,
    require,
)


class Adam(Optimizer):
    """`Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False)`.

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
    ) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        super().__init__(params, defaults)

    def check_group(self, group: ParamGroup) -> None:
        ### BEGIN SOLUTION 11
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
        ### END SOLUTION

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient (in place, no graph)."""
        loss = self._closure_loss(closure)
        ### BEGIN SOLUTION 11
        for group in self.param_groups:
            lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.setdefault(p, {})
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = np.zeros_like(p.data)
                    state["exp_avg_sq"] = np.zeros_like(p.data)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = np.zeros_like(p.data)
                state["step"] += 1
                step = state["step"]

                grad = p.grad.data
                if weight_decay != 0 and not self.decoupled_weight_decay:
                    grad = np.multiply(p.data, weight_decay)  # Adam's L2 term: g + weight_decay * p
                    grad += p.grad.data
                decay = 1 - lr * weight_decay if self.decoupled_weight_decay else 1.0
                bias_correction1 = 1 - beta1**step
                bias_correction2_sqrt = (1 - beta2**step) ** 0.5
                arrays = [p.data, grad, state["exp_avg"], state["exp_avg_sq"], state.get("max_exp_avg_sq")]
                scratch = np.empty_like(p.data)  # the one temporary: every intermediate reuses it
                update = partial(
                    adam_update,
                    decay=decay,
                    beta1=beta1,
                    beta2=beta2,
                    eps=eps,
                    step_size=lr / bias_correction1,
                    bias_correction2_sqrt=bias_correction2_sqrt,
                )
                for_each_slice(update, [*arrays, scratch])  # large parameters: one slice per core
        ### END SOLUTION
        mark_updated(self.param_groups)  # in place: graphs that saved them are stale
        return loss


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
    ) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)


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
    """The Adam update of one parameter (or one slice of it), in place, in PyTorch's order.

    `scratch` (same shape) holds every intermediate; `decay` is AdamW's
    1 - lr * weight_decay (1.0: none); `max_exp_avg_sq` is None without amsgrad.
    """
    ### BEGIN SOLUTION 11
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
    ### END SOLUTION
