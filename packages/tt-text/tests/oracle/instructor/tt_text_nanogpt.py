"""nanoGPT's model in PyTorch (instructor-only: a release drops every folder named `instructor`).

`TorchGPT` is nanoGPT's model (Karpathy, model.py) written out in a few lines,
with the same module names, so that a tinytorch TinyGPT's state dict loads
into it key for key; `TorchBlock` is one of its blocks. Both use GELU with the
approximation of the tinytorch model they are compared with.

It lives here, not next to the shared oracle helpers, because it is module
14's model line for line: a student copy must not hold it. Its users are the
oracle tests of this folder, the fixture generator
(`instructor/fixtures/make_fixtures.py`, which stores what it computes for the
student-visible tests) and the benchmarks (through `tt_text_oracle.TorchGPT`,
which loads this file when it is there).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as TF
from torch import nn as tnn


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
    """nanoGPT's GPT (dropout 0), weight-tied, same parameter names.

    `config`: anything with vocab_size, block_size, n_layer, n_head, n_embd, bias and gelu
    (a tinytorch GPTConfig, or a SimpleNamespace).
    """

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

    def tinytorch_state(self) -> dict[str, np.ndarray]:
        """The state dict as a TinyGPT holds it (the tied table once, under transformer.wte.weight)."""
        return {k: v.detach().numpy().copy() for k, v in self.state_dict().items() if k != "lm_head.weight"}


def nanogpt_greedy(model: TorchGPT, idx: torch.Tensor, max_new_tokens: int, block_size: int) -> torch.Tensor:
    """nanoGPT's GPT.generate at temperature -> 0: crop, forward, argmax, append."""
    for _ in range(max_new_tokens):
        logits, _ = model(idx[:, -block_size:])
        idx = torch.cat((idx, logits[:, -1, :].argmax(dim=-1, keepdim=True)), dim=1)
    return idx
