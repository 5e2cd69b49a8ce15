"""Issue 15's "wrong today" cases against PyTorch: where the dims of index arrays go when
an index mixes ints, slices, None, ... and arrays (forward and backward); var/std with no
degrees of freedom; where with two scalars; flatten(start_dim, end_dim).
"""

import warnings
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tt_core_oracle import DTYPES, arrays, assert_matches, uniform

import tinytorch.core as tt
from tinytorch.core import Tensor

pytestmark = [pytest.mark.oracle]


@st.composite
def mixed_index(draw: Any, shape: tuple[int, ...]) -> list[tuple[str, Any]]:
    """An index for `shape` as (kind, value) parts: ints (negative too), slices, None,
    at most one ..., int arrays of mutually broadcastable shapes (0-d included), bool
    masks and Python bools, in any order."""
    parts: list[tuple[str, Any]] = []
    dim = 0
    ellipsis = draw(st.integers(-1, len(shape)))  # position of ... among the dims (-1: none)
    array_shape = draw(st.sampled_from([(), (2,), (1,), (2, 1), (3, 1, 1)]))
    while dim < len(shape):
        if dim == ellipsis:
            parts.append(("ellipsis", Ellipsis))
            dim += draw(st.integers(0, len(shape) - dim))
            ellipsis = -1
            continue
        n = shape[dim]
        kind = draw(st.sampled_from(["int", "slice", "slice", "array", "mask", "none", "bool", "stop"]))
        if kind == "stop":
            break
        if kind == "none":
            parts.append(("none", None))
            continue
        if kind == "bool":
            parts.append(("bool", draw(st.booleans())))
            continue
        if kind == "int":
            parts.append(("int", draw(st.integers(-n, n - 1))))
        elif kind == "slice":
            start = draw(st.none() | st.integers(-n - 1, n + 1))
            stop = draw(st.none() | st.integers(-n - 1, n + 2))
            step = draw(st.none() | st.integers(1, 3))
            parts.append(("slice", slice(start, stop, step)))
        elif kind == "array":
            shp = tuple(draw(st.sampled_from([1, k])) for k in array_shape)
            parts.append(("array", draw(hnp.arrays(np.int64, shp, elements=st.integers(-n, n - 1)))))
        else:  # a bool mask over this dim
            parts.append(("mask", draw(hnp.arrays(np.bool_, (n,)))))
        dim += 1
    return parts


def as_index(parts: list[tuple[str, Any]], lib: str) -> tuple[Any, ...]:
    out = []
    for kind, v in parts:
        if kind in ("array", "mask"):
            out.append(torch.from_numpy(v) if lib == "torch" else Tensor(v))
        else:
            out.append(v)
    return tuple(out)


@pytest.mark.module02
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_mixed_indexing_places_dims_as_torch(dtype: np.dtype, data: st.DataObject) -> None:
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=5, min_side=1, max_side=4), label="shape")
    x = data.draw(arrays(dtype, shape), label="x")
    parts = data.draw(mixed_index(shape), label="index")
    try:
        want = torch.from_numpy(x)[as_index(parts, "torch")]
    except (IndexError, RuntimeError):  # e.g. masks whose counts do not broadcast
        with pytest.raises((IndexError, RuntimeError, ValueError)):
            Tensor(x)[as_index(parts, "tt")]
        return
    assert_matches(Tensor(x)[as_index(parts, "tt")].data, want, f"x{shape}[{parts}]")


@pytest.mark.module05
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_mixed_indexing_backward_matches_torch(dtype: np.dtype, data: st.DataObject) -> None:
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4), label="shape")
    x = data.draw(arrays(dtype, shape), label="x")
    parts = data.draw(mixed_index(shape), label="index")
    t = torch.from_numpy(x.copy()).requires_grad_(True)
    try:
        want = t[as_index(parts, "torch")]
    except (IndexError, RuntimeError):
        return
    xt = Tensor(x, requires_grad=True)
    out = xt[as_index(parts, "tt")]
    g = data.draw(arrays(dtype, tuple(want.shape), uniform(-2, 2)), label="upstream")
    out.backward(g)
    want.backward(torch.from_numpy(g))
    assert xt.grad is not None
    assert_matches(xt.grad.data, t.grad, "gradient")


@pytest.mark.module05
def test_issue_example_int_slices_and_array() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 6, 5, 3, 4))
    d = rng.integers(0, 5, (2, 1, 1, 5, 1, 1))
    xt, t = Tensor(x, requires_grad=True), torch.from_numpy(x.copy()).requires_grad_(True)
    out, want = xt[1, :, 3:11:2, Tensor(d), 0:2], t[1, :, 3:11:2, torch.from_numpy(d), 0:2]
    assert out.shape == (5, 2, 2, 1, 1, 5, 1, 1, 2, 4) == tuple(want.shape)
    assert_matches(out.data, want, "forward")
    g = rng.standard_normal(out.shape)
    out.backward(g)
    want.backward(torch.from_numpy(g))
    assert_matches(xt.grad.data, t.grad, "gradient")


# --------------------------------------------------- var/std without degrees of freedom


@pytest.mark.module02
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [
        ((1,), {}),
        ((3,), {"correction": 3}),
        ((3,), {"correction": 5}),
        ((2, 1), {"dim": 1}),
        ((0,), {}),
        ((2, 3), {"dim": 0, "correction": 2, "keepdim": True}),
    ],
)
@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_without_degrees_of_freedom_warn_as_torch(
    op: str, shape: tuple[int, ...], kwargs: dict[str, Any], dtype: np.dtype
) -> None:
    x = np.arange(np.prod(shape), dtype=dtype).reshape(shape)
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        want = getattr(torch.from_numpy(x), op)(**kwargs)
    with pytest.warns(UserWarning, match=f"{op}\\(\\): degrees of freedom is <= 0"):
        out = getattr(Tensor(x), op)(**kwargs)
    assert_matches(out.data, want, f"{op}{kwargs}")


# ------------------------------------------------------------- where, flatten


@pytest.mark.module02
@pytest.mark.parametrize(
    ("a", "b"), [(1.0, 0.0), (1, 0), (True, False), (1, 0.5), (2.5, True), (-1, np.float32(2.5))]
)
def test_where_with_two_scalars_has_torchs_dtype(a: Any, b: Any) -> None:
    cond = np.array([[True, False, True]])
    want = torch.where(torch.from_numpy(cond), a, b)
    assert_matches(tt.where(Tensor(cond), a, b).data, want, f"where(cond, {a!r}, {b!r})")


@pytest.mark.module05
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(
    ("shape", "start", "end"),
    [
        ((2, 3, 4), 0, -1),
        ((2, 3, 4), 1, -1),
        ((2, 3, 4), -2, -1),
        ((2, 3, 4, 5), 1, 2),
        ((2, 3, 4), 1, 1),
        ((), 0, -1),
        ((2, 0, 3), 0, 1),
        ((4,), 0, 0),
        ((2, 3), -1, -1),
    ],
)
def test_flatten_matches_torch(shape: tuple[int, ...], start: int, end: int, dtype: np.dtype) -> None:
    x = np.arange(np.prod(shape), dtype=dtype).reshape(shape)
    xt, t = Tensor(x, requires_grad=True), torch.from_numpy(x.copy()).requires_grad_(True)
    for out, want in (
        (xt.flatten(start, end), t.flatten(start, end)),
        (tt.flatten(xt, start, end), torch.flatten(t, start, end)),
    ):
        assert_matches(out.data, want, f"flatten{shape, start, end}")
        g = np.linspace(-1, 1, out.size, dtype=dtype).reshape(out.shape)
        xt.grad, t.grad = None, None
        out.backward(g)
        want.backward(torch.from_numpy(g))
        assert_matches(xt.grad.data, t.grad, "gradient")


@pytest.mark.module02
def test_flatten_errors_as_torch() -> None:
    for start, end in ((2, 1), (0, 3), (-4, -1)):
        with pytest.raises((IndexError, RuntimeError)):
            torch.zeros(2, 3, 4).flatten(start, end)
        with pytest.raises((IndexError, RuntimeError), match="flatten"):
            tt.zeros(2, 3, 4).flatten(start, end)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tt.zeros(()).flatten().shape == tuple(torch.zeros(()).flatten().shape)
