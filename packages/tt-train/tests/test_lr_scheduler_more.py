"""Module 12 (given code): LambdaLR, LinearLR, SequentialLR, OneCycleLR — values written
out by hand, state dicts that resume a run, and errors naming the value."""

import json
import math

import numpy as np
import pytest

from tinytorch.nn import Parameter
from tinytorch.train.optim import SGD, Adagrad, Adam
from tinytorch.train.optim.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    OneCycleLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
)

pytestmark = pytest.mark.module12


def sgd(lr=1.0, groups=1, momentum=0.0):
    if groups == 1:
        return SGD([Parameter(np.zeros(2))], lr=lr, momentum=momentum)
    return SGD(
        [{"params": [Parameter(np.zeros(2))], "lr": lr * (i + 1)} for i in range(groups)],
        lr=lr,
        momentum=momentum,
    )


def lrs(scheduler, steps, group=0):
    """The lr in effect for each of `steps` steps (read before each scheduler.step())."""
    seen = []
    for _ in range(steps):
        seen.append(scheduler.optimizer.param_groups[group]["lr"])
        scheduler.step()
    return seen


def test_lambda_lr_one_function_or_one_per_group():
    np.testing.assert_allclose(lrs(LambdaLR(sgd(2.0), lambda t: 1 / (t + 1)), 4), [2.0, 1.0, 2 / 3, 0.5])
    scheduler = LambdaLR(sgd(1.0, groups=2), [lambda t: 0.5**t, lambda t: t + 1.0])
    scheduler.step()
    scheduler.step()
    assert scheduler.get_last_lr() == [0.25, 6.0]


def test_linear_lr_ramps_then_stays():
    np.testing.assert_allclose(lrs(LinearLR(sgd(0.3)), 8), [0.1, 0.14, 0.18, 0.22, 0.26, 0.3, 0.3, 0.3])
    values = lrs(LinearLR(sgd(1.0), start_factor=1.0, end_factor=0.0, total_iters=4), 6)
    np.testing.assert_allclose(values, [1.0, 0.75, 0.5, 0.25, 0.0, 0.0], atol=1e-15)


def test_sequential_lr_restarts_each_scheduler_at_its_milestone():
    opt = sgd(1.0)
    scheduler = SequentialLR(
        opt,
        [LinearLR(opt, start_factor=0.5, total_iters=2), StepLR(opt, step_size=2, gamma=0.1)],
        milestones=[3],
    )
    np.testing.assert_allclose(lrs(scheduler, 8), [0.5, 0.75, 1.0, 1.0, 1.0, 0.1, 0.1, 0.01])


def test_sequential_lr_of_three_with_cosine():
    opt = sgd(1.0)
    parts = [
        ExponentialLR(opt, gamma=0.5),
        CosineAnnealingLR(opt, T_max=2),
        LambdaLR(opt, lambda t: 0.1 * (t + 1)),
    ]
    values = lrs(SequentialLR(opt, parts, milestones=[2, 5]), 7)
    np.testing.assert_allclose(values, [1.0, 0.5, 1.0, 0.5, 0.0, 0.1, 0.2], atol=1e-15)


def test_one_cycle_two_phases_by_hand():
    opt = sgd(1.0, momentum=0.9)
    scheduler = OneCycleLR(opt, max_lr=1.0, total_steps=11, pct_start=0.2, div_factor=10, final_div_factor=10)
    seen = [(g["lr"], g["momentum"]) for g in opt.param_groups]
    lr0, m0 = seen[0]
    assert lr0 == pytest.approx(0.1) and m0 == pytest.approx(0.95)  # starts at max_lr / div_factor
    values, moms = [], []
    for _ in range(11):
        scheduler.step()
        values.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
    # up: phase 0 ends at step 0.2 * 11 - 1 = 1.2, half a cosine from 0.1 to 1.0; down to 0.01 at step 10
    assert values[0] == pytest.approx(1.0 + (0.1 - 1.0) / 2 * (math.cos(math.pi * 1 / 1.2) + 1))
    assert values[9] == pytest.approx(0.01)  # step 10 = total_steps - 1: min_lr = 0.1 / 10
    assert moms[9] == pytest.approx(0.95) and min(moms) >= 0.85
    assert max(values) <= 1.0 + 1e-12


def test_one_cycle_linear_three_phase_by_hand():
    opt = sgd(1.0, momentum=0.9)
    scheduler = OneCycleLR(
        opt,
        max_lr=1.0,
        total_steps=10,
        pct_start=0.3,
        anneal_strategy="linear",
        three_phase=True,
        div_factor=4,
    )
    values = lrs(scheduler, 10)
    # phases end at steps 2, 4, 9: 0.25 -> 1 -> 0.25 -> 0.25 / 1e4, linearly
    np.testing.assert_allclose(values[:5], [0.25, 0.625, 1.0, 0.625, 0.25])
    np.testing.assert_allclose(values[9], 0.25e-4)


def test_one_cycle_cycles_adams_beta1_and_keeps_beta2():
    opt = Adam([Parameter(np.zeros(2))], lr=0.1, betas=(0.9, 0.99))
    scheduler = OneCycleLR(opt, max_lr=0.1, total_steps=10, base_momentum=0.8, max_momentum=0.9)
    assert opt.param_groups[0]["betas"] == (0.9, 0.99)
    for _ in range(3):
        scheduler.step()
    beta1, beta2 = opt.param_groups[0]["betas"]
    assert 0.8 <= beta1 < 0.9 and beta2 == 0.99


def test_one_cycle_raises_past_total_steps():
    scheduler = OneCycleLR(sgd(momentum=0.9), max_lr=0.1, epochs=2, steps_per_epoch=3)
    for _ in range(6):
        scheduler.step()
    with pytest.raises(ValueError, match=r"OneCycleLR: tried to step 7 times; .* total steps is 6"):
        scheduler.step()


def test_one_cycle_without_momentum_needs_cycle_momentum_false():
    opt = Adagrad([Parameter(np.zeros(2))])
    with pytest.raises(ValueError, match=r"OneCycleLR: cycle_momentum=True needs .*Adagrad has neither"):
        OneCycleLR(opt, max_lr=0.1, total_steps=5)
    OneCycleLR(opt, max_lr=0.1, total_steps=5, cycle_momentum=False)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.004)


def test_one_cycle_zero_length_phase_is_an_error_not_a_division_by_zero():
    # pct_start * total_steps = 1: the warm-up phase ends at step 0 (PyTorch: ZeroDivisionError)
    with pytest.raises(
        ValueError, match=r"OneCycleLR: phase 0 of the schedule has no steps \(total_steps=10"
    ):
        OneCycleLR(sgd(momentum=0.9), max_lr=0.1, total_steps=10, pct_start=0.1, three_phase=True)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (
            lambda o: LambdaLR(o, [lambda t: 1.0]),
            r"LambdaLR: invalid lr_lambda=.*\(expected 2, one per group\)",
        ),
        (lambda o: LinearLR(o, start_factor=0.0), r"LinearLR: invalid start_factor=0\.0"),
        (lambda o: LinearLR(o, end_factor=1.5), r"LinearLR: invalid end_factor=1\.5"),
        (lambda o: LinearLR(o, total_iters=0), r"LinearLR: invalid total_iters=0"),
        (lambda o: OneCycleLR(o, max_lr=0.1), r"OneCycleLR: give either total_steps or both"),
        (lambda o: OneCycleLR(o, max_lr=0.1, total_steps=2.5), r"OneCycleLR: invalid total_steps=2\.5"),
        (lambda o: OneCycleLR(o, max_lr=0.1, total_steps=5, pct_start=-0.1), r"invalid pct_start=-0\.1"),
        (lambda o: OneCycleLR(o, max_lr=0.1, total_steps=5, anneal_strategy="exp"), r"anneal_strategy='exp'"),
        (lambda o: OneCycleLR(o, max_lr=[0.1] * 3, total_steps=5), r"invalid max_lr=\[0\.1, 0\.1, 0\.1\]"),
        (lambda o: OneCycleLR(o, max_lr=0.1, total_steps=5, base_momentum=[0.8]), r"invalid base_momentum"),
        (lambda o: SequentialLR(o, [], milestones=[]), r"SequentialLR: invalid schedulers=\[\]"),
        (
            lambda o: SequentialLR(o, [StepLR(o, 2), StepLR(o, 3)], milestones=[]),
            r"SequentialLR: invalid milestones=\[\] \(expected 1 milestone",
        ),
        (
            lambda o: SequentialLR(o, [StepLR(o, 2), StepLR(o, 3), StepLR(o, 4)], milestones=[5, 3]),
            r"SequentialLR: invalid milestones=\[5, 3\] \(expected increasing ints >= 1\)",
        ),
        (
            lambda o: SequentialLR(o, [StepLR(o, 2), StepLR(o, 3)], milestones=[0]),
            r"SequentialLR: invalid milestones=\[0\]",
        ),
        (
            lambda o: SequentialLR(o, [StepLR(o, 2), StepLR(sgd(), 3)], milestones=[2]),
            r"schedulers\[1\] belongs",
        ),
    ],
)
def test_invalid_arguments_raise_naming_the_value(make, match):
    with pytest.raises(ValueError, match=match):
        make(sgd(groups=2, momentum=0.9))


def test_type_errors():
    opt = sgd()
    with pytest.raises(TypeError, match=r"LambdaLR: lr_lambda must be a function"):
        LambdaLR(opt, 0.5)
    with pytest.raises(TypeError, match=r"SequentialLR: schedulers\[0\] is a ReduceLROnPlateau"):
        SequentialLR(opt, [ReduceLROnPlateau(opt), StepLR(opt, 2)], milestones=[2])


SCHEDULES = {
    "lambda": lambda o: LambdaLR(o, lambda t: 0.9**t),
    "linear": lambda o: LinearLR(o, start_factor=0.2, total_iters=6),
    "sequential": lambda o: SequentialLR(
        o, [LinearLR(o, start_factor=0.1, total_iters=3), CosineAnnealingLR(o, T_max=8)], milestones=[3]
    ),
    "one_cycle": lambda o: OneCycleLR(o, max_lr=0.5, total_steps=12, three_phase=True),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_state_dict_is_json_and_resumes_the_sequence(name):
    opt = sgd(1.0, momentum=0.9)
    scheduler = SCHEDULES[name](opt)
    lrs(scheduler, 5)
    state = json.loads(json.dumps(scheduler.state_dict()))  # what a checkpoint holds
    assert state["last_epoch"] == 5
    expected = lrs(scheduler, 5)
    opt2 = sgd(1.0, momentum=0.9)
    resumed = SCHEDULES[name](opt2)
    resumed.load_state_dict(state)
    resumed.step()  # (the saved optimizer's lr is restored by optimizer.load_state_dict; here: one step)
    np.testing.assert_allclose(lrs(resumed, 4), expected[1:], rtol=1e-12)
    assert opt2.param_groups[0]["momentum"] == opt.param_groups[0]["momentum"]


def test_load_state_dict_refuses_unknown_keys():
    scheduler = SCHEDULES["sequential"](sgd())
    with pytest.raises(ValueError, match=r"SequentialLR.load_state_dict: '_schedulers' must be a list of 2"):
        scheduler.load_state_dict({**scheduler.state_dict(), "_schedulers": []})
    with pytest.raises(ValueError, match=r"LinearLR.load_state_dict: unexpected keys \['bogus'\]"):
        LinearLR(sgd()).load_state_dict({"bogus": 1})


@pytest.mark.parametrize("name", ["sequential", "one_cycle", "lambda"])
def test_checkpoint_saves_and_restores_the_schedule(name, tmp_path):
    from tinytorch.nn import Linear
    from tinytorch.train import load_checkpoint, save_checkpoint

    model = Linear(2, 1)
    opt = SGD(model.parameters(), lr=1.0, momentum=0.9)
    scheduler = SCHEDULES[name](opt)
    lrs(scheduler, 4)
    save_checkpoint(tmp_path / "c.safetensors", model, opt, scheduler, epoch=1)
    expected = lrs(scheduler, 3)
    opt2 = SGD(model.parameters(), lr=1.0, momentum=0.9)
    resumed = SCHEDULES[name](opt2)
    load_checkpoint(tmp_path / "c.safetensors", model, opt2, resumed)
    assert lrs(resumed, 3) == pytest.approx(expected, rel=1e-12)
