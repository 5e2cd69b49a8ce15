"""Module 11 (given code): RMSprop and Adagrad against torch.optim, step by step.

The same parameters get the same gradients for 8 steps on both sides, in
float32 (agreeing to ~1e-6) and float64 (1e-12), for every option
combination; then the state dicts hold the same arrays under the same names.
"""

import itertools

import numpy as np
import pytest
import torch
from tt_train_oracle import train_both

from tinytorch.core import Tensor
from tinytorch.nn import Parameter
from tinytorch.train.optim import Adagrad, RMSprop

pytestmark = [pytest.mark.oracle, pytest.mark.module11]

TOL = {np.float32: (2e-6, 1e-6), np.float64: (1e-12, 1e-12)}  # (rtol, atol)
SHAPES = [(3, 4), (5,), ()]

RMSPROP = [
    dict(lr=lr, alpha=alpha, eps=eps, weight_decay=wd, momentum=mom, centered=centered)
    for (lr, alpha, eps), wd, mom, centered in itertools.product(
        [(0.01, 0.99, 1e-8), (0.05, 0.9, 1e-3)], [0.0, 0.1], [0.0, 0.9], [False, True]
    )
]
ADAGRAD = [
    dict(lr=lr, lr_decay=decay, weight_decay=wd, initial_accumulator_value=init, eps=eps)
    for lr, decay, wd, (init, eps) in itertools.product(
        [0.01, 0.5], [0.0, 0.05], [0.0, 0.1], [(0.0, 1e-10), (0.3, 1e-4)]
    )
]


def run_both(ours, theirs, kwargs, dtype, steps=8, seed=0):
    """`steps` steps of both optimizers on the same parameters and gradients."""
    rng = np.random.default_rng(seed)
    starts = [rng.normal(size=s).astype(dtype) for s in SHAPES]
    tt_params = [Parameter(a.copy()) for a in starts]
    th_params = [torch.tensor(a.copy(), requires_grad=True) for a in starts]
    tt_opt, th_opt = ours(tt_params, **kwargs), theirs(th_params, **kwargs)
    for _ in range(steps):
        for p, q in zip(tt_params, th_params, strict=True):
            g = rng.normal(size=p.shape).astype(dtype)
            p.grad = Tensor(g.copy())
            q.grad = torch.tensor(g.copy())
        tt_opt.step()
        th_opt.step()
    rtol, atol = TOL[dtype]
    for p, q in zip(tt_params, th_params, strict=True):
        assert p.dtype == dtype
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=rtol, atol=atol)
    return tt_opt, th_opt


def check_same_state(tt_opt, th_opt, dtype):
    ours, theirs = tt_opt.state_dict(), th_opt.state_dict()
    rtol, atol = TOL[dtype]
    assert ours["state"].keys() == theirs["state"].keys()
    for index, state in theirs["state"].items():
        assert set(ours["state"][index]) == set(state)
        for name, value in state.items():
            if name == "step":
                assert ours["state"][index]["step"] == int(value.item())
            else:
                got = ours["state"][index][name]
                assert got.dtype == dtype
                np.testing.assert_allclose(got, value.numpy(), rtol=rtol, atol=atol)
    for g_ours, g_theirs in zip(ours["param_groups"], theirs["param_groups"], strict=True):
        for key in tt_opt.defaults:
            assert g_ours[key] == g_theirs[key], key
        assert g_ours["params"] == g_theirs["params"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kwargs", RMSPROP, ids=str)
def test_rmsprop_matches_torch(kwargs, dtype):
    tt_opt, th_opt = run_both(RMSprop, torch.optim.RMSprop, kwargs, dtype)
    check_same_state(tt_opt, th_opt, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kwargs", ADAGRAD, ids=str)
def test_adagrad_matches_torch(kwargs, dtype):
    tt_opt, th_opt = run_both(Adagrad, torch.optim.Adagrad, kwargs, dtype)
    check_same_state(tt_opt, th_opt, dtype)


def test_defaults_match_torch():
    p = [torch.zeros(1, requires_grad=True)]
    for ours, theirs in ((RMSprop, torch.optim.RMSprop), (Adagrad, torch.optim.Adagrad)):
        mine = ours([Parameter(np.zeros(1))]).defaults
        torchs = theirs(p).defaults
        assert {k: torchs[k] for k in mine} == mine


def test_adagrad_state_before_any_step_is_torchs():
    tt_opt = Adagrad([Parameter(np.zeros(3))], initial_accumulator_value=0.25)
    th_opt = torch.optim.Adagrad([torch.zeros(3, requires_grad=True)], initial_accumulator_value=0.25)
    check_same_state(tt_opt, th_opt, np.float64)


@pytest.mark.parametrize(
    ("ours", "theirs", "kwargs"),
    [
        (RMSprop, torch.optim.RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True}),
        (Adagrad, torch.optim.Adagrad, {"lr": 0.1, "lr_decay": 0.01}),
    ],
)
def test_param_groups_train_twin_models_as_torch(ours, theirs, kwargs):
    groups = [{"lr": 0.02, "weight_decay": 0.1}, {}]
    train_both(lambda ps: ours(ps, **kwargs), lambda ps: theirs(ps, **kwargs), groups=groups).check()


@pytest.mark.parametrize(
    ("ours", "theirs", "kwargs"),
    [
        (RMSprop, torch.optim.RMSprop, {"momentum": 0.9, "centered": True}),
        (Adagrad, torch.optim.Adagrad, {"lr_decay": 0.1}),
    ],
)
def test_torchs_state_dict_loads_and_continues_identically(ours, theirs, kwargs):
    """A state dict saved by torch (tensors -> arrays, step -> int) resumes our run exactly."""
    rng = np.random.default_rng(1)
    start = rng.normal(size=(4, 3))
    q = torch.tensor(start.copy(), requires_grad=True)
    th_opt = theirs([q], **kwargs)
    grads = [rng.normal(size=(4, 3)) for _ in range(6)]
    for g in grads[:3]:
        q.grad = torch.tensor(g)
        th_opt.step()
    saved = th_opt.state_dict()
    p = Parameter(q.detach().numpy().copy())
    tt_opt = ours([p], **kwargs)
    tt_opt.load_state_dict(
        {
            "state": {
                i: {k: int(v.item()) if k == "step" else v.numpy() for k, v in s.items()}
                for i, s in saved["state"].items()
            },
            "param_groups": [{k: g[k] for k in [*tt_opt.defaults, "params"]} for g in saved["param_groups"]],
        }
    )
    for g in grads[3:]:
        q.grad, p.grad = torch.tensor(g), Tensor(g.copy())
        th_opt.step()
        tt_opt.step()
    np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-12, atol=1e-12)
