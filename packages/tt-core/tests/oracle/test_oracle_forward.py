"""Module 02: the forward value of every tinytorch.core op matches PyTorch.

Each case (see tt_core_oracle.py) is drawn by hypothesis: shapes, values,
axes, indices. No input requires grad here, so these tests need module 02 only.
"""

import numpy as np
import pytest
import torch  # noqa: F401  (the oracle: without it this module must fail, not skip)
from hypothesis import given, settings
from hypothesis import strategies as st
from tt_core_oracle import DIFFERENTIABLE, DTYPES, FORWARD_ONLY, check_forward

pytestmark = [pytest.mark.oracle, pytest.mark.module02]

CASES = DIFFERENTIABLE | FORWARD_ONLY


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", list(CASES))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_forward_matches_torch(case: str, dtype: np.dtype, data: st.DataObject) -> None:
    check_forward(data.draw(CASES[case](dtype), label=case))
