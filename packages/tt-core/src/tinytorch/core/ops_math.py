"""Elementwise math beyond module 02's: trigonometry, erf, rounding, floats' special
values, log/exp variants, `%`, `//` and lerp (given code, PyTorch's semantics).

Each differentiable op is a `Function` (forward and backward side by side) or a
composition of existing ops. Dtypes follow PyTorch: float-valued ops (sin, erf,
rsqrt, log2, ...) turn int and bool tensors into float32 (`floating`); rounding ops
keep the dtype (an int tensor is returned unchanged) and have gradient zero, as
PyTorch's; isnan/isinf/isfinite give bool tensors outside any graph.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from tinytorch.core.autograd import Context, Function
from tinytorch.core.broadcast import unbroadcast
from tinytorch.core.errors import ArgumentError, DTypeError
from tinytorch.core.ops_arith import floating, promote, shape_of
from tinytorch.core.special import erf as _erf
from tinytorch.core.tensor import Tensor, TensorLike

Grads = tuple[np.ndarray | None, ...]

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


class Sin(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a)
        return np.sin(a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (a,) = ctx.saved_tensors
        return grad * np.cos(a)


class Cos(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a)
        return np.cos(a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (a,) = ctx.saved_tensors
        return grad * -np.sin(a)


class Erf(Function):
    """erf(a); d erf(a)/da = 2/sqrt(pi) exp(-a^2)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a)
        return _erf(a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (a,) = ctx.saved_tensors
        return grad * (_TWO_OVER_SQRT_PI * np.exp(-(a * a)))


class Rsqrt(Function):
    """1/sqrt(a); derivative -1/2 a^(-3/2) = -out^3 / 2."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):  # inf at 0, nan below, as PyTorch
            out = 1 / np.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved_tensors
        return grad * (-0.5 * out * out * out)


class LogBase(Function):
    """log2 / log10 (by `base`): d log_b(a)/da = 1 / (a ln b)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, base: int) -> np.ndarray:
        ctx.save_for_backward(a)
        ctx.ln_base = math.log(base)
        with np.errstate(divide="ignore", invalid="ignore"):  # -inf at 0, nan below, as PyTorch
            return np.log2(a) if base == 2 else np.log10(a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (a,) = ctx.saved_tensors
        return grad / (a * ctx.ln_base)


class Log1p(Function):
    """log(1 + a), accurate for small a; derivative 1 / (1 + a)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a)
        with np.errstate(divide="ignore", invalid="ignore"):  # -inf at -1, nan below
            return np.log1p(a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (a,) = ctx.saved_tensors
        return grad / (1 + a)


class Expm1(Function):
    """exp(a) - 1, accurate for small a; derivative exp(a) = out + 1."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        out = np.expm1(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved_tensors
        return grad * (out + 1)


class Rounding(Function):
    """A piecewise-constant op (floor, ceil, round, trunc, sign, `//`): its gradient is 0
    almost everywhere, and PyTorch returns 0 everywhere (also at the jumps)."""

    @staticmethod
    def forward(ctx: Context, *args: Any, fn: Callable[..., np.ndarray]) -> np.ndarray:
        ctx.shapes = tuple(shape_of(x) for x in args)
        return fn(*args)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> Grads:
        return tuple(
            np.zeros(shape, grad.dtype) if need else None
            for shape, need in zip(ctx.shapes, ctx.needs_input_grad, strict=True)
        )


class Remainder(Function):
    """a - b * floor(a / b): the sign of b, as Python's % and torch.remainder.
    Gradients (PyTorch's): 1 for a, -floor(a / b) for b."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> np.ndarray:
        ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):  # x % 0.0 is nan, as PyTorch
            return np.remainder(a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> Grads:
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        gb = None
        if need_b:
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = unbroadcast(grad * -np.floor(np.true_divide(a, b)), shape_of(b))
        return (unbroadcast(grad, shape_of(a)) if need_a else None, gb)


# ------------------------------------------------------------ functional API


def sin(a: Tensor) -> Tensor:
    return Sin.apply(floating(a))


def cos(a: Tensor) -> Tensor:
    return Cos.apply(floating(a))


def erf(a: Tensor) -> Tensor:
    """The error function (torch.erf); W. J. Cody's approximation, exact to float64's
    last digits (`tinytorch.core.special`)."""
    return Erf.apply(floating(a))


def rsqrt(a: Tensor) -> Tensor:
    """1 / sqrt(a) (torch.rsqrt): inf at 0, nan below."""
    return Rsqrt.apply(floating(a))


def log2(a: Tensor) -> Tensor:
    return LogBase.apply(floating(a), base=2)


def log10(a: Tensor) -> Tensor:
    return LogBase.apply(floating(a), base=10)


def log1p(a: Tensor) -> Tensor:
    """log(1 + a), accurate where a is tiny."""
    return Log1p.apply(floating(a))


def expm1(a: Tensor) -> Tensor:
    """exp(a) - 1, accurate where a is tiny."""
    return Expm1.apply(floating(a))


def _rounding(a: Tensor, fn: Callable[..., np.ndarray]) -> Tensor:
    if a.data.dtype.kind != "f":  # ints are already whole: PyTorch returns them as they are
        return Tensor.wrap(a.data.copy())
    return Rounding.apply(a, fn=fn)


def floor(a: Tensor) -> Tensor:
    return _rounding(a, np.floor)


def ceil(a: Tensor) -> Tensor:
    return _rounding(a, np.ceil)


def trunc(a: Tensor) -> Tensor:
    """Round toward zero."""
    return _rounding(a, np.trunc)


def round(a: Tensor, decimals: int = 0) -> Tensor:
    """Round half to even, as torch.round (0.5 -> 0, 1.5 -> 2); `decimals` digits."""
    if decimals == 0:
        return _rounding(a, np.round)
    if a.data.dtype.kind != "f":
        raise DTypeError(f"round: decimals={decimals} needs a floating-point tensor, got {a.dtype}")
    return Rounding.apply(a, fn=lambda x: np.round(x, decimals))


def sign(a: Tensor) -> Tensor:
    """-1, 0 or 1 (bool tensors stay bool, as PyTorch); gradient 0."""
    if a.data.dtype.kind == "b":
        return Tensor.wrap(a.data.copy())
    if a.data.dtype.kind != "f":
        return Tensor.wrap(np.sign(a.data))
    return Rounding.apply(a, fn=np.sign)


def isnan(a: Tensor) -> Tensor:
    """A bool tensor: True where `a` is nan (no gradient)."""
    return Tensor.wrap(np.isnan(a.data))


def isinf(a: Tensor) -> Tensor:
    """A bool tensor: True where `a` is +inf or -inf (no gradient)."""
    return Tensor.wrap(np.isinf(a.data))


def isfinite(a: Tensor) -> Tensor:
    """A bool tensor: True where `a` is neither inf nor nan (no gradient)."""
    return Tensor.wrap(np.isfinite(a.data))


def _pair(a: TensorLike, b: TensorLike, op: str) -> tuple[Any, Any]:
    """The operands of a binary op with PyTorch's scalar promotion (an int tensor with a
    Python float computes in float32); at least one must be a Tensor."""
    if isinstance(a, Tensor):
        return promote(a, b, op)
    if not isinstance(b, Tensor):
        raise TypeError(f"{op}: at least one operand must be a Tensor")
    b, a = promote(b, a, op)
    return a, b


def _check_int_divisor(b: Any, op: str) -> None:
    """Integer division by zero is an error in PyTorch (NumPy would give 0 and warn)."""
    data = b.data if isinstance(b, Tensor) else b
    if np.any(np.equal(data, 0)):
        raise ArgumentError(f"{op}: integer division by zero (a divisor of the int tensor is 0)")


def _is_int(x: Any) -> bool:
    kind = x.data.dtype.kind if isinstance(x, Tensor) else ("f" if isinstance(x, float) else "i")
    return kind in "biu"


def remainder(a: TensorLike, b: TensorLike) -> Tensor:
    """a % b with the sign of b (Python's %, torch.remainder), for int and float tensors.

    x % 0 is nan for floats and an error for ints (as PyTorch). Gradient: 1 for a,
    -floor(a / b) for b."""
    a, b = _pair(a, b, "remainder")
    if _is_int(a) and _is_int(b):
        _check_int_divisor(b, "remainder")
    return Remainder.apply(a, b)


def floor_divide(a: TensorLike, b: TensorLike) -> Tensor:
    """a // b rounded toward -inf (Python's //, torch.floor_divide), for int and float
    tensors; x // 0 is +-inf or nan for floats, an error for ints. Gradient 0."""
    a, b = _pair(a, b, "floor_divide")
    if _is_int(a) and _is_int(b):
        _check_int_divisor(b, "floor_divide")
    with np.errstate(divide="ignore", invalid="ignore"):
        return Rounding.apply(a, b, fn=np.floor_divide)


def lerp(start: Tensor, end: Tensor, weight: TensorLike) -> Tensor:
    """start + weight * (end - start) (torch.lerp): `weight` a Tensor or a number;
    everything broadcasts, and gradients flow to start, end and a tensor weight."""
    if not isinstance(start, Tensor) or not isinstance(end, Tensor):
        raise TypeError(
            f"lerp: start and end must be Tensors, got {type(start).__name__} and {type(end).__name__}"
        )
    if start.dtype.kind != "f" or end.dtype.kind != "f":
        raise DTypeError(
            f"lerp: start and end must be floating-point tensors, got {start.dtype} and {end.dtype}"
        )
    return start + weight * (end - start)
