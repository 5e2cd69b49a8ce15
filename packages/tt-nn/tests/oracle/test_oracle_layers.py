"""Module 04: Linear and Sequential against torch.nn — weights exchanged both ways by state_dict."""

import contextlib

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tt_nn_oracle import DTYPES, assert_matches, check, float_arrays, torch_state

import tinytorch.core as tc
import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch.core import Tensor

pytestmark = [pytest.mark.oracle, pytest.mark.module04]


def twin_models(dtype: np.dtype) -> tuple[nn.Module, torch.nn.Module]:
    """The same MLP in both frameworks (torch's weights start different from ours)."""
    tt_model = nn.Sequential(
        nn.Flatten(), nn.Linear(12, 8, dtype=dtype), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3, dtype=dtype)
    )
    torch_model = torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(12, 8),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.5),
        torch.nn.Linear(8, 3),
    ).to(torch.float64 if dtype == np.float64 else torch.float32)
    return tt_model.eval(), torch_model.eval()


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_sequential_state_dict_keys_and_shapes_equal_torchs(dtype):
    tt_model, torch_model = twin_models(dtype)
    ours, theirs = tt_model.state_dict(), torch_model.state_dict()
    assert list(ours) == list(theirs) == ["1.weight", "1.bias", "4.weight", "4.bias"]
    assert [v.shape for v in ours.values()] == [tuple(v.shape) for v in theirs.values()]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_weights_load_both_ways_and_give_the_same_outputs(dtype):
    tc.manual_seed(0)
    x = np.random.default_rng(0).standard_normal((5, 3, 4)).astype(dtype)
    # torch -> tinytorch: load torch's state dict (torch tensors) as it is
    tt_model, torch_model = twin_models(dtype)
    tt_model.load_state_dict(torch_model.state_dict())
    assert_matches(tt_model(Tensor(x)).data, torch_model(torch.from_numpy(x)), "torch -> tinytorch")
    # tinytorch -> torch: a fresh tinytorch model's weights into torch
    tt_model, torch_model = twin_models(dtype)
    torch_model.load_state_dict(torch_state(tt_model.state_dict()))
    assert_matches(tt_model(Tensor(x)).data, torch_model(torch.from_numpy(x)), "tinytorch -> torch")


def test_repr_tree_equals_torchs():
    tt_model = nn.Sequential(
        nn.Flatten(), nn.Linear(12, 8), nn.GELU(approximate="tanh"), nn.Sequential(nn.Linear(8, 3), nn.Tanh())
    )
    torch_model = torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(12, 8),
        torch.nn.GELU(approximate="tanh"),
        torch.nn.Sequential(torch.nn.Linear(8, 3), torch.nn.Tanh()),
    )
    assert repr(tt_model) == repr(torch_model)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_linear_forward_matches_torch(dtype, data):
    batch = data.draw(st.lists(st.integers(1, 3), max_size=2), label="batch dims")
    n_in, n_out = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 5))
    x = data.draw(float_arrays(dtype, (*batch, n_in)))
    w = data.draw(float_arrays(dtype, (n_out, n_in), -1, 1))
    b = data.draw(float_arrays(dtype, (n_out,), -1, 1))
    check(F.linear, torch.nn.functional.linear, [x, w, b], what=f"linear x{x.shape} w{w.shape}")
    check(F.linear_reference, torch.nn.functional.linear, [x, w, b], what="linear_reference")
    check(F.linear, torch.nn.functional.linear, [x, w], what="linear without bias")


def test_linear_init_has_torchs_distribution():
    """Same bounds as torch.nn.Linear's init, and the same spread (KS-style check on quantiles)."""
    torch.manual_seed(0)
    tc.manual_seed(0)
    ours, theirs = nn.Linear(300, 200), torch.nn.Linear(300, 200)
    bound = 1 / np.sqrt(300)
    for name in ("weight", "bias"):
        a, b = getattr(ours, name).data, getattr(theirs, name).detach().numpy()
        assert 0.95 * bound < np.abs(a).max() <= bound and 0.95 * bound < np.abs(b).max() <= bound
    # 60,000 weights each: sample quantiles agree to about 1% of the bound
    quantiles = np.linspace(0.1, 0.9, 9)
    a, b = ours.weight.data, theirs.weight.detach().numpy()
    np.testing.assert_allclose(np.quantile(a, quantiles), np.quantile(b, quantiles), atol=0.03 * bound)


ZERO_SIZES = [(0, 4, (5,)), (0, 4, (2, 3)), (3, 0, (5,)), (4, 3, (0,)), (0, 0, (2,))]  # in, out, batch


@pytest.mark.parametrize(("n_in", "n_out", "batch"), ZERO_SIZES)
def test_linear_with_a_zero_size_matches_torch(n_in, n_out, batch):
    """torch.nn.Linear(0, 4) returns (5, 4) for a (5, 0) input: the bias broadcast over an empty
    sum; its init leaves the (4, 0) weight alone (with a "no-op" warning) and draws the bias from
    U(0, 0), zeros. Ours: the same shapes and values, both ways through state_dict."""
    with pytest.warns(UserWarning, match="zero-element") if n_in * n_out == 0 else contextlib.nullcontext():
        theirs = torch.nn.Linear(n_in, n_out)
    ours = nn.Linear(n_in, n_out)
    for name in ("weight", "bias"):
        assert getattr(ours, name).shape == tuple(getattr(theirs, name).shape), name
    if n_in == 0:  # bound 1/sqrt(fan_in) is taken as 0: both biases are zeros
        np.testing.assert_array_equal(ours.bias.data, theirs.bias.detach().numpy())
    x = np.random.default_rng(0).standard_normal((*batch, n_in)).astype(np.float32)
    torch.nn.init.uniform_(theirs.bias, -1, 1)  # a bias that shows whether it was added
    ours.load_state_dict(theirs.state_dict())
    assert_matches(ours(Tensor(x)).data, theirs(torch.from_numpy(x)), f"Linear({n_in}, {n_out}) on {x.shape}")
