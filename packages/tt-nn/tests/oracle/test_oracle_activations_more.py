"""Issue 15: SiLU, Softplus, ELU, Hardtanh, ReLU6, normalize and the 0-d softmax match PyTorch
(forward and backward, float32 and float64, edge shapes and the kinks)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from tt_nn_oracle import DTYPES, check, float_arrays, shapes

import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch.core import Tensor

pytestmark = [pytest.mark.oracle, pytest.mark.module03]

CASES = {
    "silu": (F.silu, TF.silu),
    "softplus": (F.softplus, TF.softplus),
    "softplus-beta": (lambda x: F.softplus(x, beta=2.5, threshold=3.0), lambda x: TF.softplus(x, 2.5, 3.0)),
    "elu": (F.elu, TF.elu),
    "elu-alpha": (lambda x: F.elu(x, alpha=2.0), lambda x: TF.elu(x, alpha=2.0)),
    "hardtanh": (F.hardtanh, TF.hardtanh),
    "hardtanh-bounds": (lambda x: F.hardtanh(x, -0.5, 2.0), lambda x: TF.hardtanh(x, -0.5, 2.0)),
    "relu6": (F.relu6, TF.relu6),
    "silu-module": (nn.SiLU(), torch.nn.SiLU()),
    "softplus-module": (nn.Softplus(beta=0.5), torch.nn.Softplus(beta=0.5)),
    "elu-module": (nn.ELU(0.3), torch.nn.ELU(0.3)),
    "hardtanh-module": (nn.Hardtanh(-2.0, 2.0), torch.nn.Hardtanh(-2.0, 2.0)),
    "relu6-module": (nn.ReLU6(), torch.nn.ReLU6()),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", list(CASES))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_activation_matches_torch(case, dtype, data):
    shape = data.draw(st.one_of(shapes(0, 3), st.just((0, 3))), label="shape")
    x = data.draw(float_arrays(dtype, shape, -8, 8), label="x")
    tt_fn, torch_fn = CASES[case]
    check(tt_fn, torch_fn, [x], grads=[True], data=data, what=case)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", list(CASES))
def test_kinks_and_large_values_match_torch(case, dtype):
    # the kinks (0, the bounds, the softplus threshold) and values where exp overflows
    x = np.array(
        [-1000.0, -30.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0 / 2.5, 6.0, 20.0, 30.0, 1000.0], dtype
    )
    tt_fn, torch_fn = CASES[case]
    xt = Tensor(x, requires_grad=True)
    tx = torch.from_numpy(x).requires_grad_(True)
    out, want = tt_fn(xt), torch_fn(tx)
    np.testing.assert_allclose(out.data, want.detach().numpy(), rtol=1e-6)
    assert out.dtype == x.dtype
    out.sum().backward()
    want.sum().backward()
    np.testing.assert_allclose(xt.grad.data, tx.grad.numpy(), rtol=1e-6, err_msg=case)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, float("inf")])
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_normalize_matches_torch(p, dtype, data):
    shape = data.draw(shapes(1, 3), label="shape")
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    x = data.draw(float_arrays(dtype, shape, -4, 4), label="x")
    # magnitudes >= 0.25: the gradient is a difference of terms ~ grad / norm, and torch's own
    # float32 rounding of that difference must stay within the tolerance (zero rows: below)
    x = np.where(np.abs(x) < 0.25, np.copysign(0.25, x), x).astype(dtype)
    check(
        lambda t: F.normalize(t, p=p, dim=dim),
        lambda t: TF.normalize(t, p=p, dim=dim),
        [x],
        grads=[True],
        data=data,
        what=f"normalize p={p} dim={dim}",
    )


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_normalize_zero_rows_0d_and_empty_match_torch(dtype):
    for x, dim in [(np.zeros((2, 3), dtype), 1), (np.array(-3.0, dtype), 0), (np.zeros((0, 3), dtype), -1)]:
        xt, tx = Tensor(x, requires_grad=True), torch.from_numpy(x).requires_grad_(True)
        out, want = F.normalize(xt, dim=dim), TF.normalize(tx, dim=dim)
        np.testing.assert_allclose(out.data, want.detach().numpy())
        assert out.shape == tuple(want.shape)
        out.sum().backward()
        want.sum().backward()
        np.testing.assert_allclose(xt.grad.data, tx.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_of_a_0d_tensor_matches_torch(fn, dim, dtype):
    x = np.array(2.5, dtype)
    module = nn.Softmax if fn == "softmax" else nn.LogSoftmax
    for tt_fn in (getattr(F, fn), lambda t, d: module(d)(t)):
        xt, tx = Tensor(x, requires_grad=True), torch.from_numpy(x).requires_grad_(True)
        out, want = tt_fn(xt, dim), getattr(TF, fn)(tx, dim)
        assert out.shape == () and out.dtype == x.dtype
        np.testing.assert_allclose(out.data, want.detach().numpy())
        out.backward(np.array(1.5, dtype))
        want.backward(torch.tensor(1.5, dtype=want.dtype))
        np.testing.assert_allclose(xt.grad.data, tx.grad.numpy())
    for bad in (1, -2):
        with pytest.raises(IndexError):
            getattr(TF, fn)(torch.from_numpy(x), bad)
        with pytest.raises(IndexError, match=f"{fn}: dim {bad} is out of range for a 0-d tensor"):
            getattr(F, fn)(Tensor(x), bad)


def test_reprs_match_torch():
    for ours, theirs in [
        (nn.SiLU(), torch.nn.SiLU()),
        (nn.Softplus(), torch.nn.Softplus()),
        (nn.Softplus(2, 5), torch.nn.Softplus(2, 5)),
        (nn.ELU(), torch.nn.ELU()),
        (nn.Hardtanh(), torch.nn.Hardtanh()),
        (nn.Hardtanh(-2, 3), torch.nn.Hardtanh(-2, 3)),
        (nn.ELU(alpha=2), torch.nn.ELU(alpha=2)),
        (nn.ReLU6(), torch.nn.ReLU6()),
    ]:
        assert repr(ours) == repr(theirs)
