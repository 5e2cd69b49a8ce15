"""Module 09: conv2d / Conv2d — the im2col version against the loop version, gradcheck, errors, the module.

Forward values are compared with PyTorch's F.conv2d in float64, stored with their inputs in
tests/fixtures/conv.npz (`hatch run oracle:test` compares with PyTorch directly, gradients too).
"""

import math

import numpy as np
import pytest

import tinytorch.core as tc
import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch.core import Tensor
from tinytorch.vision import Conv2d, MaxPool2d
from tinytorch.vision import functional as VF

pytestmark = pytest.mark.module09

# (batch, in_channels, out_channels, H, W, kernel, stride, padding, bias)
CONFIGS = [
    (2, 1, 1, 5, 5, 3, 1, 0, True),
    (2, 3, 4, 7, 8, 3, 1, 0, True),
    (1, 2, 3, 7, 7, 3, 2, 1, False),
    (3, 2, 2, 9, 6, (3, 2), (2, 1), (1, 0), True),
    (2, 4, 2, 5, 7, 1, 1, 0, True),
    (1, 3, 2, 6, 6, 5, 1, 2, False),
    (2, 2, 3, 8, 8, 4, 3, 1, True),
    (1, 1, 2, 3, 3, 3, 1, 0, True),  # kernel = input: a 1x1 output
]
IDS = [
    f"b{c[0]}-c{c[1]}-o{c[2]}-{c[3]}x{c[4]}-k{c[5]}-s{c[6]}-p{c[7]}-{'bias' if c[8] else 'nobias'}"
    for c in CONFIGS
]


def conv_inputs(config, dtype=np.float64, seed=0):
    batch, c_in, c_out, h, w, kernel, _, _, bias = config
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    r = np.random.default_rng(seed)
    x = Tensor(r.standard_normal((batch, c_in, h, w)).astype(dtype), requires_grad=True)
    weight = Tensor(r.standard_normal((c_out, c_in, kh, kw)).astype(dtype), requires_grad=True)
    b = Tensor(r.standard_normal(c_out).astype(dtype), requires_grad=True) if bias else None
    return x, weight, b


@pytest.mark.parametrize("case", IDS)
@pytest.mark.parametrize("version", ["fast", "loop"])
def test_conv2d_forward_matches_pytorchs(case, version, stored):
    config = CONFIGS[IDS.index(case)]
    data = stored("conv", f"{case}/")
    assert ("bias" in data) == config[8]
    fn = VF.conv2d if version == "fast" else VF.conv2d_reference
    stride, padding = config[6], config[7]
    bias = Tensor(data["bias"]) if "bias" in data else None
    out = fn(Tensor(data["x"]), Tensor(data["weight"]), bias, stride, padding)
    assert out.shape == data["out"].shape and out.dtype == tc.float64
    np.testing.assert_allclose(out.data, data["out"], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
@pytest.mark.parametrize("version", ["fast", "loop"])
def test_conv2d_gradcheck(config, version):
    x, weight, bias = conv_inputs(config)
    fn = VF.conv2d if version == "fast" else VF.conv2d_reference
    stride, padding = config[6], config[7]
    if bias is None:
        assert tc.gradcheck(lambda x, w: fn(x, w, None, stride, padding), x, weight)
    else:
        assert tc.gradcheck(lambda x, w, b: fn(x, w, b, stride, padding), x, weight, bias)


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=str)
def test_fast_conv2d_equals_the_loop_version_forward_and_backward(config, dtype):
    stride, padding = config[6], config[7]
    grads = []
    for fn in (VF.conv2d, VF.conv2d_reference):
        x, weight, bias = conv_inputs(config, dtype)
        out = fn(x, weight, bias, stride, padding)
        assert out.dtype == dtype
        upstream = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
        out.backward(upstream)
        grads.append([out.data] + [t.grad.data for t in (x, weight, bias) if t is not None])
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for fast, loop in zip(*grads, strict=True):
        assert fast.dtype == dtype
        np.testing.assert_allclose(fast, loop, rtol=tol, atol=tol * max(1.0, np.abs(loop).max()))


def test_conv2d_skips_gradients_nobody_needs():
    x, weight, bias = conv_inputs(CONFIGS[1], np.float32)
    x.requires_grad_(False)  # a network's input: no dx is computed (needs_input_grad)
    out = VF.conv2d(x, weight, bias)
    out.sum().backward()
    assert x.grad is None and weight.grad is not None and bias.grad is not None
    frozen = Tensor(weight.data.copy())  # a frozen filter: only dx
    x2 = Tensor(x.data, requires_grad=True)
    VF.conv2d(x2, frozen).sum().backward()
    assert x2.grad is not None and frozen.grad is None


def test_conv2d_accepts_any_input_layout_and_chains_with_relu_and_pooling():
    """A transposed (non-contiguous) input; then a conv -> ReLU -> pool -> conv chain, fast vs loop."""
    r = np.random.default_rng(5)
    base = r.standard_normal((8, 7, 3, 2))  # (W, H, C, B) in memory
    x = base.transpose(3, 2, 1, 0)  # (2, 3, 7, 8) view with odd strides
    w1, w2 = r.standard_normal((4, 3, 3, 3)), r.standard_normal((2, 4, 2, 2))
    results = []
    for conv, pool in ((VF.conv2d, VF.max_pool2d), (VF.conv2d_reference, VF.max_pool2d_reference)):
        xt = Tensor(x, requires_grad=True)
        p1, p2 = Tensor(w1, requires_grad=True), Tensor(w2, requires_grad=True)
        out = conv(pool(F.relu(conv(xt, p1, None, 1, 1)), 2), p2, None, 1, 0)
        out.backward(np.ones(out.shape))
        results.append([out.data, xt.grad.data, p1.grad.data, p2.grad.data])
    for fast, loop in zip(*results, strict=True):
        np.testing.assert_allclose(fast, loop, rtol=1e-12, atol=1e-12)


def test_conv2d_output_layout_is_a_view_of_a_channel_major_buffer():
    """The fast output is (B, O, OH, OW) with batch innermost in memory: the next conv reads it free."""
    x, weight, _ = conv_inputs(CONFIGS[1], np.float32)
    out = VF.conv2d(x, weight)
    assert out.data.base is not None and out.data.transpose(1, 2, 3, 0).flags.c_contiguous


ERROR_CASES = [
    (
        lambda: VF.conv2d(tc.randn(3, 8, 8), tc.randn(2, 3, 3, 3)),
        ValueError,
        r"conv2d: expected a 4-D input \(B, C, H, W\), got shape \(3, 8, 8\)",
    ),
    (lambda: VF.conv2d(tc.randn(1, 3, 8, 8), tc.randn(2, 3, 3)), ValueError, r"conv2d: weight must be 4-D"),
    (
        lambda: VF.conv2d(tc.randn(1, 3, 8, 8), tc.randn(2, 4, 3, 3)),
        ValueError,
        r"conv2d: input of shape \(1, 3, 8, 8\) has 3 channels, but the weight of shape \(2, 4, 3, 3\) "
        r"expects 4",
    ),
    (
        lambda: VF.conv2d(tc.randn(1, 1, 4, 4), tc.randn(1, 1, 7, 7), padding=1),
        ValueError,
        r"conv2d: kernel size \(7, 7\) is larger than the padded input \(6, 6\) \(input shape \(1, 1, 4, 4\)",
    ),
    (
        lambda: VF.conv2d(tc.randn(1, 1, 4, 4), tc.randn(1, 1, 3, 3), stride=0),
        ValueError,
        r"conv2d: stride must be a positive int",
    ),
    (
        lambda: VF.conv2d(tc.randn(1, 1, 4, 4), tc.randn(1, 1, 3, 3), stride=(1, -2)),
        ValueError,
        r"conv2d: stride",
    ),
    (
        lambda: VF.conv2d(tc.randn(1, 1, 4, 4), tc.randn(1, 1, 3, 3), padding=-1),
        ValueError,
        r"conv2d: padding must be a non-negative",
    ),
    (
        lambda: VF.conv2d(tc.randn(1, 1, 4, 4), tc.randn(2, 1, 3, 3), tc.randn(3)),
        ValueError,
        r"conv2d: bias has shape \(3,\)",
    ),
    (
        lambda: VF.conv2d(tc.randn(1, 1, 4, 4).double(), tc.randn(1, 1, 3, 3)),
        TypeError,
        r"conv2d: input has dtype float64 but the weight has float32",
    ),
    (
        lambda: VF.conv2d(np.ones((1, 1, 4, 4)), tc.randn(1, 1, 3, 3)),
        TypeError,
        r"conv2d: expected a float32 or float64 input Tensor",
    ),
    (
        lambda: Conv2d(3, 8, 3)(tc.randn(2, 1, 8, 8)),
        ValueError,
        r"Conv2d\(3, 8, kernel_size=\(3, 3\), stride=\(1, 1\)\): input of shape \(2, 1, 8, 8\) has 1 ",
    ),
    (lambda: Conv2d(3, 8, 0), ValueError, r"Conv2d: kernel_size must be a positive int"),
    (lambda: Conv2d(0, 8, 3), ValueError, r"Conv2d: in_channels must be a positive int"),
    (
        lambda: VF.conv2d_reference(tc.randn(1, 2, 4, 4), tc.randn(1, 3, 3, 3)),
        ValueError,
        r"conv2d_reference: input of shape",
    ),
]


@pytest.mark.parametrize(("call", "error", "match"), ERROR_CASES)
def test_conv2d_bad_inputs_raise_clear_errors(call, error, match):
    assert VF.conv2d(tc.randn(1, 1, 4, 4), tc.randn(1, 1, 3, 3)).shape == (1, 1, 2, 2)  # the good call works
    with pytest.raises(error, match=match):
        call()


# ------------------------------------------------------------------- the module


def test_conv2d_module_parameters_state_dict_and_repr(stored):
    tc.manual_seed(0)
    layer = Conv2d(3, 8, (3, 5), stride=2, padding=(1, 2))
    assert layer.weight.shape == (8, 3, 3, 5) and layer.bias.shape == (8,)
    assert layer.weight.dtype == tc.float32 and layer.weight.requires_grad
    assert list(layer.state_dict()) == ["weight", "bias"]
    assert repr(layer) == "Conv2d(3, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 2))"
    assert repr(Conv2d(1, 2, 3, bias=False)) == "Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), bias=False)"
    assert Conv2d(1, 2, 3, bias=False).bias is None
    out = layer(tc.randn(2, 3, 9, 10))
    assert out.shape == (2, 8, 5, 5) and repr(out.grad_fn) == "<Conv2dFunctionBackward>"
    module = stored("conv", "module/")  # PyTorch's F.conv2d with these weights, in float64
    layer.load_state_dict({"weight": module["weight"], "bias": module["bias"]})
    out = layer(Tensor(np.ones((1, 3, 9, 10), np.float32)))
    assert out.dtype == tc.float32
    np.testing.assert_allclose(out.data, module["out"], rtol=1e-5, atol=1e-5)


def test_conv2d_init_is_pytorchs_kaiming_uniform_and_reproducible():
    tc.manual_seed(7)
    a = Conv2d(16, 64, 3)
    tc.manual_seed(7)
    b = Conv2d(16, 64, 3)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)
    bound = 1 / math.sqrt(16 * 3 * 3)  # fan_in = in_channels * kh * kw
    for p in (a.weight.data, a.bias.data):
        assert np.abs(p).max() <= bound
    assert np.abs(a.weight.data).max() > 0.99 * bound
    assert a.weight.data.var() == pytest.approx(bound**2 / 3, rel=0.03)  # 9216 samples
    assert abs(a.weight.data.mean()) < 0.03 * bound


def test_conv2d_module_in_float64_and_training_a_small_cnn_reduces_its_loss():
    tc.manual_seed(1)
    model = nn.Sequential(
        Conv2d(1, 4, 3, padding=1, dtype="float64"),
        nn.ReLU(),
        MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(4 * 4 * 4, 3, dtype="float64"),
    )
    r = np.random.default_rng(0)
    x = Tensor(r.standard_normal((12, 1, 8, 8)))
    y = Tensor(r.integers(0, 3, 12))
    losses = []
    for _ in range(30):
        model.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        for p in model.parameters():
            p.data -= 0.1 * p.grad.data
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


# ------------------------------------------------------------------- the workspace


def test_workspace_reuses_an_array_only_when_nothing_references_it():
    """The fast ops recycle big arrays; a result somebody still holds is never overwritten."""
    r = np.random.default_rng(0)
    x1, x2 = (Tensor(r.standard_normal((8, 4, 20, 20), dtype=np.float32)) for _ in range(2))
    w = Tensor(r.standard_normal((8, 4, 3, 3), dtype=np.float32))
    kept = VF.conv2d(x1, w)  # 8·18·18·8 floats = 81 KiB: from the workspace
    first = kept.data.copy()
    other = VF.conv2d(x2, w)
    np.testing.assert_array_equal(kept.data, first)  # not recycled while `kept` lives
    assert not np.shares_memory(kept.data, other.data)
    address = kept.data.__array_interface__["data"][0]  # (holding the buffer itself would keep it busy)
    del kept
    again = VF.conv2d(x2, w)  # now the first buffer is free again and is handed out
    assert again.data.__array_interface__["data"][0] == address
    np.testing.assert_array_equal(again.data, other.data)
    # a graph node's saved arrays count as references too: backward still sees the right cols
    xg = Tensor(x1.data, requires_grad=True)
    out = VF.conv2d(xg, w)
    for _ in range(2):  # forwards that would clobber any buffer shared by mistake
        VF.conv2d(x2, w)
    out.backward(np.ones(out.shape, np.float32))
    ref = Tensor(x1.data, requires_grad=True)
    VF.conv2d_reference(ref, w).backward(np.ones(out.shape, np.float32))
    np.testing.assert_allclose(xg.grad.data, ref.grad.data, rtol=1e-5, atol=1e-5)
