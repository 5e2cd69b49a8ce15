"""Attention layers (module 13): one head, many heads, and the packed GPT op.

- `SelfAttention`: one head, q, k, v = three Linear projections of x, then
  scaled dot-product attention (attention.py).
- `MultiHeadAttention`: num_heads heads side by side, as
  torch.nn.MultiheadAttention(batch_first=True); heads split and merged as views.
  `mha_state_from_torch` / `mha_state_to_torch` convert torch's weights.
- `PackedSelfAttention`: the GPT fast path. It takes the (B, T, 3C) output
  of one fused q/k/v projection, splits it into heads as a strided *view*
  (no copy), runs attention's kernels and returns heads already merged,
  (B, T, C). Its backward returns dq | dk | dv merged the same way, (B, T, 3C).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from tinytorch.core import ArgumentError, Context, DTypeError, Function, ShapeError, Tensor, float32
from tinytorch.nn import Linear, Module, init
from tinytorch.nn.activations import softmax
from tinytorch.nn.dropout import check_dropout_p, dropout
from tinytorch.nn.module import as_array
from tinytorch.text.attention import (
    _mask_array,
    attention_backward,
    attention_forward,
    check_float_mask,
    future_mask,
    is_float_mask,
    scaled_dot_product_attention,
)


def _embed_dims(embed_dim: Any, num_heads: Any, owner: str) -> tuple[int, int]:
    for name, n in (("embed_dim", embed_dim), ("num_heads", num_heads)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
            raise ValueError(f"{owner}: {name} must be a positive int, got {n!r}")
    if embed_dim % num_heads:
        raise ValueError(
            f"{owner}: embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads}): "
            f"each head gets embed_dim / num_heads features"
        )
    return int(embed_dim), int(num_heads)


def _check_sequence(x: Any, embed_dim: int, owner: str, label: str) -> None:
    if not isinstance(x, Tensor) or x.ndim != 3 or x.shape[-1] != embed_dim:
        got = x.shape if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"{owner}: {label} must have shape (B, T, {embed_dim}), got {got}")


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
        dq, dk, dv = attention_backward(dout, q, k, v, probs, keep, dropout_p)  # each (B, nh, T, hs)
        return np.concatenate([merge_heads(d) for d in (dq, dk, dv)], axis=-1)  # (B, T, 3C)
        ### END SOLUTION


class SelfAttention(Module):
    """One attention head over a sequence: (B, T, embed_dim) -> (B, T, head_size).

    q, k, v = x W_q^T, x W_k^T, x W_v^T (Linear layers `query`, `key`, `value`,
    head_size outputs each, bias optional), then scaled dot-product attention.
    """

    def __init__(self, embed_dim: int, head_size: int | None = None, bias: bool = False) -> None:
        super().__init__()
        self.embed_dim, _ = _embed_dims(embed_dim, 1, "SelfAttention")
        self.head_size, _ = _embed_dims(head_size or embed_dim, 1, "SelfAttention")
        self.query = Linear(self.embed_dim, self.head_size, bias=bias)
        self.key = Linear(self.embed_dim, self.head_size, bias=bias)
        self.value = Linear(self.embed_dim, self.head_size, bias=bias)

    def forward(self, x: Tensor, mask: Any = None, is_causal: bool = False) -> Tensor:
        _check_sequence(x, self.embed_dim, repr(self).split("(")[0], "x")
        ### BEGIN SOLUTION 13
        q, k, v = (proj(x) for proj in (self.query, self.key, self.value))
        return scaled_dot_product_attention(q, k, v, mask, is_causal)
        ### END SOLUTION

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, head_size={self.head_size}"


class MultiHeadAttention(Module):
    """num_heads attention heads side by side, as torch.nn.MultiheadAttention(batch_first=True).

    forward(query (B, L, E), key=None (B, S, E), value=None (B, S, E), mask=None, is_causal=False)
    -> (B, L, E); key and value default to query (self-attention). Each head works on
    E / num_heads features: q_proj, k_proj, v_proj (E -> E) are split into heads
    as views, attended, merged and projected by out_proj.

    mask: bool, True = may attend, of shape (L, S), (B, L, S) or (B, num_heads, L, S)
    (torch.nn.MultiheadAttention's boolean attn_mask means the opposite: pass ~mask there),
    or float (additive, the query's dtype, same shapes).
    Initialised as torch: xavier_uniform_ over the stacked (3E, E) input projection,
    zero biases, out_proj as a Linear. `load_torch_state_dict` takes torch's weights.

    Keyword-only, as torch.nn.MultiheadAttention (given code beside the module's):
    attn_mask: PyTorch's mask instead of `mask`: bool True = may NOT attend, or
    float; (L, S) or (B * num_heads, L, S). key_padding_mask: (B, S), bool True =
    this key is padding (ignored), or float (added). need_weights: None (the
    default) returns the output only, as before; True / False return PyTorch's
    pair (output, weights or None), weights (B, L, S) averaged over the heads
    (average_attn_weights=True) or (B, num_heads, L, S), differentiable (and
    after dropout, as torch). Differences from torch: batch_first only, the
    default need_weights=None (torch: True), is_causal applies the causal mask
    itself (torch: a hint about attn_mask), and a query left no key raises
    ValueError (torch: nan).
    """

    def __init__(
        self, embed_dim: int, num_heads: int, bias: bool = True, dropout: float = 0.0, dtype: Any = float32
    ) -> None:
        super().__init__()
        self.embed_dim, self.num_heads = _embed_dims(embed_dim, num_heads, "MultiHeadAttention")
        self.head_dim = self.embed_dim // self.num_heads
        self.dropout = check_dropout_p(dropout, "MultiHeadAttention")
        e = self.embed_dim
        self.q_proj = Linear(e, e, bias=bias, dtype=dtype)
        self.k_proj = Linear(e, e, bias=bias, dtype=dtype)
        self.v_proj = Linear(e, e, bias=bias, dtype=dtype)
        self.out_proj = Linear(e, e, bias=bias, dtype=dtype)
        bound = math.sqrt(6.0 / (e + 3 * e))  # xavier_uniform_ of torch's (3E, E) in_proj_weight
        for proj in (self.q_proj, self.k_proj, self.v_proj):
            init.uniform_(proj.weight, -bound, bound)
        for proj in (self.q_proj, self.k_proj, self.v_proj, self.out_proj):
            if proj.bias is not None:
                init.zeros_(proj.bias)

    def _heads(self, x: Tensor) -> Tensor:
        """(B, T, E) -> (B, nh, T, hs): a reshape and a transpose, both views."""
        batch, steps, _ = x.shape
        return x.reshape(batch, steps, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(
        self,
        query: Tensor,
        key: Tensor | None = None,
        value: Tensor | None = None,
        mask: Any = None,
        is_causal: bool = False,
        *,
        key_padding_mask: Any = None,
        need_weights: bool | None = None,
        attn_mask: Any = None,
        average_attn_weights: bool = True,
    ) -> Any:
        owner = f"MultiHeadAttention(embed_dim={self.embed_dim}, num_heads={self.num_heads})"
        key = query if key is None else key
        value = key if value is None else value
        for label, t in (("query", query), ("key", key), ("value", value)):
            _check_sequence(t, self.embed_dim, owner, label)
        if key.shape[:2] != value.shape[:2] or key.shape[0] != query.shape[0]:
            raise ValueError(
                f"{owner}: query {query.shape}, key {key.shape}, value {value.shape}: "
                "key and value need the same (B, S), and query the same B"
            )
        mask, is_causal = self._combined_mask(query, key, mask, attn_mask, key_padding_mask, is_causal, owner)
        if need_weights is not None:  # PyTorch's return: (output, weights or None)
            if need_weights:
                return self._forward_with_weights(query, key, value, mask, is_causal, average_attn_weights)
            return self.forward(query, key, value, mask, is_causal), None
        ### BEGIN SOLUTION 13
        batch, length, _ = query.shape
        q = self._heads(self.q_proj(query))  # (B, nh, L, hs)
        k = self._heads(self.k_proj(key))  # (B, nh, S, hs)
        v = self._heads(self.v_proj(value))  # (B, nh, S, hs)
        p = self.dropout if self.training else 0.0
        y = scaled_dot_product_attention(q, k, v, mask, is_causal, dropout_p=p)  # (B, nh, L, hs)
        y = y.transpose(1, 2).reshape(batch, length, self.embed_dim)  # merge heads: (B, L, E)
        return self.out_proj(y)
        ### END SOLUTION

    # ------------------------------------------------- masks and weights (given code)
    def _combined_mask(
        self,
        query: Tensor,
        key: Tensor,
        mask: Any,
        attn_mask: Any,
        key_padding_mask: Any,
        is_causal: bool,
        owner: str,
    ) -> tuple[Any, bool]:
        """One mask for every head, from `mask`, `attn_mask` and `key_padding_mask`: a bool
        array (True = may attend) when all are bool (the module's path), else a float
        Tensor (their sum, bools as 0 / -inf), broadcastable to (B, num_heads, L, S).
        The causal mask joins a key_padding_mask (is_causal then comes back False)."""
        batch, length, keys = query.shape[0], query.shape[1], key.shape[1]
        full = (batch, self.num_heads, length, keys)
        if mask is not None and attn_mask is not None:
            raise ArgumentError(
                f"{owner}: give mask (True = may attend) or attn_mask (PyTorch's: True = may not), not both"
            )
        terms = []
        if mask is not None:  # ours: (L, S), (B, L, S) or (B, nh, L, S), True = may attend
            term = self._mask_term(mask, "mask", query, owner, invert=False)
            terms.append(
                ("mask", term.reshape(term.shape[0], 1, *term.shape[1:]) if term.ndim == 3 else term)
            )
        if attn_mask is not None:  # PyTorch's: (L, S) or (B * nh, L, S), True = may not attend
            term = self._mask_term(attn_mask, "attn_mask", query, owner, invert=True)
            if term.ndim == 3 and term.shape != (batch * self.num_heads, length, keys):
                raise ShapeError(
                    f"{owner}: attn_mask of shape {term.shape}: a 3-D attn_mask must be "
                    f"(B * num_heads, L, S) = {(batch * self.num_heads, length, keys)}"
                )
            terms.append(("attn_mask", term.reshape(full) if term.ndim == 3 else term))
        if key_padding_mask is not None:  # (B, S), True = padding
            term = self._mask_term(key_padding_mask, "key_padding_mask", query, owner, invert=True)
            if term.shape != (batch, keys):
                raise ShapeError(
                    f"{owner}: key_padding_mask of shape {term.shape}, expected (B, S) = {(batch, keys)}"
                )
            terms.append(("key_padding_mask", term.reshape(batch, 1, 1, keys)))
            if is_causal and len(terms) == 1:
                terms.append(("is_causal", ~future_mask(length, keys)))
                is_causal = False
        for label, term in terms:
            if not _fits(term.shape, full):
                raise ShapeError(
                    f"{owner}: {label} of shape {term.shape} does not broadcast to "
                    f"(B, num_heads, L, S) = {full}"
                )
        if not terms:
            return None, is_causal
        if all(isinstance(term, np.ndarray) for _, term in terms):
            allowed = terms[0][1]
            for _, term in terms[1:]:
                allowed = allowed & term
            return allowed, is_causal
        bias: Any = None
        for _, term in terms:
            if isinstance(term, np.ndarray):
                term = Tensor(np.where(term, 0.0, -np.inf).astype(query.dtype))
            bias = term if bias is None else bias + term
        return bias, is_causal

    @staticmethod
    def _mask_term(mask: Any, label: str, query: Tensor, owner: str, invert: bool) -> Any:
        """A bool mask as an array, True = may attend (`invert`: given as True = may not);
        a float mask as a Tensor of the query's dtype."""
        if is_float_mask(mask):
            term = mask if isinstance(mask, Tensor) else Tensor(mask)
            if term.dtype != query.dtype:
                raise DTypeError(
                    f"{owner}: a float {label} must have the query's dtype {query.dtype}, got {term.dtype}"
                )
            return term
        return ~_mask_array(mask, f"{owner}: {label}") if invert else _mask_array(mask, f"{owner}: {label}")

    def _forward_with_weights(
        self, query: Tensor, key: Tensor, value: Tensor, mask: Any, is_causal: bool, average: bool
    ) -> tuple[Tensor, Tensor]:
        """need_weights=True: the attention composed from ops (as torch's slow path), so that
        the weights it returns are part of the graph. -> (output (B, L, E), weights)."""
        owner = "MultiHeadAttention"
        q, k, v = (
            self._heads(proj(x))
            for proj, x in ((self.q_proj, query), (self.k_proj, key), (self.v_proj, value))
        )
        if is_causal:
            if mask is not None:
                raise ArgumentError(f"{owner}: give either mask or is_causal=True, not both (as torch)")
            mask = ~future_mask(q.shape[-2], k.shape[-2])
        if isinstance(mask, np.ndarray):
            mask = np.where(mask, 0.0, -np.inf).astype(q.dtype)
        scores = q @ k.transpose(-2, -1) * (1.0 / math.sqrt(self.head_dim))  # (B, nh, L, S)
        if mask is not None:
            scores = scores + check_float_mask(q, k, v, mask, False, owner)
        weights = softmax(scores, dim=-1)
        if self.training and self.dropout > 0:
            weights = dropout(weights, self.dropout)  # torch returns the weights after dropout too
        merged = (weights @ v).transpose(1, 2).reshape(query.shape[0], query.shape[1], self.embed_dim)
        return self.out_proj(merged), weights.mean(axis=1) if average else weights

    def load_torch_state_dict(self, state: Mapping[str, Any]) -> None:
        """Load a torch.nn.MultiheadAttention state dict (tensors or arrays)."""
        self.load_state_dict(mha_state_from_torch(state))

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"


def mha_state_from_torch(state: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """torch.nn.MultiheadAttention's keys -> ours: in_proj_weight (3E, E) splits into
    q_proj/k_proj/v_proj.weight (E, E) each (rows q | k | v), in_proj_bias likewise;
    out_proj.* is the same. Only the packed layout (kdim = vdim = embed_dim) exists here."""
    if "in_proj_weight" not in state:
        raise KeyError(
            "mha_state_from_torch: no 'in_proj_weight' (torch uses q/k/v_proj_weight only when "
            "kdim or vdim differ from embed_dim, which MultiHeadAttention does not support)"
        )
    out: dict[str, np.ndarray] = {}
    for name, part in zip(
        ("q_proj", "k_proj", "v_proj"), np.split(as_array(state["in_proj_weight"]), 3), strict=True
    ):
        out[f"{name}.weight"] = part
    if "in_proj_bias" in state:
        for name, part in zip(
            ("q_proj", "k_proj", "v_proj"), np.split(as_array(state["in_proj_bias"]), 3), strict=True
        ):
            out[f"{name}.bias"] = part
    for key in ("out_proj.weight", "out_proj.bias"):
        if key in state:
            out[key] = as_array(state[key])
    return out


def mha_state_to_torch(state: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Ours -> torch.nn.MultiheadAttention's keys (the inverse of mha_state_from_torch)."""
    out = {
        "in_proj_weight": np.concatenate(
            [as_array(state[f"{n}.weight"]) for n in ("q_proj", "k_proj", "v_proj")]
        )
    }
    if "q_proj.bias" in state:
        out["in_proj_bias"] = np.concatenate(
            [as_array(state[f"{n}.bias"]) for n in ("q_proj", "k_proj", "v_proj")]
        )
    for key in ("out_proj.weight", "out_proj.bias"):
        if key in state:
            out[key] = as_array(state[key])
    return out


def _fits(shape: tuple[int, ...], full: tuple[int, ...]) -> bool:
    """Does `shape` broadcast to `full` without enlarging it?"""
    try:
        return np.broadcast_shapes(shape, full) == full
    except ValueError:
        return False
