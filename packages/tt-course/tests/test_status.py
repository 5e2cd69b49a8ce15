"""tinytorch status / test / milestones: module rows, milestone gating, and runs on a fixture package."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinytorch.course import status as status_module
from tinytorch.course import testing as testing_module
from tinytorch.course.catalog import MILESTONES, MODULE_PACKAGES, MODULES, PACKAGES
from tinytorch.course.cli import main
from tinytorch.course.status import milestone_rows, module_rows, not_done, run_milestone, status
from tinytorch.course.testing import Case, Installed, Outcomes, format_modules


def installed(*present: str) -> dict[str, Installed | None]:
    return {
        dist: Installed(dist, PACKAGES[dist], "0.1.0", None, None, None) if dist in present else None
        for dist in PACKAGES
    }


def outcomes(**per_module: tuple[int, int]) -> Outcomes:
    """outcomes(m01=(passed, failed), ...)"""
    tests = []
    for key, (passed, failed) in per_module.items():
        module = int(key[1:])
        tests += [Case(f"t{module}_{i}", module, "passed") for i in range(passed)]
        tests += [Case(f"t{module}_f{i}", module, "failed") for i in range(failed)]
    return Outcomes(1, tests)


def test_catalog_is_consistent() -> None:
    assert set(MODULE_PACKAGES) == set(MODULES)
    for milestone in MILESTONES.values():
        assert set(milestone.needs) <= set(MODULES)
        for step in milestone.steps:
            assert step.script.startswith("milestones/") and step.script.endswith(".py")
    assert format_modules([1, 2, 3, 5, 7, 8, 10]) == "01-03, 05, 07-08, 10"


def test_module_rows_with_some_packages_installed() -> None:
    rows = module_rows(outcomes(m01=(7, 0), m02=(80, 4), m05=(10, 0)), installed("tt-core"))
    by_number = {row[0]: row for row in rows}
    assert by_number["01"] == [
        "01",
        "setup",
        "tt-core",
        "7 passed",
        "done",
        "packages/tt-core/guides/01-setup.md",
    ]
    assert by_number["02"][3:5] == ["80 passed, 4 failed", "to do"]
    assert by_number["03"][3:5] == ["-", "not installed"]
    assert by_number["05"][2:5] == ["tt-core, tt-nn", "10 passed", "done (tt-nn part not installed)"]
    assert by_number["09"][4] == "not installed"
    assert len(rows) == 15


def test_module_rows_no_tests_and_missing_guides(tmp_path: Path) -> None:
    rows = module_rows(outcomes(), installed(*PACKAGES), root=tmp_path)
    assert rows[0][3:] == ["-", "no tests yet", "packages/tt-core/guides/01-setup.md (not written yet)"]


def test_milestone_rows_say_what_is_missing() -> None:
    done = {f"m{m:02d}": (3, 0) for m in MODULES}
    rows = {
        r[0]: r for r in milestone_rows(outcomes(**{**done, "m06": (2, 1)}), installed("tt-core", "tt-nn"))
    }
    assert rows["xor-inference"][2] == "01-04"
    assert rows["xor-inference"][3] == "ready: tinytorch milestones xor-inference"  # milestone 1: phase 1
    assert rows["xor-training"][2] == "01-08"
    assert rows["xor-training"][3] == "needs modules 06 done (tests fail); tt-train installed"
    rows = {r[0]: r for r in milestone_rows(outcomes(**{**done, "m02": (0, 1)}), installed("tt-core"))}
    assert rows["mnist"][3] == "needs modules 02 done (tests fail); tt-nn, tt-train, tt-vision installed"
    everything = milestone_rows(outcomes(**done), installed(*PACKAGES))
    assert [r[3] for r in everything] == [f"ready: tinytorch milestones {k}" for k in MILESTONES]
    assert not_done([1, 2], outcomes(**done), installed(*PACKAGES)) == {}


@pytest.fixture
def milestone_root(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "milestones").mkdir(parents=True)
    (root / "milestones/xor_inference.py").write_text("print('inference ran')\n")
    (root / "milestones/xor_training.py").write_text("import sys\nprint('training ran', sys.argv[1:])\n")
    return root


def test_milestone_needs_modules_message(milestone_root: Path, capfd: pytest.CaptureFixture[str]) -> None:
    partly = outcomes(**{**{f"m{m:02d}": (2, 0) for m in range(1, 9)}, "m05": (1, 1)})
    code = run_milestone("xor-inference", milestone_root, installed=installed(*PACKAGES), outcomes=partly)
    assert code == 0 and "inference ran" in capfd.readouterr().out  # milestone 1 needs 01-04 only
    code = run_milestone("xor-training", milestone_root, installed=installed(*PACKAGES), outcomes=partly)
    out = capfd.readouterr().out
    assert code == 1
    assert (
        "milestones/xor_training.py needs modules 01-08; not done yet: 05 autograd (1 of 2 tests fail)."
        in out
    )
    assert "Finish them first (`tinytorch test 05`, guide packages/tt-core/guides/05-autograd.md)" in out
    assert "training ran" not in out


def test_milestone_force_and_script_args(milestone_root: Path, capfd: pytest.CaptureFixture[str]) -> None:
    code = run_milestone(
        "xor-training",
        milestone_root,
        force=True,
        extra_args=["--plot", "x.png"],
        installed=installed(),
        outcomes=outcomes(),
    )
    out = capfd.readouterr().out
    assert code == 0
    assert "01 setup (tt-core not installed)" in out and "Running anyway (--force)." in out
    assert "training ran ['--plot', 'x.png']" in out


def test_missing_milestone_script(milestone_root: Path, capfd: pytest.CaptureFixture[str]) -> None:
    done = outcomes(**{f"m{m:02d}": (1, 0) for m in MODULES})
    assert run_milestone("gpt", milestone_root, installed=installed(*PACKAGES), outcomes=done) == 2
    assert "milestones/gpt_shakespeare.py does not exist" in capfd.readouterr().err


@pytest.fixture
def fixture_as_core(course_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fixture package stands in for tt-core (modules 01 and 02), on PYTHONPATH."""
    project = course_repo / "packages/tt-fixture"
    fake = Installed(
        "tt-core",
        "tinytorch.ttfixture",
        "0.0.1",
        project / "src/tinytorch/ttfixture",
        project,
        project / "tests",
    )
    monkeypatch.setattr(status_module, "installed_packages", lambda: {**installed(), "tt-core": fake})
    monkeypatch.setenv("PYTHONPATH", str(project / "src"))
    monkeypatch.chdir(course_repo)
    return course_repo


def test_tinytorch_test_runs_one_module(fixture_as_core: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["test", "02"]) == 0
    out = capfd.readouterr().out
    assert "test_two.py::test_square PASSED" in out and "test_one.py" not in out
    assert out.rstrip().endswith("Module 02 (tensor) is done: every test passes.")
    package = fixture_as_core / "packages/tt-fixture/src/tinytorch/ttfixture/__init__.py"
    package.write_text(package.read_text().replace("return x * x", "return x + x"))
    assert main(["test", "2"]) == 1
    out = capfd.readouterr().out
    assert "test_two.py::test_square FAILED" in out and "Module 02 (tensor) is not done yet" in out
    assert main(["test", "03"]) == 5
    assert "Module 03 has no tests here yet (tt-nn not installed)." in capfd.readouterr().out


def test_status_on_the_fixture_package(fixture_as_core: Path) -> None:
    text, code = status(fixture_as_core)
    assert code == 0
    lines = text.splitlines()
    assert (
        lines[0] == "Packages: tt-core 0.0.1, tt-nn not installed, tt-train not installed, "
        "tt-vision not installed, tt-text not installed"
    )
    row = next(line for line in lines if line.startswith("02 "))
    assert row.split()[:7] == [
        "02",
        "tensor",
        "tt-core",
        "2",
        "passed",
        "done",
        "packages/tt-core/guides/02-tensor.md",
    ]
    assert "needs tt-nn, tt-train installed" in text


@pytest.mark.parametrize("argv", [["test", "16"], ["test", "x"], ["milestones", "nope"]])
def test_cli_usage_errors(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2


def test_a_copy_whose_imported_code_is_elsewhere_stops_loudly(
    course_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """A release copy with the reference installed elsewhere must not report the reference's results."""
    elsewhere = tmp_path / "reference/packages/tt-core"
    fake = Installed("tt-core", "tinytorch.core", "0.1.0", elsewhere / "src/tinytorch/core", elsewhere, None)
    monkeypatch.setattr(status_module, "installed_packages", lambda: {**installed(), "tt-core": fake})
    (course_repo / "RELEASE.json").write_text('{"through": 4}\n')
    monkeypatch.chdir(course_repo)
    text, code = status(course_repo)
    assert code == 2
    first = text.splitlines()[0]
    assert first.startswith(f"tinytorch status: STOP. {course_repo} is a student copy (release through 04)")
    assert f"tt-core from {elsewhere / 'src/tinytorch/core'}" in text
    assert main(["test", "02"]) == 2
    assert "tinytorch test 02: STOP." in capfd.readouterr().err
    monkeypatch.setattr(testing_module, "installed_packages", status_module.installed_packages)
    assert main(["measure", "02"]) == 2
    assert "tinytorch measure 02: STOP." in capfd.readouterr().err
    assert run_milestone("xor-training", course_repo) == 2
    err = capfd.readouterr().err
    assert f"cd {course_repo} && hatch run tinytorch milestones xor-training" in err


def test_imports_from_outside_the_copy_during_the_run_stop_status(
    fixture_as_core: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pre-check passes, but the run itself imported a phase module from elsewhere."""
    ran = Outcomes(0, [Case("t", 2, "passed")], imported={"tinytorch.core.tensor": "/elsewhere/tensor.py"})
    monkeypatch.setattr(status_module, "run_tests", lambda *a, **k: ran)
    text, code = status(fixture_as_core)
    assert code == 2 and "tinytorch.core.tensor from /elsewhere/tensor.py" in text


def test_milestone_scripts_state_the_catalog_needs() -> None:
    """Each milestone script's NEEDS (its own clear stop, milestones/_gate.py) equals the catalog's."""
    root = next(p for p in Path(__file__).resolve().parents if (p / "hatch.toml").is_file())
    for milestone in MILESTONES.values():
        for step in milestone.steps:
            text = (root / step.script).read_text()
            assert f'NEEDS = "{format_modules(step.needs)}"' in text, step.script
            assert "_gate.run(NEEDS," in text, step.script
