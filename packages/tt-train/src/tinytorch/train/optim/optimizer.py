"""The Optimizer base class: parameter groups, state, zero_grad, state dicts (module 07).

An optimizer updates parameters in place from their `.grad`. PyTorch's
structure, kept here so that code and checkpoints translate one to one:

- `param_groups`: a list of dicts, each holding `"params"` (a list of
  tensors) and that group's hyperparameters (`"lr"`, `"momentum"`, ...).
  Hyperparameters missing from a group come from `defaults`, the keyword
  arguments of the optimizer's constructor. A scheduler changes a group's
  `"lr"` between steps.
- `state`: per-parameter buffers keyed by the parameter (`optimizer.state[p]`),
  e.g. `{"momentum_buffer": array}` for SGD, `{"step": 3, "exp_avg": array,
  "exp_avg_sq": array}` for Adam. Empty until the first `step()`.
- `state_dict()` / `load_state_dict()`: the same structure with parameters
  replaced by their index in group order, `{"state": {0: {...}, ...},
  "param_groups": [{"lr": ..., "params": [0, 1]}, ...]}`.

Updates run on `p.data` (NumPy arrays), in place (`p.data -= lr * d_p`): no
graph is built, and the state arrays are updated where they are.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import numpy as np

from tinytorch.core import Tensor, enable_grad, increment_version
from tinytorch.nn.module import clear_grads

ParamGroup = dict[str, Any]
Params = Iterable[Tensor] | Iterable[Mapping[str, Any]]


class Optimizer:
    """Base class: subclasses define `step()` and `check_group(group)`.

    `Optimizer(params, defaults)`: `params` is an iterable of tensors (one
    group) or of dicts (several groups, each with `"params"` and optional
    per-group hyperparameters overriding `defaults`).
    """

    #: The per-parameter state `step()` keeps: name -> "array" (of the parameter's shape)
    #: or "count" (an int >= 0). `load_state_dict` refuses any other name; empty (the
    #: default): any name, holding an array or a number.
    state_spec: ClassVar[Mapping[str, str]] = {}

    def __init__(self, params: Params, defaults: Mapping[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[ParamGroup] = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{self.name}: params must be an iterable of tensors or of dicts, got a single Tensor; "
                "pass model.parameters() or [tensor]"
            )
        groups: list[Any] = list(params)
        if not groups:
            raise ValueError(f"{self.name}: got an empty parameter list")
        if not isinstance(groups[0], Mapping):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        lines = [f"{self.name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {value}" for key, value in sorted(group.items()) if key != "params"]
        return "\n".join([*lines, ")"])

    # ------------------------------------------------------------- groups
    def add_param_group(self, group: Mapping[str, Any]) -> None:
        """Add a group (a dict with "params"); missing hyperparameters come from `defaults`.

        Raises ValueError for an invalid hyperparameter (see `check_group`), an
        empty group, or a parameter already in another group; TypeError for a
        parameter that is not a floating-point leaf tensor.
        """
        if not isinstance(group, Mapping) or "params" not in group:
            raise TypeError(f"{self.name}: a parameter group is a dict with a 'params' entry, got {group!r}")
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        if not params:
            raise ValueError(f"{self.name}: parameter group {len(self.param_groups)} has no parameters")
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{self.name}: can only optimize Tensors, got {type(p).__name__}")
            if p.grad_fn is not None:
                raise TypeError(f"{self.name}: can't optimize a non-leaf Tensor (one computed by an op)")
            if p.dtype.kind != "f":
                raise TypeError(f"{self.name}: can only optimize floating-point tensors, got {p.dtype}")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or seen & {id(p) for p in params}:
            raise ValueError(f"{self.name}: some parameters appear more than once or in more than one group")
        new: ParamGroup = {**self.defaults, **{k: v for k, v in group.items() if k != "params"}}
        new["params"] = params
        self.check_group(new)
        self.param_groups.append(new)

    def check_group(self, group: ParamGroup) -> None:
        """Validate (and normalise, e.g. to float) one group's hyperparameters in place.

        Raise ValueError naming the optimizer, the hyperparameter and its value.
        """
        raise NotImplementedError(f"{self.name} must define check_group()")

    def required_state(self, group: ParamGroup) -> set[str]:
        """The `state_spec` names every parameter of `group` holds once it has any state."""
        return set()

    # --------------------------------------------------------------- step
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns closure() if given."""
        raise NotImplementedError(f"{self.name} must define step()")

    def _closure_loss(self, closure: Callable[[], Any] | None) -> Any:
        """Re-evaluate the model (for optimizers that need it, as torch's `step(closure)`)."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every gradient: `p.grad = None` (default) or fill it with zeros
        (`Module.zero_grad` does the same for a model's parameters)."""
        clear_grads((p for group in self.param_groups for p in group["params"]), set_to_none)

    # ------------------------------------------------------- state dicts
    def state_dict(self) -> dict[str, Any]:
        """`{"state": {index: {name: value}}, "param_groups": [{..., "params": [index, ...]}]}`.

        Parameters are numbered in group order. Arrays are copies (safe to keep
        while training goes on); scalars (e.g. Adam's "step") are Python numbers.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(p)]: {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in s.items()}
            for p, s in self.state.items()
            if s
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore groups' hyperparameters and per-parameter state from `state_dict()`.

        The groups must hold as many parameters as when it was saved, every
        hyperparameter must be there and valid (`check_group`), and every state
        entry must be a number or an array of its parameter's shape, under a
        name this optimizer keeps (`state_spec`). Nothing changes if a check
        fails (ValueError naming the group, parameter index and entry). Arrays
        are copied in, converted to the parameter's dtype.
        """
        self.prepare_load_state_dict(state_dict)()

    def prepare_load_state_dict(self, state_dict: Mapping[str, Any]) -> Callable[[], None]:
        """Check `state_dict` as `load_state_dict` does, changing nothing, and return a
        function that applies it and cannot fail: a caller restoring several objects
        (`load_checkpoint`) checks them all before it changes any."""
        where = f"{self.name}.load_state_dict"
        groups = state_dict.get("param_groups") if isinstance(state_dict, Mapping) else None
        saved_state = state_dict.get("state") if isinstance(state_dict, Mapping) else None
        if not isinstance(groups, list | tuple) or not isinstance(saved_state, Mapping):
            raise ValueError(f"{where}: expected a dict with 'state' (a dict) and 'param_groups' (a list)")
        if len(groups) != len(self.param_groups):
            raise ValueError(
                f"{where}: the state dict has {len(groups)} parameter group(s), "
                f"this optimizer {len(self.param_groups)}"
            )
        by_index: dict[int, Tensor] = {}
        group_of: dict[int, ParamGroup] = {}
        new_groups = []
        for i, (saved, group) in enumerate(zip(groups, self.param_groups, strict=True)):
            indices = saved.get("params") if isinstance(saved, Mapping) else None
            if not isinstance(indices, list | tuple) or not all(_is_int(k) and k >= 0 for k in indices):
                raise ValueError(f"{where}: parameter group {i} has no 'params' list of parameter indices")
            if len(indices) != len(group["params"]):
                raise ValueError(
                    f"{where}: parameter group {i} has {len(indices)} "
                    f"parameter(s) in the state dict but {len(group['params'])} in this optimizer"
                )
            if set(indices) & set(by_index) or len(set(indices)) != len(indices):
                raise ValueError(f"{where}: parameter group {i} repeats a parameter index")
            missing = sorted(set(self.defaults) - set(saved))
            if missing:
                raise ValueError(f"{where}: parameter group {i} has no hyperparameter(s) {missing}")
            new_group = {**group, **{k: v for k, v in saved.items() if k != "params"}}
            try:
                self.check_group(new_group)
            except (TypeError, ValueError, KeyError) as err:
                raise ValueError(f"{where}: parameter group {i}: {_reason(err)}") from None
            new_groups.append(new_group)
            for k, p in zip(indices, group["params"], strict=True):
                by_index[int(k)], group_of[int(k)] = p, new_group
        new_state: dict[Tensor, dict[str, Any]] = {}
        for key, entries in saved_state.items():
            index = int(key) if _is_int(key) or (isinstance(key, str) and key.isdigit()) else -1
            p = by_index.get(index)
            if p is None:
                raise ValueError(f"{where}: state for unknown parameter index {key!r}")
            if p in new_state:
                raise ValueError(f"{where}: the state of parameter {index} is given twice")
            if not isinstance(entries, Mapping):
                raise ValueError(
                    f"{where}: the state of parameter {key} is a {type(entries).__name__}, not a dict"
                )
            new_state[p] = self._checked_param_state(where, key, entries, p, group_of[index])
        new_state = {p: s for p, s in new_state.items() if s}

        def apply() -> None:
            for group, new_group in zip(self.param_groups, new_groups, strict=True):
                group.update(new_group)
            self.state = new_state

        return apply

    def _checked_param_state(
        self, where: str, key: Any, entries: Mapping[str, Any], p: Tensor, group: ParamGroup
    ) -> dict[str, Any]:
        """One parameter's saved state, checked against `state_spec` and converted (arrays copied)."""
        spec = self.state_spec
        names = set(entries)
        unknown = sorted(map(str, names - set(spec))) if spec else []
        missing = sorted(self.required_state(group) - names) if names else []
        if unknown or missing:
            raise ValueError(
                f"{where}: the state of parameter {key} has unknown entries {unknown}, "
                f"missing entries {missing} (a {self.name} keeps {sorted(spec)})"
            )
        converted: dict[str, Any] = {}
        for name, value in entries.items():
            kind = spec.get(name, "array" if isinstance(value, np.ndarray | Tensor) else "number")
            if kind == "array":
                array = value.data if isinstance(value, Tensor) else value
                if not isinstance(array, np.ndarray) or array.dtype.kind not in "fiu":
                    what = f"dtype {array.dtype}" if isinstance(array, np.ndarray) else type(value).__name__
                    raise ValueError(
                        f"{where}: state '{name}' of parameter {key} is {what}, expected a numeric array"
                    )
                if array.shape != p.shape:
                    raise ValueError(
                        f"{where}: state '{name}' of parameter {key} has shape "
                        f"{array.shape} but the parameter has shape {p.shape}"
                    )
                converted[name] = np.array(array, dtype=p.dtype, copy=True)
            elif kind == "count" and not (_is_int(value) and value >= 0):
                raise ValueError(
                    f"{where}: state '{name}' of parameter {key} is {value!r:.60}, expected an int >= 0"
                )
            elif kind == "number" and not (
                isinstance(value, int | float | np.number)
                and not isinstance(value, bool)
                and np.isfinite(value)
            ):
                raise ValueError(
                    f"{where}: state '{name}' of parameter {key} is {value!r:.60}, expected a number"
                )
            else:
                converted[name] = int(value) if kind == "count" else value
        return converted


def require(optimizer: str, name: str, value: Any, ok: bool, expected: str) -> None:
    """Raise `ValueError("SGD: invalid lr=-1 (expected lr > 0)")` unless `ok`."""
    if not ok:
        raise ValueError(f"{optimizer}: invalid {name}={value!r} (expected {expected})")


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _reason(err: BaseException) -> str:
    return str(err) if isinstance(err, ValueError) else f"{type(err).__name__}: {err}"


# ----------------------------------------------------- elementwise updates on all cores
#
# Used by `Adam(fused=True)` (given code, beside the student's whole-array rule).
# A NumPy ufunc runs on one core; PyTorch splits an elementwise kernel over all
# of them. An optimizer update is elementwise (element i of the new parameter
# depends on element i of the gradient and state only), so a large parameter
# can be cut into one slice per core and each slice updated on its own
# thread: NumPy releases the GIL inside ufunc loops, so the slices really do
# run in parallel.

PARALLEL_MIN_SIZE = 1 << 18  # smaller arrays: one thread (a thread hand-off costs ~20 µs)
_num_threads = min(8, os.cpu_count() or 1)
_pool: ThreadPoolExecutor | None = None


def set_num_threads(n: int) -> None:
    """How many threads `for_each_slice` may use (default: the number of cores, at most 8)."""
    global _num_threads, _pool
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: invalid n={n!r} (expected an int >= 1)")
    _num_threads = n
    if _pool is not None:
        _pool.shutdown()
        _pool = None


def get_num_threads() -> int:
    return _num_threads


def for_each_slice(fn: Callable[..., None], arrays: Sequence[np.ndarray | None], **kwargs: Any) -> None:
    """Call `fn(*arrays, **kwargs)` — or, for large contiguous arrays, `fn(*slices, **kwargs)`
    once per slice on up to `get_num_threads()` threads, every array cut at the same flat
    positions (None entries are passed as None). `fn` must be elementwise and
    work in place (`adam_update`, the update of `Adam(fused=True)`)."""
    global _pool
    first = next(a for a in arrays if a is not None)
    parts = min(_num_threads, first.size // PARALLEL_MIN_SIZE)
    if parts <= 1 or not all(a is None or a.flags.c_contiguous for a in arrays):
        fn(*arrays, **kwargs)
        return
    flat = [None if a is None else a.reshape(-1) for a in arrays]  # views: the arrays are contiguous
    bounds = np.linspace(0, first.size, parts + 1).astype(int)
    slices = [[None if a is None else a[lo:hi] for a in flat] for lo, hi in itertools.pairwise(bounds)]
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=_num_threads, thread_name_prefix="tinytorch-optim")
    futures = [_pool.submit(fn, *part, **kwargs) for part in slices[1:]]
    fn(*slices[0], **kwargs)  # this thread takes the first slice
    for future in futures:
        future.result()


def mark_updated(param_groups: Sequence[ParamGroup]) -> None:
    """Bump the version of every parameter `step()` updated (those with a gradient), so that a
    graph that saved one of them raises at backward instead of using the new values
    (`tinytorch.core.increment_version`)."""
    increment_version(*[p for group in param_groups for p in group["params"] if p.grad is not None])
