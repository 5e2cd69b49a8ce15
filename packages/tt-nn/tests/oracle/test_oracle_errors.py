"""The error table of tests/test_errors.py says which built-in type PyTorch raises for each
mistake; here PyTorch itself makes the same mistake and must raise that type.

So the table (and tinytorch's error classes, which test_errors.py checks against it) cannot drift
from PyTorch. Every case of the table has its torch call here, and no other; each case carries
its table entry's module marker.
"""

import importlib.util
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

pytestmark = pytest.mark.oracle


def _error_table() -> dict[str, tuple[type[Exception], tuple]]:
    """Case id -> (the PyTorch type test_errors.py claims, the case's marks), CHANGED and KEPT."""
    path = Path(__file__).parents[1] / "test_errors.py"
    spec = importlib.util.spec_from_file_location("tt_nn_error_table", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {
        name: (case.values[2], case.marks)
        for table in (module.CHANGED, module.KEPT)
        for name, case in table.items()
    }


TABLE = _error_table()
ones, zeros = torch.ones, torch.zeros


def _labels(*values: int) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.int64)


TORCH = {
    "linear-features": lambda: nn.Linear(3, 2)(ones(4, 5)),
    "linear-0d": lambda: nn.Linear(3, 2)(ones(())),
    "linear-dtypes": lambda: nn.Linear(3, 2)(ones(4, 3, dtype=torch.float64)),
    "linear-int-input": lambda: nn.Linear(3, 2)(ones(4, 3, dtype=torch.int64)),
    "linear-negative-features": lambda: nn.Linear(-1, 2),
    "F.linear-features": lambda: F.linear(ones(4, 5), ones(2, 3)),
    "F.linear-weight-3d": lambda: F.linear(ones(4, 3), ones(2, 3, 1)),
    "F.linear-bias": lambda: F.linear(ones(4, 3), ones(2, 3), ones(3)),
    "flatten-range": lambda: nn.Flatten(3)(ones(2, 3)),
    "flatten-start-after-end": lambda: nn.Flatten(1, 0)(ones(2, 3, 4)),
    "load-state-dict-shape": lambda: nn.Linear(3, 2).load_state_dict({"weight": ones(3, 3), "bias": ones(2)}),
    "softmax-dim": lambda: F.softmax(ones(2, 3), dim=2),
    "log-softmax-dim": lambda: F.log_softmax(ones(2, 3), dim=-3),
    "softmax-module-dim": lambda: nn.Softmax(dim=1)(ones(3)),
    "gelu-approximate": lambda: F.gelu(ones(3), approximate="x"),
    "GELU-approximate": lambda: nn.GELU(approximate="x")(ones(3)),
    "cross-entropy-target-dtype": lambda: F.cross_entropy(ones(2, 3), zeros(2)),
    "nll-target-dtype": lambda: F.nll_loss(ones(2, 3), zeros(2)),
    "cross-entropy-0d-input": lambda: F.cross_entropy(ones(()), _labels(0).reshape(())),
    "nll-0d-input": lambda: F.nll_loss(ones(()), _labels(0).reshape(())),
    "cross-entropy-target-ndim": lambda: F.cross_entropy(ones(2, 3), zeros(2, 4, dtype=torch.int64)),
    "nll-target-spatial": lambda: F.nll_loss(ones(2, 3, 4), zeros(2, 5, dtype=torch.int64)),
    "cross-entropy-label-smoothing": lambda: F.cross_entropy(ones(2, 3), _labels(0, 1), label_smoothing=1.5),
    "CrossEntropyLoss-label-smoothing": lambda: nn.CrossEntropyLoss(label_smoothing=1.5)(
        ones(2, 3), _labels(0, 1)
    ),
    "mse-shape": lambda: F.mse_loss(ones(2, 3), ones(4)),
    "bce-dtype": lambda: F.binary_cross_entropy(
        torch.full((3,), 0.5), torch.full((3,), 0.5, dtype=torch.float64)
    ),
    "bce-input-range": lambda: F.binary_cross_entropy(torch.full((3,), 2.0), ones(3)),
    "cross-entropy-target-range": lambda: F.cross_entropy(ones(2, 3), _labels(0, 5)),
    "nll-target-negative": lambda: F.nll_loss(ones(2, 3), _labels(0, -2)),
    "cross-entropy-batch-size": lambda: F.cross_entropy(ones(2, 3), _labels(0, 1, 1)),
    "nll-spatial-batch-size": lambda: F.nll_loss(ones(2, 3, 4), zeros(3, 4, dtype=torch.int64)),
    "bce-shape": lambda: F.binary_cross_entropy(torch.full((2, 3), 0.5), torch.full((3,), 0.5)),
    "bce-with-logits-shape": lambda: F.binary_cross_entropy_with_logits(ones(2, 3), ones(4)),
    "loss-reduction": lambda: F.mse_loss(ones(3), ones(3), reduction="x"),
    "dropout-p": lambda: F.dropout(ones(3), p=1.5),
    "Dropout-p": lambda: nn.Dropout(p=-0.1),
    "sequential-index": lambda: nn.Sequential(nn.ReLU())[3],
    "sequential-item": lambda: nn.Sequential(nn.ReLU(), 3),
    "init-fan-1d": lambda: nn.init.kaiming_uniform_(ones(3)),
}


@pytest.mark.module03
def test_every_case_of_the_table_is_checked_against_torch():
    assert set(TORCH) == set(TABLE)


@pytest.mark.filterwarnings("ignore::UserWarning")  # mse-shape: torch warns about the shapes first
@pytest.mark.parametrize("case", [pytest.param(name, marks=TABLE[name][1], id=name) for name in TORCH])
def test_torch_raises_the_type_the_table_claims(case):
    with pytest.raises(Exception) as info:  # noqa: PT011  (the type is what is checked)
        TORCH[case]()
    claimed = TABLE[case][0]
    assert isinstance(info.value, claimed), (
        f"{case}: torch raised {type(info.value).__name__}: {info.value}, the table says {claimed.__name__}"
    )
