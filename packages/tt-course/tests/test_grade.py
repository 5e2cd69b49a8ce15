"""tinytorch grade: each attack a student's copy can make on its grade, and the grade that survives it.

Every test grades real release copies of the fixture repository (tests/conftest.py) in real
pytest subprocesses, the way an instructor runs ``tinytorch grade``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tinytorch.course.catalog import MODULE_PACKAGES
from tinytorch.course.cli import main
from tinytorch.course.grade import (
    GradeError,
    StudentGrade,
    check_output_path,
    exit_code,
    grade,
    to_csv,
    to_json,
)
from tinytorch.course.release import read_stamp, release

INIT = "packages/tt-fixture/src/tinytorch/ttfixture/__init__.py"
SQUARE = "packages/tt-fixture/tests/test_two.py::test_square"
GIVEN = "packages/tt-fixture/tests/test_two.py::test_given_only"
DOUBLE = "packages/tt-fixture/tests/test_one.py::test_double"


def copy_through(repo: Path, out: Path, through: int = 1) -> Path:
    """A student's copy: a release of the fixture repository through module ``through``."""
    release(repo, out, through)
    return out


def solve_square(copy: Path) -> None:
    init = copy / INIT
    init.write_text(re.sub(r"raise NotImplementedError\(.Module 02.*", "return x * x", init.read_text()))


def add_to_package(copy: Path, code: str) -> None:
    init = copy / INIT
    init.write_text(init.read_text() + "\n" + code)


def one(repo: Path, copy: Path, **kwargs: object) -> StudentGrade:
    _suite, results, _warnings = grade(repo, [copy], [1, 2], **kwargs)  # type: ignore[arg-type]
    return results[0]


def outcome(result: StudentGrade, nodeid: str) -> str:
    return next(t.outcome for t in result.tests if t.nodeid == nodeid)


def test_an_honest_copy_is_graded_on_the_reference_tests(course_repo: Path, tmp_path: Path) -> None:
    copy = copy_through(course_repo, tmp_path / "alice")
    result = one(course_repo, copy)
    assert result.verdict == "graded"
    assert (result.counts(1), result.counts(2)) == ((1, 1), (1, 2))
    assert outcome(result, SQUARE) == "failed" and outcome(result, GIVEN) == "passed"
    assert result.done_modules() == [1]
    solve_square(copy)
    assert one(course_repo, copy).done_modules() == [1, 2]


def test_a_copy_that_patches_pytests_runner_is_reported_tampered(
    course_repo: Path, tmp_path: Path, patch_runner: str
) -> None:
    copy = copy_through(course_repo, tmp_path / "mallory")
    add_to_package(copy, patch_runner)
    for sandbox in ("auto", "none"):  # in-process lies show with or without an OS sandbox
        result = one(course_repo, copy, sandbox=sandbox)
        assert result.verdict == "tampered", result.notes
        assert any("canary test" in p and "must fail was reported passed" in p for p in result.problems)
        assert result.done_modules() == [] and exit_code([result]) == 3


def test_the_copys_own_plugin_tests_and_conftest_are_ignored_and_named(
    course_repo: Path, tmp_path: Path
) -> None:
    """The copy ships a lying tt-course plugin, a cannot-fail test and a conftest that passes everything."""
    copy = copy_through(course_repo, tmp_path / "mallory")
    plugin = copy / "packages/tt-course/src/tinytorch/course/pytest_outcomes.py"
    plugin.parent.mkdir(parents=True)
    plugin.write_text("raise SystemExit('this plugin must never be loaded')\n")
    (copy / "packages/tt-fixture/tests/test_two.py").write_text("def test_square():\n    pass\n")
    (copy / "conftest.py").write_text(
        "import pytest\n\n@pytest.hookimpl(tryfirst=True)\ndef pytest_runtest_call(item):\n    return True\n"
    )
    (copy / "packages/tt-fixture/src/tinytorch/course").mkdir()
    (copy / "packages/tt-fixture/src/tinytorch/course/__init__.py").write_text("raise SystemExit(1)\n")
    result = one(course_repo, copy)
    assert result.verdict == "graded" and result.done_modules() == [1]
    notes = "\n".join(result.notes)
    assert "packages/tt-fixture/tests/test_two.py (differs from the grader's)" in notes
    assert "conftest.py (not in the grader's)" in notes
    assert "packages/tt-fixture/src/tinytorch/course" in notes


def test_a_sitecustomize_in_the_copy_never_runs(course_repo: Path, tmp_path: Path) -> None:
    copy = copy_through(course_repo, tmp_path / "mallory")
    marker = tmp_path / "sitecustomize-ran"
    (copy / "packages/tt-fixture/src/sitecustomize.py").write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    (copy / "packages/tt-fixture/src/evil.pth").write_text(f"import os; open({str(marker)!r}, 'w')\n")
    for sandbox in ("auto", "none"):
        result = one(course_repo, copy, sandbox=sandbox)
        assert result.verdict == "graded" and not marker.exists()
    assert any("packages/tt-fixture/src/sitecustomize.py" in n for n in result.notes)


def test_a_package_the_copy_lacks_is_not_found_elsewhere(tmp_path: Path) -> None:
    """The real repository: a copy without the package of its last module must not be graded on the
    installed reference's (in a student's release through N, module N's package)."""
    repo = Path(__file__).resolve().parents[3]
    module = read_stamp(repo) or 15  # a release through 00 has no solution: graded as the reference
    dist = MODULE_PACKAGES[module][-1]
    copy = tmp_path / "copy"
    release(repo, copy, 15)
    for path in sorted((copy / "packages" / dist / "src").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    _suite, (result,), _ = grade(repo, [copy], [module], test_timeout=120)
    assert result.verdict == "graded"
    passed, total = result.counts(module)
    assert total > 5 and passed == 0
    assert f"missing package: {dist} (its tests fail)" in result.notes


def test_a_hanging_test_fails_alone_and_the_rest_is_graded(course_repo: Path, tmp_path: Path) -> None:
    copy = copy_through(course_repo, tmp_path / "bob")
    init = copy / INIT
    init.write_text(
        re.sub(r"raise NotImplementedError\(.Module 02.*", "while True:\n        pass", init.read_text())
    )
    result = one(course_repo, copy, test_timeout=5)
    assert result.verdict == "graded"
    assert outcome(result, SQUARE) == "timeout"
    assert outcome(result, GIVEN) == "passed" and outcome(result, DOUBLE) == "passed"
    assert any(n.startswith(f"timeout: {SQUARE}") for n in result.notes)


def test_a_test_that_kills_the_process_fails_alone(course_repo: Path, tmp_path: Path) -> None:
    copy = copy_through(course_repo, tmp_path / "bob")
    init = copy / INIT
    init.write_text(
        re.sub(r"raise NotImplementedError\(.Module 02.*", "import os; os._exit(7)", init.read_text())
    )
    result = one(course_repo, copy)
    assert result.verdict == "graded"
    assert outcome(result, SQUARE) == "crashed" and outcome(result, GIVEN) == "passed"
    assert result.done_modules() == [1]


def test_the_whole_run_timeout_gives_a_partial_report(course_repo: Path, tmp_path: Path) -> None:
    copy = copy_through(course_repo, tmp_path / "bob")
    init = copy / INIT
    init.write_text(
        re.sub(r"raise NotImplementedError\(.Module 02.*", "import time; time.sleep(600)", init.read_text())
    )
    result = one(course_repo, copy, test_timeout=300, run_timeout=10)
    assert result.verdict == "graded"
    assert outcome(result, DOUBLE) == "passed"  # test_one.py runs first
    assert outcome(result, SQUARE) == "timeout"
    assert any("incomplete run: the whole run's time limit (10 s) ran out" in n for n in result.notes)


def test_a_forged_report_for_known_test_names_is_tampering(course_repo: Path, tmp_path: Path) -> None:
    """The copy writes 'passed' for the tests it knows by name straight into the outcome stream."""
    copy = copy_through(course_repo, tmp_path / "mallory")
    add_to_package(
        copy,
        "import json, os\n"
        "with open(os.environ['TINYTORCH_OUTCOMES'], 'a') as _f:\n"
        f"    for _n in {[SQUARE, GIVEN, DOUBLE]!r}:\n"
        "        _event = {'event': 'result', 'nodeid': _n, 'outcome': 'passed', 'message': ''}\n"
        "        _f.write(json.dumps(_event) + '\\n')\n",
    )
    result = one(course_repo, copy)
    assert result.verdict == "tampered"
    assert any("tests the run never collected" in p for p in result.problems)


def test_a_lie_aimed_at_the_tests_names_finds_none(
    course_repo: Path, tmp_path: Path, patch_runner: str
) -> None:
    """Tests are renamed per run: forging results for 'test_square' by name changes nothing."""
    copy = copy_through(course_repo, tmp_path / "mallory")
    add_to_package(
        copy,
        patch_runner.replace(
            "def _lying_call_and_report(item, when, log=True, **kwds):\n",
            "_real = _runner.call_and_report\n\n\ndef _lying_call_and_report(item, when, log=True, **kwds):\n"
            "    if item.name != 'test_square':\n"
            "        return _real(item, when, log, **kwds)\n",
        ),
    )
    result = one(course_repo, copy)
    assert result.verdict == "graded"
    assert outcome(result, SQUARE) == "failed" and result.done_modules() == [1]


def test_code_that_imports_tinytorch_from_elsewhere_is_tampering(course_repo: Path, tmp_path: Path) -> None:
    copy = copy_through(course_repo, tmp_path / "mallory")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "tinytorch/ttfixture").mkdir(parents=True)
    (elsewhere / "tinytorch/ttfixture/extra.py").write_text("VALUE = 1\n")
    add_to_package(
        copy,
        "import importlib.util, sys\n"
        f"_spec = importlib.util.spec_from_file_location('tinytorch.ttfixture.extra', {str(elsewhere)!r} + "
        "'/tinytorch/ttfixture/extra.py')\n"
        "_module = importlib.util.module_from_spec(_spec)\n"
        "sys.modules['tinytorch.ttfixture.extra'] = _module\n"
        "_spec.loader.exec_module(_module)\n",
    )
    result = one(course_repo, copy, sandbox="none")
    assert result.verdict == "tampered"
    assert any("imported from outside the copy" in p for p in result.problems)


@pytest.mark.parametrize("kind", ["bwrap", "unshare"])
def test_the_sandbox_stops_writes_outside_the_work_folder(
    course_repo: Path, tmp_path: Path, kind: str, need_sandbox: Callable[[str], None]
) -> None:
    need_sandbox(kind)
    copy = copy_through(course_repo, tmp_path / "mallory")
    outside = tmp_path / "outside.txt"
    solve_square(copy)
    add_to_package(copy, f"try:\n    open({str(outside)!r}, 'w').write('x')\nexcept OSError:\n    pass\n")
    result = one(course_repo, copy, sandbox=kind)
    assert result.verdict == "graded" and result.done_modules() == [1, 2]
    assert not outside.exists()
    result = one(course_repo, copy, sandbox="none")  # the same code without a sandbox does write
    assert outside.exists()


def test_output_paths_are_checked_before_the_run(course_repo: Path, tmp_path: Path, capsys) -> None:
    copy = copy_through(course_repo, tmp_path / "alice")
    missing = tmp_path / "no-such-folder" / "grades.json"
    args = ["grade", str(copy), "--root", str(course_repo), "--modules", "1-2"]
    assert main([*args, "--json", str(missing)]) == 2
    err = capsys.readouterr().err
    assert f"--json {missing}: the folder {missing.parent} does not exist" in err
    assert main([*args, "--csv", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    with pytest.raises(GradeError):
        check_output_path(tmp_path / "x" / "y.csv", "--csv")
    check_output_path(tmp_path / "ok.csv", "--csv")


def test_a_class_is_graded_in_parallel_with_one_row_per_student(
    course_repo: Path, tmp_path: Path, patch_runner: str
) -> None:
    class_dir = tmp_path / "class"
    alice = copy_through(course_repo, class_dir / "alice")
    solve_square(alice)
    copy_through(course_repo, class_dir / "bob")
    mallory = copy_through(course_repo, class_dir / "mallory")
    add_to_package(mallory, patch_runner)
    (class_dir / "notes.txt").write_text("not a copy")
    students = sorted(class_dir.iterdir())
    out_json, out_csv = tmp_path / "class.json", tmp_path / "class.csv"
    args = ["grade", *map(str, students), "--root", str(course_repo), "--modules", "1-2", "--jobs", "2"]
    assert main([*args, "--json", str(out_json), "--csv", str(out_csv)]) == 3  # one tampered copy
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text())))
    assert [(r["student"], r["verdict"], r["modules_done"]) for r in rows] == [
        ("alice", "graded", "2"),
        ("bob", "graded", "1"),
        ("mallory", "tampered", "0"),
        ("notes.txt", "error", "0"),
    ]
    assert (rows[1]["module02_passed"], rows[1]["module02_tests"]) == ("1", "2")
    assert rows[2]["module02_passed"] == "" and "canary" in rows[2]["problems"]
    data = json.loads(out_json.read_text())
    bob = data["students"][1]
    assert bob["modules"]["02"]["not_passed"][0]["test"] == SQUARE
    assert data["tests"] == 3 and data["modules"] == ["01", "02"]


def test_exit_code_is_the_worst_over_the_class() -> None:
    def result(verdict: str, done: bool) -> StudentGrade:
        r = StudentGrade(Path("s"), (1,), verdict)
        from tinytorch.course.watch import Case

        r.tests = [Case("t", 1, "passed" if done else "failed")]
        return r

    assert exit_code([result("graded", True)]) == 0
    assert exit_code([result("graded", True), result("graded", False)]) == 1
    assert exit_code([result("graded", False), result("error", False)]) == 2
    assert exit_code([result("error", False), result("tampered", False)]) == 3


def saved_run(copy: Path, scale: float, datetime: str, student_ms: float = 4.0) -> None:
    """A benchmark run saved in the copy, as `tinytorch bench run` saves it; every time x ``scale``."""

    def record(key: str, seconds: float, role: str) -> dict:
        stats = {"median": seconds * scale, "iqr": seconds * scale * 0.02, "rounds": 20}
        return {"fullname": f"benchmarks/{key}", "stats": stats, "extra_info": {"role": role}}

    benchmarks = [
        record("bench_core.py::test_matmul_numpy", 0.011, "baseline"),
        record("bench_core.py::test_guide_add_numpy", 20e-6, "guide"),
        record("bench_core.py::test_guide_add_python_loop", 3e-3, "guide"),
        record("bench_core.py::test_op_chain_tinytorch", student_ms * 1e-3, "tinytorch"),
    ]
    folder = copy / ".benchmarks" / "Linux-CPython-3.11-64bit"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"000{len(list(folder.iterdir())) + 1}_me.json").write_text(
        json.dumps({"datetime": datetime, "benchmarks": benchmarks})
    )


def test_class_rows_carry_each_copys_newest_benchmarks_normalised(course_repo: Path, tmp_path: Path) -> None:
    """Identical code measured on a machine 1.6x slower gives the same normalised median."""
    alice = copy_through(course_repo, tmp_path / "alice")
    bob = copy_through(course_repo, tmp_path / "bob")
    saved_run(alice, 1.0, "2026-12-01T10:00:00", student_ms=9.0)  # older: not the one reported
    saved_run(alice, 1.0, "2026-12-02T10:00:00")
    saved_run(bob, 1.6, "2026-12-02T11:00:00")
    _suite, (a, b), _ = grade(course_repo, [alice, bob], [1])
    key = "bench_core.py::test_op_chain_tinytorch"
    assert set(a.benchmarks) == {key}  # controls and guide measurements are not the student's
    assert a.benchmarks[key] == pytest.approx(b.benchmarks[key])
    assert a.benchmarks[key] == pytest.approx(4e-3 / (0.011 * 20e-6 * 3e-3) ** (1 / 3))
    assert any("self-reported" in n and "3 control benchmarks" in n for n in b.notes)
    table = to_csv([a, b], _suite)
    assert f"bench:{key}" in table.splitlines()[0]


def test_a_symlink_to_the_reference_is_not_graded(course_repo: Path, tmp_path: Path) -> None:
    """A copy whose package links to the reference's sources would be graded on the solutions."""
    copy = copy_through(course_repo, tmp_path / "mallory")
    package = copy / "packages/tt-fixture/src/tinytorch/ttfixture"
    (package / "__init__.py").unlink()
    (package / "__init__.py").symlink_to(course_repo / INIT)
    result = one(course_repo, copy)
    assert result.verdict == "graded" and result.done_modules() == []
    assert any("__init__.py: a symbolic link, not copied" in n for n in result.notes)
    (package / "__init__.py").unlink()
    package.rmdir()
    package.symlink_to(course_repo / "packages/tt-fixture/src/tinytorch/ttfixture")
    result = one(course_repo, copy)  # the whole package a link: the copy holds no package at all
    assert result.verdict == "error" and "not a TinyTorch copy" in result.problems[0]


GUIDE_01 = """# Module 01 — Setup

## 5. Systems-thinking questions

1. Why is a view free?
2. How much memory does a float32 (1000, 1000) tensor take,
   and a float64 one?
"""


def test_written_answers_are_collected_from_the_copys_answer_sheets(
    course_repo: Path, tmp_path: Path
) -> None:
    """The release writes a sheet per module; grade counts the answered questions and keeps the text."""
    guide = course_repo / "packages/tt-core/guides/01-setup.md"
    guide.parent.mkdir(parents=True)
    guide.write_text(GUIDE_01)
    copy = copy_through(course_repo, tmp_path / "alice")
    sheet = copy / "answers/01-setup.md"
    text = sheet.read_text()
    assert "> How much memory does a float32 (1000, 1000) tensor take, and a float64 one?" in text
    sheet.write_text(text.replace("## Q2\n", "## Q2\n\n4 MB and 8 MB: 10**6 elements.\n"))
    suite, (result,), _ = grade(course_repo, [copy], [1])
    assert result.written == {1: {1: "", 2: "4 MB and 8 MB: 10**6 elements."}} and result.answered(1) == 1
    written = json.loads(to_json([result], suite))["students"][0]["written"]
    assert written == {"01": {"answered": 1, "questions": 2, "answers": {"1": "", "2": result.written[1][2]}}}
    rows = list(csv.DictReader(io.StringIO(to_csv([result], suite))))
    assert rows[0]["module01_answered"] == "1"
    sheet.unlink()
    sheet.symlink_to(course_repo / "hatch.toml")  # never followed: could point at the answer key
    _, (linked,), _ = grade(course_repo, [copy], [1])
    assert linked.written == {} and any("answers/01-setup.md: not read" in n for n in linked.notes)


def test_a_file_marking_each_test_with_its_module_is_graded_not_tampered(
    course_repo: Path, tmp_path: Path
) -> None:
    """Canaries planted in a file without one pytestmark carry its module markers, so they run."""
    (course_repo / "packages/tt-fixture/tests/test_mixed.py").write_text(
        "import pytest\n\nfrom tinytorch.ttfixture import double, square\n\n\n"
        "@pytest.mark.module01\ndef test_double_again():\n    assert double(2) == 4\n\n\n"
        "@pytest.mark.module02\ndef test_square_again():\n    assert square(2) == 4\n"
    )
    copy = copy_through(course_repo, tmp_path / "alice")
    for modules in ([1], [2], [1, 2]):
        _suite, (result,), _ = grade(course_repo, [copy], modules)
        assert result.verdict == "graded", (modules, result.problems)
    assert outcome(result, "packages/tt-fixture/tests/test_mixed.py::test_double_again") == "passed"
