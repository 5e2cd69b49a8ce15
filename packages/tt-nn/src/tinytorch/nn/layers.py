"""Layers without weights (module 04): Sequential, Flatten, Identity.

`Linear` (linear.py) and `Dropout` (dropout.py) live with their Functions;
they are re-exported here so that `tinytorch.nn.layers.Linear` keeps working.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from tinytorch.core import ArgumentError, DimensionError, Tensor
from tinytorch.nn.dropout import Dropout
from tinytorch.nn.linear import Linear
from tinytorch.nn.module import Module

__all__ = ["Dropout", "Flatten", "Identity", "Linear", "Sequential"]


class Sequential(Module):
    """Modules applied in order: `Sequential(a, b, c)` or `Sequential([a, b, c])`.

    Children are named "0", "1", ... (state dict keys "0.weight", ...), as in
    PyTorch; a dict {name: module} names them itself. Supports len, iteration,
    indexing (a slice gives a Sequential keeping the original names) and append.
    """

    def __init__(self, *modules: Any) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            items = list(modules[0].items())
        else:
            if len(modules) == 1 and isinstance(modules[0], (list, tuple)):
                modules = tuple(modules[0])
            items = [(str(i), m) for i, m in enumerate(modules)]
        for name, module in items:
            if not isinstance(module, Module):
                raise TypeError(f"Sequential: item {name!r} is a {type(module).__name__}, not a Module")
            self.add_module(str(name), module)

    def forward(self, x: Any) -> Any:
        ### BEGIN SOLUTION 04
        for module in self._modules.values():
            x = module(x)
        return x
        ### END SOLUTION

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int | slice) -> Any:
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(dict(items[index]))
        if not -len(items) <= index < len(items):
            raise IndexError(f"Sequential: index {index} is out of range for {len(items)} modules")
        return items[index][1]

    def append(self, module: Module) -> Sequential:
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.append: expected a Module, got {type(module).__name__}")
        self.add_module(str(len(self)), module)
        return self


class Flatten(Module):
    """Merge dims start_dim..end_dim into one: (N, C, H, W) -> (N, C*H*W) by default. A view."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Tensor) -> Tensor:
        ndim = max(x.ndim, 1)
        for name, d in (("start_dim", self.start_dim), ("end_dim", self.end_dim)):
            if not -ndim <= d < ndim:
                raise DimensionError(f"{self!r}: {name} {d} is out of range for an input of shape {x.shape}")
        start, end = self.start_dim % ndim, self.end_dim % ndim
        if start > end:
            raise ArgumentError(f"{self!r}: start_dim comes after end_dim for an input of shape {x.shape}")
        ### BEGIN SOLUTION 04
        shape = x.shape or (1,)  # a 0-d input flattens to (1,), as in PyTorch
        merged = math.prod(shape[start : end + 1])
        return x.reshape(*shape[:start], merged, *shape[end + 1 :])
        ### END SOLUTION

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. where an optional layer is off)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        return x
