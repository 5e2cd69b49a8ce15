"""Trainer callbacks and early stopping (module 12).

A callback is any object with some of these methods, called by `Trainer.fit`:

- `on_train_begin(trainer)` / `on_train_end(trainer)`
- `on_batch_end(trainer, batch, logs)`: `logs = {"loss": ..., "accuracy": ...}` of that batch
- `on_epoch_end(trainer, epoch, logs)`: `logs` is the epoch's history entry
  (`epoch`, `loss`, metrics, `val_loss`, `val_...`, `lr`, `time`)

Subclass `Callback` (its methods do nothing) or pass a plain function
`f(trainer, epoch, logs)`, which is used as `on_epoch_end`. Setting
`trainer.stop_training = True` ends `fit` after the current epoch.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from tinytorch.nn import Module
    from tinytorch.train.trainer import Trainer

Logs = dict[str, Any]


class Callback:
    """Base class of Trainer callbacks: override what you need."""

    def on_train_begin(self, trainer: Trainer) -> None:
        pass

    def on_batch_end(self, trainer: Trainer, batch: int, logs: Logs) -> None:
        pass

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: Logs) -> None:
        pass

    def on_train_end(self, trainer: Trainer) -> None:
        pass


class EarlyStopping:
    """Stop when `monitor` has not improved by more than `min_delta` for `patience` epochs.

    `EarlyStopping(patience=5, min_delta=0.0, restore_best=True, monitor="val_loss", mode="min")`.
    An epoch improves when its value is below best - min_delta (mode "min")
    or above best + min_delta (mode "max"); the first epoch always does. A NaN
    value (a diverged epoch) counts as the worst value, inf ("min") or -inf
    ("max"): it never improves, and a NaN first epoch is beaten by the next finite one.
    With `restore_best`, the model's weights at the best epoch are kept (a
    copy: 1x the parameter bytes) and put back when `fit` ends.
    """

    def __init__(
        self,
        patience: int = 5,
        min_delta: float = 0.0,
        restore_best: bool = True,
        monitor: str = "val_loss",
        mode: str = "min",
    ) -> None:
        if not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: invalid patience={patience!r} (expected an int >= 0)")
        if not min_delta >= 0:
            raise ValueError(f"EarlyStopping: invalid min_delta={min_delta!r} (expected min_delta >= 0)")
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: invalid mode={mode!r} (expected 'min' or 'max')")
        self.patience = patience
        self.min_delta = float(min_delta)
        self.restore_best = restore_best
        self.monitor = monitor
        self.mode = mode
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.wait = 0  # epochs since the last improvement
        self.stopped_epoch: int | None = None
        self.best_weights: dict[str, np.ndarray] | None = None

    def update(self, epoch: int, logs: Logs, model: Module) -> bool:
        """Record epoch `epoch` (1-based) of `logs`; True when training should stop."""
        value = self._monitored(logs)
        ### BEGIN SOLUTION 12
        if self.best is None:  # the first epoch sets the baseline
            improved = True
        elif self.mode == "min":
            improved = value < self.best - self.min_delta
        else:
            improved = value > self.best + self.min_delta
        if improved:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_weights = model.state_dict()  # a copy
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False
        ### END SOLUTION

    def _monitored(self, logs: Logs) -> float:
        """`logs[monitor]` as a float; NaN (a diverged epoch) becomes the worst value, inf in
        mode "min" and -inf in "max", which never improves but can be the first epoch's baseline."""
        if self.monitor not in logs:
            raise KeyError(
                f"EarlyStopping monitors {self.monitor!r}, which is not in the epoch's logs "
                f"({sorted(logs)}); pass val=... to fit() or EarlyStopping(monitor='loss')"
            )
        value = float(logs[self.monitor])
        if math.isnan(value):
            return math.inf if self.mode == "min" else -math.inf
        return value

    def restore(self, model: Module) -> bool:
        """Put the best epoch's weights back into `model` (if kept); True if it did."""
        ### BEGIN SOLUTION 12
        if not self.restore_best or self.best_weights is None:
            return False
        model.load_state_dict(self.best_weights)
        return True
        ### END SOLUTION

    # ------------------------------------------------- checkpoint support
    def state_dict(self) -> dict[str, Any]:
        """Counters (JSON-serialisable) and, under "best_weights", the kept arrays."""
        return {
            "best": self.best,
            "best_epoch": self.best_epoch,
            "wait": self.wait,
            "stopped_epoch": self.stopped_epoch,
            "best_weights": self.best_weights,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best = state["best"]
        self.best_epoch = state["best_epoch"]
        self.wait = state["wait"]
        self.stopped_epoch = state["stopped_epoch"]
        weights = state.get("best_weights")
        self.best_weights = {k: np.array(v, copy=True) for k, v in weights.items()} if weights else None
