"""Token and position embeddings (module 13).

- `Embedding(num_embeddings, embedding_dim)`: a learned lookup table, (*) int64
  ids -> (*, D) vectors; initialised N(0, 1) as torch.nn.Embedding. Its Function,
  `EmbeddingFunction`, looks rows up, `weight[idx]`; backward has to *scatter-add*:
  a token id that appears k times in the batch receives the sum of its k output
  gradients, `np.add.at(dW, idx, g)` (`embedding_backward`).
- `PositionalEmbedding(max_len, embedding_dim)`: learned absolute positions
  (GPT-2's `wpe`), the table's rows 0..T-1 for a length-T input.
- `SinusoidalPositionalEncoding(max_len, embedding_dim)`: the fixed encoding of
  "Attention Is All You Need", PE[p, 2i] = sin(p / 10000^(2i/D)),
  PE[p, 2i+1] = cos(p / 10000^(2i/D)); a buffer, not a parameter.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinytorch.core import Context, DTypeError, Function, ShapeError, Tensor, float32
from tinytorch.nn import Module, Parameter, init


def _positive_int(value: Any, name: str, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        negative = isinstance(value, (int, np.integer)) and value < 0  # PyTorch: RuntimeError, as empty()
        raise (ShapeError if negative else ValueError)(
            f"{owner}: {name} must be a positive int, got {value!r}"
        )
    return int(value)


def as_index_array(idx: Any, num_embeddings: int, owner: str) -> np.ndarray:
    """Token ids as an int64 array, every id checked to be in [0, num_embeddings).

    As PyTorch: an id out of range is an IndexError, a Tensor of non-integer ids a DTypeError
    (RuntimeError there), ids that are no Tensor and no integers a TypeError.
    """
    if isinstance(idx, Tensor):
        if idx.dtype.kind not in "iu":
            raise DTypeError(f"{owner}: indices must be an int64 Tensor, got dtype {idx.dtype}")
        array = idx.data
    else:
        array = np.asarray(idx)
        if array.dtype.kind not in "iu" and array.size:  # ([] is a float64 array: an empty prompt)
            raise TypeError(f"{owner}: indices must be integers, got {type(idx).__name__} of {array.dtype}")
    array = array.astype(np.int64, copy=False)
    if array.size and (array.min() < 0 or array.max() >= num_embeddings):
        bad = array[(array < 0) | (array >= num_embeddings)]
        raise IndexError(
            f"{owner}: token id {int(bad.flat[0])} is out of range: ids must be in [0, {num_embeddings}) "
            f"(input shape {array.shape}, ids from {int(array.min())} to {int(array.max())})"
        )
    return array


def embedding_backward(grad: np.ndarray, idx: np.ndarray, num_embeddings: int) -> np.ndarray:
    """dW for out = W[idx]: grad (*, D), idx (*) -> (num_embeddings, D); an id used k times
    receives the sum of its k gradient rows."""
    ### BEGIN SOLUTION 13
    dweight = np.zeros((num_embeddings, grad.shape[-1]), dtype=grad.dtype)
    np.add.at(dweight, idx.reshape(-1), grad.reshape(-1, grad.shape[-1]))  # scatter-add: repeats accumulate
    return dweight
    ### END SOLUTION


class EmbeddingFunction(Function):
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


def embedding(idx: Any, weight: Tensor) -> Tensor:
    """weight[idx] with a scatter-add backward.  idx: (*) int64, weight: (V, D) -> (*, D)."""
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        raise ShapeError(
            f"embedding: weight must be a 2-D Tensor (V, D), got {getattr(weight, 'shape', weight)}"
        )
    array = as_index_array(idx, weight.shape[0], "embedding")
    return EmbeddingFunction.apply(weight, array)


class Embedding(Module):
    """A learned table of `num_embeddings` vectors of size `embedding_dim`.

    forward(idx): idx (*) int64 ids in [0, num_embeddings) -> (*, embedding_dim).
    weight: (num_embeddings, embedding_dim), initialised N(0, 1) (PyTorch's default).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, dtype: Any = float32) -> None:
        super().__init__()
        self.num_embeddings = _positive_int(num_embeddings, "num_embeddings", "Embedding")
        self.embedding_dim = _positive_int(embedding_dim, "embedding_dim", "Embedding")
        ### BEGIN SOLUTION 13
        self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim), dtype=dtype))
        init.normal_(self.weight, 0.0, 1.0)
        ### END SOLUTION

    def forward(self, idx: Any) -> Tensor:
        array = as_index_array(idx, self.num_embeddings, repr(self))
        ### BEGIN SOLUTION 13
        return EmbeddingFunction.apply(self.weight, array)
        ### END SOLUTION

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"


class PositionalEmbedding(Embedding):
    """Learned absolute positions: forward(T) or forward(ids (B, T)) -> (T, D) rows 0..T-1.

    `offset` shifts the positions (the KV cache feeds position t alone).
    """

    def __init__(self, max_len: int, embedding_dim: int, dtype: Any = float32) -> None:
        super().__init__(max_len, embedding_dim, dtype)

    def forward(self, idx: Any, offset: int = 0) -> Tensor:
        return super().forward(np.arange(*_positions(idx, offset, self.num_embeddings, self)))


def sinusoidal_table(max_len: int, embedding_dim: int, dtype: Any = float32) -> np.ndarray:
    """(max_len, D): PE[p, 2i] = sin(p / 10000^(2i/D)), PE[p, 2i+1] = cos(same angle)."""
    ### BEGIN SOLUTION 13
    positions = np.arange(max_len, dtype=np.float64)[:, None]  # (P, 1)
    inv_freq = 10000.0 ** (-np.arange(0, embedding_dim, 2, dtype=np.float64) / embedding_dim)  # (ceil(D/2),)
    angles = positions * inv_freq  # (P, ceil(D/2))
    table = np.empty((max_len, embedding_dim), dtype=np.float64)
    table[:, 0::2] = np.sin(angles)
    table[:, 1::2] = np.cos(angles[:, : embedding_dim // 2])
    return table.astype(dtype)
    ### END SOLUTION


class SinusoidalPositionalEncoding(Module):
    """Fixed sin/cos positions: forward(T or ids (B, T), offset=0) -> (T, D), no parameters."""

    pe: Tensor  # (max_len, D), a buffer: saved in state_dict, never trained

    def __init__(self, max_len: int, embedding_dim: int, dtype: Any = float32) -> None:
        super().__init__()
        self.max_len = _positive_int(max_len, "max_len", "SinusoidalPositionalEncoding")
        self.embedding_dim = _positive_int(embedding_dim, "embedding_dim", "SinusoidalPositionalEncoding")
        self.register_buffer("pe", Tensor(sinusoidal_table(self.max_len, self.embedding_dim, dtype)))

    def forward(self, idx: Any, offset: int = 0) -> Tensor:
        start, stop = _positions(idx, offset, self.max_len, self)
        return Tensor.wrap(self.pe.data[start:stop])

    def extra_repr(self) -> str:
        return f"{self.max_len}, {self.embedding_dim}"


def _positions(idx: Any, offset: int, max_len: int, owner: Module) -> tuple[int, int]:
    """(offset, offset + T) for T from an int T or the last axis of ids (T,) / (B, T), checked
    to fit in a table of max_len positions."""
    if isinstance(idx, (int, np.integer)) and not isinstance(idx, bool):
        length = int(idx)
    else:
        shape = idx.shape if isinstance(idx, (Tensor, np.ndarray)) else np.shape(idx)
        if len(shape) == 0:
            raise ValueError(f"positions: expected a length or ids of shape (T,) / (B, T), got shape {shape}")
        length = int(shape[-1])
    if offset + length > max_len:
        raise ValueError(
            f"{owner!r}: positions {offset}..{offset + length - 1} need max_len > "
            f"{offset + length - 1}, but it is {max_len}"
        )
    return offset, offset + length
