"""Issue 15's convolutions against PyTorch: conv2d with groups / dilation / padding strings,
conv_transpose2d, conv1d (forward and every gradient, float32 and float64, 0-size batch),
pad + conv2d, the layers' state dicts both ways, init and the errors' types."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from tt_vision_oracle import DTYPES, assert_matches, run_both

import tinytorch.core as tc
from tinytorch.core import Tensor
from tinytorch.vision import Conv1d, Conv2d, ConvTranspose2d
from tinytorch.vision import functional as VF

pytestmark = [
    pytest.mark.oracle,
    pytest.mark.module09,
    pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel"),  # torch, about its own copy
]

NAMES = ["output", "dx", "dweight", "dbias"]


def arrays(x_shape, w_shape, n_bias, dtype, seed=0):
    r = np.random.default_rng(seed)
    return [
        r.standard_normal(x_shape).astype(dtype),
        r.uniform(-0.5, 0.5, w_shape).astype(dtype),
        None if n_bias is None else r.uniform(-0.5, 0.5, n_bias).astype(dtype),
    ]


# (B, C, O, H, W, kernel, stride, padding, dilation, groups, bias)
CONV_GRID = [
    (8, 32, 32, 14, 14, 3, 1, 1, 1, 32, True),  # depthwise 3x3
    (2, 8, 16, 9, 9, 3, 2, 1, 1, 8, True),  # depthwise, multiplier 2, strided
    (2, 6, 4, 11, 10, 3, 1, 2, 2, 2, False),
    (3, 4, 6, 9, 12, (3, 2), (2, 1), (1, 0), (1, 3), 2, True),
    (2, 3, 5, 8, 7, 4, 1, "same", 1, 1, True),  # even kernel: the extra row at the bottom/right
    (2, 4, 4, 9, 8, (3, 4), 1, "same", (2, 3), 4, True),
    (2, 3, 5, 8, 7, 3, (2, 3), "valid", 2, 1, False),
    (0, 4, 8, 6, 6, 3, 1, 1, 2, 2, True),  # 0-size batch
    (2, 4, 4, 7, 7, 3, 1, 1, (1, 1), 1, True),  # dilation as a pair of ones: the fast path
]


@pytest.mark.parametrize("config", CONV_GRID, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_conv2d_groups_dilation_padding_match_torch(config, dtype):
    b, c, o, h, w, k, stride, padding, dilation, groups, bias = config
    kh, kw = (k, k) if isinstance(k, int) else k
    ours, theirs = run_both(
        lambda x, wt, bb: VF.conv2d(x, wt, bb, stride, padding, dilation, groups),
        lambda x, wt, bb: TF.conv2d(x, wt, bb, stride, padding, dilation, groups),
        arrays((b, c, h, w), (o, c // groups, kh, kw), o if bias else None, dtype),
        [True, True, bias],
    )
    for name, a, t in zip(NAMES, ours, theirs, strict=False):
        assert_matches(a, t, f"conv2d {config} {name}")


# (B, Cin, Cout, H, W, kernel, stride, padding, output_padding, groups, dilation, bias)
TRANSPOSE_GRID = [
    (2, 4, 6, 5, 4, 3, 1, 0, 0, 1, 1, True),
    (2, 4, 6, 5, 4, 3, 2, 1, 1, 2, 1, True),
    (1, 6, 3, 4, 5, (2, 3), (2, 3), (1, 0), (1, 2), 3, (2, 1), False),
    (2, 2, 4, 3, 3, 2, 1, 0, 1, 1, 2, True),  # output_padding below the dilation, not the stride
    (3, 8, 8, 6, 6, 4, 2, 1, 0, 8, 1, True),  # depthwise, the usual 2x upsampling
    (0, 4, 4, 3, 3, 3, 2, 0, 0, 4, 1, True),
]


@pytest.mark.parametrize("config", TRANSPOSE_GRID, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_conv_transpose2d_matches_torch(config, dtype):
    b, c_in, c_out, h, w, k, stride, padding, op, groups, dilation, bias = config
    kh, kw = (k, k) if isinstance(k, int) else k
    ours, theirs = run_both(
        lambda x, wt, bb: VF.conv_transpose2d(x, wt, bb, stride, padding, op, groups, dilation),
        lambda x, wt, bb: TF.conv_transpose2d(x, wt, bb, stride, padding, op, groups, dilation),
        arrays((b, c_in, h, w), (c_in, c_out // groups, kh, kw), c_out if bias else None, dtype),
        [True, True, bias],
    )
    for name, a, t in zip(NAMES, ours, theirs, strict=False):
        assert_matches(a, t, f"conv_transpose2d {config} {name}")


# (B, C, O, L, kernel, stride, padding, dilation, groups)
CONV1D_GRID = [
    (2, 4, 6, 11, 3, 1, 1, 1, 1),
    (2, 4, 6, 11, 3, 2, 0, 2, 2),
    (2, 4, 4, 9, 4, 1, "same", 1, 4),
    (3, 3, 6, 10, 5, 1, "same", 2, 3),
    (0, 2, 2, 5, 3, 1, "valid", 1, 1),
]


@pytest.mark.parametrize("config", CONV1D_GRID, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_conv1d_matches_torch(config, dtype):
    b, c, o, length, k, stride, padding, dilation, groups = config
    ours, theirs = run_both(
        lambda x, wt, bb: VF.conv1d(x, wt, bb, stride, padding, dilation, groups),
        lambda x, wt, bb: TF.conv1d(x, wt, bb, stride, padding, dilation, groups),
        arrays((b, c, length), (o, c // groups, k), o, dtype),
        [True, True, True],
    )
    for name, a, t in zip(NAMES, ours, theirs, strict=False):
        assert_matches(a, t, f"conv1d {config} {name}")


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_then_conv2d_matches_torch(dtype, mode):
    """Asymmetric padding the PyTorch way: F.pad, then a conv without padding."""
    pads = (2, 0, 1, 3)  # left, right, top, bottom
    ours, theirs = run_both(
        lambda x, wt, bb: VF.conv2d(tc.pad(x, pads, mode=mode), wt, bb, 1, 0, 1, 2),
        lambda x, wt, bb: TF.conv2d(TF.pad(x, pads, mode=mode), wt, bb, 1, 0, 1, 2),
        arrays((2, 4, 6, 7), (6, 2, 3, 3), 6, dtype),
        [True, True, True],
    )
    for name, a, t in zip(NAMES, ours, theirs, strict=False):
        assert_matches(a, t, f"pad {mode} + conv2d {name}")


CONV2D, CONVT, CONV1D = (
    (Conv2d, torch.nn.Conv2d),
    (ConvTranspose2d, torch.nn.ConvTranspose2d),
    (Conv1d, torch.nn.Conv1d),
)
LAYERS = [
    (*CONV2D, (4, 8, 3), {"padding": "same", "dilation": 2, "groups": 2}, (2, 4, 9, 9)),
    (*CONV2D, (6, 6, 3), {"stride": 2, "padding": 1, "groups": 6, "bias": False}, (2, 6, 9, 8)),
    (*CONV2D, (4, 4, 3), {"padding": (1, 2), "padding_mode": "reflect"}, (2, 4, 7, 8)),
    (*CONV2D, (4, 8, 2), {"padding": "same", "groups": 4, "padding_mode": "circular"}, (2, 4, 6, 6)),
    (*CONVT, (4, 6, 3), {"stride": 2, "output_padding": 1, "groups": 2}, (2, 4, 5, 5)),
    (*CONVT, (4, 2, (2, 3)), {"dilation": 2, "padding": 1, "bias": False}, (1, 4, 4, 5)),
    (*CONV1D, (4, 6, 3), {"padding": "same", "dilation": 2, "groups": 2}, (2, 4, 10)),
    (*CONV1D, (3, 6, 4), {"stride": 2, "padding": 1}, (2, 3, 12)),
]  # fmt: skip


@pytest.mark.parametrize(("ours", "torchs", "args", "kwargs", "x_shape"), LAYERS, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_layers_load_and_save_torch_state_dicts_and_agree(ours, torchs, args, kwargs, x_shape, dtype):
    torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
    theirs = torchs(*args, **kwargs).to(torch_dtype)
    mine = ours(*args, **kwargs, dtype=tc.float64 if dtype == np.float64 else tc.float32)
    assert repr(mine) == repr(theirs)
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert {k: v.shape for k, v in mine.state_dict().items()} == {k: v.shape for k, v in state.items()}
    assert list(mine.state_dict()) == list(state)
    mine.load_state_dict(state)
    x = np.random.default_rng(1).standard_normal(x_shape).astype(dtype)
    assert_matches(mine(Tensor(x)).data, theirs(torch.from_numpy(x)), f"{mine!r} output")
    # and back: tinytorch's state dict into a fresh torch layer
    fresh = torchs(*args, **kwargs).to(torch_dtype)
    fresh.load_state_dict(
        {
            k: torch.from_numpy(np.asarray(v.data if isinstance(v, Tensor) else v))
            for k, v in mine.state_dict().items()
        }
    )
    assert_matches(mine(Tensor(x)).data, fresh(torch.from_numpy(x)), f"{mine!r} output, state dict to torch")


@pytest.mark.parametrize(("ours", "torchs", "args", "kwargs", "x_shape"), LAYERS, ids=str)
def test_layers_init_bounds_are_torchs(ours, torchs, args, kwargs, x_shape):
    """kaiming_uniform_(a=√5): both frameworks draw from U(±1/√fan_in), fan_in from the weight's shape."""
    theirs, mine = torchs(*args, **kwargs), ours(*args, **kwargs)
    fan_in = theirs.weight.shape[1] * math.prod(theirs.weight.shape[2:])
    bound = 1 / math.sqrt(fan_in)
    assert np.abs(mine.weight.data).max() <= bound and np.abs(mine.weight.data).max() > 0.5 * bound
    assert float(theirs.weight.detach().abs().max()) <= bound


FUNCTION_ERRORS = [
    ("conv2d", (1, 5, 8, 8), (4, 3, 3, 3), {"groups": 2}),
    ("conv2d", (1, 4, 8, 8), (4, 2, 3, 3), {"stride": 2, "padding": "same", "groups": 2}),
    ("conv2d", (1, 4, 4, 4), (4, 2, 3, 3), {"groups": 2, "dilation": 2}),
    ("conv2d", (1, 6, 4, 4), (4, 2, 3, 3), {"groups": 3}),
    ("conv_transpose2d", (1, 4, 4, 4), (4, 2, 3, 3), {"stride": 2, "output_padding": 2}),
    ("conv1d", (1, 4, 2), (4, 4, 3), {}),
]
LAYER_ERRORS = [
    ("Conv2d", (4, 8, 3), {"groups": 3}),
    ("Conv2d", (4, 8, 3), {"stride": 2, "padding": "same"}),
    ("ConvTranspose2d", (4, 6, 3), {"groups": 4}),
]


def raised(call):
    try:
        call()
    except Exception as error:  # any type: the test compares them with torch's
        return error
    raise AssertionError("no error raised")


@pytest.mark.parametrize(("name", "x_shape", "w_shape", "kwargs"), FUNCTION_ERRORS, ids=str)
def test_function_errors_have_a_type_torch_raises_too(name, x_shape, w_shape, kwargs):
    theirs = raised(lambda: getattr(TF, name)(torch.zeros(x_shape), torch.zeros(w_shape), **kwargs))
    ours = raised(lambda: getattr(VF, name)(Tensor(np.zeros(x_shape)), Tensor(np.zeros(w_shape)), **kwargs))
    assert isinstance(ours, type(theirs)), (ours, theirs)


@pytest.mark.parametrize(("name", "args", "kwargs"), LAYER_ERRORS, ids=str)
def test_layer_errors_have_a_type_torch_raises_too(name, args, kwargs):
    theirs = raised(lambda: getattr(torch.nn, name)(*args, **kwargs))
    ours = raised(lambda: {"Conv2d": Conv2d, "ConvTranspose2d": ConvTranspose2d}[name](*args, **kwargs))
    assert isinstance(ours, type(theirs)), (ours, theirs)
