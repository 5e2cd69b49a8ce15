"""tinytorch's error types: PyTorch's built-in types, plus the one tinytorch raised before.

Code ported from PyTorch catches PyTorch's exception types: a shape mismatch is a
`RuntimeError` there, a dim out of range an `IndexError`. Each class here derives
from that type *and* from the type tinytorch raised before (`ValueError`,
`TypeError`), so both `except RuntimeError` (PyTorch habits) and `except
ValueError` (older tinytorch code) catch it. The package README has the table of
which mistake raises which class.
"""

from __future__ import annotations

__all__ = [
    "ArgumentError",
    "DTypeError",
    "DimensionError",
    "IndexTypeError",
    "ShapeError",
    "torch_error_type",
]


class ShapeError(RuntimeError, ValueError):
    """Shapes or sizes that do not fit the op (PyTorch: `RuntimeError`).

    matmul inner sizes, broadcasting, reshape/view sizes, expand, cat/stack
    sizes, permute dims that are no permutation, a dim named twice, item() of
    many elements, a layer's input features or channels.
    """


class DimensionError(IndexError, ValueError):
    """A dim argument out of range for the tensor (PyTorch: `IndexError`,
    "Dimension out of range"), or a reduction over an empty dim."""


class IndexTypeError(IndexError, TypeError):
    """An index of a type that cannot index, e.g. a float tensor (PyTorch: `IndexError`)."""


class DTypeError(RuntimeError, TypeError):
    """A dtype the op refuses: mixed dtypes, requires_grad on an int tensor, a
    non-bool condition (PyTorch: `RuntimeError`)."""


class ArgumentError(RuntimeError, ValueError):
    """An argument value PyTorch's kernels reject at run time (PyTorch: `RuntimeError`),
    e.g. clip with no bound, arange with step 0, a non-positive stride."""


_OWN = (ShapeError, DimensionError, IndexTypeError, DTypeError, ArgumentError)


def torch_error_type(err: Exception) -> type[Exception]:
    """The type to re-raise an error from inside an op's NumPy code as.

    NumPy says `ValueError` for shape mismatches (broadcasting, reshape,
    concatenate), PyTorch `RuntimeError`: they become `ShapeError`. NumPy's
    `AxisError` (IndexError and ValueError) becomes `DimensionError`; other
    IndexErrors (an index out of bounds) and tinytorch's own types stay.
    """
    kind = type(err)
    if issubclass(kind, _OWN):
        return kind
    if issubclass(kind, IndexError):
        return DimensionError if issubclass(kind, ValueError) else IndexError
    if issubclass(kind, ValueError):
        return ShapeError
    return kind
