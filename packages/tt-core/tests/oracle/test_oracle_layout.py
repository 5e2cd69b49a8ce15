"""pad (all four modes), flip, roll, repeat, split, chunk and unflatten against PyTorch.

Values and gradients (the same random upstream gradient through both) in float32 and
float64, on random shapes including 0-size dims, 0-d inputs, negative dims and
negative (cropping) pads. split and chunk are compared through cat of their pieces,
each scaled differently, so every piece's gradient is checked.
"""

from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from tt_core_oracle import DTYPES, Case, arrays, check_backward, shapes, signed

import tinytorch.core as tt

pytestmark = [pytest.mark.oracle, pytest.mark.module05]


@st.composite
def constant_pad_case(draw: Any, dtype: np.dtype) -> Case:
    shape = draw(shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    npairs = draw(st.integers(0, len(shape)))
    pad = tuple(draw(st.integers(-2, 3)) for _ in range(2 * npairs))
    for i in range(npairs):  # pad[2i:2i+2] is dim -(i+1); crop at most what it holds
        assume(shape[-(i + 1)] + min(pad[2 * i], 0) + min(pad[2 * i + 1], 0) >= 0)
    value = draw(st.sampled_from([None, -1.5]))
    return Case(
        f"pad(x{shape}, {pad}, value={value})",
        lambda a: tt.pad(a, pad, value=value),
        lambda a: F.pad(a, pad, value=value),
        (draw(arrays(dtype, shape)),),
    )


@st.composite
def mode_pad_case(draw: Any, dtype: np.dtype, mode: str) -> Case:
    """PyTorch pads 1-3 trailing dims in these modes, of 2-5-D inputs (one or two more dims)."""
    npairs = draw(st.integers(1, 3))
    shape = draw(shapes(min_dims=npairs + 1, max_dims=npairs + 2, min_side=1, max_side=4))
    pad: list[int] = []
    for i in range(npairs):
        n = shape[-(i + 1)]
        top = {"reflect": n - 1, "replicate": 4, "circular": n}[mode]
        lo, hi = draw(st.integers(-1, top)), draw(st.integers(-1, top))
        kept = n + min(lo, 0) + min(hi, 0)  # circular crops first, then wraps within
        assume(n + lo + hi > 0 and kept > 0 and (mode != "circular" or max(lo, hi) <= kept))
        pad += [lo, hi]
    return Case(
        f"pad(x{shape}, {tuple(pad)}, mode={mode!r})",
        lambda a: tt.pad(a, tuple(pad), mode=mode),
        lambda a: F.pad(a, tuple(pad), mode=mode),
        (draw(arrays(dtype, shape)),),
    )


@st.composite
def flip_case(draw: Any, dtype: np.dtype) -> Case:
    shape = draw(shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))
    nd = max(len(shape), 1)
    picked = draw(st.lists(st.integers(0, nd - 1), unique=True, max_size=nd))
    dims = tuple(signed(draw, d, nd) for d in picked)
    return Case(
        f"flip(x{shape}, {dims})",
        lambda a: a.flip(dims),
        lambda a: a.flip(dims),
        (draw(arrays(dtype, shape)),),
    )


@st.composite
def roll_case(draw: Any, dtype: np.dtype) -> Case:
    shape = draw(shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    if not shape or draw(st.booleans()):  # dims None: the flattened tensor
        shift = draw(st.integers(-7, 7))
        return Case(
            f"roll(x{shape}, {shift})",
            lambda a: tt.roll(a, shift),
            lambda a: torch.roll(a, shift),
            (draw(arrays(dtype, shape)),),
        )
    picked = draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=3))
    dims = tuple(signed(draw, d, len(shape)) for d in picked)  # a dim may come twice
    shifts = tuple(draw(st.integers(-7, 7)) for _ in dims)
    return Case(
        f"roll(x{shape}, {shifts}, {dims})",
        lambda a: a.roll(shifts, dims),
        lambda a: a.roll(shifts, dims),
        (draw(arrays(dtype, shape)),),
    )


@st.composite
def repeat_case(draw: Any, dtype: np.dtype) -> Case:
    shape = draw(shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))
    extra = draw(st.integers(0 if shape else 1, 2))
    sizes = tuple(draw(st.integers(0, 3)) for _ in range(len(shape) + extra))
    return Case(
        f"repeat(x{shape}, {sizes})",
        lambda a: a.repeat(*sizes),
        lambda a: a.repeat(*sizes),
        (draw(arrays(dtype, shape)),),
    )


def _scaled_cat(pieces: Any, cat: Any, dim: int) -> Any:
    return cat([p * (i + 1) for i, p in enumerate(pieces)], dim)


@st.composite
def split_case(draw: Any, dtype: np.dtype, how: str) -> Case:
    shape = draw(shapes(min_dims=1, max_dims=3, min_side=0, max_side=5))
    d = draw(st.integers(0, len(shape) - 1))
    dim, n = signed(draw, d, len(shape)), shape[d]
    if how == "size":
        arg: Any = draw(st.integers(1, 6)) if n else draw(st.integers(0, 3))
    elif how == "sections":
        cuts = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
        arg = [b - a for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
    else:
        arg = draw(st.integers(1, 6))
    op = "chunk" if how == "chunk" else "split"
    return Case(
        f"{op}(x{shape}, {arg}, {dim})",
        lambda a: _scaled_cat(getattr(a, op)(arg, dim), tt.cat, dim),
        lambda a: _scaled_cat(getattr(a, op)(arg, dim), torch.cat, dim),
        (draw(arrays(dtype, shape)),),
    )


@st.composite
def unflatten_case(draw: Any, dtype: np.dtype) -> Case:
    shape = draw(shapes(min_dims=1, max_dims=3, min_side=1, max_side=6))
    d = draw(st.integers(0, len(shape) - 1))
    n = shape[d]
    first = draw(st.sampled_from([k for k in range(1, n + 1) if n % k == 0]))
    sizes = draw(st.sampled_from([(first, n // first), (first, -1), (-1, 1, first), (n,)]))
    dim = signed(draw, d, len(shape))
    return Case(
        f"unflatten(x{shape}, {dim}, {sizes})",
        lambda a: a.unflatten(dim, sizes),
        lambda a: a.unflatten(dim, sizes),
        (draw(arrays(dtype, shape)),),
    )


CASES = {
    "pad_constant": constant_pad_case,
    "pad_reflect": lambda dtype: mode_pad_case(dtype, "reflect"),
    "pad_replicate": lambda dtype: mode_pad_case(dtype, "replicate"),
    "pad_circular": lambda dtype: mode_pad_case(dtype, "circular"),
    "flip": flip_case,
    "roll": roll_case,
    "repeat": repeat_case,
    "split_size": lambda dtype: split_case(dtype, "size"),
    "split_sections": lambda dtype: split_case(dtype, "sections"),
    "chunk": lambda dtype: split_case(dtype, "chunk"),
    "unflatten": unflatten_case,
}


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", list(CASES))
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_layout_ops_match_torch(case: str, dtype: np.dtype, data: st.DataObject) -> None:
    check_backward(data.draw(CASES[case](dtype), label=case), data)
