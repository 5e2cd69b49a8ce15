"""``tinytorch doctor``: is this environment ready for the course? One line per check, with the fix.

NumPy is probed in a subprocess (tt-course never imports it): its version, the BLAS it was
built with and that BLAS's thread count (OpenBLAS, read with ctypes as benchmarks/conftest.py
does). Datasets are looked up in the order the data loaders use: ``$TINYTORCH_DATA``, then
the user cache (``$TINYTORCH_CACHE``, else ``$XDG_CACHE_HOME/tinytorch``, else
``~/.cache/tinytorch``; as ``tinytorch.train.datafiles.cache_dir``), and checked against
the pinned SHA-256 of :data:`tinytorch.course.catalog.DATASETS`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tinytorch.course.catalog import DATASETS, PACKAGES, PHASE_PACKAGES
from tinytorch.course.testing import Installed, installed_packages

__all__ = [
    "Check",
    "cache_folder",
    "data_folders",
    "doctor",
    "find_data_file",
    "numpy_probe",
    "report",
    "sha256_file",
]

MIN_PYTHON = (3, 11)
MIN_NUMPY = (2, 1)

OK, WARN, FAIL = "ok", "warn", "FAIL"

_PROBE = r"""
import ctypes, json, os, sys
from pathlib import Path
out = {"python": sys.version.split()[0], "executable": sys.executable, "cpus": os.cpu_count()}
try:
    out["cpus_usable"] = len(os.sched_getaffinity(0))
except AttributeError:
    out["cpus_usable"] = os.cpu_count()
try:
    import numpy as np
except Exception as err:
    out["numpy_error"] = repr(err)
    print(json.dumps(out)); raise SystemExit(0)
out["numpy"] = np.__version__
out["numpy_file"] = np.__file__
try:
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    out["blas"] = {k: blas.get(k) for k in ("name", "version", "openblas configuration")}
except Exception as err:
    out["blas"] = {"error": repr(err)}
np.ones((8, 8)) @ np.ones((8, 8))  # make sure the BLAS library is loaded
threads = None
try:
    maps = Path("/proc/self/maps").read_text()
    libs = {l.split()[-1] for l in maps.splitlines() if "openblas" in l and ".so" in l}
    for lib in sorted(libs):
        handle = ctypes.CDLL(lib)
        for symbol in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
                       "openblas_get_num_threads"):
            if hasattr(handle, symbol):
                threads = int(getattr(handle, symbol)()); out["blas_library"] = lib; break
        if threads is not None:
            break
except OSError:
    pass
out["blas_threads"] = threads
names = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
out["env"] = {k: os.environ[k] for k in names if k in os.environ}
print(json.dumps(out))
"""


@dataclass(frozen=True)
class Check:
    """One line of the report: ``status`` is ok, warn or FAIL; FAIL makes the exit code 1."""

    status: str
    what: str
    fix: str = ""

    def line(self) -> str:
        return f"{self.status:<4}  {self.what}" + (f"\n      fix: {self.fix}" if self.fix else "")


def numpy_probe(python: str = sys.executable) -> dict[str, object]:
    """Versions, BLAS and its threads, as seen by ``python`` (run in a subprocess)."""
    proc = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True, check=False, timeout=120)
    try:
        result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
        return result
    except (IndexError, json.JSONDecodeError):
        return {"probe_error": (proc.stdout + proc.stderr).strip()[-500:] or f"exit code {proc.returncode}"}


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split(".")[:3]:
        digits = "".join(c for c in piece if c.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def data_folders(environ: Mapping[str, str] = os.environ) -> list[tuple[str, Path]]:
    """The folders searched for datasets, in order, each with where it comes from."""
    folders = []
    if environ.get("TINYTORCH_DATA"):
        folders.append(("$TINYTORCH_DATA", Path(environ["TINYTORCH_DATA"]).expanduser()))
    origin = "$TINYTORCH_CACHE" if environ.get("TINYTORCH_CACHE") else "user cache"
    folders.append((origin, cache_folder(environ)))
    return folders


def cache_folder(environ: Mapping[str, str] = os.environ) -> Path:
    """The user cache as tinytorch.train.datafiles.cache_dir finds it: ``$TINYTORCH_CACHE``,
    else ``$XDG_CACHE_HOME/tinytorch``, else ``~/.cache/tinytorch``."""
    if environ.get("TINYTORCH_CACHE"):
        return Path(environ["TINYTORCH_CACHE"]).expanduser()
    xdg = environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "tinytorch"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def find_data_file(relative: str, environ: Mapping[str, str] = os.environ) -> tuple[str, Path] | None:
    """The first (origin, path) in the lookup order where the file exists, or None."""
    for origin, folder in data_folders(environ):
        if (folder / relative).is_file():
            return origin, folder / relative
    return None


def _python_checks(probe: Mapping[str, object]) -> list[Check]:
    version = sys.version.split()[0]
    checks = []
    if sys.version_info >= MIN_PYTHON:
        checks.append(Check(OK, f"Python {version} ({sys.executable})"))
    else:
        checks.append(Check(FAIL, f"Python {version} is too old", "install Python 3.11 or newer"))
    if "probe_error" in probe:
        checks.append(Check(FAIL, f"could not start {sys.executable}: {probe['probe_error']}"))
        return checks
    if "numpy_error" in probe:
        checks.append(
            Check(FAIL, f"NumPy cannot be imported: {probe['numpy_error']}", "pip install 'numpy>=2.1'")
        )
        return checks
    numpy = str(probe["numpy"])
    if _version_tuple(numpy) >= MIN_NUMPY:
        checks.append(Check(OK, f"NumPy {numpy}"))
    else:
        checks.append(Check(FAIL, f"NumPy {numpy} is older than 2.1", "pip install -U 'numpy>=2.1'"))
    blas = probe.get("blas")
    blas_text = "unknown BLAS"
    if isinstance(blas, dict) and blas.get("name"):
        blas_text = f"BLAS {blas['name']} {blas.get('version') or ''}".rstrip()
    threads, cpus = probe.get("blas_threads"), probe.get("cpus_usable")
    env = probe.get("env") or {}
    env_text = (
        f"; set by {', '.join(f'{k}={v}' for k, v in env.items())}" if isinstance(env, dict) and env else ""
    )
    if isinstance(threads, int) and isinstance(cpus, int):
        what = f"{blas_text}: {threads} thread{'s' if threads != 1 else ''} on {cpus} usable CPUs{env_text}"
        if threads > cpus:
            checks.append(
                Check(WARN, what, f"OPENBLAS_NUM_THREADS={cpus}: more threads than CPUs slow NumPy down")
            )
        else:
            checks.append(Check(OK, what))
    else:
        checks.append(
            Check(
                WARN,
                f"{blas_text}: thread count unknown (not OpenBLAS){env_text}",
                "benchmarks record NumPy's threads only for OpenBLAS; set OMP_NUM_THREADS to pin them",
            )
        )
    return checks


def _package_checks(installed: Mapping[str, Installed | None]) -> list[Check]:
    checks = []
    for dist, package in installed.items():
        if package is None:
            if dist == "tt-core":
                checks.append(
                    Check(
                        FAIL,
                        "tt-core is not installed (every module needs it)",
                        "run `hatch run tinytorch doctor` at the repository root (the environment "
                        "with every package), or pip install -e packages/tt-core",
                    )
                )
            else:
                later = "later phases" if dist in PHASE_PACKAGES else "the course tools"
                checks.append(
                    Check(
                        WARN,
                        f"{dist} is not installed ({PACKAGES[dist]}: {later})",
                        "`hatch run tinytorch ...` uses the environment with every package; "
                        f"or pip install -e packages/{dist}",
                    )
                )
            continue
        where = package.source if package.source is not None else "?"
        version = package.version or "no metadata, found on sys.path"
        checks.append(Check(OK, f"{dist} {version} ({package.import_name} in {where})"))
    if importlib.util.find_spec("pytest") is None:
        checks.append(
            Check(
                FAIL,
                "pytest is not installed (tinytorch status/test grade with it)",
                "pip install 'pytest>=8.3'",
            )
        )
    else:
        checks.append(Check(OK, "pytest is installed (tinytorch status, test)"))
    return checks


def _data_checks(installed: Mapping[str, Installed | None], environ: Mapping[str, str]) -> list[Check]:
    checks = []
    folders = data_folders(environ)
    looked = ", then ".join(f"{origin} ({folder})" for origin, folder in folders)
    for origin, folder in folders:
        if origin.startswith("$") and not folder.is_dir():
            checks.append(
                Check(
                    FAIL, f"{origin} is {folder}, which is not a folder", f"unset {origin[1:]} or create it"
                )
            )
    for dataset, (package, files) in DATASETS.items():
        needed = installed.get(package) is not None
        for relative, expected in files.items():
            found = find_data_file(relative, environ)
            if found is None:
                status = WARN if needed else OK
                what = f"{dataset}: {relative} not found in {looked}"
                if not needed:
                    what += f" (not needed: {package} not installed)"
                fix = (
                    "it is downloaded and verified on first use; "
                    f"or set TINYTORCH_DATA to a folder holding {relative}"
                    if needed
                    else ""
                )
                checks.append(Check(status, what, fix))
                continue
            origin, path = found
            actual = sha256_file(path)
            if actual == expected:
                checks.append(Check(OK, f"{dataset}: {relative} in {origin} ({path}), sha256 verified"))
            else:
                checks.append(
                    Check(
                        FAIL,
                        f"{dataset}: {path} ({origin}) has sha256 {actual[:16]}..., "
                        f"expected {expected[:16]}...",
                        f"delete {path}: it is corrupt or another file (it will be fetched again)",
                    )
                )
    return checks


def _sandbox_check() -> Check:
    """The OS sandbox ``tinytorch grade`` would use here (instructors grading need one)."""
    from tinytorch.course.sandbox import probe

    reasons = []
    for kind in ("bwrap", "unshare"):
        why = probe(kind)
        if why is None:
            return Check(OK, f"grading sandbox: {kind} isolates test commands (tinytorch grade)")
        reasons.append(why)
    return Check(
        WARN,
        f"no grading sandbox: {'; '.join(reasons)} (only `tinytorch grade` needs one)",
        "install bubblewrap (apt install bubblewrap) or allow unprivileged user namespaces",
    )


def doctor(python: str = sys.executable, environ: Mapping[str, str] = os.environ) -> tuple[list[Check], int]:
    """Every check, and the exit code: 1 if any check FAILed, else 0."""
    checks = [
        *_python_checks(numpy_probe(python)),
        *_package_checks(installed_packages()),
        *_data_checks(installed_packages(), environ),
        _sandbox_check(),
    ]
    return checks, int(any(c.status == FAIL for c in checks))


def report(checks: list[Check], code: int) -> str:
    warnings = sum(c.status == WARN for c in checks)
    failures = sum(c.status == FAIL for c in checks)
    verdict = (
        f"{failures} required check{'s' if failures != 1 else ''} failed"
        if code
        else "everything required is in place"
    )
    return "\n".join(
        [*(c.line() for c in checks), "", f"{verdict} ({warnings} warning{'s' if warnings != 1 else ''})."]
    )
