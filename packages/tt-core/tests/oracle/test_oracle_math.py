"""The given elementwise ops (ops_math.py), PyTorch's scalar promotion and clip(min > max)
against PyTorch: forward values, dtypes and shapes, and gradients for the same random
upstream gradient, in float32 and float64, with broadcasting, 0-d and 0-size inputs.

Forward tests exercise module 02's Tensor; backward tests module 05's engine.
"""

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tt_core_oracle import DTYPES, arrays, assert_matches, broadcast_shapes, shapes, uniform

import tinytorch.core as tt
from tinytorch.core import Tensor

pytestmark = [pytest.mark.oracle]


def run(
    tt_fn: Callable[..., Any],
    torch_fn: Callable[..., Any],
    inputs: list[np.ndarray],
    upstream: Any = None,
) -> None:
    """Compare the forward (and, given an `upstream` draw, every input's gradient)."""
    grad = upstream is not None
    xs = [Tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in inputs]
    ts = [torch.from_numpy(a.copy()).requires_grad_(grad and a.dtype.kind == "f") for a in inputs]
    out, want = tt_fn(*xs), torch_fn(*ts)
    assert_matches(out.data, want, "forward")
    if not grad:
        return
    g = upstream(out.dtype, out.shape)
    out.backward(g)
    want.backward(torch.from_numpy(g))
    for i, (x, t) in enumerate(zip(xs, ts, strict=True)):
        if t.requires_grad:
            assert x.grad is not None, f"input {i} got no gradient"
            assert_matches(x.grad.data, t.grad, f"gradient of input {i}")


def upstream_from(data: st.DataObject) -> Callable[[np.dtype, tuple[int, ...]], np.ndarray]:
    return lambda dtype, shape: data.draw(arrays(dtype, shape, uniform(-2, 2)), label="upstream")


# (id, tinytorch, torch, domain)
UNARY = [
    ("sin", tt.sin, torch.sin, uniform(-4, 4)),
    ("cos", tt.cos, torch.cos, uniform(-4, 4)),
    ("erf", tt.erf, torch.erf, uniform(-5, 5)),
    ("rsqrt", tt.rsqrt, torch.rsqrt, uniform(0.125, 5)),
    ("log2", tt.log2, torch.log2, uniform(0.125, 5)),
    ("log10", tt.log10, torch.log10, uniform(0.125, 5)),
    ("log1p", tt.log1p, torch.log1p, uniform(-0.875, 5)),
    ("expm1", tt.expm1, torch.expm1, uniform(-4, 4)),
    ("floor", tt.floor, torch.floor, uniform(-4, 4)),
    ("ceil", tt.ceil, torch.ceil, uniform(-4, 4)),
    ("round", tt.round, torch.round, lambda d: st.integers(-8, 8).map(lambda i: i / 2)),  # halves: to even
    ("round_decimals", lambda x: x.round(decimals=1), lambda x: x.round(decimals=1), uniform(-4, 4)),
    ("trunc", tt.trunc, torch.trunc, uniform(-4, 4)),
    ("sign", tt.sign, torch.sign, lambda d: st.integers(-2, 2).map(float)),
    ("sin_method", lambda x: x.sin(), None, uniform(-4, 4)),
    ("erf_method", lambda x: x.erf(), None, uniform(-3, 3)),
    ("expm1_method", lambda x: x.expm1(), None, uniform(-1, 1)),
    ("floor_method", lambda x: x.floor(), None, uniform(-4, 4)),
    ("mod_scalar", lambda x: x % 1.5, None, uniform(-4, 4)),
    ("mod_negative_scalar", lambda x: x % -1.5, None, uniform(-4, 4)),
    ("rmod", lambda x: 2.5 % x, None, lambda d: st.sampled_from([-2.0, -0.75, 0.5, 1.25, 3.0])),
    ("floordiv_scalar", lambda x: x // 1.5, None, uniform(-4, 4)),
    ("rfloordiv", lambda x: 5.0 // x, None, lambda d: st.sampled_from([-2.0, -0.75, 0.5, 1.25, 3.0])),
    ("clip_min_above_max", lambda x: x.clip(1.0, -1.0), lambda x: x.clamp(1.0, -1.0), uniform(-2, 2)),
    (
        "clip_min_above_max_fn",
        lambda x: tt.clip(x, 0.5, 0.25),
        lambda x: torch.clamp(x, 0.5, 0.25),
        uniform(-2, 2),
    ),
    (
        "lerp_scalar_weight",
        lambda x: tt.lerp(x, x * 2 + 1, 0.25),
        lambda x: torch.lerp(x, x * 2 + 1, 0.25),
        uniform(-4, 4),
    ),
]


def _unary_case(entry: Any, dtype: np.dtype, data: st.DataObject) -> tuple[Any, Any, np.ndarray]:
    _, tt_fn, torch_fn, domain = entry
    shape = data.draw(st.one_of(shapes(0, 3), st.just((0,)), st.just((2, 0))), label="shape")
    x = data.draw(arrays(dtype, shape, domain), label="x")
    return tt_fn, torch_fn or tt_fn, x


@pytest.mark.module02
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("entry", UNARY, ids=[u[0] for u in UNARY])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_unary_forward_matches_torch(entry: Any, dtype: np.dtype, data: st.DataObject) -> None:
    tt_fn, torch_fn, x = _unary_case(entry, dtype, data)
    run(tt_fn, torch_fn, [x])


# PyTorch has no derivative for these (scalar % tensor, //): tinytorch's is tested by gradcheck
NO_TORCH_BACKWARD = {"rmod", "floordiv_scalar", "rfloordiv"}
UNARY_BACKWARD = [u for u in UNARY if u[0] not in NO_TORCH_BACKWARD]


@pytest.mark.module05
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("entry", UNARY_BACKWARD, ids=[u[0] for u in UNARY_BACKWARD])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_unary_backward_matches_torch(entry: Any, dtype: np.dtype, data: st.DataObject) -> None:
    tt_fn, torch_fn, x = _unary_case(entry, dtype, data)
    run(tt_fn, torch_fn, [x], upstream_from(data))


NONZERO = lambda d: st.sampled_from([-2.5, -1.0, -0.75, 0.5, 1.25, 2.0])  # noqa: E731

BINARY = [
    ("remainder", lambda a, b: a % b, uniform(-4, 4), NONZERO),
    ("remainder_fn", tt.remainder, uniform(-4, 4), NONZERO),
    ("floor_divide", lambda a, b: a // b, uniform(-4, 4), NONZERO),
    ("floor_divide_fn", tt.floor_divide, uniform(-4, 4), NONZERO),
    ("lerp_tensor_weight", lambda a, b: tt.lerp(a, a * b, b), uniform(-3, 3), uniform(-1, 2)),
]
TORCH_BINARY = {
    "remainder": lambda a, b: a % b,
    "remainder_fn": torch.remainder,
    "floor_divide": lambda a, b: a // b,
    "floor_divide_fn": torch.floor_divide,
    "lerp_tensor_weight": lambda a, b: torch.lerp(a, a * b, b),
}


@pytest.mark.module02
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("entry", BINARY, ids=[b[0] for b in BINARY])
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_binary_forward_matches_torch(entry: Any, dtype: np.dtype, data: st.DataObject) -> None:
    name, tt_fn, dom_a, dom_b = entry
    sa, sb = data.draw(broadcast_shapes(2), label="shapes")
    a, b = data.draw(arrays(dtype, sa, dom_a)), data.draw(arrays(dtype, sb, dom_b))
    run(tt_fn, TORCH_BINARY[name], [a, b])


@pytest.mark.module05
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("entry", [b for b in BINARY if "floor" not in b[0]], ids=lambda b: b[0])
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_binary_backward_matches_torch(entry: Any, dtype: np.dtype, data: st.DataObject) -> None:
    """floor_divide is left out: PyTorch has no backward for it (tinytorch: gradient 0)."""
    name, tt_fn, dom_a, dom_b = entry
    sa, sb = data.draw(broadcast_shapes(2), label="shapes")
    a, b = data.draw(arrays(dtype, sa, dom_a)), data.draw(arrays(dtype, sb, dom_b))
    run(tt_fn, TORCH_BINARY[name], [a, b], upstream_from(data))


@pytest.mark.module02
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_isnan_isinf_isfinite_match_torch(dtype: np.dtype, data: st.DataObject) -> None:
    special = st.sampled_from([0.0, -1.5, 2.0, np.inf, -np.inf, np.nan])
    x = data.draw(hnp_arrays(dtype, data.draw(shapes(0, 3)), special))
    for name in ("isnan", "isinf", "isfinite"):
        run(getattr(tt, name), getattr(torch, name), [x])
        run(lambda t, n=name: getattr(t, n)(), lambda t, n=name: getattr(t, n)(), [x])


def hnp_arrays(dtype: np.dtype, shape: tuple[int, ...], elements: st.SearchStrategy) -> st.SearchStrategy:
    from hypothesis.extra import numpy as hnp

    return hnp.arrays(dtype, shape, elements=elements)


# ------------------------------------------------------------ integer tensors


INT_OPS: list[tuple[str, Callable[..., Any]]] = [
    ("add_float", lambda x: x + 0.5),
    ("radd_float", lambda x: 0.5 + x),
    ("sub_float", lambda x: x - 1.5),
    ("rsub_float", lambda x: 1.5 - x),
    ("mul_float", lambda x: x * 2.5),
    ("rmul_float", lambda x: 2.5 * x),
    ("mul_int", lambda x: x * 2),
    ("add_bool", lambda x: x + True),
    ("pow_float", lambda x: x.abs() ** 0.5),
    ("pow_int", lambda x: x**2),
    ("rpow_float", lambda x: 1.5**x),
    ("div_int", lambda x: x / 2),
    ("rdiv_int", lambda x: 3 / (x.abs() + 1)),
    ("div_tensors", lambda x: x / (x * x + 1)),
    ("div_float", lambda x: x / 0.5),
    ("floordiv_int", lambda x: x // 3),
    ("floordiv_negative", lambda x: x // -3),
    ("rfloordiv_int", lambda x: 7 // (x.abs() + 1)),
    ("mod_int", lambda x: x % 3),
    ("mod_negative", lambda x: x % -3),
    ("rmod_int", lambda x: -7 % (x.abs() + 1)),
    ("mod_float", lambda x: x % 2.5),
    ("floordiv_float", lambda x: x // 2.5),
    ("lt_float", lambda x: x < 0.5),
    ("eq_float", lambda x: x == 1.0),
    ("clip_float", lambda x: x.clip(-0.5, 1.5)),
    ("clip_min_above_max", lambda x: x.clip(2, -1)),
    ("exp", lambda x: x.exp()),
    ("sqrt", lambda x: x.abs().sqrt()),
    ("log", lambda x: (x.abs() + 1).log()),
    ("sin", lambda x: x.sin()),
    ("erf", lambda x: x.erf()),
    ("rsqrt", lambda x: (x.abs() + 1).rsqrt()),
    ("log2", lambda x: (x.abs() + 1).log2()),
    ("floor", lambda x: x.floor()),
    ("round", lambda x: x.round()),
    ("sign", lambda x: x.sign()),
    ("isnan", lambda x: x.isnan()),
    ("isfinite", lambda x: x.isfinite()),
]


@pytest.mark.module02
@pytest.mark.parametrize("entry", INT_OPS, ids=[e[0] for e in INT_OPS])
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_int_tensor_ops_have_torchs_dtype_and_values(entry: Any, data: st.DataObject) -> None:
    """PyTorch's type promotion with Python scalars: int64 stays int64 with ints, becomes
    float32 (the default float dtype) with floats, and for `/` and float-valued functions."""
    _, fn = entry
    x = data.draw(hnp_arrays(np.dtype(np.int64), data.draw(shapes(0, 2)), st.integers(-5, 5)))
    run(fn, fn, [x])


BOOL_OPS: list[tuple[str, Callable[..., Any]]] = [
    ("add_int", lambda x: x + 1),
    ("add_float", lambda x: x + 0.5),
    ("mul_float", lambda x: x * 1.5),
    ("div", lambda x: x / 2),
    ("exp", lambda x: x.exp()),
    ("sign", lambda x: x.sign()),
]


@pytest.mark.module02
@pytest.mark.parametrize("entry", BOOL_OPS, ids=[e[0] for e in BOOL_OPS])
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_bool_tensor_ops_have_torchs_dtype_and_values(entry: Any, data: st.DataObject) -> None:
    _, fn = entry
    x = data.draw(hnp_arrays(np.dtype(np.bool_), data.draw(shapes(0, 2)), st.booleans()))
    run(fn, fn, [x])


@pytest.mark.module05
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_float_tensor_with_python_scalars_keeps_its_dtype_and_gradient(dtype: np.dtype) -> None:
    x = np.linspace(-2, 2, 7, dtype=dtype)

    def fn(t: Any) -> Any:
        # (torch has no backward for //: its result is used detached)
        return (t + 1.5) * 2 - 0.5 / (t * t + 1) + t**2 + (t % 1.25) * (t // 0.5).detach()

    run(fn, fn, [x], lambda dt, shape: np.ones(shape, dt))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.module02
def test_integer_division_by_zero_is_an_error_as_in_torch(dtype: np.dtype) -> None:
    x = tt.arange(3)
    for fn in (lambda t: t % 0, lambda t: t // 0, lambda t: t % (t * 0), lambda t: 5 // (t * 0)):
        with pytest.raises(RuntimeError):
            fn(torch.arange(3))
        with pytest.raises(RuntimeError, match="division by zero"):
            fn(x)
    # floats: nan and +-inf, no error
    f = np.array([-2.0, 0.0, 3.0], dtype=dtype)
    run(lambda t: t % 0.0, lambda t: t % 0.0, [f])
    run(lambda t: t // 0.0, lambda t: t // 0.0, [f])
