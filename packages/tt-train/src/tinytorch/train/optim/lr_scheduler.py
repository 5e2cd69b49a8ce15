"""Learning-rate schedules (module 12), as `torch.optim.lr_scheduler`.

A scheduler owns a counter, `last_epoch` (the number of `step()` calls so
far), and sets every parameter group's `"lr"` from it. Each schedule here is
a *closed form* of that counter and the groups' initial learning rates
(`base_lrs`), so `state_dict()` is a few numbers and a resumed run computes
exactly the learning rates of an uninterrupted one.

"Epoch" is PyTorch's name for the counter; what one step means is up to the
caller: call `step()` once per epoch, or once per batch (the Trainer's
`scheduler_interval`). As in PyTorch, create the scheduler after the
optimizer and call `scheduler.step()` after `optimizer.step()`.

- `StepLR(opt, step_size, gamma=0.1)`: lr = base * gamma ** (t // step_size)
- `ExponentialLR(opt, gamma)`: lr = base * gamma ** t
- `CosineAnnealingLR(opt, T_max, eta_min=0.0)`: half a cosine from base to eta_min over T_max steps
- `CosineWarmup(opt, warmup_steps, total_steps, min_lr=0.0)`: linear warm-up, then cosine decay
- `ReduceLROnPlateau(opt, mode="min", factor=0.1, patience=10, ...)`: divides the lr when a
  metric stops improving (`step(metric)`)
"""

from __future__ import annotations

import math
from typing import Any

from tinytorch.train.optim.optimizer import Optimizer, require


class _SchedulerState:
    """What every scheduler shares: the last learning rates and a JSON-able state dict."""

    optimizer: Optimizer
    _last_lr: list[float]

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last `step()` (one per group)."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer (plain numbers and lists: JSON-serialisable)."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        unknown = sorted(set(state_dict) - set(self.state_dict()))
        if unknown:
            raise ValueError(f"{type(self).__name__}.load_state_dict: unexpected keys {unknown}")
        self.__dict__.update(state_dict)


class LRScheduler(_SchedulerState):
    """Base class: subclasses define `get_lr()`, the learning rates at `self.last_epoch`.

    Creating a scheduler records each group's current lr as `"initial_lr"`
    (kept if already there) and applies the schedule's value at step 0.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: {type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self._last_lr: list[float] = []
        self.step()

    def get_lr(self) -> list[float]:
        """The learning rate of each group at step `self.last_epoch`."""
        raise NotImplementedError(f"{type(self).__name__} must define get_lr()")

    def step(self) -> None:
        """Advance the counter by one and set every group's lr."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]


class StepLR(LRScheduler):
    """Multiply the lr by `gamma` every `step_size` steps: base * gamma ** (t // step_size)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        require(
            "StepLR", "step_size", step_size, isinstance(step_size, int) and step_size >= 1, "an int >= 1"
        )
        require("StepLR", "gamma", gamma, gamma > 0, "gamma > 0")
        self.step_size = step_size
        self.gamma = float(gamma)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        ### BEGIN SOLUTION 12
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]
        ### END SOLUTION


class ExponentialLR(LRScheduler):
    """Multiply the lr by `gamma` every step: base * gamma ** t."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        require("ExponentialLR", "gamma", gamma, gamma > 0, "gamma > 0")
        self.gamma = float(gamma)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        ### BEGIN SOLUTION 12
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]
        ### END SOLUTION


def _cosine(base: float, low: float, t: float, period: float) -> float:
    """Half a cosine from `base` (t = 0) down to `low` (t = period)."""
    return low + (base - low) * (1 + math.cos(math.pi * t / period)) / 2


class CosineAnnealingLR(LRScheduler):
    """eta_min + (base - eta_min) * (1 + cos(pi * t / T_max)) / 2 (periodic beyond T_max, as PyTorch)."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803
        require("CosineAnnealingLR", "T_max", T_max, isinstance(T_max, int) and T_max >= 1, "an int >= 1")
        require("CosineAnnealingLR", "eta_min", eta_min, eta_min >= 0, "eta_min >= 0")
        self.T_max = T_max
        self.eta_min = float(eta_min)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        ### BEGIN SOLUTION 12
        return [_cosine(base, self.eta_min, self.last_epoch, self.T_max) for base in self.base_lrs]
        ### END SOLUTION


class CosineWarmup(LRScheduler):
    """Linear warm-up for `warmup_steps` steps, then a cosine down to `min_lr` at `total_steps`.

    With w = warmup_steps, T = total_steps, s = start_factor (default 1 / (w + 1)):

        t < w:       lr = base * (s + (1 - s) * t / w)        (base * (t + 1) / (w + 1) by default)
        w <= t <= T: lr = min_lr + (base - min_lr) * (1 + cos(pi * (t - w) / (T - w))) / 2
        t > T:       lr = min_lr

    Up to T this equals PyTorch's `SequentialLR([LinearLR(opt, start_factor=s,
    total_iters=w), CosineAnnealingLR(opt, T_max=T - w, eta_min=min_lr)],
    milestones=[w])`, and with the default s it is nanoGPT's schedule.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        warmup_steps: int,
        total_steps: int,
        min_lr: float = 0.0,
        start_factor: float | None = None,
    ) -> None:
        name = "CosineWarmup"
        require(
            name, "warmup_steps", warmup_steps, isinstance(warmup_steps, int) and warmup_steps >= 0, ">= 0"
        )
        require(name, "total_steps", total_steps, isinstance(total_steps, int), "an int")
        require(
            name, "total_steps", total_steps, total_steps > warmup_steps, f"> warmup_steps={warmup_steps}"
        )
        require(name, "min_lr", min_lr, min_lr >= 0, "min_lr >= 0")
        if start_factor is None:
            start_factor = 1 / (warmup_steps + 1)
        require(name, "start_factor", start_factor, 0 < start_factor <= 1, "0 < start_factor <= 1")
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.min_lr = float(min_lr)
        self.start_factor = float(start_factor)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        ### BEGIN SOLUTION 12
        t, w, s = self.last_epoch, self.warmup_steps, self.start_factor
        if t < w:
            return [base * (s + (1 - s) * t / w) for base in self.base_lrs]
        if t > self.total_steps:
            return [self.min_lr for _ in self.base_lrs]
        return [_cosine(base, self.min_lr, t - w, self.total_steps - w) for base in self.base_lrs]
        ### END SOLUTION


class ReduceLROnPlateau(_SchedulerState):
    """Multiply the lr by `factor` when a metric has not improved for `patience` steps.

    `step(metric)` once per epoch (e.g. with the validation loss). PyTorch's
    rules: in mode "min" a value is an improvement when it is below
    best * (1 - threshold) ("rel") or best - threshold ("abs") ("max": above
    best * (1 + threshold) / best + threshold). After more than `patience`
    steps without improvement every group's lr becomes max(lr * factor,
    min_lr) (unless that changes it by less than `eps`), then `cooldown` steps
    pass during which bad steps are not counted.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0.0,
        eps: float = 1e-8,
    ) -> None:
        name = "ReduceLROnPlateau"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: {type(optimizer).__name__} is not an Optimizer")
        require(name, "mode", mode, mode in ("min", "max"), "'min' or 'max'")
        require(name, "threshold_mode", threshold_mode, threshold_mode in ("rel", "abs"), "'rel' or 'abs'")
        require(name, "factor", factor, 0 < factor < 1, "0 < factor < 1")
        require(name, "patience", patience, isinstance(patience, int) and patience >= 0, "an int >= 0")
        require(name, "cooldown", cooldown, isinstance(cooldown, int) and cooldown >= 0, "an int >= 0")
        require(name, "threshold", threshold, threshold >= 0, "threshold >= 0")
        n_groups = len(optimizer.param_groups)
        min_lrs = list(min_lr) if isinstance(min_lr, list | tuple) else [min_lr] * n_groups
        require(name, "min_lr", min_lr, len(min_lrs) == n_groups, f"one value per group ({n_groups})")
        require(name, "min_lr", min_lr, all(m >= 0 for m in min_lrs), "min_lr >= 0")
        self.optimizer = optimizer
        self.mode = mode
        self.factor = float(factor)
        self.patience = patience
        self.threshold = float(threshold)
        self.threshold_mode = threshold_mode
        self.cooldown = cooldown
        self.min_lrs = [float(m) for m in min_lrs]
        self.eps = float(eps)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def is_better(self, value: float, best: float) -> bool:
        """Does `value` improve on `best` by more than the threshold?"""
        ### BEGIN SOLUTION 12
        if self.mode == "min":
            bound = best * (1 - self.threshold) if self.threshold_mode == "rel" else best - self.threshold
            return value < bound
        bound = best * (1 + self.threshold) if self.threshold_mode == "rel" else best + self.threshold
        return value > bound
        ### END SOLUTION

    def step(self, metric: float) -> None:
        """Record one epoch's metric and reduce the lr if it has plateaued."""
        value = float(metric)
        self.last_epoch += 1
        ### BEGIN SOLUTION 12
        if self.is_better(value, self.best):
            self.best = value
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during cooldown do not count
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
                new_lr = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new_lr > self.eps:  # PyTorch skips changes below eps
                    group["lr"] = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        ### END SOLUTION
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]


Scheduler = LRScheduler | ReduceLROnPlateau
