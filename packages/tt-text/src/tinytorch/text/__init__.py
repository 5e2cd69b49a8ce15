"""tinytorch.text: tokenizers, embeddings, attention, transformer blocks, TinyGPT, generation.

Depends on tinytorch.core, tinytorch.nn and tinytorch.train. `tinytorch.text.functional`
holds the stateless ops (attention, layer norm, embedding lookup).
"""

# model side (modules 13-15)
from tinytorch.text import functional
from tinytorch.text.attention import (
    Attention,
    MultiHeadAttention,
    SelfAttention,
    mha_state_from_torch,
    mha_state_to_torch,
    scaled_dot_product_attention,
    scaled_dot_product_attention_reference,
)
from tinytorch.text.embedding import Embedding, PositionalEmbedding, SinusoidalPositionalEncoding
from tinytorch.text.gpt import GPTConfig, TinyGPT
from tinytorch.text.transformer import MLP, CausalSelfAttention, KVCache, LayerNorm, TransformerBlock

__version__ = "0.1.0"

_MODEL_EXPORTS = [
    "MLP",
    "Attention",
    "CausalSelfAttention",
    "Embedding",
    "GPTConfig",
    "KVCache",
    "LayerNorm",
    "MultiHeadAttention",
    "PositionalEmbedding",
    "SelfAttention",
    "SinusoidalPositionalEncoding",
    "TinyGPT",
    "TransformerBlock",
    "functional",
    "mha_state_from_torch",
    "mha_state_to_torch",
    "scaled_dot_product_attention",
    "scaled_dot_product_attention_reference",
]

__all__: list[str] = [*_MODEL_EXPORTS]
