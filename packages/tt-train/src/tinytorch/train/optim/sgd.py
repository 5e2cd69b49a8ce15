"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay (module 07).

PyTorch's update rule, per parameter p with gradient g (`torch.optim.SGD`):

    g = g + weight_decay * p                       (if weight_decay != 0)
    b = g                                          (first step: the buffer starts as a copy of g)
    b = momentum * b + (1 - dampening) * g         (later steps)
    g = g + momentum * b  if nesterov  else  b     (if momentum != 0)
    p = p - lr * g

State: plain SGD keeps none; with momentum, one buffer per parameter (1x the
parameter bytes), updated in place. `step()` is the rule on whole arrays: a
plain or momentum step holds one parameter-sized temporary at a time
(`lr * d_p`); weight decay and Nesterov add two for their sums.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from tinytorch.train.optim.optimizer import Optimizer, ParamGroup, Params, mark_updated, require


class SGD(Optimizer):
    """`SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False)`.

    Raises ValueError for lr <= 0, momentum / dampening outside [0, 1),
    weight_decay < 0, or nesterov without momentum (or with dampening).
    """

    state_spec: ClassVar[dict[str, str]] = {"momentum_buffer": "array"}

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov
        )
        super().__init__(params, defaults)

    def check_group(self, group: ParamGroup) -> None:
        for key in ("lr", "momentum", "dampening", "weight_decay"):
            group[key] = float(group[key])
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        require("SGD", "lr", lr, lr > 0, "lr > 0")
        require("SGD", "momentum", momentum, 0 <= momentum < 1, "0 <= momentum < 1")
        require("SGD", "dampening", dampening, 0 <= dampening < 1, "0 <= dampening < 1")
        require("SGD", "weight_decay", group["weight_decay"], group["weight_decay"] >= 0, "weight_decay >= 0")
        group["nesterov"] = bool(group["nesterov"])
        ok = not group["nesterov"] or (momentum > 0 and dampening == 0)
        require("SGD", "nesterov", True, ok, "momentum > 0 and dampening == 0 with nesterov=True")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient (in place, no graph)."""
        loss = self._closure_loss(closure)
        ### BEGIN SOLUTION 07
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                d_p = p.grad.data  # (shape of p)
                if group["weight_decay"] != 0:
                    d_p = d_p + group["weight_decay"] * p.data
                if momentum != 0:
                    state = self.state.setdefault(p, {})
                    if "momentum_buffer" not in state:
                        buf = state["momentum_buffer"] = d_p.copy()
                    else:
                        buf = state["momentum_buffer"]
                        buf *= momentum  # in place, as torch's buf.mul_(momentum).add_(...)
                        buf += (1 - dampening) * d_p
                    d_p = d_p + momentum * buf if group["nesterov"] else buf
                p.data -= lr * d_p
        ### END SOLUTION
        mark_updated(self.param_groups)  # in place: graphs that saved them are stale
        return loss
