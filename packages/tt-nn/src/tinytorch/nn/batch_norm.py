"""Batch normalisation (given library code): BatchNorm1d, BatchNorm2d and `batch_norm`, as PyTorch's.

Per channel c, over every axis but the channel axis (N, or N and L, or N, H and W):

    y = (x - mean) / sqrt(var + eps) · weight[c] + bias[c]

- training (or no running statistics): mean and var of the batch, var biased (÷n); the running
  statistics, when kept, move towards them: running = (1 - momentum)·running + momentum·batch,
  with the *unbiased* var (÷(n-1)) for running_var, and momentum=None meaning the cumulative
  average (momentum = 1/num_batches_tracked).
- eval: running_mean and running_var, fixed.

`BatchNormFunction` is one node with the whole-array gradient (x̂ the normalised input, means
over the reduced axes, per channel)::

    training:  dx = (dx̂ - mean(dx̂) - x̂ · mean(dx̂ · x̂)) / σ,   dx̂ = dy · weight
    eval:      dx = dy · weight / σ          (the statistics are constants)
               dweight = Σ dy · x̂,  dbias = Σ dy

State dict keys are PyTorch's: weight, bias, running_mean, running_var, num_batches_tracked.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinytorch.core import ArgumentError, Context, DTypeError, Function, ShapeError, Tensor, float32
from tinytorch.nn.module import Module, Parameter


def reduced_axes(ndim: int) -> tuple[int, ...]:
    """Every axis but the channel axis 1: (0,) for (N, C), (0, 2) for (N, C, L), (0, 2, 3) ..."""
    return (0, *range(2, ndim))


def channel_shape(ndim: int, channels: int) -> tuple[int, ...]:
    """(1, C, 1, ...): a per-channel array broadcast against an input of `ndim` axes."""
    return (1, channels) + (1,) * (ndim - 2)


class BatchNormFunction(Function):
    """x (N, C, *), weight and bias (C,) or None; mean, var (C,) the statistics to normalise with
    (a batch's, biased, when `training`; else the running ones) -> like x."""

    @staticmethod
    def forward(
        ctx: Context,
        x: np.ndarray,
        weight: np.ndarray | None,
        bias: np.ndarray | None,
        mean: np.ndarray,
        var: np.ndarray,
        eps: float,
        training: bool,
    ) -> np.ndarray:
        shape = channel_shape(x.ndim, x.shape[1])
        rstd = (1.0 / np.sqrt(var + x.dtype.type(eps))).astype(x.dtype).reshape(shape)  # 1/σ
        xhat = (x - mean.astype(x.dtype).reshape(shape)) * rstd
        ctx.save_for_backward(xhat, rstd, weight)
        ctx.training = training
        out = xhat * weight.reshape(shape) if weight is not None else xhat.copy()
        if bias is not None:
            out += bias.reshape(shape)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[Any, ...]:
        xhat, rstd, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        axes = reduced_axes(grad.ndim)
        dw = (grad * xhat).sum(axis=axes) if need_w else None
        db = grad.sum(axis=axes) if need_b else None
        dx = None
        if need_x:
            dxhat = grad * weight.reshape(rstd.shape) if weight is not None else grad
            if ctx.training and grad.size:  # the batch statistics depend on x too
                mean_dxhat = dxhat.mean(axis=axes, keepdims=True)
                mean_dxhat_xhat = (dxhat * xhat).mean(axis=axes, keepdims=True)
                dx = (dxhat - mean_dxhat - xhat * mean_dxhat_xhat) * rstd
            else:
                dx = dxhat * rstd
        return dx, dw, db


def check_batch_norm_args(
    x: Any, running_mean: Any, running_var: Any, weight: Any, bias: Any, training: bool, name: object
) -> int:
    """The channel count C, after checking a batch_norm call as PyTorch: a float input of at
    least 2 axes (N, C, *); per-channel tensors of C elements and the input's dtype; more than one
    value per channel when training."""
    if not isinstance(x, Tensor) or x.dtype.kind != "f":
        got = x.dtype if isinstance(x, Tensor) else type(x).__name__
        raise (DTypeError if isinstance(x, Tensor) else TypeError)(
            f"{name}: expected a float32 or float64 input Tensor, got {got}"
        )
    if x.ndim < 2:
        raise ShapeError(f"{name}: expected an input (N, C, *) of at least 2 dims, got shape {x.shape}")
    channels = x.shape[1]
    for what, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if t is None:
            continue
        if t.shape != (channels,):
            raise ShapeError(
                f"{name}: {what} should contain {channels} elements (the channels of the input of shape "
                f"{x.shape}), not {int(np.prod(t.shape))} (shape {t.shape})"
            )
        if t.dtype != x.dtype:
            raise DTypeError(f"{name}: input is {x.dtype} but {what} is {t.dtype}; convert with .to(...)")
    if training and x.shape[0] * int(np.prod(x.shape[2:])) == 1:
        raise ValueError(
            f"{name}: expected more than 1 value per channel when training, got input of shape {x.shape}"
        )
    return channels


def batch_norm(
    x: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """torch.nn.functional.batch_norm: normalise (N, C, *) per channel, then scale and shift.

    training: batch statistics, and running_mean / running_var (when given) updated in place
    with `momentum`; else the running statistics (both required).
    """
    return normalize_batch(x, running_mean, running_var, weight, bias, training, momentum, eps, "batch_norm")


def normalize_batch(
    x: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None,
    bias: Tensor | None,
    training: bool,
    momentum: float,
    eps: float,
    name: object,
) -> Tensor:
    """`batch_norm` with its errors worded with `name` (the function's, or the layer)."""
    check_batch_norm_args(x, running_mean, running_var, weight, bias, training, name)
    if not training:
        if running_mean is None or running_var is None:
            raise ArgumentError(f"{name}: running_mean and running_var must be defined in evaluation mode")
        mean, var = running_mean.data, running_var.data
    else:
        axes = reduced_axes(x.ndim)
        n = x.shape[0] * int(np.prod(x.shape[2:]))  # values per channel
        if n == 0:  # an empty batch: nothing to normalise, the running statistics stay (as PyTorch)
            mean = var = np.zeros(x.shape[1], x.dtype)
        else:
            mean = x.data.mean(axis=axes)
            var = x.data.var(axis=axes)  # biased: what the batch is normalised with
            m = x.dtype.type(momentum)
            if running_mean is not None:
                running_mean.data[...] = (1 - m) * running_mean.data + m * mean
            if running_var is not None:
                unbiased = var * x.dtype.type(n / (n - 1))  # n > 1 (checked)
                running_var.data[...] = (1 - m) * running_var.data + m * unbiased
    return BatchNormFunction.apply(x, weight, bias, mean=mean, var=var, eps=float(eps), training=training)


class _BatchNorm(Module):
    """Shared by BatchNorm1d and BatchNorm2d (as PyTorch's _BatchNorm): parameters, buffers,
    the running-statistics bookkeeping; subclasses say which input ranks they take."""

    expected_ndim: tuple[int, ...] = ()
    weight: Parameter | None
    bias: Parameter | None
    running_mean: Tensor | None
    running_var: Tensor | None
    num_batches_tracked: Tensor | None

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: Any = float32,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if (
            isinstance(num_features, bool)
            or not isinstance(num_features, (int, np.integer))
            or num_features < 0
        ):
            raise (ArgumentError if isinstance(num_features, (int, np.integer)) else TypeError)(
                f"{name}: num_features must be a non-negative int, got {num_features!r}"
            )
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        c = self.num_features
        self.weight = Parameter(np.ones(c, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(c, dtype=dtype)) if affine and bias else None
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(c, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(c, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """running_mean 0, running_var 1, num_batches_tracked 0 (in place)."""
        for buffer, value in (
            (self.running_mean, 0),
            (self.running_var, 1),
            (self.num_batches_tracked, 0),
        ):
            if buffer is not None:
                buffer.data[...] = value

    def check_input_dim(self, x: Any) -> None:
        if isinstance(x, Tensor) and x.ndim not in self.expected_ndim:
            dims = " or ".join(f"{n}D" for n in self.expected_ndim)
            raise ValueError(f"{self!r}: expected {dims} input (got {x.ndim}D input of shape {x.shape})")

    def forward(self, x: Tensor) -> Tensor:
        self.check_input_dim(x)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.data[...] += 1
            if self.momentum is None:  # the cumulative average of every batch so far
                factor = 1.0 / float(self.num_batches_tracked.data)
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats  # running stats to read or update
        return normalize_batch(
            x,
            self.running_mean if keep else None,
            self.running_var if keep else None,
            self.weight,
            self.bias,
            use_batch,
            factor,
            self.eps,
            self,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """BatchNorm1d(num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True):
    (N, C) or (N, C, L) -> the same shape, normalised per channel C."""

    expected_ndim = (2, 3)


class BatchNorm2d(_BatchNorm):
    """BatchNorm2d(num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True):
    (N, C, H, W) -> the same shape, normalised per channel C."""

    expected_ndim = (4,)
