"""The fused attention ops (forward and backward: module 13).

softmax(q k^T / sqrt(d) + mask) v as ONE graph node instead of the six or so
of the composed version (attention.scaled_dot_product_attention_reference):

- `attention_forward` / `attention_backward`: the NumPy kernels, on
  (..., L, d) queries and (..., S, d) keys and values, as batched matmuls.
  The (..., L, S) score matrix is computed once, masked in place (blocked
  entries become -inf, so exp gives exactly 0), turned into probabilities in
  place and saved: it is the only O(L·S) array the graph keeps.
- The softmax backward is done by hand: with P the probabilities and dP the
  gradient reaching them, dS = P * (dP - sum(dP * P, -1)), again in place.
- `ScaledDotProductAttention`: the kernels on separate q, k, v tensors.
- `PackedSelfAttention`: the GPT fast path. It takes the (B, T, 3C) output of
  one fused q/k/v projection, splits it into heads as a strided *view*
  (no copy), and returns heads already merged, (B, T, C). Its backward writes
  dq, dk, dv straight into one (B, T, 3C) gradient buffer.

Mask convention everywhere: a boolean array, True = this query may attend to
this key (as torch.nn.functional.scaled_dot_product_attention; note that
torch.nn.MultiheadAttention's boolean attn_mask means the opposite).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from tinytorch.core import Context, Function, generator, unbroadcast


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
    scale = 1.0 / np.sqrt(q.shape[-1])
    scores = np.matmul(q, np.swapaxes(k, -1, -2))  # (..., L, S): one batched GEMM
    scores *= scores.dtype.type(scale)
    if is_causal:  # the fused causal fill: in place, no (..., L, S) mask materialised
        np.copyto(scores, -np.inf, where=future_mask(q.shape[-2], k.shape[-2]))
    if allowed is not None:
        np.copyto(scores, -np.inf, where=~allowed)
    # softmax along the keys, in place: the score buffer becomes the probabilities
    scores -= scores.max(axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=-1, keepdims=True)
    probs = scores
    keep = None
    if dropout_p > 0:
        keep = generator().random(probs.shape, dtype=probs.dtype) >= dropout_p
        dropped = probs * keep
        dropped *= dropped.dtype.type(1 / (1 - dropout_p)) if dropout_p < 1 else 0
        return np.matmul(dropped, v), probs, keep
    return np.matmul(probs, v), probs, keep  # (..., L, dv)
    ### END SOLUTION


def attention_backward(
    grad: np.ndarray,
    q: np.ndarray,
    k: np.ndarray,
    v: np.ndarray,
    probs: np.ndarray,
    keep: np.ndarray | None,
    dropout_p: float,
    out: tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None] = (None, None, None),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dq, dk, dv) for attention_forward's output gradient `grad` (..., L, dv).

    Broadcast batch axes are *not* summed here (the callers unbroadcast).
    `out` optionally names arrays to write dq, dk, dv into (the packed op's buffer).
    """
    ### BEGIN SOLUTION 13
    scale = 1.0 / np.sqrt(q.shape[-1])
    used = probs  # the weights v was multiplied by
    if keep is not None:
        used = probs * keep
        used *= used.dtype.type(1 / (1 - dropout_p)) if dropout_p < 1 else 0
    dv = np.matmul(np.swapaxes(used, -1, -2), grad, out=out[2])  # (..., S, dv)
    dprobs = np.matmul(grad, np.swapaxes(v, -1, -2))  # (..., L, S)
    if keep is not None:
        dprobs *= keep
        dprobs *= dprobs.dtype.type(1 / (1 - dropout_p)) if dropout_p < 1 else 0
    # softmax backward by hand, in place: dS = P * (dP - sum(dP * P))
    row_dot = np.einsum("...ls,...ls->...l", dprobs, probs)[..., None]
    dprobs -= row_dot
    dprobs *= probs
    dprobs *= dprobs.dtype.type(scale)  # the 1/sqrt(d) of the forward
    dscores = dprobs
    dq = np.matmul(dscores, k, out=out[0])  # (..., L, d)
    dk = np.matmul(np.swapaxes(dscores, -1, -2), q, out=out[1])  # (..., S, d)
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


def split_heads(qkv: np.ndarray, n_head: int) -> np.ndarray:
    """(B, T, 3C) -> (3, B, nh, T, hs) as a view: q, k, v = split_heads(...) copies nothing."""
    batch, steps, three_c = qkv.shape
    return qkv.reshape(batch, steps, 3, n_head, three_c // (3 * n_head)).transpose(2, 0, 3, 1, 4)


def merge_heads(y: np.ndarray) -> np.ndarray:
    """(B, nh, T, hs) -> (B, T, nh * hs): the one copy, into the layout the output projection reads."""
    batch, n_head, steps, head_size = y.shape
    return y.transpose(0, 2, 1, 3).reshape(batch, steps, n_head * head_size)


class PackedSelfAttention(Function):
    """Multi-head (causal) self-attention on packed projections, heads split and merged inside.

    qkv: (B, T, 3C), q | k | v along the last axis, each C = n_head * hs -> (B, T, C).
    """

    @staticmethod
    def forward(ctx: Context, qkv: np.ndarray, n_head: int, is_causal: bool, dropout_p: float) -> np.ndarray:
        ### BEGIN SOLUTION 13
        q, k, v = split_heads(qkv, n_head)  # each (B, nh, T, hs), strided views
        out, probs, keep = attention_forward(q, k, v, None, is_causal, dropout_p)
        ctx.save_for_backward(qkv, probs, keep)
        ctx.meta = (n_head, dropout_p)
        return merge_heads(out)  # (B, T, C)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 13
        qkv, probs, keep = ctx.saved_tensors
        n_head, dropout_p = ctx.meta
        q, k, v = split_heads(qkv, n_head)
        batch, steps, channels = grad.shape
        dout = grad.reshape(batch, steps, n_head, channels // n_head).transpose(0, 2, 1, 3)  # a view
        dqkv = np.empty_like(qkv)  # (B, T, 3C): dq, dk, dv written into its three views
        dq, dk, dv = split_heads(dqkv, n_head)
        attention_backward(dout, q, k, v, probs, keep, dropout_p, out=(dq, dk, dv))
        return dqkv
        ### END SOLUTION
