"""Module 04: Linear, Sequential, Dropout, Flatten, Identity and tinytorch.nn.init (forward only)."""

import math
import warnings

import numpy as np
import pytest

import tinytorch.core as tc
import tinytorch.nn.functional as F
from tinytorch.core import Tensor
from tinytorch.nn import Dropout, Flatten, Identity, Linear, ReLU, Sequential, Tanh, init

pytestmark = pytest.mark.module04


# ------------------------------------------------------------------- Linear


def test_linear_shapes_dtype_and_values():
    tc.manual_seed(0)
    layer = Linear(3, 2)
    assert layer.weight.shape == (2, 3) and layer.bias.shape == (2,)  # PyTorch's (out, in)
    assert layer.weight.dtype == tc.float32 and layer.weight.requires_grad
    W, b = layer.weight.data, layer.bias.data
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    np.testing.assert_allclose(layer(Tensor(x)).data, x @ W.T + b, rtol=1e-6)
    # any number of leading dimensions: (*, in) -> (*, out)
    x3 = np.arange(24, dtype=np.float32).reshape(2, 4, 3)
    np.testing.assert_allclose(layer(Tensor(x3)).data, x3 @ W.T + b, rtol=1e-6)
    np.testing.assert_allclose(layer(Tensor(x[0])).data, x[0] @ W.T + b, rtol=1e-6)


def test_linear_without_bias_and_in_float64():
    layer = Linear(4, 3, bias=False, dtype="float64")
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    assert layer.weight.dtype == tc.float64
    x = np.ones((2, 4))
    np.testing.assert_allclose(layer(Tensor(x)).data, x @ layer.weight.data.T)
    assert repr(layer) == "Linear(in_features=4, out_features=3, bias=False)"


def test_linear_records_a_graph_before_autograd_exists():
    out = Linear(2, 2)(tc.randn(3, 2))
    assert out.requires_grad and repr(out.grad_fn) == "<LinearFunctionBackward>"


def test_linear_init_is_pytorchs_uniform_and_reproducible():
    tc.manual_seed(42)
    a = Linear(400, 300)
    tc.manual_seed(42)
    b = Linear(400, 300)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)
    assert not np.array_equal(a.weight.data, Linear(400, 300).weight.data)  # the generator moved on
    bound = 1 / math.sqrt(400)
    for p in (a.weight.data, a.bias.data):
        assert np.abs(p).max() <= bound and np.abs(p).max() > 0.9 * bound
    # U(-b, b) has variance b^2 / 3; 120,000 samples pin it to about 1%
    assert a.weight.data.var() == pytest.approx(bound**2 / 3, rel=0.02)
    assert abs(a.weight.data.mean()) < 0.01 * bound


def test_linear_functional_and_reference_agree():
    tc.manual_seed(3)
    layer = Linear(5, 4)
    x = tc.randn(6, 5)
    expected = layer(x).data
    np.testing.assert_allclose(F.linear(x, layer.weight, layer.bias).data, expected, rtol=1e-6)
    np.testing.assert_allclose(F.linear_reference(x, layer.weight, layer.bias).data, expected, rtol=1e-6)
    np.testing.assert_allclose(
        F.linear(x, layer.weight).data, expected - layer.bias.data, rtol=1e-5, atol=1e-6
    )


def test_linear_with_zero_in_features_outputs_the_bias_as_pytorch():
    """Linear(0, 4): W is (4, 0), x @ W.T is an (N, 4) sum over nothing (zeros), so y is the
    bias broadcast, as in PyTorch. Init divides by no zero fan (the bias bound is 0: zeros)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero RuntimeWarning
        layer = Linear(0, 4)
    assert layer.weight.shape == (4, 0) and layer.bias.shape == (4,)
    np.testing.assert_array_equal(layer.bias.data, np.zeros(4, np.float32))
    layer.bias.data[...] = [1, 2, 3, 4]
    out = layer(Tensor(np.zeros((5, 0), np.float32)))
    assert out.shape == (5, 4) and out.dtype == tc.float32
    np.testing.assert_array_equal(out.data, np.tile(np.float32([1, 2, 3, 4]), (5, 1)))
    assert layer(Tensor(np.zeros((2, 3, 0), np.float32))).shape == (2, 3, 4)
    np.testing.assert_array_equal(layer(Tensor(np.zeros(0, np.float32))).data, [1, 2, 3, 4])  # 1-D input
    x = Tensor(np.zeros((5, 0), np.float32))
    np.testing.assert_array_equal(Linear(0, 4, bias=False)(x).data, np.zeros((5, 4), np.float32))
    np.testing.assert_array_equal(F.linear_reference(x, layer.weight, layer.bias).data, out.data)


@pytest.mark.parametrize(
    ("in_features", "out_features", "shape", "expected"),
    [
        (3, 0, (5, 3), (5, 0)),  # no outputs
        (4, 3, (0, 4), (0, 3)),  # an empty batch
        (0, 0, (2, 0), (2, 0)),
    ],
)
def test_linear_other_zero_sizes_give_pytorchs_shapes(in_features, out_features, shape, expected):
    out = Linear(in_features, out_features)(Tensor(np.ones(shape, np.float32)))
    assert out.shape == expected and out.data.size == math.prod(expected)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: Linear(2, 4)(tc.randn(5, 3)),
            ValueError,
            r"^Linear\(in_features=2, out_features=4, bias=True\): input has 3 features in its last "
            r"dimension, expected 2 for a weight of shape \(4, 2\) \(input shape \(5, 3\)\)$",
        ),
        (
            lambda: Linear(2, 4)(tc.randn(5, 2, dtype="float64")),
            TypeError,
            r"Linear\(.*\): input has dtype float64",
        ),
        (lambda: Linear(2, 4)(Tensor([1, 2], dtype="int64")), TypeError, r"Linear\(.*\): expected a float32"),
        (lambda: Linear(2, 4)(Tensor(1.0)), ValueError, r"Linear\(.*\): input is a 0-d tensor"),
        (lambda: Linear(-1, 4), ValueError, "Linear: in_features must be a non-negative int, got -1"),
        (lambda: Linear(2, 2.5), ValueError, "Linear: out_features must be a non-negative int"),
        (
            lambda: F.linear(tc.randn(5, 3), tc.randn(4, 2)),
            ValueError,
            r"linear: input has 3 features .* expected 2 for a weight of shape \(4, 2\)",
        ),
        (lambda: F.linear(tc.randn(5, 2), tc.randn(4, 2), tc.randn(3)), ValueError, r"bias has shape \(3,\)"),
        (lambda: F.linear(tc.randn(5, 2), tc.randn(2)), ValueError, "linear: weight must be 2-D"),
    ],
)
def test_linear_bad_input_is_a_clear_error(call, error, match):
    assert Linear(2, 4)(tc.randn(5, 2)).shape == (5, 4)  # module 04's code runs first
    with pytest.raises(error, match=match):
        call()


# --------------------------------------------------------------- Sequential


def test_sequential_accepts_a_list_or_arguments_and_names_children_like_pytorch():
    tc.manual_seed(0)
    layers = [Linear(2, 4), ReLU(), Linear(4, 1)]
    for model in (Sequential(layers), Sequential(*layers), Sequential(tuple(layers))):
        assert len(model) == 3 and list(model) == layers
        assert [n for n, _ in model.named_children()] == ["0", "1", "2"]
        assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
        assert model[0] is layers[0] and model[-1] is layers[2]
    x = tc.randn(5, 2)
    np.testing.assert_array_equal(Sequential(layers)(x).data, layers[2](layers[1](layers[0](x))).data)


def test_sequential_slicing_append_and_named_children():
    a, b, c = Linear(2, 3), Tanh(), Linear(3, 1)
    model = Sequential(a, b, c)
    tail = model[1:]
    assert isinstance(tail, Sequential) and list(tail) == [b, c]
    assert [n for n, _ in tail.named_children()] == ["1", "2"]  # names kept, as in PyTorch
    assert len(Sequential().append(a).append(b)) == 2
    named = Sequential({"enc": a, "act": b})
    assert list(named.state_dict()) == ["enc.weight", "enc.bias"]
    with pytest.raises(IndexError, match="index 3 is out of range for 3 modules"):
        model[3]
    with pytest.raises(TypeError, match="Sequential: item '1' is a function, not a Module"):
        Sequential(a, F.relu)
    assert Sequential()(Tensor([1.0])).data.tolist() == [1.0]  # empty: the identity


# ------------------------------------------------------------------ Dropout


def test_dropout_zeroes_about_p_and_scales_the_rest():
    tc.manual_seed(0)
    x = tc.ones(200_000)
    out = Dropout(0.3)(x).data
    assert out.dtype == np.float32
    kept = out != 0
    assert kept.mean() == pytest.approx(0.7, abs=0.005)  # about 8 standard deviations
    np.testing.assert_allclose(out[kept], 1 / 0.7, rtol=1e-6)
    assert out.mean() == pytest.approx(1.0, abs=0.01)  # inverted dropout keeps the expectation


def test_dropout_masks_are_fresh_each_call_and_reproducible_by_seed():
    x = tc.ones(1000)
    tc.manual_seed(7)
    first, second = F.dropout(x).data, F.dropout(x).data
    assert not np.array_equal(first, second)
    tc.manual_seed(7)
    np.testing.assert_array_equal(F.dropout(x).data, first)


def test_dropout_is_the_identity_in_eval_mode_and_at_p_0():
    x = tc.randn(4, 5)
    layer = Dropout(0.5)
    assert np.count_nonzero(layer(x).data) < x.size  # training mode drops
    assert layer.eval()(x) is x
    assert Dropout(0.0)(x) is x
    assert F.dropout(x, 0.9, training=False) is x


def test_dropout_p_1_drops_everything_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = Dropout(1.0)(tc.randn(10)).data
    np.testing.assert_array_equal(out, np.zeros(10))


@pytest.mark.parametrize("p", [-0.1, 1.5, "0.5", None])
def test_dropout_probability_is_validated(p):
    assert Dropout(0.5)(tc.ones(100)).data.max() == 2.0  # module 04's code runs first
    with pytest.raises(
        ValueError, match=f"Dropout: dropout probability has to be between 0 and 1, but got {p!r}"
    ):
        Dropout(p)
    assert repr(Dropout(0.25)) == "Dropout(p=0.25)"


# ------------------------------------------------------- Flatten and Identity


def test_flatten_merges_dims_as_a_view():
    x = tc.randn(2, 3, 4, 5)
    out = Flatten()(x)
    assert out.shape == (2, 60) and np.shares_memory(out.data, x.data)
    np.testing.assert_array_equal(out.data, x.data.reshape(2, 60))
    assert Flatten(0)(x).shape == (120,)
    assert Flatten(1, 2)(x).shape == (2, 12, 5)
    assert Flatten(-3, -2)(x).shape == (2, 12, 5)
    assert Flatten(0, 0)(tc.randn(3)).shape == (3,)
    assert repr(Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    with pytest.raises(ValueError, match=r"start_dim 4 is out of range for an input of shape \(2, 3, 4, 5\)"):
        Flatten(4)(x)
    with pytest.raises(ValueError, match="start_dim comes after end_dim"):
        Flatten(2, 1)(x)


def test_identity_returns_its_input_and_ignores_arguments():
    x = tc.randn(3)
    assert Identity(54, unused="x")(x) is x
    assert Sequential(Identity(), Flatten(0))(x).shape == (3,)


# --------------------------------------------------------------------- init


def test_calculate_gain_matches_pytorchs_table():
    assert (
        init.calculate_gain("linear") == init.calculate_gain("sigmoid") == init.calculate_gain("conv2d") == 1
    )
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


def test_fans_follow_pytorchs_conventions():
    assert init.calculate_fan_in_and_fan_out(tc.zeros(20, 10)) == (10, 20)
    assert init.calculate_fan_in_and_fan_out(tc.zeros(8, 3, 5, 5)) == (75, 200)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.kaiming_uniform_(tc.zeros(5))


SCALED = [
    # (initialiser, kwargs, expected standard deviation for a (400, 200) weight)
    (init.xavier_uniform_, {}, math.sqrt(2 / 600)),
    (init.xavier_normal_, {"gain": 2.0}, 2 * math.sqrt(2 / 600)),
    (init.kaiming_uniform_, {}, math.sqrt(2) / math.sqrt(200)),
    (init.kaiming_normal_, {"nonlinearity": "relu", "mode": "fan_out"}, math.sqrt(2) / math.sqrt(400)),
    (init.kaiming_uniform_, {"a": math.sqrt(5)}, 1 / math.sqrt(3 * 200)),
    (init.normal_, {"mean": 0.0, "std": 0.02}, 0.02),
    (init.uniform_, {"a": -1.0, "b": 1.0}, 1 / math.sqrt(3)),
]


@pytest.mark.parametrize(("fn", "kwargs", "std"), SCALED, ids=[f"{f.__name__}{k}" for f, k, _ in SCALED])
def test_initialisers_have_the_documented_spread(fn, kwargs, std):
    tc.manual_seed(0)
    w = tc.zeros(400, 200)
    assert fn(w, **kwargs) is w  # in place, returns its argument
    assert w.data.std() == pytest.approx(std, rel=0.02)
    assert abs(w.data.mean()) < 0.02 * std
    if "uniform" in fn.__name__:
        assert np.abs(w.data).max() <= math.sqrt(3) * std * (1 + 1e-6)


def test_constant_initialisers_and_reproducibility():
    w = tc.zeros(3, 4)
    np.testing.assert_array_equal(init.ones_(w).data, np.ones((3, 4)))
    np.testing.assert_array_equal(init.constant_(w, 0.5).data, np.full((3, 4), 0.5))
    np.testing.assert_array_equal(init.zeros_(w).data, np.zeros((3, 4)))
    tc.manual_seed(1)
    a = init.xavier_normal_(tc.zeros(5, 5)).data.copy()
    tc.manual_seed(1)
    np.testing.assert_array_equal(init.xavier_normal_(tc.zeros(5, 5)).data, a)
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_normal_(w, mode="fan_avg")


def test_dropout_scales_survivors_by_dropout_scale():
    from tinytorch.nn.dropout import dropout_scale

    assert dropout_scale(0.25) == 4 / 3 and dropout_scale(0.0) == 1.0 and dropout_scale(1.0) == 0.0
    tc.manual_seed(0)
    out = F.dropout(tc.ones(10_000), p=0.25).data
    np.testing.assert_array_equal(np.unique(out), [0.0, np.float32(dropout_scale(0.25))])
