"""The transformer block (module 14): the MLP, causal self-attention, residuals (LayerNorm: layer_norm.py).

A pre-norm block, as GPT-2 and nanoGPT::

    x = x + attn(ln_1(x))      # tokens exchange information
    x = x + mlp(ln_2(x))       # each token computes on its own

Names follow nanoGPT (`ln_1`, `attn.c_attn`, `attn.c_proj`, `mlp.c_fc`,
`mlp.c_proj`) so that state-dict keys match a nanoGPT checkpoint's.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinytorch.core import Tensor
from tinytorch.nn import GELU, Dropout, Linear, Module, init
from tinytorch.nn.activations import GELU_APPROXIMATIONS
from tinytorch.nn.dropout import check_dropout_p
from tinytorch.text.attention import attention_forward
from tinytorch.text.layer_norm import LayerNorm
from tinytorch.text.multi_head_attention import PackedSelfAttention, _embed_dims, merge_heads, split_heads


class MLP(Module):
    """Position-wise feed-forward: c_fc (C -> 4C), GELU, c_proj (4C -> C), dropout. (B, T, C) -> (B, T, C).

    gelu: "tanh" (the default here: tinytorch.nn's GELU(approximate="tanh"), about 7x faster
    in NumPy than the exact erf form, see guide 14) or "none" (exact, nanoGPT's nn.GELU()).
    """

    def __init__(self, n_embd: int, bias: bool = True, dropout: float = 0.0, gelu: str = "tanh") -> None:
        super().__init__()
        if gelu not in GELU_APPROXIMATIONS:
            raise ValueError(f"MLP: gelu must be 'none' (exact) or 'tanh', got {gelu!r}")
        ### BEGIN SOLUTION 14
        self.c_fc = Linear(n_embd, 4 * n_embd, bias=bias)
        self.gelu = GELU(approximate=gelu)
        self.c_proj = Linear(4 * n_embd, n_embd, bias=bias)
        self.dropout = Dropout(dropout)
        ### END SOLUTION

    def forward(self, x: Tensor) -> Tensor:
        ### BEGIN SOLUTION 14
        h = self.c_fc(x)  # (B, T, 4C)
        h = self.gelu(h)
        return self.dropout(self.c_proj(h))
        ### END SOLUTION


class KVCache:
    """Keys and values of the tokens seen so far, for one attention layer (module 15).

    Preallocated (B, nh, max_len, hs) arrays; `length` of them are filled.
    """

    def __init__(self, batch: int, n_head: int, max_len: int, head_size: int, dtype: Any) -> None:
        self.keys = np.empty((batch, n_head, max_len, head_size), dtype=dtype)
        self.values = np.empty_like(self.keys)
        self.length = 0

    def append(self, k: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Store k, v (B, nh, L, hs) after the cached ones; return all keys and values so far (views)."""
        ### BEGIN SOLUTION 15
        start, end = self.length, self.length + k.shape[2]
        if end > self.keys.shape[2]:
            raise ValueError(f"KVCache: {end} positions do not fit in a cache of {self.keys.shape[2]}")
        self.keys[:, :, start:end] = k
        self.values[:, :, start:end] = v
        self.length = end
        return self.keys[:, :, :end], self.values[:, :, :end]
        ### END SOLUTION


class CausalSelfAttention(Module):
    """Masked multi-head self-attention, nanoGPT style. (B, T, C) -> (B, T, C).

    c_attn: one Linear C -> 3C (q | k | v for all heads in one GEMM), the fused
    PackedSelfAttention node (heads split and merged inside, causal mask filled
    in place), c_proj: C -> C, then residual dropout.
    """

    def __init__(self, n_embd: int, n_head: int, bias: bool = True, dropout: float = 0.0) -> None:
        super().__init__()
        self.n_embd, self.n_head = _embed_dims(n_embd, n_head, "CausalSelfAttention")
        self.attn_dropout = check_dropout_p(dropout, "CausalSelfAttention")
        ### BEGIN SOLUTION 14
        self.c_attn = Linear(n_embd, 3 * n_embd, bias=bias)
        self.c_proj = Linear(n_embd, n_embd, bias=bias)
        self.resid_dropout = Dropout(dropout)
        ### END SOLUTION

    def forward(self, x: Tensor, cache: KVCache | None = None) -> Tensor:
        if cache is not None:
            return self._forward_cached(x, cache)
        ### BEGIN SOLUTION 14
        p = self.attn_dropout if self.training else 0.0
        qkv = self.c_attn(x)  # (B, T, 3C)
        y = PackedSelfAttention.apply(qkv, n_head=self.n_head, is_causal=True, dropout_p=p)
        return self.resid_dropout(self.c_proj(y))  # (B, T, C)
        ### END SOLUTION

    def _forward_cached(self, x: Tensor, cache: KVCache) -> Tensor:
        """Inference only: attend the new positions' queries to every cached key (no graph)."""
        ### BEGIN SOLUTION 15
        qkv = self.c_attn(x).data  # (B, L, 3C)
        q, k, v = split_heads(qkv, self.n_head)  # (B, nh, L, hs) views
        keys, values = cache.append(k, v)  # (B, nh, S, hs), S = cached + L
        # L new queries see every cached key; among themselves, causally (the prefill)
        causal = q.shape[2] > 1
        if causal and keys.shape[2] != q.shape[2]:
            raise ValueError("CausalSelfAttention: feed several new tokens only into an empty cache")
        out, _, _ = attention_forward(q, keys, values, None, causal)
        return self.c_proj(Tensor.wrap(merge_heads(out)))
        ### END SOLUTION


class TransformerBlock(Module):
    """Pre-norm block: x + attn(ln_1(x)), then + mlp(ln_2(x)). (B, T, C) -> (B, T, C)."""

    def __init__(
        self, n_embd: int, n_head: int, bias: bool = True, dropout: float = 0.0, gelu: str = "tanh"
    ) -> None:
        super().__init__()
        ### BEGIN SOLUTION 14
        self.ln_1 = LayerNorm(n_embd, bias=bias)
        self.attn = CausalSelfAttention(n_embd, n_head, bias=bias, dropout=dropout)
        self.ln_2 = LayerNorm(n_embd, bias=bias)
        self.mlp = MLP(n_embd, bias=bias, dropout=dropout, gelu=gelu)
        ### END SOLUTION

    def forward(self, x: Tensor, cache: KVCache | None = None) -> Tensor:
        ### BEGIN SOLUTION 14
        x = x + self.attn(self.ln_1(x), cache)  # residual: the block learns a correction to x
        return x + self.mlp(self.ln_2(x))
        ### END SOLUTION


def scale_residual_projections(model: Module, n_layer: int) -> None:
    """GPT-2's init: every c_proj weight ~ N(0, (0.02 / sqrt(2 n_layer))^2), since each block
    adds two residual branches and their variance would otherwise grow with depth."""
    std = 0.02 / math.sqrt(2 * n_layer)
    for name, param in model.named_parameters():
        if name.endswith("c_proj.weight"):
            init.normal_(param, 0.0, std)
