"""Metrics computed from a batch of model outputs and targets (module 08)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinytorch.core import Tensor


def _array(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def accuracy(outputs: Tensor | np.ndarray, targets: Tensor | np.ndarray, threshold: float = 0.0) -> float:
    """The fraction of samples predicted correctly.

    - Multi-class, outputs (N, C) with C >= 2 (logits or probabilities):
      the prediction is the argmax over C; targets are class indices (N,).
    - Binary, outputs (N, 1) or (N,): the prediction is `outputs > threshold`
      — 0.0 for logits (as with BCEWithLogitsLoss), 0.5 for probabilities —
      and targets are 0/1 labels (N,) or (N, 1), of any dtype.

    Raises ValueError for targets of the wrong shape or, in the binary case,
    values other than 0 and 1 (a regression target: use no accuracy metric).
    """
    out, tgt = _checked(outputs, targets)  # (N, C) and class indices (N,), or (N,) and 0/1 labels (N,)
    ### BEGIN SOLUTION 08
    if out.ndim == 2:  # multi-class: the class with the largest score
        return float(np.mean(out.argmax(axis=1) == tgt))
    return float(np.mean((out > threshold) == (tgt == 1)))  # binary: positive above the threshold
    ### END SOLUTION


def _checked(outputs: Tensor | np.ndarray, targets: Tensor | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`accuracy`'s arrays, checked: outputs (N, C) with C >= 2 and targets (N,), or binary
    outputs and 0/1 targets, each (N,) or (N, 1), returned flattened to (N,)."""
    out, tgt = _array(outputs), _array(targets)
    n = out.shape[0] if out.ndim else 0
    if n == 0:
        raise ValueError(f"accuracy: need a batch of outputs, got shape {out.shape}")
    if out.ndim == 2 and out.shape[1] >= 2:
        if tgt.shape != (n,):
            raise ValueError(
                f"accuracy: outputs {out.shape} need class-index targets of shape ({n},), got {tgt.shape}"
            )
        return out, tgt
    if out.shape not in ((n,), (n, 1)) or tgt.shape not in ((n,), (n, 1)):
        raise ValueError(
            f"accuracy: binary outputs (N,) or (N, 1) need 0/1 targets of shape (N,) or (N, 1), "
            f"got outputs {out.shape} and targets {tgt.shape}"
        )
    labels = tgt.reshape(n)
    if not np.all((labels == 0) | (labels == 1)):
        raise ValueError(
            "accuracy: binary targets must be 0 or 1 (for regression, pass metrics={} to the Trainer)"
        )
    return out.reshape(n), labels
