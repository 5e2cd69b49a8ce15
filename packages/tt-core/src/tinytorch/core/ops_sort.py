"""Sorting: sort, argsort and topk (given library code, as PyTorch's ops).

The indices come from NumPy's stable argsort; the values are then `gather(input,
dim, indices)`, so their gradient flows back to the position each value came from
(gather's backward) and no new Function is needed. Indices are int64, no gradient.

Ties: tinytorch always sorts stably (equal values keep their input order, also
when descending), so its indices are deterministic. PyTorch's default
(stable=False) and topk may order equal values differently: the values agree,
the indices of ties may not. NaN counts as larger than every number (as PyTorch):
last in an ascending sort, first in a descending one and in topk(largest=True).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from tinytorch.core.errors import ArgumentError
from tinytorch.core.ops_index import Gather, norm_dim
from tinytorch.core.tensor import Tensor


class SortResult(NamedTuple):
    """(values, indices), as torch.return_types.sort."""

    values: Tensor
    indices: Tensor


class TopkResult(NamedTuple):
    """(values, indices), as torch.return_types.topk."""

    values: Tensor
    indices: Tensor


def _argsort(a: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable argsort along `axis`; descending keeps equal values in input order too."""
    if not descending:
        return np.argsort(a, axis=axis, kind="stable")
    # Sort the reversed array ascending (stable), reverse the result and map its
    # positions back: ties stay in input order, and NaN (last ascending) comes first.
    n = a.shape[axis]
    order = np.argsort(np.flip(a, axis), axis=axis, kind="stable")
    return n - 1 - np.flip(order, axis)


def _sorted_indices(input: Tensor, dim: int, descending: bool, op: str) -> tuple[int, np.ndarray]:
    d = norm_dim(input, dim, op)
    if input.ndim == 0:
        return 0, np.zeros((), dtype=np.int64)
    return d, _argsort(input.data, d, descending).astype(np.int64, copy=False)


def _take(input: Tensor, indices: np.ndarray, d: int) -> Tensor:
    """input's values at `indices` along dim d, with gather's gradient."""
    if input.ndim == 0:
        return input.reshape(())  # a new node: values is never input itself
    return Gather.apply(input, index=indices, dim=d)


def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> SortResult:
    """(values, indices) of input sorted along `dim` (torch.sort). The values carry the
    gradient (back to where each came from); indices are int64. Always a stable sort
    (`stable` is accepted for PyTorch's signature): ties keep their input order."""
    d, idx = _sorted_indices(input, dim, descending, "sort")
    return SortResult(_take(input, idx, d), Tensor.wrap(idx))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    """The int64 indices that sort input along `dim` (torch.argsort; always stable)."""
    return Tensor.wrap(_sorted_indices(input, dim, descending, "argsort")[1])


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> TopkResult:
    """(values, indices) of the k largest (or smallest) elements along `dim` (torch.topk).

    Returned in sorted order (largest first) also when sorted=False, which PyTorch
    allows; among equal values the earlier input position comes first.
    """
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
        raise TypeError(f"topk: k must be an int, got {type(k).__name__}")
    d, idx = _sorted_indices(input, dim, largest, "topk")
    n = input.shape[d] if input.ndim else 1
    if not 0 <= k <= n:
        raise ArgumentError(f"topk: k={k} is out of range for dim {dim} of size {n} (shape {input.shape})")
    if input.ndim == 0:
        return TopkResult(_take(input, idx, d), Tensor.wrap(idx))
    idx = np.ascontiguousarray(np.take(idx, np.arange(k), axis=d))
    return TopkResult(_take(input, idx, d), Tensor.wrap(idx))


__all__ = ["SortResult", "TopkResult", "argsort", "sort", "topk"]
