"""The vision layers, re-exported: `Conv2d` lives in conv.py, `MaxPool2d` / `AvgPool2d` in pool.py,
each beside its Functions and functional form; `tinytorch.vision.layers.Conv2d` keeps working."""

from tinytorch.vision.adaptive_pool import AdaptiveAvgPool2d
from tinytorch.vision.conv import Conv2d
from tinytorch.vision.conv1d import Conv1d
from tinytorch.vision.conv_transpose import ConvTranspose2d
from tinytorch.vision.pool import AvgPool2d, MaxPool2d

__all__ = ["AdaptiveAvgPool2d", "AvgPool2d", "Conv1d", "Conv2d", "ConvTranspose2d", "MaxPool2d"]
