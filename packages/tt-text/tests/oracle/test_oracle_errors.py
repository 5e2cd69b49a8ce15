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
    spec = importlib.util.spec_from_file_location("tt_text_error_table", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {
        name: (case.values[2], case.marks)
        for table in (module.CHANGED, module.KEPT)
        for name, case in table.items()
    }


TABLE = _error_table()
ones = torch.ones
sdpa = F.scaled_dot_product_attention


def _ids(*values: int) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.int64)


TORCH = {
    "embedding-float-indices": lambda: nn.Embedding(5, 3)(ones(2)),
    "embedding-weight-1d": lambda: F.embedding(_ids(1), ones(5)),
    "embedding-negative-size": lambda: nn.Embedding(-1, 3),
    "sdpa-feature-mismatch": lambda: sdpa(ones(2, 3, 4), ones(2, 5, 6), ones(2, 5, 6)),
    "sdpa-length-mismatch": lambda: sdpa(ones(2, 3, 4), ones(2, 5, 4), ones(2, 6, 4)),
    "sdpa-batch": lambda: sdpa(ones(2, 3, 4), ones(3, 5, 4), ones(3, 5, 4)),
    "sdpa-1d": lambda: sdpa(ones(4), ones(5, 4), ones(5, 4)),
    "sdpa-dtypes": lambda: sdpa(ones(2, 3, 4), ones(2, 5, 4, dtype=torch.float64), ones(2, 5, 4)),
    "sdpa-int-query": lambda: sdpa(ones(2, 3, 4, dtype=torch.int64), ones(2, 5, 4), ones(2, 5, 4)),
    "sdpa-mask-shape": lambda: sdpa(ones(2, 3, 4), ones(2, 5, 4), ones(2, 5, 4), attn_mask=ones(3, 4) > 0),
    "sdpa-mask-and-causal": lambda: sdpa(
        ones(2, 3, 4), ones(2, 5, 4), ones(2, 5, 4), attn_mask=ones(3, 5) > 0, is_causal=True
    ),
    "layer-norm-shape": lambda: nn.LayerNorm(4)(ones(2, 3)),
    "layer-norm-too-few-dims": lambda: F.layer_norm(ones(3, 4), (2, 3, 4)),
    "layer-norm-weight-dtype": lambda: F.layer_norm(ones(2, 4, dtype=torch.float64), (4,), ones(4), ones(4)),
    "layer-norm-int-input": lambda: nn.LayerNorm(4)(ones(2, 4, dtype=torch.int64)),
    "layer-norm-negative-shape": lambda: nn.LayerNorm(-1),
    "embedding-index-range": lambda: nn.Embedding(5, 3)(_ids(1, 5)),
    "embedding-negative-index": lambda: F.embedding(_ids(-1), ones(5, 3)),
    "embedding-list-of-floats": lambda: nn.Embedding(5, 3)([1.5]),
}


@pytest.mark.module13
def test_every_case_of_the_table_is_checked_against_torch():
    assert set(TORCH) == set(TABLE)


@pytest.mark.parametrize("case", [pytest.param(name, marks=TABLE[name][1], id=name) for name in TORCH])
def test_torch_raises_the_type_the_table_claims(case):
    with pytest.raises(Exception) as info:  # noqa: PT011  (the type is what is checked)
        TORCH[case]()
    claimed = TABLE[case][0]
    assert isinstance(info.value, claimed), (
        f"{case}: torch raised {type(info.value).__name__}: {info.value}, the table says {claimed.__name__}"
    )
