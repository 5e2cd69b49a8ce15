"""Image transforms (module 10), as `torchvision.transforms`.

- `ToTensor()`: a uint8 image array (H, W) or (H, W, C) -> float32 Tensor
  (C, H, W) in [0, 1]; a Tensor passes through unchanged (MNIST already
  yields Tensors in [0, 1], so `Compose([ToTensor(), Normalize(...)])`
  copied from a PyTorch script works as is).
- `Normalize(mean, std)`: `(x - mean[c]) / std[c]` per channel, for one image
  (C, H, W) or a batch (B, C, H, W). MNIST: `Normalize((0.1307,), (0.3081,))`
  (`MNIST_MEAN`, `MNIST_STD`).
- `Compose([t1, t2, ...])`: apply in order.

Transforms prepare data; they build no autograd graph. A transform with
`batched = True` accepts a whole batch (B, C, H, W) and gives the same result
as applying it to each image, so a dataset's `get_batch` can call it once per
batch instead of once per image.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinytorch.core import Tensor

__all__ = ["MNIST_MEAN", "MNIST_STD", "Compose", "Normalize", "ToTensor"]

#: Mean and standard deviation of MNIST's training pixels / 255: `Normalize((MNIST_MEAN,), (MNIST_STD,))`.
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081


class Compose:
    """Apply `transforms` in order; batched exactly when every one of them is."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise TypeError(f"Compose: {t!r} is not callable")

    @property
    def batched(self) -> bool:
        return all(getattr(t, "batched", False) for t in self.transforms)

    def __call__(self, x: Any) -> Any:
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{inner}\n])"


class ToTensor:
    """uint8 (H, W) or (H, W, C) array -> float32 Tensor (C, H, W) = pixels / 255; float
    arrays are taken as already in [0, 1]. Tensors pass through unchanged."""

    batched = True  # on a batch Tensor it is the identity

    def __call__(self, image: Tensor | np.ndarray) -> Tensor:
        ### BEGIN SOLUTION 10
        if isinstance(image, Tensor):
            return image
        if not isinstance(image, np.ndarray):
            raise TypeError(f"ToTensor: expected a NumPy array or a Tensor, got {type(image).__name__}")
        if image.ndim not in (2, 3):
            raise ValueError(f"ToTensor: expected an image (H, W) or (H, W, C), got shape {image.shape}")
        chw = image[None] if image.ndim == 2 else image.transpose(2, 0, 1)  # (C, H, W)
        if image.dtype == np.uint8:
            return Tensor(chw.astype(np.float32) / np.float32(255))
        if image.dtype.kind == "f":
            return Tensor(chw.astype(np.float32))
        raise TypeError(f"ToTensor: expected uint8 or float pixels, got dtype {image.dtype}")
        ### END SOLUTION

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """`(x - mean[c]) / std[c]` for each channel c of an image (C, H, W) or a batch (B, C, H, W).

    `mean`, `std`: one number per channel (or one number for all). Raises
    ValueError when a std is not positive, the lengths differ, or the input's
    channel dimension (axis -3) does not match.
    """

    batched = True

    def __init__(self, mean: float | Sequence[float], std: float | Sequence[float]) -> None:
        means = np.atleast_1d(np.asarray(mean, dtype=np.float32))
        stds = np.atleast_1d(np.asarray(std, dtype=np.float32))
        if means.ndim != 1 or means.shape != stds.shape:
            raise ValueError(
                f"Normalize: mean {list(means)} and std {list(stds)} need one number per channel"
            )
        if not np.all(stds > 0):
            raise ValueError(f"Normalize: std must be positive, got {list(stds)}")
        self.mean, self.std = means, stds

    def __call__(self, x: Tensor) -> Tensor:
        ### BEGIN SOLUTION 10
        data = x.data if isinstance(x, Tensor) else np.asarray(x)
        channels = len(self.mean)
        if data.ndim not in (3, 4) or (channels != 1 and data.shape[-3] != channels):
            raise ValueError(
                f"Normalize: expected an image (C, H, W) or a batch (B, C, H, W) with C = {channels}, "
                f"got shape {data.shape}"
            )
        if data.dtype.kind != "f":
            raise TypeError(f"Normalize: expected float pixels (use ToTensor first), got dtype {data.dtype}")
        mean = self.mean.reshape(-1, 1, 1)  # (C, 1, 1): broadcasts over H, W (and B)
        std = self.std.reshape(-1, 1, 1)
        return Tensor(((data - mean) / std).astype(data.dtype, copy=False))
        ### END SOLUTION

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"
