"""Module 03: activation values, numerical stability, erf, errors, and why XOR needs them.

Forward only: nothing here requires grad, so no module-05 code runs.
"""

import math
import warnings

import numpy as np
import pytest

import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch.core import Tensor
from tinytorch.core.testing import forbid
from tinytorch.nn.erf import erf

pytestmark = pytest.mark.module03

X = np.array([[-3.0, -1.0, -0.25, 0.0], [0.25, 1.0, 2.0, 5.0]])

# name -> (function, module); the expected values of X in float64 are PyTorch's, stored in
# tests/fixtures/activations.npz under the same names
ACTIVATIONS = {
    "relu": (F.relu, nn.ReLU()),
    "leaky_relu": (F.leaky_relu, nn.LeakyReLU()),
    "sigmoid": (F.sigmoid, nn.Sigmoid()),
    "tanh": (F.tanh, nn.Tanh()),
    "gelu": (F.gelu, nn.GELU()),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), nn.GELU(approximate="tanh")),
    "softmax": (F.softmax, nn.Softmax(dim=-1)),
    "log_softmax": (F.log_softmax, nn.LogSoftmax(dim=1)),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_match_pytorchs_in_both_dtypes(name, dtype, stored):
    fn, module = ACTIVATIONS[name]
    values = stored("activations")
    np.testing.assert_array_equal(values["x"], X)
    x = Tensor(X, dtype=dtype)
    tol = 1e-6 if dtype == "float32" else 1e-14
    for out in (fn(x), module(x)):
        assert isinstance(out, Tensor) and out.dtype == x.dtype and out.shape == x.shape
        np.testing.assert_allclose(out.data, values[name], rtol=tol, atol=tol)


def test_leaky_relu_slope_and_softmax_dim_are_honoured(stored):
    values = stored("activations")
    x = Tensor(X, dtype="float64")
    np.testing.assert_allclose(nn.LeakyReLU(0.2)(x).data, values["leaky_relu_0.2"], rtol=1e-14)
    by_column = nn.Softmax(dim=0)(x).data
    np.testing.assert_allclose(by_column, values["softmax_dim0"], rtol=1e-14)
    np.testing.assert_allclose(F.softmax(x, dim=-2).data, by_column)


def test_relu_passes_positive_values_and_zeroes_the_rest():
    out = F.relu(Tensor([-2.0, -0.0, 0.0, 3.5]))
    np.testing.assert_array_equal(out.data, [0.0, 0.0, 0.0, 3.5])


def test_sigmoid_and_softmax_are_stable_at_plus_minus_1000():
    x = Tensor([[-1000.0, 0.0, 1000.0], [1000.0, 1000.0, -1000.0]])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        sig = F.sigmoid(x).data
        soft = F.softmax(x, dim=1).data
        log_soft = F.log_softmax(x, dim=1).data
    np.testing.assert_array_equal(sig, [[0.0, 0.5, 1.0], [1.0, 1.0, 0.0]])
    np.testing.assert_allclose(soft, [[0.0, 0.0, 1.0], [0.5, 0.5, 0.0]])
    np.testing.assert_allclose(
        log_soft, [[-2000.0, -1000.0, 0.0], [-math.log(2), -math.log(2), -2000.0 - math.log(2)]]
    )


def test_sigmoid_keeps_small_values_for_very_negative_inputs():
    # 1 / (1 + exp(30)) ~ 9.4e-14: the e / (1 + e) branch keeps its digits
    out = F.sigmoid(Tensor([-30.0, -100.0], dtype="float64")).data
    np.testing.assert_allclose(out, [1 / (1 + math.exp(30)), 1 / (1 + math.exp(100))], rtol=1e-15)


def test_softmax_rows_are_distributions():
    x = Tensor(np.random.default_rng(0).standard_normal((5, 7)) * 10)
    p = F.softmax(x, dim=1).data
    assert np.all(p >= 0) and np.all(p <= 1)
    np.testing.assert_allclose(p.sum(axis=1), np.ones(5), rtol=1e-6)
    np.testing.assert_allclose(np.exp(F.log_softmax(x, dim=1).data), p, rtol=1e-5, atol=1e-7)


def test_erf_matches_math_erf_to_a_few_ulp():
    """erf is given code; exact GELU (module 03) is x * (1 + erf(x / sqrt 2)) / 2 on top of it."""
    np.testing.assert_allclose(
        F.gelu(Tensor([-1.0, 1.0], dtype="float64")).data,
        [-0.15865525393145707, 0.8413447460685429],
        rtol=1e-15,
    )
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-6, 6, 20_000), rng.normal(0, 0.3, 5_000), np.linspace(-30, 30, 2001)])
    x = np.concatenate([x, [0.0, -0.0, 0.46875, -0.46875, 4.0, -4.0, 27.5, 1e-300, np.inf, -np.inf]])
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(erf(x), expected, rtol=2e-15, atol=1e-300)
    assert erf(np.array([-0.0]))[0] == 0.0 and np.signbit(erf(np.array([-0.0]))[0])
    assert np.isnan(erf(np.array([np.nan])))[0]
    assert erf(x.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(erf(x.astype(np.float32)), expected, atol=3e-7)


def test_modules_keep_their_options_and_reprs_match_pytorch():
    np.testing.assert_allclose(nn.LeakyReLU(0.5)(Tensor([-2.0, 2.0])).data, [-1.0, 2.0])
    assert repr(nn.ReLU()) == "ReLU()"
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.GELU(approximate="tanh")) == "GELU(approximate='tanh')"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.LogSoftmax(dim=-1)) == "LogSoftmax(dim=-1)"
    assert list(nn.Sigmoid().parameters()) == []


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: F.relu(Tensor([1, 2], dtype="int64")),
            TypeError,
            "relu: expected a float32 or float64 Tensor, got dtype int64",
        ),
        (lambda: F.sigmoid(np.zeros(3)), TypeError, "sigmoid: expected a Tensor, got ndarray"),
        (lambda: F.softmax(Tensor(np.zeros((2, 3))), dim=2), ValueError, r"softmax: dim 2 .* shape \(2, 3\)"),
        (
            lambda: F.log_softmax(Tensor(1.0), dim=1),
            IndexError,
            "log_softmax: dim 1 is out of range for a 0-d tensor",
        ),
        (lambda: F.gelu(Tensor([1.0]), approximate="fast"), ValueError, "gelu: approximate must be"),
        (lambda: nn.GELU("erf"), ValueError, "GELU: approximate must be 'none' or 'tanh'"),
    ],
)
def test_bad_input_is_a_clear_error(call, error, match):
    # a working call first: the checks are given code, the values are module 03's
    np.testing.assert_allclose(F.softmax(Tensor([0.0, 0.0])).data, [0.5, 0.5])
    with pytest.raises(error, match=match):
        call()


# ------------------------------------------------------------ the XOR lesson

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=np.float32)
XOR_Y = np.array([0.0, 1.0, 1.0, 0.0], dtype=np.float32)


def test_no_linear_model_fits_xor_but_one_relu_layer_does():
    # 1. The best linear fit y = w1 x1 + w2 x2 + b, solved exactly by least squares:
    #    w = 0, b = 0.5, a prediction of 0.5 for every point: mean squared error 0.25.
    design = np.hstack([XOR_X, np.ones((4, 1))]).astype(np.float64)
    coef, *_ = np.linalg.lstsq(design, XOR_Y, rcond=None)
    np.testing.assert_allclose(coef, [0.0, 0.0, 0.5], atol=1e-12)
    assert np.mean((design @ coef - XOR_Y) ** 2) == pytest.approx(0.25)
    # 2. Whatever the weights, a linear classifier (w.x + b > 0) gets at most 3 of 4 right:
    #    b <= 0, w1 + b > 0, w2 + b > 0 imply w1 + w2 + b > -b >= 0, so (1, 1) is misclassified.
    weights = np.random.default_rng(0).standard_normal((20_000, 3))
    predictions = (design @ weights.T > 0).astype(float)  # (4 points, 20,000 models)
    accuracy = (predictions == XOR_Y[:, None]).mean(axis=0)
    assert accuracy.max() == 0.75

    # 3. One hidden ReLU layer with hand-set weights fits XOR exactly:
    #    h1 = relu(x1 + x2), h2 = relu(x1 + x2 - 1), y = h1 - 2 h2.
    w1 = Tensor([[1.0, 1.0], [1.0, 1.0]])  # (in 2, hidden 2)
    b1 = Tensor([0.0, -1.0])
    w2 = Tensor([[1.0], [-2.0]])  # (hidden 2, out 1)
    hidden = F.relu(Tensor(XOR_X) @ w1 + b1)
    out = (hidden @ w2).reshape(4)
    np.testing.assert_array_equal(out.data, XOR_Y)
    # Without the ReLU the same weights are just another linear model: not XOR.
    assert not np.array_equal(((Tensor(XOR_X) @ w1 + b1) @ w2).reshape(4).data, XOR_Y)


def test_the_in_place_sigmoid_equals_the_textbook_stable_sigmoid():
    """`stable_sigmoid` (the student's whole-array formula) and the given in-place version that
    Sigmoid runs agree on every sign, at ±1000, at 0 and for 0-d input, in both float dtypes.
    The student's version runs under `forbid`: it must not just call the given one."""
    from tinytorch.nn.activations import stable_sigmoid, stable_sigmoid_inplace

    for dtype in (np.float32, np.float64):
        x = np.random.default_rng(0).normal(0, 20, 1000)
        x = np.concatenate([x, [-1000, -30, 0, 30, 1000]]).astype(dtype)
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            with forbid(stable_sigmoid, "stable_sigmoid_inplace"):
                expected, tiny = stable_sigmoid(x), stable_sigmoid(dtype(-30))
            got = stable_sigmoid_inplace(x)
        assert expected.dtype == got.dtype == dtype and expected.shape == x.shape
        np.testing.assert_array_max_ulp(got, expected, maxulp=2)
        assert expected[-5] == 0 and expected[-3] == 0.5 and expected[-1] == 1
        assert expected[-4] == np.exp(dtype(-30)) / (1 + np.exp(dtype(-30)))  # tiny, full precision
        assert tiny.item() == stable_sigmoid_inplace(dtype(-30)).item()
