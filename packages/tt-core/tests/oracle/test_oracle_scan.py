"""cumsum, cumprod and prod against PyTorch.

Values, dtypes and gradients (the same random upstream gradient through both) in
float32 and float64, on random shapes including 0-size dims, 0-d inputs and negative
dims; prod over one dim (keepdim or not) and over all elements; the dtype= option.
The products' inputs hold exact zeros often (none, one or several per product), where
the gradient is the product of the other factors, not out / x. Integer and bool
inputs: forward only (int64 results, as PyTorch).
"""

from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tt_core_oracle import DTYPES, Case, arrays, check_backward, check_forward, nonzero, shapes, signed

import tinytorch.core as tt

pytestmark = [pytest.mark.oracle]

TORCH_DTYPE = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}


def with_zeros(dtype: np.dtype) -> st.SearchStrategy[float]:
    """Factors of magnitude 0.25-2 (products stay in range), or exactly 0 (a third of them)."""
    return st.one_of(st.just(0.0), nonzero(0.25, 2)(dtype), nonzero(0.25, 2)(dtype))


@st.composite
def _input(draw: Any, dtype: np.dtype, zeros: bool) -> tuple[np.ndarray, int]:
    """(x, signed dim): a 0-d input's dim is 0 or -1."""
    shape = draw(shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    x = draw(arrays(dtype, shape, with_zeros) if zeros else arrays(dtype, shape))
    nd = max(len(shape), 1)
    return x, signed(draw, draw(st.integers(0, nd - 1)), nd)


@st.composite
def scan_case(draw: Any, dtype: np.dtype, op: str) -> Case:
    x, dim = draw(_input(dtype, zeros=op == "cumprod"))
    # dtype= converts the input first; the input's gradient is computed in its own dtype.
    # A product's gradient is made of the (converted) output, whose float32 rounding differs
    # from PyTorch's: converting down, only cumsum's gradient can be held to float64's tolerance.
    to = draw(
        st.sampled_from(
            [None, dtype, np.dtype(np.float64)] + ([np.dtype(np.float32)] if op == "cumsum" else [])
        )
    )
    tt_fn, torch_fn = getattr(tt, op), getattr(torch, op)
    return Case(
        f"{op}(x{x.shape} {x.dtype}, {dim}, dtype={to})",
        lambda a: tt_fn(a, dim, dtype=to),
        lambda a: torch_fn(a, dim, dtype=None if to is None else TORCH_DTYPE[to]),
        (x,),
    )


@st.composite
def prod_case(draw: Any, dtype: np.dtype) -> Case:
    x, dim = draw(_input(dtype, zeros=True))
    if draw(st.booleans()):  # all elements (PyTorch has no keepdim there)
        to = draw(st.sampled_from([None, dtype, np.dtype(np.float64)]))  # up only, as cumprod
        if to is None and draw(st.booleans()):  # the function form
            return Case(f"tt.prod(x{x.shape})", tt.prod, torch.prod, (x,))
        return Case(
            f"prod(x{x.shape}, dtype={to})",
            lambda a: a.prod(dtype=to),
            lambda a: a.prod(dtype=None if to is None else TORCH_DTYPE[to]),
            (x,),
        )
    keepdim = draw(st.booleans())
    return Case(
        f"prod(x{x.shape}, {dim}, keepdim={keepdim})",
        lambda a: tt.prod(a, dim, keepdim),
        lambda a: torch.prod(a, dim, keepdim),
        (x,),
    )


CASES = {
    "cumsum": lambda dtype: scan_case(dtype, "cumsum"),
    "cumprod": lambda dtype: scan_case(dtype, "cumprod"),
    "prod": prod_case,
}


@pytest.mark.module05
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", list(CASES))
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_scans_and_prod_match_torch(case: str, dtype: np.dtype, data: st.DataObject) -> None:
    check_backward(data.draw(CASES[case](dtype), label=case), data)


@pytest.mark.module05
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("op", ["cumprod", "prod"])
@pytest.mark.parametrize(
    "row",
    [[2.0, 0.0, 3.0, 0.5], [0.0, 2.0, 0.0, 3.0], [1.5, 2.0, 3.0, 0.0], [0.0, 0.0, 0.0, 0.0]],
    ids=["one zero", "two zeros", "zero last", "all zeros"],
)
def test_products_with_zeros_match_torch(row: list[float], op: str, dtype: np.dtype) -> None:
    """Fixed rows (hypothesis may draw few of these): a zero's gradient is the product of the others."""
    x = np.array([row, row[::-1]], dtype=dtype)
    g = np.arange(1.0, 9.0, dtype=dtype).reshape(2, 4)  # a different weight per output
    g = g if op == "cumprod" else g[:, 0]
    xs, ts = tt.Tensor(x, requires_grad=True), torch.from_numpy(x).requires_grad_(True)
    out, expected = getattr(tt, op)(xs, -1), getattr(torch, op)(ts, -1)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-6)
    out.backward(g)
    expected.backward(torch.from_numpy(g))
    assert xs.grad is not None and ts.grad is not None
    np.testing.assert_allclose(xs.grad.data, ts.grad.numpy(), rtol=1e-6)


@pytest.mark.module02
@pytest.mark.parametrize("dtype", [np.int64, np.bool_], ids=["int64", "bool"])
@pytest.mark.parametrize("op", ["cumsum", "cumprod", "prod"])
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_integer_and_bool_inputs_match_torch(op: str, dtype: Any, data: st.DataObject) -> None:
    shape = data.draw(shapes(min_dims=0, max_dims=2, min_side=0, max_side=4), label="shape")
    x = data.draw(
        hnp.arrays(dtype, shape, elements=st.integers(-3, 3) if dtype is np.int64 else None), label="x"
    )
    nd = max(len(shape), 1)
    dim = data.draw(st.integers(-nd, nd - 1), label="dim")
    tt_fn, torch_fn = getattr(tt, op), getattr(torch, op)
    check_forward(
        Case(
            f"{op}(x{shape} {np.dtype(dtype)}, {dim})",
            lambda a: tt_fn(a, dim),
            lambda a: torch_fn(a, dim),
            (x,),
        )
    )
    if op == "prod":
        check_forward(Case(f"prod(x{shape} {np.dtype(dtype)})", lambda a: a.prod(), lambda a: a.prod(), (x,)))
