"""tinytorch.vision.functional: convolution and pooling as functions (mirrors torch.nn.functional).

The fast versions under PyTorch's names, and the loop versions (`*_reference`)
they are tested against. Implemented in conv.py and pool.py, beside their Modules.
"""

from tinytorch.vision.adaptive_pool import adaptive_avg_pool2d
from tinytorch.vision.conv import conv2d, conv2d_reference
from tinytorch.vision.conv1d import conv1d
from tinytorch.vision.conv_transpose import conv_transpose2d
from tinytorch.vision.pool import avg_pool2d, avg_pool2d_reference, max_pool2d, max_pool2d_reference

__all__ = [
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "avg_pool2d_reference",
    "conv1d",
    "conv2d",
    "conv2d_reference",
    "conv_transpose2d",
    "max_pool2d",
    "max_pool2d_reference",
]
