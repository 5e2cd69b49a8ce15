"""The given reductions (std, any/all, argmin, logsumexp, norm), PyTorch's `dim=`/`keepdim=`
keywords on every reduction, and the given factories against PyTorch: values, dtypes,
shapes and gradients, float32 and float64, 0-d, 0-size and negative dims.
"""

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tt_core_oracle import DTYPES, arrays, assert_matches, shapes, uniform

import tinytorch.core as tt
from tinytorch.core import Tensor

pytestmark = [pytest.mark.oracle]


@st.composite
def dim_kwargs(draw: Any, shape: tuple[int, ...], many: bool = True) -> dict[str, Any]:
    """{} (all dims) or {"dim": d or (d0, d1, ...), "keepdim": bool}, negative dims too."""
    if not shape or draw(st.booleans()):
        return {"keepdim": draw(st.booleans())} if draw(st.booleans()) and shape else {}
    ndim = len(shape)
    if many and ndim > 1 and draw(st.booleans()):
        axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
        dim: Any = tuple(draw(st.sampled_from([a, a - ndim])) for a in axes)
    else:
        a = draw(st.integers(0, ndim - 1))
        dim = draw(st.sampled_from([a, a - ndim]))
    return {"dim": dim, "keepdim": draw(st.booleans())}


def compare(
    tt_fn: Callable[[Tensor], Tensor],
    torch_fn: Callable[[torch.Tensor], torch.Tensor],
    x: np.ndarray,
    data: st.DataObject | None,
) -> None:
    """Forward; with `data`, also the gradient for a drawn upstream gradient."""
    grad = data is not None
    xt = Tensor(x, requires_grad=grad)
    t = torch.from_numpy(x.copy()).requires_grad_(grad)
    out, want = tt_fn(xt), torch_fn(t)
    assert_matches(out.data, want, "forward")
    if data is None:
        return
    g = data.draw(arrays(out.dtype, out.shape, uniform(-2, 2)), label="upstream")
    out.backward(g)
    want.backward(torch.from_numpy(g))
    assert xt.grad is not None
    assert_matches(xt.grad.data, t.grad, "gradient")


SPREAD = uniform(-4, 4)
TIES = lambda d: st.integers(-2, 2).map(float)  # noqa: E731  (equal |x|, zeros: ties and 0 norms)
QUARTERS = lambda d: st.integers(-16, 16).map(lambda i: i / 4)  # noqa: E731  (no underflow in |x|^p)


def _reduction(name: str, data: st.DataObject, dtype: np.dtype) -> tuple[Any, Any, np.ndarray, bool]:
    """(tinytorch fn, torch fn, x, differentiable) for one drawn call of reduction `name`."""
    shape = data.draw(st.one_of(shapes(0, 3), st.just((2, 0))), label="shape")
    if name == "std":
        correction = data.draw(st.sampled_from([0, 1]))
        kw = data.draw(dim_kwargs(shape))
        n = math.prod(shape[d] for d in np.atleast_1d(kw.get("dim", range(len(shape))))) if shape else 1
        if n - correction <= 0:
            correction = 0
            if n == 0:
                kw, shape = {}, (3,)
        # quarters: a constant slice has mean and std exactly 0 in both (rounding noise in
        # an ill-conditioned case is not compared)
        x = data.draw(arrays(dtype, shape, QUARTERS))
        return (
            (lambda t: t.std(correction=correction, **kw)),
            (lambda t: t.std(correction=correction, **kw)),
            x,
            True,
        )
    if name in ("any", "all"):
        kw = data.draw(dim_kwargs(shape, many=False))
        x = data.draw(arrays(dtype, shape, TIES))
        fn = lambda t: getattr(t, name)(**kw)  # noqa: E731
        return fn, fn, x, False
    if name == "argmin":
        shape = data.draw(shapes(0, 3))
        kw = data.draw(dim_kwargs(shape, many=False))
        x = data.draw(arrays(dtype, shape, TIES))  # ties: the first index, as torch
        return (lambda t: t.argmin(**kw)), (lambda t: t.argmin(**kw)), x, False
    if name == "logsumexp":
        kw = data.draw(dim_kwargs(shape))
        kw.setdefault("dim", tuple(range(len(shape))))
        x = data.draw(arrays(dtype, shape, lambda d: st.sampled_from([-80.0, -1.5, 0.0, 2.0, 50.0, 88.0])))
        return (lambda t: t.logsumexp(**kw)), (lambda t: t.logsumexp(**kw)), x, True
    # norm
    p = data.draw(st.sampled_from([2, 1, 3, 0.5, math.inf, -math.inf, "fro", 0]))
    kw = data.draw(dim_kwargs(shape))
    if p == "fro" and isinstance(kw.get("dim"), int):
        kw["dim"] = (kw["dim"],)
    if p == "fro" and len(kw.get("dim", ())) > 2:  # a matrix norm: at most 2 dims
        kw["dim"] = kw["dim"][:2]
    if x_empty_bad(shape, kw, p):
        shape = (3,)
        kw = {}
    x = data.draw(arrays(dtype, shape, TIES if p in (0, 1, 2, "fro", math.inf, -math.inf) else QUARTERS))
    if p == 0.5:
        x = np.asarray(x + np.where(x == 0, 1, 0).astype(dtype))  # |x|^(p-1) is inf at 0 for p < 1
    return (lambda t: t.norm(p, **kw)), (lambda t: t.norm(p, **kw)), x, p != 0


def x_empty_bad(shape: tuple[int, ...], kw: dict[str, Any], p: Any) -> bool:
    """torch refuses inf norms of empty reductions."""
    return 0 in shape and p in (math.inf, -math.inf)


REDUCTIONS = ["std", "any", "all", "argmin", "logsumexp", "norm"]


@pytest.mark.module02
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", REDUCTIONS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_reduction_forward_matches_torch(name: str, dtype: np.dtype, data: st.DataObject) -> None:
    tt_fn, torch_fn, x, _ = _reduction(name, data, dtype)
    compare(tt_fn, torch_fn, x, None)


@pytest.mark.module05
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", ["std", "logsumexp", "norm"])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_reduction_backward_matches_torch(name: str, dtype: np.dtype, data: st.DataObject) -> None:
    tt_fn, torch_fn, x, differentiable = _reduction(name, data, dtype)
    compare(tt_fn, torch_fn, x, data if differentiable else None)


@pytest.mark.module05
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("p", [2, 1, 3, math.inf, -math.inf, "fro"])
def test_norm_gradient_at_zero_is_zero_as_torch(p: Any, dtype: np.dtype) -> None:
    x = np.zeros((2, 3), dtype=dtype)
    x[1] = [3, -4, 0]
    for kw in ({}, {"dim": 1}, {"dim": (-1,), "keepdim": True}):
        xt, t = Tensor(x, requires_grad=True), torch.from_numpy(x.copy()).requires_grad_(True)
        out, want = xt.norm(p, **kw), t.norm(p, **kw)
        assert_matches(out.data, want, f"norm {p} {kw}")
        out.sum().backward()
        want.sum().backward()
        assert_matches(xt.grad.data, t.grad, f"norm {p} {kw} gradient")


@pytest.mark.module05
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_std_of_a_constant_slice_has_gradient_zero_as_torch(dtype: np.dtype) -> None:
    x = np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]], dtype=dtype)
    for kw in ({"dim": 1}, {"dim": -1, "keepdim": True, "correction": 0}):
        xt, t = Tensor(x, requires_grad=True), torch.from_numpy(x.copy()).requires_grad_(True)
        out, want = xt.std(**kw), t.std(**kw)
        assert_matches(out.data, want, f"std {kw}")
        out.sum().backward()
        want.sum().backward()
        assert_matches(xt.grad.data, t.grad, f"std {kw} gradient")


@pytest.mark.module05
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "var", "std", "logsumexp", "norm"])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_dim_and_keepdim_keywords_as_torch(name: str, dtype: np.dtype, data: st.DataObject) -> None:
    shape = data.draw(shapes(1, 3, min_side=2), label="shape")
    kw = data.draw(dim_kwargs(shape, many=name not in ("max", "min", "norm")))  # norm: 'fro', <= 2 dims
    kw.setdefault("dim", 0)
    x = data.draw(arrays(dtype, shape, QUARTERS))  # (constant slices: exact std 0, as above)

    def torch_fn(t: torch.Tensor) -> torch.Tensor:
        if name in ("max", "min"):  # torch: (values, indices); tinytorch: the values
            return getattr(torch, "amax" if name == "max" else "amin")(t, **kw)
        return getattr(t, name)(**kw)

    compare(lambda t: getattr(t, name)(**kw), torch_fn, x, data)


@pytest.mark.module02
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_functional_logsumexp_and_norm_as_torch(dtype: np.dtype) -> None:
    x = np.linspace(-3, 3, 24, dtype=dtype).reshape(2, 3, 4)
    data = None
    compare(lambda t: tt.logsumexp(t, 1), lambda t: torch.logsumexp(t, 1), x, data)
    compare(
        lambda t: tt.logsumexp(t, dim=(0, -1), keepdim=True),
        lambda t: torch.logsumexp(t, dim=(0, -1), keepdim=True),
        x,
        data,
    )
    compare(lambda t: tt.norm(t), lambda t: torch.norm(t), x, data)
    compare(lambda t: tt.norm(t, 1, dim=-1), lambda t: torch.norm(t, 1, dim=-1), x, data)
    compare(
        lambda t: tt.norm(t, p=math.inf, dim=(0, 1), keepdim=True),
        lambda t: torch.norm(t, p=math.inf, dim=(0, 1), keepdim=True),
        x,
        data,
    )


@pytest.mark.module02
@pytest.mark.parametrize("name", ["argmax", "argmin"])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_argmax_argmin_dim_keyword_as_torch(name: str, data: st.DataObject) -> None:
    shape = data.draw(shapes(1, 3), label="shape")
    kw = data.draw(dim_kwargs(shape, many=False))
    x = data.draw(arrays(np.float32, shape, TIES))
    compare(lambda t: getattr(t, name)(**kw), lambda t: getattr(t, name)(**kw), x, None)


@pytest.mark.module02
def test_int_and_bool_reductions_as_torch() -> None:
    x = np.array([[0, 3, -2], [1, 0, 5]], dtype=np.int64)
    b = x > 0
    for fn in (
        lambda t: t.any(),
        lambda t: t.all(dim=1),
        lambda t: t.argmin(dim=0),
        lambda t: t.logsumexp(dim=1),
        lambda t: t.sum(dim=-1, keepdim=True),
    ):
        compare(fn, fn, x, None)
    for fn in (lambda t: t.any(dim=0), lambda t: t.all(), lambda t: t.sum()):
        compare(fn, fn, b, None)
    for name in ("mean", "var", "std", "norm"):
        with pytest.raises(RuntimeError):
            getattr(torch.from_numpy(x), name)()
        with pytest.raises(RuntimeError, match=f"{name}: expected a floating-point tensor"):
            getattr(Tensor(x), name)()


# ------------------------------------------------------------------ factories


FACTORIES: list[tuple[str, Callable[[Any], Any]]] = [
    ("eye", lambda m: m.eye(3)),
    ("eye_rect", lambda m: m.eye(2, 4)),
    ("eye_zero", lambda m: m.eye(0, 2)),
    ("eye_int", lambda m: m.eye(3, dtype=m.int64)),
    ("eye_float64", lambda m: m.eye(2, 3, dtype=m.float64)),
    ("linspace", lambda m: m.linspace(0, 1, 5)),
    ("linspace_negative", lambda m: m.linspace(3, -2.5, 7)),
    ("linspace_one", lambda m: m.linspace(2, 5, 1)),
    ("linspace_zero", lambda m: m.linspace(2, 5, 0)),
    ("linspace_float64", lambda m: m.linspace(-1, 1, 9, dtype=m.float64)),
    ("linspace_int", lambda m: m.linspace(-3, 10, 4, dtype=m.int64)),
    ("arange_int", lambda m: m.arange(5)),
    ("arange_int_step", lambda m: m.arange(1, 10, 3)),
    ("arange_negative_step", lambda m: m.arange(5, -3, -2)),
    ("arange_float_step", lambda m: m.arange(0, 1, 0.3)),
    ("arange_float_start", lambda m: m.arange(0.5, 3)),
    ("arange_float_end", lambda m: m.arange(2.5)),
    ("arange_float_negative", lambda m: m.arange(1, -1, -0.25)),
    ("arange_empty", lambda m: m.arange(3, 3)),
    ("arange_float64", lambda m: m.arange(0, 1, 0.1, dtype=m.float64)),
    ("arange_int_as_float", lambda m: m.arange(4, dtype=m.float32)),
    ("arange_tenth", lambda m: m.arange(-1, 1, 0.1)),
    ("zeros_like", lambda m: m.zeros_like(m.ones(2, 3))),
    ("zeros_like_int", lambda m: m.zeros_like(m.arange(4))),
    ("ones_like_dtype", lambda m: m.ones_like(m.arange(4), dtype=m.float64)),
    ("ones_like_0d", lambda m: m.ones_like(m.ones(()))),
    ("full_like", lambda m: m.full_like(m.ones(2, 0), 2.5)),
    ("full_like_float", lambda m: m.full_like(m.ones(2, 2), -1.25)),
    ("full_like_int_truncates", lambda m: m.full_like(m.arange(3), 2.75)),
    ("full_like_negative_int", lambda m: m.full_like(m.arange(3), -2.75)),
    ("empty_shape", lambda m: m.zeros_like(m.empty(2, 3))),
    ("empty_like_shape", lambda m: m.zeros_like(m.empty_like(m.arange(3)))),
]


@pytest.mark.module02
@pytest.mark.parametrize("entry", FACTORIES, ids=[f[0] for f in FACTORIES])
def test_factories_match_torch(entry: Any) -> None:
    _, make = entry
    assert_matches(make(tt).data, make(torch), "factory")


@pytest.mark.module02
@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.arange(0, 1, 0),
        lambda m: m.arange(0, 5, -1),
        lambda m: m.arange(0, math.inf),
        lambda m: m.linspace(0, 1, -1),
        lambda m: m.eye(-1),
    ],
)
def test_factory_errors_as_torch(make: Any) -> None:
    with pytest.raises(RuntimeError):
        make(torch)
    with pytest.raises((RuntimeError, ValueError)):
        make(tt)


@pytest.mark.module02
@settings(max_examples=60, deadline=None)
@given(
    start=st.integers(-20, 20).map(lambda i: i / 4),
    length=st.integers(0, 40),
    step=st.sampled_from([0.1, 0.25, 0.3, 0.7, 1.5, -0.1, -0.3, -1.25]),
)
def test_arange_float_length_and_values_as_torch(start: float, length: int, step: float) -> None:
    end = start + length * step * 0.37
    assert_matches(tt.arange(start, end, step).data, torch.arange(start, end, step), "arange")


@pytest.mark.module02
def test_factory_requires_grad() -> None:
    for x in (
        tt.eye(2, requires_grad=True),
        tt.linspace(0, 1, 3, requires_grad=True),
        tt.zeros_like(tt.ones(2), requires_grad=True),
        tt.arange(0.0, 1.0, 0.5, requires_grad=True),
    ):
        assert x.requires_grad and x.is_leaf
    assert hnp is not None
