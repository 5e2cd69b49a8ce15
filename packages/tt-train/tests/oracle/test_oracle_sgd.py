"""Module 07: SGD against torch.optim.SGD — 20 steps of the same twin models."""

import pytest
import torch
from tt_train_oracle import torch_twin, train_both, tt_model

from tinytorch.train.optim import SGD

pytestmark = [pytest.mark.oracle, pytest.mark.module07]

CONFIGS = {
    "plain": {"lr": 0.1},
    "momentum": {"lr": 0.05, "momentum": 0.9},
    "dampening": {"lr": 0.05, "momentum": 0.9, "dampening": 0.5},
    "nesterov": {"lr": 0.05, "momentum": 0.9, "nesterov": True},
    "weight_decay": {"lr": 0.1, "weight_decay": 0.05},
    "momentum_weight_decay": {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.01},
    "nesterov_weight_decay": {"lr": 0.05, "momentum": 0.7, "nesterov": True, "weight_decay": 0.02},
}


@pytest.mark.parametrize("config", list(CONFIGS))
def test_sgd_matches_torch(config):
    kwargs = CONFIGS[config]
    train_both(lambda ps: SGD(ps, **kwargs), lambda ps: torch.optim.SGD(ps, **kwargs)).check()


def test_sgd_param_groups_match_torch():
    groups = [{"lr": 0.2}, {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01}]
    run = train_both(
        lambda ps: SGD(ps, lr=0.05),
        lambda ps: torch.optim.SGD(ps, lr=0.05),
        groups=groups,
    )
    run.check()


def test_sgd_state_dict_matches_torch_layout():
    model = tt_model()
    twin = torch_twin(model)
    ours = SGD(model.parameters(), lr=0.1, momentum=0.9).state_dict()
    theirs = torch.optim.SGD(twin.parameters(), lr=0.1, momentum=0.9).state_dict()
    assert ours["param_groups"][0]["params"] == theirs["param_groups"][0]["params"] == [0, 1, 2, 3]
    for key in ("lr", "momentum", "dampening", "weight_decay", "nesterov"):
        assert ours["param_groups"][0][key] == theirs["param_groups"][0][key]
