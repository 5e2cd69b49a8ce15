"""Module 03: every activation's forward value matches PyTorch (random shapes and values).

No input requires grad, so only module 03's forward code runs.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tt_nn_oracle import DTYPES, ELEMENTWISE, EXTREME, EXTREME_CASES, SOFTMAX, check, float_arrays, shapes

pytestmark = [pytest.mark.oracle, pytest.mark.module03]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", list(ELEMENTWISE))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_elementwise_forward_matches_torch(name, dtype, data):
    tt_fn, torch_fn = ELEMENTWISE[name]
    x = data.draw(float_arrays(dtype, data.draw(shapes(min_dims=0)), -8, 8))
    check(tt_fn, torch_fn, [x], what=f"{name}{x.shape}")


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", list(SOFTMAX))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_softmax_forward_matches_torch(name, dtype, data):
    tt_fn, torch_fn = SOFTMAX[name]
    x = data.draw(float_arrays(dtype, data.draw(shapes()), -30, 30))
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1), label="dim")
    check(
        lambda x: tt_fn(x, dim=dim), lambda t: torch_fn(t, dim=dim), [x], what=f"{name}{x.shape}, dim={dim}"
    )


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", list(EXTREME_CASES))
def test_extreme_inputs_match_torch(name, dtype):
    tt_fn, torch_fn = EXTREME_CASES[name]
    check(tt_fn, torch_fn, [EXTREME.astype(dtype)], what=f"{name} at +-1000")
