"""Adagrad (given library code, beside module 11's Adam), as `torch.optim.Adagrad`.

PyTorch's update rule, per parameter p with gradient g at step t = 1, 2, ...:

    g = g + weight_decay * p                         (if weight_decay != 0)
    clr = lr / (1 + (t - 1) * lr_decay)
    s = s + g * g                                    (sum: every squared gradient so far)
    p = p - clr * g / (sqrt(s) + eps)

The sum only grows, so every weight's step size only shrinks: good for sparse
features, too cautious for long training (RMSprop and Adam forget old
gradients instead). State per parameter, under PyTorch's names: "step" (an
int) and "sum" (1x the parameter bytes). As PyTorch, the constructor creates
the state of every parameter (step 0, sum = initial_accumulator_value).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from tinytorch.core import Tensor
from tinytorch.train.optim.optimizer import Optimizer, ParamGroup, Params, mark_updated, require


class Adagrad(Optimizer):
    """`Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10)`.

    Raises ValueError for lr, lr_decay, weight_decay, initial_accumulator_value
    or eps < 0 (PyTorch's checks).
    """

    state_spec: ClassVar[dict[str, str]] = {"step": "count", "sum": "array"}

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def required_state(self, group: ParamGroup) -> set[str]:
        return {"step", "sum"}

    def check_group(self, group: ParamGroup) -> None:
        for key in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            group[key] = float(group[key])
            require(self.name, key, group[key], group[key] >= 0, f"{key} >= 0")

    def _init_state(self, p: Tensor, group: ParamGroup) -> dict[str, Any]:
        state = self.state.setdefault(p, {})
        if not state:
            state.update(step=0, sum=np.full_like(p.data, group["initial_accumulator_value"]))
        return state

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient (in place, no graph)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self._init_state(p, group)  # a group added later, or a state dict without it
                state["step"] += 1
                adagrad_update(p.data, p.grad.data, state, group)
        mark_updated(self.param_groups)  # in place: graphs that saved them are stale
        return loss


def adagrad_update(param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
    """The Adagrad rule for one parameter array at step state["step"] (already counted),
    in place on `param` and state["sum"], in torch's operation order."""
    if group["weight_decay"] != 0:
        grad = grad + group["weight_decay"] * param
    clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
    total = state["sum"]
    total += grad * grad
    std = np.sqrt(total)
    std += group["eps"]
    param -= clr * (grad / std)
