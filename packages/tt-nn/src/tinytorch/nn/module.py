"""Module and Parameter: how layers hold their weights and find each other.

A `Module` registers every `Parameter`, sub-`Module` and buffer assigned to it
as an attribute, in assignment order, so that `parameters()`, `train()`,
`state_dict()` and `repr` can walk the whole tree. Key names follow PyTorch
(`"0.weight"`, `"encoder.fc1.bias"`), so a `torch.nn` model of the same
structure exchanges weights with a tinytorch one through `state_dict()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np

from tinytorch.core import ShapeError, Tensor, increment_version


class Parameter(Tensor):
    """A Tensor a Module trains: `requires_grad=True` unless said otherwise.

    `Parameter(data)` shares memory with `data` (an array or Tensor) when its
    dtype is already a float dtype; Python numbers become float32.
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of every layer and model: subclasses define `forward`."""

    training: bool
    # Registries, in assignment order (set in __init__, bypassing __setattr__).
    _parameters: dict[str, Parameter]
    _modules: dict[str, Module]
    _buffers: dict[str, Tensor | None]

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes"
            )
        for registry in (self._parameters, self._modules, self._buffers):
            registry.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._modules, self._buffers):
            registry.pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name: str, value: Tensor | None) -> None:
        """State that is saved in `state_dict` but not trained (e.g. running statistics)."""
        object.__setattr__(self, name, value)
        self._buffers[name] = value

    def add_module(self, name: str, module: Module) -> None:
        setattr(self, name, module)

    # ------------------------------------------------------------------- call
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # --------------------------------------------------------------- traversal
    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from self._modules.items()

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every descendant, depth first, each once."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, m) for n, m in module._modules.items()]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Every parameter once (a shared one under its first name), in registration order."""
        seen: set[int] = set()
        for module_name, module in self.named_modules(prefix):
            for name, param in module._parameters.items():
                if id(param) not in seen:
                    seen.add(id(param))
                    yield (f"{module_name}.{name}" if module_name else name), param

    def parameters(self) -> Iterator[Parameter]:
        for _, param in self.named_parameters():
            yield param

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        for module_name, module in self.named_modules(prefix):
            for name, buf in module._buffers.items():
                if buf is not None:
                    yield (f"{module_name}.{name}" if module_name else name), buf

    # ------------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> Module:
        """Training mode (Dropout active) for this module and every descendant."""
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: `p.grad = None` (default) or fill it with zeros."""
        clear_grads(self.parameters(), set_to_none)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    # ------------------------------------------------------------ state dicts
    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameter and buffer arrays by PyTorch-style key (copies, safe to keep)."""
        state = {name: p.data.copy() for name, p in self.named_parameters()}
        state.update({name: b.data.copy() for name, b in self.named_buffers()})
        return state

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> None:
        """Copy arrays (NumPy, Tensors, or anything with `.numpy()` such as torch
        tensors) into this module's parameters and buffers, in place.

        Every key must match and every shape must equal the target's; with
        `strict=False`, missing and unexpected keys are allowed (shapes are
        still checked). A value that is not an array of numbers (None, a list,
        a string, an object array) raises TypeError naming its key. Nothing is
        changed if any check fails.
        """
        targets: dict[str, Tensor] = dict(self.named_parameters())
        targets.update(self.named_buffers())
        missing = sorted(set(targets) - set(state))
        unexpected = sorted(set(state) - set(targets))
        if strict and (missing or unexpected):
            raise KeyError(
                f"load_state_dict into {type(self).__name__}: missing keys {missing}, "
                f"unexpected keys {unexpected}"
            )
        arrays = {}
        for name in set(targets) & set(state):
            array = _state_array(self, name, state[name])
            target = targets[name]
            if array.shape != target.shape:
                raise ShapeError(  # PyTorch: RuntimeError "size mismatch for ..."
                    f"load_state_dict into {type(self).__name__}: '{name}' has shape "
                    f"{array.shape} in the state dict but {target.shape} in the model"
                )
            arrays[name] = array
        for name, array in arrays.items():
            targets[name].data[...] = array
        increment_version(*[targets[name] for name in arrays])  # graphs that saved them are stale

    # ------------------------------------------------------------------- repr
    def extra_repr(self) -> str:
        """The one-line description inside `Name(...)`; layers override it."""
        return ""

    def __repr__(self) -> str:
        """PyTorch's layout: `Name(extra)` for a leaf, else one indented line per
        extra_repr line and per child, `(name): child`, children indented in turn."""
        extra = self.extra_repr()
        children = [
            f"({name}): " + repr(child).replace("\n", "\n  ") for name, child in self._modules.items()
        ]
        if not children and "\n" not in extra:
            return f"{type(self).__name__}({extra})"
        lines = (extra.split("\n") if extra else []) + children
        return f"{type(self).__name__}(\n" + "".join(f"  {line}\n" for line in lines) + ")"


def clear_grads(params: Iterable[Tensor], set_to_none: bool = True) -> None:
    """`p.grad = None` for each of `params` (default), or its gradient filled with zeros in
    place: `Module.zero_grad` and `Optimizer.zero_grad` (tt-train) both come here."""
    for p in params:
        if set_to_none or p.grad is None:
            p.grad = None
        else:
            p.grad.data[...] = 0


@contextmanager
def eval_mode(module: Module) -> Iterator[Module]:
    """`with eval_mode(model):` runs the block in eval mode (Dropout off), then puts every
    submodule back in the mode it had, also when the block raises."""
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield module
    finally:
        for m, mode in modes:
            object.__setattr__(m, "training", mode)


def as_array(value: Any) -> np.ndarray:
    """The values of a Tensor, a torch tensor (detached) or anything NumPy takes, as an array
    (no copy where none is needed)."""
    if isinstance(value, Tensor):
        return value.data
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
        return np.asarray(value.detach().numpy())
    return np.asarray(value)


def _state_array(module: Module, name: str, value: Any) -> np.ndarray:
    """`value` as a NumPy array of numbers, or TypeError naming `name`.

    Only arrays are taken: a Tensor, a NumPy array (or scalar), a torch tensor
    (`.detach().numpy()`), anything else with `__array__`. np.asarray would
    turn None or `[0, None, 0]` into an object array that assignment silently
    makes NaN.
    """
    torch_like = hasattr(value, "detach") and hasattr(value, "numpy")
    if not (isinstance(value, Tensor) or hasattr(value, "__array__") or torch_like):
        raise TypeError(
            f"load_state_dict into {type(module).__name__}: '{name}' is {type(value).__name__} "
            f"{value!r:.60}, expected an array (NumPy array, Tensor or torch tensor)"
        )
    array = as_array(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"load_state_dict into {type(module).__name__}: '{name}' has dtype {array.dtype}, "
            "expected an array of numbers"
        )
    return array
