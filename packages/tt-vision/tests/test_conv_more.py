"""Issue 15's convolutions (given code): conv2d with groups / dilation / padding strings,
conv_transpose2d, conv1d and their Modules — against definitions written here with the
plain loop conv (a dilated kernel is a kernel with zeros between its taps, a grouped conv
is G plain convs side by side, a transposed conv the adjoint of a conv), gradcheck in
float64, errors, state dicts, repr and init. PyTorch itself: tests/oracle/test_oracle_conv_more.py.
"""

import math

import numpy as np
import pytest

import tinytorch.core as tc
from tinytorch.core import ArgumentError, ShapeError, Tensor
from tinytorch.vision import Conv1d, Conv2d, ConvTranspose2d
from tinytorch.vision import functional as VF

pytestmark = pytest.mark.module09


def rand(*shape, seed=0, grad=False, dtype=np.float64):
    data = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return Tensor(data, requires_grad=grad)


def dilate_kernel(w, dilation):
    """(O, C, kh, kw) -> the same taps dh, dw apart, zeros between."""
    (dh, dw), (o, c, kh, kw) = dilation, w.shape
    out = np.zeros((o, c, dh * (kh - 1) + 1, dw * (kw - 1) + 1), w.dtype)
    out[:, :, ::dh, ::dw] = w
    return out


def definition(x, w, b, stride, padding, dilation, groups):
    """conv2d by the loop version: per group, the dilated kernel, padding ((t, b), (l, r))."""
    (top, bottom), (left, right) = padding
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    wd = dilate_kernel(w, dilation)
    c, o = x.shape[1] // groups, w.shape[0] // groups
    outs = [
        VF.conv2d_reference(
            Tensor(xp[:, g * c : (g + 1) * c]), Tensor(wd[g * o : (g + 1) * o]),
            None if b is None else Tensor(b[g * o : (g + 1) * o]), stride, 0,
        ).data
        for g in range(groups)
    ]  # fmt: skip
    return np.concatenate(outs, axis=1)


# (B, C, O, H, W, kernel, stride, padding, dilation, groups)
CONV_CASES = [
    (2, 4, 6, 7, 8, 3, 1, 1, 2, 2),
    (2, 4, 4, 9, 9, 3, 2, 0, 1, 4),  # depthwise
    (2, 3, 6, 8, 8, 3, 1, 1, 1, 3),  # depthwise, channel multiplier 2
    (1, 3, 6, 6, 7, (2, 3), (1, 2), (1, 0), (2, 1), 3),
    (2, 2, 2, 6, 6, 4, 1, "same", 1, 1),  # odd total: the extra row at the bottom
    (2, 4, 4, 6, 5, 2, 1, "same", 3, 2),
    (2, 2, 3, 5, 5, 3, 1, "valid", 1, 1),
    (1, 2, 2, 5, 5, 3, 1, 0, (2, 1), 1),  # dilation alone
]


def resolved(padding, kernel, dilation):
    kernel = (kernel, kernel) if isinstance(kernel, int) else kernel
    dilation = (dilation, dilation) if isinstance(dilation, int) else dilation
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        totals = [d * (k - 1) for d, k in zip(dilation, kernel, strict=True)]
        return tuple((t // 2, t - t // 2) for t in totals)
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    return (ph, ph), (pw, pw)


def conv_case(case, dtype=np.float64, grad=False):
    b, c, o, h, w, k, *_, groups = case
    kh, kw = (k, k) if isinstance(k, int) else k
    return (
        rand(b, c, h, w, seed=1, grad=grad, dtype=dtype),
        rand(o, c // groups, kh, kw, seed=2, grad=grad, dtype=dtype),
        rand(o, seed=3, grad=grad, dtype=dtype),
    )


@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_grouped_dilated_conv2d_equals_its_definition(case):
    *_, k, stride, padding, dilation, groups = case
    x, w, b = conv_case(case)
    out = VF.conv2d(x, w, b, stride, padding, dilation, groups)
    d = (dilation, dilation) if isinstance(dilation, int) else dilation
    want = definition(x.data, w.data, b.data, stride, resolved(padding, k, dilation), d, groups)
    assert out.shape == want.shape
    np.testing.assert_allclose(out.data, want, rtol=1e-12, atol=1e-12)
    if padding == "same":
        assert out.shape[2:] == x.shape[2:]


@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_grouped_dilated_conv2d_gradcheck(case):
    *_, stride, padding, dilation, groups = case
    x, w, b = conv_case(case, grad=True)
    assert tc.gradcheck(lambda x, w, b: VF.conv2d(x, w, b, stride, padding, dilation, groups), x, w, b)


def test_conv2d_zero_batch_and_float32():
    x, w, b = rand(0, 4, 6, 6, grad=True), rand(4, 1, 3, 3, grad=True), rand(4, grad=True)
    out = VF.conv2d(x, w, b, padding=1, groups=4)
    assert out.shape == (0, 4, 6, 6)
    out.sum().backward()
    assert x.grad.shape == x.shape and not w.grad.data.any() and not b.grad.data.any()
    x32, w32 = rand(2, 4, 6, 6, dtype=np.float32), rand(4, 2, 3, 3, dtype=np.float32)
    assert VF.conv2d(x32, w32, None, 1, "same", 2, 2).dtype == tc.float32


# (B, Cin, Cout, H, W, kernel, stride, padding, output_padding, dilation, groups)
TRANSPOSE_CASES = [
    (2, 4, 6, 5, 4, 3, 1, 0, 0, 1, 1),
    (2, 4, 6, 5, 4, 3, 2, 1, 1, 1, 2),
    (1, 6, 3, 4, 5, (2, 3), (2, 3), (1, 0), (1, 2), (2, 1), 3),
    (2, 2, 4, 3, 3, 2, 1, 0, 1, 2, 1),  # output_padding below the dilation
    (0, 4, 4, 3, 3, 3, 2, 0, 0, 1, 4),
]


def transpose_case(case, grad=False):
    b, c_in, c_out, h, w, k, *_, groups = case
    kh, kw = (k, k) if isinstance(k, int) else k
    return (
        rand(b, c_in, h, w, seed=4, grad=grad),
        rand(c_in, c_out // groups, kh, kw, seed=5, grad=grad),
        rand(c_out, seed=6, grad=grad),
    )


@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=str)
def test_conv_transpose2d_is_the_adjoint_of_conv2d(case):
    """<conv_transpose(x), y> = <x, conv(y)> with the same weight, and the size formula."""
    b, _, c_out, h, w, k, stride, padding, output_padding, dilation, groups = case
    x, wt, _ = transpose_case(case)
    out = VF.conv_transpose2d(x, wt, None, stride, padding, output_padding, groups, dilation)
    pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    sizes = [
        (n - 1) * s - 2 * p + d * (kk - 1) + op + 1
        for n, s, p, d, kk, op in zip(
            (h, w), pair(stride), pair(padding), pair(dilation), pair(k), pair(output_padding), strict=True
        )
    ]
    assert out.shape == (b, c_out, *sizes)
    y = rand(*out.shape, seed=7)
    # conv2d's weight (O, C/G, ...) with O = Cin: the transposed conv's weight is exactly that
    # (output_padding >= stride, allowed below the dilation, gives conv2d extra positions: cropped)
    back = VF.conv2d(y, wt, None, stride, padding, dilation, groups).data[:, :, :h, :w]
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(out.data * y.data), np.sum(x.data * back), rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("case", TRANSPOSE_CASES[:4], ids=str)
def test_conv_transpose2d_gradcheck(case):
    *_, stride, padding, output_padding, dilation, groups = case
    x, w, b = transpose_case(case, grad=True)
    fn = lambda x, w, b: VF.conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation)  # noqa: E731
    assert tc.gradcheck(fn, x, w, b)


@pytest.mark.parametrize(
    ("stride", "padding", "dilation", "groups"),
    [(1, 1, 1, 1), (2, 0, 2, 2), (1, "same", 1, 4), (1, "valid", 3, 1)],
)
def test_conv1d_equals_conv2d_on_a_one_row_image_and_gradcheck(stride, padding, dilation, groups):
    x, w, b = (
        rand(2, 4, 11, seed=8, grad=True),
        rand(4, 4 // groups, 3, seed=9, grad=True),
        rand(4, grad=True),
    )
    out = VF.conv1d(x, w, b, stride, padding, dilation, groups)
    p2 = padding if isinstance(padding, str) else (0, padding)
    want = VF.conv2d(
        x.reshape(2, 4, 1, 11), w.reshape(4, 4 // groups, 1, 3), b, (1, stride), p2, (1, dilation), groups
    )
    np.testing.assert_allclose(out.data, want.data.reshape(out.shape), rtol=1e-12)
    assert tc.gradcheck(lambda x, w, b: VF.conv1d(x, w, b, stride, padding, dilation, groups), x, w, b)


def test_pad_then_conv_is_asymmetric_padding():
    x, w = rand(1, 2, 5, 6, grad=True), rand(3, 2, 3, 3)
    out = VF.conv2d(tc.pad(x, (1, 0, 2, 1)), w)
    want = definition(x.data, w.data, None, (1, 1), ((2, 1), (1, 0)), (1, 1), 1)
    np.testing.assert_allclose(out.data, want, rtol=1e-12)


# -------------------------------------------------------------------- errors


def r(*shape, dtype=np.float64):
    return rand(*shape, dtype=dtype)


ERRORS = [
    (lambda: VF.conv2d(r(1, 5, 8, 8), r(4, 3, 3, 3), groups=2), ShapeError,
     r"conv2d: groups=2 and weight of shape \(4, 3, 3, 3\) expect an input with 6 channels, "
     r"got input of shape \(1, 5, 8, 8\)"),
    (lambda: VF.conv2d(r(1, 6, 8, 8), r(4, 2, 3, 3), groups=3), ShapeError,
     r"conv2d: weight of shape \(4, 2, 3, 3\) has 4 filters, not divisible by groups=3"),
    (lambda: VF.conv2d(r(1, 4, 8, 8), r(4, 2, 3, 3), stride=2, padding="same", groups=2),
     ArgumentError, r"conv2d: padding='same' is not supported for strided convolutions"),
    (lambda: VF.conv2d(r(1, 4, 4, 4), r(4, 2, 3, 3), groups=2, dilation=2), ShapeError,
     r"conv2d: kernel size \(3, 3\) with dilation \(2, 2\) spans \(5, 5\), larger than the "
     r"padded input \(4, 4\) \(input shape \(1, 4, 4, 4\)"),
    (lambda: VF.conv2d(r(1, 4, 4, 4), r(4, 2, 3, 3), padding="full", groups=2), ValueError,
     r"conv2d: invalid padding string 'full'"),
    (lambda: VF.conv2d(r(1, 4, 4, 4), r(4, 4, 3, 3), groups=0), ArgumentError,
     r"conv2d: groups must be"),
    (lambda: VF.conv2d(r(1, 4, 4, 4), r(4, 4, 3, 3), dilation=0), ArgumentError,
     r"conv2d: dilation must be"),
    (lambda: VF.conv2d(r(1, 4, 4, 4), r(4, 2, 3, 3, dtype=np.float32), groups=2), tc.DTypeError,
     r"conv2d: input has dtype float64 but the weight has float32"),
    (lambda: VF.conv_transpose2d(r(1, 4, 4, 4), r(4, 2, 3, 3), stride=2, output_padding=2),
     ArgumentError, r"conv_transpose2d: output padding must be smaller than either stride or dilation"),
    (lambda: VF.conv_transpose2d(r(1, 5, 4, 4), r(4, 2, 3, 3)), ShapeError,
     r"conv_transpose2d: input of shape \(1, 5, 4, 4\) has 5 channels, but the weight of shape "
     r"\(4, 2, 3, 3\)"),
    (lambda: VF.conv_transpose2d(r(1, 4, 1, 1), r(4, 2, 1, 1), padding=1), ShapeError,
     r"conv_transpose2d: output size \(-1, -1\) is too small"),
    (lambda: VF.conv1d(r(1, 4, 8, 8), r(4, 4, 3)), ShapeError,
     r"conv1d: expected a 3-D input \(N, C, L\), got shape \(1, 4, 8, 8\)"),
    (lambda: VF.conv1d(r(1, 4, 2), r(4, 4, 3)), ShapeError,
     r"conv1d: kernel size \(1, 3\) .* larger than the padded input \(1, 2\)"),
    (lambda: Conv2d(4, 8, 3, groups=3), ValueError, r"Conv2d: in_channels=4 must be divisible by groups=3"),
    (lambda: Conv2d(4, 6, 3, groups=4), ValueError, r"Conv2d: out_channels=6 must be divisible by groups=4"),
    (lambda: Conv2d(4, 8, 3, stride=2, padding="same"), ValueError,
     r"Conv2d: padding='same' is not supported for strided"),
    (lambda: Conv2d(4, 8, 3, padding_mode="mirror"), ValueError, r"Conv2d: padding_mode must be one of"),
    (lambda: ConvTranspose2d(4, 6, 3, groups=4), ValueError,
     r"ConvTranspose2d: out_channels=6 must be divisible"),
    (lambda: Conv1d(4, 8, 3, stride=2, padding="same"), ValueError,
     r"Conv1d: padding='same' is not supported"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "error", "match"), ERRORS)
def test_errors_name_the_op_and_the_shapes(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ------------------------------------------------------------------- modules


@pytest.mark.parametrize(
    ("layer", "weight_shape", "text"),
    [
        (lambda: Conv2d(4, 8, 3, padding="same", dilation=2, groups=2, bias=False, padding_mode="reflect"),
         (8, 2, 3, 3),
         "Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1), padding=same, dilation=(2, 2), groups=2, "
         "bias=False, padding_mode=reflect)"),
        (lambda: Conv2d(4, 4, 3, groups=4), (4, 1, 3, 3),
         "Conv2d(4, 4, kernel_size=(3, 3), stride=(1, 1), groups=4)"),
        (lambda: ConvTranspose2d(4, 8, 3, stride=2, output_padding=1, groups=2, dilation=2), (4, 4, 3, 3),
         "ConvTranspose2d(4, 8, kernel_size=(3, 3), stride=(2, 2), dilation=(2, 2), "
         "output_padding=(1, 1), groups=2)"),
        (lambda: Conv1d(4, 8, 3, padding="same", groups=2), (8, 2, 3),
         "Conv1d(4, 8, kernel_size=(3,), stride=(1,), padding=same, groups=2)"),
    ],
)  # fmt: skip
def test_layers_weight_shapes_state_dict_repr_and_init_bounds(layer, weight_shape, text):
    m = layer()
    assert repr(m) == text
    assert m.weight.shape == weight_shape
    fan_in = weight_shape[1] * math.prod(weight_shape[2:])
    assert np.abs(m.weight.data).max() <= 1 / math.sqrt(fan_in)
    state = m.state_dict()
    assert list(state) == (["weight", "bias"] if m.bias is not None else ["weight"])
    twin = layer()
    twin.load_state_dict(state)
    np.testing.assert_array_equal(twin.weight.data, m.weight.data)


def test_conv2d_layer_padding_modes_match_pad_then_conv():
    x = rand(2, 4, 7, 6, dtype=np.float32)
    for mode in ("reflect", "replicate", "circular"):
        m = Conv2d(4, 4, 3, padding=(1, 2), groups=2, padding_mode=mode)
        want = VF.conv2d(tc.pad(x, (2, 2, 1, 1), mode=mode), m.weight, m.bias, groups=2)
        np.testing.assert_allclose(m(x).data, want.data, rtol=1e-6)


def test_conv_transpose2d_layer_output_size_and_conv1d_layer():
    m = ConvTranspose2d(4, 8, 3, stride=2, groups=2)
    assert m(rand(1, 4, 5, 5, dtype=np.float32), output_size=(12, 12)).shape == (1, 8, 12, 12)
    with pytest.raises(ValueError, match=r"valid sizes range from 11 to 12"):
        m(rand(1, 4, 5, 5, dtype=np.float32), output_size=(13, 13))
    c = Conv1d(4, 6, 3, stride=2, dilation=2, dtype=tc.float64)
    assert c(rand(3, 4, 20)).shape == (3, 6, 8)
