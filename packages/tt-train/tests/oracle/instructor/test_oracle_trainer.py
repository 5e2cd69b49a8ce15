"""Module 08 (instructor-only): the Trainer's loop against a hand-written PyTorch loop (same batches,
same steps). A release drops this folder: the PyTorch loop is the Trainer's graded loop. Student
copies compare with what such a loop computed, stored in tests/fixtures/trainer.npz
(tests/test_trainer.py, written by instructor/fixtures/make_fixtures.py)."""

import numpy as np
import pytest
import torch
from tt_train_oracle import ATOL, RTOL, data, torch_twin, tt_model

from tinytorch.core import Tensor
from tinytorch.nn import CrossEntropyLoss
from tinytorch.train import Trainer
from tinytorch.train.optim import SGD

pytestmark = [pytest.mark.oracle, pytest.mark.module08]


@pytest.mark.parametrize("accum", [1, 2])
def test_trainer_fit_matches_a_torch_loop(accum):
    model = tt_model()
    twin = torch_twin(model)
    x, y = data(48)
    batches = [(x[i : i + 8], y[i : i + 8]) for i in range(0, 48, 8)]
    trainer = Trainer(
        model, SGD(model.parameters(), lr=0.1, momentum=0.9), CrossEntropyLoss(), grad_accum_steps=accum
    )
    history = trainer.fit([(Tensor(a), Tensor(b)) for a, b in batches], epochs=3)

    opt = torch.optim.SGD(twin.parameters(), lr=0.1, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(3):
        total = 0.0
        for i, (a, b) in enumerate(batches):
            loss = loss_fn(twin(torch.from_numpy(a)), torch.from_numpy(b))
            (loss / accum).backward()
            total += loss.item() * len(b)
            if (i + 1) % accum == 0:
                opt.step()
                opt.zero_grad()
    assert history[-1]["loss"] == pytest.approx(total / 48, rel=1e-5)
    for ours, theirs in zip(model.parameters(), twin.parameters(), strict=True):
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=RTOL, atol=ATOL)
