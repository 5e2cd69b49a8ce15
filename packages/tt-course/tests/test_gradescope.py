"""The Gradescope bundle: built from a reference, unpacked and run as Gradescope lays it out.

Gradescope unpacks the bundle into /autograder/source, puts the submission in
/autograder/submission and reads /autograder/results/results.json. Here the same layout lives
in a temporary folder (AUTOGRADER_ROOT) and the bundle's own run_autograder runs against it,
with a stand-in for the virtual environment setup.sh would make (TINYTORCH_AUTOGRADER_VENV).
CI also runs setup.sh itself in a fresh environment (.ci/run).
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tinytorch.course.cli import main
from tinytorch.course.gradescope import build_bundle, find_copy
from tinytorch.course.release import release

REPO = Path(__file__).resolve().parents[3]
INIT = "packages/tt-fixture/src/tinytorch/ttfixture/__init__.py"


def gradescope_folder(tmp_path: Path, bundle: Path, submission_from: Path) -> Path:
    """/autograder as Gradescope lays it out: source (the bundle), submission, results."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
    assert modes["setup.sh"] & stat.S_IXUSR and modes["run_autograder"] & stat.S_IXUSR
    for name in ("setup.sh", "run_autograder"):  # zipfile does not restore modes; Gradescope does
        (root / "source" / name).chmod(0o755)
    release_into = root / "submission" / "tinytorch-main"  # a zip of the repository adds a folder
    release_into.parent.mkdir(parents=True)
    os.rename(submission_from, release_into)
    (root / "results").mkdir()
    return root


def run_autograder(root: Path, tmp_path: Path) -> dict:
    """The bundle's run_autograder, with a stand-in venv whose python is this interpreter."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n')
    python.chmod(0o755)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "TINYTORCH_AUTOGRADER_VENV": str(venv)}
    proc = subprocess.run(
        [str(root / "source" / "run_autograder")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_bundle_grades_a_fixture_copy_per_test(course_repo: Path, tmp_path: Path) -> None:
    guide = course_repo / "packages/tt-core/guides/01-setup.md"
    guide.parent.mkdir(parents=True)
    guide.write_text("# Module 01\n\n## 5. Systems-thinking questions\n\n1. Why?\n2. How much?\n")
    bundle = tmp_path / "autograder.zip"
    built = build_bundle(course_repo, bundle, [1, 2], points=6, visibility="after_published", sandbox="auto")
    assert built.suite.expected == {
        "packages/tt-fixture/tests/test_one.py::test_double": 1,
        "packages/tt-fixture/tests/test_two.py::test_square": 2,
        "packages/tt-fixture/tests/test_two.py::test_given_only": 2,
    }
    names = set(zipfile.ZipFile(bundle).namelist())
    assert {"setup.sh", "run_autograder", "tinytorch/suite.json", "tinytorch/requirements.txt"} <= names
    assert "tinytorch/suite/packages/tt-fixture/tests/test_two.py" in names
    assert not any(n.startswith("tinytorch/suite/packages/tt-fixture/src") for n in names)  # no solutions
    requirements = zipfile.ZipFile(bundle).read("tinytorch/requirements.txt").decode()
    assert re.search(r"^pytest==\S+$", requirements, re.M) and re.search(r"^numpy==\S+$", requirements, re.M)

    copy = tmp_path / "copy"
    release(course_repo, copy, 1)  # module 02 stripped: test_square fails, test_given_only passes
    sheet = copy / "answers/01-setup.md"
    sheet.write_text(sheet.read_text().replace("## Q2\n", "## Q2\n\nFour bytes each.\n"))
    root = gradescope_folder(tmp_path, bundle, copy)
    results = run_autograder(root, tmp_path)
    tests = {t["name"]: t for t in results["tests"]}
    written = tests.pop("01 setup: written answers, 1 of 2 answered (marked by hand)")
    assert written["max_score"] == 0 and written["output"] == "Q1: (no answer)\n\nQ2: Four bytes each."
    assert set(tests) == {
        "01 setup: packages/tt-fixture/tests/test_one.py::test_double",
        "02 tensor: packages/tt-fixture/tests/test_two.py::test_square",
        "02 tensor: packages/tt-fixture/tests/test_two.py::test_given_only",
    }
    square = tests["02 tensor: packages/tt-fixture/tests/test_two.py::test_square"]
    assert (square["score"], square["max_score"], square["status"]) == (0.0, 3.0, "failed")
    assert "NotImplementedError: Module 02" in square["output"]
    assert square["visibility"] == "after_published"
    assert results["score"] == 6 + 3  # module 01 whole, half of module 02
    assert results["extra_data"]["verdict"] == "graded"


def test_bundle_scores_a_tampered_submission_zero(
    course_repo: Path, tmp_path: Path, patch_runner: str
) -> None:
    bundle = tmp_path / "autograder.zip"
    build_bundle(course_repo, bundle, [1, 2])
    copy = tmp_path / "copy"
    release(course_repo, copy, 1)
    init = copy / INIT
    init.write_text(init.read_text() + "\n" + patch_runner)
    results = run_autograder(gradescope_folder(tmp_path, bundle, copy), tmp_path)
    assert results["score"] == 0 and results["extra_data"]["verdict"] == "tampered"
    assert "TAMPERED" in results["output"]
    assert all(
        t["score"] == 0 and t["output"] == "not graded: this run was tampered" for t in results["tests"]
    )


def test_a_submission_without_a_copy_gets_a_results_file_that_says_so(
    course_repo: Path, tmp_path: Path
) -> None:
    bundle = tmp_path / "autograder.zip"
    build_bundle(course_repo, bundle, [1])
    stray = tmp_path / "stray"
    stray.mkdir()
    (stray / "answer.txt").write_text("hello")
    results = run_autograder(gradescope_folder(tmp_path, bundle, stray), tmp_path)
    assert results["score"] == 0 and results["tests"] == []
    assert "holds no packages/ folder" in results["output"]


def test_find_copy_looks_two_folders_down(tmp_path: Path) -> None:
    (tmp_path / "a" / "repo" / "packages").mkdir(parents=True)
    assert find_copy(tmp_path) == tmp_path / "a" / "repo"
    (tmp_path / "packages").mkdir()
    assert find_copy(tmp_path) == tmp_path


def test_the_real_bundle_grades_a_release_copy(tmp_path: Path) -> None:
    """The repository's own tests of modules 01-02, graded on a release through 01."""
    bundle = tmp_path / "autograder.zip"
    args = ["gradescope", "--root", str(REPO), "--out", str(bundle), "--modules", "1-2"]
    assert main(args) == 0
    pins = zipfile.ZipFile(bundle).read("tinytorch/requirements.txt").decode().split()
    declared = {"numpy", "pytest", "tqdm", "safetensors"}  # tt-train's own dependencies, and pytest
    assert declared <= {pin.split("==")[0] for pin in pins}
    copy = tmp_path / "copy"
    release(REPO, copy, 1)
    results = run_autograder(gradescope_folder(tmp_path, bundle, copy), tmp_path)
    written = [t for t in results["tests"] if "written answers" in t["name"]]
    assert [t["name"][:2] for t in written] == ["01", "02"]  # the release's empty answer sheets
    assert all(t["max_score"] == 0 and "0 of 5 answered" in t["name"] for t in written)
    tests = [t for t in results["tests"] if t not in written]
    modules = {t["name"][:2] for t in tests}
    assert modules == {"01", "02"}
    ones = [t for t in tests if t["name"].startswith("01")]
    twos = [t for t in tests if t["name"].startswith("02")]
    assert all(t["status"] == "passed" for t in ones)
    failed = [t for t in twos if t["status"] == "failed"]
    assert len(failed) > len(twos) / 2  # given code (factories, argument checks) still passes
    assert all("NotImplementedError: Module 02 (tensor)" in t["output"] for t in failed)
    assert results["score"] == pytest.approx(10 + sum(t["score"] for t in twos))
    assert results["extra_data"]["verdict"] == "graded"


def test_bundle_refuses_bad_options(course_repo: Path, tmp_path: Path, capsys) -> None:
    base = ["gradescope", "--root", str(course_repo), "--modules", "1"]
    assert main([*base, "--out", str(tmp_path / "bundle.tar")]) == 2
    assert "give a .zip file" in capsys.readouterr().err
    assert main([*base, "--out", str(tmp_path / "missing" / "b.zip")]) == 2
    assert main([*base, "--out", str(tmp_path / "b.zip"), "--points", "0"]) == 2
    assert "--points 0.0: must be positive" in capsys.readouterr().err
