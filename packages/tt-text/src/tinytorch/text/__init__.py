"""tinytorch.text: tokenizers, embeddings, attention, transformer blocks, TinyGPT, generation.

Depends on tinytorch.core, tinytorch.nn and tinytorch.train. `tinytorch.text.functional`
holds the stateless ops (attention, layer norm, embedding lookup); `tinytorch.text.tokenizers`
the tokenizers, `tinytorch.text.datasets` the Shakespeare corpus and batching (module 15), and
`tinytorch.text.training` nanoGPT's training loop (milestone 4).
"""

from tinytorch.text import datasets, functional, tokenizers
from tinytorch.text.attention import scaled_dot_product_attention, scaled_dot_product_attention_reference
from tinytorch.text.datasets import ShakespeareDataset, TextData, load_shakespeare
from tinytorch.text.embedding import Embedding, PositionalEmbedding, SinusoidalPositionalEncoding
from tinytorch.text.gpt import GPTConfig, TinyGPT
from tinytorch.text.layer_norm import LayerNorm
from tinytorch.text.multi_head_attention import (
    MultiHeadAttention,
    SelfAttention,
    mha_state_from_torch,
    mha_state_to_torch,
)
from tinytorch.text.tokenizers import (
    BPETokenizer,
    CharTokenizer,
    Tokenizer,
    TokenizerFileError,
    load_tokenizer,
)
from tinytorch.text.transformer import MLP, CausalSelfAttention, KVCache, TransformerBlock

# isort: split
# Last: training builds on tinytorch.text.gpt and .datasets, so they are fully loaded first.
from tinytorch.text import training
from tinytorch.text.training import TrainConfig, TrainResult, train_on_shakespeare

__version__ = "0.1.1"

__all__ = [
    "MLP",
    "BPETokenizer",
    "CausalSelfAttention",
    "CharTokenizer",
    "Embedding",
    "GPTConfig",
    "KVCache",
    "LayerNorm",
    "MultiHeadAttention",
    "PositionalEmbedding",
    "SelfAttention",
    "ShakespeareDataset",
    "SinusoidalPositionalEncoding",
    "TextData",
    "TinyGPT",
    "Tokenizer",
    "TokenizerFileError",
    "TrainConfig",
    "TrainResult",
    "TransformerBlock",
    "datasets",
    "functional",
    "load_shakespeare",
    "load_tokenizer",
    "mha_state_from_torch",
    "mha_state_to_torch",
    "scaled_dot_product_attention",
    "scaled_dot_product_attention_reference",
    "tokenizers",
    "train_on_shakespeare",
    "training",
]
