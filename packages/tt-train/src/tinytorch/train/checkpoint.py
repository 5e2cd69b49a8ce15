"""Checkpoints: a whole training state in one safetensors file (module 12).

One file holds:

- tensors (safetensors' raw little-endian arrays, no pickle): the model's
  `state_dict()` under `model.<key>`, every optimizer state array under
  `optimizer.<param index>.<name>` (Adam's `exp_avg`, ...), and any caller
  arrays under `extra.<key>` (the Trainer's early-stopping best weights);
- metadata (strings): `format`, `version`, a SHA-256 over every tensor
  (name, dtype, shape, bytes), and `state`, a JSON document with the epoch,
  the optimizer's param groups and scalar state ("step"), the scheduler's
  state dict, tinytorch's global RNG state and the caller's `extra` (the
  Trainer's history and DataLoader generator state).

Writing is atomic: the file is written under a temporary name in the same
directory, flushed to disk (fsync), then renamed over the target
(`os.replace`), so a crash leaves either the old or the new checkpoint,
never half of one. Reading verifies the format and the checksum, and that
every array fits the model, before changing anything.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file

from tinytorch.core import get_rng_state, set_rng_state
from tinytorch.nn import Module
from tinytorch.train.optim.lr_scheduler import Scheduler
from tinytorch.train.optim.optimizer import Optimizer

FORMAT = "tinytorch.train.checkpoint"
VERSION = "1"
PathLike = str | os.PathLike[str]


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or does not fit what it is loaded into."""


@dataclass
class Checkpoint:
    """What `load_checkpoint` read besides the model, optimizer and scheduler it restored."""

    epoch: int
    extra: dict[str, Any] = field(default_factory=dict)
    extra_arrays: dict[str, np.ndarray] = field(default_factory=dict)
    rng_state: dict[str, Any] | None = None


def tensors_digest(tensors: Mapping[str, np.ndarray]) -> str:
    """SHA-256 over every tensor's name, dtype, shape and bytes, in key order."""
    digest = hashlib.sha256()
    for key in sorted(tensors):
        array = tensors[key]
        digest.update(f"{key}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(np.ascontiguousarray(array).data)
    return digest.hexdigest()


def atomic_write(path: PathLike, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp)` to fill a temporary file beside `path`, fsync it, then rename
    it to `path` in one step. On any error the temporary file is removed and
    `path` (if it existed) is left untouched."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable (POSIX)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return target


def save_checkpoint(
    path: PathLike,
    model: Module,
    optimizer: Optimizer | None = None,
    scheduler: Scheduler | None = None,
    *,
    epoch: int = 0,
    extra: Mapping[str, Any] | None = None,
    extra_arrays: Mapping[str, np.ndarray] | None = None,
) -> Path:
    """Write model, optimizer, scheduler, epoch, global RNG state and `extra` (JSON-able)
    to `path` atomically. Returns the path."""
    ### BEGIN SOLUTION 12
    tensors = {f"model.{key}": value for key, value in model.state_dict().items()}
    state: dict[str, Any] = {"epoch": epoch, "rng": get_rng_state(), "extra": dict(extra or {})}
    if optimizer is not None:
        opt_state = optimizer.state_dict()
        scalars: dict[str, dict[str, Any]] = {}
        for index, entries in opt_state["state"].items():
            scalars[str(index)] = {}
            for name, value in entries.items():
                if isinstance(value, np.ndarray):
                    tensors[f"optimizer.{index}.{name}"] = value
                else:
                    scalars[str(index)][name] = value
        state["optimizer"] = {
            "class": type(optimizer).__name__,
            "param_groups": opt_state["param_groups"],
            "state": scalars,
        }
    if scheduler is not None:
        state["scheduler"] = {"class": type(scheduler).__name__, "state": scheduler.state_dict()}
    for key, value in (extra_arrays or {}).items():
        tensors[f"extra.{key}"] = value
    tensors = {key: np.ascontiguousarray(value) for key, value in tensors.items()}
    metadata = {
        "format": FORMAT,
        "version": VERSION,
        "sha256": tensors_digest(tensors),
        "state": json.dumps(state),
    }
    return atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata=metadata))
    ### END SOLUTION


def read_checkpoint(path: PathLike) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The tensors and the decoded JSON state of a checkpoint file, verified.

    Raises CheckpointError if the file is missing, truncated, not safetensors,
    not a tinytorch checkpoint, or its checksum does not match.
    """
    ### BEGIN SOLUTION 12
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path}: no such file")
    try:
        with safe_open(path, framework="np") as f:
            metadata = f.metadata() or {}
            tensors = {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118  (not a dict)
    except Exception as err:  # safetensors raises its own SafetensorError, or OSError
        raise CheckpointError(
            f"checkpoint {path}: not a readable safetensors file (truncated or corrupted?): {err}"
        ) from None
    if metadata.get("format") != FORMAT:
        raise CheckpointError(
            f"checkpoint {path}: not a tinytorch checkpoint (metadata format={metadata.get('format')!r})"
        )
    if metadata.get("version") != VERSION:
        raise CheckpointError(f"checkpoint {path}: unsupported version {metadata.get('version')!r}")
    if metadata.get("sha256") != tensors_digest(tensors):
        raise CheckpointError(f"checkpoint {path}: checksum mismatch, the file is corrupted")
    try:
        state = json.loads(metadata["state"])
    except (KeyError, ValueError) as err:
        raise CheckpointError(f"checkpoint {path}: unreadable state metadata ({err})") from None
    return tensors, state
    ### END SOLUTION


def load_checkpoint(
    path: PathLike,
    model: Module,
    optimizer: Optimizer | None = None,
    scheduler: Scheduler | None = None,
    *,
    restore_rng: bool = True,
) -> Checkpoint:
    """Restore `model` (and `optimizer`, `scheduler`, the global RNG) from `path`.

    Everything is checked before anything changes: a file that cannot be
    read, a model whose parameter names or shapes differ, an optimizer or
    scheduler of another class or shape raises CheckpointError naming the
    problem. Returns the epoch and the caller's `extra` data.
    """
    ### BEGIN SOLUTION 12
    tensors, state = read_checkpoint(path)
    model_arrays = {k.removeprefix("model."): v for k, v in tensors.items() if k.startswith("model.")}
    expected = {name: t.shape for name, t in [*model.named_parameters(), *model.named_buffers()]}
    missing, unexpected = sorted(set(expected) - set(model_arrays)), sorted(set(model_arrays) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            f"checkpoint {path} does not fit {type(model).__name__}: missing keys {missing}, "
            f"unexpected keys {unexpected}"
        )
    for key, shape in expected.items():
        if model_arrays[key].shape != shape:
            raise CheckpointError(
                f"checkpoint {path} does not fit {type(model).__name__}: '{key}' has shape "
                f"{model_arrays[key].shape} in the checkpoint but {shape} in the model"
            )
    for obj, key in ((optimizer, "optimizer"), (scheduler, "scheduler")):
        if obj is None:
            continue
        if key not in state:
            raise CheckpointError(f"checkpoint {path} holds no {key} state")
        if state[key]["class"] != type(obj).__name__:
            raise CheckpointError(
                f"checkpoint {path}: saved {key} is a {state[key]['class']}, not a {type(obj).__name__}"
            )
    if scheduler is not None and set(state["scheduler"]["state"]) != set(scheduler.state_dict()):
        raise CheckpointError(f"checkpoint {path}: the saved scheduler state does not fit this scheduler")
    if optimizer is not None:
        saved = state["optimizer"]
        opt_state: dict[int, dict[str, Any]] = {int(i): dict(s) for i, s in saved["state"].items()}
        for key, value in tensors.items():
            if key.startswith("optimizer."):
                index, name = key.removeprefix("optimizer.").split(".", 1)
                opt_state.setdefault(int(index), {})[name] = value
        try:
            optimizer.load_state_dict({"state": opt_state, "param_groups": saved["param_groups"]})
        except ValueError as err:
            raise CheckpointError(f"checkpoint {path}: {err}") from None
    model.load_state_dict(model_arrays)
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"]["state"])
    if restore_rng:
        set_rng_state(state["rng"])
    extra_arrays = {k.removeprefix("extra."): v for k, v in tensors.items() if k.startswith("extra.")}
    return Checkpoint(state["epoch"], state.get("extra", {}), extra_arrays, state["rng"])
    ### END SOLUTION
