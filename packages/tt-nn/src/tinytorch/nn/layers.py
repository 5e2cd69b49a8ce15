"""Layers (module 04): Linear, Sequential, Dropout, Flatten, Identity.

They run forward before autograd exists (module 05): a Linear's parameters
require grad, so `Function.apply` already records the graph that module 05's
backward will walk.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from tinytorch.core import ArgumentError, DimensionError, ShapeError, Tensor, float32
from tinytorch.nn import init, ops_layer
from tinytorch.nn.module import Module, Parameter
from tinytorch.nn.ops_layer import check_dropout_p, check_linear_args, dropout


class Linear(Module):
    """y = x @ weight.T + bias.  x: (*, in_features) -> y: (*, out_features).

    weight: (out_features, in_features), as PyTorch, so state dicts are
    interchangeable. Initialised as PyTorch does: weight by
    kaiming_uniform_(a=√5), i.e. U(-1/√in, 1/√in), and bias U(-1/√in, 1/√in),
    both from tinytorch.core's global generator (`manual_seed` reproduces them).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype: Any = float32) -> None:
        super().__init__()
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
                negative = isinstance(n, (int, np.integer)) and n < 0  # PyTorch: RuntimeError, as empty()
                raise (ShapeError if negative else ValueError)(
                    f"Linear: {name} must be a non-negative int, got {n!r}"
                )
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        ### BEGIN SOLUTION 04
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dtype))
        self.bias = Parameter(np.empty(self.out_features, dtype=dtype)) if bias else None
        self.reset_parameters()
        ### END SOLUTION

    def reset_parameters(self) -> None:
        """Draw fresh weights (weight first, then bias, as PyTorch)."""
        ### BEGIN SOLUTION 04
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))  # = U(-1/sqrt(in), 1/sqrt(in))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)
        ### END SOLUTION

    def forward(self, x: Tensor) -> Tensor:
        w = self.weight
        if not isinstance(x, Tensor) or x.ndim == 0 or x.shape[-1] != w.shape[1] or x.dtype != w.dtype:
            # (the checks word their errors with this layer's repr; formatted only on failure)
            check_linear_args(x, w, self.bias, repr(self), f"expected {self.in_features}")
        return ops_layer.Linear.apply(x, w, self.bias)

    def extra_repr(self) -> str:
        bias = self.bias is not None
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={bias}"


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


class Dropout(Module):
    """Inverted dropout with probability p in training mode; the identity in eval mode. (*) -> (*)."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = check_dropout_p(p, "Dropout")

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


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
