"""``tinytorch grade``: the instructor's tests, run against students' copies, in a way a copy cannot fake.

A grade means the student's own code passed the instructor's tests. For each copy:

1. Only the copy's phase-package sources (``packages/<dist>/src/tinytorch/<name>/``) are
   taken; its tests, conftest, pytest.ini, tt-course, ``sitecustomize.py`` and the like are
   ignored, and the report lists those that differ from the grader's
   (:mod:`tinytorch.course.workspace`).
2. The grader's own suite runs in a temporary workspace, in a fresh isolated interpreter
   (``python -I -S``), with a scrubbed environment, inside an OS sandbox where the machine has
   one (:mod:`tinytorch.course.sandbox`).
3. A watchdog fails a test that hangs or kills the process and grades the rest; past the
   whole-run limit the results so far come back as a partial report
   (:mod:`tinytorch.course.watch`).
4. The tests are renamed per run and canaries with known outcomes are planted among them
   (:mod:`tinytorch.course.canaries`); a run whose canaries come back wrong, that reports
   tests it never collected, or that imported ``tinytorch`` code from outside the copy is
   reported as tampered, never as a grade.

The tests a copy must pass are the reference's tests that pass with the reference's own code,
run the same way on the same machine (:func:`reference_suite`): a test that cannot pass here
(a dataset missing, say) is left out and named, rather than counted against every student.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinytorch.course.bench import (
    BenchError,
    Run,
    common_controls,
    load_run,
    normalised_medians,
    storage_runs,
)
from tinytorch.course.canaries import Disguise, disguise_suite
from tinytorch.course.catalog import MODULE_PACKAGES
from tinytorch.course.questions import MAX_SHEET_BYTES, module_questions, read_sheet, sheet_name
from tinytorch.course.release import MODULES
from tinytorch.course.sandbox import Sandbox, SandboxError, choose
from tinytorch.course.status import table
from tinytorch.course.testing import ORACLE_GLOB, format_modules, marker_expression
from tinytorch.course.watch import Case, Outcomes, RunError, watch_pytest
from tinytorch.course.workspace import (
    build_workspace,
    copy_differences,
    course_project,
    graded_packages,
    site_packages,
)

__all__ = [
    "DEFAULT_RUN_TIMEOUT",
    "DEFAULT_TEST_TIMEOUT",
    "GradeError",
    "Grader",
    "StudentGrade",
    "Suite",
    "attach_benchmarks",
    "attach_written",
    "check_output_path",
    "exit_code",
    "format_class",
    "format_student",
    "grade",
    "newest_benchmark_run",
    "reference_suite",
    "to_csv",
    "to_json",
]

DEFAULT_TEST_TIMEOUT = 60.0  # seconds; the slowest reference test takes ~3 s on a 2-core machine
DEFAULT_RUN_TIMEOUT = 1800.0


class GradeError(Exception):
    """Grading cannot start: bad arguments, an unusable output path or sandbox, a broken reference."""


@dataclass
class Suite:
    """The instructor's side: the tests, the packages they grade, and the tests each copy must pass."""

    root: Path  # holds pytest.ini and packages/<dist>/tests
    packages: dict[str, str]  # dist -> tinytorch sub-package, e.g. {"tt-core": "core"}
    modules: tuple[int, ...]
    expected: dict[str, int] = field(default_factory=dict)  # node id -> module
    excluded: dict[str, str] = field(default_factory=dict)  # node id -> why it is not graded here
    course: Path | None = None  # the grader's tt-course project, to list a copy's edits of it

    def files(self) -> set[str]:
        """The test files (paths inside the suite) holding a graded test."""
        return {nodeid.split("::", 1)[0] for nodeid in self.expected}

    def to_json(self) -> dict[str, Any]:
        return {
            "packages": self.packages,
            "modules": list(self.modules),
            "expected": self.expected,
            "excluded": self.excluded,
        }

    @classmethod
    def from_json(cls, root: Path, data: dict[str, Any], course: Path | None = None) -> Suite:
        return cls(
            root,
            {str(k): str(v) for k, v in data["packages"].items()},
            tuple(int(m) for m in data["modules"]),
            {str(k): int(v) for k, v in data["expected"].items()},
            {str(k): str(v) for k, v in data["excluded"].items()},
            course,
        )


@dataclass
class StudentGrade:
    """The grade of one copy: every graded test's outcome, or why there is no grade."""

    student: Path
    modules: tuple[int, ...]
    verdict: str = "graded"  # graded | tampered | error (could not grade)
    problems: list[str] = field(default_factory=list)  # the evidence (tampered) or the reason (error)
    tests: list[Case] = field(default_factory=list)  # the suite's graded tests, real node ids
    collection_errors: list[str] = field(default_factory=list)  # test files that did not import
    notes: list[str] = field(default_factory=list)
    sandbox: str = ""
    seconds: float = 0.0
    benchmarks: dict[str, float] = field(default_factory=dict)
    written: dict[int, dict[int, str]] = field(default_factory=dict)  # module -> question -> answer

    def answered(self, module: int) -> int:
        """How many of the module's questions have a non-empty written answer."""
        return sum(bool(text) for text in self.written.get(module, {}).values())

    def of_module(self, module: int) -> list[Case]:
        return [t for t in self.tests if t.module == module]

    def counts(self, module: int) -> tuple[int, int]:
        """(passed, graded tests) of one module."""
        tests = self.of_module(module)
        return sum(t.ok for t in tests), len(tests)

    def done(self, module: int) -> bool:
        passed, total = self.counts(module)
        return self.verdict == "graded" and total > 0 and passed == total

    def done_modules(self) -> list[int]:
        return [m for m in self.modules if self.done(m)]


def check_output_path(path: Path | None, option: str) -> None:
    """Refuse, before anything runs, an output file that could not be written afterwards."""
    if path is None:
        return
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise GradeError(f"{option} {path}: is a folder; give a file name")
    if not parent.is_dir():
        raise GradeError(f"{option} {path}: the folder {parent} does not exist (create it first)")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise GradeError(f"{option} {path}: not writable")


def _suite_files(root: Path, packages: dict[str, str]) -> list[Path]:
    files = []
    for dist in packages:
        tests = root / "packages" / dist / "tests"
        files += [p for p in sorted(tests.rglob("test_*.py")) if "oracle" not in p.relative_to(tests).parts]
    return files


def _verdict(
    outcomes: Outcomes, disguise: Disguise, files: set[str] | None, site: Path
) -> tuple[dict[str, Case], list[str], list[str]]:
    """(each test's case by its real node id, tamper evidence, notes) of one run. ``files``: the
    test files whose canaries must have run (None: those the run collected tests from, for a
    trusted run)."""
    problems: list[str] = []
    notes: list[str] = []
    by_id = {t.nodeid: t for t in outcomes.tests}
    if files is None:
        files = {t.nodeid.split("::", 1)[0] for t in outcomes.tests if t.nodeid not in disguise.canaries}
    broken_files = {n.split("::", 1)[0] for n, _ in outcomes.collection_errors}
    for nodeid, must in disguise.canaries.items():
        file = nodeid.split("::", 1)[0]
        case = by_id.get(nodeid)
        if file not in files or file in broken_files:
            continue
        if case is None or case.outcome == "not run":
            if not outcomes.incomplete and outcomes.exitstatus != 2:  # 2: interrupted, nothing ran
                problems.append(f"a canary test in {file} never ran although the run completed")
        elif must == "failed" and case.ok:
            problems.append(f"a canary test in {file} that must fail was reported {case.outcome}")
        elif must == "passed" and case.outcome == "failed":
            problems.append(f"a canary test in {file} that must pass was reported failed")
        elif case.outcome not in ("passed", "failed"):
            notes.append(
                f"a canary test in {file} {case.outcome} ({case.message}): the run may be unreliable"
            )
    if outcomes.uncollected:
        problems.append(
            f"results reported for {len(outcomes.uncollected)} tests the run never collected, "
            f"e.g. {outcomes.uncollected[0]}"
        )
    if outcomes.malformed:
        problems.append(
            f"{outcomes.malformed} lines in the outcome stream were not written by the grader's plugin"
        )
    foreign = [
        f"{name} from {path}"
        for name, path in outcomes.imported.items()
        if not Path(path).resolve().is_relative_to(site.resolve())
    ]
    if foreign:
        problems.append("tinytorch code imported from outside the copy: " + "; ".join(foreign[:5]))
    if outcomes.incomplete:
        notes.append(f"incomplete run: {outcomes.incomplete}; the tests not reached count as not passed")
    for t in outcomes.tests:
        if t.outcome in ("timeout", "crashed") and t.nodeid not in disguise.canaries:
            notes.append(f"{t.outcome}: {disguise.real(t.nodeid)} -- {t.message}")
    real = {disguise.real(t.nodeid): t for t in outcomes.tests if t.nodeid not in disguise.canaries}
    return real, problems, notes


@dataclass
class Grader:
    """Runs a :class:`Suite` on copies; one per grading session (the sandbox is probed and the
    environment's site-packages found once), for the reference's run and every copy's."""

    python: str = sys.executable
    sandbox: Sandbox = field(default_factory=lambda: Sandbox("none"))
    sandbox_warnings: list[str] = field(default_factory=list)
    test_timeout: float | None = DEFAULT_TEST_TIMEOUT
    run_timeout: float | None = DEFAULT_RUN_TIMEOUT
    site_packages: list[str] = field(default_factory=list)
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))  # data folders come from here

    @classmethod
    def create(
        cls,
        *,
        python: str = sys.executable,
        sandbox: str = "auto",
        hide: Sequence[Path] = (),
        test_timeout: float | None = DEFAULT_TEST_TIMEOUT,
        run_timeout: float | None = DEFAULT_RUN_TIMEOUT,
        environ: dict[str, str] | None = None,
    ) -> Grader:
        """A grader with the sandbox ``sandbox`` (auto, bwrap, unshare, none), hiding the folders
        ``hide`` from the code under test where they hold nothing the test process needs.
        ``environ`` (default: this process's) gives ``TINYTORCH_DATA`` / ``TINYTORCH_CACHE``."""
        try:
            packages = site_packages(python)
        except (OSError, ValueError, subprocess.SubprocessError) as err:
            raise GradeError(f"cannot start {python}: {err}") from None
        env = dict(os.environ if environ is None else environ)
        needed = [Path(p) for p in packages] + [Path(tempfile.gettempdir()), Path(python).parent]
        needed += [Path(env[k]).expanduser() for k in ("TINYTORCH_DATA", "TINYTORCH_CACHE") if env.get(k)]
        hidden, warnings = [], []
        for folder in dict.fromkeys(p.resolve() for p in hide):
            inside = [n for n in needed if n.resolve().is_relative_to(folder)]
            if inside:
                warnings.append(
                    f"{folder} is not hidden from the tests: it holds {inside[0]}, which they need"
                )
            else:
                hidden.append(folder)
        try:
            box, box_warnings = choose(sandbox, hidden)
        except SandboxError as err:
            raise GradeError(str(err)) from None
        return cls(python, box, warnings + box_warnings, test_timeout, run_timeout, packages, env)

    @staticmethod
    def _pytest_args(suite: Suite, ws_suite: Path) -> list[str]:
        args = [str(ws_suite / "packages" / dist / "tests") for dist in suite.packages]
        args = [a for a in args if Path(a).is_dir()]
        if (ws_suite / "pytest.ini").is_file():
            args += ["-c", str(ws_suite / "pytest.ini")]
        # One test file that does not import (a syntax error in one package) fails its own tests only.
        args += [f"--rootdir={ws_suite}", "-q", "--tb=short", f"--ignore-glob={ORACLE_GLOB}"]
        args += ["--continue-on-collection-errors"]
        return [*args, "-m", marker_expression(suite.modules)]

    def run(self, suite: Suite, copy: Path, *, trusted: bool = False) -> StudentGrade:
        """Run ``suite`` on the copy at ``copy``. A student's copy gets canaries in the files of
        the suite's graded tests, all of which must run; the ``trusted`` reference run gets them in
        every test file, and only those of files it collected tests from must run."""
        start = time.perf_counter()
        result = StudentGrade(copy, suite.modules, sandbox=self.sandbox.describe())
        with tempfile.TemporaryDirectory(prefix="tinytorch-grade-") as tmp:
            ws = build_workspace(Path(tmp), copy, suite.root, suite.packages)
            if not any((ws.site / "tinytorch").iterdir()):
                wanted = ", ".join(f"packages/{d}/src/tinytorch/{n}" for d, n in suite.packages.items())
                result.verdict, result.problems = (
                    "error",
                    [f"{copy} holds none of {wanted}: not a TinyTorch copy"],
                )
                return result
            result.notes += [
                f"ignored (only the phase packages' sources are graded): {i}" for i in ws.ignored
            ]
            result.notes += [
                f"ignored, the grader uses its own: {d}"
                for d in copy_differences(copy, suite.root, suite.packages, suite.course)
            ]
            result.notes += [f"missing package: {d} (its tests fail)" for d in ws.missing]
            planted = (
                _suite_files(ws.suite, suite.packages)
                if trusted
                else [ws.suite / f for f in sorted(suite.files())]
            )
            disguise = disguise_suite(ws.suite, planted, random.SystemRandom())
            argv = self.sandbox.wrap(
                ws.command(self.python, self.site_packages, self._pytest_args(suite, ws.suite)),
                ws.work,
                ws.work,
            )
            try:
                outcomes = watch_pytest(
                    argv,
                    env=ws.env(self.environ),
                    cwd=ws.work,
                    folder=ws.work,
                    test_timeout=self.test_timeout,
                    run_timeout=self.run_timeout,
                )
            except RunError as err:
                result.verdict, result.problems = "error", [f"pytest did not run: {err}"]
                return result
            real, problems, notes = _verdict(outcomes, disguise, None if trusted else suite.files(), ws.site)
        result.collection_errors = [f"{n}: {m}" for n, m in outcomes.collection_errors]
        result.notes += notes + [f"could not collect {e}" for e in result.collection_errors]
        if problems:  # the same evidence from several canaries is one line
            counted = Counter(problems)
            result.verdict = "tampered"
            result.problems = [p if n == 1 else f"{p} (x{n})" for p, n in counted.items()]
        # A student's copy is graded on the suite's tests (its run's own claims decide nothing
        # else); the trusted reference run defines them.
        expected = {k: v.module for k, v in real.items()} if trusted else dict(suite.expected)
        result.tests = [
            Case(nodeid, module, real[nodeid].outcome, real[nodeid].message)
            if nodeid in real
            else Case(nodeid, module, "not run", "not collected in this copy's run")
            for nodeid, module in expected.items()
        ]
        result.seconds = time.perf_counter() - start
        return result

    def grade(self, suite: Suite, copy: Path) -> StudentGrade:
        """Grade one copy (a folder holding ``packages/``) on ``suite``; never raises for a bad copy."""
        copy = copy.resolve()
        if not copy.is_dir():
            return StudentGrade(copy, suite.modules, "error", [f"{copy} is not a folder"])
        if not (copy / "packages").is_dir():
            return StudentGrade(copy, suite.modules, "error", [f"{copy} holds no packages/ folder"])
        result = self.run(suite, copy)
        if suite.excluded:
            result.notes.append(
                f"{len(suite.excluded)} tests not graded: they do not pass with the reference code here "
                f"(e.g. {next(iter(suite.excluded))})"
            )
        return result


def reference_suite(root: Path, modules: Sequence[int], grader: Grader) -> Suite:
    """The suite of the reference repository at ``root``: its tests of ``modules`` that pass with
    its own code, run by ``grader`` exactly as a student's copy will be.
    Raises :class:`GradeError` when the reference run is not clean (a bug, not a grade)."""
    root = root.resolve()
    packages = graded_packages(root)
    if not packages:
        raise GradeError(f"{root} has no packages/<dist>/tests with sources: not a TinyTorch reference")
    suite = Suite(root, packages, tuple(sorted(modules)), course=course_project())
    run = grader.run(suite, root, trusted=True)
    if run.verdict != "graded":
        raise GradeError(f"the reference's own run is not clean ({run.verdict}): " + "; ".join(run.problems))
    if run.collection_errors:
        raise GradeError("the reference's tests do not collect: " + "; ".join(run.collection_errors))
    suite.expected = {t.nodeid: int(t.module or 0) for t in run.tests if t.ok and t.module in suite.modules}
    suite.excluded = {
        t.nodeid: f"{t.outcome} with the reference code" + (f": {t.message}" if t.message else "")
        for t in run.tests
        if not t.ok and t.module in suite.modules
    }
    return suite


def grade(
    reference: Path,
    students: Sequence[Path],
    modules: Sequence[int] = tuple(MODULES),
    *,
    python: str = sys.executable,
    sandbox: str = "auto",
    jobs: int = 1,
    test_timeout: float | None = DEFAULT_TEST_TIMEOUT,
    run_timeout: float | None = DEFAULT_RUN_TIMEOUT,
    progress: Callable[[str], None] | None = None,
) -> tuple[Suite, list[StudentGrade], list[str]]:
    """Grade every copy in ``students`` with the reference's tests of ``modules``.

    Returns the suite, one :class:`StudentGrade` per copy (in order) and the grader's warnings.
    Raises :class:`GradeError` when grading cannot start."""
    say = progress or (lambda _text: None)
    hide = [reference, *[s for s in students if s.is_dir()]]

    grader = Grader.create(
        python=python, sandbox=sandbox, hide=hide, test_timeout=test_timeout, run_timeout=run_timeout
    )
    start = time.perf_counter()
    suite = reference_suite(reference, modules, grader)
    say(
        f"reference: {len(suite.expected)} tests of modules {format_modules(suite.modules)} pass with "
        f"its own code ({time.perf_counter() - start:.1f} s); {len(suite.excluded)} left out"
    )

    def one(student: Path) -> StudentGrade:
        result = grader.grade(suite, student)
        say(f"{student}: {result.verdict}, modules done {format_modules(result.done_modules()) or 'none'}")
        return result

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results = list(pool.map(one, students))
    attach_benchmarks(results)
    attach_written(results, {m: len(module_questions(reference, m)) for m in suite.modules})
    return suite, results, grader.sandbox_warnings


def attach_written(results: Sequence[StudentGrade], questions: Mapping[int, int]) -> None:
    """Read each copy's answer sheets (``answers/NN-*.md``) into ``written``: only the numbers of
    the module's ``questions`` count. Sheets are read as text, never run; a symlink or an
    oversized sheet is not read and a note says so."""
    for result in results:
        for module, count in questions.items():
            if not count:
                continue
            sheet = result.student / sheet_name(module)
            if not sheet.exists() and not sheet.is_symlink():
                continue
            if sheet.is_symlink() or not sheet.is_file() or sheet.stat().st_size > MAX_SHEET_BYTES:
                result.notes.append(
                    f"{sheet_name(module)}: not read (a symlink, not a file, or over 512 KiB)"
                )
                continue
            answers = read_sheet(sheet.read_text(encoding="utf-8", errors="replace"))
            result.written[module] = {q: answers.get(q, "") for q in range(1, count + 1)}


def newest_benchmark_run(copy: Path) -> Run | None:
    """The copy's newest saved benchmark run (``.benchmarks/<machine>/NNNN_label.json``), if any."""
    runs = []
    for path in storage_runs(copy / ".benchmarks"):
        try:
            runs.append(load_run(path))
        except BenchError:
            continue
    return max(runs, key=lambda r: (str(r.data.get("datetime", "")), r.path.name), default=None)


def attach_benchmarks(results: Sequence[StudentGrade]) -> None:
    """Put each copy's newest saved benchmark medians, normalised by the control benchmarks every
    copy's run measured (comparable across the students' machines), into ``benchmarks``. These
    are the students' own measurements, not the grader's: a note says so."""
    runs = {id(r): newest_benchmark_run(r.student) for r in results if r.student.is_dir()}
    present = [run for run in runs.values() if run is not None]
    controls = common_controls(present)
    for result in results:
        run = runs.get(id(result))
        if run is None:
            continue
        try:
            result.benchmarks = normalised_medians(run, controls)
        except BenchError as err:
            result.notes.append(f"benchmarks not reported: {err}")
            continue
        result.notes.append(
            f"benchmarks: the copy's own run {run.path.name} (self-reported), medians / the geometric "
            f"mean of {len(controls)} control benchmarks ({', '.join(c.split('::')[-1] for c in controls)})"
        )


def exit_code(results: Sequence[StudentGrade]) -> int:
    """3 if any copy was tampered with, else 2 if any could not be graded, else 1 if any module
    is not done, else 0."""
    verdicts = {r.verdict for r in results}
    if "tampered" in verdicts:
        return 3
    if "error" in verdicts:
        return 2
    return 0 if all(len(r.done_modules()) == len(r.modules) for r in results) else 1


def _module_rows(result: StudentGrade) -> list[list[str]]:
    rows = []
    for module in result.modules:
        passed, total = result.counts(module)
        if result.verdict != "graded":
            state = result.verdict
        elif total == 0:
            state = "no tests"
        else:
            state = "done" if passed == total else "to do"
        packages = ", ".join(MODULE_PACKAGES.get(module, ()))
        tests = f"{passed}/{total} passed" if result.verdict == "graded" else "-"
        rows.append([f"{module:02d}", MODULES[module][0], packages, tests, state])
    return rows


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _partial_lines(result: StudentGrade, per_module: int = 10) -> list[str]:
    """The tests not passed of modules that are partly done (an untouched module is just "to do")."""
    lines = []
    for module in result.modules:
        passed, total = result.counts(module)
        if 0 < passed < total:
            failing = [t for t in result.of_module(module) if not t.ok]
            lines += ["", f"Module {module:02d}: not passed ({len(failing)} of {total}):"]
            lines += [
                _short(f"  {t.nodeid}: {t.outcome}" + (f" -- {t.message}" if t.message else ""))
                for t in failing[:per_module]
            ]
            if len(failing) > per_module:
                lines.append(f"  ... and {len(failing) - per_module} more (--json lists them all)")
    return lines


def format_student(result: StudentGrade, suite: Suite, warnings: Sequence[str] = ()) -> str:
    """One copy's report: the module table, then the verdict, notes and warnings."""
    lines = [
        f"Grading {result.student} with the tests of {suite.root} (modules {format_modules(suite.modules)}, "
        f"{len(suite.expected)} tests, {result.seconds:.1f} s)",
        f"Sandbox: {result.sandbox}",
        "",
    ]
    if result.verdict == "error":
        return "\n".join([*lines, "Could not grade: " + "; ".join(result.problems)])
    lines.append(table(["#", "module", "package", "tests", "state"], _module_rows(result)))
    if result.verdict == "tampered":
        lines += ["", "TAMPERED: this run's results cannot be trusted, so the copy gets no grade. Evidence:"]
        lines += [f"  - {p}" for p in result.problems]
    else:
        done = result.done_modules()
        lines += [
            "",
            f"Done: {format_modules(done) or 'none'} ({len(done)} of {len(result.modules)} modules).",
        ]
    if result.verdict == "graded":
        lines += _partial_lines(result)
    if result.written:
        lines += [
            "Written answers (answers/NN-*.md, --json holds the text): "
            + ", ".join(f"{m:02d} {result.answered(m)}/{len(a)}" for m, a in sorted(result.written.items()))
        ]
    notes = [*result.notes, *warnings]
    if notes:
        lines += ["", "Notes:", *(f"  - {n}" for n in notes)]
    return "\n".join(lines)


def format_class(results: Sequence[StudentGrade], suite: Suite, warnings: Sequence[str] = ()) -> str:
    """One row per copy: verdict, modules done, tests passed per module; then what went wrong."""
    header = ["student", "verdict", "done", *(f"{m:02d}" for m in suite.modules), "time"]
    rows = []
    for r in results:
        cells = [
            f"{r.counts(m)[0]}/{r.counts(m)[1]}" if r.verdict == "graded" else "-" for m in suite.modules
        ]
        done = f"{len(r.done_modules())}/{len(r.modules)}" if r.verdict == "graded" else "-"
        rows.append([r.student.name, r.verdict, done, *cells, f"{r.seconds:.1f} s"])
    lines = [
        f"Graded {len(results)} copies with the tests of {suite.root} (modules "
        f"{format_modules(suite.modules)}, {len(suite.expected)} tests); per module: tests passed/graded.",
        "",
        table(header, rows),
    ]
    for r in results:
        if r.verdict != "graded":
            lines += ["", f"{r.student}: {r.verdict.upper()}", *(f"  - {p}" for p in r.problems)]
    if warnings:
        lines += ["", "Warnings:", *(f"  - {w}" for w in warnings)]
    return "\n".join(lines)


def _student_json(r: StudentGrade) -> dict[str, Any]:
    return {
        "student": str(r.student),
        "verdict": r.verdict,
        "problems": r.problems,
        "modules_done": [f"{m:02d}" for m in r.done_modules()],
        "modules": {
            f"{m:02d}": {
                "passed": r.counts(m)[0],
                "tests": r.counts(m)[1],
                "done": r.done(m),
                "not_passed": [
                    {"test": t.nodeid, "outcome": t.outcome, "message": t.message}
                    for t in r.of_module(m)
                    if not t.ok
                ],
            }
            for m in r.modules
        },
        "notes": r.notes,
        "sandbox": r.sandbox,
        "seconds": round(r.seconds, 2),
        "benchmarks": r.benchmarks,
        "written": {
            f"{m:02d}": {
                "answered": r.answered(m),
                "questions": len(answers),
                "answers": {str(q): text for q, text in answers.items()},
            }
            for m, answers in sorted(r.written.items())
        },
    }


def to_json(results: Sequence[StudentGrade], suite: Suite, warnings: Sequence[str] = ()) -> str:
    data = {
        "reference": str(suite.root),
        "modules": [f"{m:02d}" for m in suite.modules],
        "tests": len(suite.expected),
        "excluded": suite.excluded,
        "warnings": list(warnings),
        "students": [_student_json(r) for r in results],
    }
    return json.dumps(data, indent=1) + "\n"


def to_csv(results: Sequence[StudentGrade], suite: Suite) -> str:
    """One row per copy: verdict, modules done, per module tests passed and graded, benchmarks."""
    bench = sorted({k for r in results for k in r.benchmarks})
    header = ["student", "verdict", "modules_done", "tests_passed", "tests_graded"]
    for m in suite.modules:
        header += [f"module{m:02d}_passed", f"module{m:02d}_tests", f"module{m:02d}_answered"]
    header += ["seconds", "problems", *(f"bench:{k}" for k in bench)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for r in results:
        graded = r.verdict == "graded"
        row: list[Any] = [r.student.name, r.verdict, len(r.done_modules())]
        row += [sum(t.ok for t in r.tests) if graded else "", len(r.tests)]
        for m in suite.modules:
            passed, total = r.counts(m)
            row += [passed if graded else "", total, r.answered(m) if m in r.written else ""]
        row += [f"{r.seconds:.1f}", "; ".join(r.problems)]
        row += [f"{r.benchmarks[k]:.6g}" if k in r.benchmarks else "" for k in bench]
        writer.writerow(row)
    return out.getvalue()
