"""The watchdog around pytest: hangs and crashes fail one test each, time limits give partial results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tinytorch.course import pytest_outcomes, watch
from tinytorch.course.testing import run_tests

TESTS = """\
import os
import time


def test_a_first():
    pass


def test_b_hangs():
    while True:
        time.sleep(0.01)


def test_c_after_the_hang():
    pass


def test_d_kills_the_process():
    os._exit(9)


def test_e_last():
    assert 1 + 1 == 2


def test_f_fails():
    assert 1 + 1 == 3
"""


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_many.py").write_text(TESTS)
    return tmp_path


def outcomes_by_name(outcomes: watch.Outcomes) -> dict[str, str]:
    return {t.nodeid.rsplit("::", 1)[1]: t.outcome for t in outcomes.tests}


def test_a_hang_and_a_crash_fail_alone_and_the_rest_runs(suite: Path) -> None:
    outcomes = run_tests([suite / "tests"], test_timeout=4, run_timeout=120)
    assert outcomes_by_name(outcomes) == {
        "test_a_first": "passed",
        "test_b_hangs": "timeout",
        "test_c_after_the_hang": "passed",
        "test_d_kills_the_process": "crashed",
        "test_e_last": "passed",
        "test_f_fails": "failed",
    }
    assert outcomes.restarts == 2 and outcomes.incomplete == ""
    crashed = next(t for t in outcomes.tests if t.outcome == "crashed")
    assert crashed.message == "the test process died during this test (exit code 9)"


def test_the_whole_run_limit_returns_what_ran(suite: Path) -> None:
    outcomes = run_tests([suite / "tests"], test_timeout=600, run_timeout=8)
    by_name = outcomes_by_name(outcomes)
    assert by_name["test_a_first"] == "passed" and by_name["test_b_hangs"] == "timeout"
    assert {by_name[n] for n in ("test_c_after_the_hang", "test_e_last", "test_f_fails")} == {"not run"}
    assert outcomes.incomplete == "the whole run's time limit (8 s) ran out"
    assert not outcomes.done(1)


def test_a_collection_that_hangs_is_stopped(suite: Path) -> None:
    (suite / "tests" / "conftest.py").write_text("import time\ntime.sleep(600)\n")
    outcomes = run_tests([suite / "tests"], test_timeout=2, run_timeout=120)
    assert outcomes.tests == [] and outcomes.incomplete == "collecting the tests took longer than 2 s"


def test_restarts_are_bounded(suite: Path) -> None:
    (suite / "tests" / "test_many.py").write_text(
        "import os\n\n" + "".join(f"def test_{i}():\n    os._exit(1)\n\n\n" for i in range(5))
    )
    outcomes = run_tests([suite / "tests"], test_timeout=30, run_timeout=120, max_restarts=2)
    assert [t.outcome for t in outcomes.tests] == ["crashed"] * 3 + ["not run"] * 2
    assert outcomes.incomplete == "stopped after 2 restarts (tests that hang or kill the process)"


def test_lines_not_written_by_the_plugin_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "outcomes.jsonl"
    good = {"event": "collected", "tests": [["t.py::test_x", 3]]}
    path.write_text(json.dumps(good) + "\nnot json\n" + json.dumps({"event": "bogus"}) + '\n{"event": "res')
    stream = watch._Stream(path)
    stream.read()
    assert stream.collected == {"t.py::test_x": 3} and stream.malformed == 2
    assert stream.offset == path.read_bytes().rfind(b"\n") + 1  # the unfinished line waits


def test_the_plugin_and_the_watcher_agree_on_the_variables() -> None:
    """pytest_outcomes is copied alone into grading workspaces, so it names them itself."""
    assert (pytest_outcomes.ENV, pytest_outcomes.DESELECT_ENV) == (watch.ENV, watch.DESELECT_ENV)
