"""Elementwise arithmetic, math functions and matmul (forward: module 02, backward: module 05).

Each op is a `Function`: `forward` computes the output from NumPy arrays (or
Python scalars), `backward` turns dL/d(out) into dL/d(input) for each input.
Binary ops broadcast like NumPy, so their backward sums the gradient back to
each input's shape with `unbroadcast`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinytorch.core.autograd import Context, Function
from tinytorch.core.broadcast import unbroadcast
from tinytorch.core.errors import ArgumentError, DTypeError, ShapeError
from tinytorch.core.tensor import FloatScalarError, Scalar, Tensor, TensorLike, _operand, float32

Grads = tuple[np.ndarray | None, ...]


def shape_of(x: Any) -> tuple[int, ...]:
    """The shape of an array, () for a Python scalar."""
    return x.shape if type(x) is np.ndarray else ()


class Add(Function):
    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> np.ndarray:
        ### BEGIN SOLUTION 02
        ctx.shapes = (shape_of(a), shape_of(b))
        return np.add(a, b)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> Grads:
        ### BEGIN SOLUTION 05
        sa, sb = ctx.shapes
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(grad, sa) if need_a else None, unbroadcast(grad, sb) if need_b else None)
        ### END SOLUTION


class Sub(Function):
    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> np.ndarray:
        ### BEGIN SOLUTION 02
        ctx.shapes = (shape_of(a), shape_of(b))
        return np.subtract(a, b)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> Grads:
        ### BEGIN SOLUTION 05
        sa, sb = ctx.shapes
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(grad, sa) if need_a else None, unbroadcast(-grad, sb) if need_b else None)
        ### END SOLUTION


class Mul(Function):
    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> np.ndarray:
        ### BEGIN SOLUTION 02
        ctx.save_for_backward(a, b)
        return np.multiply(a, b)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> Grads:
        ### BEGIN SOLUTION 05
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (
            unbroadcast(grad * b, shape_of(a)) if need_a else None,
            unbroadcast(grad * a, shape_of(b)) if need_b else None,
        )
        ### END SOLUTION


class Div(Function):
    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> np.ndarray:
        ### BEGIN SOLUTION 02
        out = np.true_divide(a, b)
        ctx.save_for_backward(a, b, out)
        return out
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> Grads:
        ### BEGIN SOLUTION 05
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = grad / b
        # d(a/b)/db = -a/b^2 = -out/b
        return (
            unbroadcast(ga, shape_of(a)) if need_a else None,
            unbroadcast(-ga * out, shape_of(b)) if need_b else None,
        )
        ### END SOLUTION


class Pow(Function):
    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> np.ndarray:
        ### BEGIN SOLUTION 02
        out = np.power(a, b)
        ctx.save_for_backward(a, b, out)
        return out
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> Grads:
        ### BEGIN SOLUTION 05
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = gb = None
        with np.errstate(divide="ignore", invalid="ignore"):  # 0^negative = inf, as in PyTorch
            if need_a:  # d(a^b)/da = b * a^(b-1), 0 where b == 0 (a^0 is constant, even at a = 0)
                da = b * np.power(a, b - 1)
                if type(b) is np.ndarray or b == 0:
                    da = np.where(np.equal(b, 0), 0, da)
                ga = unbroadcast(grad * da, shape_of(a))
            if need_b:  # d(a^b)/db = a^b * ln(a), 0 where a == 0 and b >= 0 (not 0 * -inf = nan)
                # np.log of a Python-number base is a float64 scalar: keep grad's dtype
                db = out * np.log(a).astype(grad.dtype)
                db = np.where(np.equal(a, 0) & np.greater_equal(b, 0), 0, db)
                gb = unbroadcast(grad * db, shape_of(b))
        return ga, gb
        ### END SOLUTION


class Neg(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 02
        return np.negative(a)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 05
        return -grad
        ### END SOLUTION


class Exp(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 02
        out = np.exp(a)
        ctx.save_for_backward(out)
        return out
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 05
        (out,) = ctx.saved_tensors
        return grad * out
        ### END SOLUTION


class Log(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 02
        ctx.save_for_backward(a)
        return np.log(a)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 05
        (a,) = ctx.saved_tensors
        return grad / a
        ### END SOLUTION


class Sqrt(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 02
        out = np.sqrt(a)
        ctx.save_for_backward(out)
        return out
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 05
        (out,) = ctx.saved_tensors
        return grad / (2 * out)
        ### END SOLUTION


class Abs(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 02
        ctx.save_for_backward(a)
        return np.abs(a)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 05
        (a,) = ctx.saved_tensors
        return grad * np.sign(a)  # PyTorch's choice at 0: gradient 0
        ### END SOLUTION


class Maximum(Function):
    """Elementwise max; where a == b the gradient is split half and half (as PyTorch)."""

    pick: Callable[..., np.ndarray] = staticmethod(np.maximum)
    a_wins: Callable[..., np.ndarray] = staticmethod(np.greater)

    @classmethod
    def forward(cls, ctx: Context, a: Any, b: Any) -> np.ndarray:
        ### BEGIN SOLUTION 02
        ctx.save_for_backward(a, b)
        return cls.pick(a, b)
        ### END SOLUTION

    @classmethod
    def backward(cls, ctx: Context, grad: np.ndarray) -> Grads:
        ### BEGIN SOLUTION 05
        a, b = ctx.saved_tensors
        share_a = np.array(cls.a_wins(a, b), dtype=grad.dtype)  # an array even for 0-d inputs
        share_a[np.equal(a, b)] = 0.5  # a tie: half each
        need_a, need_b = ctx.needs_input_grad
        return (
            unbroadcast(grad * share_a, shape_of(a)) if need_a else None,
            unbroadcast(grad * (1 - share_a), shape_of(b)) if need_b else None,
        )
        ### END SOLUTION


class Minimum(Maximum):
    """Elementwise min; where a == b the gradient is split half and half (as PyTorch)."""

    pick = staticmethod(np.minimum)
    a_wins = staticmethod(np.less)


class Where(Function):
    """where(cond, a, b): a where cond is True, else b. `cond` is a bool array."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any, cond: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 02
        ctx.shapes = (shape_of(a), shape_of(b))
        ctx.save_for_backward(cond)
        return np.where(cond, a, b)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> Grads:
        ### BEGIN SOLUTION 05
        (cond,) = ctx.saved_tensors
        sa, sb = ctx.shapes
        need_a, need_b = ctx.needs_input_grad
        zero = grad.dtype.type(0)
        return (
            unbroadcast(np.where(cond, grad, zero), sa) if need_a else None,
            unbroadcast(np.where(cond, zero, grad), sb) if need_b else None,
        )
        ### END SOLUTION


class Clip(Function):
    """Clamp to [lo, hi]; the gradient passes where lo <= a <= hi (as torch.clamp)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, lo: Scalar | None, hi: Scalar | None) -> np.ndarray:
        ### BEGIN SOLUTION 02
        ctx.save_for_backward(a)
        ctx.bounds = (lo, hi)
        return np.clip(a, lo, hi)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 05
        (a,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        inside = np.ones(a.shape, dtype=bool)
        if lo is not None:
            inside &= a >= lo
        if hi is not None:
            inside &= a <= hi
        return grad * inside
        ### END SOLUTION


class Cast(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, dtype: np.dtype) -> np.ndarray:
        ctx.source = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad.astype(ctx.source)


class Matmul(Function):
    """Matrix product with NumPy's rules: 1-D operands are promoted (and the
    added axis removed again), batch axes broadcast."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 02
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> Grads:
        ### BEGIN SOLUTION 05
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:  # dot product: grad is a scalar
            return (grad * b if need_a else None, grad * a if need_b else None)
        # Promote 1-D operands to matrices exactly as forward did.
        a2 = a[None, :] if a.ndim == 1 else a  # (k,) -> (1, k)
        b2 = b[:, None] if b.ndim == 1 else b  # (k,) -> (k, 1)
        g2 = grad
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = np.expand_dims(g2, -1)
        ga = gb = None
        if need_a:  # dL/dA = dL/dC @ B^T, summed over broadcast batch axes
            ga = unbroadcast(np.matmul(g2, np.swapaxes(b2, -1, -2)), a2.shape)
        if need_b:  # dL/dB = A^T @ dL/dC
            gb = unbroadcast(np.matmul(np.swapaxes(a2, -1, -2), g2), b2.shape)
        # Undo the 1-D promotion (only then: a reshape makes a view, and leaves
        # keep fresh arrays without copying them)
        if a.ndim == 1 and ga is not None:
            ga = ga.reshape(a.shape)
        if b.ndim == 1 and gb is not None:
            gb = gb.reshape(b.shape)
        return ga, gb
        ### END SOLUTION


# ------------------------------------------------------------ functional API


def _tensor(x: Any, like: Tensor, op: str) -> Any:
    return x if isinstance(x, Tensor) else _operand(like, x, op)


def floating(a: Tensor) -> Tensor:
    """`a` itself if it is floating-point, else `a` as float32 (PyTorch's default float
    dtype): what exp, log, sqrt, `/` and the other float-valued ops do with int and bool."""
    return a if a.data.dtype.kind == "f" else cast(a, float32)


def promote(a: Tensor, b: Any, op: str) -> tuple[Tensor, Any]:
    """`a` and the other operand `b` checked (`_operand`), with an int or bool `a` turned
    into float32 when `b` is a Python float (PyTorch: int tensor + 0.5 is float32)."""
    try:
        return a, _tensor(b, a, op)
    except FloatScalarError:
        return cast(a, float32), b


def true_divide(a: TensorLike, b: TensorLike) -> Tensor:
    """a / b. Int and bool tensors are divided as float32 (PyTorch's default float dtype,
    as `torch.true_divide`); a float tensor with a tensor of another dtype is an error."""
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            raise TypeError("div: at least one operand must be a Tensor")
        b, a = promote(b, a, "div")
        return Div.apply(a, floating(b))
    a, b = promote(a, b, "div")
    return Div.apply(floating(a), floating(b) if isinstance(b, Tensor) else b)


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """a @ b for tensors of at least one dimension each."""
    if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
        raise TypeError("matmul: both operands must be Tensors")
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(
            f"matmul: both operands need at least 1 dimension, got shapes {a.shape} and {b.shape}"
        )
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != k_b:
        raise ShapeError(
            f"matmul: cannot multiply shapes {a.shape} and {b.shape}: "
            f"inner dimensions {a.shape[-1]} and {k_b} differ"
        )
    return Matmul.apply(a, b)


def maximum(a: Tensor, b: TensorLike) -> Tensor:
    return Maximum.apply(*promote(a, b, "maximum"))


def minimum(a: Tensor, b: TensorLike) -> Tensor:
    return Minimum.apply(*promote(a, b, "minimum"))


def where(cond: Tensor, a: TensorLike, b: TensorLike) -> Tensor:
    """Elementwise `a if cond else b`; `cond` is a bool Tensor (e.g. `x > 0`).

    a and b may be Tensors or Python numbers. Both numbers: the result has PyTorch's
    dtype for them (float32 if either is a float, else int64, bool for two bools) and no
    gradient. An int tensor with a float number becomes float32; two tensors of different
    dtypes are an error (PyTorch would promote them)."""
    if not isinstance(cond, Tensor) or cond.dtype != np.bool_:
        got = cond.dtype if isinstance(cond, Tensor) else type(cond).__name__
        raise DTypeError(f"where: the condition must be a bool Tensor (e.g. x > 0), got {got}")
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        return _where_scalars(cond, a, b)
    if isinstance(a, Tensor):
        a, b = promote(a, b, "where")
    elif isinstance(b, Tensor):
        b, a = promote(b, a, "where")
    return Where.apply(a, b, cond=cond.data)


def _where_scalars(cond: Tensor, a: Any, b: Any) -> Tensor:
    values = []
    for v in (a, b):
        if isinstance(v, np.generic):
            v = v.item()
        if not isinstance(v, (bool, int, float)):
            raise TypeError(f"where: a and b must be Tensors or Python numbers, got {type(v).__name__}")
        values.append(v)
    dtype: np.dtype
    if any(type(v) is float for v in values):
        dtype = float32
    elif any(type(v) is int for v in values):
        dtype = np.dtype(np.int64)
    else:
        dtype = np.dtype(np.bool_)
    a_value, b_value = np.array(values, dtype=dtype)
    return Tensor.wrap(np.where(cond.data, a_value, b_value))


def clip(a: Tensor, min: Scalar | None = None, max: Scalar | None = None) -> Tensor:
    """Clamp every element to [min, max] (either bound may be None).

    As torch.clamp: with min > max every element becomes max (and no gradient flows);
    an int tensor with a float bound becomes float32."""
    if min is None and max is None:
        raise ArgumentError("clip: give at least one of min, max")
    lo = hi = None
    if min is not None:
        a, lo = promote(a, min, "clip")
    if max is not None:
        a, hi = promote(a, max, "clip")
    return Clip.apply(a, lo=lo, hi=hi)


def cast(a: Tensor, dtype: np.dtype) -> Tensor:
    """`a` converted to `dtype`; gradients flow only into floating-point results."""
    if dtype.kind != "f":
        return Tensor.wrap(a.data.astype(dtype))
    return Cast.apply(a, dtype=dtype)


def exp(a: Tensor) -> Tensor:
    """e^a; int and bool tensors give float32 (as PyTorch)."""
    return Exp.apply(a if a.data.dtype.kind == "f" else floating(a))


def log(a: Tensor) -> Tensor:
    """Natural log; int and bool tensors give float32 (as PyTorch)."""
    return Log.apply(a if a.data.dtype.kind == "f" else floating(a))


def sqrt(a: Tensor) -> Tensor:
    """Square root; int and bool tensors give float32 (as PyTorch)."""
    return Sqrt.apply(a if a.data.dtype.kind == "f" else floating(a))


def abs(a: Tensor) -> Tensor:
    return Abs.apply(a)


def compare(ufunc: Callable[..., np.ndarray], a: Tensor, other: Any) -> Tensor:
    """A comparison: a bool Tensor, outside any graph."""
    try:
        b = _operand(a, other, ufunc.__name__)
    except FloatScalarError:  # an int tensor against a float: compared exactly
        b = other
    if isinstance(b, Tensor):
        if b.dtype != a.dtype:
            raise TypeError(f"{ufunc.__name__}: mixed dtypes ({a.dtype}, {b.dtype})")
        b = b.data
    try:
        return Tensor.wrap(ufunc(a.data, b))
    except ValueError as err:
        raise ShapeError(f"{ufunc.__name__}: {err} (input shapes {a.shape}, {np.shape(b)})") from None
