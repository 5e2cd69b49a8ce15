"""Checkpoints: a whole training state in one safetensors file (module 12).

One file holds:

- tensors (safetensors' raw little-endian arrays, no pickle): the model's
  `state_dict()` under `model.<key>`, every optimizer state array under
  `optimizer.<param index>.<name>` (Adam's `exp_avg`, ...), and any caller
  arrays under `extra.<key>` (the Trainer's early-stopping best weights);
- metadata (strings): `format`, `version`, `state`, a JSON document with the
  epoch, the optimizer's param groups and scalar state ("step"), the
  scheduler's state dict, tinytorch's global RNG state and the caller's
  `extra` (the Trainer's history and DataLoader generator state), and
  `sha256`, a SHA-256 over every tensor (name, dtype, shape, bytes) and every
  other metadata entry: over every byte that is restored.

Writing is atomic: the file is written under a temporary name in the same
directory, flushed to disk (fsync), then renamed over the target
(`os.replace`), so a crash leaves either the old or the new checkpoint,
never half of one. A temporary a killed save left behind is removed by the
next save of the same target (`remove_stale_temporaries`). Reading verifies
the format and the checksum, then that every part fits what it is loaded
into (the model's names, shapes and dtypes, the optimizer's groups and state,
the scheduler's state, the RNG state, the epoch), before changing anything.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import socket
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file

from tinytorch.core import generator, get_rng_state, set_rng_state
from tinytorch.nn import Module
from tinytorch.train.optim.lr_scheduler import Scheduler
from tinytorch.train.optim.optimizer import Optimizer

FORMAT = "tinytorch.train.checkpoint"
VERSION = "2"  # version 1's checksum covered the tensors only, not the JSON state
PathLike = str | os.PathLike[str]

#: A temporary of a live process, of another machine or of an older tinytorch is
#: removed once it has not been written to for this many seconds.
STALE_TMP_SECONDS = 3600.0


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or does not fit what it is loaded into."""


@dataclass
class Checkpoint:
    """What `load_checkpoint` read besides the model, optimizer and scheduler it restored."""

    epoch: int
    extra: dict[str, Any] = field(default_factory=dict)
    extra_arrays: dict[str, np.ndarray] = field(default_factory=dict)
    rng_state: dict[str, Any] | None = None


def checkpoint_digest(tensors: Mapping[str, np.ndarray], metadata: Mapping[str, str]) -> str:
    """SHA-256 over everything a checkpoint restores: every tensor's name, dtype,
    shape and bytes, then every metadata entry but "sha256" itself (key and value,
    each length-prefixed so that no two documents hash alike), both in key order."""
    digest = hashlib.sha256()
    for key in sorted(tensors):
        array = tensors[key]
        digest.update(f"{key}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(np.ascontiguousarray(array).data)
    for key in sorted(metadata):
        if key != "sha256":
            name, value = key.encode(), metadata[key].encode()
            digest.update(b"%d:%s%d:%s" % (len(name), name, len(value), value))
    return digest.hexdigest()


# ------------------------------------------------------------ atomic writes

# Temporaries are named .<target name>.<host>.<pid>.<8 random chars>.tmp: the host and
# pid tell a later save whether the process that wrote one can still be running.
_HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:32] or "host"


def _temporary_name(target: str) -> re.Pattern[str]:
    """The names `atomic_write` gives temporaries of `target` (and, without host and pid,
    gave them up to tt-train 0.2.0); mkstemp's random part is 8 of [a-z0-9_]."""
    return re.compile(
        rf"\.{re.escape(target)}\.(?:(?P<host>[A-Za-z0-9-]+)\.(?P<pid>\d+)\.)?[a-z0-9_]{{8}}\.tmp"
    )


def _is_dead(pid: int) -> bool:
    """True if no process `pid` runs on this machine (False when it cannot tell)."""
    if os.name != "posix":  # os.kill(pid, 0) would terminate the process on Windows
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # PermissionError: it runs, as another user
        return False
    return False


def remove_stale_temporaries(path: PathLike, *, max_age: float = STALE_TMP_SECONDS) -> list[Path]:
    """Delete the temporary files that killed `atomic_write`s of `path` left beside
    it; return their paths.

    Only names `atomic_write` gives temporaries of this very target are looked at
    (other files, and temporaries of other targets, are never touched). One whose
    process (pid in its name) no longer runs on this machine is removed. One of a
    process still running (a save going on now, or a reused pid), of another machine
    (a shared directory) or of an older tinytorch (no pid in its name) is removed
    only once unmodified for `max_age` seconds; this process's own are kept.
    """
    target = Path(path)
    pattern = _temporary_name(target.name)
    removed: list[Path] = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None or not entry.is_file(follow_symlinks=False):
            continue
        pid = int(match["pid"]) if match["pid"] is not None else None
        here = match["host"] == _HOST
        if here and pid == os.getpid():
            continue
        try:
            old = now - entry.stat(follow_symlinks=False).st_mtime > max_age
            if old or (here and pid is not None and _is_dead(pid)):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:  # gone already, or not ours to delete
            continue
    return removed


def atomic_write(path: PathLike, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp)` to fill a temporary file beside `path`, fsync it, then rename
    it to `path` in one step. On any error the temporary file is removed and
    `path` (if it existed) is left untouched. Temporaries earlier writes of `path`
    left when their process was killed are removed first (`remove_stale_temporaries`)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.{_HOST}.{os.getpid()}.", suffix=".tmp", dir=target.parent
    )
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


# ------------------------------------------------ checks before anything changes


def _fail(path: PathLike, problem: str) -> NoReturn:
    raise CheckpointError(f"checkpoint {path}: {problem}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_rng_state(state: Any, like: np.random.BitGenerator) -> None:
    """Raise ValueError unless `state` is a state of a bit generator of `like`'s kind
    (tried on a fresh one, so nothing changes; it must read back equal)."""
    kind = type(like).__name__
    probe = type(like)(0)
    try:
        probe.state = state
        same = probe.state == state
    except Exception as err:  # numpy raises TypeError, ValueError, KeyError, OverflowError
        raise ValueError(f"not a {kind} state ({type(err).__name__}: {err})") from None
    if not same:
        raise ValueError(f"not a {kind} state (it does not read back the same)")


def check_like(saved: Any, current: Any, where: str) -> None:
    """Raise ValueError unless the JSON value `saved` has the structure of `current`:
    an int where it has an int, a number where a float, the same type of str or
    bool, a list of its length, a dict with its keys (recursively); None: any scalar."""
    if isinstance(current, Mapping):
        if not isinstance(saved, dict) or set(saved) != set(current):
            keys = sorted(saved) if isinstance(saved, dict) else type(saved).__name__
            raise ValueError(f"{where} holds {keys}, expected {sorted(current)}")
        for key, value in current.items():
            check_like(saved[key], value, f"{where}.{key}")
        return
    if isinstance(current, list | tuple):
        if not isinstance(saved, list) or len(saved) != len(current):
            raise ValueError(f"{where} is {saved!r:.60}, expected a list of {len(current)}")
        for i, (item, value) in enumerate(zip(saved, current, strict=True)):
            check_like(item, value, f"{where}[{i}]")
        return
    if current is None:
        ok, expected = saved is None or isinstance(saved, int | float | str), "a scalar"
    elif isinstance(current, bool | str):
        ok, expected = type(saved) is type(current), f"a {type(current).__name__}"
    elif isinstance(current, int):
        ok, expected = _is_int(saved), "an int"
    elif isinstance(current, float):
        ok, expected = isinstance(saved, int | float) and not isinstance(saved, bool), "a number"
    else:
        ok, expected = True, ""
    if not ok:
        raise ValueError(f"{where} is {saved!r:.60}, expected {expected}")


def check_state(path: PathLike, state: Any) -> None:
    """Raise CheckpointError unless the decoded JSON `state` has the structure
    `save_checkpoint` writes: "epoch" an int >= 0, "rng" a state of tinytorch's
    global generator, "extra" a dict, "optimizer" and "scheduler" (when there)
    dicts with their "class" and state."""
    if not isinstance(state, dict):
        _fail(path, f"the state metadata is a {type(state).__name__}, not a JSON object")
    epoch = state.get("epoch")
    if not (isinstance(epoch, int) and not isinstance(epoch, bool) and epoch >= 0):
        _fail(path, f"epoch is {epoch!r:.60}, expected an int >= 0")
    try:
        check_rng_state(state.get("rng"), generator().bit_generator)
    except ValueError as err:
        _fail(path, f"the global RNG state is {err}")
    if not isinstance(state.get("extra", {}), dict):
        _fail(path, f"extra is a {type(state['extra']).__name__}, not a dict")
    shapes: dict[str, dict[str, type]] = {
        "optimizer": {"param_groups": list, "state": dict},
        "scheduler": {"state": dict},
    }
    for key, fields in shapes.items():
        saved = state.get(key)
        if saved is None:
            continue
        if not (isinstance(saved, dict) and isinstance(saved.get("class"), str)) or not all(
            isinstance(saved.get(name), kind) for name, kind in fields.items()
        ):
            _fail(path, f"the {key} state is not a dict with 'class' and {sorted(fields)}")


def name_tensors(
    model: Module, optimizer_state: Mapping[Any, Mapping[str, Any]], extra_arrays: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Every array a checkpoint holds, under its name: the model's `state_dict()` as
    `model.<key>`, each array of the optimizer's per-parameter state
    (`{param index: {"momentum_buffer": array, "step": 3, ...}}`) as
    `optimizer.<param index>.<name>` (its scalars go into the JSON state instead), and
    the caller's arrays as `extra.<key>`."""
    ### BEGIN SOLUTION 12
    tensors = {f"model.{key}": value for key, value in model.state_dict().items()}
    for index, entries in optimizer_state.items():
        for name, value in entries.items():
            if isinstance(value, np.ndarray):
                tensors[f"optimizer.{index}.{name}"] = value
    tensors.update({f"extra.{key}": value for key, value in extra_arrays.items()})
    return tensors
    ### END SOLUTION


def split_tensors(
    tensors: Mapping[str, np.ndarray],
) -> tuple[dict[str, np.ndarray], dict[str, dict[str, np.ndarray]], dict[str, np.ndarray]]:
    """`name_tensors` backwards: `(model, optimizer, extra)`, the model's arrays by
    state_dict key, the optimizer's by param index (a str, as in JSON) and name, the
    caller's by key. Names of no such part are left out."""
    ### BEGIN SOLUTION 12
    model = {k.removeprefix("model."): v for k, v in tensors.items() if k.startswith("model.")}
    extra = {k.removeprefix("extra."): v for k, v in tensors.items() if k.startswith("extra.")}
    optimizer: dict[str, dict[str, np.ndarray]] = {}
    for key, value in tensors.items():
        if key.startswith("optimizer."):
            index, _, name = key.removeprefix("optimizer.").partition(".")  # "0.exp_avg"
            optimizer.setdefault(index, {})[name] = value
    return model, optimizer, extra
    ### END SOLUTION


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
    to `path` atomically. Returns the path.

    The arrays are named by `name_tensors`; the rest is the JSON `state`, checksummed
    with them (`checkpoint_digest`) and written through `atomic_write`."""
    opt_state = optimizer.state_dict() if optimizer is not None else {"state": {}}
    tensors = name_tensors(model, opt_state["state"], extra_arrays or {})
    state: dict[str, Any] = {"epoch": epoch, "rng": get_rng_state(), "extra": dict(extra or {})}
    if optimizer is not None:
        state["optimizer"] = {
            "class": type(optimizer).__name__,
            "param_groups": opt_state["param_groups"],
            "state": {  # the scalars (Adam's "step"); the arrays are tensors
                str(index): {k: v for k, v in entries.items() if not isinstance(v, np.ndarray)}
                for index, entries in opt_state["state"].items()
            },
        }
    if scheduler is not None:
        state["scheduler"] = {"class": type(scheduler).__name__, "state": scheduler.state_dict()}
    tensors = {key: np.ascontiguousarray(value) for key, value in tensors.items()}
    metadata = {"format": FORMAT, "version": VERSION, "state": json.dumps(state)}
    metadata["sha256"] = checkpoint_digest(tensors, metadata)
    return atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata=metadata))


def read_checkpoint(path: PathLike) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The tensors and the decoded JSON state of a checkpoint file, verified.

    Raises CheckpointError if the file is missing, truncated, not safetensors,
    not a tinytorch checkpoint, or its checksum does not match.
    """
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
    if metadata.get("version") == "1":
        raise CheckpointError(
            f"checkpoint {path}: format version 1 (tt-train 0.2.0), whose checksum does not cover "
            "its metadata: it cannot be verified. Save it again with this version."
        )
    if metadata.get("version") != VERSION:
        raise CheckpointError(f"checkpoint {path}: unsupported version {metadata.get('version')!r}")
    if metadata.get("sha256") != checkpoint_digest(tensors, metadata):
        raise CheckpointError(f"checkpoint {path}: checksum mismatch, the file is corrupted")
    try:
        state = json.loads(metadata["state"])
    except (KeyError, ValueError, RecursionError) as err:
        raise CheckpointError(f"checkpoint {path}: unreadable state metadata ({err!r:.100})") from None
    return tensors, state


def load_checkpoint(
    path: PathLike,
    model: Module,
    optimizer: Optimizer | None = None,
    scheduler: Scheduler | None = None,
    *,
    restore_rng: bool = True,
    check_extra: Callable[[dict[str, Any], dict[str, np.ndarray]], None] | None = None,
) -> Checkpoint:
    """Restore `model` (and `optimizer`, `scheduler`, the global RNG) from `path`.

    Everything is checked before anything changes: a file that cannot be read
    or fails its checksum, a model whose parameter names, shapes or dtypes
    differ, an optimizer or scheduler of another class or whose saved state
    does not fit, a bad RNG state or epoch raises CheckpointError naming the
    problem, and model, optimizer, scheduler and RNG are left as they were.
    `check_extra(extra, extra_arrays)`, if given, runs before anything changes
    too: a ValueError, TypeError or KeyError it raises becomes a CheckpointError.
    Returns the epoch and the caller's `extra` data.
    """
    tensors, state = read_checkpoint(path)
    check_state(path, state)
    model_arrays, optimizer_arrays, extra_arrays = split_tensors(tensors)
    targets = dict([*model.named_parameters(), *model.named_buffers()])
    missing, unexpected = sorted(set(targets) - set(model_arrays)), sorted(set(model_arrays) - set(targets))
    if missing or unexpected:
        raise CheckpointError(
            f"checkpoint {path} does not fit {type(model).__name__}: missing keys {missing}, "
            f"unexpected keys {unexpected}"
        )
    for key, target in targets.items():
        array = model_arrays[key]
        if array.shape != target.shape:
            raise CheckpointError(
                f"checkpoint {path} does not fit {type(model).__name__}: '{key}' has shape "
                f"{array.shape} in the checkpoint but {target.shape} in the model"
            )
        if array.dtype.kind != target.dtype.kind:
            raise CheckpointError(
                f"checkpoint {path} does not fit {type(model).__name__}: '{key}' is {array.dtype} "
                f"in the checkpoint but {target.dtype} in the model"
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
    restore_optimizer = None
    if optimizer is not None:
        saved = state["optimizer"]
        opt_state: dict[str, dict[str, Any]] = {str(i): dict(s) for i, s in saved["state"].items()}
        for index, arrays in optimizer_arrays.items():
            opt_state.setdefault(index, {}).update(arrays)
        try:
            restore_optimizer = optimizer.prepare_load_state_dict(
                {"state": opt_state, "param_groups": saved["param_groups"]}
            )
        except ValueError as err:
            raise CheckpointError(f"checkpoint {path}: {err}") from None
    if scheduler is not None:
        try:
            check_like(state["scheduler"]["state"], scheduler.state_dict(), "the scheduler state")
        except ValueError as err:
            raise CheckpointError(f"checkpoint {path}: {err}") from None
    extra = state.get("extra", {})
    if check_extra is not None:
        try:
            check_extra(extra, extra_arrays)
        except (ValueError, TypeError, KeyError) as err:
            reason = str(err) if isinstance(err, ValueError) else f"{type(err).__name__}: {err}"
            raise CheckpointError(f"checkpoint {path}: {reason}") from None
    # everything fits: from here on nothing can fail half-way
    model.load_state_dict(model_arrays)
    if restore_optimizer is not None:
        restore_optimizer()
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"]["state"])
    if restore_rng:
        set_rng_state(state["rng"])
    return Checkpoint(state["epoch"], extra, extra_arrays, state["rng"])
