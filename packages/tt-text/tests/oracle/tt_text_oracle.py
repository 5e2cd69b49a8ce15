"""Shared machinery of tt-text's PyTorch-oracle tests: a nanoGPT twin in torch and comparison helpers.

`TorchGPT` is nanoGPT's model (Karpathy, model.py) written out here in a few
lines, with the same module names, so that a tinytorch TinyGPT's state dict
loads into it key for key; `TorchBlock` is one of its blocks. Both use GELU
with the same approximation as the tinytorch model they are compared with.

Tolerances: 1e-10 in float64 and 1e-5 in float32, relative to each value and,
as an absolute floor, to the largest expected magnitude (as tt-nn's oracle).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as TF
from torch import nn as tnn

from tinytorch.core import Tensor

TOLERANCE = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-10}


def assert_matches(
    actual: np.ndarray | Tensor, expected: torch.Tensor | np.ndarray, what: str, tol: float | None = None
) -> None:
    if isinstance(actual, Tensor):
        actual = actual.data
    want = expected.detach().numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    assert actual.shape == want.shape, f"{what}: shape {actual.shape}, torch gives {want.shape}"
    assert actual.dtype == want.dtype, f"{what}: dtype {actual.dtype}, torch gives {want.dtype}"
    tol = TOLERANCE[actual.dtype] if tol is None else tol
    scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
    np.testing.assert_allclose(actual, want, rtol=tol, atol=tol * scale, err_msg=what)


def torch_state(state: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}


class TorchCausalSelfAttention(tnn.Module):
    def __init__(self, n_embd: int, n_head: int, bias: bool) -> None:
        super().__init__()
        self.n_head = n_head
        self.c_attn = tnn.Linear(n_embd, 3 * n_embd, bias=bias)
        self.c_proj = tnn.Linear(n_embd, n_embd, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.n_head, c // self.n_head).transpose(1, 2) for z in (q, k, v))
        y = TF.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).contiguous().view(b, t, c))


class TorchMLP(tnn.Module):
    def __init__(self, n_embd: int, bias: bool, gelu: str) -> None:
        super().__init__()
        self.c_fc = tnn.Linear(n_embd, 4 * n_embd, bias=bias)
        self.gelu = tnn.GELU(approximate=gelu)
        self.c_proj = tnn.Linear(4 * n_embd, n_embd, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c_proj(self.gelu(self.c_fc(x)))


class TorchBlock(tnn.Module):
    def __init__(self, n_embd: int, n_head: int, bias: bool = True, gelu: str = "tanh") -> None:
        super().__init__()
        self.ln_1 = tnn.LayerNorm(n_embd, bias=bias)
        self.attn = TorchCausalSelfAttention(n_embd, n_head, bias)
        self.ln_2 = tnn.LayerNorm(n_embd, bias=bias)
        self.mlp = TorchMLP(n_embd, bias, gelu)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class TorchGPT(tnn.Module):
    """nanoGPT's GPT (dropout 0), weight-tied, same parameter names."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.config = config
        self.transformer = tnn.ModuleDict(
            dict(
                wte=tnn.Embedding(config.vocab_size, config.n_embd),
                wpe=tnn.Embedding(config.block_size, config.n_embd),
                h=tnn.ModuleList(
                    [
                        TorchBlock(config.n_embd, config.n_head, config.bias, config.gelu)
                        for _ in range(config.n_layer)
                    ]
                ),
                ln_f=tnn.LayerNorm(config.n_embd, bias=config.bias),
            )
        )
        self.lm_head = tnn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight
        self.apply(self._init_weights)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                tnn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: tnn.Module) -> None:
        if isinstance(module, tnn.Linear):
            tnn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                tnn.init.zeros_(module.bias)
        elif isinstance(module, tnn.Embedding):
            tnn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None) -> Any:
        t = idx.shape[1]
        pos = torch.arange(0, t, dtype=torch.long)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        if targets is None:
            return self.lm_head(x[:, [-1], :]), None
        logits = self.lm_head(x)
        return logits, TF.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))

    def load_tinytorch(self, state: dict[str, np.ndarray]) -> None:
        """A TinyGPT state dict (the tied table under transformer.wte.weight only)."""
        full = dict(state)
        full["lm_head.weight"] = state["transformer.wte.weight"]
        self.load_state_dict(torch_state(full))
