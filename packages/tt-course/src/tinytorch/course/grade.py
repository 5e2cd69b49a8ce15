"""``tinytorch grade STUDENT_DIR``: the reference's tests, run against a student's code.

Run at the reference repository (the instructor's, with every solution): its tests of the
chosen modules run with the student's ``packages/*/src`` first on PYTHONPATH, so the student's
code is graded by tests the student could not have edited. Every ``tinytorch.*`` module the
session loads must come from the student's folder (checked from its ``__file__``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from tinytorch.course.catalog import MODULES, PACKAGES
from tinytorch.course.check import source_paths, suite_folders, wrong_imports
from tinytorch.course.status import module_rows, table
from tinytorch.course.testing import Installed, RunError, format_modules, run_tests

__all__ = ["grade"]


def grade(
    reference: Path,
    student: Path,
    modules: Sequence[int] = tuple(MODULES),
    *,
    json_path: Path | None = None,
    python: str = sys.executable,
) -> tuple[str, int]:
    """The grade table and an exit code: 0 every chosen module done, 1 not, 2 could not grade."""
    reference, student = reference.resolve(), student.resolve()
    srcs = source_paths(student)
    if not srcs:
        return f"{student} holds no packages/*/src: not a TinyTorch release", 2
    present: dict[str, Installed | None] = {
        dist: Installed(dist, name, None, None, None, None)
        if (student / "packages" / dist / "src").is_dir()
        else None
        for dist, name in PACKAGES.items()
    }
    try:
        outcomes = run_tests(
            suite_folders(reference), modules=modules, python=python, pythonpath_first=srcs, cwd=reference
        )
    except RunError as err:
        return f"could not run the tests: {err}", 2
    wrong = wrong_imports(outcomes, student)
    if wrong:
        return "the tests did not import the student's code: " + "; ".join(wrong), 2
    rows = [row for row in module_rows(outcomes, present) if int(row[0]) in modules]
    done = [m for m in modules if outcomes.done(m)]
    lines = [
        f"Grading {student} with the tests of {reference} (modules {format_modules(modules)}, "
        f"{len(outcomes.tests)} tests, {outcomes.seconds:.1f} s)",
        "",
        table(["#", "module", "package", "tests", "state", "guide"], rows),
    ]
    if outcomes.collection_errors:
        lines += ["", "Test files that could not be collected:"]
        lines += [f"  {nodeid}: {message}" for nodeid, message in outcomes.collection_errors]
    lines += ["", f"Done: {format_modules(done) or 'none'} ({len(done)} of {len(modules)} modules)."]
    if json_path is not None:
        result = {
            "student": str(student),
            "reference": str(reference),
            "modules": {
                f"{m:02d}": {
                    "passed": outcomes.counts(m)[0],
                    "failed": outcomes.counts(m)[1],
                    "not_passed": [t.nodeid for t in outcomes.of_module(m) if not t.ok],
                }
                for m in modules
            },
            "collection_errors": [n for n, _ in outcomes.collection_errors],
        }
        json_path.write_text(json.dumps(result, indent=1) + "\n")
        lines.append(f"Written to {json_path}")
    return "\n".join(lines), 0 if len(done) == len(modules) else 1
