"""Module 07: SGD (momentum, dampening, Nesterov, weight decay) and the Optimizer base.

The update rule is checked against torch.optim.SGD's steps, stored in tests/fixtures/sgd.npz
(`hatch run oracle:test` trains twin models with both).
"""

import numpy as np
import pytest
from tt_train_helpers import blobs, mlp, params_of, set_grads

import tinytorch.core as tc
from tinytorch.core import Tensor
from tinytorch.nn import CrossEntropyLoss, Parameter
from tinytorch.train.optim import SGD

pytestmark = pytest.mark.module07


CONFIGS = {
    "plain": {},
    "weight_decay": {"weight_decay": 0.1},
    "momentum": {"momentum": 0.9},
    "dampening": {"momentum": 0.9, "dampening": 0.3},
    "nesterov": {"momentum": 0.8, "nesterov": True},
    "everything": {"momentum": 0.7, "nesterov": True, "weight_decay": 0.05},
    "momentum_dampening_decay": {"momentum": 0.5, "dampening": 0.5, "weight_decay": 0.2},
}


@pytest.mark.parametrize("config", list(CONFIGS))
def test_sgd_matches_pytorchs_steps(config, stored):
    """5 steps from the same start with the same gradients as torch.optim.SGD (tests/fixtures/sgd.npz)."""
    data = stored("sgd")
    p = Parameter(data["start"])  # float64: the rule is checked to 1e-12
    opt = SGD([p], lr=0.1, **CONFIGS[config])
    for g in data["grads"]:
        p.grad = Tensor(g.copy())
        opt.step()
    np.testing.assert_allclose(p.data, data[f"{config}/expected"], rtol=1e-12)


def test_step_updates_in_place_without_a_graph_and_leaves_grads_alone():
    p = Parameter(np.ones((2, 2), dtype=np.float32))
    array = p.data
    p.grad = Tensor(np.full((2, 2), 0.5, dtype=np.float32))
    SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1).step()
    assert p.data is array and p.grad_fn is None
    np.testing.assert_allclose(p.data, 1 - 0.1 * (0.5 + 0.1), rtol=1e-6)
    np.testing.assert_array_equal(p.grad.data, 0.5)  # the gradient is not modified
    assert p.dtype == tc.float32


def test_step_between_forward_and_backward_is_an_error():
    """Issue 13: backward after step() used the updated x, x.grad = [0.25, 2.25] instead of [1, 4]."""
    x, unused = Parameter(np.array([0.5, 2.0], dtype=np.float32)), Parameter(np.ones(2, dtype=np.float32))
    opt = SGD([x, unused], lr=1.0)
    loss = (x * x).sum()
    x.grad = Tensor(np.array([0.375, 0.875], dtype=np.float32))  # e.g. left from an earlier backward
    opt.step()  # x is now [0.125, 1.125]
    assert (x._version, unused._version) == (1, 0)  # only updated parameters count as changed
    with pytest.raises(
        RuntimeError,
        match=r"backward through mul: .*modified by an in-place operation: input 0 of mul "
        r"\(shape \(2,\)\) is at version 1, but mul saved it at version 0.*optimizer\.step\(\)",
    ):
        loss.backward()

    model = mlp()  # a Linear saves its weight too
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    x_batch, y_batch = blobs(8)
    for _ in range(2):  # the usual order works, step after step
        opt.zero_grad()
        CrossEntropyLoss()(model(Tensor(x_batch)), Tensor(y_batch)).backward()
        opt.step()
    loss = CrossEntropyLoss()(model(Tensor(x_batch)), Tensor(y_batch))
    opt.step()  # with the previous step's gradients, before this backward
    with pytest.raises(RuntimeError, match=r"input \d of linear .* is at version 3, but linear saved it"):
        loss.backward()


def test_parameters_without_grad_are_skipped():
    a, b = Parameter(np.ones(2)), Parameter(np.ones(2))
    a.grad = Tensor(np.ones(2))
    opt = SGD([a, b], lr=0.5, momentum=0.9)
    opt.step()
    np.testing.assert_array_equal(a.data, [0.5, 0.5])
    np.testing.assert_array_equal(b.data, [1.0, 1.0])
    assert b not in opt.state


def test_zero_grad_sets_none_or_zeros():
    p = Parameter(np.ones(3))
    opt = SGD([p], lr=0.1)
    p.grad = Tensor(np.ones(3))
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad
    np.testing.assert_array_equal(p.grad.data, 0.0)
    opt.zero_grad()
    assert p.grad is None


def test_param_groups_have_their_own_hyperparameters():
    a, b = Parameter(np.ones(2)), Parameter(np.ones(2))
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["momentum"] == 0.0
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0.9
    set_grads([a, b])
    ga, gb = a.grad.data.copy(), b.grad.data.copy()
    opt.step()
    np.testing.assert_allclose(a.data, 1 - 0.1 * ga)
    np.testing.assert_allclose(b.data, 1 - 0.5 * gb)
    assert list(opt.state) == [b]  # only the momentum group keeps a buffer


def test_momentum_state_is_one_buffer_per_parameter():
    model = mlp()
    params = list(model.parameters())
    set_grads(params)
    plain, heavy = SGD(params, lr=0.1), SGD(params, lr=0.1, momentum=0.9)
    plain.step()
    heavy.step()
    assert plain.state == {}
    state_bytes = sum(s["momentum_buffer"].nbytes for s in heavy.state.values())
    assert state_bytes == sum(p.data.nbytes for p in params)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lr": 0.0}, r"SGD: invalid lr=0\.0"),
        ({"lr": -0.1}, r"SGD: invalid lr=-0\.1"),
        ({"lr": 0.1, "momentum": -0.5}, r"SGD: invalid momentum=-0\.5"),
        ({"lr": 0.1, "dampening": 1.5}, r"SGD: invalid dampening=1\.5"),
        ({"lr": 0.1, "weight_decay": -1.0}, r"SGD: invalid weight_decay=-1\.0"),
        ({"lr": 0.1, "nesterov": True}, r"SGD: invalid nesterov"),
        ({"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True}, r"SGD: invalid nesterov"),
    ],
)
def test_invalid_hyperparameters_raise_naming_the_value(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SGD([Parameter(np.ones(2))], **kwargs)


def test_invalid_hyperparameter_in_a_group_raises():
    with pytest.raises(ValueError, match=r"SGD: invalid lr=-1\.0"):
        SGD([{"params": [Parameter(np.ones(2))], "lr": -1.0}], lr=0.1)


def test_bad_parameter_lists_raise():
    p = Parameter(np.ones(2))
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        SGD([p, p], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="non-leaf"):
        SGD([p * 2], lr=0.1)
    with pytest.raises(TypeError, match="floating-point"):
        SGD([Tensor(np.arange(3))], lr=0.1)
    # and the optimizer works once given a proper list
    p.grad = Tensor(np.ones(2))
    SGD([p], lr=0.5).step()
    np.testing.assert_array_equal(p.data, [0.5, 0.5])


def test_state_dict_round_trip_continues_identically():
    def run(opt_state=None, steps=3):
        p = Parameter(np.linspace(-1, 1, 6).reshape(2, 3))
        opt = SGD([p], lr=0.1, momentum=0.9, nesterov=True)
        if opt_state is not None:
            p.data[...] = opt_state[0]
            opt.load_state_dict(opt_state[1])
        for i in range(steps):
            set_grads([p], seed=i)
            opt.step()
        return p, opt

    p, opt = run()
    saved = (p.data.copy(), opt.state_dict())
    assert saved[1]["param_groups"][0]["params"] == [0]
    assert set(saved[1]["state"][0]) == {"momentum_buffer"}
    for i in range(3):  # the original goes on ...
        set_grads([p], seed=i)
        opt.step()
    resumed, _ = run(saved)  # ... and a fresh optimizer loaded from the state dict follows exactly
    np.testing.assert_array_equal(p.data, resumed.data)


def test_state_dict_arrays_are_copies_and_load_checks_shapes():
    p = Parameter(np.ones(3))
    opt = SGD([p], lr=0.1, momentum=0.9)
    p.grad = Tensor(np.ones(3))
    opt.step()
    state = opt.state_dict()
    state["state"][0]["momentum_buffer"][...] = 99
    assert opt.state[p]["momentum_buffer"][0] == 1.0
    other = SGD([Parameter(np.ones(4))], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"shape \(3,\) but the parameter has shape \(4,\)"):
        other.load_state_dict(state)
    with pytest.raises(ValueError, match="parameter group"):
        SGD([Parameter(np.ones(3)), Parameter(np.ones(3))], lr=0.1).load_state_dict(state)


def test_load_state_dict_restores_hyperparameters():
    p = Parameter(np.ones(3))
    saved = SGD([p], lr=0.01, momentum=0.5).state_dict()
    opt = SGD([p], lr=0.1, momentum=0.9)
    opt.load_state_dict(saved)
    assert opt.param_groups[0]["lr"] == 0.01 and opt.param_groups[0]["momentum"] == 0.5


def test_closure_is_evaluated_and_returned():
    p = Parameter(np.array([3.0]))
    opt = SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 9.0
    np.testing.assert_allclose(p.data, [3.0 - 0.25 * 6.0])


def test_sgd_with_momentum_trains_a_classifier():
    x, y = blobs()
    model = mlp()
    loss_fn = CrossEntropyLoss()
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    before = params_of(model)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = loss_fn(model(Tensor(x)), Tensor(y))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]
    assert all(not np.array_equal(before[k], v) for k, v in params_of(model).items())
