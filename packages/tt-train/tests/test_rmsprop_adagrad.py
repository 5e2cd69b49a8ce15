"""Module 11 (given code): RMSprop and Adagrad — rules, state, state dicts, errors.

The rules are checked here against their formulas written out for a few
steps; `hatch run oracle:test` checks them against torch.optim step by step.
"""

import math

import numpy as np
import pytest
from tt_train_helpers import blobs, mlp, set_grads

from tinytorch.core import Tensor
from tinytorch.nn import CrossEntropyLoss, Parameter
from tinytorch.train.optim import Adagrad, RMSprop

pytestmark = pytest.mark.module11


def rmsprop_by_hand(p, grads, lr, alpha, eps, weight_decay, momentum, centered):
    p, v, m, b = p.copy(), np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g**2
        m = alpha * m + (1 - alpha) * g
        avg = np.sqrt(v - m**2 if centered else v) + eps
        b = momentum * b + g / avg
        p = p - lr * (b if momentum else g / avg)
    return p


def adagrad_by_hand(p, grads, lr, lr_decay, weight_decay, initial_accumulator_value, eps):
    p, s = p.copy(), np.full_like(p, initial_accumulator_value)
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * p
        s = s + g**2
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s) + eps)
    return p


def run(opt_class, kwargs, dtype=np.float64, steps=5):
    rng = np.random.default_rng(0)
    start = rng.normal(size=(3, 4)).astype(dtype)
    grads = [rng.normal(size=(3, 4)).astype(dtype) for _ in range(steps)]
    p = Parameter(start.copy())
    opt = opt_class([p], **kwargs)
    for g in grads:
        p.grad = Tensor(g.copy())
        opt.step()
    return start, grads, p, opt


@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("momentum", [0.0, 0.8])
@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
def test_rmsprop_follows_its_rule(centered, momentum, weight_decay):
    kwargs = dict(
        lr=0.01, alpha=0.9, eps=1e-6, weight_decay=weight_decay, momentum=momentum, centered=centered
    )
    start, grads, p, _ = run(RMSprop, kwargs)
    np.testing.assert_allclose(p.data, rmsprop_by_hand(start, grads, **kwargs), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("lr_decay", [0.0, 0.1])
@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
@pytest.mark.parametrize("initial", [0.0, 0.5])
def test_adagrad_follows_its_rule(lr_decay, weight_decay, initial):
    kwargs = dict(
        lr=0.1, lr_decay=lr_decay, weight_decay=weight_decay, initial_accumulator_value=initial, eps=1e-10
    )
    start, grads, p, _ = run(Adagrad, kwargs)
    np.testing.assert_allclose(p.data, adagrad_by_hand(start, grads, **kwargs), rtol=1e-12, atol=1e-12)


def test_rmsprop_first_step_without_bias_correction():
    # v = (1 - alpha) g^2 after one step, so the step is lr * g / (sqrt(1 - alpha) |g|): 10 lr for alpha 0.99
    p = Parameter(np.zeros(3))
    p.grad = Tensor(np.array([2.0, -0.5, 1e-3]))
    RMSprop([p], lr=0.01, eps=0.0).step()
    np.testing.assert_allclose(p.data, -0.1 * np.sign(p.grad.data), rtol=1e-12)


def test_adagrad_first_step_moves_every_weight_by_lr():
    p = Parameter(np.zeros(3))
    p.grad = Tensor(np.array([2.0, -0.5, 1e-3]))
    Adagrad([p], lr=0.3, eps=0.0).step()
    np.testing.assert_allclose(p.data, -0.3 * np.sign(p.grad.data), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("opt_class", "kwargs", "names"),
    [
        (RMSprop, {}, {"step", "square_avg"}),
        (RMSprop, {"momentum": 0.9, "centered": True}, {"step", "square_avg", "momentum_buffer", "grad_avg"}),
        (Adagrad, {}, {"step", "sum"}),
    ],
)
def test_state_has_torchs_names_and_the_parameters_dtype(opt_class, kwargs, names, dtype):
    _, _, p, opt = run(opt_class, kwargs, dtype=dtype, steps=3)
    assert p.dtype == dtype
    assert set(opt.state[p]) == names and opt.state[p]["step"] == 3
    for name in names - {"step"}:
        assert opt.state[p][name].dtype == dtype and opt.state[p][name].shape == p.shape


def test_adagrad_creates_its_state_at_construction_as_torch():
    p = Parameter(np.zeros((2, 2), dtype=np.float32))
    opt = Adagrad([p], initial_accumulator_value=0.1)
    state = opt.state_dict()["state"]
    assert list(state) == [0] and state[0]["step"] == 0
    np.testing.assert_array_equal(state[0]["sum"], np.full((2, 2), 0.1, dtype=np.float32))


def test_parameters_without_gradient_are_left_alone():
    a, b = Parameter(np.ones(2)), Parameter(np.ones(2))
    for opt in (RMSprop([a, b], momentum=0.5, centered=True), Adagrad([a, b])):
        a.grad, b.grad = Tensor(np.ones(2)), None
        opt.step()
        np.testing.assert_array_equal(b.data, np.ones(2))
        assert b not in opt.state or opt.state[b]["step"] == 0


@pytest.mark.parametrize(
    ("opt_class", "kwargs", "match"),
    [
        (RMSprop, {"lr": -0.1}, r"RMSprop: invalid lr=-0\.1 \(expected lr >= 0\)"),
        (RMSprop, {"alpha": -0.5}, r"RMSprop: invalid alpha=-0\.5"),
        (RMSprop, {"eps": -1e-8}, r"RMSprop: invalid eps=-1e-08"),
        (RMSprop, {"weight_decay": -1.0}, r"RMSprop: invalid weight_decay=-1\.0"),
        (RMSprop, {"momentum": -0.9}, r"RMSprop: invalid momentum=-0\.9"),
        (Adagrad, {"lr": -1.0}, r"Adagrad: invalid lr=-1\.0 \(expected lr >= 0\)"),
        (Adagrad, {"lr_decay": -0.1}, r"Adagrad: invalid lr_decay=-0\.1"),
        (Adagrad, {"weight_decay": -0.1}, r"Adagrad: invalid weight_decay=-0\.1"),
        (Adagrad, {"initial_accumulator_value": -1.0}, r"Adagrad: invalid initial_accumulator_value=-1\.0"),
        (Adagrad, {"eps": -1.0}, r"Adagrad: invalid eps=-1\.0"),
    ],
)
def test_invalid_hyperparameters_raise_naming_the_value(opt_class, kwargs, match):
    with pytest.raises(ValueError, match=match):
        opt_class([Parameter(np.ones(2))], **kwargs)


def test_a_bad_group_hyperparameter_names_the_value():
    with pytest.raises(ValueError, match=r"RMSprop: invalid momentum=-1\.0"):
        RMSprop([{"params": [Parameter(np.ones(2))]}, {"params": [Parameter(np.ones(2))], "momentum": -1}])


@pytest.mark.parametrize(
    ("opt_class", "kwargs"),
    [
        (RMSprop, {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.01}),
        (Adagrad, {"lr_decay": 0.1}),
    ],
)
def test_state_dict_round_trip_continues_identically(opt_class, kwargs):
    p = Parameter(np.linspace(-1, 1, 6, dtype=np.float32))
    opt = opt_class([p], **kwargs)
    for i in range(3):
        set_grads([p], seed=i)
        opt.step()
    saved = opt.state_dict()
    q = Parameter(p.data.copy())
    resumed = opt_class([q], lr=0.5)  # the hyperparameters come from the state dict
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    for i in range(3, 6):
        for param in (p, q):
            set_grads([param], seed=i)
        opt.step()
        resumed.step()
    np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize(
    ("opt_class", "kwargs", "edit", "match"),
    [
        (
            RMSprop,
            {"momentum": 0.9},
            lambda s: s["state"][0].pop("momentum_buffer"),
            r"missing entries \['momentum_buffer'\]",
        ),
        (
            RMSprop,
            {"centered": True},
            lambda s: s["state"][0].pop("grad_avg"),
            r"missing entries \['grad_avg'\]",
        ),
        (RMSprop, {}, lambda s: s["state"][0].update(exp_avg=np.zeros(4)), r"unknown entries \['exp_avg'\]"),
        (
            Adagrad,
            {},
            lambda s: s["state"][0].update(sum=np.zeros(3)),
            r"'sum' of parameter 0 has shape \(3,\)",
        ),
        (
            Adagrad,
            {},
            lambda s: s["param_groups"][0].pop("lr_decay"),
            r"no hyperparameter\(s\) \['lr_decay'\]",
        ),
        (Adagrad, {}, lambda s: s["param_groups"][0].update(eps=-1.0), r"Adagrad: invalid eps=-1\.0"),
    ],
)
def test_load_state_dict_refuses_what_step_could_not_use(opt_class, kwargs, edit, match):
    p = Parameter(np.ones(4))
    opt = opt_class([p], **kwargs)
    set_grads([p])
    opt.step()
    saved = opt.state_dict()
    edit(saved)
    before = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in opt.state[p].items()}
    with pytest.raises(ValueError, match=match):
        opt.load_state_dict(saved)
    assert set(opt.state[p]) == set(before)  # nothing changed


@pytest.mark.parametrize(
    "make", [lambda ps: RMSprop(ps, lr=0.01), lambda ps: Adagrad(ps, lr=0.1)], ids=["rmsprop", "adagrad"]
)
def test_trains_a_classifier_and_bumps_versions(make):
    model = mlp()
    opt = make(model.parameters())
    x, y = blobs()
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = CrossEntropyLoss()(model(Tensor(x)), Tensor(y))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0] and math.isfinite(losses[-1])
    assert all(p._version == 30 for p in model.parameters())
