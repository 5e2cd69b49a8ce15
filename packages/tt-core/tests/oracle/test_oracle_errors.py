"""Module 02: the error table of tests/test_errors.py says which built-in type PyTorch raises for
each mistake; here PyTorch itself makes the same mistake and must raise that type.

So the table (and tinytorch's error classes, which test_errors.py checks against it) cannot drift
from PyTorch. Every case of the table has its torch call here, and no other.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

pytestmark = [pytest.mark.oracle, pytest.mark.module02]


def _error_table() -> dict[str, type[Exception]]:
    """Case id -> the PyTorch type test_errors.py claims, for CHECKS and FORWARD."""
    path = Path(__file__).parents[1] / "test_errors.py"
    spec = importlib.util.spec_from_file_location("tt_core_error_table", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {name: case.values[2] for table in (module.CHECKS, module.FORWARD) for name, case in table.items()}


TABLE = _error_table()
ones = torch.ones

TORCH = {
    "matmul-inner": lambda: ones(2, 3) @ ones(4, 5),
    "matmul-0d": lambda: torch.matmul(ones(()), ones(3)),
    "matmul-dtypes": lambda: ones(2, 3) @ ones(3, 2, dtype=torch.float64),
    "permute-repeated": lambda: ones(2, 3).permute(0, 0),
    "permute-count": lambda: ones(2, 3).permute(0),
    "permute-range": lambda: ones(2, 3).permute(0, 5),
    "transpose-range": lambda: ones(2, 3).transpose(0, 2),
    "squeeze-range": lambda: ones(2, 3).squeeze(2),
    "unsqueeze-range": lambda: ones(2, 3).unsqueeze(-4),
    "flatten-range": lambda: ones(2, 3).flatten(2),
    "expand-fewer": lambda: ones(2, 3).expand(3),
    "expand-leading-minus-one": lambda: ones(3).expand(-1, 3),
    "expand-size": lambda: ones(2, 3).expand(2, 4),
    "reshape-negative": lambda: ones(2, 3).reshape(-2, 3),
    "view-negative": lambda: ones(2, 3).view(3, -5),
    "sum-range": lambda: ones(2, 3).sum(2),
    "mean-range": lambda: ones(2, 3).mean(-3),
    "max-range": lambda: ones(2, 3).amax(2),
    "min-range": lambda: ones(2, 3).amin((0, 2)),
    "var-range": lambda: ones(2, 3).var(2),
    "argmax-range": lambda: ones(2, 3).argmax(2),
    "sum-axis-twice": lambda: ones(2, 3).sum((0, -2)),
    "max-empty": lambda: ones(0).max(),
    "min-empty-axis": lambda: ones(0, 3).min(0),
    "argmax-empty": lambda: ones(0).argmax(),
    "argmax-empty-axis": lambda: ones(0, 3).argmax(0),
    "cat-range": lambda: torch.cat([ones(2, 3), ones(2, 3)], 2),
    "cat-0d": lambda: torch.cat([ones(()), ones(())]),
    "stack-range": lambda: torch.stack([ones(2), ones(2)], 2),
    "stack-empty": lambda: torch.stack([]),
    "index-float-tensor": lambda: ones(3)[ones(2)],
    "index-float-array": lambda: ones(3)[torch.from_numpy(np.zeros(2))],
    "index-float": lambda: ones(3)[1.5],
    "index-str": lambda: ones(3)["a"],
    "item-many": lambda: ones(2, 3).item(),
    "bool-many": lambda: bool(ones(2)),
    "compare-broadcast": lambda: ones(2, 2) > ones(3),
    "requires-grad-int": lambda: torch.zeros(2, dtype=torch.int64, requires_grad=True),
    "where-condition": lambda: torch.where(ones(2), ones(2), 0.0),
    "clip-no-bound": lambda: ones(2).clip(),
    "arange-step-0": lambda: torch.arange(0, 5, 0),
    "zeros-negative": lambda: torch.zeros(2, -1),
    "full-negative": lambda: torch.full((-1,), 1.0),
    "randn-negative": lambda: torch.randn(-3),
    "backward-grad-shape": lambda: ones(2, requires_grad=True).backward(ones(3)),
    "add-broadcast": lambda: ones(2, 3) + ones(4),
    "mul-broadcast": lambda: ones(2, 3) * ones(2, 4),
    "maximum-broadcast": lambda: torch.maximum(ones(3), ones(4)),
    "where-broadcast": lambda: torch.where(ones(3) > 0, ones(4), 0.0),
    "matmul-batch": lambda: ones(2, 3, 4) @ ones(3, 4, 5),
    "reshape-size": lambda: ones(2, 3).reshape(4, 2),
    "reshape-two-unknown": lambda: ones(2, 3).reshape(-1, -1),
    "view-size": lambda: ones(2, 3).view(4),
    "view-strides": lambda: ones(2, 3).T.view(6),
    "cat-sizes": lambda: torch.cat([ones(2, 3), ones(2, 4)]),
    "cat-ndim": lambda: torch.cat([ones(2, 3), ones(3)]),
    "stack-sizes": lambda: torch.stack([ones(2), ones(3)]),
    "index-range": lambda: ones(3)[3],
    "index-mask-shape": lambda: ones(3)[torch.tensor([True, False])],
}


def test_every_case_of_the_table_is_checked_against_torch():
    assert set(TORCH) == set(TABLE)


@pytest.mark.filterwarnings("ignore::UserWarning")  # ones(3)["a"]: a deprecation notice first
@pytest.mark.parametrize("case", list(TORCH))
def test_torch_raises_the_type_the_table_claims(case):
    with pytest.raises(Exception) as info:  # noqa: PT011  (the type is what is checked)
        TORCH[case]()
    raised, claimed = type(info.value).__name__, TABLE[case].__name__
    assert isinstance(info.value, TABLE[case]), (
        f"{case}: torch raised {raised}: {info.value}, the table says {claimed}"
    )
