"""sort, argsort, topk, cumsum, cumprod and prod against PyTorch.

Values and gradients (the same random upstream gradient through both) in float32 and
float64, on random shapes including 0-size dims, 0-d inputs and negative dims.

Sorting draws distinct values, so that indices (and where gradients go) are defined:
tinytorch sorts stably, PyTorch's default sort and topk may order ties differently.
With ties, only the sorted values are compared (`test_sorted_values_with_ties`).
Products draw values with zeros (none, one, several per reduction), where the
textbook gradient out / x fails.
"""

from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tt_core_oracle import DTYPES, Case, arrays, check_backward, exactly, shapes, signed

import tinytorch.core as tt
from tinytorch.core import Tensor

pytestmark = [pytest.mark.oracle]

WITH_ZEROS = exactly(0.0, 0.5, -0.75, 1.25, -1.5, 2.0)  # zeros are frequent


@st.composite
def _distinct(draw: Any, dtype: np.dtype, min_dims: int = 0) -> np.ndarray:
    """An array of distinct values (a shuffled, scaled range)."""
    shape = draw(shapes(min_dims=min_dims, max_dims=3, min_side=0, max_side=4))
    n = int(np.prod(shape))
    perm = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).permutation(n)
    return ((perm - n / 2) * 0.375).astype(dtype).reshape(shape)


def _dim(draw: Any, x: np.ndarray) -> int:
    nd = max(x.ndim, 1)
    return signed(draw, draw(st.integers(0, nd - 1)), nd)


@st.composite
def sort_case(draw: Any, dtype: np.dtype, output: str) -> Case:
    x = draw(_distinct(dtype))
    dim, descending = _dim(draw, x), draw(st.booleans())

    def pick(res: Any) -> Any:  # values, or values scaled by the (float) indices
        return res.values if output == "values" else res.values * res.indices.to(res.values.dtype)

    return Case(
        f"sort(x{x.shape}, {dim}, descending={descending}) {output}",
        lambda a: pick(tt.sort(a, dim, descending)),
        lambda a: pick(torch.sort(a, dim, descending)),
        (x,),
    )


@st.composite
def topk_case(draw: Any, dtype: np.dtype) -> Case:
    x = draw(_distinct(dtype))
    dim = _dim(draw, x)
    n = x.shape[dim] if x.ndim else 1
    k, largest = draw(st.integers(0, n)), draw(st.booleans())

    def pick(res: Any) -> Any:
        return res.values * res.indices.to(res.values.dtype)

    return Case(
        f"topk(x{x.shape}, {k}, {dim}, largest={largest})",
        lambda a: pick(tt.topk(a, k, dim, largest)),
        lambda a: pick(torch.topk(a, k, dim, largest)),
        (x,),
    )


@st.composite
def scan_case(draw: Any, dtype: np.dtype, op: str) -> Case:
    shape = draw(shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    x = draw(arrays(dtype, shape, WITH_ZEROS))
    dim = _dim(draw, x)
    return Case(
        f"{op}(x{shape}, {dim})",
        lambda a: getattr(tt, op)(a, dim),
        lambda a: getattr(torch, op)(a, dim),
        (x,),
    )


@st.composite
def prod_case(draw: Any, dtype: np.dtype) -> Case:
    shape = draw(shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    x = draw(arrays(dtype, shape, WITH_ZEROS))
    if draw(st.booleans()):
        return Case(f"prod(x{shape})", tt.prod, torch.prod, (x,))
    dim, keepdim = _dim(draw, x), draw(st.booleans())
    return Case(
        f"prod(x{shape}, {dim}, keepdim={keepdim})",
        lambda a: a.prod(dim, keepdim),
        lambda a: a.prod(dim, keepdim),
        (x,),
    )


CASES = {
    "sort_values": lambda dtype: sort_case(dtype, "values"),
    "sort_indices": lambda dtype: sort_case(dtype, "indices"),
    "topk": topk_case,
    "cumsum": lambda dtype: scan_case(dtype, "cumsum"),
    "cumprod": lambda dtype: scan_case(dtype, "cumprod"),
    "prod": prod_case,
}


@pytest.mark.module05
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", list(CASES))
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_sort_and_scan_ops_match_torch(case: str, dtype: np.dtype, data: st.DataObject) -> None:
    check_backward(data.draw(CASES[case](dtype), label=case), data)


@pytest.mark.module02
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_sorted_values_with_ties_and_stable_indices(data: st.DataObject) -> None:
    """Ties: the values agree with torch.sort; the indices with torch's stable sort."""
    x = data.draw(arrays(np.float32, data.draw(shapes(min_dims=1, min_side=0, max_side=5)), WITH_ZEROS))
    dim, descending = _dim(data.draw, x), data.draw(st.booleans())
    ours = tt.sort(Tensor(x), dim, descending)
    theirs = torch.sort(torch.from_numpy(x), dim=dim, descending=descending, stable=True)
    np.testing.assert_array_equal(ours.values.data, theirs.values.numpy())
    np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())
    np.testing.assert_array_equal(tt.argsort(Tensor(x), dim, descending).data, theirs.indices.numpy())
    k = data.draw(st.integers(0, x.shape[dim]))
    top = torch.topk(torch.from_numpy(x), k, dim)
    np.testing.assert_array_equal(tt.topk(Tensor(x), k, dim).values.data, top.values.numpy())


@pytest.mark.module02
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_integer_scans_and_products_match_torch(data: st.DataObject) -> None:
    x = data.draw(arrays(np.int64, data.draw(shapes(min_dims=1, min_side=0)), exactly(-2, 0, 1, 3)))
    dim = _dim(data.draw, x)
    t = torch.from_numpy(x)
    for ours, theirs in [
        (tt.cumsum(Tensor(x), dim), torch.cumsum(t, dim)),
        (tt.cumprod(Tensor(x), dim), torch.cumprod(t, dim)),
        (tt.prod(Tensor(x), dim), torch.prod(t, dim)),
        (tt.prod(Tensor(x)), torch.prod(t)),
    ]:
        assert ours.dtype == tt.int64 and ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.data, theirs.numpy())
