"""Module 12: LR schedules and clip_grad_norm_ against torch.optim.lr_scheduler / torch.nn.utils.

Schedules step after every optimizer step of 20 (or 30) training steps: the
learning rates agree to 1e-12 and the trained parameters to 1e-5.
"""

import numpy as np
import pytest
import torch
from tt_train_oracle import LR_RTOL, train_both

from tinytorch.core import Tensor
from tinytorch.nn import Parameter
from tinytorch.train.optim import SGD, Adam, clip_grad_norm_
from tinytorch.train.optim import lr_scheduler as ours

pytestmark = [pytest.mark.oracle, pytest.mark.module12]

sched = torch.optim.lr_scheduler


def warmup_cosine_torch(opt, warmup, total, min_lr):
    """PyTorch's built-ins composing the same schedule as CosineWarmup."""
    return sched.SequentialLR(
        opt,
        [
            sched.LinearLR(opt, start_factor=1 / (warmup + 1), end_factor=1.0, total_iters=warmup),
            sched.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=min_lr),
        ],
        milestones=[warmup],
    )


SCHEDULES = {
    "step": (
        lambda o: ours.StepLR(o, step_size=4, gamma=0.5),
        lambda o: sched.StepLR(o, step_size=4, gamma=0.5),
    ),
    "exponential": (lambda o: ours.ExponentialLR(o, gamma=0.9), lambda o: sched.ExponentialLR(o, gamma=0.9)),
    "cosine": (
        lambda o: ours.CosineAnnealingLR(o, T_max=12, eta_min=0.001),
        lambda o: sched.CosineAnnealingLR(o, T_max=12, eta_min=0.001),
    ),
    "warmup_cosine": (
        lambda o: ours.CosineWarmup(o, warmup_steps=5, total_steps=20, min_lr=0.001),
        lambda o: warmup_cosine_torch(o, 5, 20, 0.001),
    ),
    "warmup_cosine_to_zero": (
        lambda o: ours.CosineWarmup(o, warmup_steps=3, total_steps=20),
        lambda o: warmup_cosine_torch(o, 3, 20, 0.0),
    ),
}


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("schedule", list(SCHEDULES))
def test_schedule_matches_torch(schedule, optimizer):
    tt_schedule, torch_schedule = SCHEDULES[schedule]
    if optimizer == "sgd":
        make_tt, make_torch = (
            (lambda ps: SGD(ps, lr=0.1, momentum=0.9)),
            (lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)),
        )
    else:
        make_tt, make_torch = (lambda ps: Adam(ps, lr=0.02)), (lambda ps: torch.optim.Adam(ps, lr=0.02))
    run = train_both(make_tt, make_torch, steps=20, tt_schedule=tt_schedule, torch_schedule=torch_schedule)
    run.check()
    assert len(set(run.tt_lrs)) > 3  # the schedule did change the lr


def test_schedule_with_param_groups_matches_torch():
    tt_schedule, torch_schedule = SCHEDULES["warmup_cosine"]
    run = train_both(
        lambda ps: SGD(ps, lr=0.1),
        lambda ps: torch.optim.SGD(ps, lr=0.1),
        tt_schedule=tt_schedule,
        torch_schedule=torch_schedule,
        groups=[{"lr": 0.3}, {}],
    )
    run.check()


PLATEAU = {
    "default": {},
    "patience_factor": {"patience": 1, "factor": 0.5},
    "cooldown_min_lr": {"patience": 0, "factor": 0.3, "cooldown": 2, "min_lr": 0.004},
    "abs_threshold": {"patience": 1, "threshold": 0.05, "threshold_mode": "abs"},
    "max_mode": {"mode": "max", "patience": 1, "factor": 0.5},
    "max_abs": {"mode": "max", "patience": 0, "threshold": 0.02, "threshold_mode": "abs", "cooldown": 1},
}


@pytest.mark.parametrize("config", list(PLATEAU))
def test_reduce_on_plateau_lr_sequence_matches_torch(config):
    kwargs = PLATEAU[config]
    rng = np.random.default_rng(0)
    metrics = np.concatenate([np.linspace(1.0, 0.5, 6), 0.5 + 0.04 * rng.standard_normal(30)]).tolist()
    metrics[20:26] = [0.3, 0.31, 0.299, 0.3, 0.2999, 0.35]  # small changes around the threshold
    tt_opt = SGD([Parameter(np.zeros(2))], lr=0.1)
    torch_opt = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1)
    tt_plateau, torch_plateau = (
        ours.ReduceLROnPlateau(tt_opt, **kwargs),
        sched.ReduceLROnPlateau(torch_opt, **kwargs),
    )
    tt_lrs, torch_lrs = [], []
    for value in metrics:
        tt_plateau.step(value)
        torch_plateau.step(value)
        tt_lrs.append(tt_opt.param_groups[0]["lr"])
        torch_lrs.append(torch_opt.param_groups[0]["lr"])
    np.testing.assert_allclose(tt_lrs, torch_lrs, rtol=LR_RTOL, atol=0)
    assert tt_plateau.best == torch_plateau.best and tt_plateau.num_bad_epochs == torch_plateau.num_bad_epochs


def test_closed_form_schedules_match_torch_over_a_long_run():
    tt_opt = SGD([Parameter(np.zeros(1))], lr=0.5)
    torch_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
    tt_s = ours.CosineWarmup(tt_opt, warmup_steps=50, total_steps=500, min_lr=0.01)
    torch_s = warmup_cosine_torch(torch_opt, 50, 500, 0.01)
    for _ in range(500):
        np.testing.assert_allclose(tt_s.get_last_lr(), torch_s.get_last_lr(), rtol=1e-10)
        tt_opt.step()
        torch_opt.step()
        tt_s.step()
        torch_s.step()


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    rng = np.random.default_rng(1)
    grads = [rng.standard_normal(shape).astype(np.float32) for shape in [(8, 4), (8,), (3, 8), (3,)]]
    tt_params, torch_params = [], []
    for g in grads:
        p = Parameter(np.zeros(g.shape, dtype=np.float32))
        p.grad = Tensor(g.copy())
        tt_params.append(p)
        q = torch.zeros(g.shape, requires_grad=True)
        q.grad = torch.from_numpy(g.copy())
        torch_params.append(q)
    tt_params.append(Parameter(np.zeros(2, dtype=np.float32)))  # without grad: skipped by both
    torch_params.append(torch.zeros(2, requires_grad=True))
    total = clip_grad_norm_(tt_params, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(torch_params, max_norm, norm_type=norm_type)
    assert total == pytest.approx(expected.item(), rel=1e-6)
    for p, q in zip(tt_params[:-1], torch_params[:-1], strict=True):
        np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-5, atol=1e-7)
