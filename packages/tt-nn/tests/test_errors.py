"""tt-nn's errors have PyTorch's types (tinytorch.core.errors), and keep the type raised before.

Each case: the bad call, the class tinytorch raises, the built-in type PyTorch raises for the
same mistake (checked against torch itself in tests/oracle/test_oracle_errors.py), the type
tinytorch raised before (old `except` clauses keep working) and the message. CHANGED lists the
errors whose type changed for PyTorch's; KEPT the ones that already had PyTorch's type.
"""

import numpy as np
import pytest

import tinytorch.core as tt
import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch.core import ArgumentError, DimensionError, DTypeError, ShapeError

M03, M04, M06 = pytest.mark.module03, pytest.mark.module04, pytest.mark.module06


def _case(fn, cls, torch_type, old_type, message, marks):
    return pytest.param(fn, cls, torch_type, old_type, message, marks=marks)


def _labels(*values):
    return tt.Tensor(np.array(values, dtype=np.int64))


def _load_wrong_shape():
    nn.Linear(3, 2).load_state_dict({"weight": np.ones((3, 3), np.float32), "bias": np.ones(2, np.float32)})


CHANGED = {
    "linear-features": _case(
        lambda: nn.Linear(3, 2)(tt.ones(4, 5)),
        ShapeError,
        RuntimeError,
        ValueError,
        r"Linear\(in_features=3.*: input has 5 features in its last dimension, expected 3 for a weight",
        M04,
    ),
    "linear-0d": _case(
        lambda: nn.Linear(3, 2)(tt.ones(())),
        ShapeError,
        RuntimeError,
        ValueError,
        "input is a 0-d tensor",
        M04,
    ),
    "linear-dtypes": _case(
        lambda: nn.Linear(3, 2)(tt.ones(4, 3, dtype="float64")),
        DTypeError,
        RuntimeError,
        TypeError,
        "input has dtype float64 but the weight has float32",
        M04,
    ),
    "linear-int-input": _case(
        lambda: nn.Linear(3, 2)(tt.ones(4, 3, dtype="int64")),
        DTypeError,
        RuntimeError,
        TypeError,
        "expected a float32 or float64 input Tensor, got int64",
        M04,
    ),
    "linear-negative-features": _case(
        lambda: nn.Linear(-1, 2),
        ShapeError,
        RuntimeError,
        ValueError,
        "Linear: in_features must be a non-negative int, got -1",
        M04,
    ),
    "F.linear-features": _case(
        lambda: F.linear(tt.ones(4, 5), tt.ones(2, 3)),
        ShapeError,
        RuntimeError,
        ValueError,
        r"linear: input has 5 features .*expected 3 for a weight of shape \(2, 3\)",
        M04,
    ),
    "F.linear-weight-3d": _case(
        lambda: F.linear(tt.ones(4, 3), tt.ones(2, 3, 1)),
        ShapeError,
        RuntimeError,
        ValueError,
        r"linear: weight must be 2-D .*\(2, 3, 1\)",
        M04,
    ),
    "F.linear-bias": _case(
        lambda: F.linear(tt.ones(4, 3), tt.ones(2, 3), tt.ones(3)),
        ShapeError,
        RuntimeError,
        ValueError,
        r"linear: bias has shape \(3,\), expected \(2,\)",
        M04,
    ),
    "flatten-range": _case(
        lambda: nn.Flatten(3)(tt.ones(2, 3)),
        DimensionError,
        IndexError,
        ValueError,
        r"Flatten.*: start_dim 3 is out of range for an input of shape \(2, 3\)",
        M04,
    ),
    "flatten-start-after-end": _case(
        lambda: nn.Flatten(1, 0)(tt.ones(2, 3, 4)),
        ArgumentError,
        RuntimeError,
        ValueError,
        "start_dim comes after end_dim",
        M04,
    ),
    "load-state-dict-shape": _case(
        _load_wrong_shape,
        ShapeError,
        RuntimeError,
        ValueError,
        r"load_state_dict into Linear: 'weight' has shape \(3, 3\) in the state dict but \(2, 3\)",
        M04,
    ),
    "softmax-dim": _case(
        lambda: F.softmax(tt.ones(2, 3), dim=2),
        DimensionError,
        IndexError,
        ValueError,
        r"softmax: dim 2 is out of range for a tensor of shape \(2, 3\)",
        M03,
    ),
    "log-softmax-dim": _case(
        lambda: F.log_softmax(tt.ones(2, 3), dim=-3),
        DimensionError,
        IndexError,
        ValueError,
        "log_softmax: dim -3 is out of range",
        M03,
    ),
    "softmax-module-dim": _case(
        lambda: nn.Softmax(dim=1)(tt.ones(3)), DimensionError, IndexError, ValueError, "softmax: dim 1", M03
    ),
    "gelu-approximate": _case(
        lambda: F.gelu(tt.ones(3), approximate="x"),
        ArgumentError,
        RuntimeError,
        ValueError,
        "gelu: approximate must be 'none' or 'tanh', got 'x'",
        M03,
    ),
    "GELU-approximate": _case(
        lambda: nn.GELU(approximate="x")(tt.ones(3)),
        ArgumentError,
        RuntimeError,
        ValueError,
        "GELU: approximate must be",
        M03,
    ),
    "cross-entropy-target-dtype": _case(
        lambda: F.cross_entropy(tt.ones(2, 3), tt.zeros(2)),
        DTypeError,
        RuntimeError,
        TypeError,
        r"cross_entropy \(CrossEntropyLoss\): target must hold int64 class indices, got dtype float32",
        M06,
    ),
    "nll-target-dtype": _case(
        lambda: F.nll_loss(tt.ones(2, 3), tt.zeros(2)),
        DTypeError,
        RuntimeError,
        TypeError,
        r"nll_loss \(NLLLoss\): target must hold int64 class indices, got dtype float32",
        M06,
    ),
    "cross-entropy-0d-input": _case(
        lambda: F.cross_entropy(tt.ones(()), _labels(0).reshape(())),
        ShapeError,
        RuntimeError,
        ValueError,
        r"input must have shape \(N, C, ...\) or \(C,\), got a 0-d tensor",
        M06,
    ),
    "nll-0d-input": _case(
        lambda: F.nll_loss(tt.ones(()), _labels(0).reshape(())),
        ShapeError,
        ValueError,
        ValueError,
        "nll_loss.*got a 0-d tensor",
        M06,
    ),
    "cross-entropy-target-ndim": _case(
        lambda: F.cross_entropy(tt.ones(2, 3), tt.zeros(2, 4, dtype="int64")),
        ShapeError,
        RuntimeError,
        ValueError,
        r"input of shape \(2, 3\) \(N, C, d1, ...\) needs a target of shape \(2,\), got \(2, 4\)",
        M06,
    ),
    "nll-target-spatial": _case(
        lambda: F.nll_loss(tt.ones(2, 3, 4), tt.zeros(2, 5, dtype="int64")),
        ShapeError,
        RuntimeError,
        ValueError,
        r"needs a target of shape \(2, 4\), got \(2, 5\)",
        M06,
    ),
    "cross-entropy-label-smoothing": _case(
        lambda: F.cross_entropy(tt.ones(2, 3), _labels(0, 1), label_smoothing=1.5),
        ArgumentError,
        RuntimeError,
        ValueError,
        r"label_smoothing must be in \[0, 1\], got 1.5",
        M06,
    ),
    "CrossEntropyLoss-label-smoothing": _case(
        lambda: nn.CrossEntropyLoss(label_smoothing=1.5)(tt.ones(2, 3), _labels(0, 1)),
        ArgumentError,
        RuntimeError,
        ValueError,
        r"CrossEntropyLoss: label_smoothing must be in \[0, 1\]",
        M06,
    ),
    "mse-shape": _case(
        lambda: F.mse_loss(tt.ones(2, 3), tt.ones(4)),
        ShapeError,
        RuntimeError,
        ValueError,
        r"mse_loss \(MSELoss\): input has shape \(2, 3\) but target has shape \(4,\)",
        M06,
    ),
    "bce-dtype": _case(
        lambda: F.binary_cross_entropy(tt.full((3,), 0.5), tt.full((3,), 0.5, dtype="float64")),
        DTypeError,
        RuntimeError,
        TypeError,
        "binary_cross_entropy.*target has dtype float64 but input has float32",
        M06,
    ),
    "bce-input-range": _case(
        lambda: F.binary_cross_entropy(tt.full((3,), 2.0), tt.ones(3)),
        ArgumentError,
        RuntimeError,
        ValueError,
        r"input must hold probabilities in \[0, 1\], got values from 2.0 to 2.0",
        M06,
    ),
}

# Already PyTorch's type: pinned here (and against torch in the oracle test) so it stays so.
KEPT = {
    "cross-entropy-target-range": _case(
        lambda: F.cross_entropy(tt.ones(2, 3), _labels(0, 5)),
        IndexError,
        IndexError,
        IndexError,
        r"target values must be class indices in \[0, 3\) .*got values from 0 to 5",
        M06,
    ),
    "nll-target-negative": _case(
        lambda: F.nll_loss(tt.ones(2, 3), _labels(0, -2)),
        IndexError,
        IndexError,
        IndexError,
        "from -2 to 0",
        M06,
    ),
    "cross-entropy-batch-size": _case(
        lambda: F.cross_entropy(tt.ones(2, 3), _labels(0, 1, 1)),
        ValueError,
        ValueError,
        ValueError,
        r"input of shape \(2, 3\) .*needs a target of shape \(2,\), got \(3,\)",
        M06,
    ),
    "nll-spatial-batch-size": _case(
        lambda: F.nll_loss(tt.ones(2, 3, 4), tt.zeros(3, 4, dtype="int64")),
        ValueError,
        ValueError,
        ValueError,
        r"needs a target of shape \(2, 4\), got \(3, 4\)",
        M06,
    ),
    "bce-shape": _case(
        lambda: F.binary_cross_entropy(tt.full((2, 3), 0.5), tt.full((3,), 0.5)),
        ValueError,
        ValueError,
        ValueError,
        r"input has shape \(2, 3\) but target has shape \(3,\)",
        M06,
    ),
    "bce-with-logits-shape": _case(
        lambda: F.binary_cross_entropy_with_logits(tt.ones(2, 3), tt.ones(4)),
        ValueError,
        ValueError,
        ValueError,
        "binary_cross_entropy_with_logits.*target has shape",
        M06,
    ),
    "loss-reduction": _case(
        lambda: F.mse_loss(tt.ones(3), tt.ones(3), reduction="x"),
        ValueError,
        ValueError,
        ValueError,
        "reduction must be 'mean', 'sum' or 'none', got 'x'",
        M06,
    ),
    "dropout-p": _case(
        lambda: F.dropout(tt.ones(3), p=1.5),
        ValueError,
        ValueError,
        ValueError,
        "dropout probability has to be between 0 and 1, but got 1.5",
        M04,
    ),
    "Dropout-p": _case(
        lambda: nn.Dropout(p=-0.1), ValueError, ValueError, ValueError, "between 0 and 1, but got -0.1", M04
    ),
    "sequential-index": _case(
        lambda: nn.Sequential(nn.ReLU())[3],
        IndexError,
        IndexError,
        IndexError,
        "index 3 is out of range",
        M04,
    ),
    "sequential-item": _case(
        lambda: nn.Sequential(nn.ReLU(), 3), TypeError, TypeError, TypeError, "item '1' is a int", M04
    ),
    "init-fan-1d": _case(
        lambda: nn.init.kaiming_uniform_(tt.ones(3)),
        ValueError,
        ValueError,
        ValueError,
        "fewer than 2 dimensions",
        M04,
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


@pytest.mark.parametrize(("fn", "cls", "torch_type", "old_type", "message"), KEPT.values(), ids=KEPT)
def test_errors_that_already_had_pytorchs_type_keep_it(fn, cls, torch_type, old_type, message):
    _check(fn, cls, torch_type, old_type, message)
