"""gather, scatter, scatter_add, index_select, masked_fill, tril, triu and one_hot against PyTorch.

Values and gradients (the same random upstream gradient through both) in float32 and
float64, on random shapes including 0-size dims, 0-d inputs and negative dims. Index
tensors are drawn from a seeded NumPy generator; scatter's indices are distinct along
`dim` (PyTorch leaves the winner of a repeated index unspecified).
"""

from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tt_core_oracle import (
    DTYPES,
    Case,
    arrays,
    assert_matches,
    bool_arrays,
    broadcast_shapes,
    check_backward,
    shapes,
    signed,
)

import tinytorch.core as tt
from tinytorch.core import Tensor

pytestmark = [pytest.mark.oracle]


def _rng(draw: Any) -> np.random.Generator:
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1)))


@st.composite
def _indexed(draw: Any, dtype: np.dtype, distinct: bool) -> tuple[np.ndarray, int, int, np.ndarray]:
    """(x, dim, signed dim, index) for gather/scatter: index sizes <= x's away from dim."""
    shape = draw(shapes(min_dims=1, max_dims=3, min_side=0, max_side=4))
    d = draw(st.integers(0, len(shape) - 1))
    rng = _rng(draw)
    ishape = [draw(st.integers(0, n)) for n in shape]
    n = shape[d]
    if distinct:  # a prefix of a random permutation of range(n) along d, per line
        ishape[d] = draw(st.integers(0, n))
        keys = rng.random([n if i == d else m for i, m in enumerate(ishape)])
        index = np.take(np.argsort(keys, axis=d), np.arange(ishape[d]), axis=d)
    else:
        ishape[d] = draw(st.integers(0, 4)) if n else 0
        index = rng.integers(0, max(n, 1), ishape)
    x = draw(arrays(dtype, shape))
    return x, d, signed(draw, d, len(shape)), np.ascontiguousarray(index, dtype=np.int64)


@st.composite
def gather_case(draw: Any, dtype: np.dtype) -> Case:
    x, _, dim, index = draw(_indexed(dtype, distinct=False))
    return Case(
        f"gather(x{x.shape}, {dim}, index{index.shape})",
        lambda a: tt.gather(a, dim, Tensor(index)),
        lambda a: torch.gather(a, dim, torch.from_numpy(index)),
        (x,),
    )


@st.composite
def scatter_case(draw: Any, dtype: np.dtype, add: bool) -> Case:
    x, _, dim, index = draw(_indexed(dtype, distinct=not add))
    # src has index's shape: PyTorch's backward fails for a larger src (whose leading
    # block alone is read); tinytorch's gradient for that case is gradchecked instead
    src = draw(arrays(dtype, index.shape))
    tt_fn, torch_fn = (tt.scatter_add, torch.scatter_add) if add else (tt.scatter, torch.scatter)
    return Case(
        f"{tt_fn.__name__}(x{x.shape}, {dim}, index{index.shape}, src{src.shape})",
        lambda a, s: tt_fn(a, dim, Tensor(index), s),
        lambda a, s: torch_fn(a, dim, torch.from_numpy(index), s),
        (x, src),
    )


@st.composite
def scatter_value_case(draw: Any, dtype: np.dtype) -> Case:
    x, _, dim, index = draw(_indexed(dtype, distinct=True))
    return Case(
        f"scatter(x{x.shape}, {dim}, index{index.shape}, 1.5)",
        lambda a: a.scatter(dim, Tensor(index), 1.5),
        lambda a: a.scatter(dim, torch.from_numpy(index), 1.5),
        (x,),
    )


@st.composite
def index_select_case(draw: Any, dtype: np.dtype) -> Case:
    shape = draw(shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    d = draw(st.integers(0, len(shape) - 1))
    dim = signed(draw, d, len(shape))
    ishape = draw(st.sampled_from([(), (0,), (1,), (3,), (5,)]))
    index = _rng(draw).integers(0, shape[d], ishape).astype(np.int64)
    return Case(
        f"index_select(x{shape}, {dim}, index{ishape})",
        lambda a: a.index_select(dim, Tensor(index)),
        lambda a: a.index_select(dim, torch.from_numpy(index)),
        (draw(arrays(dtype, shape)),),
    )


@st.composite
def masked_fill_case(draw: Any, dtype: np.dtype, tensor_value: bool) -> Case:
    sx, sm = draw(broadcast_shapes(2))
    mask = draw(bool_arrays(sm))
    x = draw(arrays(dtype, sx))
    if tensor_value:  # a 0-d value tensor gets the gradient of the filled places
        return Case(
            f"masked_fill(x{sx}, mask{sm}, value tensor)",
            lambda a, v: tt.masked_fill(a, Tensor(mask), v),
            lambda a, v: torch.masked_fill(a, torch.from_numpy(mask), v),
            (x, draw(arrays(dtype, ()))),
        )
    return Case(
        f"masked_fill(x{sx}, mask{sm}, -2.5)",
        lambda a: a.masked_fill(Tensor(mask), -2.5),
        lambda a: a.masked_fill(torch.from_numpy(mask), -2.5),
        (x,),
    )


@st.composite
def triangle_case(draw: Any, dtype: np.dtype, upper: bool) -> Case:
    shape = draw(shapes(min_dims=2, max_dims=4, min_side=0, max_side=4))
    k = draw(st.integers(-4, 4))
    name = "triu" if upper else "tril"
    return Case(
        f"{name}(x{shape}, {k})",
        lambda a: getattr(tt, name)(a, k),
        lambda a: getattr(torch, name)(a, k),
        (draw(arrays(dtype, shape)),),
    )


CASES = {
    "gather": gather_case,
    "scatter": lambda dtype: scatter_case(dtype, add=False),
    "scatter_value": scatter_value_case,
    "scatter_add": lambda dtype: scatter_case(dtype, add=True),
    "index_select": index_select_case,
    "masked_fill": lambda dtype: masked_fill_case(dtype, tensor_value=False),
    "masked_fill_tensor_value": lambda dtype: masked_fill_case(dtype, tensor_value=True),
    "tril": lambda dtype: triangle_case(dtype, upper=False),
    "triu": lambda dtype: triangle_case(dtype, upper=True),
}


@pytest.mark.module05
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", list(CASES))
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_index_ops_match_torch(case: str, dtype: np.dtype, data: st.DataObject) -> None:
    check_backward(data.draw(CASES[case](dtype), label=case), data)


@pytest.mark.module05
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_zero_d_inputs_match_torch(dtype: np.dtype) -> None:
    """PyTorch reads a 0-d input as 1-d of size 1 in gather, scatter and index_select."""
    x = np.asarray(1.5, dtype=dtype)
    i0, i2 = np.asarray(0), np.asarray([0, 0])
    for desc, tt_fn, torch_fn in [
        (
            "gather 0-d index",
            lambda a: tt.gather(a, 0, Tensor(i0)),
            lambda a: torch.gather(a, 0, torch.tensor(0)),
        ),
        (
            "gather (2,) index",
            lambda a: a.gather(-1, Tensor(i2)),
            lambda a: a.gather(-1, torch.from_numpy(i2)),
        ),
        (
            "index_select",
            lambda a: a.index_select(0, Tensor(i0)),
            lambda a: a.index_select(0, torch.tensor(0)),
        ),
        ("scatter", lambda a: a.scatter(0, Tensor(i0), 3.0), lambda a: a.scatter(0, torch.tensor(0), 3.0)),
        (
            "scatter_add",
            lambda a: a.scatter_add(0, Tensor(i0), a * 2),
            lambda a: a.scatter_add(0, torch.tensor(0), a * 2),
        ),
    ]:
        _check_fixed_grad(Case(desc, tt_fn, torch_fn, (x,)))


def _check_fixed_grad(case: Case) -> None:
    """Forward, then backward of a fixed upstream gradient, compared with PyTorch."""
    x, t = Tensor(case.inputs[0], requires_grad=True), torch.from_numpy(case.inputs[0]).requires_grad_(True)
    out, expected = case.tt_fn(x), case.torch_fn(t)
    assert_matches(out.data, expected, f"{case.desc}: forward")
    g = np.full(out.shape, 0.75, dtype=out.dtype)
    out.backward(g)
    expected.backward(torch.from_numpy(g))
    assert x.grad is not None and t.grad is not None
    assert_matches(x.grad.data, t.grad, f"{case.desc}: gradient")


@pytest.mark.module02
@settings(max_examples=30, deadline=None)
@given(
    shape=shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
    classes=st.integers(-1, 6),
    seed=st.integers(0, 2**32 - 1),
)
def test_one_hot_matches_torch(shape: tuple[int, ...], classes: int, seed: int) -> None:
    if classes <= 0 and not np.prod(shape):
        classes = 3  # PyTorch cannot infer the class count of an empty tensor (an error test)
    top = 6 if classes == -1 else max(classes, 1)
    index = np.random.default_rng(seed).integers(0, top, shape).astype(np.int64)
    if classes == 0 and index.size:
        return  # no valid class values
    out = tt.one_hot(Tensor(index), classes)
    want = torch.nn.functional.one_hot(torch.from_numpy(index), classes)
    assert out.dtype == tt.int64 and out.shape == tuple(want.shape)
    np.testing.assert_array_equal(out.data, want.numpy())
