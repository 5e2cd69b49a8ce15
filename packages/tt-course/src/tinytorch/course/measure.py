"""``tinytorch measure NN``: one module's contract tests, and the numbers they measure.

Every module guide's section 3 (Memory and performance analysis) teaches a contract: bytes a
graph keeps, an optimizer's state, a speed-up. The ``contract`` tests (``tests/test_contracts.py``
in each phase package, marked ``moduleNN`` and ``contract``) measure it on the installed code --
the student's -- and print one ``measure: <what> = <value> (contract: <rule>)`` line each.
:func:`run_measure` runs them in a pytest subprocess (like ``tinytorch test NN``, it never
imports a phase package), streams pytest's output, and ends with one line:
``Module NN contracts hold.`` or ``Module NN: a contract fails: <tests>``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from tinytorch.course.catalog import MODULE_PACKAGES, MODULES
from tinytorch.course.status import relative_path, suite_folders
from tinytorch.course.testing import ORACLE_GLOB, Installed, installed_packages, pytest_root

__all__ = ["contract_args", "guides", "run_measure", "summary_line"]

#: A failed or erroring test in pytest's short summary (``-ra``): ``FAILED path::test - message``.
_SUMMARY = re.compile(r"^(FAILED|ERROR) (\S+)")


def guides(module: int, installed: Mapping[str, Installed | None]) -> list[str]:
    """The module's guides: ``guides/NN-*.md`` of each of its installed packages (module 10 has
    two), else the catalog's guide."""
    found = []
    for dist in MODULE_PACKAGES[module]:
        package = installed.get(dist)
        if package is not None and package.project is not None:
            found += [
                relative_path(p) for p in sorted((package.project / "guides").glob(f"{module:02d}-*.md"))
            ]
    return found or [MODULES[module][1]]


def contract_args(module: int, paths: Sequence[Path], python: str = sys.executable) -> list[str]:
    """The pytest command that runs module ``module``'s contract tests over ``paths``."""
    return [
        python,
        "-m",
        "pytest",
        *map(str, paths),
        "-m",
        f"module{module:02d} and contract",
        "-p",
        "no:cacheprovider",
        "-q",
        "-s",
        "--no-header",
        "-ra",  # the short summary names the failed tests (pytest.ini says so too, when it is found)
        f"--ignore-glob={ORACLE_GLOB}",  # oracle tests need torch; none of them is a contract
    ]


def summary_line(module: int, code: int, output: Sequence[str]) -> str:
    """The last line of ``tinytorch measure``: whether the module's contracts hold, from pytest's
    exit code and output."""
    if code == 0:
        return f"Module {module:02d} contracts hold."
    failed = [m.group(2) for line in output if (m := _SUMMARY.match(line))]
    if failed:
        why = ", ".join(nodeid.rsplit("::", 1)[-1] for nodeid in failed) + " (see above)"
    elif code == 5:
        why = "no contract test ran (is the module's package installed?)"
    else:
        why = f"pytest could not run the tests (exit code {code})"
    return f"Module {module:02d}: a contract fails: {why}"


def run_measure(module: int, extra_args: Sequence[str] = (), python: str = sys.executable) -> int:
    """Run module ``module``'s contract tests with their measured numbers on the terminal.

    Prints a header (the module, its guides, the packages searched), pytest's own output (one
    ``measure: ...`` line per contract test) and a last line saying whether every contract
    holds. ``extra_args`` go to pytest. Returns pytest's exit code (5: no contract test here).
    """
    name, _ = MODULES[module]
    installed = installed_packages()
    paths = suite_folders(installed)
    missing = [dist for dist in MODULE_PACKAGES[module] if installed.get(dist) is None]
    print(f"Module {module:02d} ({name}): its memory and speed contracts, measured on the installed code")
    print(f"Guide: {', '.join(guides(module, installed))}, section 3 (Memory and performance analysis)")
    if missing:
        print(f"Not installed: {', '.join(missing)}")
    if not paths:
        print("No TinyTorch package with tests is installed.")
        print(summary_line(module, 5, []))
        return 5
    print(
        f"pytest -m 'module{module:02d} and contract' over {' '.join(map(relative_path, paths))}", flush=True
    )
    process = subprocess.Popen(
        [*contract_args(module, paths, python), *extra_args],
        cwd=pytest_root(paths),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    assert process.stdout is not None
    output = []
    for line in process.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        output.append(line.rstrip("\n"))
    code = process.wait()
    print(summary_line(module, code, output))
    return code
