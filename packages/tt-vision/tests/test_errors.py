"""tt-vision's errors have PyTorch's types (tinytorch.core.errors), and keep the type raised before.

Each case: the bad call, the class tinytorch raises, the built-in type PyTorch raises for the
same mistake (checked against torch itself in tests/oracle/test_oracle_errors.py), the type
tinytorch raised before (old `except` clauses keep working) and the message. All are module 09's
(convolution and pooling); their checks run before the student's code.
"""

import pytest

import tinytorch.core as tt
from tinytorch.core import ArgumentError, DTypeError, ShapeError
from tinytorch.vision import AvgPool2d, Conv2d, MaxPool2d
from tinytorch.vision import functional as VF

pytestmark = pytest.mark.module09


def _case(fn, cls, torch_type, old_type, message):
    return pytest.param(fn, cls, torch_type, old_type, message)


CHANGED = {
    "conv-channels": _case(
        lambda: Conv2d(3, 4, 3)(tt.ones(1, 2, 5, 5)),
        ShapeError,
        RuntimeError,
        ValueError,
        r"Conv2d\(3, 4.*: input of shape \(1, 2, 5, 5\) has 2 channels, but the weight of shape "
        r"\(4, 3, 3, 3\) expects 3",
    ),
    "conv-5d-input": _case(
        lambda: Conv2d(3, 4, 3)(tt.ones(1, 1, 3, 5, 5)),
        ShapeError,
        RuntimeError,
        ValueError,
        r"expected a 4-D input \(B, C, H, W\), got shape \(1, 1, 3, 5, 5\)",
    ),
    "conv-2d-input": _case(
        lambda: VF.conv2d(tt.ones(5, 5), tt.ones(4, 3, 3, 3)),
        ShapeError,
        RuntimeError,
        ValueError,
        r"conv2d: expected a 4-D input \(B, C, H, W\), got shape \(5, 5\)",
    ),
    "conv-weight-3d": _case(
        lambda: VF.conv2d(tt.ones(1, 3, 5, 5), tt.ones(4, 3, 3)),
        ShapeError,
        RuntimeError,
        ValueError,
        r"conv2d: weight must be 4-D \(out_channels, in_channels, kh, kw\), got \(4, 3, 3\)",
    ),
    "conv-dtypes": _case(
        lambda: Conv2d(3, 4, 3)(tt.ones(1, 3, 5, 5, dtype="float64")),
        DTypeError,
        RuntimeError,
        TypeError,
        "input has dtype float64 but the weight has float32",
    ),
    "conv-int-input": _case(
        lambda: Conv2d(3, 4, 3)(tt.ones(1, 3, 5, 5, dtype="int64")),
        DTypeError,
        RuntimeError,
        TypeError,
        "expected a float32 or float64 input Tensor, got int64",
    ),
    "conv-bias-shape": _case(
        lambda: VF.conv2d(tt.ones(1, 3, 5, 5), tt.ones(4, 3, 3, 3), tt.ones(3)),
        ShapeError,
        RuntimeError,
        ValueError,
        r"conv2d: bias has shape \(3,\) \(float32\), expected \(4,\) float32",
    ),
    "conv-bias-dtype": _case(
        lambda: VF.conv2d(tt.ones(1, 3, 5, 5), tt.ones(4, 3, 3, 3), tt.ones(4, dtype="float64")),
        ArgumentError,
        RuntimeError,
        ValueError,
        r"conv2d: bias has shape \(4,\) \(float64\), expected \(4,\) float32",
    ),
    "conv-kernel-too-big": _case(
        lambda: Conv2d(3, 4, 7)(tt.ones(1, 3, 5, 5)),
        ShapeError,
        RuntimeError,
        ValueError,
        r"kernel size \(7, 7\) is larger than the padded input \(5, 5\)",
    ),
    "conv-stride-0": _case(
        lambda: VF.conv2d(tt.ones(1, 3, 5, 5), tt.ones(4, 3, 3, 3), stride=0),
        ArgumentError,
        RuntimeError,
        ValueError,
        "conv2d: stride must be a positive int or a pair of them, got 0",
    ),
    "conv-padding-negative": _case(
        lambda: VF.conv2d(tt.ones(1, 3, 5, 5), tt.ones(4, 3, 3, 3), padding=-1),
        ArgumentError,
        RuntimeError,
        ValueError,
        "conv2d: padding must be a non-negative int or a pair of them, got -1",
    ),
    "Conv2d-stride-0": _case(
        lambda: Conv2d(3, 4, 3, stride=0)(tt.ones(1, 3, 5, 5)),
        ArgumentError,
        RuntimeError,
        ValueError,
        "Conv2d: stride must be a positive int",
    ),
    "Conv2d-padding-negative": _case(
        lambda: Conv2d(3, 4, 3, padding=(1, -1))(tt.ones(1, 3, 5, 5)),
        ArgumentError,
        RuntimeError,
        ValueError,
        r"Conv2d: padding must be a non-negative int or a pair of them, got \(1, -1\)",
    ),
    "Conv2d-kernel-negative": _case(
        lambda: Conv2d(3, 4, -1),
        ArgumentError,
        RuntimeError,
        ValueError,
        "Conv2d: kernel_size must be a positive",
    ),
    "max-pool-2d-input": _case(
        lambda: VF.max_pool2d(tt.ones(5, 5), 2),
        ShapeError,
        RuntimeError,
        ValueError,
        r"max_pool2d: expected a 4-D input \(B, C, H, W\), got shape \(5, 5\)",
    ),
    "MaxPool2d-2d-input": _case(
        lambda: MaxPool2d(2)(tt.ones(5, 5)), ShapeError, RuntimeError, ValueError, r"MaxPool2d\(.*4-D input"
    ),
    "avg-pool-5d-input": _case(
        lambda: VF.avg_pool2d(tt.ones(1, 1, 1, 5, 5), 2),
        ShapeError,
        RuntimeError,
        ValueError,
        r"avg_pool2d: expected a 4-D input .*\(1, 1, 1, 5, 5\)",
    ),
    "max-pool-padding": _case(
        lambda: VF.max_pool2d(tt.ones(1, 1, 5, 5), 2, padding=2),
        ArgumentError,
        RuntimeError,
        ValueError,
        r"max_pool2d: padding should be at most half of the kernel size, but got padding=\(2, 2\)",
    ),
    "AvgPool2d-padding": _case(
        lambda: AvgPool2d(2, padding=2)(tt.ones(1, 1, 5, 5)),
        ArgumentError,
        RuntimeError,
        ValueError,
        "AvgPool2d.*padding should be at most half",
    ),
    "max-pool-too-big": _case(
        lambda: VF.max_pool2d(tt.ones(1, 1, 2, 2), 3),
        ShapeError,
        RuntimeError,
        ValueError,
        r"max_pool2d: kernel_size=\(3, 3\) does not fit in the input of shape \(1, 1, 2, 2\)",
    ),
    "avg-pool-too-big": _case(
        lambda: VF.avg_pool2d(tt.ones(1, 1, 2, 2), 3), ShapeError, RuntimeError, ValueError, "does not fit"
    ),
    "max-pool-kernel-0": _case(
        lambda: VF.max_pool2d(tt.ones(1, 1, 4, 4), 0),
        ArgumentError,
        RuntimeError,
        ValueError,
        "max_pool2d: kernel_size must be a positive int",
    ),
    "MaxPool2d-kernel-0": _case(
        lambda: MaxPool2d(0)(tt.ones(1, 1, 4, 4)),
        ArgumentError,
        RuntimeError,
        ValueError,
        "kernel_size must be",
    ),
    "max-pool-stride-0": _case(
        lambda: VF.max_pool2d(tt.ones(1, 1, 4, 4), 2, stride=0),
        ArgumentError,
        RuntimeError,
        ValueError,
        "max_pool2d: stride must be a positive int",
    ),
    "avg-pool-padding-negative": _case(
        lambda: VF.avg_pool2d(tt.ones(1, 1, 4, 4), 2, padding=-1),
        ArgumentError,
        RuntimeError,
        ValueError,
        "avg_pool2d: padding must be a non-negative int",
    ),
}


def _check(fn, cls, torch_type, old_type, message):
    with pytest.raises(cls, match=message) as info:
        fn()
    assert type(info.value) is cls, f"raised {type(info.value).__name__}, expected {cls.__name__}"
    assert isinstance(info.value, torch_type), f"{cls.__name__} is no {torch_type.__name__} (PyTorch's type)"
    assert isinstance(info.value, old_type), f"{cls.__name__} is no {old_type.__name__}: old code breaks"


@pytest.mark.parametrize(("fn", "cls", "torch_type", "old_type", "message"), CHANGED.values(), ids=CHANGED)
def test_bad_inputs_raise_pytorchs_error_types(fn, cls, torch_type, old_type, message):
    _check(fn, cls, torch_type, old_type, message)
