"""TinyGPT (module 14) and text generation with a KV cache (module 15).

The model is nanoGPT's GPT, parameter for parameter, so its state-dict keys
match a nanoGPT checkpoint's (`transformer.wte.weight`, `transformer.h.0.attn.c_attn.weight`, ...)::

    tokens (B, T) -> wte (B, T, C) + wpe (T, C) -> dropout
                  -> n_layer x TransformerBlock -> ln_f -> lm_head (C -> vocab) -> logits

lm_head.weight *is* wte.weight (weight tying): one (vocab, C) parameter that
both reads tokens in and scores them out, its gradient the sum of both uses.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

import numpy as np

from tinytorch.core import Tensor, generator, no_grad
from tinytorch.nn import Dropout, Linear, Module, Sequential, eval_mode, init
from tinytorch.nn.activations import GELU_APPROXIMATIONS
from tinytorch.nn.functional import cross_entropy
from tinytorch.text.embedding import Embedding, PositionalEmbedding, as_index_array
from tinytorch.text.layer_norm import LayerNorm
from tinytorch.text.transformer import KVCache, TransformerBlock, scale_residual_projections

HEAD_SIZE_DEFAULT = 32  # the keyword constructor's n_embd = 32 * heads unless given
#: generate's default length: the milestone's (--new-tokens), about 200 characters of a char
#: model or 480 of a BPE-1000 one; nanoGPT's sample.py prints 500.
DEFAULT_MAX_NEW_TOKENS = 200


@dataclass
class GPTConfig:
    """A GPT's shape. The defaults are nanoGPT's CPU Shakespeare configuration (character level).

    vocab_size: token ids are in [0, vocab_size); block_size: the longest context;
    n_layer blocks of n_head heads over n_embd features (n_embd % n_head == 0);
    dropout on embeddings, attention probabilities and residual branches (training only);
    bias: biases in Linear layers and LayerNorms; gelu: "tanh" (faster in NumPy) or "none" (exact).
    """

    vocab_size: int = 65
    block_size: int = 64
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    bias: bool = True
    gelu: str = "tanh"

    def __post_init__(self) -> None:
        for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"GPTConfig: {name} must be a positive int, got {value!r}")
        if self.n_embd % self.n_head:
            raise ValueError(f"GPTConfig: n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head})")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"GPTConfig: dropout must be in [0, 1), got {self.dropout!r}")
        if self.gelu not in GELU_APPROXIMATIONS:
            raise ValueError(f"GPTConfig: gelu must be 'tanh' or 'none', got {self.gelu!r}")


class GPTKeywords(TypedDict, total=False):
    """The course plan's keywords for TinyGPT: `layers` and `heads` are n_layer and n_head."""

    vocab_size: int | None
    layers: int | None
    heads: int | None
    n_embd: int | None
    block_size: int | None
    dropout: float | None
    bias: bool | None
    gelu: str | None


def gpt_config(config: GPTConfig | None, keywords: Mapping[str, Any]) -> GPTConfig:
    """The GPTConfig TinyGPT builds: `config` itself, or GPTConfig's defaults updated by the
    keywords (n_embd = 32 * heads unless given). None stands for a keyword not given."""
    names = {"layers": "n_layer", "heads": "n_head"}
    unknown = sorted(set(keywords) - set(GPTKeywords.__annotations__))
    if unknown:
        raise TypeError(
            f"TinyGPT: unexpected keywords {unknown}; expected {list(GPTKeywords.__annotations__)}"
        )
    given = {names.get(k, k): v for k, v in keywords.items() if v is not None}
    if config is None:
        given.setdefault("n_embd", HEAD_SIZE_DEFAULT * given.get("n_head", GPTConfig.n_head))
        return GPTConfig(**given)
    if given:
        raise TypeError(f"TinyGPT: pass a GPTConfig or keywords, not both (got config and {sorted(given)})")
    if not isinstance(config, GPTConfig):
        raise TypeError(f"TinyGPT: config must be a GPTConfig, got {type(config).__name__}")
    return config


class GPTBody(Module):
    """nanoGPT's `transformer` container: wte, wpe, drop, h (the blocks), ln_f."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.wte = Embedding(config.vocab_size, config.n_embd)
        self.wpe = PositionalEmbedding(config.block_size, config.n_embd)
        self.drop = Dropout(config.dropout)
        self.h = Sequential(
            [
                TransformerBlock(config.n_embd, config.n_head, config.bias, config.dropout, config.gelu)
                for _ in range(config.n_layer)
            ]
        )
        self.ln_f = LayerNorm(config.n_embd, bias=config.bias)


class TinyGPT(Module):
    """A GPT language model: forward(idx (B, T), targets=None) -> (logits, loss), as nanoGPT.

    `TinyGPT(GPTConfig(...))`, or with keywords, the course plan's
    `TinyGPT(vocab_size=1000, layers=6, heads=8)`: missing values come from
    GPTConfig's defaults, except n_embd = 32 * heads (head size 32).
    `tokenizer`: optional, any object with encode(str) -> list[int] and
    decode(list[int]) -> str; `generate` then accepts and returns strings.
    """

    def __init__(
        self, config: GPTConfig | None = None, *, tokenizer: Any = None, **keywords: Unpack[GPTKeywords]
    ) -> None:
        super().__init__()
        self.config = config = gpt_config(config, keywords)
        self.tokenizer = tokenizer
        ### BEGIN SOLUTION 14
        self.transformer = GPTBody(config)
        self.lm_head = Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # weight tying: one parameter, two uses
        self._init_weights()
        ### END SOLUTION

    def _init_weights(self) -> None:
        """nanoGPT's: Linear and Embedding weights N(0, 0.02^2), biases 0, c_proj N(0, (0.02/√(2L))^2)."""
        ### BEGIN SOLUTION 14
        for module in self.modules():
            if isinstance(module, Linear):
                init.normal_(module.weight, 0.0, 0.02)
                if module.bias is not None:
                    init.zeros_(module.bias)
            elif isinstance(module, Embedding):
                init.normal_(module.weight, 0.0, 0.02)
        scale_residual_projections(self, self.config.n_layer)
        ### END SOLUTION

    def num_parameters(self, non_embedding: bool = True) -> int:
        """Parameter count (the tied table once); without the position table by default, as nanoGPT."""
        n = sum(p.size for p in self.parameters())
        return n - self.transformer.wpe.weight.size if non_embedding else n

    def _check_idx(self, idx: Any) -> np.ndarray:
        array = as_index_array(idx, self.config.vocab_size, "TinyGPT")
        if array.ndim != 2 or array.shape[1] == 0:
            raise ValueError(f"TinyGPT: idx must have shape (B, T) with T >= 1, got {array.shape}")
        if array.shape[1] > self.config.block_size:
            raise ValueError(
                f"TinyGPT: sequence of length {array.shape[1]} is longer than block_size "
                f"{self.config.block_size} (crop it to the last {self.config.block_size} tokens)"
            )
        return array

    def forward(self, idx: Any, targets: Any = None) -> tuple[Tensor, Tensor | None]:
        """idx (B, T) int64 -> (logits, loss).

        With targets (B, T): logits (B, T, vocab) and the mean cross-entropy. Without:
        logits of the last position only, (B, 1, vocab), and None (nanoGPT's shortcut).
        """
        array = self._check_idx(idx)
        target_array = None
        if targets is not None:
            target_array = as_index_array(targets, self.config.vocab_size, "TinyGPT targets")
            if target_array.shape != array.shape:
                raise ValueError(f"TinyGPT: targets have shape {target_array.shape}, idx {array.shape}")
        ### BEGIN SOLUTION 14
        body = self.transformer
        x = body.drop(body.wte(array) + body.wpe(array))  # (B, T, C) + (T, C)
        for block in body.h:
            x = block(x)
        x = body.ln_f(x)
        if target_array is None:
            return self.lm_head(x[:, -1:, :]), None  # (B, 1, vocab)
        logits = self.lm_head(x)  # (B, T, vocab)
        loss = cross_entropy(logits.reshape(-1, self.config.vocab_size), Tensor(target_array.reshape(-1)))
        return logits, loss
        ### END SOLUTION

    # ------------------------------------------------------------ generation (module 15)

    def _forward_cached(self, idx: np.ndarray, caches: list[KVCache], offset: int) -> np.ndarray:
        """Logits (B, vocab) of the last of idx's positions offset.., reusing and extending the caches."""
        ### BEGIN SOLUTION 15
        body = self.transformer
        x = body.wte(idx) + body.wpe(idx, offset=offset)  # (B, L, C)
        for block, cache in zip(body.h, caches, strict=True):
            x = block(x, cache)
        x = body.ln_f(x[:, -1:, :])
        return self.lm_head(x).data[:, -1, :]
        ### END SOLUTION

    def generate(
        self,
        prompt: Any,
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
        temperature: float = 1.0,
        top_k: int | None = None,
        seed: int | None = None,
        use_cache: bool = True,
    ) -> Any:
        """Continue `prompt` by `max_new_tokens` sampled tokens (default 200, DEFAULT_MAX_NEW_TOKENS);
        returns prompt + continuation.

        prompt: a string (encoded with self.tokenizer; a string is returned), or token ids:
        a list of ints, a Tensor/array (T,) or (B, T) (a batch; an int64 Tensor of shape
        (T + n,) or (B, T + n) is returned). temperature 0 is greedy (argmax); top_k keeps
        the k most likely tokens. seed: a private generator, else tinytorch.core's global
        one (manual_seed). The context is cropped to the last block_size tokens. use_cache:
        keep each layer's keys and values (the same tokens, fewer FLOPs); once the sequence
        outgrows block_size every step recomputes its window, since positions shift.
        No graph is built (no_grad); the model's train/eval mode is restored afterwards.
        """
        text = isinstance(prompt, str)
        idx, batched = self._prompt_ids(prompt)
        if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, (int, np.integer)):
            raise TypeError(f"generate: max_new_tokens must be an int, got {max_new_tokens!r}")
        if max_new_tokens < 0:
            raise ValueError(f"generate: max_new_tokens must be >= 0, got {max_new_tokens}")
        if not (isinstance(temperature, (int, float)) and math.isfinite(temperature) and temperature >= 0):
            raise ValueError(f"generate: temperature must be a finite number >= 0, got {temperature!r}")
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
            raise ValueError(f"generate: top_k must be None or an int >= 1, got {top_k!r}")
        rng = np.random.default_rng(seed) if seed is not None else generator()
        try:
            with eval_mode(self), no_grad():
                idx = self._generate_ids(idx, int(max_new_tokens), float(temperature), top_k, rng, use_cache)
        except NonFiniteLogitsError as error:
            raise NonFiniteLogitsError(
                f"{_generate_step(error.position, idx.shape[1], int(max_new_tokens))}: {error}",
                error.position,
            ) from None
        if text:
            return self.tokenizer.decode(idx[0].tolist())
        return Tensor(idx if batched else idx[0])

    def _prompt_ids(self, prompt: Any) -> tuple[np.ndarray, bool]:
        """The prompt as (B, T) int64 ids, and whether it was batched."""
        if isinstance(prompt, str):
            if self.tokenizer is None:
                raise TypeError(
                    "generate: a string prompt needs model.tokenizer (an object with encode/decode); "
                    "set it, or pass token ids"
                )
            prompt = self.tokenizer.encode(prompt)
        array = as_index_array(prompt, self.config.vocab_size, "generate")
        if array.ndim not in (1, 2) or array.shape[-1] == 0:
            raise ValueError(
                f"generate: prompt ids must have shape (T,) or (B, T) with T >= 1, got {array.shape}"
            )
        return (array if array.ndim == 2 else array[None, :]), array.ndim == 2

    def _new_caches(self, batch: int) -> list[KVCache]:
        """One empty KVCache per layer for `batch` sequences of up to block_size positions."""
        cfg = self.config
        head_size, dtype = cfg.n_embd // cfg.n_head, self.transformer.wte.weight.dtype
        return [KVCache(batch, cfg.n_head, cfg.block_size, head_size, dtype) for _ in range(cfg.n_layer)]

    def _generate_ids(
        self,
        idx: np.ndarray,
        max_new_tokens: int,
        temperature: float,
        top_k: int | None,
        rng: np.random.Generator,
        use_cache: bool,
    ) -> np.ndarray:
        ### BEGIN SOLUTION 15
        block_size, length = self.config.block_size, idx.shape[1]
        out = np.empty((idx.shape[0], length + max_new_tokens), dtype=np.int64)  # (B, T + n)
        out[:, :length] = idx
        caches: list[KVCache] | None = None
        for _ in range(max_new_tokens):
            if use_cache and length <= block_size:
                if caches is None:  # prefill: the whole prompt once
                    caches = self._new_caches(idx.shape[0])
                    logits = self._forward_cached(out[:, :length], caches, 0)
                else:  # one new token, at position length - 1
                    logits = self._forward_cached(out[:, length - 1 : length], caches, length - 1)
            else:  # no cache, or the window slides: recompute the last block_size tokens
                logits = self(out[:, max(0, length - block_size) : length])[0].data[:, -1, :]
            out[:, length] = sample_next(logits, temperature, top_k, rng, position=length)
            length += 1
        return out
        ### END SOLUTION


def _generate_step(position: int | None, prompt_length: int, max_new_tokens: int) -> str:
    """'generate: new token 3 of 6 (sequence position 5)' for an error at `position`, else 'generate'."""
    if position is None:
        return "generate"
    step = position - prompt_length + 1
    return f"generate: new token {step} of {max_new_tokens} (sequence position {position})"


class NonFiniteLogitsError(RuntimeError):
    """Logits with NaN or +inf (or a row of only -inf) given to sampling: softmax of them is not a
    probability distribution, so there is nothing to draw from (torch.multinomial's RuntimeError).

    `position`: the sequence position of the token being drawn, when the caller said (else None).
    """

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


def check_logits(logits: np.ndarray, op: str = "sample_next", position: int | None = None) -> None:
    """Raise NonFiniteLogitsError naming `op`, the first bad row and what it holds if logits (B, V)
    contain NaN or +inf or a row of only -inf. -inf entries are fine (masked tokens) while their
    row keeps a finite logit. One isfinite pass when all is well."""
    if np.isfinite(logits).all():
        return
    nan, posinf = np.isnan(logits), np.isposinf(logits)
    bad_rows = nan.any(axis=-1) | posinf.any(axis=-1) | np.isneginf(logits).all(axis=-1)
    if not bad_rows.any():
        return  # only masked (-inf) entries
    row = int(np.flatnonzero(bad_rows)[0])
    found = [
        f"{int(mask[row].sum())} {name} (first at token id {int(np.argmax(mask[row]))})"
        for mask, name in ((nan, "nan"), (posinf, "+inf"))
        if mask[row].any()
    ]
    raise NonFiniteLogitsError(
        f"{op}: probability tensor contains either `inf`, `nan` or element < 0: row {row} of the logits "
        f"{logits.shape} holds {' and '.join(found) or 'only -inf'}; {int(bad_rows.sum())} of "
        f"{bad_rows.size} rows affected. The model's output is not finite (NaN or overflowing "
        "weights or activations, e.g. after a diverged training run: check its loss)",
        position,
    )


def sample_next(
    logits: np.ndarray,
    temperature: float,
    top_k: int | None,
    rng: np.random.Generator,
    position: int | None = None,
) -> np.ndarray:
    """Next token ids (B,) from logits (B, V): argmax at temperature 0, else a draw from
    softmax(logits / temperature) restricted to the top_k largest (one uniform per row).

    Logits with NaN or +inf, or a row of only -inf, raise NonFiniteLogitsError (a RuntimeError,
    as torch.multinomial) before anything is drawn; `position` (the sequence position of the
    token being drawn) only goes into that error, so that generate can name the step."""
    check_logits(logits, "sample_next", position)
    ### BEGIN SOLUTION 15
    if temperature == 0:
        return logits.argmax(axis=-1)
    z = logits.astype(np.float64) / temperature
    vocab = z.shape[-1]
    if top_k is not None and top_k < vocab:
        kth = np.partition(z, vocab - top_k, axis=-1)[:, vocab - top_k, None]  # the k-th largest
        z[z < kth] = -np.inf
    z -= z.max(axis=-1, keepdims=True)
    probs = np.exp(z)
    cdf = np.cumsum(probs, axis=-1)  # (B, V), unnormalised
    u = rng.random(z.shape[0]) * cdf[:, -1]  # one uniform per row, scaled to the total
    picked = (cdf <= u[:, None]).sum(axis=-1)  # the first index whose cdf exceeds u
    return np.minimum(picked, vocab - 1)
    ### END SOLUTION


__all__ = [
    "DEFAULT_MAX_NEW_TOKENS",
    "GPTBody",
    "GPTConfig",
    "NonFiniteLogitsError",
    "TinyGPT",
    "check_logits",
    "sample_next",
]
