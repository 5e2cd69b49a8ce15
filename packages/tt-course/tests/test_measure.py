"""tinytorch measure NN: one module's contract tests, their measure lines and the verdict."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tinytorch.course import measure as measure_module
from tinytorch.course.catalog import PACKAGES
from tinytorch.course.measure import contract_args, run_measure, summary_line
from tinytorch.course.testing import Installed

CONTRACT_INI = "    contract: a module's memory/speed contract\n"

CONTRACTS = """\
import pytest

from tinytorch.ttfixture import square


@pytest.mark.module02
@pytest.mark.contract
def test_square_contract(record_property):
    value = square(3)
    print(f"\\nmeasure: square(3) = {value} (contract: 9)")
    record_property("measure", value)
    assert value == 9


@pytest.mark.module02
def test_not_a_contract():
    assert square(2) == 4
"""


@pytest.fixture
def fixture_with_contracts(course_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The conftest's fixture package stands in for tt-core and has one contract test of module 02."""
    ini = course_repo / "pytest.ini"
    ini.write_text(ini.read_text() + CONTRACT_INI)
    project = course_repo / "packages/tt-fixture"
    (project / "tests/test_contracts.py").write_text(CONTRACTS)
    fake = Installed(
        "tt-core",
        "tinytorch.ttfixture",
        "0.0.1",
        project / "src/tinytorch/ttfixture",
        project,
        project / "tests",
    )
    absent: dict[str, Installed | None] = dict.fromkeys(PACKAGES)
    monkeypatch.setattr(measure_module, "installed_packages", lambda: {**absent, "tt-core": fake})
    monkeypatch.setenv("PYTHONPATH", str(project / "src"))
    monkeypatch.chdir(course_repo)
    return course_repo


def test_summary_line() -> None:
    assert summary_line(7, 0, []) == "Module 07 contracts hold."
    output = [
        "=========================== short test summary info ============================",
        "FAILED packages/tt-train/tests/test_contracts.py::test_sgd_state - AssertionError: state",
        "ERROR packages/tt-train/tests/test_contracts.py::test_adam[x] - RuntimeError",
    ]
    assert (
        summary_line(7, 1, output) == "Module 07: a contract fails: test_sgd_state, test_adam[x] (see above)"
    )
    assert summary_line(9, 5, []) == (
        "Module 09: a contract fails: no contract test ran (is the module's package installed?)"
    )
    assert (
        summary_line(9, 4, []) == "Module 09: a contract fails: pytest could not run the tests (exit code 4)"
    )


def test_contract_args_select_the_module_and_its_contracts() -> None:
    args = contract_args(3, [Path("a/tests"), Path("b/tests")], python="py")
    assert args[:5] == ["py", "-m", "pytest", "a/tests", "b/tests"]
    assert args[args.index("-m", 3) + 1] == "module03 and contract"
    assert {"-s", "-q", "--no-header", "no:cacheprovider"} <= set(args)


def test_measure_on_a_fixture_package(
    fixture_with_contracts: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    assert run_measure(2) == 0
    lines = capfd.readouterr().out.splitlines()
    assert lines[0] == "Module 02 (tensor): its memory and speed contracts, measured on the installed code"
    assert lines[1] == (
        "Guide: packages/tt-core/guides/02-tensor.md, section 3 (Memory and performance analysis)"
    )
    assert "Not installed: tt-core" not in lines
    assert "measure: square(3) = 9 (contract: 9)" in lines
    assert any(line.startswith("1 passed, 4 deselected") for line in lines)  # not test_not_a_contract
    assert lines[-1] == "Module 02 contracts hold."

    package = fixture_with_contracts / "packages/tt-fixture/src/tinytorch/ttfixture/__init__.py"
    package.write_text(package.read_text().replace("return x * x", "return x + x"))
    assert run_measure(2) == 1
    lines = capfd.readouterr().out.splitlines()
    assert "measure: square(3) = 6 (contract: 9)" in lines
    assert lines[-1] == "Module 02: a contract fails: test_square_contract (see above)"

    assert run_measure(1) == 5  # the fixture has no contract test of module 01
    assert capfd.readouterr().out.splitlines()[-1] == (
        "Module 01: a contract fails: no contract test ran (is the module's package installed?)"
    )


# Marked module01: it runs module 01's real code, so a student copy whose CI leaves module 01
# out (`-m "not (module01 or ...)"`) leaves this test out too.
@pytest.mark.module01
@pytest.mark.skipif(importlib.util.find_spec("tinytorch.core") is None, reason="tt-core is not installed")
def test_measure_module_01_of_the_installed_tt_core(capfd: pytest.CaptureFixture[str]) -> None:
    """The real contracts of module 01 (the fastest): two measure lines, and they hold."""
    assert run_measure(1) == 0
    lines = capfd.readouterr().out.splitlines()
    assert lines[0] == "Module 01 (setup): its memory and speed contracts, measured on the installed code"
    assert lines[1].startswith("Guide: ") and lines[1].endswith(
        "01-setup.md, section 3 (Memory and performance analysis)"
    )
    measures = [line for line in lines if line.startswith("measure: ")]
    assert len(measures) == 2, lines
    assert any(
        "Python loop time / vectorised add time" in line and "x (contract: >= 100x" in line
        for line in measures
    )
    assert lines[-1] == "Module 01 contracts hold."
