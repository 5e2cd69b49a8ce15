"""RMSprop (given library code, beside module 11's Adam), as `torch.optim.RMSprop`.

PyTorch's update rule, per parameter p with gradient g at step t = 1, 2, ...:

    g = g + weight_decay * p                         (if weight_decay != 0)
    v = alpha * v + (1 - alpha) * g * g              (square_avg: running mean of g^2)
    m = m + (1 - alpha) * (g - m)                    (grad_avg, centered only: running mean of g)
    avg = sqrt(v - m * m) + eps  if centered  else  sqrt(v) + eps
    b = momentum * b + g / avg;  p = p - lr * b      (momentum > 0: momentum_buffer)
    p = p - lr * g / avg                             (momentum == 0)

No bias correction (unlike Adam): v starts at zero, so early steps are large.
State per parameter, under PyTorch's names: "step" (an int), "square_avg",
and "momentum_buffer" (momentum > 0) and "grad_avg" (centered): 1x to 3x the
parameter bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from tinytorch.train.optim.optimizer import Optimizer, ParamGroup, Params, mark_updated, require


class RMSprop(Optimizer):
    """`RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False)`.

    Raises ValueError for lr, alpha, eps, weight_decay or momentum < 0 (PyTorch's checks).
    """

    state_spec: ClassVar[dict[str, str]] = {
        "step": "count",
        "square_avg": "array",
        "momentum_buffer": "array",
        "grad_avg": "array",
    }

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered
        )
        super().__init__(params, defaults)

    def required_state(self, group: ParamGroup) -> set[str]:
        needed = {"step", "square_avg"}
        if group["momentum"] > 0:
            needed.add("momentum_buffer")
        if group["centered"]:
            needed.add("grad_avg")
        return needed

    def check_group(self, group: ParamGroup) -> None:
        for key in ("lr", "alpha", "eps", "weight_decay", "momentum"):
            group[key] = float(group[key])
            require(self.name, key, group[key], group[key] >= 0, f"{key} >= 0")
        group["centered"] = bool(group["centered"])

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient (in place, no graph)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.setdefault(p, {})
                if not state:
                    state.update(step=0, square_avg=np.zeros_like(p.data))
                if group["momentum"] > 0 and "momentum_buffer" not in state:
                    state["momentum_buffer"] = np.zeros_like(p.data)
                if group["centered"] and "grad_avg" not in state:
                    state["grad_avg"] = np.zeros_like(p.data)
                state["step"] += 1
                rmsprop_update(p.data, p.grad.data, state, group)
        mark_updated(self.param_groups)  # in place: graphs that saved them are stale
        return loss


def rmsprop_update(param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
    """The RMSprop rule for one parameter array, in place on `param` and the state's arrays.

    Written as torch's single-tensor loop (same operation order, so float32
    results agree to rounding).
    """
    alpha, eps, lr = group["alpha"], group["eps"], group["lr"]
    if group["weight_decay"] != 0:
        grad = grad + group["weight_decay"] * param
    square_avg = state["square_avg"]
    square_avg *= alpha
    square_avg += (1 - alpha) * (grad * grad)
    if group["centered"]:
        grad_avg = state["grad_avg"]
        grad_avg += (1 - alpha) * (grad - grad_avg)  # torch's lerp_(grad, 1 - alpha)
        avg = np.sqrt(square_avg - grad_avg * grad_avg)
    else:
        avg = np.sqrt(square_avg)
    avg += eps
    if group["momentum"] > 0:
        buf = state["momentum_buffer"]
        buf *= group["momentum"]
        buf += grad / avg
        param -= lr * buf
    else:
        param -= lr * (grad / avg)
