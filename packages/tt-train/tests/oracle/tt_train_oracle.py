"""Twin models for tt-train's PyTorch-oracle tests.

The same small classifier (Linear 4->8, Tanh, Linear 8->3) is built in
tinytorch and in PyTorch from the same initial weights, then both are
trained on the same mini-batches with the same cross-entropy loss: after N
steps of an optimizer (and schedule) the parameters of the two must agree
to 1e-5 (float32), and the learning rates to 1e-12.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

import tinytorch.core as tc
from tinytorch.core import Tensor
from tinytorch.nn import CrossEntropyLoss, Linear, Module, Sequential, Tanh

ATOL = RTOL = 1e-5  # float32 parameters after N steps
LR_RTOL = 1e-12  # learning rates are Python floats on both sides


def tt_model(seed: int = 0) -> Module:
    tc.manual_seed(seed)
    return Sequential(Linear(4, 8), Tanh(), Linear(8, 3))


def torch_twin(model: Module) -> torch.nn.Module:
    """A torch.nn model with the same structure and (copied) weights."""
    twin = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    twin.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in model.state_dict().items()})
    return twin


def data(n: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 2.0, (3, 4))
    y = rng.integers(0, 3, n)
    x = centres[y] + rng.normal(0, 1.0, (n, 4))
    return x.astype(np.float32), y.astype(np.int64)


def groups_of(params: list[Any], spec: list[dict[str, Any]] | None) -> Any:
    """`spec` lists per-group options for [layer 0 params, layer 2 params]; None: one group."""
    if spec is None:
        return params
    return [{"params": params[:2], **spec[0]}, {"params": params[2:], **spec[1]}]


@dataclass
class Run:
    tt_params: list[np.ndarray]
    torch_params: list[np.ndarray]
    tt_lrs: list[float]
    torch_lrs: list[float]

    def check(self) -> None:
        for a, b in zip(self.tt_params, self.torch_params, strict=True):
            np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(self.tt_lrs, self.torch_lrs, rtol=LR_RTOL, atol=0)


def train_both(
    make_tt: Callable[[Any], Any],
    make_torch: Callable[[Any], Any],
    steps: int = 20,
    tt_schedule: Callable[[Any], Any] | None = None,
    torch_schedule: Callable[[Any], Any] | None = None,
    groups: list[dict[str, Any]] | None = None,
    batch: int = 16,
) -> Run:
    """Train both twins `steps` mini-batch steps; schedules (if any) step after every optimizer step."""
    model = tt_model()
    twin = torch_twin(model)
    tt_opt = make_tt(groups_of(list(model.parameters()), groups))
    torch_opt = make_torch(groups_of(list(twin.parameters()), groups))
    tt_sched = tt_schedule(tt_opt) if tt_schedule else None
    torch_sched = torch_schedule(torch_opt) if torch_schedule else None
    x, y = data()
    loss_fn, torch_loss = CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    tt_lrs, torch_lrs = [], []
    for step in range(steps):
        lo = (step * batch) % len(x)
        xb, yb = x[lo : lo + batch], y[lo : lo + batch]
        tt_lrs.append(tt_opt.param_groups[-1]["lr"])
        torch_lrs.append(torch_opt.param_groups[-1]["lr"])
        tt_opt.zero_grad()
        loss_fn(model(Tensor(xb)), Tensor(yb)).backward()
        tt_opt.step()
        torch_opt.zero_grad()
        torch_loss(twin(torch.from_numpy(xb)), torch.from_numpy(yb)).backward()
        torch_opt.step()
        if tt_sched is not None:
            tt_sched.step()
        if torch_sched is not None:
            torch_sched.step()
    return Run(
        [p.data.copy() for p in model.parameters()],
        [p.detach().numpy().copy() for p in twin.parameters()],
        tt_lrs,
        torch_lrs,
    )
