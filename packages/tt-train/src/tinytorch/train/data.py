"""Datasets and the DataLoader (module 10), as `torch.utils.data`.

- `Dataset`: anything with `__len__` and `__getitem__(i) -> sample`.
- `TensorDataset(*tensors)`: sample i is `(t[i] for t in tensors)`.
- `Subset`, `random_split(dataset, lengths, seed)`: disjoint random parts.
- `DataLoader(dataset, batch_size, shuffle, drop_last, collate_fn, seed)`:
  iterates over batches, each a `collate_fn(list of samples)`; the default
  stacks samples into Tensors along a new first axis.

Shuffling draws from the loader's own `np.random.Generator` (seeded), never
from the global one: the order of batches is reproducible, independent of
whatever else draws random numbers, and its state can be checkpointed.

Fast path: a dataset with a `get_batch(indices)` method (TensorDataset, and a
Subset of one) returns a whole batch by fancy indexing, one NumPy call per
tensor, instead of building `batch_size` samples in Python and stacking them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

import tinytorch.core as tc
from tinytorch.core import Tensor

Batch = Any


class Dataset:
    """Map-style dataset: subclasses define `__len__` and `__getitem__(index) -> sample`.

    Optionally `get_batch(indices: np.ndarray) -> batch`, a collated batch of
    many samples at once, which the DataLoader uses when it has no `collate_fn`.
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


class TensorDataset(Dataset):
    """Samples are slices of tensors along their first axis.

    `TensorDataset(x, y)` with x (N, ...) and y (N, ...) (Tensors or NumPy
    arrays, which are wrapped without a copy): `ds[i] == (x[i], y[i])`, and
    `ds.get_batch(idx) == (x[idx], y[idx])`. Raises ValueError when no tensor
    is given or their first dimensions differ.
    """

    tensors: tuple[Tensor, ...]

    def __init__(self, *tensors: Tensor | np.ndarray) -> None:
        ### BEGIN SOLUTION 10
        if not tensors:
            raise ValueError("TensorDataset: give at least one tensor")
        wrapped = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
        if any(t.ndim == 0 for t in wrapped):
            raise ValueError("TensorDataset: every tensor needs a first (sample) dimension")
        sizes = [t.shape[0] for t in wrapped]
        if len(set(sizes)) != 1:
            raise ValueError(f"TensorDataset: tensors have different first dimensions {sizes}")
        self.tensors = wrapped
        ### END SOLUTION

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        ### BEGIN SOLUTION 10
        # [index, ...] keeps a 0-d *array* (not a NumPy scalar), so int64 labels stay int64
        return tuple(Tensor(t.data[index, ...]) for t in self.tensors)
        ### END SOLUTION

    def get_batch(self, indices: np.ndarray) -> tuple[Tensor, ...]:
        """The samples at `indices` (an int array), collated: one fancy-index per tensor."""
        ### BEGIN SOLUTION 10
        return tuple(Tensor(t.data[indices]) for t in self.tensors)
        ### END SOLUTION


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int] | np.ndarray) -> None:
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def __getattr__(self, name: str) -> Any:
        # `get_batch` exists exactly when the underlying dataset has one (the DataLoader's fast path)
        if name == "get_batch" and hasattr(self.__dict__.get("dataset"), "get_batch"):
            return self._get_batch
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def _get_batch(self, indices: np.ndarray) -> Any:
        return self.dataset.get_batch(self.indices[indices])  # type: ignore[attr-defined]


def _split_lengths(n: int, lengths: Sequence[int | float]) -> list[int]:
    """Absolute lengths, or fractions summing to 1 turned into lengths as torch does."""
    if not lengths:
        raise ValueError("random_split: give at least one length")
    if all(isinstance(x, int | np.integer) for x in lengths):
        sizes = [int(x) for x in lengths]
        # a negative length can still add up ([11, -1] for 10 samples): name it, not the sum
        for i, size in enumerate(sizes):
            if size < 0:
                raise ValueError(
                    f"random_split: length at index {i} is {size}, expected a length >= 0 (lengths {sizes})"
                )
    else:
        for i, frac in enumerate(lengths):
            if not 0 <= frac <= 1:  # also NaN
                raise ValueError(
                    f"random_split: fraction at index {i} is {frac}, expected a fraction between 0 and 1 "
                    f"(lengths {list(lengths)})"
                )
        if not (math.isclose(sum(lengths), 1) and sum(lengths) <= 1):
            raise ValueError(
                f"random_split: lengths {list(lengths)} are neither ints nor fractions summing to 1 "
                f"(they sum to {sum(lengths)})"
            )
        sizes = [math.floor(n * frac) for frac in lengths]
        for i in range(n - sum(sizes)):  # the remainder, one each, round-robin
            sizes[i % len(sizes)] += 1
    if sum(sizes) != n:
        raise ValueError(f"random_split: lengths {sizes} do not add up to the dataset's length {n}")
    return sizes


def random_split(
    dataset: Dataset,
    lengths: Sequence[int | float],
    seed: int | np.random.Generator | None = None,
) -> list[Subset]:
    """Split `dataset` into disjoint random `Subset`s of the given lengths.

    `lengths`: ints summing to `len(dataset)`, or fractions summing to 1
    (floor of each share, the remainder handed out one by one from the first
    part, as PyTorch). `seed`: an int or a Generator; None draws from
    tinytorch's global generator (reproducible after `manual_seed`).
    """
    ### BEGIN SOLUTION 10
    n = len(dataset)
    sizes = _split_lengths(n, lengths)
    rng = _generator(seed)
    order = rng.permutation(n)
    bounds = np.cumsum([0, *sizes])
    return [Subset(dataset, order[lo:hi]) for lo, hi in itertools.pairwise(bounds)]
    ### END SOLUTION


def _generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        seed = int(tc.generator().integers(2**63))
    return np.random.default_rng(seed)


def default_collate(samples: Sequence[Any]) -> Batch:
    """Stack a list of samples into a batch, keeping their structure.

    Tensors and arrays are stacked along a new first axis; Python ints become
    an int64 Tensor, floats a float32 Tensor; tuples, lists and dicts are
    collated field by field. Raises TypeError for anything else.
    """
    _check_samples(samples)
    ### BEGIN SOLUTION 10
    first = samples[0]
    if isinstance(first, tuple | list):  # field by field, each field a batch
        return type(first)(default_collate([s[i] for s in samples]) for i in range(len(first)))
    if isinstance(first, Mapping):
        return {key: default_collate([s[key] for s in samples]) for key in first}
    if isinstance(first, Tensor):  # (B, *shape): a new first axis
        return Tensor(np.stack([s.data for s in samples]))
    if isinstance(first, np.ndarray):
        return Tensor(np.stack(samples))
    return Tensor(np.array(samples, dtype=_number_dtype(first)))  # numbers: (B,)
    ### END SOLUTION


def _number_dtype(x: Any) -> type[np.generic] | None:
    """A number sample's batch dtype: bool, int64 for ints, float32 for floats (None: not a number)."""
    if isinstance(x, bool | np.bool_):  # before int, which bool subclasses
        return np.bool_
    if isinstance(x, int | np.integer):
        return np.int64
    if isinstance(x, float | np.floating):
        return np.float32
    return None


def _check_samples(samples: Sequence[Any]) -> None:
    """`default_collate`'s input, checked: some samples, of a type it collates, and sequences
    with the same number of fields."""
    if len(samples) == 0:
        raise ValueError("default_collate: no samples to collate")
    first = samples[0]
    if isinstance(first, tuple | list):
        if any(len(s) != len(first) for s in samples):
            raise ValueError("default_collate: samples have different numbers of fields")
    elif not isinstance(first, Tensor | np.ndarray | Mapping) and _number_dtype(first) is None:
        raise TypeError(f"default_collate: cannot collate samples of type {type(first).__name__}")


class DataLoader:
    """Iterate over a dataset in batches.

    `DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False,
    collate_fn=None, seed=None, generator=None)`:

    - each epoch (each `iter(loader)`) visits every sample once, in order, or
      in a fresh random order when `shuffle`; the last batch is smaller unless
      `drop_last`;
    - the order comes from `generator` (an `np.random.Generator`), or a new one
      seeded with `seed`, or with a seed drawn once from tinytorch's global
      generator (so `manual_seed` before building the loader fixes it);
    - batches are `collate_fn(samples)` (default: `default_collate`), or, with
      no `collate_fn` and a dataset that has `get_batch`, `dataset.get_batch(indices)`.

    Raises ValueError for batch_size < 1 and for an empty dataset.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        collate_fn: Callable[[list[Any]], Batch] | None = None,
        seed: int | None = None,
        generator: np.random.Generator | None = None,
    ) -> None:
        ### BEGIN SOLUTION 10
        if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        if len(dataset) == 0:
            raise ValueError(f"DataLoader: the dataset ({type(dataset).__name__}) is empty")
        if seed is not None and generator is not None:
            raise ValueError("DataLoader: give seed or generator, not both")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.generator = generator if generator is not None else _generator(seed)
        ### END SOLUTION

    def __len__(self) -> int:
        """The number of batches per epoch."""
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[Batch]:
        ### BEGIN SOLUTION 10
        n = len(self.dataset)
        order = self.generator.permutation(n) if self.shuffle else np.arange(n)
        fast = self.collate_fn is None and hasattr(self.dataset, "get_batch")
        collate = self.collate_fn or default_collate
        for start in range(0, n, self.batch_size):
            indices = order[start : start + self.batch_size]
            if self.drop_last and len(indices) < self.batch_size:
                break
            if fast:
                yield self.dataset.get_batch(indices)  # type: ignore[attr-defined]
            else:
                yield collate([self.dataset[int(i)] for i in indices])
        ### END SOLUTION

    # The shuffling generator's state, e.g. for checkpoints (JSON-serialisable).
    def state_dict(self) -> dict[str, Any]:
        return {"generator": dict(self.generator.bit_generator.state)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.generator.bit_generator.state = dict(state["generator"])
