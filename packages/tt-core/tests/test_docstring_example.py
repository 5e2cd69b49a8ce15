"""autograd.py's docstring example op (the README's Hypot) runs and passes gradcheck.

The README shows the same op (tt-course's test_guides.py checks the two agree); this test
needs no file beside the code, so it also runs where the grader copies only the tests.
"""

import re
import textwrap

import numpy as np
import pytest

import tinytorch.core.autograd as autograd
from tinytorch.core import Function, Tensor, gradcheck, unbroadcast

pytestmark = pytest.mark.module05


def docstring_example() -> str:
    block = re.search(r"::\n\n(.*?)\n\n\S", autograd.__doc__, re.S).group(1)
    return textwrap.dedent(block)


def test_the_docstring_example_op_passes_gradcheck():
    scope = {"Function": Function, "np": np, "unbroadcast": unbroadcast}
    exec(compile(docstring_example(), "autograd.__doc__", "exec"), scope)
    hypot = scope["Hypot"]
    x = Tensor([[3.0, 1.0]], dtype="float64", requires_grad=True)
    y = Tensor([4.0, 2.0], dtype="float64", requires_grad=True)
    np.testing.assert_allclose(hypot.apply(x, y).data, [[5.0, np.hypot(1, 2)]])
    assert gradcheck(hypot.apply, x, y)
