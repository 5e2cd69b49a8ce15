"""Grading on Gradescope: ``tinytorch gradescope`` builds the autograder bundle an instructor uploads.

Gradescope's autograder format: a zip with ``setup.sh`` (run once, as root, when Gradescope
builds the image) and ``run_autograder`` (run for every submission, in ``/autograder``, with
the student's files in ``/autograder/submission``; it must write
``/autograder/results/results.json``). The bundle made here holds::

    setup.sh, run_autograder
    tinytorch/tt-course/        the grader (this package's sources), installed by setup.sh
    tinytorch/suite/            the reference's pytest.ini and packages/<dist>/tests (no solutions)
    tinytorch/suite.json        the graded tests (the reference's own run), points, visibility, limits
    tinytorch/requirements.txt  the third-party packages the tests import, pinned to the versions used
    tinytorch/data/             the datasets the tests read (pinned SHA-256 checked), if given

The graded tests are those that pass with the reference's code run in the environment the
bundle will give them (its data folder, an empty cache), through the same sandboxed runner
as the students' copies. Each submission is graded like ``tinytorch grade`` grades a copy
(:class:`tinytorch.course.grade.Grader`); ``results.json`` gets one entry per graded test,
worth ``points / (the module's number of tests)``; a tampered run scores 0 and says why.
The paths are Gradescope's unless ``AUTOGRADER_ROOT`` (default ``/autograder``) and
``TINYTORCH_AUTOGRADER_VENV`` (default ``$AUTOGRADER_ROOT/venv``) say otherwise, so the bundle
can be tested in a temporary folder laid out the same way.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import traceback
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinytorch.course.catalog import DATASETS, MODULE_PACKAGES
from tinytorch.course.doctor import sha256_file
from tinytorch.course.grade import (
    DEFAULT_RUN_TIMEOUT,
    DEFAULT_TEST_TIMEOUT,
    GradeError,
    Grader,
    StudentGrade,
    Suite,
    attach_written,
    format_student,
    reference_suite,
)
from tinytorch.course.questions import module_questions
from tinytorch.course.release import MODULES
from tinytorch.course.workspace import copy_suite, course_project, graded_packages

__all__ = ["VISIBILITIES", "Bundle", "autograde", "build_bundle", "find_copy", "results_json"]

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
OUTPUT_LIMIT = 2000  # characters of one test's output in results.json

SETUP_SH = """\
#!/usr/bin/env bash
# TinyTorch autograder: Gradescope runs this once, as root, when it builds the image.
# Installs Python >= 3.11 (apt, if the image has none), bubblewrap (the sandbox the students'
# code runs in) and a virtual environment with the grader and the packages the tests import.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${TINYTORCH_AUTOGRADER_VENV:-${AUTOGRADER_ROOT:-/autograder}/venv}"
python=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
    "$candidate" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    python=$candidate
    break
  fi
done
if [ -z "$python" ]; then
  apt-get update && apt-get install -y python3.11 python3.11-venv
  python=python3.11
fi
if ! command -v bwrap >/dev/null 2>&1; then
  apt-get install -y bubblewrap || echo "setup.sh: no bubblewrap; the grader tries unshare, else no sandbox"
fi
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet -r "$here/tinytorch/requirements.txt"
"$venv/bin/python" -m pip install --quiet "$here/tinytorch/tt-course"
echo "setup.sh: grader installed in $venv"
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# TinyTorch autograder: Gradescope runs this for every submission (working folder /autograder).
root="${AUTOGRADER_ROOT:-/autograder}"
venv="${TINYTORCH_AUTOGRADER_VENV:-$root/venv}"
exec "$venv/bin/python" -m tinytorch.course.gradescope "$root/source" "$root/submission" "$root/results"
"""


@dataclass
class Bundle:
    """What :func:`build_bundle` wrote."""

    path: Path
    suite: Suite
    requirements: dict[str, str]
    datasets: list[str]
    warnings: list[str]


def _imported_top_names(files: Sequence[Path]) -> set[str]:
    names: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != "tinytorch"}


_VERSIONS = """
import json, sys, importlib.metadata as md
names, wanted = json.loads(sys.argv[1]), json.loads(sys.argv[2])
dists = md.packages_distributions()
found = {d: md.version(d) for n in names for d in dists.get(n, []) if not d.startswith("tt-")}
found.update({d: md.version(d) for d in wanted})
print(json.dumps(found))
"""


def _declared_dependencies(root: Path, packages: Sequence[str]) -> set[str]:
    """The third-party distributions the graded packages declare (their pyproject.toml)."""
    names = {"numpy", "pytest"}
    for dist in packages:
        project = tomllib.loads((root / "packages" / dist / "pyproject.toml").read_text())
        for requirement in project.get("project", {}).get("dependencies", []):
            name = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
            if name and not name.group(0).startswith("tt-"):
                names.add(name.group(0))
    return names


def requirements(root: Path, packages: Sequence[str], suite_root: Path, python: str) -> dict[str, str]:
    """Distribution -> version for what the graded packages declare, pytest, and every
    third-party package the tests import, as installed in ``python``'s environment (where the
    reference passed them)."""
    names = _imported_top_names(sorted(suite_root.rglob("*.py")))
    wanted = _declared_dependencies(root, packages)
    proc = subprocess.run(
        [python, "-c", _VERSIONS, json.dumps(sorted(names)), json.dumps(sorted(wanted))],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise GradeError(f"cannot read the installed versions of {sorted(wanted)}: {proc.stderr.strip()}")
    return dict(sorted(json.loads(proc.stdout).items()))


def _copy_datasets(data: Path, target: Path, packages: Sequence[str]) -> tuple[list[str], list[str]]:
    """Verified copies of the datasets the graded packages read: (copied, warnings)."""
    copied, warnings = [], []
    for name, (package, files) in DATASETS.items():
        if package not in packages:
            continue
        for relative, sha in files.items():
            source = data / relative
            if not source.is_file():
                warnings.append(f"{name}: {source} not found; its real-data tests are not graded")
            elif sha256_file(source) != sha:
                warnings.append(f"{name}: {source} does not match its pinned SHA-256; not shipped")
            else:
                (target / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target / relative)
                copied.append(relative)
    return copied, warnings


def _bundle_environ(payload: Path, datasets: bool) -> dict[str, str]:
    """This environment with the bundle's data folder and (empty) cache in place of the machine's:
    the reference's run at build time and every submission's see the same files."""
    environ = {k: v for k, v in os.environ.items() if k not in ("TINYTORCH_DATA", "TINYTORCH_CACHE")}
    environ["TINYTORCH_CACHE"] = str(payload / "cache")
    if datasets:
        environ["TINYTORCH_DATA"] = str(payload / "data")
    return environ


def _zip(folder: Path, out: Path) -> None:
    executable = {"setup.sh", "run_autograder"}
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo.from_file(path, path.relative_to(folder).as_posix())
                mode = 0o755 if info.filename in executable else 0o644
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
    os.replace(tmp, out)


def build_bundle(
    root: Path,
    out: Path,
    modules: Sequence[int] = tuple(MODULES),
    *,
    points: float = 10.0,
    visibility: str = "visible",
    data: Path | None = None,
    test_timeout: float = DEFAULT_TEST_TIMEOUT,
    run_timeout: float = DEFAULT_RUN_TIMEOUT,
    sandbox: str = "auto",
    python: str = sys.executable,
    progress: Callable[[str], None] | None = None,
) -> Bundle:
    """Write the Gradescope autograder zip for the reference at ``root`` to ``out``."""
    say = progress or (lambda _text: None)
    if visibility not in VISIBILITIES:
        raise GradeError(f"--visibility {visibility!r}: one of {', '.join(VISIBILITIES)}")
    if points <= 0:
        raise GradeError(f"--points {points}: must be positive")
    if out.suffix != ".zip" or out.is_dir() or not out.parent.is_dir():
        raise GradeError(f"--out {out}: give a .zip file in an existing folder")
    root = root.resolve()
    packages = graded_packages(root)
    with tempfile.TemporaryDirectory(prefix="tinytorch-bundle-") as tmp:
        stage = Path(tmp) / "bundle"
        payload = stage / "tinytorch"
        copy_suite(root, packages, payload / "suite")
        course = course_project()
        if course is None:
            raise GradeError(
                "the bundle ships this tt-course's sources: install it from them (pip install -e)"
            )
        shutil.copytree(
            course,
            payload / "tt-course",
            ignore=shutil.ignore_patterns("tests", "__pycache__", "*.pyc", "guides", ".*cache"),
        )
        graded = {p for m in modules for p in MODULE_PACKAGES.get(m, ())} & set(packages)
        datasets, warnings = _copy_datasets(data, payload / "data", sorted(graded)) if data else ([], [])
        if data is None:
            warnings.append("no --data folder (or $TINYTORCH_DATA): the real-data tests are not graded")
        (payload / "cache").mkdir()
        # The graded tests: those the reference passes with exactly what the bundle provides.
        grader = Grader.create(
            python=python,
            sandbox=sandbox,
            test_timeout=test_timeout,
            run_timeout=run_timeout,
            environ=_bundle_environ(payload, bool(datasets)),
        )
        start = time.perf_counter()
        suite = reference_suite(root, modules, grader)
        say(
            f"reference: {len(suite.expected)} tests pass with its own code in the bundle's environment "
            f"({time.perf_counter() - start:.1f} s); {len(suite.excluded)} left out"
        )
        pins = requirements(root, list(packages), payload / "suite", python)
        (payload / "requirements.txt").write_text("".join(f"{d}=={v}\n" for d, v in pins.items()))
        config = {
            **suite.to_json(),
            "points_per_module": points,
            "visibility": visibility,
            "test_timeout": test_timeout,
            "run_timeout": run_timeout,
            "datasets": datasets,
            "questions": {f"{m:02d}": len(module_questions(root, m)) for m in suite.modules},
        }
        (payload / "suite.json").write_text(json.dumps(config, indent=1) + "\n")
        (stage / "setup.sh").write_text(SETUP_SH)
        (stage / "run_autograder").write_text(RUN_AUTOGRADER)
        _zip(stage, out)
    return Bundle(out, suite, pins, datasets, warnings)


def find_copy(submission: Path) -> Path:
    """The folder of the submission holding ``packages/``: the submission itself, or the one or
    two levels of folders a zip of the repository adds."""
    levels = [[submission]]
    for _ in range(2):
        levels.append(
            sorted(c for p in levels[-1] for c in p.iterdir() if c.is_dir() and not c.name.startswith("."))
        )
    for level in levels:
        found = [p for p in level if (p / "packages").is_dir()]
        if found:
            return found[0]
    return submission


def results_json(
    result: StudentGrade, suite: Suite, config: dict[str, Any], seconds: float
) -> dict[str, Any]:
    """Gradescope's results.json for one graded submission."""
    points = float(config["points_per_module"])
    visibility = str(config["visibility"])
    graded = result.verdict == "graded"
    tests = []
    for module in suite.modules:
        cases = result.of_module(module)
        for number, case in enumerate(cases, 1):
            worth = points / len(cases)
            output = case.outcome + (f": {case.message}" if case.message else "")
            if not graded:
                output = f"not graded: this run was {result.verdict}"
            tests.append(
                {
                    "name": f"{module:02d} {MODULES[module][0]}: {case.nodeid}",
                    "number": f"{module}.{number}",
                    "score": worth if graded and case.ok else 0.0,
                    "max_score": worth,
                    "status": "passed" if graded and case.ok else "failed",
                    "output": output[:OUTPUT_LIMIT],
                    "visibility": visibility,
                }
            )
        if module in result.written:
            answers = result.written[module]
            text = "\n\n".join(f"Q{q}: {a or '(no answer)'}" for q, a in answers.items())
            tests.append(
                {
                    "name": f"{module:02d} {MODULES[module][0]}: written answers, "
                    f"{result.answered(module)} of {len(answers)} answered (marked by hand)",
                    "number": f"{module}.0",
                    "score": 0.0,
                    "max_score": 0.0,
                    "output": text[: OUTPUT_LIMIT * 4],
                    "visibility": visibility,
                }
            )
    return {
        "score": sum(t["score"] for t in tests),
        "execution_time": round(seconds),
        "output": format_student(result, suite),
        "output_format": "text",
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"verdict": result.verdict, "problems": result.problems, "notes": result.notes},
    }


def _error_results(message: str) -> dict[str, Any]:
    return {"score": 0.0, "output": f"The autograder could not grade this submission: {message}", "tests": []}


def autograde(source: Path, submission: Path, results: Path) -> int:
    """Grade the submission at ``submission`` with the bundle unpacked at ``source``; write
    ``results/results.json`` whatever happens. Returns 0 when the file was written."""
    start = time.perf_counter()
    results.mkdir(parents=True, exist_ok=True)
    try:
        payload = source / "tinytorch"
        config = json.loads((payload / "suite.json").read_text())
        suite = Suite.from_json(payload / "suite", config, course=payload / "tt-course")
        grader = Grader.create(
            hide=[submission],
            test_timeout=float(config["test_timeout"]),
            run_timeout=float(config["run_timeout"]),
            environ=_bundle_environ(payload, bool(config.get("datasets"))),
        )
        copy = find_copy(submission)
        result = grader.grade(suite, copy)
        result.notes += grader.sandbox_warnings
        questions = {int(m): int(n) for m, n in config.get("questions", {}).items()}
        attach_written([result], questions)
        if result.verdict == "error":
            data = _error_results("; ".join(result.problems))
        else:
            data = results_json(result, suite, config, time.perf_counter() - start)
        print(format_student(result, suite))
    except Exception as err:  # the platform must get a results.json, with the reason, whatever broke
        traceback.print_exc()
        data = _error_results(f"{type(err).__name__}: {err}")
    tmp = results / "results.json.tmp"
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(tmp, results / "results.json")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print("usage: python -m tinytorch.course.gradescope SOURCE SUBMISSION RESULTS", file=sys.stderr)
        sys.exit(2)
    sys.exit(autograde(*(Path(a) for a in sys.argv[1:])))
