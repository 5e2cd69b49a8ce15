"""Module 09: the error table of tests/test_errors.py says which built-in type PyTorch raises for
each mistake; here PyTorch itself makes the same mistake and must raise that type.

So the table (and tinytorch's error classes, which test_errors.py checks against it) cannot drift
from PyTorch. Every case of the table has its torch call here, and no other.
"""

import importlib.util
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

pytestmark = [pytest.mark.oracle, pytest.mark.module09]


def _error_table() -> dict[str, type[Exception]]:
    """Case id -> the PyTorch type test_errors.py claims."""
    path = Path(__file__).parents[1] / "test_errors.py"
    spec = importlib.util.spec_from_file_location("tt_vision_error_table", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {name: case.values[2] for name, case in module.CHANGED.items()}


TABLE = _error_table()
ones = torch.ones

TORCH = {
    "conv-channels": lambda: nn.Conv2d(3, 4, 3)(ones(1, 2, 5, 5)),
    "conv-5d-input": lambda: nn.Conv2d(3, 4, 3)(ones(1, 1, 3, 5, 5)),
    "conv-2d-input": lambda: F.conv2d(ones(5, 5), ones(4, 3, 3, 3)),
    "conv-weight-3d": lambda: F.conv2d(ones(1, 3, 5, 5), ones(4, 3, 3)),
    "conv-dtypes": lambda: nn.Conv2d(3, 4, 3)(ones(1, 3, 5, 5, dtype=torch.float64)),
    "conv-int-input": lambda: nn.Conv2d(3, 4, 3)(ones(1, 3, 5, 5, dtype=torch.int64)),
    "conv-bias-shape": lambda: F.conv2d(ones(1, 3, 5, 5), ones(4, 3, 3, 3), ones(3)),
    "conv-bias-dtype": lambda: F.conv2d(ones(1, 3, 5, 5), ones(4, 3, 3, 3), ones(4, dtype=torch.float64)),
    "conv-kernel-too-big": lambda: nn.Conv2d(3, 4, 7)(ones(1, 3, 5, 5)),
    "conv-stride-0": lambda: F.conv2d(ones(1, 3, 5, 5), ones(4, 3, 3, 3), stride=0),
    "conv-padding-negative": lambda: F.conv2d(ones(1, 3, 5, 5), ones(4, 3, 3, 3), padding=-1),
    "Conv2d-stride-0": lambda: nn.Conv2d(3, 4, 3, stride=0)(ones(1, 3, 5, 5)),
    "Conv2d-padding-negative": lambda: nn.Conv2d(3, 4, 3, padding=(1, -1))(ones(1, 3, 5, 5)),
    "Conv2d-kernel-negative": lambda: nn.Conv2d(3, 4, -1),
    "max-pool-2d-input": lambda: F.max_pool2d(ones(5, 5), 2),
    "MaxPool2d-2d-input": lambda: nn.MaxPool2d(2)(ones(5, 5)),
    "avg-pool-5d-input": lambda: F.avg_pool2d(ones(1, 1, 1, 5, 5), 2),
    "max-pool-padding": lambda: F.max_pool2d(ones(1, 1, 5, 5), 2, padding=2),
    "AvgPool2d-padding": lambda: nn.AvgPool2d(2, padding=2)(ones(1, 1, 5, 5)),
    "max-pool-too-big": lambda: F.max_pool2d(ones(1, 1, 2, 2), 3),
    "avg-pool-too-big": lambda: F.avg_pool2d(ones(1, 1, 2, 2), 3),
    "max-pool-kernel-0": lambda: F.max_pool2d(ones(1, 1, 4, 4), 0),
    "MaxPool2d-kernel-0": lambda: nn.MaxPool2d(0)(ones(1, 1, 4, 4)),
    "max-pool-stride-0": lambda: F.max_pool2d(ones(1, 1, 4, 4), 2, stride=0),
    "avg-pool-padding-negative": lambda: F.avg_pool2d(ones(1, 1, 4, 4), 2, padding=-1),
}


def test_every_case_of_the_table_is_checked_against_torch():
    assert set(TORCH) == set(TABLE)


@pytest.mark.parametrize("case", list(TORCH))
def test_torch_raises_the_type_the_table_claims(case):
    with pytest.raises(Exception) as info:  # noqa: PT011  (the type is what is checked)
        TORCH[case]()
    claimed = TABLE[case]
    assert isinstance(info.value, claimed), (
        f"{case}: torch raised {type(info.value).__name__}: {info.value}, the table says {claimed.__name__}"
    )
