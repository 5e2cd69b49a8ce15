"""Small models and data sets for tt-train's tests (built from tinytorch.nn, seeded)."""

from __future__ import annotations

import itertools

import numpy as np

import tinytorch.core as tc
from tinytorch.core import Tensor
from tinytorch.nn import Dropout, Linear, Module, Sequential, Tanh


def mlp(seed: int = 0, sizes: tuple[int, ...] = (4, 8, 3), dropout: float = 0.0) -> Module:
    """Linear -> Tanh (-> Dropout) -> Linear ..., initialised from `seed`."""
    tc.manual_seed(seed)
    layers: list[Module] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(Tanh())
            if dropout:
                layers.append(Dropout(dropout))
    return Sequential(layers)


def blobs(n: int = 96, features: int = 4, classes: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs around random centres: float32 features (n, features), int64 labels (n,)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 2.0, (classes, features))
    y = rng.integers(0, classes, n)
    x = centres[y] + rng.normal(0, 0.7, (n, features))
    return x.astype(np.float32), y.astype(np.int64)


def batches(x: np.ndarray, y: np.ndarray, size: int) -> list[tuple[Tensor, Tensor]]:
    """A list of (inputs, targets) batches in order: what a Trainer takes without a DataLoader."""
    return [(Tensor(x[i : i + size]), Tensor(y[i : i + size])) for i in range(0, len(x), size)]


def params_of(model: Module) -> dict[str, np.ndarray]:
    return {name: p.data.copy() for name, p in model.named_parameters()}


def set_grads(params: list[Tensor], seed: int = 0) -> None:
    """Give every parameter a random gradient (for optimizer unit tests without a model)."""
    rng = np.random.default_rng(seed)
    for p in params:
        p.grad = Tensor(rng.standard_normal(p.shape).astype(p.dtype))
