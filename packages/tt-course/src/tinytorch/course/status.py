"""``tinytorch status``, ``tinytorch test NN`` and ``tinytorch milestones``: progress of the installed code.

All three run the tests of the installed packages in a pytest subprocess (see
:mod:`tinytorch.course.testing`) and never import a phase package themselves.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from tinytorch.course.catalog import MILESTONES, MODULE_PACKAGES, MODULES, PACKAGES, PHASE_PACKAGES, Milestone
from tinytorch.course.release import read_stamp
from tinytorch.course.testing import (
    Installed,
    Outcomes,
    RunError,
    format_modules,
    installed_packages,
    run_tests,
)

__all__ = [
    "foreign_code",
    "foreign_code_message",
    "list_milestones",
    "milestone_rows",
    "module_rows",
    "not_done",
    "relative_path",
    "run_milestone",
    "run_module_tests",
    "status",
    "suite_folders",
    "table",
]


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned text columns with a dashed rule under the header."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, ["-" * w for w in widths], *rows]
    ]
    return "\n".join(lines)


def suite_folders(installed: Mapping[str, Installed | None], root: Path | None = None) -> list[Path]:
    """The tests folders of the installed phase packages (from their project folders, else ``root``)."""
    paths = []
    for dist in PHASE_PACKAGES:
        package = installed.get(dist)
        if package is None:
            continue
        if package.tests is not None:
            paths.append(package.tests)
        elif root is not None and (root / "packages" / dist / "tests").is_dir():
            paths.append(root / "packages" / dist / "tests")
    return paths


def relative_path(path: Path) -> str:
    """``path`` relative to the current folder when it lies below it (shorter output)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def foreign_code(root: Path | None, installed: Mapping[str, Installed | None]) -> list[str]:
    """Installed phase packages whose code lies outside the repository or copy at ``root``.

    Empty when ``root`` is None or holds no ``packages/`` folder (an installed package used
    on its own), else one ``"<dist> from <folder>"`` per package imported from elsewhere.
    """
    if root is None or not (root / "packages").is_dir():
        return []
    inside = root.resolve()
    return [
        f"{dist} from {package.source}"
        for dist in PHASE_PACKAGES
        if (package := installed.get(dist)) is not None
        and (package.source is None or not package.source.resolve().is_relative_to(inside))
    ]


def foreign_code_message(command: str, root: Path, foreign: Sequence[str]) -> str:
    """The loud stop when the code that would be tested is not the copy's own."""
    through = read_stamp(root)
    what = "a TinyTorch repository" if through is None else f"a student copy (release through {through:02d})"
    return "\n".join(
        [
            f"tinytorch {command}: STOP. {root} is {what}, "
            "but this Python imports TinyTorch code from elsewhere:",
            *[f"  {line}" for line in foreign],
            "Its results would be about that code, not the code in this folder. Use this folder's own "
            "environment:",
            f"  cd {root} && hatch run tinytorch {command}",
        ]
    )


def _imported_outside(outcomes: Outcomes, root: Path | None) -> list[str]:
    """``tinytorch.*`` phase modules the test run loaded from outside ``root`` (a repository)."""
    if root is None or not (root / "packages").is_dir():
        return []
    phase = {PACKAGES[d] for d in PHASE_PACKAGES}
    inside = root.resolve()
    return [
        f"{name} from {path}"
        for name, path in sorted(outcomes.imported.items())
        if ".".join(name.split(".")[:2]) in phase and not Path(path).resolve().is_relative_to(inside)
    ]


def _missing_packages(module: int, installed: Mapping[str, Installed | None]) -> list[str]:
    return [p for p in MODULE_PACKAGES[module] if installed.get(p) is None]


def module_rows(
    outcomes: Outcomes, installed: Mapping[str, Installed | None], root: Path | None = None
) -> list[list[str]]:
    """One row per module: number, name, package(s), tests, state, guide."""
    rows = []
    for module, (name, guide) in MODULES.items():
        packages = MODULE_PACKAGES[module]
        missing = _missing_packages(module, installed)
        if root is not None and not (root / guide).is_file():
            guide += " (not written yet)"
        if len(missing) == len(packages):
            rows.append([f"{module:02d}", name, ", ".join(packages), "-", "not installed", guide])
            continue
        passed, failed = outcomes.counts(module)
        if passed + failed == 0:
            tests, state = "-", "no tests yet"
        else:
            tests = f"{passed} passed" + (f", {failed} failed" if failed else "")
            state = "done" if failed == 0 else "to do"
        if missing:
            state += f" ({', '.join(missing)} part not installed)"
        rows.append([f"{module:02d}", name, ", ".join(packages), tests, state, guide])
    return rows


def not_done(
    modules: Sequence[int], outcomes: Outcomes, installed: Mapping[str, Installed | None]
) -> dict[int, str]:
    """Module -> why it is not done: its package is missing or some of its tests fail."""
    reasons = {}
    for module in modules:
        missing = _missing_packages(module, installed)
        passed, failed = outcomes.counts(module)
        if missing:
            reasons[module] = f"{', '.join(missing)} not installed"
        elif failed:
            reasons[module] = f"{failed} of {passed + failed} tests fail"
    return reasons


def _needs_text(module: int, why: str) -> str:
    return f"{module:02d} {MODULES[module][0]} ({why})"


def milestone_rows(outcomes: Outcomes, installed: Mapping[str, Installed | None]) -> list[list[str]]:
    """One row per milestone: name, what it is, modules it needs, ready or what is missing."""
    rows = []
    for key, milestone in MILESTONES.items():
        missing = not_done(milestone.needs, outcomes, installed)
        failing = [m for m in missing if not _missing_packages(m, installed)]
        absent = sorted(
            {p for m in missing for p in _missing_packages(m, installed)}, key=list(PACKAGES).index
        )
        wants = ([f"modules {format_modules(failing)} done (tests fail)"] if failing else []) + (
            [f"{', '.join(absent)} installed"] if absent else []
        )
        state = "ready: tinytorch milestones " + key if not missing else "needs " + "; ".join(wants)
        untested = [m for m in milestone.needs if m not in missing and sum(outcomes.counts(m)) == 0]
        if untested:
            state += f" (no tests yet for {format_modules(untested)})"
        rows.append([key, milestone.title, format_modules(milestone.needs), state])
    return rows


def _collection_lines(outcomes: Outcomes) -> list[str]:
    if not outcomes.collection_errors:
        return []
    lines = ["", "Test files that could not be collected (their module's tests count as not run):"]
    lines += [f"  {nodeid}: {message}" for nodeid, message in outcomes.collection_errors]
    return lines


def status(root: Path | None, python: str = sys.executable) -> tuple[str, int]:
    """The status report and an exit code (0; 2 when pytest could not run)."""
    installed = installed_packages()
    if root is not None and (foreign := foreign_code(root, installed)):
        return foreign_code_message("status", root, foreign), 2
    paths = suite_folders(installed, root)
    try:
        outcomes = run_tests(paths, modules=MODULES, python=python)
    except RunError as err:
        return f"tinytorch status: could not run the tests: {err}", 2
    if root is not None and (foreign := _imported_outside(outcomes, root)):
        return foreign_code_message("status", root, foreign), 2
    versions = ", ".join(
        f"{d} {p.version or '(no version)'}" if p else f"{d} not installed"
        for d, p in installed.items()
        if d in PHASE_PACKAGES
    )
    lines = [
        f"Packages: {versions}",
        f"Tests run against the installed code ({len(outcomes.tests)} tests, {outcomes.seconds:.1f} s; "
        "oracle tests not included: `tinytorch test NN --oracle`).",
        "",
        table(["#", "module", "package", "tests", "state", "guide"], module_rows(outcomes, installed, root)),
        *_collection_lines(outcomes),
        "",
        "Milestones (each runs once the modules it needs are done):",
        table(["milestone", "what", "modules", "state"], milestone_rows(outcomes, installed)),
    ]
    return "\n".join(lines), 0


def run_module_tests(
    module: int,
    *,
    oracle: bool = False,
    extra_args: Sequence[str] = (),
    python: str = sys.executable,
    root: Path | None = None,
) -> int:
    """Run module ``module``'s tests with pytest's own output on the terminal; pytest's exit code.

    Inside a repository or copy (``root``), stops with exit code 2 when the installed code is
    not that folder's own.
    """
    name, guide = MODULES[module]
    installed = installed_packages()
    if root is not None and (foreign := foreign_code(root, installed)):
        print(foreign_code_message(f"test {module:02d}", root, foreign), file=sys.stderr)
        return 2
    missing = _missing_packages(module, installed)
    paths = suite_folders(installed)
    shown = " ".join(relative_path(p) for p in paths)
    print(f"Module {module:02d} ({name}): pytest -m module{module:02d} over {shown}")
    print(f"Guide: {guide}" + (f"; not installed: {', '.join(missing)}" if missing else ""), flush=True)
    if not paths:
        print("No TinyTorch package with tests is installed.")
        return 5
    args = [python, "-m", "pytest", *map(str, paths), "-m", f"module{module:02d}", "-p", "no:cacheprovider"]
    args += ["-v", "--tb=short", "--no-header"]
    if not oracle:
        args.append("--ignore-glob=*/tests/oracle/*")
    code = subprocess.run([*args, *extra_args], check=False).returncode
    if code == 5:
        print(
            f"Module {module:02d} has no tests here yet"
            + (f" ({', '.join(missing)} not installed)." if missing else ".")
        )
    elif code == 0:
        print(f"Module {module:02d} ({name}) is done: every test passes.")
    elif code == 1:
        print(f"Module {module:02d} ({name}) is not done yet: read {guide} and make the failures above pass.")
    return code


def run_milestone(
    key: str,
    root: Path,
    *,
    force: bool = False,
    extra_args: Sequence[str] = (),
    python: str = sys.executable,
    installed: Mapping[str, Installed | None] | None = None,
    outcomes: Outcomes | None = None,
) -> int:
    """Run milestone ``key``'s scripts in order, each only if the modules it needs are done.

    Returns the first non-zero exit code of a script, 1 when a step's modules are not done
    (unless ``force``), 2 when a script is missing. ``installed`` and ``outcomes`` default to
    what this environment has and a run of the needed modules' tests.
    """
    milestone: Milestone = MILESTONES[key]
    installed = installed_packages() if installed is None else installed
    if foreign := foreign_code(root, installed):
        print(foreign_code_message(f"milestones {key}", root, foreign), file=sys.stderr)
        return 2
    if outcomes is None:
        try:
            outcomes = run_tests(suite_folders(installed, root), modules=milestone.needs, python=python)
        except RunError as err:
            print(f"tinytorch milestones: could not run the tests: {err}", file=sys.stderr)
            return 2
    for index, step in enumerate(milestone.steps):
        missing = not_done(step.needs, outcomes, installed)
        if missing:
            print(
                f"{step.script} needs modules {format_modules(step.needs)}; not done yet: "
                + "; ".join(_needs_text(m, why) for m, why in missing.items())
                + "."
            )
            first = min(missing)
            if not force:
                print(
                    f"Finish them first (`tinytorch test {first:02d}`, guide {MODULES[first][1]}), "
                    "or run anyway with --force."
                )
                return 1
            print("Running anyway (--force).")
        script = root / step.script
        if not script.is_file():
            print(f"{step.script} does not exist in {root} (not written yet?)", file=sys.stderr)
            return 2
        args = list(extra_args) if index == len(milestone.steps) - 1 else []
        print(f"=== {step.script} {' '.join(args)}".rstrip(), flush=True)
        code = subprocess.run([python, str(script), *args], cwd=root, check=False).returncode
        if code != 0:
            print(f"{step.script} failed (exit code {code}).")
            return code
    return 0


def list_milestones(root: Path | None, python: str = sys.executable) -> tuple[str, int]:
    """Every milestone, its scripts, the modules it needs and whether it is ready."""
    installed = installed_packages()
    if root is not None and (foreign := foreign_code(root, installed)):
        return foreign_code_message("milestones", root, foreign), 2
    needs = sorted({m for milestone in MILESTONES.values() for m in milestone.needs})
    try:
        outcomes = run_tests(suite_folders(installed, root), modules=needs, python=python)
    except RunError as err:
        return f"tinytorch milestones: could not run the tests: {err}", 2
    scripts = [
        [
            key,
            step.script,
            format_modules(step.needs),
            "yes" if root and (root / step.script).is_file() else "no",
        ]
        for key, milestone in MILESTONES.items()
        for step in milestone.steps
    ]
    lines = [
        table(["milestone", "what", "modules", "state"], milestone_rows(outcomes, installed)),
        "",
        table(["milestone", "script", "needs modules", "script exists"], scripts),
        "",
        "Run one: tinytorch milestones NAME [--force] [-- SCRIPT ARGS]",
    ]
    return "\n".join(lines), 0
