"""Module 10: DataLoader, random_split and default_collate against torch.utils.data.

The shuffled orders cannot match (different generators); what must match is
everything else: how fractions become lengths, how many batches an epoch has,
and what a collated batch looks like.
"""

import numpy as np
import pytest
import torch
from torch.utils import data as torch_data

from tinytorch.train.data import DataLoader, TensorDataset, default_collate, random_split

pytestmark = [pytest.mark.oracle, pytest.mark.module10]


@pytest.mark.parametrize(
    ("n", "fractions"),
    [(10, [0.33, 0.33, 0.34]), (7, [0.5, 0.5]), (100, [0.8, 0.1, 0.1]), (13, [0.1] * 10), (5, [1.0])],
)
def test_random_split_fraction_lengths_match_torch(n, fractions):
    ours = [len(part) for part in random_split(TensorDataset(np.zeros((n, 1))), fractions, seed=0)]
    theirs = [len(part) for part in torch_data.random_split(range(n), fractions)]
    assert ours == theirs


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize(("n", "batch_size"), [(10, 3), (12, 4), (5, 8), (1, 1)])
def test_batches_per_epoch_match_torch(n, batch_size, drop_last):
    x, y = np.arange(n * 2, dtype=np.float32).reshape(n, 2), np.arange(n)
    ours = DataLoader(TensorDataset(x, y), batch_size=batch_size, drop_last=drop_last)
    theirs = torch_data.DataLoader(
        torch_data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
        batch_size=batch_size,
        drop_last=drop_last,
    )
    assert len(ours) == len(theirs)
    for (ox, oy), (tx, ty) in zip(ours, theirs, strict=True):  # unshuffled: the same batches
        np.testing.assert_array_equal(ox.data, tx.numpy())
        np.testing.assert_array_equal(oy.data, ty.numpy())


def test_default_collate_matches_torch():
    rng = np.random.default_rng(0)
    samples = [
        {"image": rng.random((3, 2), dtype=np.float32), "label": int(i), "weight": float(i) / 2}
        for i in range(4)
    ]
    ours = default_collate(samples)
    theirs = torch_data.default_collate(samples)
    for key in ("image", "label", "weight"):
        assert ours[key].shape == tuple(theirs[key].shape)
        np.testing.assert_allclose(ours[key].data, theirs[key].numpy(), rtol=1e-7)
    assert str(ours["label"].dtype) == "int64" and theirs["label"].dtype == torch.int64
    # Python floats: float32 in tinytorch (its default dtype), float64 in torch
    assert str(ours["weight"].dtype) == "float32" and theirs["weight"].dtype == torch.float64
