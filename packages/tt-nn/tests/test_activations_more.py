"""Issue 15's activations (SiLU, Softplus, ELU, Hardtanh, ReLU6), normalize and the 0-d softmax:
values from their definitions, gradcheck in float64, edge shapes and clear errors."""

import numpy as np
import pytest

import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch.core import DimensionError, Tensor, gradcheck

X = np.array([-25.0, -3.0, -1.0, -0.3, 0.4, 1.0, 2.5, 25.0])

DEFINITIONS = {
    "silu": (F.silu, lambda x: x / (1 + np.exp(-x))),
    "softplus": (F.softplus, lambda x: np.where(x > 20, x, np.log1p(np.exp(x)))),
    "softplus-beta2": (
        lambda t: F.softplus(t, beta=2.0, threshold=4.0),
        lambda x: np.where(2 * x > 4, x, np.log1p(np.exp(2 * x)) / 2),
    ),
    "elu": (F.elu, lambda x: np.where(x > 0, x, np.exp(x) - 1)),
    "elu-alpha": (lambda t: F.elu(t, alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * (np.exp(x) - 1))),
    "hardtanh": (F.hardtanh, lambda x: np.clip(x, -1, 1)),
    "hardtanh-bounds": (lambda t: F.hardtanh(t, -2.0, 0.5), lambda x: np.clip(x, -2, 0.5)),
    "relu6": (F.relu6, lambda x: np.clip(x, 0, 6)),
}


@pytest.mark.module03
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", list(DEFINITIONS))
def test_values_follow_the_definition(case, dtype):
    fn, definition = DEFINITIONS[case]
    out = fn(Tensor(X.astype(dtype)))
    assert out.dtype == np.dtype(dtype) and out.shape == X.shape
    np.testing.assert_allclose(out.data, definition(X), rtol=1e-6, atol=1e-7)


@pytest.mark.module05
@pytest.mark.parametrize("case", list(DEFINITIONS))
def test_gradcheck(case):
    fn, _ = DEFINITIONS[case]
    rng = np.random.default_rng(3)
    x = rng.uniform(-3, 3, size=(3, 4))
    x[np.abs(x) < 0.05] = 0.3  # away from the kinks at 0 (ELU) ...
    x[np.abs(np.abs(x) - 1) < 0.05] = 1.5  # ... and at the clip bounds
    assert gradcheck(fn, Tensor(x, requires_grad=True))


@pytest.mark.module05
def test_kinks_take_pytorchs_one_sided_gradients():
    x = Tensor(np.array([-1.0, 0.0, 1.0, 2.0]), requires_grad=True)
    F.hardtanh(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0, 1, 0, 0])  # 0 at the bounds
    x = Tensor(np.array([0.0, 1e-3]), requires_grad=True)
    F.elu(x, alpha=2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 1.0])  # alpha at 0 (the negative branch)
    x = Tensor(np.array([-1000.0, 1000.0]), requires_grad=True)
    out = F.softplus(x, threshold=float("inf"))  # no overflow without the linear cut
    np.testing.assert_allclose(out.data, [0.0, 1000.0])
    out.sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 1.0])


@pytest.mark.module05
@pytest.mark.parametrize("shape", [(), (0,), (2, 0, 3)])
def test_edge_shapes(shape):
    for fn in (F.silu, F.softplus, F.elu, F.hardtanh, F.relu6):
        x = Tensor(np.full(shape, 0.5), requires_grad=True)
        out = fn(x)
        assert out.shape == shape
        out.sum().backward()
        assert x.grad.shape == shape


@pytest.mark.module03
def test_modules_and_reprs():
    x = Tensor(X)
    np.testing.assert_allclose(nn.SiLU()(x).data, F.silu(x).data)
    np.testing.assert_allclose(nn.Softplus(2.0, 4.0)(x).data, F.softplus(x, 2.0, 4.0).data)
    np.testing.assert_allclose(nn.ELU(0.5)(x).data, F.elu(x, 0.5).data)
    np.testing.assert_allclose(nn.Hardtanh(-2, 0.5)(x).data, F.hardtanh(x, -2, 0.5).data)
    np.testing.assert_allclose(nn.ReLU6()(x).data, F.relu6(x).data)
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
    assert repr(nn.ELU(alpha=2)) == "ELU(alpha=2)"
    assert repr(nn.Hardtanh()) == "Hardtanh(min_val=-1.0, max_val=1.0)"
    assert repr(nn.SiLU()) == "SiLU()"
    assert list(nn.Softplus().parameters()) == []


@pytest.mark.module05
def test_normalize_values_gradcheck_and_edges():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [-1.0, 1.0]])
    np.testing.assert_allclose(F.normalize(Tensor(x)).data, [[0.6, 0.8], [0, 0], [-(0.5**0.5), 0.5**0.5]])
    np.testing.assert_allclose(F.normalize(Tensor(x), p=1, dim=0).data[:, 0], [0.75, 0, -0.25])
    np.testing.assert_allclose(F.normalize(Tensor(x), p=float("inf"), dim=-1).data[0], [0.75, 1.0])
    assert F.normalize(Tensor(x.astype(np.float32))).dtype == np.float32
    rng = np.random.default_rng(0)
    for p, dim in [(2.0, 1), (1.0, 0), (3.0, -1)]:
        a = rng.uniform(0.5, 2, size=(3, 4)) * rng.choice([-1, 1], size=(3, 4))
        assert gradcheck(lambda t, p=p, dim=dim: F.normalize(t, p=p, dim=dim), Tensor(a, requires_grad=True))
    z = Tensor(np.zeros((2, 3)), requires_grad=True)  # a zero row: divided by eps, gradient 1 / eps
    F.normalize(z).sum().backward()
    np.testing.assert_allclose(z.grad.data, 1e12)
    np.testing.assert_allclose(F.normalize(Tensor(-3.0), dim=0).data, -1.0)  # 0-d: its own dim
    assert F.normalize(Tensor(np.zeros((0, 3))), dim=-1).shape == (0, 3)


@pytest.mark.module05
@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
def test_softmax_of_a_0d_tensor(fn):
    x = Tensor(3.0, requires_grad=True)
    out = fn(x, 0)
    assert out.shape == ()
    np.testing.assert_array_equal(out.data, 1.0 if fn is F.softmax else 0.0)
    out.backward()
    np.testing.assert_array_equal(x.grad.data, 0.0)
    np.testing.assert_array_equal(fn(Tensor(np.float32(-7.0)), -1).data, 1.0 if fn is F.softmax else 0.0)
    module = nn.Softmax(0) if fn is F.softmax else nn.LogSoftmax(-1)
    assert module(Tensor(2.0)).shape == ()


@pytest.mark.module03
@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: F.silu(Tensor([1, 2], dtype="int64")),
            TypeError,
            "silu: expected a float32 or float64 Tensor",
        ),
        (lambda: F.softplus(np.zeros(3)), TypeError, "softplus: expected a Tensor, got ndarray"),
        (lambda: F.elu(Tensor([1], dtype="int64")), TypeError, "elu: expected a float32"),
        (
            lambda: F.hardtanh(Tensor([1.0]), 2.0, 1.0),
            ValueError,
            "hardtanh: min_val cannot be greater than max_val",
        ),
        (
            lambda: nn.Hardtanh(1, 0),
            ValueError,
            "Hardtanh: min_val cannot be greater than max_val, got 1 > 0",
        ),
        (lambda: F.relu6(Tensor([1], dtype="int64")), TypeError, "relu6: expected a float32"),
        (
            lambda: F.normalize(Tensor([1.0, 2.0])),
            DimensionError,
            r"normalize: dim 1 is out of range .* \(2,\)",
        ),
        (
            lambda: F.normalize(Tensor(1.0), dim=1),
            DimensionError,
            "normalize: dim 1 is out of range for a 0-d",
        ),
        (lambda: F.normalize(Tensor([1.0]), dim=0.5), ValueError, "normalize: dim must be an int"),
        (
            lambda: F.softmax(Tensor(1.0), dim=1),
            DimensionError,
            "softmax: dim 1 is out of range for a 0-d tensor",
        ),
        (
            lambda: F.log_softmax(Tensor(1.0), dim=-2),
            IndexError,
            "log_softmax: dim -2 is out of range for a 0-d",
        ),
    ],
)
def test_bad_input_is_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()
