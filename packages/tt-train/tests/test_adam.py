"""Module 11: Adam and AdamW — update rule, bias correction, amsgrad, memory.

The update rule is checked against torch.optim.Adam / AdamW's steps, stored in
tests/fixtures/adam.npz (`hatch run oracle:test` trains twin models with both).
"""

from contextlib import AbstractContextManager, nullcontext

import numpy as np
import pytest
from tt_train_helpers import blobs, mlp, set_grads

from tinytorch.core import Tensor, peak_memory
from tinytorch.core.testing import forbid
from tinytorch.nn import CrossEntropyLoss, Parameter
from tinytorch.train.optim import SGD, Adam, AdamW, get_num_threads, set_num_threads

DEFAULT_THREADS = get_num_threads()

pytestmark = pytest.mark.module11

CONFIGS = {
    "adam": (Adam, {}),
    "adam_l2": (Adam, {"weight_decay": 0.1}),
    "adam_amsgrad": (Adam, {"amsgrad": True}),
    "adam_betas_eps": (Adam, {"betas": (0.5, 0.9), "eps": 1e-3}),
    "adamw": (AdamW, {"weight_decay": 0.1}),
    "adamw_amsgrad": (AdamW, {"weight_decay": 0.05, "amsgrad": True}),
}


def rule_only(fused: bool = False) -> AbstractContextManager[None]:
    """Where the student's rule runs (`fused=False`), the given fused `adam_update` refuses:
    `Adam.update` must apply the rule itself."""
    return nullcontext() if fused else forbid(Adam.update, "adam_update")


@pytest.mark.parametrize("config", list(CONFIGS))
def test_adam_matches_pytorchs_steps(config, stored):
    """6 steps from the same start with the same gradients as torch.optim.Adam / AdamW
    (tests/fixtures/adam.npz)."""
    cls, kwargs = CONFIGS[config]
    data = stored("adam")
    p = Parameter(data["start"])  # float64: checked to 1e-10
    opt = cls([p], lr=0.05, **kwargs)
    with rule_only():
        for g in data["grads"]:
            p.grad = Tensor(g.copy())
            opt.step()
    np.testing.assert_allclose(p.data, data[f"{config}/expected"], rtol=1e-10, atol=1e-12)


def test_first_step_moves_every_weight_by_lr():
    # bias correction: m_hat = g, v_hat = g^2, so the first update is lr * sign(g) (eps aside)
    p = Parameter(np.zeros(5))
    p.grad = Tensor(np.array([1e-3, -2.0, 50.0, -1e-4, 7.0]))
    Adam([p], lr=0.01, eps=1e-12).step()
    np.testing.assert_allclose(p.data, -0.01 * np.sign(p.grad.data), rtol=1e-6)


def test_adamw_decays_weights_even_without_gradient_signal():
    p = Parameter(np.full(3, 2.0))
    p.grad = Tensor(np.zeros(3))
    opt = AdamW([p], lr=0.1)  # PyTorch's default weight_decay for AdamW: 0.01
    assert opt.defaults["weight_decay"] == 0.01
    opt.step()
    np.testing.assert_allclose(p.data, 2.0 * (1 - 0.1 * 0.01))


def test_state_is_step_and_two_moments_exactly_twice_the_parameter_bytes():
    params = list(mlp(sizes=(20, 30, 10)).parameters())
    set_grads(params)
    opt = Adam(params)
    opt.step()
    opt.step()
    arrays = [a for s in opt.state.values() for a in s.values() if isinstance(a, np.ndarray)]
    assert sum(a.nbytes for a in arrays) == 2 * sum(p.data.nbytes for p in params)
    assert all(s["step"] == 2 and isinstance(s["step"], int) for s in opt.state.values())
    ams = Adam(params, amsgrad=True)
    ams.step()
    assert all(set(s) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"} for s in ams.state.values())


@pytest.mark.parametrize(
    ("fused", "warm_peak"),
    [(False, 3.05), (True, 1.05)],  # the rule as written: <= 3 temporaries alive; fused: one scratch
    ids=["rule", "fused"],
)
def test_a_step_allocates_its_temporaries_and_nothing_stays(fused, warm_peak):
    n = 500_000  # 2 MB of float32
    p = Parameter(np.zeros(n, dtype=np.float32))
    p.grad = Tensor(np.random.default_rng(0).standard_normal(n).astype(np.float32))
    opt = Adam([p], lr=1e-3, fused=fused)
    with rule_only(fused), peak_memory() as first:
        opt.step()  # allocates the state (2x) plus the temporaries
    assert first.net_bytes == pytest.approx(2 * p.data.nbytes, rel=0.01)
    assert first.peak_bytes < (2 + warm_peak) * p.data.nbytes
    with rule_only(fused), peak_memory() as later:
        opt.step()
    assert later.peak_bytes < warm_peak * p.data.nbytes
    assert later.net_bytes < 10_000


@pytest.mark.parametrize("config", list(CONFIGS))
def test_fused_step_equals_the_rule(config):
    """`fused=True` (given code: one scratch array, a slice per thread) against the student's
    whole-array rule (which may not call the fused code), on a parameter large enough to be cut
    in two slices and a small one."""
    cls, kwargs = CONFIGS[config]
    results = []
    try:
        set_num_threads(2)
        for fused in (False, True):
            params = [Parameter(np.linspace(-1, 1, n, dtype=np.float32)) for n in (600_000, 7)]
            opt = cls(params, lr=0.01, fused=fused, **kwargs)
            with rule_only(fused):
                for i in range(3):
                    set_grads(params, seed=i)
                    opt.step()
            results.append([p.data for p in params] + [opt.state[params[0]]["exp_avg_sq"]])
    finally:
        set_num_threads(DEFAULT_THREADS)
    for rule, fused in zip(*results, strict=True):  # equal but for float32 rounding (1 ulp)
        np.testing.assert_allclose(fused, rule, rtol=1e-6, atol=1e-7)
    assert not np.allclose(results[0][0], np.linspace(-1, 1, 600_000, dtype=np.float32))


@pytest.mark.parametrize("amsgrad", [False, True])
def test_a_large_parameter_updated_on_several_threads_matches_one_thread(amsgrad):
    n = 600_000  # above 2 x PARALLEL_MIN_SIZE: two slices of 300,000
    results = []
    try:
        for threads in (1, 2):
            set_num_threads(threads)
            p = Parameter(np.linspace(-1, 1, n, dtype=np.float32))
            opt = AdamW([p], lr=0.01, amsgrad=amsgrad, fused=True)
            for i in range(3):
                set_grads([p], seed=i)
                opt.step()
            results.append(p.data)
    finally:
        set_num_threads(DEFAULT_THREADS)
    np.testing.assert_array_equal(results[0], results[1])
    assert not np.array_equal(results[0], np.linspace(-1, 1, n, dtype=np.float32))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lr": 0.0}, r"Adam: invalid lr=0\.0"),
        ({"lr": -1e-3}, r"Adam: invalid lr=-0\.001"),
        ({"betas": (1.0, 0.999)}, r"Adam: invalid betas=\(1\.0, 0\.999\)"),
        ({"betas": (0.9, -0.1)}, r"Adam: invalid betas"),
        ({"eps": -1e-8}, r"Adam: invalid eps=-1e-08"),
        ({"weight_decay": -0.1}, r"Adam: invalid weight_decay=-0\.1"),
    ],
)
def test_invalid_hyperparameters_raise_naming_the_value(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Adam([Parameter(np.ones(2))], **kwargs)


def test_adamw_errors_name_adamw():
    with pytest.raises(ValueError, match=r"AdamW: invalid lr=-1\.0"):
        AdamW([Parameter(np.ones(2))], lr=-1.0)


def test_state_dict_round_trip_continues_identically():
    p = Parameter(np.linspace(-1, 1, 6, dtype=np.float32))
    opt = AdamW([p], lr=0.01, amsgrad=True)
    for i in range(3):
        set_grads([p], seed=i)
        opt.step()
    saved, saved_p = opt.state_dict(), p.data.copy()
    assert saved["param_groups"][0]["betas"] == (0.9, 0.999)
    q = Parameter(saved_p.copy())
    resumed = AdamW([q], lr=0.5)  # the hyperparameters come from the state dict
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["lr"] == 0.01
    for i in range(3, 6):
        for param in (p, q):
            set_grads([param], seed=i)
        opt.step()
        resumed.step()
    np.testing.assert_array_equal(p.data, q.data)


def test_param_groups_with_their_own_betas():
    a, b = Parameter(np.zeros(2)), Parameter(np.zeros(2))
    opt = Adam([{"params": [a]}, {"params": [b], "lr": 0.1, "betas": (0.5, 0.5)}], lr=0.01)
    assert opt.param_groups[1]["betas"] == (0.5, 0.5) and opt.param_groups[0]["betas"] == (0.9, 0.999)
    set_grads([a, b])
    opt.step()
    np.testing.assert_allclose(np.abs(a.data), 0.01, rtol=1e-6)
    np.testing.assert_allclose(np.abs(b.data), 0.1, rtol=1e-6)


@pytest.mark.parametrize("make", [Adam, AdamW], ids=["adam", "adamw"])
def test_step_between_forward_and_backward_is_an_error(make):
    model = mlp()
    opt = make(model.parameters(), lr=0.01)
    x, y = blobs(8)
    for _ in range(2):  # the usual order works, step after step
        opt.zero_grad()
        CrossEntropyLoss()(model(Tensor(x)), Tensor(y)).backward()
        opt.step()
    loss = CrossEntropyLoss()(model(Tensor(x)), Tensor(y))
    opt.step()  # before this loss's backward: the weights it saved have changed
    assert all(p._version == 3 for p in model.parameters())
    with pytest.raises(RuntimeError, match=r"modified by an in-place operation: input \d of linear"):
        loss.backward()


def test_adam_trains_faster_than_plain_sgd_at_a_small_lr():
    x, y = blobs()
    loss_fn = CrossEntropyLoss()
    final = {}
    for name, make in {"sgd": lambda ps: SGD(ps, lr=0.01), "adam": lambda ps: Adam(ps, lr=0.01)}.items():
        model = mlp()
        opt = make(model.parameters())
        for _ in range(40):
            opt.zero_grad()
            loss = loss_fn(model(Tensor(x)), Tensor(y))
            loss.backward()
            opt.step()
        final[name] = loss.item()
    assert final["adam"] < 0.5 * final["sgd"]
