"""Data sets, as `torchvision.datasets`: `MNIST` (module 10) and its IDX file format."""

from tinytorch.vision.datasets.idx import IDXError, encode_idx, parse_idx, read_idx
from tinytorch.vision.datasets.mnist import MNIST, MNIST_MEAN, MNIST_STD, load_mnist

__all__ = [
    "MNIST",
    "MNIST_MEAN",
    "MNIST_STD",
    "IDXError",
    "encode_idx",
    "load_mnist",
    "parse_idx",
    "read_idx",
]
