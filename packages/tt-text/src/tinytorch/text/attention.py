"""Attention (module 13): scaled dot-product attention, single-head and multi-head.

Two versions of `softmax(q k^T / sqrt(d)) v` side by side (ARCHITECTURE.md, Core mechanics):

- `scaled_dot_product_attention_reference`: composed from tt-core ops (matmul,
  where, max, exp, sum, divide), softmax included. Readable, its gradient comes
  from the ops it is made of; the teaching version and the oracle.
- `scaled_dot_product_attention`: one fused node (ops_attention.py) whose
  softmax backward is written by hand. The module 13 guide measures the two.

One mask convention: `mask` is a bool Tensor (or array) broadcastable to
(..., L, S), True = this query may attend to this key, exactly as
torch.nn.functional.scaled_dot_product_attention. `is_causal=True` lets query
i see keys 0..i (aligned at the top left, as torch).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from tinytorch.core import ArgumentError, DTypeError, ShapeError, Tensor, float32, where
from tinytorch.nn import Linear, Module, init
from tinytorch.nn.dropout import check_dropout_p
from tinytorch.nn.module import as_array
from tinytorch.text import ops_attention


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
            "is all False); its softmax would be 0/0. True = may attend."
        )
    return allowed


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    mask: Any = None,
    is_causal: bool = False,
    dropout_p: float = 0.0,
) -> Tensor:
    """softmax(query key^T / sqrt(d) + mask) value, one fused node.

    query: (..., L, d), key: (..., S, d), value: (..., S, dv) (batch axes broadcast),
    mask: bool broadcastable to (..., L, S), True = may attend -> (..., L, dv).
    dropout_p drops attention probabilities (training only: pass 0.0 in eval).
    """
    allowed = check_attention_args(query, key, value, mask, is_causal, "scaled_dot_product_attention")
    dropout_p = check_dropout_p(dropout_p, "scaled_dot_product_attention")
    return ops_attention.ScaledDotProductAttention.apply(
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
        allowed = ~ops_attention.future_mask(query.shape[-2], key.shape[-2])
    if allowed is not None:
        scores = where(Tensor(allowed), scores, -math.inf)  # blocked: exp(-inf) = 0
    # softmax along the keys; the row max is a constant shift (it cancels), so no gradient through it
    scores = scores - scores.max(axis=-1, keepdims=True).detach()
    weights = scores.exp()
    probs = weights / weights.sum(axis=-1, keepdims=True)
    return probs @ value  # (..., L, dv)
    ### END SOLUTION


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
    (torch.nn.MultiheadAttention's boolean attn_mask means the opposite: pass ~mask there).
    Initialised as torch: xavier_uniform_ over the stacked (3E, E) input projection,
    zero biases, out_proj as a Linear. `load_torch_state_dict` takes torch's weights.
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
    ) -> Tensor:
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
        if mask is not None:
            allowed = _mask_array(mask, owner)
            if allowed.ndim == 3:  # (B, L, S): the same mask for every head
                allowed = allowed[:, None]
            mask = allowed
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
