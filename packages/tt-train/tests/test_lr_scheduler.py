"""Module 12: learning-rate schedules and gradient clipping."""

import itertools
import math

import numpy as np
import pytest

from tinytorch.core import Tensor
from tinytorch.nn import Parameter
from tinytorch.train.optim import SGD, Adam, clip_grad_norm_
from tinytorch.train.optim.lr_scheduler import (
    CosineAnnealingLR,
    CosineWarmup,
    ExponentialLR,
    ReduceLROnPlateau,
    StepLR,
)

pytestmark = pytest.mark.module12


def sgd(lr=1.0, groups=1):
    if groups == 1:
        return SGD([Parameter(np.zeros(2))], lr=lr)
    return SGD([{"params": [Parameter(np.zeros(2))], "lr": lr * (i + 1)} for i in range(groups)], lr=lr)


def lrs(scheduler, steps, group=0):
    """The lr in effect for each of `steps` steps (read before each scheduler.step())."""
    out = []
    for _ in range(steps):
        out.append(scheduler.optimizer.param_groups[group]["lr"])
        scheduler.step()
    return out


def test_step_lr():
    np.testing.assert_allclose(
        lrs(StepLR(sgd(), step_size=3, gamma=0.5), 8), [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25]
    )


def test_exponential_lr():
    np.testing.assert_allclose(lrs(ExponentialLR(sgd(2.0), gamma=0.9), 4), [2.0, 1.8, 1.62, 1.458])


def test_cosine_annealing_lr():
    values = lrs(CosineAnnealingLR(sgd(1.0), T_max=4, eta_min=0.2), 5)
    np.testing.assert_allclose(
        values, [1.0, 0.2 + 0.8 * (1 + math.cos(math.pi / 4)) / 2, 0.6, 0.2 + 0.8 * 0.1464466, 0.2], rtol=1e-6
    )


def test_cosine_warmup_shape():
    scheduler = CosineWarmup(sgd(1.0), warmup_steps=4, total_steps=10, min_lr=0.1)
    values = lrs(scheduler, 13)
    np.testing.assert_allclose(values[:5], [0.2, 0.4, 0.6, 0.8, 1.0])  # (t + 1) / (w + 1), then the peak
    assert all(a > b for a, b in itertools.pairwise(values[4:11]))  # cosine decay ...
    np.testing.assert_allclose(values[7], 0.1 + 0.9 * 0.5)  # ... halfway at t = 4 + 3
    np.testing.assert_allclose(values[10:], [0.1, 0.1, 0.1])  # ... to min_lr at total_steps, then flat


def test_cosine_warmup_start_factor_and_no_warmup():
    values = lrs(CosineWarmup(sgd(1.0), warmup_steps=2, total_steps=4, start_factor=0.5), 3)
    np.testing.assert_allclose(values, [0.5, 0.75, 1.0])
    values = lrs(CosineWarmup(sgd(1.0), warmup_steps=0, total_steps=2), 3)
    np.testing.assert_allclose(values, [1.0, 0.5, 0.0], atol=1e-12)


def test_schedules_scale_each_groups_own_lr():
    scheduler = StepLR(sgd(0.1, groups=2), step_size=1, gamma=0.1)
    scheduler.step()
    np.testing.assert_allclose(scheduler.get_last_lr(), [0.01, 0.02])
    assert scheduler.base_lrs == [0.1, 0.2]


def test_scheduler_state_dict_resumes_the_sequence():
    opt = sgd(1.0)
    scheduler = CosineWarmup(opt, warmup_steps=3, total_steps=12)
    lrs(scheduler, 5)
    state = scheduler.state_dict()
    assert state["last_epoch"] == 5 and "optimizer" not in state
    expected = lrs(scheduler, 5)
    opt2 = sgd(1.0)
    resumed = CosineWarmup(opt2, warmup_steps=3, total_steps=12)
    resumed.load_state_dict(state)
    resumed.step()  # (the saved optimizer's lr is restored by optimizer.load_state_dict; here: one step)
    np.testing.assert_allclose(lrs(resumed, 4), expected[1:])


def test_reduce_on_plateau_waits_patience_then_reduces():
    opt = sgd(1.0)
    plateau = ReduceLROnPlateau(opt, factor=0.5, patience=2)
    seen = []
    for loss in [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.5]:
        plateau.step(loss)
        seen.append(opt.param_groups[0]["lr"])
    # epoch 2 improved; epochs 3, 4 are bad (patience 2), the 3rd bad epoch (5) reduces, and so on
    assert seen == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]


def test_reduce_on_plateau_cooldown_min_lr_and_max_mode():
    opt = sgd(1.0)
    plateau = ReduceLROnPlateau(opt, mode="max", factor=0.1, patience=0, cooldown=2, min_lr=0.05)
    seen = []
    for acc in [0.5, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4]:
        plateau.step(acc)
        seen.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(seen, [1.0, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05])


def test_reduce_on_plateau_thresholds():
    rel = ReduceLROnPlateau(sgd(), threshold=0.1, patience=0)
    rel.step(1.0)
    rel.step(0.95)  # not 10% better: a bad epoch
    assert rel.get_last_lr() == [0.1]
    absolute = ReduceLROnPlateau(sgd(), threshold=0.01, threshold_mode="abs", patience=0)
    absolute.step(1.0)
    absolute.step(0.95)  # 0.05 better: an improvement
    assert absolute.get_last_lr() == [1.0] and absolute.best == 0.95


def test_reduce_on_plateau_state_dict():
    plateau = ReduceLROnPlateau(sgd(), patience=3)
    for loss in (1.0, 2.0, 2.0):
        plateau.step(loss)
    other = ReduceLROnPlateau(sgd(), patience=3)
    other.load_state_dict(plateau.state_dict())
    assert other.num_bad_epochs == 2 and other.best == 1.0 and other.last_epoch == 3


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda opt: StepLR(opt, step_size=0), r"StepLR: invalid step_size=0"),
        (lambda opt: StepLR(opt, step_size=2, gamma=-1.0), r"StepLR: invalid gamma=-1\.0"),
        (lambda opt: ExponentialLR(opt, gamma=0.0), r"ExponentialLR: invalid gamma=0\.0"),
        (lambda opt: CosineAnnealingLR(opt, T_max=0), r"CosineAnnealingLR: invalid T_max=0"),
        (
            lambda opt: CosineWarmup(opt, warmup_steps=10, total_steps=10),
            r"CosineWarmup: invalid total_steps=10",
        ),
        (
            lambda opt: CosineWarmup(opt, warmup_steps=-1, total_steps=10),
            r"CosineWarmup: invalid warmup_steps=-1",
        ),
        (lambda opt: ReduceLROnPlateau(opt, factor=1.0), r"ReduceLROnPlateau: invalid factor=1\.0"),
        (lambda opt: ReduceLROnPlateau(opt, mode="up"), r"ReduceLROnPlateau: invalid mode='up'"),
        (lambda opt: ReduceLROnPlateau(opt, patience=-1), r"ReduceLROnPlateau: invalid patience=-1"),
    ],
)
def test_invalid_schedule_arguments_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make(sgd())
    assert StepLR(sgd(), step_size=1).get_last_lr() == [1.0]  # valid ones work


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="not an Optimizer"):
        StepLR([Parameter(np.zeros(1))], step_size=1)
    assert ExponentialLR(sgd(), gamma=0.5).get_last_lr() == [1.0]


def test_schedules_work_with_adam():
    opt = Adam([Parameter(np.zeros(2))], lr=0.01)
    scheduler = ExponentialLR(opt, gamma=0.5)
    scheduler.step()
    assert opt.param_groups[0]["lr"] == 0.005 and opt.param_groups[0]["initial_lr"] == 0.01


# ------------------------------------------------------------- clip_grad_norm_


def with_grads(*grads):
    params = []
    for g in grads:
        p = Parameter(np.zeros(np.shape(g)))
        p.grad = Tensor(np.array(g, dtype=np.float64))
        params.append(p)
    return params


def test_clip_grad_norm_scales_all_gradients_together():
    params = with_grads([3.0, 0.0], [[4.0]])  # total 2-norm 5
    total = clip_grad_norm_(params, max_norm=1.0)
    assert total == pytest.approx(5.0)
    np.testing.assert_allclose(params[0].grad.data, [3 / (5 + 1e-6), 0.0])
    np.testing.assert_allclose(params[1].grad.data, [[4 / (5 + 1e-6)]])


def test_clip_grad_norm_leaves_small_gradients_alone():
    params = with_grads([0.3, 0.4])
    assert clip_grad_norm_(params, max_norm=1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(params[0].grad.data, [0.3, 0.4])


@pytest.mark.parametrize(
    ("norm_type", "expected"), [(1.0, 10.0), (float("inf"), 4.0), (3.0, (1 + 8 + 27 + 64) ** (1 / 3))]
)
def test_clip_grad_norm_other_norms(norm_type, expected):
    params = with_grads([1.0, -2.0], [3.0, -4.0])
    assert clip_grad_norm_(params, max_norm=100.0, norm_type=norm_type) == pytest.approx(expected)


def test_clip_grad_norm_skips_missing_grads_and_checks_arguments():
    p = Parameter(np.zeros(2))
    assert clip_grad_norm_([p], max_norm=1.0) == 0.0
    params = with_grads([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="total norm"):
        clip_grad_norm_(params, max_norm=1.0, error_if_nonfinite=True)
    with pytest.raises(ValueError, match=r"invalid max_norm=-1\.0"):
        clip_grad_norm_(params, max_norm=-1.0)
    with pytest.raises(ValueError, match=r"invalid norm_type=0 "):
        clip_grad_norm_(params, max_norm=1.0, norm_type=0)
    for norm_type in (2.0, float("inf")):  # an empty gradient adds nothing, in any norm
        assert clip_grad_norm_(with_grads(np.zeros(0)), max_norm=1.0, norm_type=norm_type) == 0.0
    single = with_grads([6.0, 8.0])[0]
    assert clip_grad_norm_(single, max_norm=5.0) == pytest.approx(10.0)  # a single tensor is fine too
