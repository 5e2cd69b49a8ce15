"""tinytorch.nn: modules, layers, activations, losses, init (mirrors torch.nn).

Depends on tinytorch.core only. One file per concept, each holding its
autograd Function, its functional form and its Module: activations.py,
linear.py, dropout.py, losses.py; layers.py has the weightless layers
(Sequential, Flatten, Identity), module.py Module and Parameter.
`tinytorch.nn.functional` gathers the functions, `tinytorch.nn.init` the weight
initialisers.
"""

from tinytorch.nn import functional, init
from tinytorch.nn.activations import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from tinytorch.nn.activations_more import ELU, Hardtanh, ReLU6, SiLU, Softplus
from tinytorch.nn.batch_norm import BatchNorm1d, BatchNorm2d
from tinytorch.nn.dropout import Dropout
from tinytorch.nn.layers import Flatten, Identity, Sequential
from tinytorch.nn.linear import Linear
from tinytorch.nn.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from tinytorch.nn.losses_regression import HuberLoss, L1Loss, SmoothL1Loss
from tinytorch.nn.module import Module, Parameter, eval_mode

__version__ = "0.1.1"

__all__ = [
    "ELU",
    "GELU",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "Hardtanh",
    "HuberLoss",
    "Identity",
    "L1Loss",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "Module",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "ReLU6",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "SmoothL1Loss",
    "Softmax",
    "Softplus",
    "Tanh",
    "eval_mode",
    "functional",
    "init",
]
