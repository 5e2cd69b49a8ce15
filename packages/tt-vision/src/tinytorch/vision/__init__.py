"""tinytorch.vision (being written)."""

from tinytorch.vision import datasets, functional, transforms
from tinytorch.vision.adaptive_pool import AdaptiveAvgPool2d
from tinytorch.vision.conv import Conv2d
from tinytorch.vision.conv1d import Conv1d
from tinytorch.vision.conv_transpose import ConvTranspose2d
from tinytorch.vision.datasets import MNIST
from tinytorch.vision.pool import AvgPool2d, MaxPool2d

__version__ = "0.1.0"

__all__: list[str] = [
    "MNIST",
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "Conv1d",
    "Conv2d",
    "ConvTranspose2d",
    "MaxPool2d",
    "datasets",
    "functional",
    "transforms",
]
