"""The index, layout, sort and scan ops refuse what PyTorch refuses, with PyTorch's type.

Each case makes the same mistake in both frameworks: tinytorch's error must be an
instance of the built-in type PyTorch raises (tinytorch's error classes derive from
it), so `except RuntimeError` / `except IndexError` in ported code keeps working.
"""

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import tinytorch.core as tt
from tinytorch.core import Tensor

pytestmark = [pytest.mark.oracle, pytest.mark.module02]

X = np.arange(12.0).reshape(3, 4)


def both(fn: Callable[..., Any], *args: Any, index: Any = None, **kwargs: Any) -> tuple[Callable, Callable]:
    """fn(x, *args) in tinytorch (tt.<name>) and torch (torch.<name> or F.<name>)."""
    name = fn.__name__
    torch_fn = getattr(torch, name, None) or getattr(F, name)

    def ours() -> Any:
        extra = () if index is None else (Tensor(np.asarray(index)),)
        return getattr(tt, name)(Tensor(X), *args, *extra, **kwargs)

    def theirs() -> Any:
        extra = () if index is None else (torch.from_numpy(np.asarray(index)),)
        return torch_fn(torch.from_numpy(X), *args, *extra, **kwargs)

    return ours, theirs


CASES = {
    "gather-dim": both(tt.gather, 2, index=np.zeros((3, 4), dtype=np.int64)),
    "gather-range": both(tt.gather, 1, index=[[5]]),
    "gather-negative-index": both(tt.gather, 1, index=[[-1]]),
    "gather-float-index": both(tt.gather, 1, index=[[0.0]]),
    "gather-index-ndim": both(tt.gather, 1, index=[0]),
    "gather-index-size": both(tt.gather, 1, index=np.zeros((4, 2), dtype=np.int64)),
    "scatter-range": both(tt.scatter, 1, index=[[4]], value=1.0),
    "index_select-2d": both(tt.index_select, 1, index=[[0]]),
    "index_select-range": both(tt.index_select, 1, index=[4]),
    "index_select-float": both(tt.index_select, 1, index=[1.0]),
    "one_hot-too-small": (
        lambda: tt.one_hot(Tensor(np.array([0, 3])), 2),
        lambda: F.one_hot(torch.tensor([0, 3]), 2),
    ),
    "one_hot-negative": (
        lambda: tt.one_hot(Tensor(np.array([-1])), 3),
        lambda: F.one_hot(torch.tensor([-1]), 3),
    ),
    "one_hot-empty": (
        lambda: tt.one_hot(Tensor(np.zeros(0, dtype=np.int64))),
        lambda: F.one_hot(torch.zeros(0, dtype=torch.int64)),
    ),
    "one_hot-float": (lambda: tt.one_hot(Tensor([0.0])), lambda: F.one_hot(torch.tensor([0.0]))),
    "masked_fill-int-mask": (
        lambda: Tensor(X).masked_fill(Tensor(np.array([1, 0, 1, 0])), 0.0),
        lambda: torch.from_numpy(X).masked_fill(torch.tensor([1, 0, 1, 0]), 0.0),
    ),
    "masked_fill-value-shape": (
        lambda: Tensor(X).masked_fill(Tensor([True]), Tensor(np.array([1.0]))),
        lambda: torch.from_numpy(X).masked_fill(
            torch.tensor([True]), torch.tensor([1.0], dtype=torch.float64)
        ),
    ),
    "tril-1d": (lambda: tt.tril(Tensor([1.0, 2.0])), lambda: torch.tril(torch.tensor([1.0, 2.0]))),
    "pad-odd": both(tt.pad, (1, 2, 3)),
    "pad-too-long": both(tt.pad, (1,) * 6),
    "pad-crop-too-much": both(tt.pad, (-3, -2)),
    "pad-reflect-too-wide": both(tt.pad, (4, 0), mode="reflect"),
    "pad-circular-wraps-twice": both(tt.pad, (5, 0), mode="circular"),
    "pad-reflect-value": both(tt.pad, (1, 1), mode="reflect", value=1.0),
    "flip-twice": both(tt.flip, (0, -2)),
    "flip-range": both(tt.flip, (2,)),
    "roll-align": both(tt.roll, (1, 2), 0),
    "roll-no-dims": both(tt.roll, (1, 2)),
    "repeat-few": (lambda: Tensor(X).repeat(2), lambda: torch.from_numpy(X).repeat(2)),
    "repeat-negative": (lambda: Tensor(X).repeat(-1, 1), lambda: torch.from_numpy(X).repeat(-1, 1)),
    "split-zero": both(tt.split, 0, 1),
    "split-sections": both(tt.split, [1, 2], 1),
    "split-negative-section": both(tt.split, [-1, 5], 1),
    "split-0d": (lambda: tt.split(Tensor(1.0), 1), lambda: torch.split(torch.tensor(1.0), 1)),
    "chunk-zero": both(tt.chunk, 0),
    "unflatten-product": both(tt.unflatten, 1, (3, 2)),
    "unflatten-empty": both(tt.unflatten, 1, ()),
    "unflatten-two-inferred": both(tt.unflatten, 1, (-1, -1)),
    "sort-range": both(tt.sort, 2),
    "argsort-range": both(tt.argsort, -3),
    "topk-k": both(tt.topk, 5),
    "topk-negative-k": both(tt.topk, -1),
    "cumsum-range": both(tt.cumsum, 2),
    "cumprod-range": both(tt.cumprod, -3),
    "prod-range": both(tt.prod, 2),
}


@pytest.mark.parametrize("case", list(CASES))
def test_same_mistake_same_type_as_torch(case: str) -> None:
    ours, theirs = CASES[case]
    with pytest.raises(Exception) as torch_error:  # noqa: PT011 (any type: torch's is the oracle)
        theirs()
    expected = type(torch_error.value)
    assert expected is not Exception
    with pytest.raises(expected):
        ours()
