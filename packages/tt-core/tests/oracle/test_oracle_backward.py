"""Module 05: the gradient of every differentiable tinytorch.core op matches PyTorch.

Each case (see tt_core_oracle.py) is run in both frameworks with every input
requiring grad; the same random upstream gradient is backpropagated through
both, and the value and every input's gradient (shape, dtype, values) compared.
"""

import numpy as np
import pytest
import torch  # noqa: F401  (the oracle: without it this module must fail, not skip)
from hypothesis import given, settings
from hypothesis import strategies as st
from tt_core_oracle import DIFFERENTIABLE, DTYPES, check_backward

pytestmark = [pytest.mark.oracle, pytest.mark.module05]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", list(DIFFERENTIABLE))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_backward_matches_torch(case: str, dtype: np.dtype, data: st.DataObject) -> None:
    check_backward(data.draw(DIFFERENTIABLE[case](dtype), label=case), data)
