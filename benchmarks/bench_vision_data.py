"""Benchmarks of tt-vision's MNIST data (guide 10-mnist): measurements, no speed targets.

- guide-mnist-load-70k: loading both splits (70,000 images) by parsing the
  four gz files (gunzip, SHA-256, IDX checks) against loading the verified
  uncompressed copies from the parsed cache (read, SHA-256, no gzip);
- guide-mnist-dataset-memory: the training set as MNIST keeps it (uint8,
  converted per batch) against converting it to float32 up front;
- guide-mnist-dataloader-60k-b64: one shuffled epoch of MNIST in batches of
  64: the batched fast path (with and without Normalize), the per-sample path
  (`collate_fn=default_collate`), a float32 TensorDataset, and PyTorch's
  DataLoader over float32 tensors.

MNIST is read from $TINYTORCH_DATA (or the cache) without downloading;
without it these fail.

    hatch run bench -k bench_vision_data
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import epoch, import_torch, record_rate

from tinytorch.train.data import DataLoader, TensorDataset, default_collate
from tinytorch.vision.datasets import MNIST, MNIST_MEAN, MNIST_STD, load_mnist
from tinytorch.vision.transforms import Normalize

Measure = Callable[..., Any]
group = pytest.mark.benchmark
BATCH = 64


@pytest.fixture(scope="module")
def train_set() -> MNIST:
    return MNIST(train=True, download=False)


# --------------------------------------------------- loading 70,000 images: gz vs parsed cache


@group(group="guide-mnist-load-70k")
@pytest.mark.parametrize("source", ["gz-parse", "parsed-cache"])
def test_guide_mnist_load(
    measure: Measure, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, source: str
) -> None:
    """Both splits as uint8/int64 arrays; gz-parse empties the (temporary) parsed cache first."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("TINYTORCH_CACHE", str(cache))

    def load() -> int:
        if source == "gz-parse":
            for path in (cache / "mnist" / "idx").glob("*"):
                path.unlink()
        return sum(len(load_mnist(train, download=False)[1]) for train in (True, False))

    assert load() == 70_000  # fills the parsed cache
    images = measure(load, role="guide", rounds=5, warmup_rounds=1)
    assert images == 70_000


# --------------------------------------------------- the training set in memory: uint8 vs float32


@group(group="guide-mnist-dataset-memory")
@pytest.mark.parametrize("storage", ["uint8-mnist", "float32-tensordataset"])
def test_guide_mnist_dataset_memory(measure: Measure, storage: str) -> None:
    """Peak memory of building the training set (from the parsed cache) as each storage."""

    def build() -> Any:
        ds = MNIST(train=True, download=False)
        if storage == "uint8-mnist":
            return ds
        return TensorDataset(ds.data[:, None].astype(np.float32) / np.float32(255), ds.targets)

    ds = build()
    if storage == "uint8-mnist":
        held = ds.data.nbytes + ds.targets.nbytes
    else:
        held = sum(t.data.nbytes for t in ds.tensors)
    del ds
    measure(build, role="guide", rounds=3, warmup_rounds=1, dataset_bytes=held)


# --------------------------------------------------- DataLoader: one shuffled epoch, batch 64

LOADERS = ["mnist-fast-path", "mnist-fast-path-normalize", "mnist-per-sample", "tensordataset-float32"]


@group(group="guide-mnist-dataloader-60k-b64")
@pytest.mark.parametrize("loader_kind", LOADERS)
def test_guide_mnist_dataloader(measure: Measure, benchmark: Any, train_set: MNIST, loader_kind: str) -> None:
    """938 batches of (64, 1, 28, 28) float32 images and (64,) int64 labels."""
    if loader_kind == "tensordataset-float32":
        dataset: Any = TensorDataset(
            train_set.data[:, None].astype(np.float32) / np.float32(255), train_set.targets
        )
    else:
        transform = Normalize((MNIST_MEAN,), (MNIST_STD,)) if loader_kind.endswith("normalize") else None
        dataset = MNIST(train=True, transform=transform, download=False)
    collate = default_collate if loader_kind == "mnist-per-sample" else None
    loader = DataLoader(dataset, batch_size=BATCH, shuffle=True, seed=0, collate_fn=collate)
    slow = loader_kind == "mnist-per-sample"
    batches = measure(lambda: epoch(loader), role="guide", rounds=3 if slow else 10, warmup_rounds=1)
    assert batches == 938
    record_rate(benchmark, batches)


@group(group="guide-mnist-dataloader-60k-b64")
def test_guide_mnist_dataloader_pytorch(measure: Measure, benchmark: Any, train_set: MNIST) -> None:
    """torch DataLoader over a float32 TensorDataset (torchvision's MNIST + ToTensor goes through
    PIL per image and is slower still; torchvision is not installed here)."""
    torch = import_torch()
    images = torch.from_numpy(train_set.data[:, None].astype(np.float32) / np.float32(255))
    dataset = torch.utils.data.TensorDataset(images, torch.from_numpy(train_set.targets))
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=BATCH, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    batches = measure(lambda: epoch(loader), role="guide", rounds=3, warmup_rounds=1)
    record_rate(benchmark, batches)
