"""tinytorch.nn.functional: the stateless functions behind the modules (mirrors torch.nn.functional).

Activations (module 03), linear and dropout (module 04), losses (module 06).
Each is defined beside its autograd Function and its Module (activations.py,
linear.py, dropout.py, losses.py); this module gathers them under PyTorch's names.
"""

from tinytorch.nn.activations import gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from tinytorch.nn.dropout import dropout
from tinytorch.nn.linear import linear, linear_reference
from tinytorch.nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    cross_entropy_reference,
    mse_loss,
    nll_loss,
)

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "cross_entropy_reference",
    "dropout",
    "gelu",
    "leaky_relu",
    "linear",
    "linear_reference",
    "log_softmax",
    "mse_loss",
    "nll_loss",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]
