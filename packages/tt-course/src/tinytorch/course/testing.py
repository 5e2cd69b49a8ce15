"""Find the installed TinyTorch packages and run their tests in a pytest subprocess.

tt-course never imports a phase package: it locates them with ``importlib.metadata`` and
``importlib.util.find_spec`` and runs their tests with ``python -m pytest`` and the
:mod:`tinytorch.course.pytest_outcomes` plugin, which reports every test's module marker
and outcome as JSON. :func:`run_tests` returns those as :class:`Outcomes`.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tinytorch.course.catalog import PACKAGES
from tinytorch.course.watch import Case, Outcomes, RunError, watch_pytest

__all__ = [
    "Case",
    "Installed",
    "Outcomes",
    "RunError",
    "format_modules",
    "installed_packages",
    "marker_expression",
    "pytest_root",
    "run_tests",
]

#: Where tt-course itself lives: appended to PYTHONPATH so the outcome plugin is always importable.
_COURSE_SRC = Path(__file__).resolve().parents[2]
ORACLE_GLOB = "*/tests/oracle/*"


@dataclass(frozen=True)
class Installed:
    """One TinyTorch distribution as this interpreter sees it."""

    dist: str
    import_name: str
    version: str | None  # None: importable (e.g. from PYTHONPATH) but without metadata
    source: Path | None  # the import package's folder, e.g. .../src/tinytorch/core
    project: Path | None  # the folder holding its pyproject.toml (packages/tt-core), if found
    tests: Path | None  # project/tests, if it exists


def installed_packages(packages: Mapping[str, str] = PACKAGES) -> dict[str, Installed | None]:
    """dist name -> :class:`Installed`, or None when the package cannot be imported here."""
    found: dict[str, Installed | None] = {}
    for dist, import_name in packages.items():
        try:
            spec = importlib.util.find_spec(import_name)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            found[dist] = None
            continue
        try:
            version: str | None = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            version = None
        locations = list(spec.submodule_search_locations or [])
        source = Path(locations[0]) if locations else (Path(spec.origin).parent if spec.origin else None)
        project = None
        if source is not None:
            # src/tinytorch/<name> -> the project folder three levels up holds pyproject.toml.
            candidate = source.parents[2] if len(source.parents) > 2 else None
            if candidate is not None and (candidate / "pyproject.toml").is_file():
                project = candidate
        tests = project / "tests" if project is not None and (project / "tests").is_dir() else None
        found[dist] = Installed(dist, import_name, version, source, project, tests)
    return found


def marker_expression(modules: Iterable[int]) -> str:
    """``-m`` expression selecting the tests of these modules, e.g. ``module01 or module02``."""
    return " or ".join(f"module{m:02d}" for m in sorted(set(modules)))


def format_modules(modules: Iterable[int]) -> str:
    """(1, 2, 3, 5, 7, 8) -> ``01-03, 05, 07-08``."""
    numbers = sorted(set(modules))
    parts: list[str] = []
    i = 0
    while i < len(numbers):
        j = i
        while j + 1 < len(numbers) and numbers[j + 1] == numbers[j] + 1:
            j += 1
        parts.append(f"{numbers[i]:02d}" if i == j else f"{numbers[i]:02d}-{numbers[j]:02d}")
        i = j + 1
    return ", ".join(parts)


def pytest_root(paths: Sequence[Path]) -> Path:
    """The folder pytest should run in: the nearest one above the first path holding pytest.ini."""
    first = paths[0].resolve()
    for folder in (first, *first.parents):
        if (folder / "pytest.ini").is_file() or (folder / "hatch.toml").is_file():
            return folder
    return first if first.is_dir() else first.parent


def run_tests(
    paths: Sequence[Path],
    *,
    modules: Iterable[int] | None = None,
    oracle: bool = False,
    python: str = sys.executable,
    cwd: Path | None = None,
    pythonpath_first: Sequence[Path] = (),
    extra_args: Sequence[str] = (),
    autoload_plugins: bool = False,
    test_timeout: float | None = 600,
    run_timeout: float | None = 1800,
    max_restarts: int = 20,
) -> Outcomes:
    """Run ``python -m pytest`` on ``paths`` and return every test's outcome.

    ``modules`` selects tests by marker (None: all tests). Oracle tests (``tests/oracle``) are
    left out unless ``oracle``. ``pythonpath_first`` goes before any existing PYTHONPATH (a
    release copy's ``packages/*/src``). Third-party pytest plugins (pytest-benchmark, memray,
    hypothesis's) are not loaded unless ``autoload_plugins``: the package tests use none of
    their fixtures, and loading them costs ~2.5 s per run. A test that runs longer than
    ``test_timeout`` seconds, or kills the process, fails alone (at most ``max_restarts`` times);
    past ``run_timeout`` the results so far come back (:mod:`tinytorch.course.watch`).
    Raises :class:`RunError` if pytest produced no report.
    """
    if not paths:
        return Outcomes(exitstatus=5, tests=[])
    cwd = cwd if cwd is not None else pytest_root(paths)
    env = dict(os.environ)
    old = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join([*map(str, pythonpath_first), *old, str(_COURSE_SRC)])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if not autoload_plugins:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    args = [python, "-m", "pytest", *map(str, paths), "-p", "tinytorch.course.pytest_outcomes"]
    args += ["-p", "no:cacheprovider", "-q", "--tb=short"]
    if modules is not None:
        args += ["-m", marker_expression(modules) or "not_a_marker_selects_nothing"]
    if not oracle:
        args += [f"--ignore-glob={ORACLE_GLOB}"]
    args += list(extra_args)
    with tempfile.TemporaryDirectory(prefix="tinytorch-outcomes-") as tmp:
        return watch_pytest(
            args,
            env=env,
            cwd=cwd,
            folder=Path(tmp),
            test_timeout=test_timeout,
            run_timeout=run_timeout,
            max_restarts=max_restarts,
        )
