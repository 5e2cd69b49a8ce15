"""tinytorch.nn.functional: the stateless functions behind the modules (mirrors torch.nn.functional).

Activations (module 03), linear and dropout (module 04), losses (module 06).
More activations, normalize (activations_more.py), the L1/smooth L1/Huber losses
(losses_regression.py), and tt-core's one_hot and pad under their PyTorch F names.
Each is defined beside its autograd Function and its Module (activations.py,
linear.py, dropout.py, losses.py); this module gathers them under PyTorch's names.
"""

from tinytorch.core import one_hot, pad
from tinytorch.nn.activations import gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from tinytorch.nn.activations_more import elu, hardtanh, normalize, relu6, silu, softplus
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
from tinytorch.nn.losses_regression import huber_loss, l1_loss, smooth_l1_loss

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "cross_entropy_reference",
    "dropout",
    "elu",
    "gelu",
    "hardtanh",
    "huber_loss",
    "l1_loss",
    "leaky_relu",
    "linear",
    "linear_reference",
    "log_softmax",
    "mse_loss",
    "nll_loss",
    "normalize",
    "one_hot",
    "pad",
    "relu",
    "relu6",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softplus",
    "tanh",
]
