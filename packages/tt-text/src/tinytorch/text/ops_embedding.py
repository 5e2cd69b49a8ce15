"""The op behind Embedding (forward and backward: module 13).

Forward is a row lookup, `weight[idx]`. Backward has to *scatter-add*: a
token id that appears k times in the batch receives the sum of its k output
gradients. `np.add.at(dW, idx, g)` says exactly that (the readable version,
`embedding_backward_reference`), but it walks the rows one at a time; sorting
the ids once and summing each run of equal ids with `np.add.reduceat` gives the
same sums faster (guide 13 measures both: benchmarks/bench_text.py, groups
guide-embedding-backward-*).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinytorch.core import Context, Function


def embedding_backward_reference(grad: np.ndarray, idx: np.ndarray, num_embeddings: int) -> np.ndarray:
    """dW for out = W[idx]: grad (*, D), idx (*) -> (num_embeddings, D), one np.add.at."""
    ### BEGIN SOLUTION 13
    dweight = np.zeros((num_embeddings, grad.shape[-1]), dtype=grad.dtype)
    np.add.at(dweight, idx.reshape(-1), grad.reshape(-1, grad.shape[-1]))
    return dweight
    ### END SOLUTION


def embedding_backward(grad: np.ndarray, idx: np.ndarray, num_embeddings: int) -> np.ndarray:
    """The same dW, by sorting: rows with equal ids become neighbours, summed by one reduceat."""
    ### BEGIN SOLUTION 13
    flat_idx = idx.reshape(-1)  # (N,)
    flat_grad = grad.reshape(-1, grad.shape[-1])  # (N, D)
    dweight = np.zeros((num_embeddings, flat_grad.shape[1]), dtype=grad.dtype)
    if flat_idx.size == 0:
        return dweight
    order = np.argsort(flat_idx, kind="stable")
    sorted_idx = flat_idx[order]
    # the first position of every run of equal ids
    starts = np.flatnonzero(np.concatenate(([True], sorted_idx[1:] != sorted_idx[:-1])))
    dweight[sorted_idx[starts]] = np.add.reduceat(flat_grad[order], starts, axis=0)
    return dweight
    ### END SOLUTION


class Embedding(Function):
    """out = weight[idx].  weight: (V, D), idx: (*) int64 in [0, V) -> (*, D)."""

    @staticmethod
    def forward(ctx: Context, weight: np.ndarray, idx: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 13
        ctx.save_for_backward(idx)
        ctx.num_embeddings = weight.shape[0]
        return weight[idx]  # advanced indexing: a fresh (*, D) array
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[Any, None]:
        ### BEGIN SOLUTION 13
        (idx,) = ctx.saved_tensors
        return embedding_backward(grad, idx, ctx.num_embeddings), None
        ### END SOLUTION
