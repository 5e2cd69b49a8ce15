"""Shared machinery of tt-core's PyTorch-oracle tests (imported by test_oracle_*.py).

A `Case` is one op applied to NumPy arrays, written once for tinytorch and once
for PyTorch (often the very same expression, e.g. `operator.add`). Both
frameworks get the same arrays, views included (tinytorch keeps a view,
`torch.from_numpy` keeps its strides), so non-contiguous inputs reach both.

- `check_forward(case)` compares the outputs: shape, dtype and values.
- `check_backward(case, data)` also backpropagates the same random upstream
  gradient (drawn with hypothesis) through both, and compares the gradient of
  every input.

Float tolerances depend on the dtype (1e-5 for float32, 1e-10 for float64),
relative to each value and, as an absolute floor, to the largest expected
magnitude (so that cancellation in a sum or a matmul is not a failure). Bool
and int64 results must be equal.

Cases are drawn by strategies, `dtype -> SearchStrategy[Case]`, registered in
`DIFFERENTIABLE` and `FORWARD_ONLY` under ids "family-op" (e.g. "reduce-var1").
The families: unary (including Python-scalar and reflected forms), binary
(broadcasting shapes), ties (maximum/minimum of equal values), where, matmul,
reduce, shape, index, join (cat/stack), noncontig (strided and transposed
inputs), graph (a leaf used several times); forward only: compare, argmax.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import torch
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinytorch.core as tt
from tinytorch.core import Tensor

DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
TOLERANCE = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-10}

Elements = Callable[[np.dtype], st.SearchStrategy[float]]
CaseStrategy = Callable[[np.dtype], st.SearchStrategy["Case"]]


# ------------------------------------------------------------------ the checks


@dataclass(frozen=True)
class Case:
    """`tt_fn(*tensors)` vs `torch_fn(*tensors)`, each input built from `inputs`."""

    desc: str
    tt_fn: Callable[..., Tensor]
    torch_fn: Callable[..., torch.Tensor]
    inputs: tuple[np.ndarray, ...]


def assert_matches(actual: np.ndarray, expected: torch.Tensor, what: str) -> None:
    """`actual` (tinytorch) has torch's shape and dtype and, within tolerance, its values."""
    want = expected.detach().numpy()
    assert actual.shape == want.shape, f"{what}: shape {actual.shape}, torch gives {want.shape}"
    assert actual.dtype == want.dtype, f"{what}: dtype {actual.dtype}, torch gives {want.dtype}"
    if actual.dtype.kind in "bi":
        np.testing.assert_array_equal(actual, want, err_msg=what)
        return
    tol = TOLERANCE[actual.dtype]
    scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
    np.testing.assert_allclose(actual, want, rtol=tol, atol=tol * scale, err_msg=what)


def _run(case: Case, requires_grad: bool) -> tuple[list[Tensor], list[torch.Tensor], Tensor, torch.Tensor]:
    xs = [Tensor(a, requires_grad=requires_grad) for a in case.inputs]
    ts = [torch.from_numpy(a).requires_grad_(requires_grad) for a in case.inputs]
    out, expected = case.tt_fn(*xs), case.torch_fn(*ts)
    assert isinstance(out, Tensor), f"{case.desc}: returned {type(out).__name__}, not a Tensor"
    assert_matches(out.data, expected, f"{case.desc}: forward")
    return xs, ts, out, expected


def check_forward(case: Case) -> None:
    """Values only: no input requires grad, so no module-05 code runs."""
    _run(case, requires_grad=False)


def check_backward(case: Case, data: st.DataObject) -> None:
    """Values, then the gradient of every input for a random upstream gradient."""
    xs, ts, out, expected = _run(case, requires_grad=True)
    g = data.draw(arrays(out.dtype, out.shape, uniform(-2, 2)), label="upstream gradient")
    out.backward(g)
    expected.backward(torch.from_numpy(g))
    for i, (x, t) in enumerate(zip(xs, ts, strict=True)):
        assert x.grad is not None, f"{case.desc}: input {i} received no gradient"
        assert t.grad is not None
        assert_matches(x.grad.data, t.grad, f"{case.desc}: gradient of input {i}")


# ---------------------------------------------------------- values and shapes


def uniform(lo: float, hi: float) -> Elements:
    """Floats in [lo, hi]; the bounds must be exact float32 numbers."""

    def elements(dtype: np.dtype) -> st.SearchStrategy[float]:
        return st.floats(lo, hi, width=8 * np.dtype(dtype).itemsize, allow_subnormal=False)

    return elements


def nonzero(lo: float, hi: float) -> Elements:
    """Floats with lo <= |x| <= hi, of either sign (denominators)."""
    return lambda dtype: st.one_of(uniform(lo, hi)(dtype), uniform(-hi, -lo)(dtype))


def exactly(*values: float) -> Elements:
    """Only these values (e.g. 0, where a formula needs PyTorch's special case)."""
    return lambda dtype: st.sampled_from(values)


VALUES = uniform(-4, 4)  # the default domain


def ties(dtype: np.dtype) -> st.SearchStrategy[float]:
    """Multiples of 0.5 in [-1.5, 1.5]: equal values are frequent, and hit the
    bounds used by clip, maximum and minimum with a scalar, and 0 for abs."""
    return st.integers(-3, 3).map(lambda i: i / 2)


def arrays(dtype: Any, shape: tuple[int, ...], elements: Elements = VALUES) -> st.SearchStrategy:
    return hnp.arrays(np.dtype(dtype), shape, elements=elements(np.dtype(dtype)))


def bool_arrays(shape: tuple[int, ...]) -> st.SearchStrategy:
    return hnp.arrays(np.bool_, shape)


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 3) -> st.SearchStrategy:
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcast_shapes(num_shapes: int, min_dims: int = 0) -> st.SearchStrategy:
    """Tuples of `num_shapes` mutually broadcastable shapes, e.g. ((3, 1), (2, 1, 4))."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=3, max_side=3
    ).map(lambda s: s.input_shapes)


@st.composite
def noncontiguous(draw: Any, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
    """An array of `shape` that is a strided and transposed view of a bigger one."""
    base = draw(arrays(dtype, tuple(2 * n for n in reversed(shape))))
    view = base[(slice(None, None, 2),) * len(shape)].T
    assert view.shape == shape and (view.size < 2 or not view.flags.c_contiguous)
    return view


def signed(draw: Any, axis: int, ndim: int) -> int:
    """`axis` or the same axis counted from the end (negative)."""
    return draw(st.sampled_from([axis, axis - ndim]))


# -------------------------------------------------------------- unary family

# (id, tinytorch, torch (None: the same expression), domain of x)
UNARY: list[tuple[str, Callable[..., Any], Callable[..., Any] | None, Elements]] = [
    ("neg", operator.neg, None, VALUES),
    ("exp", tt.exp, torch.exp, VALUES),
    ("log", tt.log, torch.log, uniform(0.125, 5)),
    ("sqrt", tt.sqrt, torch.sqrt, uniform(0.125, 5)),
    ("abs", tt.abs, torch.abs, ties),
    ("exp_method", lambda x: x.exp(), None, VALUES),
    ("log_method", lambda x: x.log(), None, uniform(0.125, 5)),
    ("sqrt_method", lambda x: x.sqrt(), None, uniform(0.125, 5)),
    ("abs_method", lambda x: x.abs(), None, ties),
    ("square", lambda x: x**2, None, VALUES),
    ("cube", lambda x: x**3, None, uniform(-3, 3)),
    ("pow_sqrt", lambda x: x**0.5, None, uniform(0.125, 4)),
    ("pow_negative", lambda x: x**-1.5, None, uniform(0.25, 4)),
    ("rpow", lambda x: 2.5**x, None, uniform(-2, 2)),
    ("pow_zero", lambda x: x**0, None, ties),  # gradient 0, also at x = 0 (not 0 * inf)
    ("rpow_zero_base", lambda x: 0.0**x, None, exactly(0, 0.5, 1, 2)),  # 0 for x >= 0 (not 0 * -inf)
    ("add_scalar", lambda x: x + 2, None, VALUES),
    ("radd", lambda x: 2.5 + x, None, VALUES),
    ("sub_scalar", lambda x: x - 1.5, None, VALUES),
    ("rsub", lambda x: 2 - x, None, VALUES),
    ("mul_scalar", lambda x: x * -3, None, VALUES),
    ("rmul", lambda x: 0.5 * x, None, VALUES),
    ("div_scalar", lambda x: x / 4, None, VALUES),
    ("rdiv", lambda x: 2 / x, None, nonzero(0.5, 4)),
    ("clip", lambda x: tt.clip(x, -1, 1), lambda x: torch.clamp(x, -1, 1), ties),
    ("clip_min", lambda x: x.clip(min=-0.5), lambda x: x.clamp(min=-0.5), ties),
    ("clip_max", lambda x: x.clip(max=0.5), lambda x: x.clamp(max=0.5), ties),
    (
        "maximum_scalar",
        lambda x: x.maximum(0.5),
        lambda x: torch.maximum(x, torch.tensor(0.5, dtype=x.dtype)),
        ties,
    ),
    (
        "minimum_scalar",
        lambda x: tt.minimum(x, 0.5),
        lambda x: torch.minimum(x, torch.tensor(0.5, dtype=x.dtype)),
        ties,
    ),
    ("to_float64", lambda x: x.double(), None, VALUES),
    ("to_float32", lambda x: x.to(tt.float32), lambda x: x.to(torch.float32), VALUES),
]


@st.composite
def unary_case(draw: Any, dtype: np.dtype, op: tuple) -> Case:
    name, tt_fn, torch_fn, domain = op
    x = draw(arrays(dtype, draw(shapes()), domain))
    return Case(name, tt_fn, torch_fn or tt_fn, (x,))


# ----------------------------------------------- binary, ties and where families

# (id, tinytorch, torch (None: the same expression), domain of a, domain of b)
BINARY: list[tuple[str, Callable[..., Any], Callable[..., Any] | None, Elements, Elements]] = [
    ("add", operator.add, None, VALUES, VALUES),
    ("sub", operator.sub, None, VALUES, VALUES),
    ("mul", operator.mul, None, VALUES, VALUES),
    ("div", operator.truediv, None, VALUES, nonzero(0.5, 4)),
    ("pow", operator.pow, None, uniform(0.25, 3), uniform(-2, 2)),  # positive bases
    # zero bases: d/db is 0 where a == 0 and b >= 0, d/da is 0 where b == 0 (PyTorch's masks)
    ("pow_at_zero", operator.pow, None, exactly(0, 0.5, 1, 2), exactly(0, 1, 1.5, 2, 3)),
    ("maximum", tt.maximum, torch.maximum, ties, ties),
    ("minimum", lambda a, b: a.minimum(b), torch.minimum, ties, ties),
]


@st.composite
def binary_case(draw: Any, dtype: np.dtype, op: tuple) -> Case:
    name, tt_fn, torch_fn, dom_a, dom_b = op
    sa, sb = draw(broadcast_shapes(2))
    a, b = draw(arrays(dtype, sa, dom_a)), draw(arrays(dtype, sb, dom_b))
    return Case(f"{name}(a{sa}, b{sb})", tt_fn, torch_fn or tt_fn, (a, b))


@st.composite
def tied_case(draw: Any, dtype: np.dtype, op: tuple) -> Case:
    """maximum/minimum of same-shaped a and b that are equal at random places:
    there each side gets half the gradient (as torch.maximum)."""
    name, tt_fn, torch_fn = op
    shape = draw(shapes(min_dims=1))
    a, other = draw(arrays(dtype, shape)), draw(arrays(dtype, shape))
    b = np.where(draw(bool_arrays(shape)), a, other)
    return Case(f"{name}(a{shape}, b{shape}) with ties", tt_fn, torch_fn, (a, b))


TIED = [("maximum", tt.maximum, torch.maximum), ("minimum", tt.minimum, torch.minimum)]


@st.composite
def where_case(draw: Any, dtype: np.dtype) -> Case:
    sc, sa, sb = draw(broadcast_shapes(3))
    cond = draw(bool_arrays(sc))
    a, b = draw(arrays(dtype, sa)), draw(arrays(dtype, sb))
    return Case(
        f"where(cond{sc}, a{sa}, b{sb}), cond={cond.tolist()}",
        lambda a, b: tt.where(Tensor(cond), a, b),
        lambda a, b: torch.where(torch.from_numpy(cond), a, b),
        (a, b),
    )


@st.composite
def where_scalar_case(draw: Any, dtype: np.dtype) -> Case:
    """where with a Python number on one side."""
    shape = draw(shapes())
    cond = draw(bool_arrays(shape))
    x = draw(arrays(dtype, shape))
    if draw(st.booleans()):
        return Case(
            f"where(cond{shape}, x, 0.5), cond={cond.tolist()}",
            lambda x: tt.where(Tensor(cond), x, 0.5),
            lambda x: torch.where(torch.from_numpy(cond), x, 0.5),
            (x,),
        )
    return Case(
        f"where(cond{shape}, -1.5, x), cond={cond.tolist()}",
        lambda x: tt.where(Tensor(cond), -1.5, x),
        lambda x: torch.where(torch.from_numpy(cond), -1.5, x),
        (x,),
    )


# -------------------------------------------------------------- matmul family

MATMUL_SHAPES = {
    "1d@1d": ((3,), (3,)),
    "1d@2d": ((3,), (3, 4)),
    "2d@1d": ((2, 3), (3,)),
    "2d@2d": ((2, 3), (3, 4)),
    "3d@2d": ((5, 2, 3), (3, 4)),
    "1d@3d": ((3,), (2, 3, 4)),
    "4d@1d": ((2, 2, 4, 3), (3,)),
    "3d@3d_broadcast": ((1, 2, 3), (4, 3, 2)),
    "4d@3d_broadcast": ((2, 1, 2, 3), (4, 3, 2)),
    "2d@4d": ((2, 3), (2, 3, 3, 1)),
}

# Any two shapes np.matmul accepts: 1-D or 2-D cores, up to 2 broadcast batch axes.
MATMUL_RANDOM_SHAPES = hnp.mutually_broadcastable_shapes(
    signature=np.matmul.signature, max_dims=2, max_side=4
).map(lambda s: s.input_shapes)


@st.composite
def matmul_case(draw: Any, dtype: np.dtype, fixed: tuple | None = None) -> Case:
    sa, sb = fixed or draw(MATMUL_RANDOM_SHAPES)
    a, b = draw(arrays(dtype, sa)), draw(arrays(dtype, sb))
    if draw(st.booleans()):
        return Case(f"a{sa} @ b{sb}", operator.matmul, operator.matmul, (a, b))
    return Case(f"matmul(a{sa}, b{sb})", tt.matmul, torch.matmul, (a, b))


# -------------------------------------------------------------- reduce family


@st.composite
def axes(draw: Any, ndim: int) -> int | tuple[int, ...] | None:
    """None, one axis, or a tuple of distinct axes; any of them may be negative."""
    n = max(ndim, 1)  # a 0-d tensor accepts axis 0 / -1, as in PyTorch
    kind = draw(st.sampled_from(["all", "one", "several"]))
    if kind == "all":
        return None
    if kind == "one":
        return draw(st.integers(-n, n - 1))
    picked = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
    return tuple(signed(draw, ax, n) for ax in picked)


# (id, tinytorch method, torch function, keywords for both, domain)
REDUCE: list[tuple[str, str, Callable[..., Any], dict[str, int], Elements]] = [
    ("sum", "sum", torch.sum, {}, VALUES),
    ("mean", "mean", torch.mean, {}, VALUES),
    ("max", "max", torch.amax, {}, ties),
    ("min", "min", torch.amin, {}, ties),
    ("var0", "var", torch.var, {"correction": 0}, VALUES),
    ("var1", "var", torch.var, {"correction": 1}, VALUES),
]


@st.composite
def reduce_case(draw: Any, dtype: np.dtype, op: tuple) -> Case:
    """max/min draw values with ties: tied maxima share the gradient (as torch.amax)."""
    _, method, torch_fn, kw, domain = op
    x = draw(arrays(dtype, draw(shapes(max_dims=4)), domain))
    axis, keepdims = draw(axes(x.ndim)), draw(st.booleans())
    reduced = range(x.ndim) if axis is None or x.ndim == 0 else np.atleast_1d(axis) % x.ndim
    assume(int(np.prod([x.shape[ax] for ax in reduced])) > kw.get("correction", 0))  # dof > 0
    dim = () if axis is None and torch_fn in (torch.amax, torch.amin) else axis  # amax: () is all
    return Case(
        f"x{x.shape}.{method}(axis={axis}, keepdims={keepdims}, **{kw})",
        lambda x: getattr(x, method)(axis=axis, keepdims=keepdims, **kw),
        lambda t: torch_fn(t, dim=dim, keepdim=keepdims, **kw),
        (x,),
    )


# --------------------------------------------------------------- shape family


def _prime_factors(n: int) -> list[int]:
    factors, p = [], 2
    while n > 1:
        while n % p == 0:
            factors.append(p)
            n //= p
        p += 1
    return factors


@st.composite
def reshape_targets(draw: Any, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Another shape with as many elements, often with a -1 and extra 1s."""
    factors = draw(st.permutations([p for n in shape for p in _prime_factors(n)]))
    dims: list[int] = []
    for p in factors:
        if dims and draw(st.booleans()):
            dims[-1] *= p
        else:
            dims.append(p)
    for _ in range(draw(st.integers(0, 2))):
        dims.insert(draw(st.integers(0, len(dims))), 1)
    if dims and draw(st.booleans()):
        dims[draw(st.integers(0, len(dims) - 1))] = -1
    return tuple(dims)


@st.composite
def reshape_case(draw: Any, dtype: np.dtype, method: str) -> Case:
    """reshape, or view (the input is contiguous, so a view always exists)."""
    x = draw(arrays(dtype, draw(shapes(max_dims=4, max_side=4))))
    target = draw(reshape_targets(x.shape))
    fn = operator.methodcaller(method, target)
    return Case(f"x{x.shape}.{method}({target})", fn, fn, (x,))


@st.composite
def transpose_case(draw: Any, dtype: np.dtype) -> Case:
    x = draw(arrays(dtype, draw(shapes(min_dims=1, max_dims=4))))
    n = x.ndim
    d0, d1 = draw(st.integers(-n, n - 1)), draw(st.integers(-n, n - 1))
    fn = operator.methodcaller("transpose", d0, d1)
    return Case(f"x{x.shape}.transpose({d0}, {d1})", fn, fn, (x,))


@st.composite
def permute_case(draw: Any, dtype: np.dtype) -> Case:
    x = draw(arrays(dtype, draw(shapes(max_dims=4))))
    dims = tuple(signed(draw, d, x.ndim) for d in draw(st.permutations(range(x.ndim))))
    fn = operator.methodcaller("permute", dims)
    return Case(f"x{x.shape}.permute({dims})", fn, fn, (x,))


@st.composite
def squeeze_case(draw: Any, dtype: np.dtype) -> Case:
    x = draw(arrays(dtype, draw(shapes(max_dims=4, max_side=2))))  # many axes of size 1
    n = max(x.ndim, 1)
    dim = draw(st.none() | st.integers(-n, n - 1))
    fn = operator.methodcaller("squeeze") if dim is None else operator.methodcaller("squeeze", dim)
    return Case(f"x{x.shape}.squeeze({'' if dim is None else dim})", fn, fn, (x,))


@st.composite
def unsqueeze_case(draw: Any, dtype: np.dtype) -> Case:
    x = draw(arrays(dtype, draw(shapes())))
    dim = draw(st.integers(-x.ndim - 1, x.ndim))
    fn = operator.methodcaller("unsqueeze", dim)
    return Case(f"x{x.shape}.unsqueeze({dim})", fn, fn, (x,))


@st.composite
def expand_case(draw: Any, dtype: np.dtype) -> Case:
    """Size-1 axes grow, others stay (or are written -1), new leading axes appear."""
    x = draw(arrays(dtype, draw(shapes(max_side=2))))
    sizes = [draw(st.sampled_from([n, -1] if n != 1 else [1, 2, 3, -1])) for n in x.shape]
    sizes = draw(st.lists(st.integers(1, 3), max_size=2)) + sizes
    fn = operator.methodcaller("expand", tuple(sizes))
    return Case(f"x{x.shape}.expand{tuple(sizes)}", fn, fn, (x,))


@st.composite
def flatten_case(draw: Any, dtype: np.dtype) -> Case:
    x = draw(arrays(dtype, draw(shapes(max_dims=4))))
    start = draw(st.integers(-x.ndim, x.ndim - 1)) if x.ndim else 0
    fn = operator.methodcaller("flatten", start)
    return Case(f"x{x.shape}.flatten({start})", fn, fn, (x,))


@st.composite
def matrix_transpose_case(draw: Any, dtype: np.dtype) -> Case:
    x = draw(arrays(dtype, draw(shapes(min_dims=2, max_dims=2, max_side=4))))
    return Case(f"x{x.shape}.T", operator.attrgetter("T"), operator.attrgetter("T"), (x,))


# --------------------------------------------------------------- index family


def _positive_slices(n: int) -> st.SearchStrategy[slice]:
    """Slices of an axis of size n, with any start/stop (negative, past the end) and
    a positive step (PyTorch has no negative steps)."""
    return st.slices(n).filter(lambda s: s.step is None or s.step > 0)


def _fmt(index: tuple) -> str:
    def part(p: Any) -> str:
        if isinstance(p, slice):
            return ":".join("" if v is None else str(v) for v in (p.start, p.stop, p.step))
        if p is Ellipsis:
            return "..."
        return str(p.tolist() if isinstance(p, np.ndarray) else p)

    return ", ".join(part(p) for p in index)


def _index_case(x: np.ndarray, index: tuple, tt_index: tuple, torch_index: tuple) -> Case:
    return Case(f"x{x.shape}[{_fmt(index)}]", lambda x: x[tt_index], lambda t: t[torch_index], (x,))


@st.composite
def basic_index_case(draw: Any, dtype: np.dtype) -> Case:
    """Ints (negative too), slices with steps, None and Ellipsis."""
    x = draw(arrays(dtype, draw(shapes(max_side=5))))

    def part(n: int) -> st.SearchStrategy:
        return st.integers(-n, n - 1) | _positive_slices(n)

    k = draw(st.integers(0, x.ndim))
    index: list[Any] = [draw(part(n)) for n in x.shape[:k]]
    if k < x.ndim and draw(st.booleans()):  # "...", then the last axis
        index += [Ellipsis, draw(part(x.shape[-1]))]
    if draw(st.booleans()):
        index.insert(draw(st.integers(0, len(index))), None)
    index_t = tuple(index)
    return _index_case(x, index_t, index_t, index_t)


@st.composite
def advanced_index_case(draw: Any, dtype: np.dtype) -> Case:
    """Integer arrays (negative and repeated entries, e.g. x[:, [0, 0, 2]]) mixed
    with slices; as lists or as int64 tensors."""
    x = draw(arrays(dtype, draw(shapes(min_dims=1, max_side=4))))
    length = draw(st.integers(1, 4))
    k = draw(st.integers(1, x.ndim))
    index: list[Any] = []
    for n in x.shape[:k]:
        if draw(st.booleans()):
            index.append(draw(st.lists(st.integers(-n, n - 1), min_size=length, max_size=length)))
        else:
            index.append(draw(_positive_slices(n)))
    if not any(isinstance(p, list) for p in index):
        i = draw(st.integers(0, k - 1))
        index[i] = draw(st.lists(st.integers(-x.shape[i], x.shape[i] - 1), min_size=length, max_size=length))
    if draw(st.booleans()):
        tt_index = tuple(Tensor(np.array(p)) if isinstance(p, list) else p for p in index)
        torch_index = tuple(torch.tensor(p) if isinstance(p, list) else p for p in index)
    else:
        tt_index = torch_index = tuple(index)
    index_np = tuple(np.array(p) if isinstance(p, list) else p for p in index)
    return _index_case(x, index_np, tt_index, torch_index)


@st.composite
def mask_index_case(draw: Any, dtype: np.dtype) -> Case:
    """A bool mask over some consecutive axes, after full slices: x[:, mask]."""
    x = draw(arrays(dtype, draw(shapes(min_dims=1, max_side=4))))
    start = draw(st.integers(0, x.ndim - 1))
    stop = draw(st.integers(start + 1, x.ndim))
    mask = draw(bool_arrays(x.shape[start:stop]))
    lead = (slice(None),) * start
    return _index_case(x, (*lead, mask), (*lead, Tensor(mask)), (*lead, torch.from_numpy(mask)))


# ---------------------------------------------------------------- join family


@st.composite
def cat_case(draw: Any, dtype: np.dtype) -> Case:
    shape = draw(shapes(min_dims=1))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    ax = axis % len(shape)
    sizes = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    inputs = tuple(draw(arrays(dtype, (*shape[:ax], n, *shape[ax + 1 :]))) for n in sizes)
    return Case(
        f"cat({[a.shape for a in inputs]}, axis={axis})",
        lambda *xs: tt.cat(list(xs), axis=axis),
        lambda *ts: torch.cat(ts, dim=axis),
        inputs,
    )


@st.composite
def stack_case(draw: Any, dtype: np.dtype) -> Case:
    shape = draw(shapes())
    axis = draw(st.integers(-len(shape) - 1, len(shape)))
    inputs = tuple(draw(arrays(dtype, shape)) for _ in range(draw(st.integers(1, 3))))
    return Case(
        f"stack({len(inputs)} x {shape}, axis={axis})",
        lambda *xs: tt.stack(list(xs), axis=axis),
        lambda *ts: torch.stack(ts, dim=axis),
        inputs,
    )


# ----------------------------------------------------------- noncontig family

# (id, tinytorch, torch (None: the same expression), shape of a second input or None).
# x is a (2-3)-D strided and transposed view; the second input is a view too.
NONCONTIG: list[tuple[str, Callable[..., Any], Callable[..., Any] | None, Callable[..., Any] | None]] = [
    ("exp", tt.exp, torch.exp, None),
    ("mul_broadcast", operator.mul, None, lambda s: s[-1:]),
    ("matmul", operator.matmul, None, lambda s: (s[-1], 2)),
    ("sum", lambda x: x.sum(axis=0), lambda t: t.sum(dim=0), None),
    ("max", lambda x: x.max(axis=-1), lambda t: torch.amax(t, dim=-1), None),
    ("var", lambda x: x.var(axis=(0, -1)), lambda t: torch.var(t, dim=(0, -1)), None),
    ("reshape", lambda x: x.reshape(-1), None, None),
    ("transpose", lambda x: x.transpose(0, -1), None, None),
    ("index", lambda x: x[:, [0, 0, -1]], None, None),
    ("slice", lambda x: x[::2, 1:], None, None),
]


@st.composite
def noncontig_case(draw: Any, dtype: np.dtype, op: tuple) -> Case:
    name, tt_fn, torch_fn, other_shape = op
    shape = draw(shapes(min_dims=2, min_side=2))
    inputs = [draw(noncontiguous(dtype, shape))]
    if other_shape is not None:
        inputs.append(draw(noncontiguous(dtype, other_shape(shape))))
    return Case(f"{name} of views {[a.shape for a in inputs]}", tt_fn, torch_fn or tt_fn, tuple(inputs))


# ---------------------------------------------------------------- graph family

# A leaf used several times: its gradients from every use add up.
GRAPH: list[tuple[str, Callable[..., Any]]] = [
    ("reuse", lambda x: x * x + x - x / 2),
    ("chain", lambda x: ((x.exp() + 1).log() * x).sum(0) * x.sum()),
]


@st.composite
def graph_case(draw: Any, dtype: np.dtype, op: tuple) -> Case:
    name, fn = op
    x = draw(arrays(dtype, draw(shapes(min_dims=1)), uniform(-2, 2)))
    return Case(f"{name}(x{x.shape})", fn, fn, (x,))


# ---------------------------------------------------- forward-only families

COMPARE = [
    ("eq", operator.eq),
    ("ne", operator.ne),
    ("lt", operator.lt),
    ("le", operator.le),
    ("gt", operator.gt),
    ("ge", operator.ge),
]


@st.composite
def compare_case(draw: Any, dtype: np.dtype, op: tuple) -> Case:
    """Tensor against a broadcasting tensor or a Python number (either side)."""
    name, fn = op
    sa, sb = draw(broadcast_shapes(2))
    a = draw(arrays(dtype, sa, ties))
    kind = draw(st.sampled_from(["tensor", "scalar", "reflected"]))
    if kind == "tensor":
        return Case(f"{name}(a{sa}, b{sb})", fn, fn, (a, draw(arrays(dtype, sb, ties))))
    s = draw(ties(dtype))
    if kind == "scalar":
        return Case(f"{name}(a{sa}, {s})", lambda x: fn(x, s), lambda x: fn(x, s), (a,))
    return Case(f"{name}({s}, a{sa})", lambda x: fn(s, x), lambda x: fn(s, x), (a,))


@st.composite
def argmax_case(draw: Any, dtype: np.dtype) -> Case:
    """Values with ties: both return the first maximal index."""
    x = draw(arrays(dtype, draw(shapes(max_dims=4)), ties))
    n = max(x.ndim, 1)
    axis, keepdims = draw(st.none() | st.integers(-n, n - 1)), draw(st.booleans())
    return Case(
        f"x{x.shape}.argmax(axis={axis}, keepdims={keepdims})",
        lambda x: x.argmax(axis=axis, keepdims=keepdims),
        lambda t: torch.argmax(t, dim=axis, keepdim=keepdims),
        (x,),
    )


# ----------------------------------------------------------------- registries

DIFFERENTIABLE: dict[str, CaseStrategy] = {
    **{f"unary-{op[0]}": partial(unary_case, op=op) for op in UNARY},
    **{f"binary-{op[0]}": partial(binary_case, op=op) for op in BINARY},
    **{f"ties-{op[0]}": partial(tied_case, op=op) for op in TIED},
    "where-tensors": where_case,
    "where-scalar": where_scalar_case,
    **{f"matmul-{name}": partial(matmul_case, fixed=s) for name, s in MATMUL_SHAPES.items()},
    "matmul-random": matmul_case,
    **{f"reduce-{op[0]}": partial(reduce_case, op=op) for op in REDUCE},
    "shape-reshape": partial(reshape_case, method="reshape"),
    "shape-view": partial(reshape_case, method="view"),
    "shape-transpose": transpose_case,
    "shape-permute": permute_case,
    "shape-squeeze": squeeze_case,
    "shape-unsqueeze": unsqueeze_case,
    "shape-expand": expand_case,
    "shape-flatten": flatten_case,
    "shape-T": matrix_transpose_case,
    "index-basic": basic_index_case,
    "index-advanced": advanced_index_case,
    "index-mask": mask_index_case,
    "join-cat": cat_case,
    "join-stack": stack_case,
    **{f"noncontig-{op[0]}": partial(noncontig_case, op=op) for op in NONCONTIG},
    **{f"graph-{op[0]}": partial(graph_case, op=op) for op in GRAPH},
}

FORWARD_ONLY: dict[str, CaseStrategy] = {
    **{f"compare-{op[0]}": partial(compare_case, op=op) for op in COMPARE},
    "argmax": argmax_case,
}
