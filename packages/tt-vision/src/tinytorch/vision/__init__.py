"""tinytorch.vision (being written)."""

from tinytorch.vision import functional
from tinytorch.vision.layers import AvgPool2d, Conv2d, MaxPool2d

__version__ = "0.1.0"

__all__: list[str] = [
    "AvgPool2d",
    "Conv2d",
    "MaxPool2d",
    "functional",
]
