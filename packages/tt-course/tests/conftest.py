"""Fixture trees for tt-course's tests: a tiny repository with one package, markers and tests.

Solution markers are spelled ``<<BEGIN NN`` / ``<<END`` here and turned into real ones by
``src`` so that this file, which is released with the repository, holds no marker of its own.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

MARK = "#" * 3

PYTEST_INI = """\
[pytest]
addopts = --import-mode=importlib --strict-markers
markers =
""" + "".join(f"    module{m:02d}: module {m}\n" for m in range(1, 16))

PACKAGE = '''\
"""A fixture package: module 01 writes double, module 02 writes square; given() is given."""


def double(x):
    <<BEGIN 01
    return 2 * x
    <<END


def square(x):
    <<BEGIN 02
    return x * x
    <<END


def given(x):
    return x + 1
'''

TEST_ONE = """\
import pytest

from tinytorch.ttfixture import double

pytestmark = pytest.mark.module01


def test_double():
    assert double(3) == 6
"""

TEST_TWO = """\
import pytest

from tinytorch.ttfixture import given, square

pytestmark = pytest.mark.module02


def test_square():
    assert square(3) == 9


def test_given_only():
    assert given(1) == 2
"""


def src(text: str) -> str:
    return text.replace("<<BEGIN", f"{MARK} BEGIN SOLUTION").replace("<<END", f"{MARK} END SOLUTION")


def make_course_repo(root: Path) -> Path:
    """hatch.toml, pytest.ini, packages/tt-fixture/{src/tinytorch/ttfixture, tests}."""
    package = root / "packages/tt-fixture"
    (package / "src/tinytorch/ttfixture").mkdir(parents=True)
    (package / "tests").mkdir()
    (root / "hatch.toml").write_text("[envs.default]\n")
    (root / "pytest.ini").write_text(PYTEST_INI)
    (package / "pyproject.toml").write_text('[project]\nname = "tt-fixture"\nversion = "0.0.1"\n')
    (package / "src/tinytorch/ttfixture/__init__.py").write_text(src(PACKAGE))
    (package / "tests/test_one.py").write_text(TEST_ONE)
    (package / "tests/test_two.py").write_text(TEST_TWO)
    return root


@pytest.fixture
def course_repo(tmp_path: Path) -> Path:
    return make_course_repo(tmp_path / "repo")


# The attack from the issue: the student's package patches pytest's runner at import, so that
# every test is reported passed without running.
PATCH_RUNNER = """
import _pytest.runner as _runner


def _lying_call_and_report(item, when, log=True, **kwds):
    call = _runner.CallInfo.from_call(lambda: None, when=when)
    report = item.ihook.pytest_runtest_makereport(item=item, call=call)
    if log:
        item.ihook.pytest_runtest_logreport(report=report)
    return report


_runner.call_and_report = _lying_call_and_report
"""


@pytest.fixture
def patch_runner() -> str:
    """Code that, imported into a student's package, makes pytest report every test passed."""
    return PATCH_RUNNER


@pytest.fixture
def need_sandbox() -> Callable[[str], None]:
    """``need_sandbox(kind)``: skip unless sandbox ``kind`` works here; with
    $TINYTORCH_REQUIRE_SANDBOX set (CI installs bubblewrap), fail instead of skipping."""
    from tinytorch.course.sandbox import probe

    def need(kind: str) -> None:
        why = probe(kind)
        if why is None:
            return
        if os.environ.get("TINYTORCH_REQUIRE_SANDBOX"):
            pytest.fail(f"TINYTORCH_REQUIRE_SANDBOX is set but {why}")
        pytest.skip(why)

    return need
