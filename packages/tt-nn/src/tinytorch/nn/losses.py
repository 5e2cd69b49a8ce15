"""Losses (module 06): the Functions, the functional forms and the Modules, with their checks.

`loss_fn(input, target)` returns a scalar Tensor (or, with reduction="none",
one loss per element), from which `loss.backward()` starts. Two
cross-entropies live here on purpose ("readable first, then fast", see
ARCHITECTURE.md):

- `cross_entropy_reference`: log_softmax, then pick each sample's target
  log-probability by indexing. Readable, built from ops you already have, and
  the oracle the fast path is tested against.
- `CrossEntropy` (used by `cross_entropy`): softmax and the loss in one node,
  whose backward is the famous softmax(x) - onehot(target). One saved array,
  no (N, C) scatter in backward; the guide measures the difference.

Every loss returns the elementwise losses, reduced by `reduction`: "mean"
(the default), "sum", or "none" (the target's shape). Error messages name the
function and its module class, e.g. "cross_entropy (CrossEntropyLoss): ...".
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinytorch.core import ArgumentError, Context, DTypeError, Function, ShapeError, Tensor, int64
from tinytorch.nn.activations import check_float, log_softmax, stable_sigmoid
from tinytorch.nn.activations_more import softplus
from tinytorch.nn.losses_weighted import (
    WeightedNLL,
    check_weight,
    cross_entropy_probs,
    ignore_hit,
    is_prob_target,
)
from tinytorch.nn.module import Module

REDUCTIONS = ("mean", "sum", "none")
# PyTorch's floor on p (1 - p) in binary_cross_entropy's gradient: 1e-12 rounded to float32
# (as PyTorch stores it), so that gradients at p = 0 or 1 match its to the last digit.
_BCE_EPS = float(np.float32(1e-12))
_LOG_FLOOR = -100.0  # PyTorch clamps BCE's logs to >= -100 (so that p = 0 costs 100, not inf)


# ------------------------------------------------------------------ Functions


class CrossEntropy(Function):
    """Fused log-softmax + negative log-likelihood + reduction, with optional label smoothing.

    logits (M, C), target (M,) int64 class indices -> the mean or sum (a scalar),
    or with reduction "none" the per-sample losses (M,). With smoothing eps the
    target distribution is (1 - eps) onehot + eps / C.
    """

    @staticmethod
    def forward(
        ctx: Context, logits: np.ndarray, target: np.ndarray, label_smoothing: float, reduction: str
    ) -> np.ndarray:
        ### BEGIN SOLUTION 06
        shifted = logits - logits.max(axis=1, keepdims=True)  # (M, C), every entry <= 0
        picked = shifted[np.arange(len(target)), target]  # (M,), each sample's target logit
        probs = np.exp(shifted)  # (M, C), each <= 1
        total = probs.sum(axis=1)  # (M,), >= 1: no overflow, no log(0)
        probs /= total[:, None]  # normalised in place: the softmax, saved for backward
        log_total = np.log(total)
        loss = log_total - picked  # -log softmax[target]
        if label_smoothing:  # the uniform part: -mean_c log softmax[c]
            loss = (1 - label_smoothing) * loss + label_smoothing * (log_total - shifted.mean(axis=1))
        ctx.save_for_backward(probs, target)
        ctx.options = (label_smoothing, reduction)
        if reduction == "none":
            return loss
        return np.asarray(loss.mean() if reduction == "mean" else loss.sum())  # 0-d
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 06
        probs, target = ctx.saved_tensors
        eps, reduction = ctx.options
        rows = len(target)
        g = probs.copy()  # dloss_i / dlogits_i = softmax_i - target distribution_i
        g[np.arange(rows), target] -= 1 - eps
        if eps:
            g -= eps / probs.shape[1]
        if reduction == "none":
            g *= grad[:, None]  # (M, C) * (M, 1)
        else:  # a scalar upstream gradient, shared by every sample (divided by M for the mean)
            g *= grad / rows if reduction == "mean" else grad
        return g
        ### END SOLUTION


class BCE(Function):
    """-(t log p + (1 - t) log(1 - p)), each log clamped to >= -100 (as PyTorch). (*), (*) -> (*)."""

    @staticmethod
    def forward(ctx: Context, p: np.ndarray, t: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 06
        log_p, log_1mp = _clamped_logs(p)
        ctx.save_for_backward(p, t)
        return -(t * log_p + (1 - t) * log_1mp)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[Any, Any]:
        ### BEGIN SOLUTION 06
        p, t = ctx.saved_tensors
        need_p, need_t = ctx.needs_input_grad
        gp = gt = None
        if need_p:  # d/dp = (p - t) / (p (1 - p)); the floor keeps p = 0 or 1 finite
            gp = grad * (p - t) / np.maximum(p * (1 - p), _BCE_EPS)
        if need_t:  # d/dt = log(1 - p) - log p
            log_p, log_1mp = _clamped_logs(p)
            gt = grad * (log_1mp - log_p)
        return gp, gt
        ### END SOLUTION


def _clamped_logs(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log p and log(1 - p), each >= -100 (log 0 = -inf is expected here: no warning)."""
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(p), _LOG_FLOOR), np.maximum(np.log1p(-p), _LOG_FLOOR)


class BCEWithLogits(Function):
    """BCE of sigmoid(x), without computing sigmoid: max(x, 0) - x t + log(1 + exp(-|x|)).

    Stable for any x (exp(-|x|) <= 1). (*), (*) -> (*).
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 06
        ctx.save_for_backward(x, t)
        return np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[Any, Any]:
        ### BEGIN SOLUTION 06
        x, t = ctx.saved_tensors
        need_x, need_t = ctx.needs_input_grad
        gx = gt = None
        if need_x:  # d/dx = sigmoid(x) - t, with sigmoid computed stably
            gx = grad * (stable_sigmoid(x) - t)
        if need_t:
            gt = grad * -x
        return gx, gt
        ### END SOLUTION


# ------------------------------------------------------------------- checks


def check_reduction(reduction: str, name: str) -> str:
    if isinstance(reduction, Tensor):  # PyTorch's positional weight: keyword-only here
        raise TypeError(f"{name}: got a Tensor where reduction goes; pass a class weight as weight=...")
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction


def check_label_smoothing(label_smoothing: float, name: str) -> float:
    if not 0 <= label_smoothing <= 1:
        raise ArgumentError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
    return label_smoothing


def reduce(loss: Tensor, reduction: str) -> Tensor:
    """Apply `reduction` to elementwise losses."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def check_same_shape(
    input: Tensor, target: Tensor, name: str, shape_error: type[ValueError] = ValueError
) -> None:
    """For elementwise losses: float Tensors of one dtype and one shape (no broadcasting).

    `shape_error`: the type of a shape mismatch, PyTorch's for this loss (BCE: ValueError,
    mse_loss: RuntimeError where the shapes do not broadcast, so ShapeError).
    """
    check_float(input, name)
    if not isinstance(target, Tensor):
        raise TypeError(f"{name}: target must be a Tensor, got {type(target).__name__}")
    if target.dtype != input.dtype:
        raise DTypeError(
            f"{name}: target has dtype {target.dtype} but input has {input.dtype}; convert one with .to(...)"
        )
    if target.shape != input.shape:
        raise shape_error(
            f"{name}: input has shape {input.shape} but target has shape {target.shape}; "
            "they must be equal (no broadcasting in losses)"
        )


def check_class_target(input: Tensor, target: Tensor, name: str, ignore_index: int | None = None) -> int:
    """For class-index losses: input (N, C, d1, ...) or (C,), target (N, d1, ...) or () of
    int64 values in [0, C). Returns C.

    Errors have PyTorch's types: a target dtype other than int64 is a DTypeError, a target
    out of [0, C) an IndexError ("Target 5 is out of bounds"), a target whose batch size is
    not N a ValueError ("Expected input batch_size ..."), any other shape mismatch a ShapeError.
    A target equal to `ignore_index` is allowed whatever its value.
    """
    check_float(input, name)
    if not isinstance(target, Tensor):
        got = type(target).__name__
        raise TypeError(f"{name}: target must be a Tensor of int64 class indices, got {got}")
    if target.dtype != int64:
        raise DTypeError(
            f"{name}: target must hold int64 class indices, got dtype {target.dtype} "
            "(use Tensor(labels, dtype='int64'); cross_entropy also takes class probabilities: a float "
            "target of the input's shape)"
        )
    if input.ndim == 0:
        raise ShapeError(f"{name}: input must have shape (N, C, ...) or (C,), got a 0-d tensor")
    classes = input.shape[0] if input.ndim == 1 else input.shape[1]
    expected = () if input.ndim == 1 else (input.shape[0], *input.shape[2:])
    if target.shape != expected:
        batch_differs = input.ndim == 1 or target.shape[:1] != expected[:1]
        raise (ValueError if batch_differs else ShapeError)(
            f"{name}: input of shape {input.shape} (N, C, d1, ...) needs a target of shape "
            f"{expected}, got {target.shape}"
        )
    if target.size and not (target.data.min() >= 0 and target.data.max() < classes):
        t = target.data
        out = (t < 0) | (t >= classes)
        bad = t[out if ignore_index is None else out & (t != ignore_index)]
        if bad.size:  # (targets equal to ignore_index may lie outside [0, C))
            ignored = "" if ignore_index is None else f" and is not ignore_index={ignore_index}"
            raise IndexError(
                f"{name}: target values must be class indices in [0, {classes}) for input of shape "
                f"{input.shape}, got values from {t.min()} to {t.max()} (target {bad[0]} is out of "
                f"bounds{ignored})"
            )
    return classes


def classes_last(input: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N * d1 * ..., C); (N, C) as it is, (C,) as a (1, C) view."""
    if input.ndim == 2:
        return input
    if input.ndim == 1:
        return input.reshape(1, -1)
    if input.ndim > 2:
        dims = (0, *range(2, input.ndim), 1)
        input = input.permute(*dims)
    return input.reshape(-1, input.shape[-1])


# ------------------------------------------------------------ functional API


def cross_entropy(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
    *,
    weight: Tensor | None = None,
    ignore_index: int = -100,
) -> Tensor:
    """Cross-entropy of logits against class indices (the fast, fused version) or class probabilities.

    input: (N, C), (N, C, d1, ...) or (C,) logits; target: (N,), (N, d1, ...) or ()
    int64 in [0, C), or class probabilities: a float target of the input's shape.
    Returns a scalar, or the target's shape (without C) with reduction="none".
    weight (C,): per-class weights ("mean" then divides by the kept samples' summed weight);
    ignore_index: samples with this target count 0 and are left out of the mean. Both are
    keyword-only here (PyTorch also takes weight third, positionally). The plain case (index
    targets, no weight, no ignored sample) runs the fused CrossEntropy Function.
    """
    name = "cross_entropy (CrossEntropyLoss)"
    check_reduction(reduction, name)
    if is_prob_target(input, target):
        check_label_smoothing(label_smoothing, name)
        return cross_entropy_probs(
            input, target, weight, ignore_index, reduction, float(label_smoothing), name
        )
    classes = check_class_target(input, target, name, ignore_index)
    check_label_smoothing(label_smoothing, name)
    flat_target = target.data.reshape(-1)  # (M,)
    w = check_weight(weight, input, classes, name)
    if w is not None or ignore_hit(flat_target, ignore_index):  # the general (given) path
        loss = WeightedNLL.apply(
            log_softmax(classes_last(input), dim=1),
            target=flat_target,
            weight=w,
            ignore_index=ignore_index,
            label_smoothing=float(label_smoothing),
            reduction=reduction,
        )
        return loss.reshape(target.shape) if reduction == "none" else loss
    loss = CrossEntropy.apply(
        classes_last(input), target=flat_target, label_smoothing=float(label_smoothing), reduction=reduction
    )
    return loss.reshape(target.shape) if reduction == "none" and loss.shape != target.shape else loss


def cross_entropy_reference(
    input: Tensor, target: Tensor, reduction: str = "mean", label_smoothing: float = 0.0
) -> Tensor:
    """The readable cross-entropy: log_softmax, then index each sample's target (teaching version)."""
    name = "cross_entropy (CrossEntropyLoss)"
    check_reduction(reduction, name)
    check_class_target(input, target, name)
    ### BEGIN SOLUTION 06
    log_probs = log_softmax(classes_last(input), dim=1)  # (M, C)
    rows = np.arange(log_probs.shape[0])
    loss = -log_probs[rows, target.data.reshape(-1)]  # (M,): -log p[target]
    if label_smoothing:
        loss = (1 - label_smoothing) * loss - label_smoothing * log_probs.mean(axis=1)
    return reduce(loss.reshape(target.shape), reduction)
    ### END SOLUTION


def nll_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    *,
    weight: Tensor | None = None,
    ignore_index: int = -100,
) -> Tensor:
    """Negative log-likelihood: -input[n, target[n]], input holding log-probabilities.

    input: (N, C), (N, C, d1, ...) or (C,); target: (N,), (N, d1, ...) or () int64.
    weight (C,) and ignore_index (keyword-only) as in cross_entropy.
    """
    name = "nll_loss (NLLLoss)"
    check_reduction(reduction, name)
    classes = check_class_target(input, target, name, ignore_index)
    w = check_weight(weight, input, classes, name)
    if w is not None or ignore_hit(target.data, ignore_index):  # the general (given) path
        options = {"weight": w, "ignore_index": ignore_index, "label_smoothing": 0.0, "reduction": reduction}
        loss = WeightedNLL.apply(classes_last(input), target=target.data.reshape(-1), **options)
        return loss.reshape(target.shape) if reduction == "none" else loss
    ### BEGIN SOLUTION 06
    flat = classes_last(input)  # (M, C)
    loss = -flat[np.arange(flat.shape[0]), target.data.reshape(-1)]
    return reduce(loss.reshape(target.shape), reduction)
    ### END SOLUTION


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error (input - target)^2. input and target: (*), the same shape."""
    name = "mse_loss (MSELoss)"
    check_reduction(reduction, name)
    check_same_shape(input, target, name, ShapeError)
    ### BEGIN SOLUTION 06
    diff = input - target
    return reduce(diff * diff, reduction)
    ### END SOLUTION


def binary_cross_entropy(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """BCE of probabilities `input` in [0, 1] against targets in [0, 1]; (*), (*)."""
    name = "binary_cross_entropy (BCELoss)"
    check_reduction(reduction, name)
    check_same_shape(input, target, name)
    if input.size and not (input.data.min() >= 0 and input.data.max() <= 1):
        raise ArgumentError(
            f"{name}: input must hold probabilities in [0, 1], got values from "
            f"{input.data.min()} to {input.data.max()} (logits? use binary_cross_entropy_with_logits)"
        )
    return reduce(BCE.apply(input, target), reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    *,
    weight: Tensor | None = None,
    pos_weight: Tensor | None = None,
) -> Tensor:
    """BCE of sigmoid(input) against targets in [0, 1], computed stably from the logits; (*), (*).

    weight: multiplies each element's loss; pos_weight: multiplies the positive term
    -t log sigmoid(x) (shape (C,) weighs the classes of the last dim). Both broadcast to the
    input's shape, constants of its dtype; keyword-only here (PyTorch takes weight third).
    """
    name = "binary_cross_entropy_with_logits (BCEWithLogitsLoss)"
    check_reduction(reduction, name)
    check_same_shape(input, target, name)
    if weight is None and pos_weight is None:
        return reduce(BCEWithLogits.apply(input, target), reduction)
    if pos_weight is None:
        loss = BCEWithLogits.apply(input, target)
    else:  # PyTorch's form: (1 - t) x + (1 + (pw - 1) t) log(1 + exp(-x))
        pw = check_broadcast_weight(pos_weight, input, "pos_weight", name)
        log_weight = 1 + (pw - 1) * target
        loss = (1 - target) * input + log_weight * softplus(-input, 1.0, float("inf"))
    if weight is not None:
        loss = loss * check_broadcast_weight(weight, input, "weight", name)
    return reduce(loss, reduction)


def check_broadcast_weight(weight: Tensor, input: Tensor, what: str, name: str) -> Tensor:
    """A weight Tensor of the input's dtype whose shape broadcasts to the input's."""
    if not isinstance(weight, Tensor):
        raise TypeError(f"{name}: {what} must be a Tensor or None, got {type(weight).__name__}")
    if weight.dtype != input.dtype:
        raise DTypeError(f"{name}: {what} has dtype {weight.dtype} but input has {input.dtype}")
    try:
        fits = np.broadcast_shapes(weight.shape, input.shape) == input.shape
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(
            f"{name}: {what} of shape {weight.shape} does not broadcast to the input's shape {input.shape}"
        )
    return weight


# ------------------------------------------------------------------ Modules


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = check_reduction(reduction, type(self).__name__)


class MSELoss(_Loss):
    """mean((input - target)^2). input, target: (*), the same shape."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return mse_loss(input, target, self.reduction)


class CrossEntropyLoss(_Loss):
    """Cross-entropy of logits (N, C) / (N, C, d1, ...) against int64 class indices (N,) / (N, d1, ...)
    or class probabilities (the input's shape).

    `label_smoothing` eps mixes the one-hot target with the uniform distribution:
    (1 - eps) onehot + eps / C, as PyTorch. `weight` (C,) (a buffer: state dict key "weight")
    and `ignore_index` are keyword-only.
    """

    weight: Tensor | None  # a buffer (register_buffer)

    def __init__(
        self,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
        *,
        weight: Tensor | None = None,
        ignore_index: int = -100,
    ) -> None:
        super().__init__(reduction)
        self.label_smoothing = check_label_smoothing(label_smoothing, "CrossEntropyLoss")
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return cross_entropy(
            input,
            target,
            self.reduction,
            self.label_smoothing,
            weight=self.weight,
            ignore_index=self.ignore_index,
        )


class NLLLoss(_Loss):
    """-input[n, target[n]] for log-probabilities input (N, C) and int64 targets (N,).

    `weight` (C,) (a buffer) and `ignore_index` (keyword-only) as CrossEntropyLoss's."""

    weight: Tensor | None  # a buffer (register_buffer)

    def __init__(
        self, reduction: str = "mean", *, weight: Tensor | None = None, ignore_index: int = -100
    ) -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return nll_loss(input, target, self.reduction, weight=self.weight, ignore_index=self.ignore_index)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities in [0, 1]; logs clamped to >= -100. (*), (*)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return binary_cross_entropy(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of sigmoid(logits), computed stably from the logits. (*), (*).

    `weight` and `pos_weight` (keyword-only buffers) as binary_cross_entropy_with_logits's."""

    weight: Tensor | None  # a buffer (register_buffer)
    pos_weight: Tensor | None  # a buffer (register_buffer)

    def __init__(
        self, reduction: str = "mean", *, weight: Tensor | None = None, pos_weight: Tensor | None = None
    ) -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return binary_cross_entropy_with_logits(
            input, target, self.reduction, weight=self.weight, pos_weight=self.pos_weight
        )
