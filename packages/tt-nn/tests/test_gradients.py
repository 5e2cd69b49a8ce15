"""Module 05: the backward halves of the activation and layer ops, checked by gradcheck.

Activations and layers run forward in modules 03-04; their gradients are
written in module 05, with the engine, so every test that calls backward
through them is graded here.
"""

import math

import numpy as np
import pytest

import tinytorch.core as tc
import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch.core import Tensor, gradcheck, graph_nbytes

pytestmark = pytest.mark.module05


def leaf(*shape, low=-3.0, high=3.0, seed=0):
    """A float64 leaf with random values kept away from 0 (where ReLU has a kink)."""
    values = np.random.default_rng(seed).uniform(low, high, size=shape)
    values = np.where(np.abs(values) < 0.05, 0.5, values)
    return Tensor(values, dtype="float64", requires_grad=True)


ACTIVATIONS = {
    "relu": F.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.1),
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "gelu": F.gelu,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "softmax_last": F.softmax,
    "softmax_dim0": lambda x: F.softmax(x, dim=0),
    "log_softmax": lambda x: F.log_softmax(x, dim=1),
    "log_softmax_dim0": lambda x: F.log_softmax(x, dim=0),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_gradcheck_every_activation(name):
    assert gradcheck(ACTIVATIONS[name], leaf(3, 5))


@pytest.mark.parametrize("name", [n for n in ACTIVATIONS if "softmax" not in n])
def test_gradcheck_elementwise_activations_on_0d_tensors(name):
    assert gradcheck(ACTIVATIONS[name], leaf())
    assert gradcheck(ACTIVATIONS[name], leaf(seed=1, low=-3, high=-1))


@pytest.mark.parametrize("name", ["sigmoid", "softmax_last", "log_softmax"])
def test_gradients_are_finite_at_large_logits(name):
    x = Tensor([[-1000.0, 0.0, 1000.0]], requires_grad=True)
    ACTIVATIONS[name](x).backward(np.ones((1, 3), dtype=np.float32))
    assert np.all(np.isfinite(x.grad.data))


def test_activation_modules_backpropagate():
    for module in (
        nn.ReLU(),
        nn.LeakyReLU(),
        nn.Sigmoid(),
        nn.Tanh(),
        nn.GELU(),
        nn.Softmax(),
        nn.LogSoftmax(),
    ):
        assert gradcheck(module, leaf(2, 4, seed=1)), module


def test_relu_gradient_at_zero_is_zero_as_in_pytorch():
    x = Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    F.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 1.0])


def test_activations_save_one_array_and_backpropagate_from_it():
    """Sigmoid keeps its output only: one (1000,) float32 array, 4000 bytes."""
    x = tc.randn(1000, requires_grad=True)
    assert graph_nbytes(F.softmax(x, dim=0)) == 4000
    out = F.sigmoid(x)
    assert graph_nbytes(out) == 4000
    out.sum().backward()  # sigmoid' = s (1 - s), from the saved output alone
    np.testing.assert_allclose(x.grad.data, out.data * (1 - out.data), rtol=1e-6)


def linear64(in_features, out_features, bias=True, seed=0):
    tc.manual_seed(seed)
    return nn.Linear(in_features, out_features, bias=bias, dtype="float64")


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 3), (3,)], ids=["2d", "3d", "1d"])
def test_gradcheck_linear_wrt_input_weight_and_bias(shape):
    layer = linear64(3, 2)
    x = leaf(*shape)
    assert gradcheck(lambda x, w, b: F.linear(x, w, b), x, layer.weight, layer.bias)
    assert gradcheck(layer, x)


def test_gradcheck_linear_without_bias_and_the_reference_version():
    layer = linear64(3, 2, bias=False)
    assert gradcheck(lambda x, w: F.linear(x, w), leaf(4, 3), layer.weight)
    layer = linear64(3, 2)
    assert gradcheck(F.linear_reference, leaf(4, 3), layer.weight, layer.bias)


def test_fused_linear_and_reference_give_the_same_gradients():
    layer = linear64(5, 4, seed=3)
    grads = []
    for fn in (F.linear, F.linear_reference):
        x = leaf(6, 5, seed=4)
        layer.zero_grad()
        (fn(x, layer.weight, layer.bias) ** 2).sum().backward()
        grads.append([x.grad.data, layer.weight.grad.data, layer.bias.grad.data])
    for fused, reference in zip(*grads, strict=True):
        np.testing.assert_allclose(fused, reference, rtol=1e-12)


@pytest.mark.parametrize("fn", [F.linear, F.linear_reference], ids=["fused", "reference"])
def test_linear_with_zero_in_features_backpropagates_to_the_bias(fn):
    """Linear(0, 4) on (5, 0): dL/db is the upstream gradient summed over the batch; the (4, 0)
    weight and the (5, 0) input get empty gradients of their own shapes (PyTorch's results)."""
    layer = nn.Linear(0, 4, dtype="float64")
    x = Tensor(np.zeros((5, 0)), requires_grad=True)
    upstream = np.arange(20.0).reshape(5, 4)
    (fn(x, layer.weight, layer.bias) * Tensor(upstream)).sum().backward()
    np.testing.assert_array_equal(layer.bias.grad.data, [40.0, 45.0, 50.0, 55.0])
    assert layer.weight.grad.shape == (4, 0) and x.grad.shape == (5, 0)


@pytest.mark.parametrize(
    ("in_features", "out_features", "shape"), [(3, 0, (5, 3)), (4, 3, (0, 4)), (0, 2, (2, 3, 0))]
)
def test_linear_other_zero_sizes_backpropagate_zeros_of_the_right_shapes(in_features, out_features, shape):
    layer = nn.Linear(in_features, out_features, dtype="float64")
    x = Tensor(np.ones(shape), requires_grad=True)
    layer(x).sum().backward()
    assert x.grad.shape == shape and layer.weight.grad.shape == (out_features, in_features)
    np.testing.assert_array_equal(x.grad.data, np.zeros(shape))  # no output depends on x, or no x at all
    np.testing.assert_array_equal(layer.weight.grad.data, np.zeros((out_features, in_features)))
    expected_db = np.full(out_features, math.prod(shape[:-1]), dtype=np.float64)  # one per batch position
    np.testing.assert_array_equal(layer.bias.grad.data, expected_db)


def test_linear_weight_grad_is_contiguous_and_in_weight_layout():
    layer = nn.Linear(5, 3)
    layer(tc.randn(4, 5)).sum().backward()
    assert layer.weight.grad.shape == (3, 5) and layer.weight.grad.data.flags.c_contiguous


def test_gradcheck_dropout_with_a_fixed_mask():
    def fixed_dropout(x):
        tc.manual_seed(0)  # the same mask on every call gradcheck makes
        return F.dropout(x, 0.4)

    assert gradcheck(fixed_dropout, leaf(4, 5))


def test_dropout_gradient_is_the_mask_scaled_and_the_graph_keeps_one_byte_per_element():
    x = tc.ones(1000, requires_grad=True)
    out = F.dropout(x, 0.5)
    assert graph_nbytes(out) == 1000  # a bool mask, not a float one
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, out.data)  # d(x * m * 2)/dx = m * 2 = out when x = 1


def test_gradcheck_flatten_and_a_whole_mlp():
    tc.manual_seed(0)
    model = nn.Sequential(
        nn.Flatten(),
        nn.Linear(6, 5, dtype="float64"),
        nn.Tanh(),
        nn.Linear(5, 4, dtype="float64"),
        nn.GELU(),
        nn.Linear(4, 3, dtype="float64"),
        nn.LogSoftmax(dim=1),
    )
    x = leaf(2, 2, 3)
    assert gradcheck(model, x)
    assert gradcheck(lambda *params: model(x), *model.parameters())


def test_an_mlp_learns_xor_with_hand_written_gradient_descent():
    """Module 03's lesson, with learning: hidden ReLU units let gradient descent fit XOR."""
    tc.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid())
    x = Tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = Tensor([[0.0], [1.0], [1.0], [0.0]])
    for _ in range(1500):
        model.zero_grad()
        diff = model(x) - y
        loss = (diff * diff).mean()  # MSE by hand: loss functions are module 06
        loss.backward()
        for p in model.parameters():
            p.data -= 0.5 * p.grad.data
    assert loss.item() < 0.01
    np.testing.assert_array_equal(model(x).data > 0.5, y.data > 0.5)
