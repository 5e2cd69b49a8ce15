"""tinytorch.nn: modules, layers, activations, losses, init (mirrors torch.nn).

Depends on tinytorch.core only. `tinytorch.nn.functional` holds the stateless
functions, `tinytorch.nn.init` the weight initialisers.
"""

from tinytorch.nn import functional, init
from tinytorch.nn.activations import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from tinytorch.nn.layers import Dropout, Flatten, Identity, Linear, Sequential
from tinytorch.nn.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from tinytorch.nn.module import Module, Parameter

__version__ = "0.1.1"

__all__ = [
    "GELU",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "Identity",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "Module",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "functional",
    "init",
]
