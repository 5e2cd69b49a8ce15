"""Deprecated path: Linear's and Dropout's Functions now live in linear.py and dropout.py.

Re-exported under their old names so that existing imports keep working.
"""

from tinytorch.nn.dropout import DropoutFunction as Dropout
from tinytorch.nn.dropout import check_dropout_p, dropout, dropout_scale
from tinytorch.nn.linear import LinearFunction as Linear
from tinytorch.nn.linear import check_linear_args, linear, linear_reference

__all__ = [
    "Dropout",
    "Linear",
    "check_dropout_p",
    "check_linear_args",
    "dropout",
    "dropout_scale",
    "linear",
    "linear_reference",
]
