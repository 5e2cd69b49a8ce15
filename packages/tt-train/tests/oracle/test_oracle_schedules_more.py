"""Module 12 (given code): LambdaLR, LinearLR, SequentialLR and OneCycleLR against
torch.optim.lr_scheduler — the lr (and OneCycleLR's momentum) at every step of a run,
a twin model trained under them, and the errors PyTorch raises."""

import math
import warnings

import numpy as np
import pytest
import torch
from tt_train_oracle import LR_RTOL, train_both

from tinytorch.core import Tensor
from tinytorch.nn import Parameter
from tinytorch.train.optim import SGD, Adam, RMSprop
from tinytorch.train.optim import lr_scheduler as ours

pytestmark = [
    pytest.mark.oracle,
    pytest.mark.module12,
    pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before"),
]

sched = torch.optim.lr_scheduler
OPTIMIZERS = {
    "sgd": (lambda ps: SGD(ps, lr=0.1, momentum=0.9), lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)),
    "adam": (lambda ps: Adam(ps, lr=0.02), lambda ps: torch.optim.Adam(ps, lr=0.02)),
    "rmsprop": (
        lambda ps: RMSprop(ps, lr=0.01, momentum=0.5),
        lambda ps: torch.optim.RMSprop(ps, lr=0.01, momentum=0.5),
    ),
}


def warmup(x):
    return min(1.0, (x + 1) / 4)


def decay(x):
    return 0.95**x


def one_cycle(lib, **kwargs):
    return lambda o: lib.OneCycleLR(o, **kwargs)


def linear(lib, **kwargs):
    return lambda o: lib.LinearLR(o, **kwargs)


def sequential(lib, parts, milestones):
    return lambda o: lib.SequentialLR(o, [make(o) for make in parts(lib)], milestones=milestones)


SCHEDULES = {
    "lambda": lambda lib: lambda o: lib.LambdaLR(o, warmup),
    "lambda_per_group": lambda lib: lambda o: lib.LambdaLR(o, [warmup, decay]),
    "linear_default": lambda lib: linear(lib),
    "linear_down": lambda lib: linear(lib, start_factor=1.0, end_factor=0.1, total_iters=12),
    "linear_to_zero": lambda lib: linear(lib, start_factor=0.5, end_factor=0.0, total_iters=7),
    "sequential_linear_cosine": lambda lib: sequential(
        lib,
        lambda lb: [
            lambda o: lb.LinearLR(o, start_factor=0.1, total_iters=4),
            lambda o: lb.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
        ],
        [4],
    ),
    "sequential_three": lambda lib: sequential(
        lib,
        lambda lb: [
            lambda o: lb.LambdaLR(o, warmup),
            lambda o: lb.StepLR(o, step_size=3, gamma=0.5),
            lambda o: lb.ExponentialLR(o, gamma=0.9),
        ],
        [5, 12],
    ),
    "one_cycle": lambda lib: one_cycle(lib, max_lr=0.1, total_steps=30),
    "one_cycle_linear": lambda lib: one_cycle(lib, max_lr=0.05, total_steps=30, anneal_strategy="linear"),
    "one_cycle_three_phase": lambda lib: one_cycle(
        lib, max_lr=0.1, epochs=3, steps_per_epoch=10, three_phase=True, pct_start=0.25
    ),
    "one_cycle_no_momentum": lambda lib: one_cycle(
        lib, max_lr=[0.1, 0.2], total_steps=30, cycle_momentum=False, div_factor=10, final_div_factor=100
    ),
    "one_cycle_momentum_range": lambda lib: one_cycle(
        lib, max_lr=0.1, total_steps=30, base_momentum=[0.7, 0.8], max_momentum=0.9, pct_start=0.5
    ),
}


def momentum_of(group):
    return group["betas"][0] if "betas" in group else group.get("momentum")


def run_sequences(name, optimizer, steps=30):
    """The lr and momentum of every group before each of `steps` steps, on both sides."""
    make_tt, make_torch = OPTIMIZERS[optimizer]
    rng = np.random.default_rng(0)
    tt_opt = make_tt([{"params": [Parameter(np.zeros(2))]}, {"params": [Parameter(np.zeros(3))], "lr": 0.05}])
    torch_opt = make_torch(
        [
            {"params": [torch.zeros(2, requires_grad=True)]},
            {"params": [torch.zeros(3, requires_grad=True)], "lr": 0.05},
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's SequentialLR calls step(0), which it deprecates
        tt_s, torch_s = SCHEDULES[name](ours)(tt_opt), SCHEDULES[name](sched)(torch_opt)
        seen_tt, seen_torch = [], []
        for _ in range(steps):
            seen_tt.append([[g["lr"], momentum_of(g)] for g in tt_opt.param_groups])
            seen_torch.append([[g["lr"], momentum_of(g)] for g in torch_opt.param_groups])
            for p, q in zip(
                [p for g in tt_opt.param_groups for p in g["params"]],
                [q for g in torch_opt.param_groups for q in g["params"]],
                strict=True,
            ):
                g = rng.normal(size=p.shape)
                p.grad = Tensor(g)
                q.grad = torch.tensor(g, dtype=q.dtype)
            tt_opt.step()
            torch_opt.step()
            tt_s.step()
            torch_s.step()
    return tt_s, torch_s, np.array(seen_tt, dtype=float), np.array(seen_torch, dtype=float)


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_lr_and_momentum_sequences_match_torch(name, optimizer):
    tt_s, torch_s, seen_tt, seen_torch = run_sequences(name, optimizer)
    np.testing.assert_allclose(seen_tt, seen_torch, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(tt_s.get_last_lr(), torch_s.get_last_lr(), rtol=1e-10, atol=1e-15)
    assert len({round(x, 12) for x in seen_tt[:, 0, 0]}) > 3  # the schedule did change the lr


@pytest.mark.parametrize("name", ["sequential_linear_cosine", "one_cycle", "linear_down"])
def test_twin_models_train_the_same_under_the_schedule(name):
    run = train_both(
        lambda ps: SGD(ps, lr=0.1, momentum=0.9),
        lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
        steps=20,
        tt_schedule=SCHEDULES[name](ours)
        if name != "one_cycle"
        else one_cycle(ours, max_lr=0.1, total_steps=20),
        torch_schedule=SCHEDULES[name](sched)
        if name != "one_cycle"
        else one_cycle(sched, max_lr=0.1, total_steps=20),
    )
    run.check()
    np.testing.assert_allclose(run.tt_lrs, run.torch_lrs, rtol=LR_RTOL)


def test_one_cycle_groups_hold_torchs_keys():
    tt_opt = Adam([Parameter(np.zeros(2))], lr=0.01)
    torch_opt = torch.optim.Adam([torch.zeros(2, requires_grad=True)], lr=0.01)
    ours.OneCycleLR(tt_opt, max_lr=0.3, total_steps=10)
    sched.OneCycleLR(torch_opt, max_lr=0.3, total_steps=10)
    for key in ("lr", "initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum", "betas"):
        assert tt_opt.param_groups[0][key] == pytest.approx(torch_opt.param_groups[0][key], rel=1e-12), key


@pytest.mark.parametrize("three_phase", [False, True])
def test_one_cycle_steps_up_to_total_steps_then_raises_as_torch(three_phase):
    tt_opt = SGD([Parameter(np.zeros(1))], lr=0.1, momentum=0.9)
    torch_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    tt_s = ours.OneCycleLR(tt_opt, max_lr=1.0, total_steps=8, three_phase=three_phase)
    torch_s = sched.OneCycleLR(torch_opt, max_lr=1.0, total_steps=8, three_phase=three_phase)
    for _ in range(8):  # total_steps steps after construction are allowed
        tt_s.step()
        torch_s.step()
        assert tt_s.get_last_lr() == pytest.approx(torch_s.get_last_lr(), rel=1e-12)
    with pytest.raises(ValueError, match="Tried to step 9 times"):
        torch_s.step()
    with pytest.raises(ValueError, match=r"OneCycleLR: tried to step 9 times; .* total steps is 8"):
        tt_s.step()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_lr": 0.1},
        {"max_lr": 0.1, "total_steps": 0},
        {"max_lr": 0.1, "epochs": 2},
        {"max_lr": 0.1, "epochs": 0, "steps_per_epoch": 3},
        {"max_lr": 0.1, "total_steps": 10, "pct_start": 1.5},
        {"max_lr": 0.1, "total_steps": 10, "anneal_strategy": "exp"},
        {"max_lr": [0.1, 0.2, 0.3], "total_steps": 10},
    ],
)
def test_one_cycle_refuses_what_torch_refuses(kwargs):
    groups = [{"params": [Parameter(np.zeros(1))]}, {"params": [Parameter(np.zeros(1))]}]
    torch_groups = [
        {"params": [torch.zeros(1, requires_grad=True)]},
        {"params": [torch.zeros(1, requires_grad=True)]},
    ]
    with pytest.raises(ValueError, match=r"(?i)expected|must|anneal_strategy"):
        sched.OneCycleLR(torch.optim.SGD(torch_groups, lr=0.1, momentum=0.9), **kwargs)
    with pytest.raises(ValueError, match=r"OneCycleLR: (invalid|give either)"):
        ours.OneCycleLR(SGD(groups, lr=0.1, momentum=0.9), **kwargs)


def test_sequential_refuses_a_wrong_number_of_milestones_as_torch():
    p, q = Parameter(np.zeros(1)), torch.zeros(1, requires_grad=True)
    tt_opt, torch_opt = SGD([p], lr=0.1), torch.optim.SGD([q], lr=0.1)
    with pytest.raises(ValueError, match="number of milestones"):
        sched.SequentialLR(
            torch_opt, [sched.LinearLR(torch_opt), sched.ExponentialLR(torch_opt, 0.9)], [2, 4]
        )
    with pytest.raises(ValueError, match=r"SequentialLR: invalid milestones=\[2, 4\] \(expected 1 milestone"):
        ours.SequentialLR(tt_opt, [ours.LinearLR(tt_opt), ours.ExponentialLR(tt_opt, 0.9)], [2, 4])


def test_lambda_state_dict_has_torchs_keys_but_not_the_functions():
    tt_opt = SGD([Parameter(np.zeros(1))], lr=0.1)
    torch_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    tt_s, torch_s = ours.LambdaLR(tt_opt, decay), sched.LambdaLR(torch_opt, decay)
    for _ in range(3):
        tt_s.step()
        torch_s.step()
    theirs, mine = torch_s.state_dict(), tt_s.state_dict()
    assert theirs["lr_lambdas"] == [None] and "lr_lambdas" not in mine
    assert mine["last_epoch"] == theirs["last_epoch"] == 3 and mine["base_lrs"] == theirs["base_lrs"]
    resumed = ours.LambdaLR(SGD([Parameter(np.zeros(1))], lr=0.1), decay)
    resumed.load_state_dict({k: theirs[k] for k in [*mine, "lr_lambdas"]})  # torch's own keys load
    resumed.step()
    torch_s.step()
    assert math.isclose(resumed.get_last_lr()[0], torch_s.get_last_lr()[0], rel_tol=1e-12)
