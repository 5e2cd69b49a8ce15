"""Deprecated path: the activation Functions now live in activations.py beside their Modules.

Re-exported under their old names so that existing imports keep working.
"""

from tinytorch.nn.activations import GELU_APPROXIMATIONS, check_float, norm_dim, stable_sigmoid
from tinytorch.nn.activations import GELUFunction as GELU  # noqa: N814 (the old name)
from tinytorch.nn.activations import LeakyReLUFunction as LeakyReLU
from tinytorch.nn.activations import LogSoftmaxFunction as LogSoftmax
from tinytorch.nn.activations import ReLUFunction as ReLU
from tinytorch.nn.activations import SigmoidFunction as Sigmoid
from tinytorch.nn.activations import SoftmaxFunction as Softmax
from tinytorch.nn.activations import TanhFunction as Tanh
from tinytorch.nn.functional import gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, tanh

__all__ = [
    "GELU",
    "GELU_APPROXIMATIONS",
    "LeakyReLU",
    "LogSoftmax",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "check_float",
    "gelu",
    "leaky_relu",
    "log_softmax",
    "norm_dim",
    "relu",
    "sigmoid",
    "softmax",
    "stable_sigmoid",
    "tanh",
]
