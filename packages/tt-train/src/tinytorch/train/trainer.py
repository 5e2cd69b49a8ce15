"""The Trainer: the training loop every model in the course runs (modules 08 and 12).

    trainer = Trainer(model, optimizer, loss_fn)
    history = trainer.fit(train_loader, epochs=10, val=val_loader)
    trainer.evaluate(test_loader)  # {"loss": ..., "accuracy": ...}

Each epoch: the model in training mode, for every batch `(inputs, targets)`
one `train_step` (forward, loss, backward; the optimizer step and `zero_grad`
every `grad_accum_steps` batches, the student's part of module 08 with
`evaluate`'s loop); then validation in eval mode under `no_grad`. The
epoch's numbers go into `trainer.history`, a list with one dict per epoch:
`epoch` (1-based), `loss`, each metric (default `accuracy`), `val_loss` and
`val_<metric>` when `val` is given, `lr` (group 0's, at the epoch's start) and
`time` (seconds).

Module 12 adds the techniques: an LR schedule stepped per epoch or per batch,
gradient clipping, early stopping, checkpoints after every epoch
(`checkpoint_dir/last.safetensors`) and `fit(..., resume=path)`, which
continues an interrupted run exactly where it stopped (model, optimizer,
scheduler, history, early stopping, global RNG and shuffling generator).

Data: `train`, `val` and `evaluate`'s data are re-iterable collections of
`(inputs, targets)` batches — a `DataLoader`, or simply a list of `(Tensor,
Tensor)` pairs — or a `Dataset` (module 10), e.g. `MNIST(train=True)`, which
the Trainer batches itself: a `DataLoader(dataset, batch_size)` with the
Trainer's `batch_size` (default 64), shuffled for training (its seed drawn from
tinytorch's global generator, so `manual_seed` before `fit` fixes the order),
in order for validation and `evaluate`. Build the DataLoader yourself for any
other choice. The loss function must average over the batch (reduction
"mean", every tinytorch loss's default): epoch values are averages weighted by
batch size.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence, Sized
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm  # type: ignore[import-untyped]

from tinytorch.core import Tensor, no_grad
from tinytorch.nn import Module, eval_mode
from tinytorch.train.callbacks import EarlyStopping, Logs
from tinytorch.train.checkpoint import PathLike, check_rng_state, load_checkpoint, save_checkpoint
from tinytorch.train.data import DataLoader, Dataset
from tinytorch.train.metrics import accuracy
from tinytorch.train.optim.clip import clip_grad_norm_
from tinytorch.train.optim.lr_scheduler import ReduceLROnPlateau, Scheduler
from tinytorch.train.optim.optimizer import Optimizer

Metric = Callable[[Tensor, Tensor], float]
LossFn = Callable[[Any, Any], Tensor]
CHECKPOINT_NAME = "last.safetensors"
#: The batch size of the DataLoader a Dataset given to fit/evaluate is wrapped in (PyTorch's MNIST example's).
DEFAULT_BATCH_SIZE = 64
HOOKS = ("on_train_begin", "on_batch_end", "on_epoch_end", "on_train_end")


class Trainer:
    """Train `model` with `optimizer` on `loss_fn(outputs, targets)`.

    Args:
        scheduler: an LR schedule, stepped after every epoch (or every optimizer
            step with `scheduler_interval="batch"`); a ReduceLROnPlateau gets the
            epoch's `val_loss` (`loss` without validation data).
        metrics: `{name: fn(outputs, targets) -> float}` averaged over samples;
            default `{"accuracy": accuracy}` with `binary_threshold`. Pass `{}`
            for regression.
        binary_threshold: the accuracy threshold for single-output models,
            outputs (N, 1): 0.0 for logits (BCEWithLogitsLoss), 0.5 for probabilities.
        grad_accum_steps: batches whose gradients are summed (each loss divided
            by this number) before one optimizer step.
        clip_grad_norm: if set, gradients are clipped to this total 2-norm before each step.
        callbacks: objects with `on_epoch_end(trainer, epoch, logs)` etc. (see
            `tinytorch.train.callbacks`) or plain functions used as `on_epoch_end`.
        checkpoint_dir: write `last.safetensors` there after every epoch.
        early_stopping: an `EarlyStopping`, or None.
        progress: show a tqdm progress bar (only when stdout is a terminal).
        batch_size: the batch size `fit` and `evaluate` use for data given as a
            `Dataset` (wrapped in a DataLoader, shuffled for training); batches
            given as such are used as they are.
    """

    def __init__(
        self,
        model: Module,
        optimizer: Optimizer,
        loss_fn: LossFn,
        scheduler: Scheduler | None = None,
        metrics: Mapping[str, Metric] | None = None,
        grad_accum_steps: int = 1,
        callbacks: Sequence[Any] = (),
        checkpoint_dir: PathLike | None = None,
        early_stopping: EarlyStopping | None = None,
        progress: bool = True,
        scheduler_interval: str = "epoch",
        binary_threshold: float = 0.0,
        clip_grad_norm: float | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"Trainer: invalid batch_size={batch_size!r} (expected an int >= 1)")
        if not isinstance(grad_accum_steps, int) or grad_accum_steps < 1:
            raise ValueError(f"Trainer: invalid grad_accum_steps={grad_accum_steps!r} (expected an int >= 1)")
        if scheduler_interval not in ("epoch", "batch"):
            raise ValueError(
                f"Trainer: invalid scheduler_interval={scheduler_interval!r} ('epoch' or 'batch')"
            )
        if isinstance(scheduler, ReduceLROnPlateau) and scheduler_interval != "epoch":
            raise ValueError("Trainer: ReduceLROnPlateau steps once per epoch (scheduler_interval='epoch')")
        self.model = model
        self.optimizer = optimizer
        self.loss_fn = loss_fn
        self.scheduler = scheduler
        self.metrics: dict[str, Metric] = (
            {"accuracy": partial(accuracy, threshold=binary_threshold)} if metrics is None else dict(metrics)
        )
        self.grad_accum_steps = grad_accum_steps
        self.callbacks = list(callbacks)
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
        self.early_stopping = early_stopping
        self.progress = progress
        self.scheduler_interval = scheduler_interval
        self.clip_grad_norm = clip_grad_norm
        self.batch_size = batch_size
        self.history: list[Logs] = []
        self.epoch = 0  # epochs completed (continues after resume)
        self.stop_training = False
        self._train_data: Iterable[Any] | None = None
        self._pending = 0  # backward passes since the last optimizer step

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        train: Iterable[Any] | Dataset,
        epochs: int,
        val: Iterable[Any] | Dataset | None = None,
        resume: PathLike | None = None,
    ) -> list[Logs]:
        """Train until `epochs` epochs are complete in total; returns `self.history`.

        `train` and `val`: batches, or a Dataset batched by `self.batch_size`
        (see the module docstring). With `resume=path` the run continues from
        that checkpoint: `epochs` counts from the run's start, so
        `fit(train, 4, resume=...)` after a checkpoint of epoch 2 trains epochs 3 and 4.
        """
        train = self._batches(train, shuffle=True)
        if val is not None:
            val = self._batches(val, shuffle=False)
        if not isinstance(epochs, int) or epochs < 0:
            raise ValueError(f"Trainer.fit: invalid epochs={epochs!r} (expected an int >= 0)")
        self._train_data = train
        if resume is not None:
            self.load_checkpoint(resume)
        self._callback("on_train_begin", self)
        self.stop_training = False
        for epoch in range(self.epoch, epochs):
            start = time.perf_counter()
            lr = self.optimizer.param_groups[0]["lr"]
            logs: Logs = {"epoch": epoch + 1, **self._train_epoch(train, epoch, epochs)}
            if val is not None:
                logs.update({f"val_{name}": value for name, value in self.evaluate(val).items()})
            logs["lr"] = lr
            logs["time"] = time.perf_counter() - start
            self.history.append(logs)
            self.epoch = epoch + 1
            self._end_epoch(logs)
            if self.stop_training:
                break
        if self.early_stopping is not None:
            self.early_stopping.restore(self.model)
        self._callback("on_train_end", self)
        return self.history

    def train_step(self, inputs: Any, targets: Any) -> tuple[Tensor, Tensor]:
        """One batch: forward, loss, backward, then (when a step is due) optimizer step and zero_grad.

        Returns `(loss, outputs)`: the batch's mean loss, shape (), and the model's
        outputs, (B, C) for a classifier. `_step_due` is given: always True without
        accumulation; with `grad_accum_steps=k`, True every k-th batch, after
        averaging the k batches' summed gradients (and clipping them, module 12).
        """
        ### BEGIN SOLUTION 08
        outputs = self.model(inputs)  # (B, C)
        loss = self.loss_fn(outputs, targets)  # (): the mean over the batch
        loss.backward()  # adds dloss/dp to every parameter's .grad
        if self._step_due():
            self.optimizer.step()
            self.optimizer.zero_grad()
        return loss, outputs
        ### END SOLUTION

    # ----------------------------------------------- given: around the step
    def _train_epoch(self, train: Iterable[Any], epoch: int, epochs: int) -> Logs:
        """One pass of `train_step` over `train` (training mode, a progress bar, `on_batch_end`
        callbacks, per-batch schedules): the sample-weighted mean loss and metrics."""
        self.model.train()
        self.optimizer.zero_grad()
        self._pending = 0
        meter = _Meter(self.metrics)
        bar = tqdm(
            train,
            total=len(train) if isinstance(train, Sized) else None,
            desc=f"epoch {epoch + 1}/{epochs}",
            unit="batch",
            file=sys.stdout,
            disable=not (self.progress and sys.stdout.isatty()),
        )
        for index, batch in enumerate(bar):
            inputs, targets = _unpack(batch)
            loss, outputs = self.train_step(inputs, targets)
            if self._pending == 0:  # train_step stepped the optimizer
                self._after_step()
            batch_logs = meter.add(loss, outputs, targets)
            bar.set_postfix(loss=f"{meter.totals['loss'] / meter.seen:.4f}")
            self._callback("on_batch_end", self, index, batch_logs)
        if self._pending:  # a last, incomplete accumulation group
            self._prepare_step()
            self.optimizer.step()
            self.optimizer.zero_grad()
            self._after_step()
        bar.close()
        return meter.mean("Trainer.fit: the training data")

    def _step_due(self) -> bool:
        """Count one backward pass; True (after `_prepare_step`) every `grad_accum_steps`-th."""
        self._pending += 1
        if self._pending < self.grad_accum_steps:
            return False
        self._prepare_step()
        return True

    def _prepare_step(self) -> None:
        """Divide the gradients summed over an accumulation group by `grad_accum_steps`, so
        that k batches of B step like one batch of k·B (the same as dividing each batch's
        loss by k: exactly so when k is a power of two), and clip them when `clip_grad_norm`
        is set (module 12)."""
        self._pending = 0
        if self.grad_accum_steps > 1:
            for p in self.model.parameters():
                if p.grad is not None:
                    p.grad.data *= 1.0 / self.grad_accum_steps
        if self.clip_grad_norm is not None:
            clip_grad_norm_(self.model.parameters(), self.clip_grad_norm)

    def _after_step(self) -> None:
        if self.scheduler is not None and self.scheduler_interval == "batch":
            self._step_scheduler(None)

    def _end_epoch(self, logs: Logs) -> None:
        """The epoch's schedule step, early stopping, `on_epoch_end` callbacks and checkpoint."""
        if self.scheduler is not None and self.scheduler_interval == "epoch":
            self._step_scheduler(logs)
        if self.early_stopping is not None and self.early_stopping.update(logs["epoch"], logs, self.model):
            self.stop_training = True
        self._callback("on_epoch_end", self, logs["epoch"] - 1, logs)
        if self.checkpoint_dir is not None:
            self.save_checkpoint(self.checkpoint_dir / CHECKPOINT_NAME)

    # ------------------------------------------------------------- evaluate
    def evaluate(self, data: Iterable[Any] | Dataset) -> Logs:
        """Mean loss and metrics over `data` (batches, or a Dataset batched in order by
        `self.batch_size`), in eval mode under `no_grad` (the model's mode is restored
        afterwards): `{"loss": ..., "accuracy": ...}`, one entry per metric."""
        data = self._batches(data, shuffle=False)
        meter = _Meter(self.metrics)  # given: sample-weighted sums of the loss and metrics
        ### BEGIN SOLUTION 08
        with eval_mode(self.model), no_grad():  # Dropout off, no graph
            for batch in data:
                inputs, targets = _unpack(batch)
                outputs = self.model(inputs)  # (B, C)
                meter.add(self.loss_fn(outputs, targets), outputs, targets)
        ### END SOLUTION
        return meter.mean("Trainer.evaluate: the data")

    # ---------------------------------------------- module 12: techniques
    def _step_scheduler(self, logs: Logs | None) -> None:
        """Advance the LR schedule (ReduceLROnPlateau: with val_loss, else loss)."""
        ### BEGIN SOLUTION 12
        if isinstance(self.scheduler, ReduceLROnPlateau):
            assert logs is not None
            self.scheduler.step(logs["val_loss"] if "val_loss" in logs else logs["loss"])
        elif self.scheduler is not None:
            self.scheduler.step()
        ### END SOLUTION

    def save_checkpoint(self, path: PathLike) -> Path:
        """Everything `fit(resume=path)` needs to continue exactly: model, optimizer,
        scheduler, completed epochs, history, early stopping, RNG states (the arrays named
        by `checkpoint.name_tensors`)."""
        extra: dict[str, Any] = {"history": self.history}
        arrays: dict[str, np.ndarray] = {}
        if isinstance(self._train_data, DataLoader):
            extra["train_loader"] = self._train_data.state_dict()
        if self.early_stopping is not None:
            stopping = self.early_stopping.state_dict()
            best = stopping.pop("best_weights") or {}
            arrays.update({f"best.{key}": value for key, value in best.items()})
            extra["early_stopping"] = stopping
        return save_checkpoint(
            path,
            self.model,
            self.optimizer,
            self.scheduler,
            epoch=self.epoch,
            extra=extra,
            extra_arrays=arrays,
        )

    def load_checkpoint(self, path: PathLike) -> None:
        """Restore the state `save_checkpoint` wrote. Raises CheckpointError, changing
        nothing, if any part of it does not fit (see `_check_resume_state`)."""
        checkpoint = load_checkpoint(
            path, self.model, self.optimizer, self.scheduler, check_extra=self._check_resume_state
        )
        self.epoch = checkpoint.epoch
        self.history = list(checkpoint.extra.get("history", []))
        loader_state = checkpoint.extra.get("train_loader")
        if loader_state is not None and isinstance(self._train_data, DataLoader):
            self._train_data.load_state_dict(loader_state)
        if self.early_stopping is not None and "early_stopping" in checkpoint.extra:
            best = {
                k.removeprefix("best."): v
                for k, v in checkpoint.extra_arrays.items()
                if k.startswith("best.")
            }
            self.early_stopping.load_state_dict({**checkpoint.extra["early_stopping"], "best_weights": best})

    def _check_resume_state(self, extra: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        """Raise ValueError unless a checkpoint's `extra` fits this trainer: history a list
        of dicts, the DataLoader's generator state of its generator's kind, the early
        stopping counters and best weights (the model's names and shapes)."""
        history = extra.get("history", [])
        if not (isinstance(history, list) and all(isinstance(logs, dict) for logs in history)):
            raise ValueError(f"the history is {history!r:.60}, expected a list of dicts")
        loader_state = extra.get("train_loader")
        if loader_state is not None and isinstance(self._train_data, DataLoader):
            generator = loader_state.get("generator") if isinstance(loader_state, dict) else None
            try:
                check_rng_state(generator, self._train_data.generator.bit_generator)
            except ValueError as err:
                raise ValueError(f"the DataLoader's generator state is {err}") from None
        stopping = extra.get("early_stopping")
        if self.early_stopping is None or stopping is None:
            return
        if not isinstance(stopping, dict):
            raise ValueError(f"the early stopping state is {stopping!r:.60}, expected a dict")
        number = (int, float)
        for key, kinds in (("best", number), ("best_epoch", int), ("wait", int), ("stopped_epoch", int)):
            value = stopping.get(key, "missing")
            if not (
                (value is None and key != "wait")
                or (isinstance(value, kinds) and not isinstance(value, bool))
            ):
                raise ValueError(f"the early stopping state's {key!r} is {value!r:.60}")
        best = {k.removeprefix("best."): v for k, v in arrays.items() if k.startswith("best.")}
        if best:
            expected = {
                name: t.shape for name, t in [*self.model.named_parameters(), *self.model.named_buffers()]
            }
            shapes = {name: array.shape for name, array in best.items()}
            if shapes != expected:
                raise ValueError(
                    f"the early stopping best weights {shapes} do not fit the model's {expected}"
                )

    # ---------------------------------------------------------------- misc
    def _batches(self, data: Iterable[Any] | Dataset, shuffle: bool) -> Iterable[Any]:
        """`data` itself, or a Dataset wrapped in a DataLoader of `self.batch_size` (shuffled
        by a generator seeded from tinytorch's global one when `shuffle`)."""
        if isinstance(data, Dataset):
            return DataLoader(data, batch_size=self.batch_size, shuffle=shuffle)
        return data

    def _callback(self, hook: str, *args: Any) -> None:
        for callback in self.callbacks:
            method = getattr(callback, hook, None)
            if method is not None:
                method(*args)
            elif (
                hook == "on_epoch_end" and callable(callback) and not any(hasattr(callback, h) for h in HOOKS)
            ):
                callback(*args)  # a plain function f(trainer, epoch, logs)


class _Meter:
    """Sample-weighted sums of a batch's loss and metrics over an epoch (given code)."""

    def __init__(self, metrics: Mapping[str, Metric]) -> None:
        self.metrics = metrics
        self.totals = dict.fromkeys(["loss", *metrics], 0.0)
        self.seen = 0

    def add(self, loss: Tensor, outputs: Tensor, targets: Any) -> Logs:
        """Add one batch (weighted by its size); returns its own `{"loss": ..., metric: ...}`."""
        logs = {"loss": float(loss.item())}
        logs.update({name: float(metric(outputs, targets)) for name, metric in self.metrics.items()})
        n = _batch_size(targets, outputs)
        for name, value in logs.items():
            self.totals[name] += value * n
        self.seen += n
        return logs

    def mean(self, what: str) -> Logs:
        """The sample-weighted means; ValueError naming `what` if no batch was added."""
        if self.seen == 0:
            raise ValueError(f"{what} yielded no batches")
        return {name: total / self.seen for name, total in self.totals.items()}


def _unpack(batch: Any) -> tuple[Any, Any]:
    """A batch is (inputs, targets); NumPy arrays become Tensors."""
    if not isinstance(batch, tuple | list) or len(batch) != 2:
        raise TypeError(f"Trainer: a batch must be an (inputs, targets) pair, got {type(batch).__name__}")
    inputs, targets = batch
    if isinstance(inputs, np.ndarray):
        inputs = Tensor(inputs)
    if isinstance(targets, np.ndarray):
        targets = Tensor(targets)
    return inputs, targets


def _batch_size(targets: Any, outputs: Any) -> int:
    shape = getattr(targets, "shape", None) or getattr(outputs, "shape", ())
    return int(shape[0]) if shape else 1
