"""tt-text's errors have PyTorch's types (tinytorch.core.errors), and keep the type raised before.

Each case: the bad call, the class tinytorch raises, the built-in type PyTorch raises for the
same mistake (checked against torch itself in tests/oracle/test_oracle_errors.py), the type
tinytorch raised before (old `except` clauses keep working) and the message. CHANGED lists the
errors whose type changed for PyTorch's; KEPT the ones that already had PyTorch's type.
"""

import numpy as np
import pytest

import tinytorch.core as tt
from tinytorch.core import ArgumentError, DTypeError, ShapeError
from tinytorch.text import Embedding, LayerNorm
from tinytorch.text import functional as TF

M13, M14 = pytest.mark.module13, pytest.mark.module14
sdpa = TF.scaled_dot_product_attention


def _case(fn, cls, torch_type, old_type, message, marks):
    return pytest.param(fn, cls, torch_type, old_type, message, marks=marks)


def _ids(*values):
    return tt.Tensor(np.array(values, dtype=np.int64))


CHANGED = {
    "embedding-float-indices": _case(
        lambda: Embedding(5, 3)(tt.ones(2)),
        DTypeError,
        RuntimeError,
        TypeError,
        r"Embedding\(5, 3\): indices must be an int64 Tensor, got dtype float32",
        M13,
    ),
    "embedding-weight-1d": _case(
        lambda: TF.embedding(_ids(1), tt.ones(5)),
        ShapeError,
        RuntimeError,
        ValueError,
        r"embedding: weight must be a 2-D Tensor \(V, D\), got \(5,\)",
        M13,
    ),
    "embedding-negative-size": _case(
        lambda: Embedding(-1, 3),
        ShapeError,
        RuntimeError,
        ValueError,
        "Embedding: num_embeddings must be a positive int, got -1",
        M13,
    ),
    "sdpa-feature-mismatch": _case(
        lambda: sdpa(tt.ones(2, 3, 4), tt.ones(2, 5, 6), tt.ones(2, 5, 6)),
        ShapeError,
        RuntimeError,
        ValueError,
        r"scaled_dot_product_attention: query and key need the same last dimension \(d\), "
        r"got query \(2, 3, 4\), key \(2, 5, 6\)",
        M13,
    ),
    "sdpa-length-mismatch": _case(
        lambda: sdpa(tt.ones(2, 3, 4), tt.ones(2, 5, 4), tt.ones(2, 6, 4)),
        ShapeError,
        RuntimeError,
        ValueError,
        r"key and value need the same length S \(dim -2\)",
        M13,
    ),
    "sdpa-batch": _case(
        lambda: sdpa(tt.ones(2, 3, 4), tt.ones(3, 5, 4), tt.ones(3, 5, 4)),
        ShapeError,
        RuntimeError,
        ValueError,
        "batch dimensions do not broadcast",
        M13,
    ),
    "sdpa-1d": _case(
        lambda: sdpa(tt.ones(4), tt.ones(5, 4), tt.ones(5, 4)),
        ShapeError,
        RuntimeError,
        ValueError,
        r"query must have shape \(..., length, features\), got \(4,\)",
        M13,
    ),
    "sdpa-dtypes": _case(
        lambda: sdpa(tt.ones(2, 3, 4), tt.ones(2, 5, 4, dtype="float64"), tt.ones(2, 5, 4)),
        DTypeError,
        RuntimeError,
        TypeError,
        r"query, key, value dtypes differ \(float32, float64, float32\)",
        M13,
    ),
    "sdpa-int-query": _case(
        lambda: sdpa(tt.ones(2, 3, 4, dtype="int64"), tt.ones(2, 5, 4), tt.ones(2, 5, 4)),
        DTypeError,
        RuntimeError,
        TypeError,
        "query must be a float32 or float64 Tensor, got int64",
        M13,
    ),
    "sdpa-mask-shape": _case(
        lambda: sdpa(tt.ones(2, 3, 4), tt.ones(2, 5, 4), tt.ones(2, 5, 4), mask=tt.ones(3, 4) > 0),
        ShapeError,
        RuntimeError,
        ValueError,
        r"mask of shape \(3, 4\) does not broadcast to the scores' shape \(2, 3, 5\)",
        M13,
    ),
    "sdpa-mask-and-causal": _case(
        lambda: sdpa(
            tt.ones(2, 3, 4), tt.ones(2, 5, 4), tt.ones(2, 5, 4), mask=tt.ones(3, 5) > 0, is_causal=True
        ),
        ArgumentError,
        RuntimeError,
        ValueError,
        "give either mask or is_causal=True, not both",
        M13,
    ),
    "layer-norm-shape": _case(
        lambda: LayerNorm(4)(tt.ones(2, 3)),
        ShapeError,
        RuntimeError,
        ValueError,
        r"layer_norm: input of shape \(2, 3\) does not end with normalized_shape \(4,\)",
        M14,
    ),
    "layer-norm-too-few-dims": _case(
        lambda: TF.layer_norm(tt.ones(3, 4), (2, 3, 4)),
        ShapeError,
        RuntimeError,
        ValueError,
        r"input of shape \(3, 4\) does not end with normalized_shape \(2, 3, 4\)",
        M14,
    ),
    "layer-norm-weight-dtype": _case(
        lambda: TF.layer_norm(tt.ones(2, 4, dtype="float64"), (4,), tt.ones(4), tt.ones(4)),
        DTypeError,
        RuntimeError,
        TypeError,
        "layer_norm: input is float64 but the weight is float32",
        M14,
    ),
    "layer-norm-int-input": _case(
        lambda: LayerNorm(4)(tt.ones(2, 4, dtype="int64")),
        DTypeError,
        RuntimeError,
        TypeError,
        "layer_norm: expected a float32 or float64 Tensor, got int64",
        M14,
    ),
    "layer-norm-negative-shape": _case(
        lambda: LayerNorm(-1),
        ShapeError,
        RuntimeError,
        ValueError,
        "LayerNorm: normalized_shape must be a positive int or tuple of them, got -1",
        M14,
    ),
}

# Already PyTorch's type: pinned here (and against torch in the oracle test) so it stays so.
KEPT = {
    "embedding-index-range": _case(
        lambda: Embedding(5, 3)(_ids(1, 5)),
        IndexError,
        IndexError,
        IndexError,
        r"Embedding\(5, 3\): token id 5 is out of range: ids must be in \[0, 5\)",
        M13,
    ),
    "embedding-negative-index": _case(
        lambda: TF.embedding(_ids(-1), tt.ones(5, 3)), IndexError, IndexError, IndexError, "token id -1", M13
    ),
    "embedding-list-of-floats": _case(
        lambda: Embedding(5, 3)([1.5]), TypeError, TypeError, TypeError, "indices must be integers", M13
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
