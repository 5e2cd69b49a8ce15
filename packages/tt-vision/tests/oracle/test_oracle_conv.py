"""Module 09: conv2d, max_pool2d, avg_pool2d and their modules against torch.nn (forward and backward)."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from tt_vision_oracle import DTYPES, assert_matches, milestone_cnn_torch, run_both

import tinytorch.core as tc
import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch.core import Tensor
from tinytorch.vision import AvgPool2d, Conv2d, MaxPool2d
from tinytorch.vision import functional as VF

pytestmark = [pytest.mark.oracle, pytest.mark.module09]

# (batch, in, out, H, W, kernel, stride, padding, bias)
CONV_GRID = [
    (4, 1, 16, 28, 28, 3, 1, 0, True),  # the milestone's first layer
    (4, 16, 32, 13, 13, 3, 1, 0, True),  # and its second
    (2, 3, 8, 15, 17, 5, 2, 2, True),
    (3, 4, 6, 9, 10, (3, 1), (1, 2), (1, 0), False),
    (1, 2, 3, 7, 7, 7, 1, 3, True),
    (2, 8, 4, 6, 5, 1, 1, 0, False),
    (2, 3, 5, 12, 12, 4, 4, 1, True),
    (5, 2, 2, 3, 4, 2, 3, 1, True),
]
CONV_IDS = [
    f"b{c[0]}-{c[1]}to{c[2]}-{c[3]}x{c[4]}-k{c[5]}-s{c[6]}-p{c[7]}-bias{int(c[8])}" for c in CONV_GRID
]


@pytest.mark.parametrize("config", CONV_GRID, ids=CONV_IDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("version", ["fast", "loop"])
def test_conv2d_forward_and_backward_match_torch(config, dtype, version):
    batch, c_in, c_out, h, w, kernel, stride, padding, bias = config
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    r = np.random.default_rng(0)
    arrays = [
        r.standard_normal((batch, c_in, h, w)).astype(dtype),
        r.uniform(-0.5, 0.5, (c_out, c_in, kh, kw)).astype(dtype),
        r.uniform(-0.5, 0.5, c_out).astype(dtype) if bias else None,
    ]
    fn = VF.conv2d if version == "fast" else VF.conv2d_reference
    ours, theirs = run_both(
        lambda x, wt, b: fn(x, wt, b, stride, padding),
        lambda x, wt, b: TF.conv2d(x, wt, b, stride, padding),
        arrays,
        [True, True, bias],
    )
    for name, a, t in zip(["output", "dx", "dweight", "dbias"], ours, theirs, strict=False):
        assert_matches(a, t, f"conv2d {config} {name}")


# (shape, kernel, stride, padding)
POOL_GRID = [
    ((4, 16, 26, 26), 2, None, 0),  # the milestone's pools
    ((4, 32, 11, 11), 2, None, 0),
    ((2, 3, 9, 8), 3, 2, 1),
    ((2, 2, 7, 7), 3, 1, 1),
    ((1, 3, 10, 9), (2, 3), (1, 2), (1, 1)),
    ((3, 1, 5, 5), 5, 1, 2),
    ((2, 2, 6, 7), 1, 2, 0),
]
POOL_IDS = [f"{'x'.join(map(str, c[0]))}-k{c[1]}-s{c[2]}-p{c[3]}" for c in POOL_GRID]
POOLS = {
    "max": (VF.max_pool2d, VF.max_pool2d_reference, TF.max_pool2d),
    "avg": (VF.avg_pool2d, VF.avg_pool2d_reference, TF.avg_pool2d),
}


@pytest.mark.parametrize("config", POOL_GRID, ids=POOL_IDS)
@pytest.mark.parametrize("kind", POOLS)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("version", [0, 1], ids=["fast", "loop"])
@pytest.mark.parametrize("relu", [False, True], ids=["plain", "relu-ties"])
def test_pooling_forward_and_backward_match_torch(config, kind, dtype, version, relu):
    """After a ReLU most windows hold tied zeros: the gradient must go where torch sends it."""
    shape, kernel, stride, padding = config
    data = np.random.default_rng(1).standard_normal(shape)
    if relu:
        data = np.maximum(data, 0)
    ours, theirs = run_both(
        lambda x: POOLS[kind][version](x, kernel, stride, padding),
        lambda x: POOLS[kind][2](x, kernel, stride, padding),
        [data.astype(dtype)],
        [True],
    )
    assert_matches(ours[0], theirs[0], f"{kind} pool {config} output")
    assert_matches(ours[1], theirs[1], f"{kind} pool {config} dx")


def test_max_pool_ties_route_like_torch_with_overlapping_windows():
    data = np.zeros((1, 1, 5, 5))
    data[0, 0, 1:4, 1:4] = 1.0  # plateaus of equal maxima, seen by several windows each
    ours, theirs = run_both(
        lambda x: VF.max_pool2d(x, 3, 1, 1), lambda x: TF.max_pool2d(x, 3, 1, 1), [data], [True]
    )
    assert_matches(ours[1], theirs[1], "tied max-pool gradient")


# ------------------------------------------------------------- the modules


def test_conv2d_state_dict_keys_shapes_and_repr_equal_torchs():
    for args, kwargs in [((1, 16, 3), {}), ((3, 8, (3, 5)), {"stride": 2, "padding": (1, 2), "bias": False})]:
        ours, theirs = Conv2d(*args, **kwargs), torch.nn.Conv2d(*args, **kwargs)
        assert {k: v.shape for k, v in ours.state_dict().items()} == {
            k: tuple(v.shape) for k, v in theirs.state_dict().items()
        }
        assert repr(ours) == repr(theirs)
    assert repr(MaxPool2d(2)) == repr(torch.nn.MaxPool2d(2))
    assert repr(MaxPool2d(3, 1, 1)) == repr(torch.nn.MaxPool2d(3, 1, 1))
    assert repr(AvgPool2d(2)) == repr(torch.nn.AvgPool2d(2))
    assert repr(AvgPool2d((2, 3), 1, (1, 1))) == repr(torch.nn.AvgPool2d((2, 3), 1, (1, 1)))


def test_conv2d_init_has_torchs_distribution():
    """Same bounds and spread as torch.nn.Conv2d (different random streams, so not the same values)."""
    tc.manual_seed(0)
    torch.manual_seed(0)
    ours, theirs = Conv2d(32, 64, 3), torch.nn.Conv2d(32, 64, 3)
    for name in ("weight", "bias"):
        a, t = ours.state_dict()[name], theirs.state_dict()[name].numpy()
        bound = 1 / math.sqrt(32 * 9)
        assert np.abs(a).max() <= bound and np.abs(t).max() <= bound
        qs = [0.1, 0.25, 0.5, 0.75, 0.9]
        np.testing.assert_allclose(
            np.quantile(a, qs), np.quantile(t, qs), atol=0.1 * bound if a.size > 64 else 0.35 * bound
        )
    assert ours.weight.data.std() == pytest.approx(theirs.weight.detach().std().item(), rel=0.03)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_milestone_cnn_with_torchs_weights_gives_torchs_outputs_loss_and_gradients(dtype):
    tc.manual_seed(0)
    torch.manual_seed(0)
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    theirs = milestone_cnn_torch().to(tdtype)
    ours = nn.Sequential(
        Conv2d(1, 16, 3, dtype=dtype), nn.ReLU(), MaxPool2d(2),
        Conv2d(16, 32, 3, dtype=dtype), nn.ReLU(), MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 5 * 5, 10, dtype=dtype),
    )  # fmt: skip
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict())
    r = np.random.default_rng(0)
    x = r.standard_normal((8, 1, 28, 28)).astype(dtype)
    y = r.integers(0, 10, 8)
    loss = F.cross_entropy(ours(Tensor(x)), Tensor(y))
    expected = TF.cross_entropy(theirs(torch.from_numpy(x)), torch.from_numpy(y))
    assert_matches(loss.data, expected, "loss")
    loss.backward()
    expected.backward()
    grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_matches(p.grad.data, grads[name].grad, f"gradient of {name}")
    # and back: our weights into torch
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    assert_matches(ours(Tensor(x)).data, theirs(torch.from_numpy(x)), "tinytorch -> torch")
