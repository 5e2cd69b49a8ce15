"""The ``tinytorch`` command: course tools for students and instructors.

Subcommands (``tinytorch COMMAND --help`` for each):

- ``doctor``: Python, NumPy, BLAS threads, installed packages, datasets -- each ok or not, with the fix
- ``status``: per module, the tests passed/failed against the installed code; milestones unlocked
- ``test NN [--oracle] [-- PYTEST ARGS]``: one module's tests
- ``measure NN [-- PYTEST ARGS]``: the module's measured number and its contracts
- ``milestones [xor-inference|xor-training|mnist|gpt] [--force] [-- SCRIPT ARGS]``: run a milestone
  (or list them)
- ``release --through N --out DIR``: the student copy (solutions of modules > N stripped)
- ``grade STUDENT_DIR... [--modules 1-8] [--json F] [--csv F] [--jobs J] [--sandbox KIND]``: the
  reference's tests on students' code, isolated, with time limits and tamper evidence
- ``gradescope --out autograder.zip [--modules 1-8]``: the Gradescope autograder bundle
- ``bench run --name LABEL [-- PYTEST ARGS]``, ``bench compare [RUNS...]``: benchmark history
- ``check-releases [--modules 1-15] [--jobs J]``: the course honesty check CI runs
- ``check-leaks``: no release holds lines of a solution it strips (CI)

Exit codes: 0 success; 1 a check or test failed; 2 refused (bad arguments, missing files);
``grade``: 3 a copy was tampered with;
``test`` and ``bench run`` return pytest's exit code, ``milestones`` the script's.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tinytorch.course.catalog import MILESTONES
from tinytorch.course.grade import DEFAULT_RUN_TIMEOUT, DEFAULT_TEST_TIMEOUT
from tinytorch.course.gradescope import VISIBILITIES
from tinytorch.course.release import MODULES, ReleaseError, ReleaseResult, find_root, release
from tinytorch.course.sandbox import KINDS
from tinytorch.course.testing import format_modules

__all__ = ["main", "summary"]


def _module_number(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a module number (01..15)") from None
    if number not in MODULES:
        raise argparse.ArgumentTypeError(f"module {text} does not exist (01..15)")
    return number


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinytorch",
        description="TinyTorch course tools. Arguments after `--` go to pytest (test, bench run) "
        "or to the milestone script (milestones).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    root_help = "repository root (default: nearest hatch.toml upwards from the current folder)"

    rel = commands.add_parser(
        "release",
        help="copy the repository with the solutions of modules > N stripped",
        description="Copy the repository into DIR, replacing every solution block of a module > N "
        "by a NotImplementedError that points at the module's guide.",
    )
    rel.add_argument("--through", type=int, required=True, metavar="N", help="last module kept (0..15)")
    rel.add_argument("--out", type=Path, required=True, metavar="DIR", help="empty folder outside the repo")
    rel.add_argument("--root", type=Path, default=None, help=root_help)

    commands.add_parser(
        "doctor",
        help="check Python, NumPy/BLAS, installed packages and datasets",
        description="One line per check, ok/warn/FAIL with the fix; exit code 1 if a required one fails.",
    )

    status = commands.add_parser(
        "status",
        help="tests passed/failed per module against the installed code, and milestones",
        description="Runs every installed package's tests (not the oracle ones) in a subprocess and "
        "shows one row per module, then which milestones are unlocked.",
    )
    status.add_argument("--root", type=Path, default=None, help=root_help)

    test = commands.add_parser(
        "test",
        help="run one module's tests (pytest -m moduleNN)",
        description="Runs `pytest -m moduleNN` over the installed packages' tests (tests/oracle "
        "left out unless --oracle; they need PyTorch). Exit code: pytest's.",
    )
    test.add_argument("module", type=_module_number, metavar="NN", help="module number, 01..15")
    test.add_argument("--oracle", action="store_true", help="include the PyTorch-oracle tests")

    measure = commands.add_parser(
        "measure",
        help="a module's measured number and its memory/speed contracts, on the code here",
        description="Runs module NN's contract tests (pytest -m 'moduleNN and contract' -s) over the "
        "installed packages' tests: each prints the number it measured on your code and checks the "
        "contract the guide teaches, with a margin for noisy machines. Exit code: pytest's.",
    )
    measure.add_argument("module", type=_module_number, metavar="NN", help="module number, 01..15")

    grade = commands.add_parser(
        "grade",
        help="grade students' copies with this repository's tests (run in the reference repository)",
        description="Runs this repository's tests of the chosen modules against each STUDENT_DIR's "
        "phase-package sources only (its own tests, conftest and tt-course are ignored), in a "
        "temporary workspace, a scrubbed environment and an OS sandbox where available, with "
        "per-test and whole-run time limits and tamper evidence (renamed tests, canaries). "
        "Exit code: 0 every module done, 1 some not done, 2 could not grade, 3 tampered "
        "(the worst over all copies).",
    )
    grade.add_argument(
        "students", type=Path, nargs="+", metavar="STUDENT_DIR", help="students' copies (e.g. class/*)"
    )
    grade.add_argument("--modules", default="1-15", metavar="RANGE", help="modules to grade, e.g. 1-8")
    grade.add_argument("--json", type=Path, metavar="FILE", help="also write every result as JSON")
    grade.add_argument("--csv", type=Path, metavar="FILE", help="also write one CSV row per copy")
    grade.add_argument(
        "--jobs", type=int, default=1, metavar="J", help="copies graded in parallel (default 1)"
    )
    grade.add_argument(
        "--sandbox",
        default="auto",
        choices=KINDS,
        help="OS sandbox for the students' code: auto (bwrap, else unshare, else none with a warning)",
    )
    grade.add_argument(
        "--test-timeout",
        type=float,
        default=DEFAULT_TEST_TIMEOUT,
        metavar="S",
        help=f"seconds before one test is stopped and failed (default {DEFAULT_TEST_TIMEOUT:g})",
    )
    grade.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_RUN_TIMEOUT,
        metavar="S",
        help=f"seconds for one copy's whole run; then a partial report (default {DEFAULT_RUN_TIMEOUT:g})",
    )
    grade.add_argument("--root", type=Path, default=None, help=root_help)

    gs = commands.add_parser(
        "gradescope",
        help="build the Gradescope autograder bundle (setup.sh + run_autograder) for these tests",
        description="Writes a zip to upload as a Gradescope programming assignment's autograder: "
        "setup.sh installs the grader, run_autograder grades each submission as `tinytorch grade` "
        "does and writes results.json (one entry per graded test, POINTS per module). The graded "
        "tests are those the reference passes in the bundle's environment; the bundle holds the "
        "tests, never the solutions.",
    )
    gs.add_argument("--out", type=Path, required=True, metavar="FILE.zip", help="the bundle to write")
    gs.add_argument("--modules", default="1-15", metavar="RANGE", help="modules graded, e.g. 1-8")
    gs.add_argument("--points", type=float, default=10.0, metavar="P", help="points per module (default 10)")
    gs.add_argument(
        "--visibility", default="visible", choices=VISIBILITIES, help="when students see the results"
    )
    gs.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="DIR",
        help="datasets to ship for the real-data tests (default: $TINYTORCH_DATA)",
    )
    gs.add_argument("--sandbox", default="auto", choices=KINDS, help="sandbox for the reference's run here")
    gs.add_argument("--test-timeout", type=float, default=DEFAULT_TEST_TIMEOUT, metavar="S")
    gs.add_argument("--timeout", type=float, default=DEFAULT_RUN_TIMEOUT, metavar="S")
    gs.add_argument("--root", type=Path, default=None, help=root_help)

    ms = commands.add_parser(
        "milestones",
        help="run a phase milestone once the modules it needs are done (no name: list them)",
        description="Milestones and the modules they need: "
        + "; ".join(f"{k}: {format_modules(m.needs)}" for k, m in MILESTONES.items())
        + ". A milestone whose modules' tests fail is not run unless --force.",
    )
    ms.add_argument("name", nargs="?", choices=sorted(MILESTONES), help="milestone to run")
    ms.add_argument("--force", action="store_true", help="run even if needed modules are not done")
    ms.add_argument("--root", type=Path, default=None, help=root_help)

    bench = commands.add_parser("bench", help="run the benchmarks under a label; compare saved runs")
    bench_commands = bench.add_subparsers(dest="bench_command", required=True, metavar="ACTION")
    brun = bench_commands.add_parser(
        "run",
        help="run the benchmark suite and save it under LABEL",
        description="Runs benchmarks/run.py: time (pytest-benchmark) and peak memory (memray) per "
        "benchmark, saved as .benchmarks/<machine>/NNNN_LABEL.json with machine and commit info.",
    )
    brun.add_argument("--name", required=True, metavar="LABEL", help="run label (letters, digits, . _ -)")
    brun.add_argument("--root", type=Path, default=None, help=root_help)
    bcmp = bench_commands.add_parser(
        "compare",
        help="compare saved runs: median time (normalised by the machine's speed), peak memory, "
        "ratio to a baseline",
        description="RUNS: files, folders of JSON files (e.g. a class's runs), or saved runs by "
        "name (0003_alice), number (3) or label (alice: all runs so labelled). Default: every "
        "saved run. The baseline is the first run unless --baseline. Times are normalised by "
        "the control benchmarks measured in the same run (NumPy GEMM, NumPy add, a Python loop, "
        "a PyTorch op chain), so runs from different machines compare; --raw shows raw times. "
        "A file that is not a valid pytest-benchmark run (unreadable JSON, or a field of the "
        "wrong type or range, e.g. a median that is not a number of seconds > 0) is refused with "
        "its path and field, the other runs are compared, and the exit code is 2; a refused "
        "baseline stops the comparison (exit 2).",
    )
    bcmp.add_argument("runs", nargs="*", metavar="RUNS")
    bcmp.add_argument("--baseline", metavar="RUN", help="the run the ratios are relative to")
    bcmp.add_argument("--plot", type=Path, metavar="FILE.png", help="also draw the ratios (needs matplotlib)")
    bcmp.add_argument("-k", dest="select", metavar="TEXT", help="only benchmarks whose name contains TEXT")
    bcmp.add_argument("--raw", action="store_true", help="raw times, not normalised by the controls")
    bcmp.add_argument("--storage", type=Path, default=None, help="run storage (default: ROOT/.benchmarks)")
    bcmp.add_argument("--root", type=Path, default=None, help=root_help)

    leaks = commands.add_parser(
        "check-leaks",
        help="CI: no release through N (N = 0..14) holds 3 consecutive lines of a solution it strips",
        description="For every N in 0..14, compute the release through N (nothing is written) and look "
        "in every file of it -- code, tests, guides, docstrings -- for 3 consecutive non-trivial lines "
        "(whitespace-normalised) of a solution block it strips. Exit code 1 when one is found.",
    )
    leaks.add_argument("--root", type=Path, help="repository root (default: found from the current folder)")
    check = commands.add_parser(
        "check-releases",
        help="CI: for each module N, a release through N-1 fails N's tests and passes the earlier ones",
        description="The course honesty check: the reference passes every test; for every module "
        "N, in a release through N-1, each of module N's tests fails and every earlier module's "
        "test passes; a release through 0 imports. Exit code 1 on any error.",
    )
    check.add_argument(
        "--modules", default="1-15", metavar="RANGE", help="modules to check, e.g. 1-15 or 1-4,9"
    )
    check.add_argument(
        "--jobs", type=int, default=1, metavar="J", help="releases tested in parallel (default 1)"
    )
    check.add_argument("--require-tests", action="store_true", help="a module without tests is an error")
    check.add_argument(
        "--warn-only",
        default="",
        metavar="RANGE",
        help="modules (e.g. 9,10,13-15) whose cannot-fail tests are warnings, not errors: "
        "for modules still being written",
    )
    check.add_argument(
        "--plugins",
        action="store_true",
        help="let pytest autoload third-party plugins (slower; off by default)",
    )
    check.add_argument("--root", type=Path, default=None, help=root_help)
    return parser


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary(result: ReleaseResult) -> str:
    """One paragraph: what was stripped per module and what to do next."""
    if result.stripped:
        blocks = _count(sum(result.stripped.values()), "solution block")
        per_module = ", ".join(
            f"{m:02d} {MODULES[m][0]} ({_count(n, 'block')})" for m, n in result.stripped.items()
        )
        stripped = f"stripped {blocks} in {_count(result.files_stripped, 'file')}: {per_module}"
    else:
        stripped = "stripped no solution blocks"
    kept = (
        f"modules 01-{result.through:02d} keep their solutions"
        if result.through
        else "no module keeps its solutions"
    )
    return (
        f"Released {result.root} through module {result.through:02d} into {result.out}: "
        f"copied {_count(result.files_copied, 'file')} and {stripped}; {kept}. "
        f"Next steps: cd {result.out} && hatch run test "
        f"(tests of modules > {result.through:02d} fail until the student writes them)."
    )


def _root(given: Path | None) -> Path:
    return given if given is not None else find_root(Path.cwd())


def _root_or_none(given: Path | None) -> Path | None:
    try:
        return _root(given)
    except ReleaseError:
        return None


def _grade(args: argparse.Namespace) -> int:
    from tinytorch.course.check import parse_modules
    from tinytorch.course.grade import (
        GradeError,
        check_output_path,
        exit_code,
        format_class,
        format_student,
        grade,
        to_csv,
        to_json,
    )

    try:
        modules = parse_modules(args.modules)
        check_output_path(args.json, "--json")
        check_output_path(args.csv, "--csv")
        if args.jobs < 1 or args.test_timeout <= 0 or args.timeout <= 0:
            raise GradeError("--jobs, --test-timeout and --timeout must be positive")
        suite, results, warnings = grade(
            _root(args.root),
            args.students,
            modules,
            sandbox=args.sandbox,
            jobs=args.jobs,
            test_timeout=args.test_timeout,
            run_timeout=args.timeout,
            progress=lambda text: print(text, file=sys.stderr, flush=True),
        )
    except (ValueError, GradeError) as err:
        raise ReleaseError(str(err)) from None
    if len(results) == 1:
        print(format_student(results[0], suite, warnings))
    else:
        print(format_class(results, suite, warnings))
    for path, text in ((args.json, to_json(results, suite, warnings)), (args.csv, to_csv(results, suite))):
        if path is not None:
            path.write_text(text, encoding="utf-8")
            print(f"Written to {path}")
    return exit_code(results)


def _gradescope(args: argparse.Namespace) -> int:
    from tinytorch.course.check import parse_modules
    from tinytorch.course.grade import GradeError
    from tinytorch.course.gradescope import build_bundle

    data = args.data
    if data is None and os.environ.get("TINYTORCH_DATA"):
        data = Path(os.environ["TINYTORCH_DATA"])
    try:
        bundle = build_bundle(
            _root(args.root),
            args.out,
            parse_modules(args.modules),
            points=args.points,
            visibility=args.visibility,
            data=data,
            test_timeout=args.test_timeout,
            run_timeout=args.timeout,
            sandbox=args.sandbox,
            progress=lambda text: print(text, file=sys.stderr, flush=True),
        )
    except (ValueError, GradeError) as err:
        raise ReleaseError(str(err)) from None
    suite = bundle.suite
    print(
        f"Wrote {bundle.path} ({bundle.path.stat().st_size / 1e6:.1f} MB): modules "
        f"{format_modules(suite.modules)}, {len(suite.expected)} graded tests, {args.points:g} points per "
        f"module; datasets: {len(bundle.datasets)} files; requirements: "
        + ", ".join(f"{d}=={v}" for d, v in bundle.requirements.items())
    )
    for name, why in list(suite.excluded.items())[:10]:
        print(f"  not graded: {name} ({why})")
    for warning in bundle.warnings:
        print(f"  warning: {warning}")
    print("Upload it as the autograder of a Gradescope programming assignment (instructors.md, section 3).")
    return 0


def _run(args: argparse.Namespace, passthrough: list[str]) -> int:
    # Subcommand modules are imported here, when chosen, so that each command loads only what it uses.
    if args.command == "release":
        print(summary(release(_root(args.root), args.out, args.through)))
        return 0
    if args.command == "doctor":
        from tinytorch.course.doctor import doctor
        from tinytorch.course.doctor import report as doctor_report

        checks, code = doctor()
        print(doctor_report(checks, code))
        return code
    if args.command == "status":
        from tinytorch.course.status import status

        text, code = status(_root_or_none(args.root))
        print(text)
        return code
    if args.command == "test":
        from tinytorch.course.status import run_module_tests

        return run_module_tests(
            args.module, oracle=args.oracle, extra_args=passthrough, root=_root_or_none(None)
        )
    if args.command == "measure":
        from tinytorch.course.measure import run_measure

        root = _root_or_none(None)
        if root is not None:
            from tinytorch.course.status import foreign_code, foreign_code_message
            from tinytorch.course.testing import installed_packages

            if foreign := foreign_code(root, installed_packages()):
                print(foreign_code_message(f"measure {args.module:02d}", root, foreign), file=sys.stderr)
                return 2
        return run_measure(args.module, passthrough)
    if args.command == "grade":
        return _grade(args)
    if args.command == "gradescope":
        return _gradescope(args)
    if args.command == "milestones":
        from tinytorch.course.status import list_milestones, run_milestone

        if args.name is None:
            text, code = list_milestones(_root_or_none(args.root))
            print(text)
            return code
        return run_milestone(args.name, _root(args.root), force=args.force, extra_args=passthrough)
    if args.command == "bench":
        from tinytorch.course.bench import RefusedRunsError, compare, run_benchmarks

        if args.bench_command == "run":
            return run_benchmarks(_root(args.root), args.name, passthrough)
        storage = args.storage if args.storage is not None else _root(args.root) / ".benchmarks"
        try:
            text = compare(
                args.runs,
                storage,
                baseline=args.baseline,
                plot_path=args.plot,
                select=args.select,
                normalise=not args.raw,
            )
        except RefusedRunsError as refused:  # the other runs are compared; the exit code says some were not
            print(refused.text)
            for err in refused.errors:
                print(f"tinytorch bench: error: {err}", file=sys.stderr)
            count = len(refused.errors)
            print(f"tinytorch bench: {count} run file{'s' if count > 1 else ''} left out", file=sys.stderr)
            return 2
        print(text)
        return 0
    if args.command == "check-leaks":
        from tinytorch.course.leaks import find_leaks, format_leaks

        found = find_leaks(_root(args.root))
        print(format_leaks(found))
        return 1 if found else 0
    if args.command == "check-releases":
        from tinytorch.course.check import check_releases, format_report, parse_modules

        try:
            modules = parse_modules(args.modules)
            warn_only = parse_modules(args.warn_only) if args.warn_only else []
        except ValueError as err:
            raise ReleaseError(str(err)) from None
        report = check_releases(
            _root(args.root),
            modules,
            jobs=args.jobs,
            require_tests=args.require_tests,
            autoload_plugins=args.plugins,
            warn_only=warn_only,
            progress=lambda text: print(text, flush=True),
        )
        print()
        print(format_report(report))
        return 1 if report.errors else 0
    raise AssertionError(args.command)  # argparse allows no other command


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``tinytorch`` command with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    passthrough: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, passthrough = argv[:cut], argv[cut + 1 :]
    args = _parser().parse_args(argv)
    if passthrough and args.command not in ("test", "measure", "milestones", "bench"):
        print(f"tinytorch {args.command}: error: takes no arguments after --", file=sys.stderr)
        return 2
    from tinytorch.course.bench import BenchError  # light: standard library only

    try:
        return _run(args, passthrough)
    except (ReleaseError, BenchError) as err:
        print(f"tinytorch {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
