"""A pytest plugin that writes every test's module marker and outcome to a JSON file.

Loaded by the ``tinytorch`` command as ``python -m pytest -p tinytorch.course.pytest_outcomes``
with the output path in ``$TINYTORCH_OUTCOMES``; it does nothing when that variable is unset.
The file holds::

    {"exitstatus": int,
     "tests": [{"nodeid": str, "module": int | None, "outcome": str, "message": str}, ...],
     "collection_errors": [{"nodeid": str, "message": str}, ...],
     "imported": {"tinytorch.core.tensor": "/path/to/tensor.py", ...}}

``outcome`` is one of passed, failed, error (setup/teardown), skipped, xfailed, xpassed.
``imported`` lists every ``tinytorch.*`` module loaded during the session with its file, so a
caller can prove which copy of the code the tests ran against (no conftest needed).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

ENV = "TINYTORCH_OUTCOMES"
_MARKER = re.compile(r"module(\d\d)")


def _message(report: pytest.TestReport | pytest.CollectReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message).splitlines()[0] if crash.message else ""
    text = str(report.longrepr or "").strip().splitlines()
    return text[-1] if text else ""


class Recorder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.tests: dict[str, dict[str, Any]] = {}
        self.collection_errors: list[dict[str, str]] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            modules = sorted(
                {int(m.group(1)) for mk in item.iter_markers() if (m := _MARKER.fullmatch(mk.name))}
            )
            self.tests[item.nodeid] = {
                "nodeid": item.nodeid,
                "module": modules[0] if len(modules) == 1 else None,
                "outcome": "not run",
                "message": "",
            }

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append({"nodeid": report.nodeid, "message": _message(report)})

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        test = self.tests.get(report.nodeid)
        if test is None:
            return
        if hasattr(report, "wasxfail"):
            test["outcome"] = "xpassed" if report.passed else "xfailed"
        elif report.failed:
            test["outcome"] = "failed" if report.when == "call" else "error"
            test["message"] = _message(report)
        elif report.skipped:
            test["outcome"] = "skipped"
            test["message"] = _message(report)
        elif report.when == "call" and test["outcome"] == "not run":
            test["outcome"] = "passed"

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        imported = {
            name: str(getattr(module, "__file__", None))
            for name, module in sorted(sys.modules.items())
            if name.startswith("tinytorch.") and getattr(module, "__file__", None)
        }
        data = {
            "exitstatus": int(exitstatus),
            "tests": list(self.tests.values()),
            "collection_errors": self.collection_errors,
            "imported": imported,
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=1))
        os.replace(tmp, self.path)


def pytest_configure(config: pytest.Config) -> None:
    path = os.environ.get(ENV)
    if path:
        config.pluginmanager.register(Recorder(Path(path)), "tinytorch-outcomes-recorder")
