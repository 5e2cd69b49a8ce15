"""The folder one grading run happens in, built from the student's sources and the grader's suite.

::

    TMP/site/tinytorch/<name>/   the student's phase packages (only these are taken from the copy)
    TMP/suite/                   the grader's pytest.ini, conftest.py and packages/<dist>/tests
    TMP/grader/                  the outcome plugin and the start-up script, copied from this install
    TMP/work/                    the only folder the tests may write to: HOME, TMPDIR, pytest's basetemp

The tests run as ``python -I -S -B TMP/grader/start.py ...``: isolated mode (no PYTHONPATH, no
user site, no current folder on the path), no ``site`` module (so no ``sitecustomize``,
``usercustomize`` or ``.pth`` file runs, and no editable install of the reference is visible),
no bytecode written. The start-up script puts the site folder, the grader folder and the
environment's site-packages (for NumPy and pytest) on ``sys.path`` and pins the ``tinytorch``
namespace to the student's folder, so a package the copy lacks fails to import instead of
being found elsewhere.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tinytorch.course.doctor import cache_folder

__all__ = [
    "MAX_FILE_BYTES",
    "Workspace",
    "build_workspace",
    "copy_differences",
    "course_project",
    "graded_packages",
    "site_packages",
]

MAX_FILE_BYTES = 20 * 1024 * 1024  # a larger file in a student's package is not copied
PLUGIN = "_tinytorch_outcomes"  # the plugin's module name inside the grading process
_PLUGIN_SOURCE = Path(__file__).with_name("pytest_outcomes.py")  # copied, never imported here (pytest)
_SKIP_NAMES = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}

_START = '''\
"""Started by the TinyTorch grader: python -I -S -B start.py SITE SITE_PACKAGES_JSON -- PYTEST_ARGS."""
import json
import os
import sys

site, packages = sys.argv[1], json.loads(sys.argv[2])
sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), site]
sys.path += [p for p in packages if p not in sys.path]
import tinytorch  # the student's namespace package, pinned to their copy

tinytorch.__path__ = [os.path.join(site, "tinytorch")]
import pytest

raise SystemExit(pytest.main(sys.argv[4:]))
'''


def course_project() -> Path | None:
    """The folder of this tt-course's ``pyproject.toml`` (the grader's own sources), if installed
    from its sources (editable), else None."""
    project = Path(__file__).resolve().parents[3]
    return project if (project / "pyproject.toml").is_file() and (project / "src").is_dir() else None


def graded_packages(root: Path) -> dict[str, str]:
    """dist -> ``tinytorch`` sub-package for every package under ``root/packages`` that has
    tests and sources, tt-course (the tooling) excepted: e.g. ``{"tt-core": "core", ...}``."""
    found = {}
    for project in sorted(p for p in (root / "packages").iterdir() if p.is_dir()):
        if project.name == "tt-course" or not (project / "tests").is_dir():
            continue
        names = sorted(p.name for p in (project / "src" / "tinytorch").glob("*") if p.is_dir())
        names = [n for n in names if n not in _SKIP_NAMES]
        if len(names) == 1:
            found[project.name] = names[0]
    return found


def site_packages(python: str) -> list[str]:
    """The site-packages folders of ``python``'s environment (NumPy, pytest): the grading
    process runs without the ``site`` module, so they are added to its path by hand."""
    proc = subprocess.run(
        [python, "-c", "import json, site; print(json.dumps(site.getsitepackages()))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return [str(p) for p in json.loads(proc.stdout)]


def _copy_tree(source: Path, target: Path, shown: str, notes: list[str]) -> None:
    """Copy regular files only: symlinks, bytecode, caches and huge files are left out (noted)."""
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if any(part in _SKIP_NAMES for part in relative.parts) or path.suffix in (".pyc", ".pyo"):
            continue
        label = f"{shown}/{relative.as_posix()}"
        if path.is_symlink():
            notes.append(f"{label}: a symbolic link, not copied (only regular files are graded)")
        elif path.is_dir():
            (target / relative).mkdir(parents=True, exist_ok=True)
        elif path.is_file():
            if path.stat().st_size > MAX_FILE_BYTES:
                notes.append(f"{label}: larger than {MAX_FILE_BYTES >> 20} MiB, not copied")
                continue
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / relative)


def copy_sources(copy: Path, packages: Mapping[str, str], site: Path) -> tuple[list[str], list[str]]:
    """Copy the student's ``packages/<dist>/src/tinytorch/<name>/`` into ``site/tinytorch``.

    Returns (ignored, missing): what the copy's source folders hold besides those packages
    (``sitecustomize.py``, ``.pth`` files, another ``tinytorch`` sub-package, ...), and the
    graded packages the copy lacks."""
    (site / "tinytorch").mkdir(parents=True)
    ignored: list[str] = []
    missing = []
    for dist, name in packages.items():
        package = copy / "packages" / dist / "src" / "tinytorch" / name
        if package.is_symlink() or not package.is_dir():
            missing.append(dist)
            continue
        (site / "tinytorch" / name).mkdir()
        _copy_tree(package, site / "tinytorch" / name, f"packages/{dist}/src/tinytorch/{name}", ignored)
    for src in sorted(copy.glob("packages/*/src")):
        dist = src.parent.name
        if dist == "tt-course":  # the tooling: compared with the grader's by copy_differences
            continue
        for entry in sorted(src.iterdir()):
            if entry.name == "tinytorch" and entry.is_dir() and not entry.is_symlink():
                ignored += [
                    f"packages/{dist}/src/tinytorch/{inner.name}"
                    for inner in sorted(entry.iterdir())
                    if inner.name != packages.get(dist) and inner.name not in _SKIP_NAMES
                ]
            elif entry.name not in _SKIP_NAMES and not entry.name.endswith(".egg-info"):
                ignored.append(f"packages/{dist}/src/{entry.name}")
    return ignored, missing


def _suite_parts(root: Path, packages: Mapping[str, str]) -> list[tuple[Path, Path]]:
    """(source, path inside the suite) of everything the grading suite is made of."""
    parts = [(root / name, Path(name)) for name in ("pytest.ini", "conftest.py") if (root / name).is_file()]
    parts += [
        (root / "packages" / dist / "tests", Path("packages") / dist / "tests")
        for dist in packages
        if (root / "packages" / dist / "tests").is_dir()
    ]
    return parts


def copy_suite(root: Path, packages: Mapping[str, str], suite: Path) -> None:
    """The grader's tests (oracle tests left out: they need PyTorch) into ``suite``."""
    for source, inside in _suite_parts(root, packages):
        if source.is_file():
            (suite / inside).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, suite / inside)
        else:
            shutil.copytree(
                source,
                suite / inside,
                ignore=shutil.ignore_patterns("oracle", "__pycache__", "*.pyc"),
                symlinks=False,
            )


def _difference(ours: Path, theirs: Path, label: str) -> list[str]:
    """``[label (why)]`` when the copy's file ``theirs`` is not the grader's ``ours``, else []."""
    if not ours.is_file():
        return [f"{label} (not in the grader's)"]
    return [] if filecmp.cmp(ours, theirs, shallow=False) else [f"{label} (differs from the grader's)"]


def _differences(mine: Path, theirs: Path, shown: str, skip: frozenset[str] = frozenset()) -> list[str]:
    """Files under ``theirs`` (the copy) that differ from or are absent in ``mine`` (the grader's);
    folders named in ``skip`` are not compared."""
    skipped = _SKIP_NAMES | skip
    found = []
    for path in sorted(theirs.rglob("*")):
        relative = path.relative_to(theirs)
        if any(part in skipped for part in relative.parts) or path.suffix == ".pyc" or path.is_dir():
            continue
        found += _difference(mine / relative, path, f"{shown}/{relative.as_posix()}")
    return found


def copy_differences(
    copy: Path, suite_root: Path, packages: Mapping[str, str], course: Path | None
) -> list[str]:
    """The copy's own tests, conftest.py, pytest.ini and tt-course where they differ from the
    grader's: all ignored (the grader uses its own), listed so the report can say so."""
    found = []
    for name in ("pytest.ini", "conftest.py"):
        if (copy / name).is_file():
            found += _difference(suite_root / name, copy / name, name)
    for dist in packages:  # oracle tests are not part of the grading suite
        tests = Path("packages") / dist / "tests"
        if (copy / tests).is_dir():
            found += _differences(suite_root / tests, copy / tests, tests.as_posix(), frozenset({"oracle"}))
    for dist in sorted(p.parent.name for p in copy.glob("packages/*/tests")):
        if dist not in packages and dist != "tt-course":
            found.append(f"packages/{dist}/tests (a package the grader does not grade)")
    theirs_course = copy / "packages" / "tt-course" / "src"
    if course is not None and theirs_course.is_dir():
        found += _differences(course / "src", theirs_course, "packages/tt-course/src")
    return found


@dataclass
class Workspace:
    """One grading run's folders (see the module docstring)."""

    root: Path
    ignored: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def suite(self) -> Path:
        return self.root / "suite"

    @property
    def grader(self) -> Path:
        return self.root / "grader"

    @property
    def work(self) -> Path:
        return self.root / "work"

    def command(self, python: str, packages: Sequence[str], pytest_args: Sequence[str]) -> list[str]:
        """The grading process: ``python -I -S -B start.py`` with the pytest arguments."""
        start = self.grader / "start.py"
        args = [*pytest_args, "-p", PLUGIN, "-p", "no:cacheprovider", f"--basetemp={self.work / 'pytest'}"]
        return [python, "-I", "-S", "-B", str(start), str(self.site), json.dumps(list(packages)), "--", *args]

    def env(self, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
        """A scrubbed environment: the data folders and thread settings of the grader's, HOME and
        TMPDIR in the work folder, and nothing else (no tokens, no PYTHON* variables)."""
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.work / "home"),
            "TMPDIR": str(self.work / "tmp"),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
            "MPLBACKEND": "Agg",
            "TINYTORCH_CACHE": str(cache_folder(environ).resolve()),
        }
        kept = ("TINYTORCH_DATA", "CI", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
        env.update({k: environ[k] for k in kept if environ.get(k)})
        if env.get("TINYTORCH_DATA"):
            env["TINYTORCH_DATA"] = str(Path(env["TINYTORCH_DATA"]).expanduser().resolve())
        return env


def build_workspace(root: Path, copy: Path, suite_root: Path, packages: Mapping[str, str]) -> Workspace:
    """Fill the empty folder ``root`` for grading the copy at ``copy`` with the suite at ``suite_root``."""
    ws = Workspace(root)
    ws.ignored, ws.missing = copy_sources(copy, packages, ws.site)
    copy_suite(suite_root, packages, ws.suite)
    ws.grader.mkdir()
    shutil.copyfile(_PLUGIN_SOURCE, ws.grader / f"{PLUGIN}.py")
    (ws.grader / "start.py").write_text(_START, encoding="utf-8")
    for folder in (ws.work / "home", ws.work / "tmp"):
        folder.mkdir(parents=True)
    return ws
