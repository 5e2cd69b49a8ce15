"""The op behind LayerNorm (forward and backward: module 14).

y = (x - mean) / sqrt(var + eps) * weight + bias, mean and (biased) variance
over the last `n` axes. The composed version (`functional.layer_norm_reference`)
is five or six tt-core nodes, each saving its own arrays; this Function is one
node saving x̂ (the normalised input, one array like x) and 1/σ per row, with
the exact gradient written out:

    dx̂ = dy · w
    dx  = (dx̂ - mean(dx̂) - x̂ · mean(dx̂ · x̂)) / σ      (means over the normalised axes)
    dw  = Σ_rows dy · x̂,   db = Σ_rows dy
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinytorch.core import Context, Function


class LayerNorm(Function):
    """x: (*, *normalized_shape), weight, bias: normalized_shape or None -> like x.

    Works on x viewed as (rows, N), N = prod(normalized_shape).
    """

    @staticmethod
    def forward(
        ctx: Context,
        x: np.ndarray,
        weight: np.ndarray | None,
        bias: np.ndarray | None,
        n_axes: int,
        eps: float,
    ) -> np.ndarray:
        ### BEGIN SOLUTION 14
        width = int(np.prod(x.shape[x.ndim - n_axes :]))
        x2 = x.reshape(-1, width)  # (rows, N)
        xhat = x2 - x2.mean(axis=1, keepdims=True)  # becomes x̂ in place
        var = np.einsum("ij,ij->i", xhat, xhat) / width  # (rows,) biased variance, no temporary
        rstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False)[:, None]  # (rows, 1): 1/σ
        xhat *= rstd
        ctx.save_for_backward(xhat, rstd, weight)
        ctx.shape = x.shape
        out = xhat * weight.reshape(-1) if weight is not None else xhat.copy()
        if bias is not None:
            out += bias.reshape(-1)
        return out.reshape(x.shape)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[Any, ...]:
        ### BEGIN SOLUTION 14
        xhat, rstd, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        g2 = grad.reshape(xhat.shape)  # (rows, N)
        dw = db = dx = None
        if need_w:
            dw = np.einsum("ij,ij->j", g2, xhat).reshape(weight.shape)  # Σ_rows dy · x̂
        if need_b:
            db = g2.sum(axis=0).reshape(weight.shape if weight is not None else g2.shape[1:])
        if need_x:
            dxhat = g2 * weight.reshape(-1) if weight is not None else g2.copy()
            width = xhat.shape[1]
            mean_dxhat = dxhat.mean(axis=1, keepdims=True)  # (rows, 1)
            mean_dxhat_xhat = (np.einsum("ij,ij->i", dxhat, xhat) / width)[:, None]  # (rows, 1)
            dxhat -= mean_dxhat
            dxhat -= xhat * mean_dxhat_xhat
            dxhat *= rstd
            dx = dxhat.reshape(ctx.shape)
        return dx, dw, db
        ### END SOLUTION
