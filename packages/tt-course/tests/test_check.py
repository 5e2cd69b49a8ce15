"""tinytorch check-releases on a fixture repository (real releases, real pytest subprocesses)."""

from __future__ import annotations

from pathlib import Path

from tinytorch.course.check import (
    CANNOT_FAIL_ALLOWED,
    allowlisted,
    check_releases,
    format_report,
    parse_modules,
    wrong_imports,
)
from tinytorch.course.cli import main
from tinytorch.course.testing import Case, Outcomes, run_tests

GIVEN = "packages/tt-fixture/tests/test_two.py::test_given_only"


def test_run_tests_reports_each_test_module_and_outcome(course_repo: Path) -> None:
    src = course_repo / "packages/tt-fixture/src"
    outcomes = run_tests([course_repo / "packages/tt-fixture/tests"], modules=[1, 2], pythonpath_first=[src])
    assert outcomes.exitstatus == 0
    assert sorted((t.nodeid.rsplit("::", 1)[1], t.module, t.outcome) for t in outcomes.tests) == [
        ("test_double", 1, "passed"),
        ("test_given_only", 2, "passed"),
        ("test_square", 2, "passed"),
    ]
    assert outcomes.counts(2) == (2, 0) and outcomes.done(2)
    assert not outcomes.done(3)  # no tests: not done


def test_run_tests_selects_by_marker(course_repo: Path) -> None:
    src = course_repo / "packages/tt-fixture/src"
    outcomes = run_tests([course_repo / "packages/tt-fixture/tests"], modules=[1], pythonpath_first=[src])
    assert [t.module for t in outcomes.tests] == [1]


def test_check_finds_the_test_that_cannot_fail(course_repo: Path) -> None:
    report = check_releases(course_repo, [1, 2, 3], allowed={})
    one, two, three = report.modules
    assert (one.tests, one.failed_stripped, one.earlier_tests) == (1, 1, 0)
    assert (two.tests, two.failed_stripped, two.earlier_tests) == (2, 1, 1)
    assert [t.nodeid for t in two.cannot_fail] == [GIVEN]
    assert (three.tests, three.earlier_tests) == (0, 3)
    assert report.reference_passed == 3 and report.reference_errors == []
    assert report.imports_checked == 1 and report.import_errors == []
    assert report.errors == [f"module 02: test cannot fail (it passed with module 02 stripped): {GIVEN}"]
    assert report.warnings == ["module 03: no tests yet"]
    text = format_report(report)
    assert "Course check FAILED" in text and GIVEN in text


def test_allowlisted_test_is_a_warning_and_strict_mode_requires_tests(course_repo: Path) -> None:
    report = check_releases(course_repo, [2, 3], allowed={GIVEN: "given() is given"}, require_tests=True)
    assert report.modules[0].allowed[0].nodeid == GIVEN
    assert report.errors == ["module 03: no tests"]
    assert report.warnings == [f"module 02: allowlisted, passes stripped (given() is given): {GIVEN}"]


def test_earlier_test_that_needs_a_later_module_is_an_error(course_repo: Path) -> None:
    test_one = course_repo / "packages/tt-fixture/tests/test_one.py"
    test_one.write_text(
        test_one.read_text().replace("import double", "import double, square")
        + "\n\ndef test_uses_square():\n    assert square(2) == 4\n"
    )
    report = check_releases(course_repo, [2], allowed={GIVEN: "given"})
    errors = report.errors
    assert len(errors) == 1
    assert errors[0].startswith(
        "module 02: in the release through 01, an earlier module's test failed: "
        "packages/tt-fixture/tests/test_one.py::test_uses_square -- NotImplementedError: Module 02"
    )


def test_reference_failure_and_missing_marker_are_errors(course_repo: Path) -> None:
    tests = course_repo / "packages/tt-fixture/tests"
    (tests / "test_unmarked.py").write_text("def test_no_marker():\n    assert 1 + 1 == 2\n")
    (tests / "test_one.py").write_text((tests / "test_one.py").read_text().replace("== 6", "== 7"))
    report = check_releases(course_repo, [1], allowed={})
    unmarked = "packages/tt-fixture/tests/test_unmarked.py::test_no_marker"
    assert f"reference: test has no single moduleNN marker: {unmarked}" in report.errors
    assert any(
        e.startswith("reference: test failed: packages/tt-fixture/tests/test_one.py::test_double")
        for e in report.errors
    )


def test_release_zero_must_import(course_repo: Path) -> None:
    package = course_repo / "packages/tt-fixture/src/tinytorch/ttfixture"
    (package / "broken.py").write_text("from tinytorch.ttfixture import square\nSQUARE_OF_TWO = square(2)\n")
    report = check_releases(course_repo, [1], allowed={})
    assert report.import_errors == [
        "release 00 does not import: tinytorch.ttfixture.broken: NotImplementedError: "
        "Module 02 (tensor): write this in packages/tt-core/guides/02-tensor.md"
    ]


def test_wrong_imports_flags_code_from_outside_the_copy(course_repo: Path, tmp_path: Path) -> None:
    outcomes = Outcomes(
        0,
        [],
        imported={
            "tinytorch.ttfixture": str(tmp_path / "elsewhere/tinytorch/ttfixture/__init__.py"),
            "tinytorch.other": "/somewhere/tinytorch/other/__init__.py",  # not in the copy: not checked
        },
    )
    assert wrong_imports(outcomes, course_repo) == [
        f"tinytorch.ttfixture from {tmp_path / 'elsewhere/tinytorch/ttfixture/__init__.py'}"
    ]


def test_check_cli_exit_codes(course_repo: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["check-releases", "--root", str(course_repo), "--modules", "1"]) == 0
    assert "Course check passed" in capsys.readouterr().out
    assert main(["check-releases", "--root", str(course_repo), "--modules", "1-2"]) == 1
    assert main(["check-releases", "--root", str(course_repo), "--modules", "0-2"]) == 2
    assert "bad module range" in capsys.readouterr().err


def test_parse_modules() -> None:
    assert parse_modules("1-15") == list(range(1, 16))
    assert parse_modules("1-4, 9,3") == [1, 2, 3, 4, 9]


def test_allowlist_matches_every_parametrization() -> None:
    base = "packages/tt-core/tests/test_tensor.py::test_bad_input_is_a_clear_error_naming_the_op"
    assert base in CANNOT_FAIL_ALLOWED
    assert allowlisted(base + "[<lambda>-ValueError-x]", CANNOT_FAIL_ALLOWED) == CANNOT_FAIL_ALLOWED[base]
    assert allowlisted("packages/tt-core/tests/test_tensor.py::test_other", CANNOT_FAIL_ALLOWED) is None


def test_a_file_entry_covers_every_test_in_the_file() -> None:
    allowed = {"packages/tt-x/tests/test_given.py": "given library code"}
    assert allowlisted("packages/tt-x/tests/test_given.py::test_a[1-2]", allowed) == "given library code"
    assert allowlisted("packages/tt-x/tests/test_given.py::test_b", allowed) == "given library code"
    assert allowlisted("packages/tt-x/tests/test_other.py::test_a", allowed) is None


def test_case_ok() -> None:
    assert Case("a", 1, "passed").ok and Case("a", 1, "xfailed").ok
    assert not Case("a", 1, "skipped").ok and not Case("a", 1, "error").ok


def test_warn_only_makes_cannot_fail_a_warning(course_repo: Path) -> None:
    report = check_releases(course_repo, [2], allowed={}, warn_only=[2])
    assert report.errors == []
    assert report.warnings == [
        f"module 02: test cannot fail (it passed with module 02 stripped): {GIVEN} "
        "(a warning while module 02 is being written)"
    ]
