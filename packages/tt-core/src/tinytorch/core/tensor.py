"""Tensor: one NumPy array plus what autograd needs to know about it (module 02).

A `Tensor` holds its values in `.data` (an `np.ndarray`), and, for autograd,
`requires_grad`, `grad` (a Tensor, filled by `backward()`) and `grad_fn` (the
graph node that produced it, None for leaves). Its operators and methods are
thin wrappers over the ops in `ops_*.py`, so that `a @ b + c` builds a graph.

Dtypes: float32 (the default), float64 (gradient checks), int64 (indices) and
bool (comparison results and masks). An op never mixes dtypes silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinytorch.core import autograd
from tinytorch.core.errors import DTypeError, ShapeError

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)
DTYPES = (float32, float64, int64, bool_)

Scalar = int | float | bool
Shape = tuple[int, ...]
Axis = int | Sequence[int] | None


def as_dtype(dtype: Any) -> np.dtype:
    """Resolve a dtype given as np.dtype, a NumPy type or a name ("float32")."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved not in DTYPES:
        names = ", ".join(str(d) for d in DTYPES)
        raise TypeError(f"Tensor: unsupported dtype {dtype!r}; supported: {names}")
    return resolved


def _to_array(data: Any, dtype: Any) -> np.ndarray:
    """Convert constructor input to an array of a supported dtype (or raise)."""
    array = _numeric_array(data)
    target = _target_dtype(data, array, dtype)
    if array.dtype.kind == "f" and target == int64:
        raise TypeError("Tensor: refusing to truncate floating-point data to int64")
    return array.astype(target, copy=False)  # no copy when the dtype already fits


def _target_dtype(data: Any, array: np.ndarray, dtype: Any) -> np.dtype:
    """The constructor's dtype rule: `dtype` if given; else bools stay bool, Python
    numbers become float32 (PyTorch's default), float arrays keep float32/float64,
    integer arrays become int64."""
    ### BEGIN SOLUTION 02
    if dtype is not None:
        return as_dtype(dtype)
    if array.dtype.kind == "b":
        return bool_
    if not isinstance(data, (np.ndarray, np.generic, Tensor)):
        return float32
    return as_dtype(array.dtype) if array.dtype.kind == "f" else int64  # float16: an error
    ### END SOLUTION


def _numeric_array(data: Any) -> np.ndarray:
    """`data` (a Tensor, NumPy array or scalar, Python number or nested list) as an
    array of numbers or bools, sharing memory where it can; anything else raises."""
    if isinstance(data, Tensor):
        data = data.data
    try:
        array = np.asarray(data)  # NumPy scalars keep their dtype, as 0-d arrays do
    except ValueError as err:  # ragged nested lists
        raise ValueError(f"Tensor: cannot build a tensor from ragged data ({err})") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"Tensor: cannot build a tensor from {type(data).__name__} data of dtype "
            f"{array.dtype}; expected numbers: a scalar, a nested list, or a NumPy array"
        )
    return array


class Tensor:
    """An n-dimensional array that can record the ops applied to it.

    `Tensor(data, dtype=None, requires_grad=False)`: `data` is a Python number, a
    nested list, a NumPy array (shared, not copied, when its dtype is kept) or a
    Tensor. Python numbers become float32 unless `dtype` says otherwise.
    """

    # _version_counter: [n], bumped by every in-place change of the data
    # (`autograd.increment_version`) and shared with views and detached copies.
    __slots__ = ("__weakref__", "_version_counter", "data", "grad", "grad_fn", "requires_grad")
    __array_ufunc__ = None  # NumPy defers to our reflected operators: ndarray * Tensor -> Tensor

    data: np.ndarray
    grad: Tensor | None
    requires_grad: bool
    grad_fn: autograd.Context | None

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        self.data = _to_array(data, dtype)
        # Tensor(t) may share t's memory: then it shares t's version counter too.
        shared = isinstance(data, Tensor) and self.data is data.data
        self._version_counter = data._version_counter if shared else [0]
        self.grad = None
        self.grad_fn = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def wrap(cls, array: np.ndarray, requires_grad: bool = False) -> Tensor:
        """A Tensor over `array` itself: no copy and no checks (the fast path ops
        return through). `array` must already have a supported dtype (float32,
        float64, int64, bool); use `Tensor(data)` for anything else."""
        t = object.__new__(cls)
        t.data = array if type(array) is np.ndarray else np.asarray(array)
        t._version_counter = [0]
        t.grad = None
        t.grad_fn = None
        t.requires_grad = requires_grad
        return t

    # ----------------------------------------------------------------- basics
    @property
    def shape(self) -> Shape:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def _version(self) -> int:
        """How many in-place changes of this tensor's memory were recorded (as torch's
        `Tensor._version`); see `autograd.increment_version`."""
        return self._version_counter[0]

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ShapeError(f"item: only one-element tensors have an item, got shape {self.shape}")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def tolist(self) -> Any:
        return self.data.tolist()

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ShapeError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; "
                "use .any() / .all() style reductions explicitly"
            )
        return bool(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(", precision=4)
        extras = []
        if self.data.dtype != float32:
            extras.append(f"dtype={self.data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"Tensor({', '.join([body, *extras])})"

    # --------------------------------------------------------------- autograd
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Mark a leaf as needing gradients (in place); returns self."""
        if requires_grad and self.data.dtype.kind != "f":
            raise DTypeError(
                f"requires_grad: only floating-point tensors can require gradients, "
                f"got dtype {self.data.dtype}"
            )
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad_(False) on a non-leaf tensor: use .detach() to cut the graph")
        self.requires_grad = requires_grad
        return self

    def detach(self) -> Tensor:
        """A tensor sharing this one's data (and version counter), outside any graph."""
        t = Tensor.wrap(self.data)
        t._version_counter = self._version_counter
        return t

    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Backpropagate from this tensor; see `autograd.backward`."""
        if isinstance(grad, Tensor):
            grad = grad.data
        autograd.backward(self, grad, retain_graph)

    def to(self, dtype: Any) -> Tensor:
        """This tensor converted to `dtype` (gradients flow back, converted)."""
        return ops_arith.cast(self, as_dtype(dtype))

    def double(self) -> Tensor:
        return self.to(float64)

    def float(self) -> Tensor:
        return self.to(float32)

    # ------------------------------------------------------------- arithmetic
    # Scalar promotion as PyTorch's: an int or bool tensor with a Python float computes
    # in float32 (`_operand` raises FloatScalarError, caught here: no cost on the float
    # path); `/` of ints is float32. Two tensors of different dtypes (float32 with
    # float64, int64 with float32) are an error: PyTorch would promote them silently.
    def __add__(self, other: TensorLike) -> Tensor:
        try:
            return ops_arith.Add.apply(self, _operand(self, other, "add"))
        except FloatScalarError:
            return self.float() + other

    def __radd__(self, other: TensorLike) -> Tensor:
        try:
            return ops_arith.Add.apply(_operand(self, other, "add"), self)
        except FloatScalarError:
            return other + self.float()

    def __sub__(self, other: TensorLike) -> Tensor:
        try:
            return ops_arith.Sub.apply(self, _operand(self, other, "sub"))
        except FloatScalarError:
            return self.float() - other

    def __rsub__(self, other: TensorLike) -> Tensor:
        try:
            return ops_arith.Sub.apply(_operand(self, other, "sub"), self)
        except FloatScalarError:
            return other - self.float()

    def __mul__(self, other: TensorLike) -> Tensor:
        try:
            return ops_arith.Mul.apply(self, _operand(self, other, "mul"))
        except FloatScalarError:
            return self.float() * other

    def __rmul__(self, other: TensorLike) -> Tensor:
        try:
            return ops_arith.Mul.apply(_operand(self, other, "mul"), self)
        except FloatScalarError:
            return other * self.float()

    def __truediv__(self, other: TensorLike) -> Tensor:
        if self.data.dtype.kind != "f":  # int / int is float32, as torch.true_divide
            return ops_arith.true_divide(self, other)
        return ops_arith.Div.apply(self, _operand(self, other, "div"))

    def __rtruediv__(self, other: TensorLike) -> Tensor:
        if self.data.dtype.kind != "f":
            return ops_arith.true_divide(other, self)
        return ops_arith.Div.apply(_operand(self, other, "div"), self)

    def __pow__(self, other: TensorLike) -> Tensor:
        try:
            return ops_arith.Pow.apply(self, _operand(self, other, "pow"))
        except FloatScalarError:
            return self.float() ** other

    def __rpow__(self, other: TensorLike) -> Tensor:
        try:
            return ops_arith.Pow.apply(_operand(self, other, "pow"), self)
        except FloatScalarError:
            return other ** self.float()

    def __mod__(self, other: TensorLike) -> Tensor:
        return ops_math.remainder(self, other)

    def __rmod__(self, other: TensorLike) -> Tensor:
        return ops_math.remainder(other, self)

    def __floordiv__(self, other: TensorLike) -> Tensor:
        return ops_math.floor_divide(self, other)

    def __rfloordiv__(self, other: TensorLike) -> Tensor:
        return ops_math.floor_divide(other, self)

    def __neg__(self) -> Tensor:
        return ops_arith.Neg.apply(self)

    def __matmul__(self, other: Tensor) -> Tensor:
        return ops_arith.matmul(self, other)

    def __rmatmul__(self, other: Tensor) -> Tensor:
        return ops_arith.matmul(other, self)

    def exp(self) -> Tensor:
        return ops_arith.Exp.apply(self if self.data.dtype.kind == "f" else self.float())

    def log(self) -> Tensor:
        return ops_arith.Log.apply(self if self.data.dtype.kind == "f" else self.float())

    def sqrt(self) -> Tensor:
        return ops_arith.Sqrt.apply(self if self.data.dtype.kind == "f" else self.float())

    def abs(self) -> Tensor:
        return ops_arith.Abs.apply(self)

    def clip(self, min: Scalar | None = None, max: Scalar | None = None) -> Tensor:
        return ops_arith.clip(self, min, max)

    def maximum(self, other: TensorLike) -> Tensor:
        return ops_arith.maximum(self, other)

    def minimum(self, other: TensorLike) -> Tensor:
        return ops_arith.minimum(self, other)

    # ---------------------------------------------- comparisons (no gradient)
    def __eq__(self, other: object) -> Tensor:  # type: ignore[override]
        return ops_arith.compare(np.equal, self, other)

    def __ne__(self, other: object) -> Tensor:  # type: ignore[override]
        return ops_arith.compare(np.not_equal, self, other)

    def __lt__(self, other: TensorLike) -> Tensor:
        return ops_arith.compare(np.less, self, other)

    def __le__(self, other: TensorLike) -> Tensor:
        return ops_arith.compare(np.less_equal, self, other)

    def __gt__(self, other: TensorLike) -> Tensor:
        return ops_arith.compare(np.greater, self, other)

    def __ge__(self, other: TensorLike) -> Tensor:
        return ops_arith.compare(np.greater_equal, self, other)

    __hash__ = object.__hash__  # tensors stay usable as dict keys, by identity

    # ------------------------------------------------------------- reductions
    # `dim=` and `keepdim=` are PyTorch's names for `axis` and `keepdims` (either works).
    # max(dim)/min(dim) return the values only (PyTorch: a (values, indices) pair).
    # prod is with the scans (ops_scan.py).
    def sum(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        if dim is not None or keepdim is not None:
            axis, keepdims = ops_reduce.axis_args("sum", axis, keepdims, dim, keepdim)
        return ops_reduce.Sum.apply(self, axis=ops_reduce.norm_axes(self, axis, "sum"), keepdims=keepdims)

    def mean(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        """The mean; int and bool tensors are an error, as in PyTorch (convert first)."""
        if dim is not None or keepdim is not None:
            axis, keepdims = ops_reduce.axis_args("mean", axis, keepdims, dim, keepdim)
        if self.data.dtype.kind != "f":
            ops_reduce.check_floating(self, "mean")
        return ops_reduce.Mean.apply(self, axis=ops_reduce.norm_axes(self, axis, "mean"), keepdims=keepdims)

    def max(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        if dim is not None or keepdim is not None:
            axis, keepdims = ops_reduce.axis_args("max", axis, keepdims, dim, keepdim)
        axes = ops_reduce.norm_axes(self, axis, "max")
        ops_reduce.check_not_empty(self, axes, "max")
        return ops_reduce.Max.apply(self, axis=axes, keepdims=keepdims)

    def min(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        if dim is not None or keepdim is not None:
            axis, keepdims = ops_reduce.axis_args("min", axis, keepdims, dim, keepdim)
        axes = ops_reduce.norm_axes(self, axis, "min")
        ops_reduce.check_not_empty(self, axes, "min")
        return ops_reduce.Min.apply(self, axis=axes, keepdims=keepdims)

    def var(
        self,
        axis: Axis = None,
        keepdims: bool = False,
        correction: int = 1,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
        unbiased: bool | None = None,
    ) -> Tensor:
        """Variance; `correction` 1 (unbiased, the default) or 0; `unbiased` is PyTorch's
        older spelling of it. correction >= elements gives inf/nan and a warning."""
        axis, keepdims = ops_reduce.axis_args("var", axis, keepdims, dim, keepdim)
        if unbiased is not None:
            correction = int(unbiased)
        return ops_reduce.var(self, axis, keepdims, correction)

    def std(
        self,
        axis: Axis = None,
        keepdims: bool = False,
        correction: int = 1,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
        unbiased: bool | None = None,
    ) -> Tensor:
        """Standard deviation, with the arguments of `var` (torch.std)."""
        axis, keepdims = ops_reduce.axis_args("std", axis, keepdims, dim, keepdim)
        if unbiased is not None:
            correction = int(unbiased)
        return ops_reduce.std(self, axis, keepdims, correction)

    def argmax(
        self,
        axis: int | None = None,
        keepdims: bool = False,
        *,
        dim: int | None = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        axis, keepdims = ops_reduce.axis_args("argmax", axis, keepdims, dim, keepdim)
        return ops_reduce.argmax(self, axis, keepdims)

    def argmin(
        self,
        axis: int | None = None,
        keepdims: bool = False,
        *,
        dim: int | None = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """Index of the smallest element (first on ties), int64, no gradient."""
        axis, keepdims = ops_reduce.axis_args("argmin", axis, keepdims, dim, keepdim)
        return ops_reduce.arg_reduce(np.argmin, self, axis, keepdims, "argmin")

    def any(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        """True where any element (over `axis`) is nonzero; a bool tensor, no gradient."""
        axis, keepdims = ops_reduce.axis_args("any", axis, keepdims, dim, keepdim)
        return ops_reduce.any_all(self, axis, keepdims, "any")

    def all(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        """True where every element (over `axis`) is nonzero; a bool tensor, no gradient."""
        axis, keepdims = ops_reduce.axis_args("all", axis, keepdims, dim, keepdim)
        return ops_reduce.any_all(self, axis, keepdims, "all")

    def logsumexp(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        """log(sum(exp(x))) over `axis` (None: all), computed without overflow."""
        axis, keepdims = ops_reduce.axis_args("logsumexp", axis, keepdims, dim, keepdim)
        return ops_reduce.logsumexp(self, axis, keepdims)

    def norm(
        self,
        p: Scalar | str = "fro",
        axis: Axis = None,
        keepdims: bool = False,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """torch.norm: the vector p-norm over `axis` (None: all elements); p a number, inf,
        -inf or "fro" (the default, = 2). Gradient 0 where the norm is 0."""
        axis, keepdims = ops_reduce.axis_args("norm", axis, keepdims, dim, keepdim)
        return ops_reduce.norm(self, p, axis, keepdims)

    # ---------------------------------------------------------- shape and views
    @property
    def T(self) -> Tensor:
        return self.permute(*reversed(range(self.ndim)))

    def reshape(self, *shape: Any) -> Tensor:
        return ops_shape.Reshape.apply(self, shape=ops_shape.sizes_arg(shape, "reshape", infer=True))

    def view(self, *shape: Any) -> Tensor:
        """Like reshape, but never copies: an error if the data cannot be viewed so."""
        return ops_shape.View.apply(self, shape=ops_shape.sizes_arg(shape, "view", infer=True))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge dims start_dim..end_dim into one (a 0-d tensor becomes shape (1,))."""
        return ops_shape.flatten(self, start_dim, end_dim)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        return ops_shape.transpose(self, dim0, dim1)

    def permute(self, *dims: Any) -> Tensor:
        return ops_shape.permute(self, ops_shape.shape_arg(dims))

    def squeeze(self, dim: int | None = None) -> Tensor:
        return ops_shape.squeeze(self, dim)

    def unsqueeze(self, dim: int) -> Tensor:
        return ops_shape.unsqueeze(self, dim)

    def expand(self, *sizes: Any) -> Tensor:
        return ops_shape.expand(self, ops_shape.shape_arg(sizes))

    def __getitem__(self, index: Any) -> Tensor:
        return ops_shape.getitem(self, index)

    # ------------------------------------- elementwise math (ops_math.py)
    # Float-valued ops give float32 for int and bool tensors; rounding ops keep the dtype.
    def sin(self) -> Tensor:
        return ops_math.sin(self)

    def cos(self) -> Tensor:
        return ops_math.cos(self)

    def erf(self) -> Tensor:
        return ops_math.erf(self)

    def rsqrt(self) -> Tensor:
        return ops_math.rsqrt(self)

    def log2(self) -> Tensor:
        return ops_math.log2(self)

    def log10(self) -> Tensor:
        return ops_math.log10(self)

    def log1p(self) -> Tensor:
        return ops_math.log1p(self)

    def expm1(self) -> Tensor:
        return ops_math.expm1(self)

    def floor(self) -> Tensor:
        return ops_math.floor(self)

    def ceil(self) -> Tensor:
        return ops_math.ceil(self)

    def round(self, decimals: int = 0) -> Tensor:
        return ops_math.round(self, decimals)

    def trunc(self) -> Tensor:
        return ops_math.trunc(self)

    def sign(self) -> Tensor:
        return ops_math.sign(self)

    def isnan(self) -> Tensor:
        return ops_math.isnan(self)

    def isinf(self) -> Tensor:
        return ops_math.isinf(self)

    def isfinite(self) -> Tensor:
        return ops_math.isfinite(self)

    def remainder(self, other: TensorLike) -> Tensor:
        return ops_math.remainder(self, other)

    def floor_divide(self, other: TensorLike) -> Tensor:
        return ops_math.floor_divide(self, other)

    def lerp(self, end: Tensor, weight: TensorLike) -> Tensor:
        return ops_math.lerp(self, end, weight)

    # ----------------- indexing, layout, sorting, scans (ops_index/layout/sort/scan.py)
    def gather(self, dim: int, index: Tensor) -> Tensor:
        return ops_index.gather(self, dim, index)

    def scatter(
        self, dim: int, index: Tensor, src: TensorLike | None = None, *, value: Scalar | None = None
    ) -> Tensor:
        return ops_index.scatter(self, dim, index, src, value=value)

    def scatter_add(self, dim: int, index: Tensor, src: Tensor) -> Tensor:
        return ops_index.scatter_add(self, dim, index, src)

    def index_select(self, dim: int, index: Tensor) -> Tensor:
        return ops_index.index_select(self, dim, index)

    def masked_fill(self, mask: Tensor, value: TensorLike) -> Tensor:
        return ops_index.masked_fill(self, mask, value)

    def tril(self, diagonal: int = 0) -> Tensor:
        return ops_index.tril(self, diagonal)

    def triu(self, diagonal: int = 0) -> Tensor:
        return ops_index.triu(self, diagonal)

    def flip(self, *dims: Any) -> Tensor:
        """x.flip(0, 1) or x.flip((0, 1)), as torch.Tensor.flip."""
        return ops_layout.flip(self, dims[0] if len(dims) == 1 else dims)

    def roll(self, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None) -> Tensor:
        return ops_layout.roll(self, shifts, dims)

    def repeat(self, *sizes: Any) -> Tensor:
        return ops_layout.repeat(self, *sizes)

    def split(self, split_size: int | Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
        return ops_layout.split(self, split_size, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        return ops_layout.chunk(self, chunks, dim)

    def unflatten(self, dim: int, sizes: Sequence[int]) -> Tensor:
        return ops_layout.unflatten(self, dim, sizes)

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> ops_sort.SortResult:
        return ops_sort.sort(self, dim, descending, stable=stable)

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
        return ops_sort.argsort(self, dim, descending, stable=stable)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> ops_sort.TopkResult:
        return ops_sort.topk(self, k, dim, largest, sorted)

    def cumsum(self, dim: int, *, dtype: Any = None) -> Tensor:
        return ops_scan.cumsum(self, dim, dtype=dtype)

    def cumprod(self, dim: int, *, dtype: Any = None) -> Tensor:
        return ops_scan.cumprod(self, dim, dtype=dtype)

    def prod(self, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
        return ops_scan.prod(self, dim, keepdim, dtype=dtype)


# What an op accepts where a Tensor goes: a Tensor or a Python number.
TensorLike = Tensor | Scalar


class FloatScalarError(DTypeError):
    """A Python float met an int or bool tensor in a binary op. The operators catch it
    and redo the op on the tensor as float32 (PyTorch's promotion: int tensor + 0.5 is
    float32); code that does not catch it reports the mixed dtypes."""


def _operand(t: Tensor, other: Any, op: str) -> Any:
    """Check the other side of a binary op: a Tensor, or a Python number that
    can be used at `t`'s dtype without silently changing it (a float with an int or
    bool `t` raises FloatScalarError, for the caller to promote `t`)."""
    kind = type(other)
    if kind is int or kind is Tensor:  # the common cases first: this runs on every scalar op
        return other
    if kind is float:
        if t.data.dtype.kind != "f":
            raise FloatScalarError(f"{op}: a float scalar with a {t.dtype} tensor; convert the tensor first")
        return other
    if isinstance(other, Tensor):
        return other
    if isinstance(other, np.generic):  # NumPy scalars are not "weak": use the Python value
        other = other.item()
    if isinstance(other, (bool, int, float)):
        if isinstance(other, float) and t.data.dtype.kind != "f":
            raise FloatScalarError(f"{op}: a float scalar with a {t.dtype} tensor; convert the tensor first")
        return other
    if isinstance(other, np.ndarray):
        raise TypeError(f"{op}: wrap NumPy arrays in a Tensor first (got array of shape {other.shape})")
    raise TypeError(f"{op}: unsupported operand of type {type(other).__name__}")


from tinytorch.core import ops_arith, ops_math, ops_reduce, ops_shape  # noqa: E402  (they import Tensor)

# isort: split
# indexing, layout, sorting and scans (issue 15): their own line, below the core ops
from tinytorch.core import ops_index, ops_layout, ops_scan, ops_sort  # noqa: E402
