"""Errors have PyTorch's types (tinytorch.core.errors), and keep the type tinytorch raised before.

Each case: the bad call, the tinytorch class it raises, the built-in type PyTorch raises for
the same mistake (checked against torch itself in tests/oracle/test_oracle_errors.py), the
type tinytorch raised before (old `except` clauses keep working) and the message.
"""

import numpy as np
import pytest

import tinytorch.core as tt
from tinytorch.core import ArgumentError, DimensionError, DTypeError, IndexTypeError, ShapeError, Tensor


def _case(fn, cls, torch_type, old_type, message, marks=pytest.mark.module02):
    return pytest.param(fn, cls, torch_type, old_type, message, marks=marks)


# Raised by the argument checks (given code), before any op computes.
CHECKS = {
    "matmul-inner": _case(
        lambda: tt.ones(2, 3) @ tt.ones(4, 5),
        ShapeError,
        RuntimeError,
        ValueError,
        r"matmul: cannot multiply shapes \(2, 3\) and \(4, 5\)",
    ),
    "matmul-0d": _case(
        lambda: tt.ones(()) @ tt.ones(3), ShapeError, RuntimeError, ValueError, "matmul: both operands need"
    ),
    "matmul-dtypes": _case(
        lambda: tt.ones(2, 3) @ tt.ones(3, 2, dtype="float64"),
        DTypeError,
        RuntimeError,
        TypeError,
        r"matmul: mixed dtypes \(float32, float64\)",
    ),
    "permute-repeated": _case(
        lambda: tt.ones(2, 3).permute(0, 0),
        ShapeError,
        RuntimeError,
        ValueError,
        "permute: .*not a permutation",
    ),
    "permute-count": _case(
        lambda: tt.ones(2, 3).permute(0), ShapeError, RuntimeError, ValueError, "permute: .*not a permutation"
    ),
    "permute-range": _case(
        lambda: tt.ones(2, 3).permute(0, 5),
        DimensionError,
        IndexError,
        ValueError,
        r"permute: dim 5 is out of range .*2 dimension",
    ),
    "transpose-range": _case(
        lambda: tt.ones(2, 3).transpose(0, 2),
        DimensionError,
        IndexError,
        ValueError,
        "transpose: dim 2 is out",
    ),
    "squeeze-range": _case(
        lambda: tt.ones(2, 3).squeeze(2), DimensionError, IndexError, ValueError, "squeeze: dim 2 is out"
    ),
    "unsqueeze-range": _case(
        lambda: tt.ones(2, 3).unsqueeze(-4),
        DimensionError,
        IndexError,
        ValueError,
        "unsqueeze: dim -4 is out",
    ),
    "flatten-range": _case(
        lambda: tt.ones(2, 3).flatten(2), DimensionError, IndexError, ValueError, "flatten: dim 2 is out"
    ),
    "expand-fewer": _case(
        lambda: tt.ones(2, 3).expand(3), ShapeError, RuntimeError, ValueError, "expand: .*fewer dimensions"
    ),
    "expand-leading-minus-one": _case(
        lambda: tt.ones(3).expand(-1, 3), ShapeError, RuntimeError, ValueError, "expand: -1 is not allowed"
    ),
    "expand-size": _case(
        lambda: tt.ones(2, 3).expand(2, 4), ShapeError, RuntimeError, ValueError, "expand: cannot expand"
    ),
    "reshape-negative": _case(
        lambda: tt.ones(2, 3).reshape(-2, 3),
        ShapeError,
        RuntimeError,
        ValueError,
        r"reshape: invalid size -2 in shape \(-2, 3\)",
    ),
    "view-negative": _case(
        lambda: tt.ones(2, 3).view(3, -5), ShapeError, RuntimeError, ValueError, "view: invalid size -5"
    ),
    "sum-range": _case(
        lambda: tt.ones(2, 3).sum(2), DimensionError, IndexError, ValueError, r"sum: axis 2 is out .*\(2, 3\)"
    ),
    "mean-range": _case(
        lambda: tt.ones(2, 3).mean(-3), DimensionError, IndexError, ValueError, "mean: axis -3 is out"
    ),
    "max-range": _case(lambda: tt.ones(2, 3).max(2), DimensionError, IndexError, ValueError, "max: axis 2"),
    "min-range": _case(
        lambda: tt.ones(2, 3).min((0, 2)), DimensionError, IndexError, ValueError, "min: axis 2"
    ),
    "var-range": _case(lambda: tt.ones(2, 3).var(2), DimensionError, IndexError, ValueError, "var: axis 2"),
    "argmax-range": _case(
        lambda: tt.ones(2, 3).argmax(2), DimensionError, IndexError, ValueError, "argmax: axis 2"
    ),
    "sum-axis-twice": _case(
        lambda: tt.ones(2, 3).sum((0, -2)), ShapeError, RuntimeError, ValueError, "sum: .*the same axis twice"
    ),
    "max-empty": _case(
        lambda: tt.ones(0).max(), ShapeError, RuntimeError, ValueError, r"max: .*empty tensor of shape \(0,\)"
    ),
    "min-empty-axis": _case(
        lambda: tt.ones(0, 3).min(0),
        DimensionError,
        IndexError,
        ValueError,
        r"min: axis 0 of shape \(0, 3\) is empty",
    ),
    "argmax-empty": _case(
        lambda: tt.ones(0).argmax(), DimensionError, IndexError, ValueError, r"argmax: empty tensor .*\(0,\)"
    ),
    "argmax-empty-axis": _case(
        lambda: tt.ones(0, 3).argmax(0), DimensionError, IndexError, ValueError, r"argmax: axis 0 .* is empty"
    ),
    "cat-range": _case(
        lambda: tt.cat([tt.ones(2, 3), tt.ones(2, 3)], 2),
        DimensionError,
        IndexError,
        ValueError,
        "cat: dim 2",
    ),
    "cat-0d": _case(
        lambda: tt.cat([tt.ones(()), tt.ones(())]),
        ShapeError,
        RuntimeError,
        ValueError,
        "cat: zero-dimensional tensor .*item 0.* cannot be concatenated",
    ),
    "stack-range": _case(
        lambda: tt.stack([tt.ones(2), tt.ones(2)], 2), DimensionError, IndexError, ValueError, "stack: dim 2"
    ),
    "stack-empty": _case(
        lambda: tt.stack([]), ShapeError, RuntimeError, ValueError, "stack: expected a non-empty sequence"
    ),
    "index-float-tensor": _case(
        lambda: tt.ones(3)[tt.ones(2)],
        IndexTypeError,
        IndexError,
        TypeError,
        "getitem: tensors used as indices must be int64 or bool",
    ),
    "index-float-array": _case(
        lambda: tt.ones(3)[np.zeros(2)],
        IndexTypeError,
        IndexError,
        TypeError,
        "getitem: index arrays must be integers or bools",
    ),
    "index-float": _case(
        lambda: tt.ones(3)[1.5], IndexTypeError, IndexError, IndexError, "getitem: .*float.*only integers"
    ),
    "index-str": _case(
        lambda: tt.ones(3)["a"], IndexTypeError, TypeError, IndexError, "getitem: .*str.*only integers"
    ),
    "item-many": _case(
        lambda: tt.ones(2, 3).item(), ShapeError, RuntimeError, ValueError, r"item: .*got shape \(2, 3\)"
    ),
    "bool-many": _case(lambda: bool(tt.ones(2)), ShapeError, RuntimeError, ValueError, "ambiguous"),
    "compare-broadcast": _case(
        lambda: tt.ones(2, 2) > tt.ones(3),
        ShapeError,
        RuntimeError,
        ValueError,
        r"greater: .*\(2, 2\), \(3,\)",
    ),
    "requires-grad-int": _case(
        lambda: tt.zeros(2, dtype="int64", requires_grad=True),
        DTypeError,
        RuntimeError,
        TypeError,
        "requires_grad: only floating-point tensors",
    ),
    "where-condition": _case(
        lambda: tt.where(tt.ones(2), tt.ones(2), 0.0),
        DTypeError,
        RuntimeError,
        TypeError,
        "where: the condition must be a bool",
    ),
    "clip-no-bound": _case(
        lambda: tt.ones(2).clip(), ArgumentError, RuntimeError, ValueError, "clip: give at least one"
    ),
    "arange-step-0": _case(
        lambda: tt.arange(0, 5, 0), ArgumentError, RuntimeError, ValueError, "arange: step must not be zero"
    ),
    "zeros-negative": _case(
        lambda: tt.zeros(2, -1),
        ShapeError,
        RuntimeError,
        ValueError,
        r"zeros: negative dimension -1 in shape",
    ),
    "full-negative": _case(
        lambda: tt.full((-1,), 1.0), ShapeError, RuntimeError, ValueError, "full: negative dimension -1"
    ),
    "randn-negative": _case(
        lambda: tt.randn(-3), ShapeError, RuntimeError, ValueError, "randn: negative dimension -3"
    ),
    "backward-grad-shape": _case(
        lambda: tt.ones(2, requires_grad=True).backward(np.ones(3)),
        ShapeError,
        RuntimeError,
        ValueError,
        r"backward: grad has shape \(3,\) but the output has shape \(2,\)",
        marks=pytest.mark.module05,
    ),
}

# Raised by NumPy inside an op's forward (the student's code); Function.apply names the op and
# the shapes and gives NumPy's ValueError PyTorch's type.
FORWARD = {
    "add-broadcast": _case(
        lambda: Tensor(np.ones((2, 3))) + Tensor(np.ones(4)),
        ShapeError,
        RuntimeError,
        ValueError,
        r"add: .*broadcast.*\(input shapes \(2, 3\), \(4,\)\)",
    ),
    "mul-broadcast": _case(
        lambda: Tensor(np.ones((2, 3))) * Tensor(np.ones((2, 4))),
        ShapeError,
        RuntimeError,
        ValueError,
        "mul: ",
    ),
    "maximum-broadcast": _case(
        lambda: tt.maximum(Tensor(np.ones(3)), Tensor(np.ones(4))),
        ShapeError,
        RuntimeError,
        ValueError,
        "maximum",
    ),
    "where-broadcast": _case(
        lambda: tt.where(Tensor(np.ones(3)) > 0, Tensor(np.ones(4)), 0.0),
        ShapeError,
        RuntimeError,
        ValueError,
        "where",
    ),
    "matmul-batch": _case(
        lambda: Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((3, 4, 5))),
        ShapeError,
        RuntimeError,
        ValueError,
        r"matmul: .*\(2, 3, 4\), \(3, 4, 5\)",
    ),
    "reshape-size": _case(
        lambda: Tensor(np.ones((2, 3))).reshape(4, 2),
        ShapeError,
        RuntimeError,
        ValueError,
        "reshape: .*size 6",
    ),
    "reshape-two-unknown": _case(
        lambda: Tensor(np.ones((2, 3))).reshape(-1, -1), ShapeError, RuntimeError, ValueError, "reshape: "
    ),
    "view-size": _case(
        lambda: Tensor(np.ones((2, 3))).view(4), ShapeError, RuntimeError, ValueError, "view: "
    ),
    "view-strides": _case(
        lambda: Tensor(np.ones((2, 3))).T.view(6), ShapeError, RuntimeError, ValueError, "view: .*use reshape"
    ),
    "cat-sizes": _case(
        lambda: tt.cat([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))]),
        ShapeError,
        RuntimeError,
        ValueError,
        r"cat: .*\(2, 3\), \(2, 4\)",
    ),
    "cat-ndim": _case(
        lambda: tt.cat([Tensor(np.ones((2, 3))), Tensor(np.ones(3))]),
        ShapeError,
        RuntimeError,
        ValueError,
        "cat: ",
    ),
    "stack-sizes": _case(
        lambda: tt.stack([Tensor(np.ones(2)), Tensor(np.ones(3))]),
        ShapeError,
        RuntimeError,
        ValueError,
        r"stack: .*\(2,\), \(3,\)",
    ),
    "index-range": _case(
        lambda: Tensor(np.ones(3))[3],
        IndexError,
        IndexError,
        IndexError,
        r"getitem: index 3 is out of bounds",
    ),
    "index-mask-shape": _case(
        lambda: Tensor(np.ones(3))[Tensor(np.array([True, False]))],
        IndexError,
        IndexError,
        IndexError,
        "getitem",
    ),
}


def _check(fn, cls, torch_type, old_type, message):
    with pytest.raises(cls, match=message) as info:
        fn()
    assert type(info.value) is cls, f"raised {type(info.value).__name__}, expected {cls.__name__}"
    assert isinstance(info.value, torch_type), f"{cls.__name__} is no {torch_type.__name__} (PyTorch's type)"
    assert isinstance(info.value, old_type), f"{cls.__name__} is no {old_type.__name__}: old code breaks"


@pytest.mark.parametrize(("fn", "cls", "torch_type", "old_type", "message"), CHECKS.values(), ids=CHECKS)
def test_argument_checks_raise_pytorchs_error_types(fn, cls, torch_type, old_type, message):
    _check(fn, cls, torch_type, old_type, message)


@pytest.mark.parametrize(("fn", "cls", "torch_type", "old_type", "message"), FORWARD.values(), ids=FORWARD)
def test_numpy_errors_in_forward_get_pytorchs_error_types(fn, cls, torch_type, old_type, message):
    _check(fn, cls, torch_type, old_type, message)
