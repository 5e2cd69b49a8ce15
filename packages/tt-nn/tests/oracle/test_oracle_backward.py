"""Module 05: gradients of every activation and of Linear (input, weight, bias) match PyTorch."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tt_nn_oracle import DTYPES, ELEMENTWISE, EXTREME, EXTREME_CASES, SOFTMAX, check, float_arrays, shapes

import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch.core import Tensor

pytestmark = [pytest.mark.oracle, pytest.mark.module05]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", list(ELEMENTWISE))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_elementwise_backward_matches_torch(name, dtype, data):
    tt_fn, torch_fn = ELEMENTWISE[name]
    x = data.draw(float_arrays(dtype, data.draw(shapes(min_dims=0)), -8, 8))
    check(tt_fn, torch_fn, [x], grads=[True], data=data, what=f"{name}{x.shape}")


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", list(SOFTMAX))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_softmax_backward_matches_torch(name, dtype, data):
    tt_fn, torch_fn = SOFTMAX[name]
    x = data.draw(float_arrays(dtype, data.draw(shapes()), -30, 30))
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1), label="dim")
    check(
        lambda x: tt_fn(x, dim=dim),
        lambda t: torch_fn(t, dim=dim),
        [x],
        grads=[True],
        data=data,
        what=f"{name}{x.shape}, dim={dim}",
    )


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", list(EXTREME_CASES))
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_extreme_inputs_backward_matches_torch(name, dtype, data):
    tt_fn, torch_fn = EXTREME_CASES[name]
    check(tt_fn, torch_fn, [EXTREME.astype(dtype)], grads=[True], data=data, what=f"{name} at +-1000")


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_linear_backward_matches_torch(dtype, data):
    batch = data.draw(st.lists(st.integers(1, 3), max_size=2), label="batch dims")
    n_in, n_out = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 5))
    x = data.draw(float_arrays(dtype, (*batch, n_in)))
    w = data.draw(float_arrays(dtype, (n_out, n_in), -1, 1))
    b = data.draw(float_arrays(dtype, (n_out,), -1, 1))
    for fn in (F.linear, F.linear_reference):
        check(fn, torch.nn.functional.linear, [x, w, b], grads=[True, True, True], data=data, what="linear")
    check(F.linear, torch.nn.functional.linear, [x, w], grads=[True, True], data=data, what="no bias")
    check(
        F.linear, torch.nn.functional.linear, [x, w, b], grads=[False, True, True], data=data, what="params"
    )


@pytest.mark.parametrize(
    ("n_in", "n_out", "batch"), [(0, 4, (5,)), (0, 4, (2, 3)), (3, 0, (5,)), (4, 3, (0,)), (0, 0, (2,))]
)
@settings(max_examples=3, deadline=None)
@given(data=st.data())
def test_linear_with_a_zero_size_backward_matches_torch(n_in, n_out, batch, data):
    """Linear(0, 4) on (5, 0) (and other empty sizes): torch gives the bias the upstream gradient
    summed over the batch and the (4, 0) weight and (5, 0) input empty gradients; so must we."""
    x = data.draw(float_arrays(np.float64, (*batch, n_in)))
    w = data.draw(float_arrays(np.float64, (n_out, n_in), -1, 1))
    b = data.draw(float_arrays(np.float64, (n_out,), -1, 1))
    for fn in (F.linear, F.linear_reference):
        check(
            fn,
            torch.nn.functional.linear,
            [x, w, b],
            grads=[True, True, True],
            data=data,
            what=f"{fn.__name__}",
        )


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_mlp_parameter_gradients_match_torch_after_loading_its_weights(dtype):
    tt_model = nn.Sequential(nn.Linear(6, 5, dtype=dtype), nn.Tanh(), nn.Linear(5, 4, dtype=dtype), nn.GELU())
    torch_model = torch.nn.Sequential(
        torch.nn.Linear(6, 5), torch.nn.Tanh(), torch.nn.Linear(5, 4), torch.nn.GELU()
    ).to(torch.float64 if dtype == np.float64 else torch.float32)
    tt_model.load_state_dict(torch_model.state_dict())
    x = np.random.default_rng(1).standard_normal((3, 6)).astype(dtype)
    (tt_model(Tensor(x)) ** 2).sum().backward()
    (torch_model(torch.from_numpy(x)) ** 2).sum().backward()
    theirs = dict(torch_model.named_parameters())
    for name, p in tt_model.named_parameters():
        tol = 1e-10 if dtype == np.float64 else 1e-5
        np.testing.assert_allclose(p.grad.data, theirs[name].grad.numpy(), rtol=tol, atol=tol, err_msg=name)
