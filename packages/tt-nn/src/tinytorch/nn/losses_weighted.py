"""Class-index losses with PyTorch's options (given library code, issue 15).

cross_entropy and nll_loss (losses.py) keep their plain case on the module 06 code;
these helpers take over when an option changes the arithmetic:

- `WeightedNLL`: -weight[t] * logp[t] per sample, samples whose target is
  `ignore_index` contributing 0, optional label smoothing (PyTorch's weighted form:
  -sum_c weight[c] logp[c] / C), reduced as PyTorch: "mean" divides by the summed
  weight of the kept samples (nan when no sample is kept), with a zero gradient for
  the ignored ones. (M, C) log-probabilities -> () or (M,).
- `cross_entropy_probs`: class-probability targets (a float target of the input's
  shape), composed from log_softmax: -sum_c weight[c] target[c] logp[c], "mean"
  dividing by the number of samples.

The class `weight` is a constant (no gradient), as in PyTorch's nll_loss.
"""

from __future__ import annotations

import numpy as np

from tinytorch.core import ArgumentError, Context, DTypeError, Function, ShapeError, Tensor
from tinytorch.nn.activations import log_softmax


class WeightedNLL(Function):
    """Weighted, ignore-aware negative log-likelihood of log-probabilities (M, C)."""

    @staticmethod
    def forward(
        ctx: Context,
        logp: np.ndarray,
        target: np.ndarray,
        weight: np.ndarray | None,
        ignore_index: int,
        label_smoothing: float,
        reduction: str,
    ) -> np.ndarray:
        rows, classes = logp.shape
        valid = target != ignore_index  # (M,)
        safe = np.where(valid, target, 0)  # ignored samples read class 0, then count 0
        w = np.ones(classes, logp.dtype) if weight is None else weight
        wt = w[safe] * valid  # (M,): each sample's weight, 0 where ignored
        loss = -logp[np.arange(rows), safe] * wt
        if label_smoothing:  # PyTorch: (1 - eps) nll + eps / C * (-sum_c w[c] logp[c])
            smooth = -(logp @ w) * valid
            loss = (1 - label_smoothing) * loss + (label_smoothing / classes) * smooth
        ctx.save_for_backward(safe, valid, wt, w)
        ctx.options = (label_smoothing, reduction, classes)
        if reduction == "none":
            return loss.astype(logp.dtype, copy=False)
        total = loss.sum()
        denom = wt.sum() if reduction == "mean" else 1
        with np.errstate(divide="ignore", invalid="ignore"):  # no sample kept: nan, as PyTorch
            return np.asarray(total / denom, dtype=logp.dtype)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        safe, valid, wt, w = ctx.saved_tensors
        eps, reduction, classes = ctx.options
        scale = grad
        if reduction == "mean":
            with np.errstate(divide="ignore", invalid="ignore"):
                scale = grad / wt.sum()
        # ignored samples get exactly 0 (PyTorch skips them), even when the scale is inf
        per_sample = np.where(valid, scale, 0).astype(w.dtype, copy=False)  # (M,)
        g = np.zeros((len(safe), classes), w.dtype)
        g[np.arange(len(safe)), safe] = -(1 - eps) * wt * per_sample
        if eps:
            g -= (eps / classes) * per_sample[:, None] * w[None, :]
        return g


def check_weight(weight: Tensor | None, input: Tensor, classes: int, name: str) -> np.ndarray | None:
    """A class weight: None, or a Tensor of shape (C,) and the input's dtype."""
    if weight is None:
        return None
    if not isinstance(weight, Tensor):
        raise TypeError(
            f"{name}: weight must be a Tensor of shape ({classes},) or None, got {type(weight).__name__}"
        )
    if weight.shape != (classes,):
        raise ShapeError(
            f"{name}: weight must have one entry per class, shape ({classes},) for input of shape "
            f"{input.shape}, got {weight.shape}"
        )
    if weight.dtype != input.dtype:
        raise DTypeError(f"{name}: weight has dtype {weight.dtype} but input has {input.dtype}")
    return weight.data


def ignore_hit(target: np.ndarray, ignore_index: int) -> bool:
    """Whether any target is `ignore_index` (an O(M) scan; the plain path skips the general code)."""
    return bool(target.size) and bool((target == ignore_index).any())


def is_prob_target(input: Tensor, target: Tensor) -> bool:
    """PyTorch's rule: a floating target of the input's shape holds class probabilities."""
    return (
        isinstance(target, Tensor)
        and target.dtype.kind == "f"
        and target.shape == input.shape
        and input.ndim > 0
    )


def cross_entropy_probs(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None,
    ignore_index: int,
    reduction: str,
    eps: float,
    name: str,
) -> Tensor:
    """Cross-entropy against class probabilities: input and target (N, C, d1, ...) or (C,)."""
    if target.dtype != input.dtype:
        raise DTypeError(f"{name}: probability target has dtype {target.dtype} but input has {input.dtype}")
    if ignore_index >= 0:
        raise ArgumentError(
            f"{name}: ignore_index is not supported for floating point target, got {ignore_index}"
        )
    class_dim = 0 if input.ndim == 1 else 1
    classes = input.shape[class_dim]
    w = check_weight(weight, input, classes, name)
    logp = log_softmax(input, dim=class_dim)
    if eps:
        target = target * (1 - eps) + eps / classes
    terms = logp * target
    if w is not None:  # weight along the class dim: (C, 1, ..., 1)
        terms = terms * Tensor(w.reshape(classes, *[1] * (input.ndim - class_dim - 1)))
    if reduction == "none":
        return -terms.sum(dim=class_dim)
    total = -terms.sum()
    if reduction == "sum":
        return total
    samples = input.size // classes if classes else 0
    return total * float("nan") if samples == 0 else total / samples
