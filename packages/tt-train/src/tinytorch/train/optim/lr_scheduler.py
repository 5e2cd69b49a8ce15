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

Given library code (not course modules), PyTorch's schedules a ported script reaches for:

- `LambdaLR(opt, lr_lambda)`: lr = base * lr_lambda(t) (one function, or one per group)
- `LinearLR(opt, start_factor=1/3, end_factor=1.0, total_iters=5)`: the factor goes linearly
  from start_factor to end_factor over total_iters steps, then stays
- `SequentialLR(opt, schedulers, milestones)`: schedulers[i] from milestones[i - 1] on,
  restarted at its step 0 there
- `OneCycleLR(opt, max_lr, total_steps, ...)`: warm up to max_lr, anneal to max_lr /
  (div_factor * final_div_factor); cycles SGD's momentum (or Adam's beta1) the other way
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
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


# ------------------------------------------------------------------ given schedules
#
# Closed forms of the counter as the schedules above, equal to PyTorch's
# (whose LinearLR and OneCycle phases update the lr recursively: the same
# values to float rounding).


class LambdaLR(LRScheduler):
    """lr = base * lr_lambda(t): `lr_lambda` is one function of the step count or a list
    of one per parameter group. As PyTorch, `state_dict()` does not hold the functions
    (give the same ones to the scheduler that loads it)."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | Sequence[Callable]) -> None:
        n_groups = len(optimizer.param_groups) if isinstance(optimizer, Optimizer) else 0
        lambdas: list[Any] = (
            list(lr_lambda) if isinstance(lr_lambda, list | tuple) else [lr_lambda] * n_groups
        )
        count = len(lambdas) if isinstance(lr_lambda, list | tuple) else "one"
        require(
            "LambdaLR",
            "lr_lambda",
            f"({count} functions)",
            len(lambdas) == n_groups,
            f"{n_groups}, one per group",
        )
        for fn in lambdas:
            if not callable(fn):
                raise TypeError(
                    f"LambdaLR: lr_lambda must be a function of the step (or a list), got {fn!r:.60}"
                )
        self.lr_lambdas = lambdas
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        return [base * fn(self.last_epoch) for base, fn in zip(self.base_lrs, self.lr_lambdas, strict=True)]

    def state_dict(self) -> dict[str, Any]:
        return {key: value for key, value in super().state_dict().items() if key != "lr_lambdas"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        # PyTorch's state dict has "lr_lambdas" (None for plain functions): the functions stay ours
        super().load_state_dict({k: v for k, v in state_dict.items() if k != "lr_lambdas"})


class LinearLR(LRScheduler):
    """lr = base * (start_factor + (end_factor - start_factor) * min(t, total_iters) / total_iters)."""

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ) -> None:
        name = "LinearLR"
        require(name, "start_factor", start_factor, 0 < start_factor <= 1, "0 < start_factor <= 1")
        require(name, "end_factor", end_factor, 0 <= end_factor <= 1, "0 <= end_factor <= 1")
        ok = isinstance(total_iters, int) and not isinstance(total_iters, bool) and total_iters >= 1
        require(name, "total_iters", total_iters, ok, "an int >= 1")
        self.start_factor = float(start_factor)
        self.end_factor = float(end_factor)
        self.total_iters = total_iters
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        done = min(self.last_epoch, self.total_iters) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * done
        return [base * factor for base in self.base_lrs]


class SequentialLR(LRScheduler):
    """`schedulers[0]` until `milestones[0]`, then `schedulers[1]` restarted at its step 0, ...

    At step t the scheduler in charge is schedulers[i], i = the number of
    milestones <= t, at its own step t - milestones[i - 1]. The schedulers must
    belong to `optimizer`; milestones are increasing ints >= 1, one fewer than
    the schedulers (PyTorch does not check their order).
    """

    def __init__(
        self, optimizer: Optimizer, schedulers: Sequence[LRScheduler], milestones: Sequence[int]
    ) -> None:
        name = "SequentialLR"
        schedulers, milestones = list(schedulers), list(milestones)
        require(name, "schedulers", schedulers, len(schedulers) >= 1, "at least one scheduler")
        for i, scheduler in enumerate(schedulers):
            if not isinstance(scheduler, LRScheduler):
                raise TypeError(
                    f"{name}: schedulers[{i}] is a {type(scheduler).__name__}, expected an LRScheduler "
                    "(ReduceLROnPlateau cannot be sequenced: its step takes a metric)"
                )
            if scheduler.optimizer is not optimizer:
                raise ValueError(f"{name}: schedulers[{i}] belongs to another optimizer than the one given")
        expected = f"{len(schedulers) - 1} milestone(s), one fewer than the {len(schedulers)} schedulers"
        require(name, "milestones", milestones, len(milestones) == len(schedulers) - 1, expected)
        ints = all(isinstance(m, int) and not isinstance(m, bool) for m in milestones)
        increasing = ints and all(a < b for a, b in zip([0, *milestones], milestones, strict=False))
        require(name, "milestones", milestones, ints and increasing, "increasing ints >= 1")
        self._schedulers = schedulers
        self._milestones = milestones
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        i = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[i]
        scheduler.last_epoch = self.last_epoch - (self._milestones[i - 1] if i else 0)
        scheduler._last_lr = scheduler.get_lr()
        return scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        saved = state_dict.get("_schedulers")
        if not isinstance(saved, list) or len(saved) != len(self._schedulers):
            raise ValueError(
                f"SequentialLR.load_state_dict: '_schedulers' must be a list of {len(self._schedulers)} "
                f"state dicts, got {saved!r:.60}"
            )
        super().load_state_dict({k: v for k, v in state_dict.items() if k != "_schedulers"})
        for scheduler, state in zip(self._schedulers, saved, strict=True):
            scheduler.load_state_dict(state)


def _per_group(name: str, optimizer: Optimizer, value: float | Sequence[float]) -> list[float]:
    """One value per parameter group: a list of that many, or one value for all (PyTorch's rule)."""
    n_groups = len(optimizer.param_groups)
    values: list[Any] = list(value) if isinstance(value, list | tuple) else [value] * n_groups
    require(
        "OneCycleLR",
        name,
        value,
        len(values) == n_groups,
        f"one value or a list of {n_groups} (one per group)",
    )
    return [float(v) for v in values]


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin), PyTorch's version.

    Per group: initial_lr = max_lr / div_factor, min_lr = initial_lr / final_div_factor.
    Two phases (default): initial_lr -> max_lr over the first pct_start of
    `total_steps` (or epochs * steps_per_epoch), then max_lr -> min_lr.
    three_phase: initial_lr -> max_lr -> initial_lr (symmetric), then -> min_lr.
    Each phase anneals by half a cosine ("cos") or a line ("linear"). With
    `cycle_momentum`, the momentum (SGD/RMSprop "momentum", Adam "betas"[0])
    goes the other way: max_momentum -> base_momentum -> max_momentum.
    Stepping more than `total_steps` times raises ValueError, as PyTorch.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | Sequence[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | Sequence[float] = 0.85,
        max_momentum: float | Sequence[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
    ) -> None:
        name = "OneCycleLR"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: {type(optimizer).__name__} is not an Optimizer")

        def positive_int(label: str, value: Any) -> None:
            ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
            require(name, label, value, ok, "a positive int")

        if total_steps is not None:
            positive_int("total_steps", total_steps)
        elif epochs is not None and steps_per_epoch is not None:
            positive_int("epochs", epochs)
            positive_int("steps_per_epoch", steps_per_epoch)
            total_steps = epochs * steps_per_epoch
        else:
            raise ValueError(f"{name}: give either total_steps or both epochs and steps_per_epoch")
        require(name, "pct_start", pct_start, 0 <= pct_start <= 1, "0 <= pct_start <= 1")
        require(
            name,
            "anneal_strategy",
            anneal_strategy,
            anneal_strategy in ("cos", "linear"),
            "'cos' or 'linear'",
        )
        require(name, "div_factor", div_factor, div_factor > 0, "div_factor > 0")
        require(name, "final_div_factor", final_div_factor, final_div_factor > 0, "final_div_factor > 0")
        max_lrs = _per_group("max_lr", optimizer, max_lr)
        self.total_steps = total_steps
        self.anneal_strategy = anneal_strategy
        self.cycle_momentum = bool(cycle_momentum)
        self.use_beta1 = "betas" in optimizer.defaults
        up = float(pct_start * total_steps) - 1  # the step each phase ends at (PyTorch's end_step)
        self._schedule_phases: list[list[Any]]  # [end_step, start_lr, end_lr, start_momentum, end_momentum]
        if three_phase:
            self._schedule_phases = [
                [up, "initial_lr", "max_lr", "max_momentum", "base_momentum"],
                [2 * up, "max_lr", "initial_lr", "base_momentum", "max_momentum"],
                [total_steps - 1.0, "initial_lr", "min_lr", "max_momentum", "max_momentum"],
            ]
        else:
            self._schedule_phases = [
                [up, "initial_lr", "max_lr", "max_momentum", "base_momentum"],
                [total_steps - 1.0, "max_lr", "min_lr", "base_momentum", "max_momentum"],
            ]
        if self.cycle_momentum:
            if "momentum" not in optimizer.defaults and not self.use_beta1:
                raise ValueError(
                    f"{name}: cycle_momentum=True needs an optimizer with 'momentum' or 'betas' "
                    f"({type(optimizer).__name__} has neither): pass cycle_momentum=False"
                )
            max_ms = _per_group("max_momentum", optimizer, max_momentum)
            base_ms = _per_group("base_momentum", optimizer, base_momentum)
        for i, group in enumerate(optimizer.param_groups):  # PyTorch keeps these in the groups
            group["initial_lr"] = max_lrs[i] / div_factor
            group["max_lr"] = max_lrs[i]
            group["min_lr"] = group["initial_lr"] / final_div_factor
            if self.cycle_momentum:
                group["max_momentum"], group["base_momentum"] = max_ms[i], base_ms[i]
                self._set_momentum(group, max_ms[i])
        super().__init__(optimizer)

    def _set_momentum(self, group: dict[str, Any], momentum: float) -> None:
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"OneCycleLR: tried to step {step} times; the specified number of total steps is "
                f"{self.total_steps}"
            )
        # the phase holding `step` (the last one past its end), and where it starts
        start = 0.0
        for i, (end, *_) in enumerate(self._schedule_phases):
            if step <= end or i == len(self._schedule_phases) - 1:
                break
            start = end
        end, lr_from, lr_to, m_from, m_to = self._schedule_phases[i]
        if end == start:
            raise ValueError(
                f"OneCycleLR: phase {i} of the schedule has no steps (total_steps={self.total_steps} "
                "with this pct_start): choose another pct_start"
            )
        pct = (step - start) / (end - start)
        lrs = []
        for group in self.optimizer.param_groups:
            lrs.append(self._anneal(group[lr_from], group[lr_to], pct))
            if self.cycle_momentum:
                self._set_momentum(group, self._anneal(group[m_from], group[m_to], pct))
        return lrs


Scheduler = LRScheduler | ReduceLROnPlateau
