"""Module 05: the given ops of issue 15 (ops_math.py, std/logsumexp/norm, lerp, index
placement, flatten) pass a float64 finite-difference check, with broadcasting, 0-d
inputs and negative dims; piecewise-constant ops have gradient exactly 0."""

import numpy as np
import pytest

import tinytorch.core as tt
from tinytorch.core import Tensor, gradcheck

pytestmark = pytest.mark.module05


def leaf(*shape, low=-2.0, high=2.0, seed=0):
    rng = np.random.default_rng(seed + 11 * len(shape))
    return Tensor(rng.uniform(low, high, size=shape), dtype="float64", requires_grad=True)


def pos(*shape, seed=0):
    return leaf(*shape, low=0.5, high=2.0, seed=seed)


def off_grid(*shape, seed=0):
    """Values away from the jumps of % and // by 1.5 (so finite differences are smooth)."""
    x = leaf(*shape, seed=seed, low=-4, high=4)
    frac = np.mod(x.data, 1.5)
    x.data[(frac < 0.1) | (frac > 1.4)] += 0.5
    return x


CASES = [
    ("sin", lambda a: a.sin(), lambda: (leaf(3, 4),)),
    ("cos", lambda a: tt.cos(a), lambda: (leaf(3, 4),)),
    ("erf", lambda a: tt.erf(a), lambda: (leaf(2, 5, low=-3, high=3),)),
    ("erf_0d", lambda a: a.erf(), lambda: (leaf(),)),
    ("rsqrt", lambda a: a.rsqrt(), lambda: (pos(4),)),
    ("log2", lambda a: tt.log2(a), lambda: (pos(2, 3),)),
    ("log10", lambda a: a.log10(), lambda: (pos(2, 3),)),
    ("log1p", lambda a: tt.log1p(a), lambda: (leaf(5, low=-0.5, high=3),)),
    ("expm1", lambda a: a.expm1(), lambda: (leaf(5),)),
    ("mod_scalar", lambda a: a % 1.5, lambda: (off_grid(6),)),
    ("mod_tensors", lambda a, b: a % b, lambda: (off_grid(2, 3), Tensor([1.5, -1.5, 1.5], "float64", True))),
    ("rmod", lambda b: 2.25 % b, lambda: (Tensor([1.0, -1.0, 0.875, 2.0], "float64", True),)),
    (
        "remainder_fn",
        lambda a, b: tt.remainder(a, b),
        lambda: (off_grid(3, 1), Tensor([1.5, -1.5], "float64", True)),
    ),
    ("lerp_scalar", lambda a, b: tt.lerp(a, b, 0.3), lambda: (leaf(3, 1), leaf(4, seed=1))),
    ("lerp_tensor", lambda a, b, w: a.lerp(b, w), lambda: (leaf(2, 3), leaf(3, seed=1), leaf(2, 1, seed=2))),
    ("std", lambda a: a.std(), lambda: (leaf(3, 4),)),
    ("std_dim", lambda a: a.std(dim=-1, keepdim=True, correction=0), lambda: (leaf(3, 4),)),
    ("std_dims", lambda a: a.std((0, 2)), lambda: (leaf(2, 3, 2),)),
    ("logsumexp", lambda a: a.logsumexp(dim=1), lambda: (leaf(3, 4, low=-5, high=5),)),
    ("logsumexp_all", lambda a: a.logsumexp(), lambda: (leaf(2, 3),)),
    ("logsumexp_large", lambda a: (a * 300).logsumexp(-1), lambda: (leaf(2, 3),)),
    ("norm", lambda a: a.norm(), lambda: (leaf(3, 4),)),
    ("norm_1", lambda a: a.norm(1, dim=0), lambda: (leaf(3, 4),)),
    ("norm_3", lambda a: a.norm(3, dim=-1, keepdim=True), lambda: (leaf(3, 4),)),
    ("norm_inf", lambda a: a.norm(float("inf"), dim=1), lambda: (leaf(3, 4),)),
    ("norm_neg_inf", lambda a: a.norm(-float("inf")), lambda: (leaf(3, 4),)),
    ("norm_fro", lambda a: a.norm("fro", dim=(0, 1)), lambda: (leaf(2, 3, 2),)),
    ("clip_min_above_max", lambda a: a.clip(1.0, -1.0) * a, lambda: (leaf(5),)),
    ("index_int_slice_array", lambda a: a[1, :, Tensor(np.array([[0], [2]]))], lambda: (leaf(2, 3, 4),)),
    (
        "index_int_mask",
        lambda a: a[:, -1, Tensor(np.array([True, False, True, True]))],
        lambda: (leaf(2, 3, 4),),
    ),
    (
        "index_arrays_ellipsis",
        lambda a: a[Tensor(np.array([0, 0])), ..., Tensor(np.array([1, 3]))],
        lambda: (leaf(2, 4),),
    ),
    ("flatten", lambda a: a.flatten(1, 2) * 2, lambda: (leaf(2, 3, 2, 2),)),
    ("flatten_fn", lambda a: tt.flatten(a, -2), lambda: (leaf(2, 3, 2),)),
]


@pytest.mark.parametrize(("name", "fn", "make_inputs"), CASES, ids=[c[0] for c in CASES])
def test_gradcheck(name, fn, make_inputs):
    assert gradcheck(fn, *make_inputs())


@pytest.mark.parametrize(
    "fn",
    [
        tt.floor,
        tt.ceil,
        tt.round,
        tt.trunc,
        tt.sign,
        lambda a: a.round(decimals=1),
        lambda a: a // 0.75,
        lambda a: tt.floor_divide(a, a * 0 + 2),
    ],
    ids=["floor", "ceil", "round", "trunc", "sign", "round_decimals", "floordiv", "floor_divide"],
)
def test_piecewise_constant_ops_have_gradient_zero(fn):
    x = leaf(3, 4)
    out = fn(x)
    assert out.requires_grad
    (out * 3).sum().backward()
    assert x.grad is not None and x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.data, np.zeros((3, 4)))


def test_remainder_gradient_wrt_divisor_is_minus_floor():
    a = Tensor([-7.0, 7.0, 5.5], requires_grad=True)
    b = Tensor([2.0, -2.0, 1.5], requires_grad=True)
    (a % b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [1, 1, 1])
    np.testing.assert_array_equal(b.grad.data, -np.floor(np.array([-7.0, 7.0, 5.5]) / [2, -2, 1.5]))


def test_norm_and_std_gradients_at_zero_are_zero():
    for fn in (lambda t: t.norm(), lambda t: t.norm(1), lambda t: t.norm(3, dim=0), lambda t: t.std()):
        x = Tensor(np.zeros((2, 2)), requires_grad=True)
        fn(x).sum().backward()
        np.testing.assert_array_equal(x.grad.data, np.zeros((2, 2)))


def test_logsumexp_gradient_is_softmax():
    x = leaf(2, 5, low=-50, high=50)
    x.logsumexp(dim=1).sum().backward()
    e = np.exp(x.data - x.data.max(axis=1, keepdims=True))
    np.testing.assert_allclose(x.grad.data, e / e.sum(axis=1, keepdims=True), rtol=1e-12)


def test_clip_with_min_above_max_passes_no_gradient():
    x = leaf(6)
    x.clip(0.5, -0.5).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.zeros(6))


def test_int_tensor_promoted_by_a_float_scalar_feeds_float_gradients():
    w = leaf(3)
    idx = tt.arange(3)
    (w * (idx + 0.5).to("float64")).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [0.5, 1.5, 2.5])
