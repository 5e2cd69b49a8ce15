"""tinytorch.nn: modules, layers, activations, losses (mirrors torch.nn)."""

from tinytorch.nn.module import Module, Parameter

__version__ = "0.1.0"

__all__ = ["Module", "Parameter"]
