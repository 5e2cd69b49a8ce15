"""Scaled dot-product attention (module 13): softmax(q k^T / sqrt(d) + mask) v.

Two versions side by side (ARCHITECTURE.md, Core mechanics):

- `scaled_dot_product_attention_reference`: composed from tt-core ops (matmul,
  where, max, exp, sum, divide), softmax included. Readable, its gradient comes
  from the ops it is made of; the teaching version and the oracle.
- `scaled_dot_product_attention`: one fused node, `ScaledDotProductAttention`,
  whose NumPy kernels `attention_forward` / `attention_backward` work on
  (..., L, d) queries and (..., S, d) keys and values as batched matmuls and
  write the softmax backward by hand: with P the probabilities and dP the
  gradient reaching them, dS = P * (dP - sum(dP * P, -1)). The (..., L, S)
  probabilities are the only O(L·S) array the node keeps. The module 13 guide
  measures the two.

One mask convention: `mask` is a bool Tensor (or array) broadcastable to
(..., L, S), True = this query may attend to this key, exactly as
torch.nn.functional.scaled_dot_product_attention (torch.nn.MultiheadAttention's
boolean attn_mask means the opposite). `is_causal=True` lets query i see keys
0..i (aligned at the top left, as torch). The layers built on it (SelfAttention,
MultiHeadAttention, the packed GPT op) are in multi_head_attention.py.

Given code beside the module's version (the bottom of this file): a float mask
(PyTorch's additive attn_mask, of the query's dtype: 0 = attend, -inf = blocked,
anything else biases the score) takes the node `AdditiveMaskAttention`, which
reuses `attention_backward` for q, k, v and gives the mask its own gradient (a
learned bias). A query left no key (a row all False, or all -inf) is an error
here; PyTorch's sdpa returns zeros for it and nn.MultiheadAttention nan.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from tinytorch.core import (
    ArgumentError,
    Context,
    DTypeError,
    Function,
    ShapeError,
    Tensor,
    generator,
    unbroadcast,
    where,
)
from tinytorch.nn.dropout import check_dropout_p, dropout_scale


def _mask_array(mask: Any, name: str) -> np.ndarray:
    if isinstance(mask, Tensor):
        mask = mask.data
    if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_:
        got = mask.dtype if isinstance(mask, np.ndarray) else type(mask).__name__
        raise TypeError(f"{name}: mask must be a bool Tensor (True = may attend), got {got}")
    return mask


def check_attention_args(
    q: Tensor, k: Tensor, v: Tensor, mask: Any, is_causal: bool, name: str
) -> np.ndarray | None:
    """The checks shared by both versions; returns the mask as a bool array (or None).

    Errors have PyTorch's types (tinytorch.core.errors): shapes that do not fit are a
    ShapeError, dtypes a DTypeError, a mask given with is_causal=True an ArgumentError.
    """
    for label, t in (("query", q), ("key", k), ("value", v)):
        if not isinstance(t, Tensor) or t.dtype.kind != "f":
            got = t.dtype if isinstance(t, Tensor) else type(t).__name__
            kind = DTypeError if isinstance(t, Tensor) else TypeError
            raise kind(f"{name}: {label} must be a float32 or float64 Tensor, got {got}")
        if t.ndim < 2:
            raise ShapeError(f"{name}: {label} must have shape (..., length, features), got {t.shape}")
    if not q.dtype == k.dtype == v.dtype:
        raise DTypeError(f"{name}: query, key, value dtypes differ ({q.dtype}, {k.dtype}, {v.dtype})")
    shapes = f"query {q.shape}, key {k.shape}, value {v.shape}"
    if q.shape[-1] != k.shape[-1]:
        raise ShapeError(f"{name}: query and key need the same last dimension (d), got {shapes}")
    if k.shape[-2] != v.shape[-2]:
        raise ShapeError(f"{name}: key and value need the same length S (dim -2), got {shapes}")
    try:
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ShapeError(f"{name}: batch dimensions do not broadcast: {shapes}") from None
    scores = (*batch, q.shape[-2], k.shape[-2])  # (..., L, S)
    if mask is None:
        if is_causal and k.shape[-2] == 0:
            raise ValueError(f"{name}: no keys to attend to ({shapes})")
        return None
    if is_causal:
        raise ArgumentError(f"{name}: give either mask or is_causal=True, not both (as torch)")
    return _check_mask(_mask_array(mask, name), scores, name, shapes)


def _check_mask(allowed: np.ndarray, scores: tuple[int, ...], name: str, shapes: str) -> np.ndarray:
    """A bool mask (True = may attend) that broadcasts to the scores' shape and lets
    every query attend to some key."""
    try:
        full = np.broadcast_shapes(allowed.shape, scores)
    except ValueError:
        full = None
    if full != scores:
        raise ShapeError(
            f"{name}: mask of shape {allowed.shape} does not broadcast to the scores' shape "
            f"{scores} (..., L, S) for {shapes}"
        )
    if not allowed.any(axis=-1).all():
        raise ValueError(
            f"{name}: the mask lets some query attend to no key at all (a row of the (L, S) mask "
            "is all False, or all -inf in a float mask); its softmax would be 0/0. True = may attend."
        )
    return allowed


@functools.lru_cache(maxsize=32)
def future_mask(query_len: int, key_len: int) -> np.ndarray:
    """(L, S) bool, True where key j comes after query i (j > i): what causal attention blocks.

    Queries and keys are aligned at the top left, as torch's is_causal. Cached: every
    layer and every step of a run asks for the same one. Read-only.
    """
    blocked = np.triu(np.ones((query_len, key_len), dtype=bool), k=1)
    blocked.flags.writeable = False
    return blocked


def attention_forward(
    q: np.ndarray,
    k: np.ndarray,
    v: np.ndarray,
    allowed: np.ndarray | None,
    is_causal: bool,
    dropout_p: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(out, probs, keep). q: (..., L, d), k: (..., S, d), v: (..., S, dv) -> out (..., L, dv).

    probs: (..., L, S) attention probabilities (before dropout); keep: the dropout
    mask (bool, like probs) or None when dropout_p == 0.
    """
    ### BEGIN SOLUTION 13
    scores = (q / math.sqrt(q.shape[-1])) @ np.swapaxes(k, -1, -2)  # (..., L, S): one batched GEMM
    if is_causal:
        scores = np.where(future_mask(q.shape[-2], k.shape[-2]), -np.inf, scores)  # exp(-inf) = 0
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))  # stable: shift each row by its max
    probs = weights / weights.sum(axis=-1, keepdims=True)  # (..., L, S), rows sum to 1
    keep = None
    if dropout_p > 0:
        keep = generator().random(probs.shape, dtype=probs.dtype) >= dropout_p
        return (probs * keep * dropout_scale(dropout_p)) @ v, probs, keep
    return probs @ v, probs, keep  # (..., L, dv)
    ### END SOLUTION


def attention_backward(
    grad: np.ndarray,
    q: np.ndarray,
    k: np.ndarray,
    v: np.ndarray,
    probs: np.ndarray,
    keep: np.ndarray | None,
    dropout_p: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dq, dk, dv) for attention_forward's output gradient `grad` (..., L, dv).

    Broadcast batch axes are *not* summed here (the callers unbroadcast).
    """
    ### BEGIN SOLUTION 13
    used = probs if keep is None else probs * keep * dropout_scale(dropout_p)  # what v was weighted by
    dv = np.swapaxes(used, -1, -2) @ grad  # (..., S, dv)
    dprobs = grad @ np.swapaxes(v, -1, -2)  # (..., L, S)
    if keep is not None:
        dprobs = dprobs * keep * dropout_scale(dropout_p)
    # softmax backward: dS = P * (dP - rowsum(dP * P))
    dscores = probs * (dprobs - (dprobs * probs).sum(axis=-1, keepdims=True))  # (..., L, S)
    scale = 1 / math.sqrt(q.shape[-1])  # the forward's 1/sqrt(d)
    dq = dscores @ k * scale  # (..., L, d)
    dk = np.swapaxes(dscores, -1, -2) @ q * scale  # (..., S, d)
    return dq, dk, dv
    ### END SOLUTION


class ScaledDotProductAttention(Function):
    """softmax(q k^T / sqrt(d), masked) v as one node.

    q: (..., L, d), k: (..., S, d), v: (..., S, dv), batch axes broadcasting;
    allowed: bool broadcastable to (..., L, S) or None -> (..., L, dv).
    """

    @staticmethod
    def forward(
        ctx: Context,
        q: np.ndarray,
        k: np.ndarray,
        v: np.ndarray,
        allowed: np.ndarray | None,
        is_causal: bool,
        dropout_p: float,
    ) -> np.ndarray:
        ### BEGIN SOLUTION 13
        out, probs, keep = attention_forward(q, k, v, allowed, is_causal, dropout_p)
        ctx.save_for_backward(q, k, v, probs, keep)
        ctx.dropout_p = dropout_p
        return out
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[Any, ...]:
        ### BEGIN SOLUTION 13
        q, k, v, probs, keep = ctx.saved_tensors
        dq, dk, dv = attention_backward(grad, q, k, v, probs, keep, ctx.dropout_p)
        need_q, need_k, need_v = ctx.needs_input_grad[:3]
        return (
            unbroadcast(dq, q.shape) if need_q else None,
            unbroadcast(dk, k.shape) if need_k else None,
            unbroadcast(dv, v.shape) if need_v else None,
        )
        ### END SOLUTION


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    mask: Any = None,
    is_causal: bool = False,
    dropout_p: float = 0.0,
    *,
    attn_mask: Any = None,
) -> Tensor:
    """softmax(query key^T / sqrt(d) + mask) value, one fused node.

    query: (..., L, d), key: (..., S, d), value: (..., S, dv) (batch axes broadcast),
    mask: bool broadcastable to (..., L, S), True = may attend, or float of the
    query's dtype, added to the scores (PyTorch's additive mask; it gets a
    gradient) -> (..., L, dv). `attn_mask=` is PyTorch's name for `mask`.
    dropout_p drops attention probabilities (training only: pass 0.0 in eval).
    """
    name = "scaled_dot_product_attention"
    mask = one_mask(mask, attn_mask, name)
    if is_float_mask(mask):
        bias = check_float_mask(query, key, value, mask, is_causal, name)
        dropout_p = check_dropout_p(dropout_p, name)
        return AdditiveMaskAttention.apply(query, key, value, bias, dropout_p=dropout_p)
    allowed = check_attention_args(query, key, value, mask, is_causal, name)
    dropout_p = check_dropout_p(dropout_p, "scaled_dot_product_attention")
    return ScaledDotProductAttention.apply(
        query, key, value, allowed=allowed, is_causal=bool(is_causal), dropout_p=dropout_p
    )


def scaled_dot_product_attention_reference(
    query: Tensor, key: Tensor, value: Tensor, mask: Any = None, is_causal: bool = False
) -> Tensor:
    """The readable attention in tt-core ops (teaching version and test oracle); same contract."""
    allowed = check_attention_args(query, key, value, mask, is_causal, "scaled_dot_product_attention")
    ### BEGIN SOLUTION 13
    d = query.shape[-1]
    scores = (query @ key.transpose(-2, -1)) * (1.0 / math.sqrt(d))  # (..., L, S)
    if is_causal:
        allowed = ~future_mask(query.shape[-2], key.shape[-2])
    if allowed is not None:
        scores = where(Tensor(allowed), scores, -math.inf)  # blocked: exp(-inf) = 0
    # softmax along the keys; the row max is a constant shift (it cancels), so no gradient through it
    scores = scores - scores.max(axis=-1, keepdims=True).detach()
    weights = scores.exp()
    probs = weights / weights.sum(axis=-1, keepdims=True)
    return probs @ value  # (..., L, dv)
    ### END SOLUTION


# ------------------------------------------------------------ float (additive) masks
#
# Given library code beside module 13's attention: PyTorch's float attn_mask is
# added to the scaled scores before the softmax. The softmax backward does not
# depend on how the scores were made, so `attention_backward` serves for q, k, v.


def one_mask(mask: Any, attn_mask: Any, name: str) -> Any:
    """`mask` or its PyTorch name `attn_mask` (one of them, or neither)."""
    if mask is not None and attn_mask is not None:
        raise ArgumentError(f"{name}: give mask or attn_mask (PyTorch's name for it), not both")
    return attn_mask if mask is None else mask


def is_float_mask(mask: Any) -> bool:
    data = mask.data if isinstance(mask, Tensor) else mask
    return isinstance(data, np.ndarray) and data.dtype.kind == "f"


def check_float_mask(q: Tensor, k: Tensor, v: Tensor, mask: Any, is_causal: bool, name: str) -> Tensor:
    """The float mask as a Tensor: the query's dtype, broadcastable to the scores (..., L, S)
    without enlarging them, every query left some key above -inf."""
    check_attention_args(q, k, v, None, False, name)  # q, k, v themselves
    bias = mask if isinstance(mask, Tensor) else Tensor(mask)
    if bias.dtype != q.dtype:
        raise DTypeError(
            f"{name}: a float mask must have the query's dtype {q.dtype}, got {bias.dtype} "
            "(or pass a bool mask, True = may attend)"
        )
    if is_causal:
        raise ArgumentError(f"{name}: give either mask or is_causal=True, not both (as torch)")
    batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    shapes = f"query {q.shape}, key {k.shape}, value {v.shape}"
    _check_mask(bias.data > -np.inf, (*batch, q.shape[-2], k.shape[-2]), name, shapes)
    return bias


def biased_attention_forward(
    q: np.ndarray, k: np.ndarray, v: np.ndarray, bias: np.ndarray, dropout_p: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """`attention_forward` with the float `bias` (..., L, S) added to the scaled scores:
    (out (..., L, dv), probs (..., L, S) before dropout, keep or None)."""
    logits = np.matmul(q / math.sqrt(q.shape[-1]), np.swapaxes(k, -1, -2)) + bias
    logits -= logits.max(axis=-1, keepdims=True)  # each row's largest score is finite (checked)
    probs = np.exp(logits, out=logits)
    probs /= probs.sum(axis=-1, keepdims=True)
    if dropout_p == 0:
        return np.matmul(probs, v), probs, None
    keep = generator().random(probs.shape, dtype=probs.dtype) >= dropout_p
    return np.matmul(probs * keep * dropout_scale(dropout_p), v), probs, keep


def score_gradient(
    grad: np.ndarray, v: np.ndarray, probs: np.ndarray, keep: np.ndarray | None, dropout_p: float
) -> np.ndarray:
    """d loss / d scores (..., L, S) from the output gradient `grad` (..., L, dv): what a float
    mask receives (the scores are the scaled q k^T plus the mask)."""
    d_weights = np.matmul(grad, np.swapaxes(v, -1, -2))
    if keep is not None:
        d_weights *= keep * dropout_scale(dropout_p)
    return probs * (d_weights - np.sum(d_weights * probs, axis=-1, keepdims=True))


class AdditiveMaskAttention(Function):
    """softmax(q k^T / sqrt(d) + bias) v as one node, the bias differentiable too.

    q: (..., L, d), k: (..., S, d), v: (..., S, dv), bias: float broadcastable to
    (..., L, S) -> (..., L, dv). Keeps what `ScaledDotProductAttention` keeps.
    """

    @staticmethod
    def forward(
        ctx: Context, q: np.ndarray, k: np.ndarray, v: np.ndarray, bias: np.ndarray, dropout_p: float
    ) -> np.ndarray:
        out, probs, keep = biased_attention_forward(q, k, v, bias, dropout_p)
        ctx.save_for_backward(q, k, v, probs, keep)
        ctx.meta = (dropout_p, bias.shape)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[Any, ...]:
        q, k, v, probs, keep = ctx.saved_tensors
        dropout_p, bias_shape = ctx.meta
        need_q, need_k, need_v, need_bias = ctx.needs_input_grad[:4]
        grads: list[Any] = [None, None, None]
        if need_q or need_k or need_v:
            grads = list(attention_backward(grad, q, k, v, probs, keep, dropout_p))
        for i, (need, x) in enumerate(((need_q, q), (need_k, k), (need_v, v))):
            grads[i] = unbroadcast(grads[i], x.shape) if need else None
        d_bias = (
            unbroadcast(score_gradient(grad, v, probs, keep, dropout_p), bias_shape) if need_bias else None
        )
        return (*grads, d_bias)
