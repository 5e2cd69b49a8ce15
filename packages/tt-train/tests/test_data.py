"""Module 10: Dataset, TensorDataset, DataLoader, random_split, default_collate."""

import numpy as np
import pytest
from tt_train_helpers import blobs, mlp

import tinytorch.core as tc
from tinytorch.core import Tensor
from tinytorch.nn import CrossEntropyLoss
from tinytorch.train import Trainer
from tinytorch.train.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split
from tinytorch.train.optim import SGD

pytestmark = pytest.mark.module10


def numbered(n=10):
    """x[i] = [i, i], y[i] = i: every batch says which samples it holds."""
    x = np.repeat(np.arange(n, dtype=np.float32)[:, None], 2, axis=1)
    return TensorDataset(x, np.arange(n))


class Squares(Dataset):
    """A plain map-style dataset without get_batch (the per-sample path)."""

    def __init__(self, n):
        self.n = n
        self.calls = 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.calls += 1
        return np.array([i, i * i], dtype=np.float32), i


def test_tensor_dataset_samples_keep_dtypes():
    ds = numbered(4)
    assert len(ds) == 4
    x, y = ds[2]
    np.testing.assert_array_equal(x.data, [2.0, 2.0])
    assert x.dtype == tc.float32 and y.dtype == tc.int64 and y.shape == () and y.item() == 2
    bx, by = ds.get_batch(np.array([3, 1]))
    np.testing.assert_array_equal(by.data, [3, 1])
    assert bx.shape == (2, 2)


def test_tensor_dataset_checks_lengths():
    with pytest.raises(ValueError, match=r"different first dimensions \[3, 4\]"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    assert len(TensorDataset(np.zeros((3, 2)), np.zeros(3))) == 3


def test_loader_batches_in_order_with_a_short_last_batch():
    loader = DataLoader(numbered(10), batch_size=4)
    assert len(loader) == 3
    ys = [y.data.tolist() for _, y in loader]
    assert ys == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    x, y = next(iter(loader))
    assert x.shape == (4, 2) and x.dtype == tc.float32 and y.dtype == tc.int64


def test_drop_last():
    loader = DataLoader(numbered(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert [len(y) for _, y in loader] == [4, 4]


def test_shuffle_visits_every_sample_once_in_a_new_order_each_epoch():
    loader = DataLoader(numbered(20), batch_size=6, shuffle=True, seed=3)
    epochs = [np.concatenate([y.data for _, y in loader]) for _ in range(3)]
    for order in epochs:
        assert sorted(order.tolist()) == list(range(20))
    assert not np.array_equal(epochs[0], epochs[1]) and not np.array_equal(epochs[1], epochs[2])


def test_shuffle_is_reproducible_and_independent_of_the_global_rng():
    def orders(seed, disturb):
        loader = DataLoader(numbered(20), batch_size=5, shuffle=True, seed=seed)
        out = []
        for _ in range(2):
            if disturb:
                tc.manual_seed(123)
                tc.randn(10)
            out.append(np.concatenate([y.data for _, y in loader]))
        return out

    np.testing.assert_array_equal(orders(7, False), orders(7, True))
    assert not np.array_equal(orders(7, False)[0], orders(8, False)[0])


def test_default_seed_comes_from_the_global_generator():
    tc.manual_seed(5)
    a = [y.data.tolist() for _, y in DataLoader(numbered(12), batch_size=12, shuffle=True)]
    tc.manual_seed(5)
    b = [y.data.tolist() for _, y in DataLoader(numbered(12), batch_size=12, shuffle=True)]
    assert a == b


def test_loader_state_dict_restores_the_next_epoch_order():
    loader = DataLoader(numbered(16), batch_size=16, shuffle=True, seed=0)
    next(iter(loader))
    state = loader.state_dict()
    expected = next(iter(loader))[1].data
    fresh = DataLoader(numbered(16), batch_size=16, shuffle=True, seed=99)
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(next(iter(fresh))[1].data, expected)


def test_fast_path_gives_the_same_batches_as_per_sample_collate():
    ds = numbered(11)
    fast = DataLoader(ds, batch_size=4, shuffle=True, seed=1)
    slow = DataLoader(ds, batch_size=4, shuffle=True, seed=1, collate_fn=default_collate)
    for (fx, fy), (sx, sy) in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(fx.data, sx.data)
        np.testing.assert_array_equal(fy.data, sy.data)
        assert fx.dtype == sx.dtype and fy.dtype == sy.dtype


def test_fast_path_never_builds_single_samples():
    class Counting(TensorDataset):
        def __getitem__(self, i):
            raise AssertionError("per-sample access on the fast path")

    ds = Counting(np.zeros((8, 3), dtype=np.float32), np.zeros(8, dtype=np.int64))
    assert [x.shape for x, _ in DataLoader(ds, batch_size=5)] == [(5, 3), (3, 3)]


def test_per_sample_datasets_are_collated():
    ds = Squares(5)
    batches = list(DataLoader(ds, batch_size=2))
    assert ds.calls == 5
    x, y = batches[0]
    np.testing.assert_array_equal(x.data, [[0, 0], [1, 1]])
    assert y.dtype == tc.int64 and y.data.tolist() == [0, 1]


def test_custom_collate_fn():
    loader = DataLoader(Squares(4), batch_size=3, collate_fn=lambda samples: [s[1] for s in samples])
    assert list(loader) == [[0, 1, 2], [3]]


def test_default_collate_structures():
    batch = default_collate([{"a": 1.5, "b": (np.ones(2), 3)}, {"a": 2.5, "b": (np.zeros(2), 4)}])
    assert batch["a"].dtype == tc.float32 and batch["a"].data.tolist() == [1.5, 2.5]
    assert batch["b"][0].shape == (2, 2) and batch["b"][1].dtype == tc.int64
    assert default_collate([Tensor([1.0]), Tensor([2.0])]).shape == (2, 1)
    with pytest.raises(TypeError, match="cannot collate samples of type str"):
        default_collate(["a", "b"])
    with pytest.raises(TypeError, match="cannot collate samples of type NoneType"):
        default_collate([(1, None), (2, None)])
    with pytest.raises(ValueError, match="no samples to collate"):
        default_collate([])
    with pytest.raises(ValueError, match="different numbers of fields"):
        default_collate([(1, 2), (3,)])
    flags = default_collate([True, False])
    assert flags.dtype == tc.bool_ and flags.data.tolist() == [True, False]  # bool before int


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_bad_batch_size_raises(batch_size):
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        DataLoader(numbered(4), batch_size=batch_size)
    assert len(DataLoader(numbered(4), batch_size=3)) == 2


def test_empty_dataset_raises():
    with pytest.raises(ValueError, match=r"dataset .*is empty"):
        DataLoader(TensorDataset(np.zeros((0, 2))), batch_size=2)
    with pytest.raises(ValueError, match=r"Squares.* is empty"):
        DataLoader(Squares(0))
    assert len(list(DataLoader(Squares(1)))) == 1


def test_random_split_lengths():
    parts = random_split(numbered(10), [6, 4], seed=0)
    assert [len(p) for p in parts] == [6, 4]
    seen = sorted(int(p[i][1].item()) for p in parts for i in range(len(p)))
    assert seen == list(range(10))


def test_random_split_fractions_round_like_pytorch():
    assert [len(p) for p in random_split(numbered(10), [0.33, 0.33, 0.34], seed=0)] == [4, 3, 3]
    assert [len(p) for p in random_split(numbered(10), [0.5, 0.5], seed=0)] == [5, 5]


def test_random_split_is_reproducible():
    a = random_split(numbered(20), [0.8, 0.2], seed=4)
    b = random_split(numbered(20), [0.8, 0.2], seed=4)
    np.testing.assert_array_equal(a[1].indices, b[1].indices)
    assert isinstance(a[0], Subset)


def test_random_split_bad_lengths():
    with pytest.raises(ValueError, match="do not add up"):
        random_split(numbered(10), [6, 5], seed=0)
    with pytest.raises(ValueError, match="neither ints nor fractions"):
        random_split(numbered(10), [0.5, 0.2], seed=0)
    assert len(random_split(numbered(10), [10], seed=0)[0]) == 10


@pytest.mark.parametrize(
    ("lengths", "message"),
    [
        ([11, -1], r"random_split: length at index 1 is -1, expected a length >= 0 \(lengths \[11, -1\]\)"),
        ([-2, 6, 6], r"length at index 0 is -2"),
        ([1.5, -0.5], r"random_split: fraction at index 0 is 1\.5, expected a fraction between 0 and 1"),
        ([0.5, 0.75, -0.25], r"fraction at index 2 is -0\.25, expected a fraction between 0 and 1"),
        ([0.5, float("nan")], r"fraction at index 1 is nan"),
    ],
)
def test_random_split_names_a_negative_length_or_a_fraction_out_of_range(lengths, message):
    """Each of these adds up (to 10 or to 1): the error names the bad entry, not the sum."""
    with pytest.raises(ValueError, match=message):
        random_split(numbered(10), lengths, seed=0)


def test_subset_of_a_tensor_dataset_keeps_the_fast_path():
    train, _ = random_split(numbered(10), [7, 3], seed=1)
    assert hasattr(train, "get_batch") and not hasattr(Subset(Squares(3), [0]), "get_batch")
    (x, y), *_ = DataLoader(train, batch_size=7)
    np.testing.assert_array_equal(y.data, train.indices)
    np.testing.assert_array_equal(x.data[:, 0], train.indices)


def test_trainer_fits_from_data_loaders():
    x, y = blobs(n=128)
    train, val = random_split(TensorDataset(x, y), [0.75, 0.25], seed=0)
    model = mlp()
    trainer = Trainer(model, SGD(model.parameters(), lr=0.2, momentum=0.9), CrossEntropyLoss())
    history = trainer.fit(
        DataLoader(train, batch_size=16, shuffle=True, seed=0), epochs=5, val=DataLoader(val, 32)
    )
    assert history[-1]["val_accuracy"] > 0.9 and history[-1]["loss"] < history[0]["loss"]


class Recording(TensorDataset):
    """A TensorDataset that records the indices of every batch the DataLoader asks for."""

    def __init__(self, *tensors):
        super().__init__(*tensors)
        self.requests = []

    def get_batch(self, indices):
        self.requests.append(np.array(indices))
        return super().get_batch(indices)


def fit_on_a_dataset(seed, n=150, epochs=3):
    """trainer.fit(dataset, epochs) as the course plan writes it, after manual_seed(seed)."""
    x, y = blobs(n=n)
    data = Recording(x, y)
    model = mlp()
    tc.manual_seed(seed)
    trainer = Trainer(model, SGD(model.parameters(), lr=0.2, momentum=0.9), CrossEntropyLoss())
    history = trainer.fit(data, epochs=epochs)
    return data.requests, model, history


def test_trainer_fit_batches_a_dataset_shuffled_by_64_and_seeded():
    requests, model, history = fit_on_a_dataset(seed=0)
    assert [len(r) for r in requests] == [64, 64, 22] * 3  # DataLoader(dataset, batch_size=64, shuffle=True)
    epochs = [np.concatenate(requests[3 * i : 3 * i + 3]) for i in range(3)]
    for order in epochs:
        np.testing.assert_array_equal(np.sort(order), np.arange(150))  # every sample once per epoch
    assert not np.array_equal(epochs[0], np.arange(150)) and not np.array_equal(epochs[0], epochs[1])
    assert history[-1]["loss"] < 0.5 * history[0]["loss"]
    again, model_again, _ = fit_on_a_dataset(seed=0)  # manual_seed before fit fixes the order
    assert all(np.array_equal(a, b) for a, b in zip(requests, again, strict=True))
    for p, q in zip(model.parameters(), model_again.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)
    other, _, _ = fit_on_a_dataset(seed=1)
    assert not np.array_equal(requests[0], other[0])


def test_trainer_evaluate_and_val_batch_a_dataset_in_order_with_its_batch_size():
    x, y = blobs(n=120)
    model = mlp()
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), CrossEntropyLoss(), batch_size=50)
    test = Recording(x, y)
    logs = trainer.evaluate(test)
    assert [r.tolist() for r in test.requests] == [
        list(range(0, 50)),
        list(range(50, 100)),
        list(range(100, 120)),
    ]
    assert logs == pytest.approx(trainer.evaluate(DataLoader(TensorDataset(x, y), batch_size=50)))
    assert set(logs) == {"loss", "accuracy"} and 0 <= logs["accuracy"] <= 1
    val = Recording(x[:30], y[:30])
    train = Recording(x[30:], y[30:])
    history = trainer.fit(train, epochs=2, val=val)
    assert [len(r) for r in train.requests] == [50, 40] * 2 and "val_accuracy" in history[-1]
    assert [r.tolist() for r in val.requests] == [list(range(30))] * 2
    for bad in (0, -3, 2.5, True):
        with pytest.raises(
            ValueError, match=rf"Trainer: invalid batch_size={bad!r} \(expected an int >= 1\)"
        ):
            Trainer(model, SGD(model.parameters(), lr=0.1), CrossEntropyLoss(), batch_size=bad)
