"""Module 05: every differentiable op passes a float64 finite-difference check."""

import numpy as np
import pytest

import tinytorch.core as tt
from tinytorch.core import GradcheckError, Tensor, gradcheck

pytestmark = pytest.mark.module05


def leaf(*shape, low=-2.0, high=2.0, seed=0, away_from_zero=False):
    """A float64 leaf with random values (optionally kept away from 0, for log/div/abs)."""
    rng = np.random.default_rng(seed + 7 * len(shape))
    values = rng.uniform(low, high, size=shape)
    if away_from_zero:
        values = np.where(np.abs(values) < 0.2, 0.5, values)
    return Tensor(values, dtype="float64", requires_grad=True)


def pos(*shape, seed=0):
    return leaf(*shape, low=0.5, high=2.0, seed=seed)


# (name, function of the inputs, inputs); broadcast shapes included on purpose.
CASES = [
    ("add", lambda a, b: a + b, lambda: (leaf(3, 4), leaf(4, seed=1))),
    ("add_scalar", lambda a: 2.5 + a, lambda: (leaf(3),)),
    ("sub", lambda a, b: a - b, lambda: (leaf(2, 1, 3), leaf(4, 1, seed=1))),
    ("rsub", lambda a: 1.0 - a, lambda: (leaf(3),)),
    ("mul", lambda a, b: a * b, lambda: (leaf(3, 1), leaf(1, 4, seed=1))),
    ("mul_self", lambda a: a * a, lambda: (leaf(5),)),
    ("div", lambda a, b: a / b, lambda: (leaf(2, 3), leaf(3, seed=1, away_from_zero=True))),
    ("rdiv", lambda a: 2.0 / a, lambda: (leaf(4, away_from_zero=True),)),
    ("pow_scalar", lambda a: a**3, lambda: (leaf(4),)),
    ("pow_fractional", lambda a: a**0.5, lambda: (pos(4),)),
    ("rpow", lambda a: 2.0**a, lambda: (leaf(4),)),
    ("pow_tensor", lambda a, b: a**b, lambda: (pos(2, 3), leaf(3, seed=1))),
    ("neg", lambda a: -a, lambda: (leaf(3, 2),)),
    ("exp", lambda a: a.exp(), lambda: (leaf(3, 2),)),
    ("log", lambda a: a.log(), lambda: (pos(3, 2),)),
    ("sqrt", lambda a: a.sqrt(), lambda: (pos(3, 2),)),
    ("abs", lambda a: a.abs(), lambda: (leaf(3, 2, away_from_zero=True),)),
    ("maximum", lambda a, b: tt.maximum(a, b), lambda: (leaf(3, 4), leaf(4, seed=1))),
    ("minimum", lambda a, b: tt.minimum(a, b), lambda: (leaf(3, 1), leaf(1, 4, seed=1))),
    ("maximum_scalar", lambda a: tt.maximum(a, 0.1), lambda: (leaf(6, away_from_zero=True),)),
    ("maximum_0d", lambda a, b: tt.maximum(a, b), lambda: (leaf(), leaf(seed=1))),
    ("minimum_0d_scalar", lambda a: tt.minimum(a, 0.1), lambda: (leaf(away_from_zero=True),)),
    ("where", lambda a, b: tt.where(a > b, a, b * 2), lambda: (leaf(3, 4), leaf(4, seed=1))),
    ("clip", lambda a: a.clip(-1.0, 1.0), lambda: (leaf(10, low=-3, high=3),)),
    ("matmul_2d", lambda a, b: a @ b, lambda: (leaf(3, 4), leaf(4, 2, seed=1))),
    ("matmul_vec_vec", lambda a, b: a @ b, lambda: (leaf(4), leaf(4, seed=1))),
    ("matmul_vec_mat", lambda a, b: a @ b, lambda: (leaf(4), leaf(2, 4, 3, seed=1))),
    ("matmul_mat_vec", lambda a, b: a @ b, lambda: (leaf(2, 3, 4), leaf(4, seed=1))),
    ("matmul_batched_broadcast", lambda a, b: a @ b, lambda: (leaf(2, 1, 3, 4), leaf(5, 4, 2, seed=1))),
    ("sum_all", lambda a: a.sum(), lambda: (leaf(3, 4),)),
    ("sum_axis", lambda a: a.sum(axis=1), lambda: (leaf(2, 3, 4),)),
    ("sum_axes_keepdims", lambda a: a.sum(axis=(0, 2), keepdims=True), lambda: (leaf(2, 3, 4),)),
    ("mean_all", lambda a: a.mean(), lambda: (leaf(3, 4),)),
    ("mean_axis", lambda a: a.mean(axis=-1), lambda: (leaf(2, 3, 4),)),
    ("max_all", lambda a: a.max(), lambda: (leaf(3, 4),)),
    ("max_axis", lambda a: a.max(axis=0), lambda: (leaf(3, 4),)),
    ("min_axis_keepdims", lambda a: a.min(axis=1, keepdims=True), lambda: (leaf(3, 4),)),
    ("var_all", lambda a: a.var(), lambda: (leaf(3, 4),)),
    ("var_axis_biased", lambda a: a.var(axis=1, correction=0), lambda: (leaf(3, 4),)),
    ("reshape", lambda a: a.reshape(4, -1) * leaf(4, 6, seed=3), lambda: (leaf(2, 3, 4),)),
    ("view", lambda a: a.view(-1), lambda: (leaf(2, 3),)),
    ("transpose", lambda a: a.transpose(0, 2), lambda: (leaf(2, 3, 4),)),
    ("permute", lambda a: a.permute(1, 2, 0), lambda: (leaf(2, 3, 4),)),
    ("T", lambda a: a.T, lambda: (leaf(2, 3),)),
    ("squeeze", lambda a: a.squeeze(), lambda: (leaf(2, 1, 3),)),
    ("unsqueeze", lambda a: a.unsqueeze(1), lambda: (leaf(2, 3),)),
    ("expand", lambda a: a.expand(4, 2, 3), lambda: (leaf(2, 1),)),
    ("getitem_basic", lambda a: a[1:, ::2], lambda: (leaf(3, 5),)),
    ("getitem_int_array_repeats", lambda a: a[[0, 2, 0, 0]], lambda: (leaf(3, 2),)),
    ("getitem_mixed", lambda a: a[:, [1, 1, 0]], lambda: (leaf(3, 2),)),
    ("getitem_mask", lambda a: a[a > 0], lambda: (leaf(4, 3),)),
    ("cat", lambda a, b: tt.cat([a, b, a], axis=1), lambda: (leaf(2, 3), leaf(2, 1, seed=1))),
    ("stack", lambda a, b: tt.stack([a, b], axis=1), lambda: (leaf(2, 3), leaf(2, 3, seed=1))),
    ("to_float64_roundtrip", lambda a: a.to("float64") * 2, lambda: (leaf(3),)),
]


@pytest.mark.parametrize(("name", "fn", "make_inputs"), CASES, ids=[c[0] for c in CASES])
def test_gradcheck_every_op(name, fn, make_inputs):
    assert gradcheck(fn, *make_inputs())


def test_gradcheck_non_contiguous_input():
    base = leaf(4, 6)
    x = Tensor(base.data.T[::2], requires_grad=True)  # a strided, transposed view
    assert not x.data.flags.c_contiguous
    assert gradcheck(lambda a: (a * a).sum(axis=0), x)


class _WrongSquare(tt.Function):
    """x**2 with a deliberately wrong gradient (x instead of 2x)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * a


def test_gradcheck_reports_the_input_element_and_both_values():
    x = leaf(2, 3)
    with pytest.raises(
        GradcheckError, match=r"input 0 \(shape \(2, 3\)\), element \(0, 0\): analytic .* vs numeric"
    ):
        gradcheck(_WrongSquare.apply, x)


def test_gradcheck_catches_a_wrong_gradient_on_one_element_only():
    class OffByOne(tt.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 3

        @staticmethod
        def backward(ctx, grad):
            g = grad * 3
            g[-1] += 0.1
            return g

    with pytest.raises(GradcheckError, match=r"element \(4,\)"):
        gradcheck(OffByOne.apply, leaf(5))


@pytest.mark.filterwarnings("ignore:invalid value encountered in log")
def test_gradcheck_input_errors():
    with pytest.raises(TypeError, match="input 0 is float32; use float64"):
        gradcheck(lambda a: a * 2, tt.ones(3, requires_grad=True))
    nan_input = Tensor([1.0, np.nan], dtype="float64", requires_grad=True)
    with pytest.raises(ValueError, match=r"input 0 \(shape \(2,\)\) contains NaN"):
        gradcheck(lambda a: a * 2, nan_input)
    with pytest.raises(GradcheckError, match=r"output \(shape \(3,\)\) contains NaN"):
        gradcheck(lambda a: (a - 2.0).log(), leaf(3, low=0.5, high=1.0))
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda a: a * 2, Tensor([1.0], dtype="float64"))


def test_gradcheck_leaves_existing_grads_untouched():
    x = leaf(3)
    x.grad = Tensor(np.full(3, 7.0))
    gradcheck(lambda a: a * a, x)
    np.testing.assert_array_equal(x.grad.data, [7.0, 7.0, 7.0])
