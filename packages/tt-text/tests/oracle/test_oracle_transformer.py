"""Module 14 against PyTorch: LayerNorm (fused and reference), forward and every gradient.

The whole block and the whole TinyGPT are compared with nanoGPT's model in PyTorch by the
instructor-only tests (instructor/test_oracle_gpt.py); student copies check them against
values PyTorch computed, stored in tests/fixtures (tests/test_transformer.py, test_gpt.py)."""

import numpy as np
import pytest
import torch
from tt_text_oracle import assert_matches

import tinytorch.text.functional as F
from tinytorch.core import Tensor

pytestmark = [pytest.mark.oracle, pytest.mark.module14]

DTYPES = [np.dtype(np.float32), np.dtype(np.float64)]
TORCH_DTYPE = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}
LAYER_NORMS = {"fused": F.layer_norm, "reference": F.layer_norm_reference}


@pytest.mark.parametrize("version", list(LAYER_NORMS))
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", ["affine", "no-bias", "no-affine", "2-d shape"])
def test_layer_norm_matches_torch(version, dtype, case):
    r = np.random.default_rng(0)
    shape = (4, 5) if case == "2-d shape" else (5,)
    x = (r.standard_normal((3, 4, 5)) * 4 + 2).astype(dtype)
    w = r.standard_normal(shape).astype(dtype) if case != "no-affine" else None
    b = r.standard_normal(shape).astype(dtype) if case in ("affine", "2-d shape") else None
    ours = [Tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    theirs = [torch.from_numpy(a).requires_grad_(True) if a is not None else None for a in (x, w, b)]
    out = LAYER_NORMS[version](ours[0], shape, ours[1], ours[2])
    expected = torch.nn.functional.layer_norm(theirs[0], shape, theirs[1], theirs[2], eps=1e-5)
    assert_matches(out.data, expected, f"{case}: forward")
    grad = r.standard_normal(x.shape).astype(dtype)
    out.backward(grad)
    expected.backward(torch.from_numpy(grad))
    for name, a, t in zip(("x", "weight", "bias"), ours, theirs, strict=True):
        if a is not None:
            assert_matches(a.grad.data, t.grad, f"{case}: gradient of {name}")
