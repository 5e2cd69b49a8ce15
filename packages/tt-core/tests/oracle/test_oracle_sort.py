"""sort, argsort and topk against PyTorch.

Values, int64 indices and gradients (the same random upstream gradient through both)
in float32 and float64, on random shapes including 0-size dims, 0-d inputs and
negative dims, both directions. tinytorch always sorts stably, so its indices are
compared with PyTorch's `stable=True` sort also where values tie (and NaN, inf, -0.0
occur); topk's indices and gradients are compared only on distinct values, since
PyTorch leaves the order of tied values in topk unspecified (the values still agree).
"""

from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tt_core_oracle import (
    DTYPES,
    Case,
    arrays,
    assert_matches,
    check_backward,
    check_forward,
    shapes,
    signed,
    ties,
    uniform,
)

import tinytorch.core as tt
from tinytorch.core import Tensor

pytestmark = [pytest.mark.oracle]

SPECIAL = (float("nan"), float("inf"), float("-inf"), 0.0, -0.0, 1.0, -1.0)


def _distinct(dtype: np.dtype, shape: tuple[int, ...]) -> st.SearchStrategy:
    return hnp.arrays(dtype, shape, elements=uniform(-4, 4)(dtype), unique=True)


@st.composite
def _input(draw: Any, dtype: np.dtype, values: str) -> tuple[np.ndarray, int, int]:
    """(x, signed dim, size of that dim): a 0-d input's dim is 0 or -1, of size 1."""
    shape = draw(shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    if values == "distinct":
        x = draw(_distinct(dtype, shape))
    elif values == "ties":
        x = draw(arrays(dtype, shape, ties))
    else:
        x = draw(hnp.arrays(dtype, shape, elements=st.sampled_from(SPECIAL)))
    nd = max(len(shape), 1)
    d = draw(st.integers(0, nd - 1))
    return x, signed(draw, d, nd), shape[d] if shape else 1


@st.composite
def sort_cases(draw: Any, dtype: np.dtype, values: str) -> tuple[Case, Case]:
    """(values case, indices case) of one sort; argsort gives the indices half of the time."""
    x, dim, _ = draw(_input(dtype, values))
    descending = draw(st.booleans())
    desc = f"sort(x{x.shape}, dim={dim}, descending={descending}) of {values} values"
    argsort = draw(st.booleans())

    def tt_indices(a: Any) -> Any:
        return tt.argsort(a, dim, descending) if argsort else tt.sort(a, dim, descending).indices

    def torch_indices(a: Any) -> Any:
        if argsort:
            return torch.argsort(a, dim=dim, descending=descending, stable=True)
        return torch.sort(a, dim=dim, descending=descending, stable=True).indices

    return (
        Case(
            desc,
            lambda a: tt.sort(a, dim, descending).values,
            lambda a: torch.sort(a, dim=dim, descending=descending, stable=True).values,
            (x,),
        ),
        Case(desc + (" (argsort)" if argsort else " indices"), tt_indices, torch_indices, (x,)),
    )


@st.composite
def topk_cases(draw: Any, dtype: np.dtype) -> tuple[Case, Case]:
    x, dim, n = draw(_input(dtype, "distinct"))
    k = draw(st.integers(0, n))
    largest = draw(st.booleans())
    desc = f"topk(x{x.shape}, {k}, dim={dim}, largest={largest})"
    return (
        Case(desc, lambda a: a.topk(k, dim, largest).values, lambda a: a.topk(k, dim, largest).values, (x,)),
        Case(
            desc + " indices",
            lambda a: a.topk(k, dim, largest).indices,
            lambda a: a.topk(k, dim, largest).indices,
            (x,),
        ),
    )


@st.composite
def topk_unsorted_case(draw: Any, dtype: np.dtype) -> Case:
    """sorted=False leaves PyTorch's order open: compare the picked values after sorting them."""
    x, dim, n = draw(_input(dtype, "distinct"))
    k, largest = draw(st.integers(0, n)), draw(st.booleans())
    return Case(
        f"topk(x{x.shape}, {k}, dim={dim}, largest={largest}, sorted=False), sorted after",
        lambda a: tt.sort(tt.topk(a, k, dim, largest, sorted=False).values, dim).values,
        lambda a: torch.sort(torch.topk(a, k, dim, largest, sorted=False).values, dim).values,
        (x,),
    )


def check_exact_backward(case: Case, data: st.DataObject) -> None:
    """check_backward for values holding inf and NaN: the sorted values must be exactly
    torch's (NaN where torch has NaN, the sign of -0.0 included), then the gradients."""
    x, t = Tensor(case.inputs[0], requires_grad=True), torch.from_numpy(case.inputs[0]).requires_grad_(True)
    out, expected = case.tt_fn(x), case.torch_fn(t)
    want = expected.detach().numpy()
    assert out.shape == want.shape and out.dtype == want.dtype, case.desc
    np.testing.assert_array_equal(out.data, want, err_msg=case.desc)
    np.testing.assert_array_equal(np.signbit(out.data), np.signbit(want), err_msg=f"{case.desc}: signs")
    g = data.draw(arrays(out.dtype, out.shape, uniform(-2, 2)), label="upstream gradient")
    out.backward(g)
    expected.backward(torch.from_numpy(g))
    assert x.grad is not None and t.grad is not None
    assert_matches(x.grad.data, t.grad, f"{case.desc}: gradient")


SORT_VALUES = ["distinct", "ties", "special"]


@pytest.mark.module05
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("values", SORT_VALUES)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_sort_and_argsort_match_torch(values: str, dtype: np.dtype, data: st.DataObject) -> None:
    values_case, indices_case = data.draw(sort_cases(dtype, values), label="sort")
    (check_exact_backward if values == "special" else check_backward)(values_case, data)
    check_forward(indices_case)


@pytest.mark.module05
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_topk_matches_torch(dtype: np.dtype, data: st.DataObject) -> None:
    values_case, indices_case = data.draw(topk_cases(dtype), label="topk")
    check_backward(values_case, data)
    check_forward(indices_case)
    check_backward(data.draw(topk_unsorted_case(dtype), label="topk unsorted"), data)


@pytest.mark.module02
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_topk_values_of_ties_match_torch(dtype: np.dtype, data: st.DataObject) -> None:
    x, dim, n = data.draw(_input(dtype, "ties"), label="x")
    k, largest = data.draw(st.integers(0, n), label="k"), data.draw(st.booleans(), label="largest")
    check_forward(
        Case(
            f"topk(x{x.shape}, {k}, dim={dim}, largest={largest}) of ties",
            lambda a: a.topk(k, dim, largest).values,
            lambda a: a.topk(k, dim, largest).values,
            (x,),
        )
    )


@pytest.mark.module02
@pytest.mark.parametrize("dtype", [np.int64, np.bool_], ids=["int64", "bool"])
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_sort_of_ints_and_bools_matches_torch(dtype: Any, data: st.DataObject) -> None:
    shape = data.draw(shapes(min_dims=0, max_dims=2, min_side=0, max_side=5), label="shape")
    x = data.draw(
        hnp.arrays(dtype, shape, elements=st.integers(-2, 2) if dtype is np.int64 else None), label="x"
    )
    nd = max(len(shape), 1)
    dim = data.draw(st.integers(-nd, nd - 1), label="dim")
    descending = data.draw(st.booleans(), label="descending")
    for part in (0, 1):
        check_forward(
            Case(
                f"sort(x{shape}, {dim}, descending={descending})[{part}] of {np.dtype(dtype)}",
                lambda a, part=part: tt.sort(a, dim, descending)[part],
                lambda a, part=part: torch.sort(a, dim=dim, descending=descending, stable=True)[part],
                (x,),
            )
        )
