"""tinytorch.text.functional: the stateless text ops (mirrors torch.nn.functional's names).

Embedding lookup and positions, attention (fused and readable), layer norm
(fused and readable). Each lives in its concept's file beside its Function and module; this file gathers them.
"""

from tinytorch.text.attention import scaled_dot_product_attention, scaled_dot_product_attention_reference
from tinytorch.text.embedding import embedding, embedding_backward, sinusoidal_table
from tinytorch.text.layer_norm import layer_norm, layer_norm_reference

__all__ = [
    "embedding",
    "embedding_backward",
    "layer_norm",
    "layer_norm_reference",
    "scaled_dot_product_attention",
    "scaled_dot_product_attention_reference",
    "sinusoidal_table",
]
