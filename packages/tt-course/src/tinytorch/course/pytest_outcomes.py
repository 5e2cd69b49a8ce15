"""A pytest plugin that streams every test's module marker and outcome as JSON lines.

Loaded by the ``tinytorch`` command as ``python -m pytest -p tinytorch.course.pytest_outcomes``
with the output path in ``$TINYTORCH_OUTCOMES``; it does nothing when that variable is unset.
The grader loads a copy of this file under another name, so it needs the standard library
and pytest only. One JSON object per line, written and flushed as it happens, so whoever
watches the file knows which test is running (a hang or a crash is pinned on that test) and
keeps every result reported before the process died::

    {"event": "collected", "tests": [[nodeid, module or null], ...]}     once, before deselection
    {"event": "collect_error", "nodeid": str, "message": str}
    {"event": "start", "nodeid": str}
    {"event": "result", "nodeid": str, "outcome": str, "message": str}  after the teardown
    {"event": "imported", "modules": {"tinytorch.core.tensor": "/path/to/tensor.py", ...}}
    {"event": "finish", "exitstatus": int}

``outcome`` is one of passed, failed, error (setup/teardown), skipped, xfailed, xpassed.
``imported`` lists every ``tinytorch.*`` module loaded so far with its file (after collection
and at the end), so the caller can prove which copy of the code the tests ran against.
``$TINYTORCH_DESELECT`` names a file of node ids (one per line) not to run: the watcher
restarts pytest without the tests that already ran after a test hung or killed the process.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import IO, Any

import pytest

# The same names as tinytorch.course.watch's (this file imports nothing of tinytorch: the grader
# copies it alone into the grading workspace).
ENV = "TINYTORCH_OUTCOMES"
DESELECT_ENV = "TINYTORCH_DESELECT"
_MARKER = re.compile(r"module(\d\d)")


def _message(report: pytest.TestReport | pytest.CollectReport) -> str:
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:  # a skip: (path, line, reason)
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message).splitlines()[0] if crash.message else ""
    text = str(report.longrepr or "").strip().splitlines()
    return text[-1] if text else ""


def _module(item: pytest.Item) -> int | None:
    """The test's module number when it carries exactly one ``moduleNN`` marker."""
    modules = {int(m.group(1)) for mk in item.iter_markers() if (m := _MARKER.fullmatch(mk.name))}
    return modules.pop() if len(modules) == 1 else None


class Recorder:
    def __init__(self, stream: IO[str], deselect: frozenset[str]) -> None:
        self.stream = stream
        self.deselect = deselect
        self.outcomes: dict[str, tuple[str, str]] = {}

    def emit(self, **event: Any) -> None:
        self.stream.write(json.dumps(event) + "\n")
        self.stream.flush()

    def emit_imported(self) -> None:
        modules = {
            name: str(module.__file__)
            for name, module in sorted(sys.modules.items())
            if name.startswith("tinytorch.") and getattr(module, "__file__", None)
        }
        self.emit(event="imported", modules=modules)

    @pytest.hookimpl(trylast=True)  # after -m/-k have deselected theirs
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        self.emit(event="collected", tests=[[item.nodeid, _module(item)] for item in items])
        if self.deselect:
            dropped = [item for item in items if item.nodeid in self.deselect]
            items[:] = [item for item in items if item.nodeid not in self.deselect]
            config.hook.pytest_deselected(items=dropped)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.emit_imported()

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.emit(event="collect_error", nodeid=report.nodeid, message=_message(report))

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.emit(event="start", nodeid=nodeid)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        outcome, message = self.outcomes.get(report.nodeid, ("not run", ""))
        if hasattr(report, "wasxfail"):
            outcome = "xpassed" if report.passed else "xfailed"
        elif report.failed:
            # a failing teardown after a failed call keeps the call's failure
            if outcome not in ("failed", "error"):
                outcome, message = ("failed" if report.when == "call" else "error"), _message(report)
        elif report.skipped:
            outcome, message = "skipped", _message(report)
        elif report.when == "call" and outcome == "not run":
            outcome = "passed"
        self.outcomes[report.nodeid] = (outcome, message)

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        outcome, message = self.outcomes.get(nodeid, ("not run", ""))
        self.emit(event="result", nodeid=nodeid, outcome=outcome, message=message)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.emit_imported()
        self.emit(event="finish", exitstatus=int(exitstatus))


def pytest_configure(config: pytest.Config) -> None:
    path = os.environ.get(ENV)
    if not path:
        return
    deselect_file = os.environ.get(DESELECT_ENV)
    deselect = (
        frozenset(Path(deselect_file).read_text(encoding="utf-8").splitlines())
        if deselect_file
        else frozenset()
    )
    stream = open(path, "a", encoding="utf-8")  # noqa: SIM115 -- open for the whole session
    config.pluginmanager.register(Recorder(stream, deselect), "tinytorch-outcomes-recorder")
