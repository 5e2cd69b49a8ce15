"""Module 11: Adam and AdamW against torch.optim — 20 steps of the same twin models."""

import pytest
import torch
from tt_train_oracle import data, torch_twin, train_both, tt_model

from tinytorch.core import Tensor
from tinytorch.nn import CrossEntropyLoss
from tinytorch.train.optim import Adam, AdamW

pytestmark = [pytest.mark.oracle, pytest.mark.module11]

CONFIGS = {
    "adam": (Adam, torch.optim.Adam, {"lr": 0.01}),
    "adam_weight_decay": (Adam, torch.optim.Adam, {"lr": 0.01, "weight_decay": 0.1}),
    "adam_amsgrad": (Adam, torch.optim.Adam, {"lr": 0.01, "amsgrad": True}),
    "adam_betas_eps": (Adam, torch.optim.Adam, {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6}),
    "adamw_default_decay": (AdamW, torch.optim.AdamW, {"lr": 0.01}),
    "adamw": (AdamW, torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.1}),
    "adamw_amsgrad": (AdamW, torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.05, "amsgrad": True}),
}


@pytest.mark.parametrize("config", list(CONFIGS))
def test_adam_matches_torch(config):
    ours, theirs, kwargs = CONFIGS[config]
    train_both(lambda ps: ours(ps, **kwargs), lambda ps: theirs(ps, **kwargs)).check()


def test_adam_param_groups_match_torch():
    groups = [{"lr": 0.03, "betas": (0.5, 0.9)}, {"weight_decay": 0.1, "amsgrad": True}]
    train_both(
        lambda ps: AdamW(ps, lr=0.01), lambda ps: torch.optim.AdamW(ps, lr=0.01), groups=groups
    ).check()


def test_adam_state_matches_torch_after_training():
    model = tt_model()
    twin = torch_twin(model)
    ours, theirs = Adam(model.parameters(), lr=0.01), torch.optim.Adam(twin.parameters(), lr=0.01)
    x, y = data(16)
    for _ in range(5):
        ours.zero_grad()
        CrossEntropyLoss()(model(Tensor(x)), Tensor(y)).backward()
        ours.step()
        theirs.zero_grad()
        torch.nn.CrossEntropyLoss()(twin(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        theirs.step()
    a, b = ours.state_dict()["state"], theirs.state_dict()["state"]
    assert set(a) == set(b) == {0, 1, 2, 3}
    for i in a:
        assert a[i]["step"] == b[i]["step"].item() == 5
        for name in ("exp_avg", "exp_avg_sq"):
            torch.testing.assert_close(torch.from_numpy(a[i][name]), b[i][name], rtol=1e-5, atol=1e-7)
