"""Activation modules (module 03): thin Module wrappers around the functional activations.

Each holds its options (e.g. `negative_slope`) and calls the matching function
of `tinytorch.nn.functional`, whose Function (ops_activation.py) does the work.
`repr` matches PyTorch's, e.g. `LeakyReLU(negative_slope=0.01)`.
"""

from __future__ import annotations

from tinytorch.core import ArgumentError, Tensor
from tinytorch.nn import ops_activation as fn
from tinytorch.nn.module import Module


class ReLU(Module):
    """max(x, 0). (*) -> (*)."""

    def forward(self, x: Tensor) -> Tensor:
        return fn.relu(x)


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x. (*) -> (*)."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return fn.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """1 / (1 + exp(-x)), stable for any x. (*) -> (*)."""

    def forward(self, x: Tensor) -> Tensor:
        return fn.sigmoid(x)


class Tanh(Module):
    """tanh(x). (*) -> (*)."""

    def forward(self, x: Tensor) -> Tensor:
        return fn.tanh(x)


class GELU(Module):
    """x · Φ(x): exact with erf (approximate="none") or the tanh formula ("tanh"). (*) -> (*)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in fn.GELU_APPROXIMATIONS:
            raise ArgumentError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return fn.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softmax(Module):
    """exp(x) / sum(exp(x)) along `dim`. (*) -> (*)."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return fn.softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) along `dim`, computed stably. (*) -> (*)."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return fn.log_softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
