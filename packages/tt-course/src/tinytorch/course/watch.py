"""Run pytest under a watchdog: a hanging or crashing test fails alone, the rest still runs.

pytest runs in a child process with the outcome plugin (:mod:`tinytorch.course.pytest_outcomes`),
which streams each test's start and result as JSON lines. :func:`watch_pytest` reads that
stream while the child runs:

- a test running longer than ``test_timeout`` is stopped by killing the child's process
  group; it is recorded as ``timeout`` and pytest restarts without the tests that already ran;
- a test during which the child dies (``os._exit``, a segfault, the OOM killer) is recorded as
  ``crashed``, and pytest restarts the same way;
- when the whole run exceeds ``run_timeout``, or collecting the tests (importing the code
  under test) exceeds ``test_timeout``, the child is killed and the results so far are
  returned, the rest as ``not run``: a partial report, never an exception.

Signals inside the child (e.g. pytest-timeout's) could be caught or blocked by the code under
test; killing the process group from outside cannot.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["DESELECT_ENV", "ENV", "Case", "Outcomes", "RunError", "watch_pytest"]

# The variables the outcome plugin reads (tinytorch.course.pytest_outcomes defines the same two:
# it is copied alone into the grading workspace, and this module must not import pytest).
ENV = "TINYTORCH_OUTCOMES"
DESELECT_ENV = "TINYTORCH_DESELECT"

OUTPUT_KEPT = 20_000  # characters of pytest's own output kept in Outcomes.output


class RunError(Exception):
    """pytest did not run (usage error, crash before collecting): the message holds its output."""


@dataclass(frozen=True)
class Case:
    nodeid: str
    module: int | None
    outcome: str  # passed, failed, error, skipped, xfailed, xpassed, timeout, crashed, not run
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome in ("passed", "xfailed")


@dataclass
class Outcomes:
    """What one (possibly restarted) pytest run did, per test; ``output`` is pytest's own text."""

    exitstatus: int
    tests: list[Case]
    collection_errors: list[tuple[str, str]] = field(default_factory=list)
    imported: dict[str, str] = field(default_factory=dict)
    output: str = ""
    seconds: float = 0.0
    restarts: int = 0  # pytest restarts after a test hung or killed the process
    incomplete: str = ""  # why the run stopped before every test ran ("" when it did not)
    malformed: int = 0  # stream lines that were not the plugin's JSON (someone else wrote them)
    uncollected: list[str] = field(default_factory=list)  # results for tests never collected

    def of_module(self, module: int) -> list[Case]:
        return [t for t in self.tests if t.module == module]

    def counts(self, module: int) -> tuple[int, int]:
        """(passed, not passed) for one module's tests."""
        tests = self.of_module(module)
        passed = sum(t.ok for t in tests)
        return passed, len(tests) - passed

    def done(self, module: int) -> bool:
        """A module is done when it has tests and all of them pass (and nothing failed to collect)."""
        passed, failed = self.counts(module)
        return passed > 0 and failed == 0 and not self.collection_errors


@dataclass
class _Stream:
    """The events read so far, merged over restarts."""

    path: Path
    offset: int = 0
    collected: dict[str, int | None] | None = None  # nodeid -> module, in run order
    results: dict[str, tuple[str, str]] = field(default_factory=dict)
    collection_errors: dict[str, str] = field(default_factory=dict)
    imported: dict[str, str] = field(default_factory=dict)
    running: tuple[str, float] | None = None  # (nodeid, start time) of the test under way
    exitstatus: int | None = None  # from the finish event of the current process
    collections: int = 0  # collected events seen (one per process that got that far)
    malformed: int = 0

    def read(self) -> None:
        with self.path.open("rb") as f:
            f.seek(self.offset)
            chunk = f.read()
        end = chunk.rfind(b"\n") + 1  # only whole lines; the rest is still being written
        self.offset += end
        for line in chunk[:end].splitlines():
            try:
                event = json.loads(line)
                self._apply(event)
            except (ValueError, TypeError, KeyError, AttributeError):
                self.malformed += 1

    def _apply(self, event: dict[str, Any]) -> None:
        kind = event["event"]
        if kind == "collected":
            self.collections += 1
            if self.collected is None:  # restarts collect the same tests; the first list has them all
                self.collected = {str(n): None if m is None else int(m) for n, m in event["tests"]}
        elif kind == "collect_error":
            self.collection_errors[str(event["nodeid"])] = str(event["message"])
        elif kind == "start":
            self.running = (str(event["nodeid"]), time.perf_counter())
        elif kind == "result":
            self.results[str(event["nodeid"])] = (str(event["outcome"]), str(event["message"]))
            self.running = None
        elif kind == "imported":
            self.imported.update({str(k): str(v) for k, v in event["modules"].items()})
        elif kind == "finish":
            self.exitstatus = int(event["exitstatus"])
        else:
            raise KeyError(kind)

    def remaining(self) -> list[str]:
        return [nodeid for nodeid in self.collected or {} if nodeid not in self.results]


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Kill the child and everything it started (it leads its own process group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


def _seconds(value: float) -> str:
    return f"{value:g} s"


def watch_pytest(
    argv: Sequence[str],
    *,
    env: dict[str, str],
    cwd: Path,
    folder: Path,
    test_timeout: float | None = None,
    run_timeout: float | None = None,
    max_restarts: int = 20,
    poll: float = 0.05,
) -> Outcomes:
    """Run ``argv`` (a pytest command that loads the outcome plugin) until every test has run.

    ``folder`` (writable by the child) receives the event stream, the deselect list and
    pytest's output. Raises :class:`RunError` when pytest reported nothing at all or stopped
    with a usage or internal error (exit status 3 or 4).
    """
    stream = _Stream(folder / "outcomes.jsonl")
    stream.path.write_bytes(b"")
    deselect, log = folder / "deselect.txt", folder / "pytest-output.txt"
    env = {**env, ENV: str(stream.path), DESELECT_ENV: str(deselect)}
    start = time.perf_counter()
    restarts, incomplete, last_code = 0, "", 0
    while True:
        deselect.write_text("\n".join(stream.results), encoding="utf-8")
        stream.exitstatus, stream.running = None, None
        finished_before, collections_before = len(stream.results), stream.collections
        proc_start = time.perf_counter()
        with log.open("ab") as out:
            proc = subprocess.Popen(
                list(argv), cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        stopped = ""
        while proc.poll() is None:
            stream.read()
            now = time.perf_counter()
            if run_timeout is not None and now - start > run_timeout:
                stopped = "run"
            elif test_timeout is not None and stream.running and now - stream.running[1] > test_timeout:
                stopped = "test"
            elif (
                test_timeout is not None
                and stream.collections == collections_before
                and now - proc_start > test_timeout
            ):
                stopped = "collect"  # collecting (importing the code under test) hangs
            if stopped:
                _kill(proc)
                break
            time.sleep(poll)
        stream.read()
        last_code = proc.returncode
        running = stream.running[0] if stream.running else None
        if stopped == "run":
            if running:
                stream.results[running] = (
                    "timeout",
                    f"the whole run's limit ({_seconds(run_timeout or 0)}) ran out during this test",
                )
            incomplete = f"the whole run's time limit ({_seconds(run_timeout or 0)}) ran out"
            break
        if stopped == "collect":
            incomplete = f"collecting the tests took longer than {_seconds(test_timeout or 0)}"
            break
        if stopped == "test" and running:
            stream.results[running] = (
                "timeout",
                f"timed out after {_seconds(test_timeout or 0)} (stopped; the other tests still ran)",
            )
        elif stream.exitstatus is not None:
            break  # pytest finished on its own
        elif running:
            stream.results[running] = (
                "crashed",
                f"the test process died during this test (exit code {last_code})",
            )
        elif len(stream.results) == finished_before:
            incomplete = (
                f"the test process died outside any test (exit code {last_code}) and made no progress"
            )
            break
        if not stream.remaining():
            break
        if restarts >= max_restarts:
            incomplete = f"stopped after {max_restarts} restarts (tests that hang or kill the process)"
            break
        restarts += 1
    seconds = time.perf_counter() - start
    output = log.read_text(errors="replace")[-OUTPUT_KEPT:] if log.exists() else ""
    if stream.collected is None and not stream.results and not incomplete:
        raise RunError(f"pytest produced no report (exit code {last_code}):\n{output[-3000:]}")
    if stream.exitstatus in (3, 4):  # internal or usage error: no test outcome means anything
        raise RunError(f"pytest failed (exit code {stream.exitstatus}):\n{output[-3000:]}")
    collected = stream.collected or {}
    not_run = ("not run", f"not run: {incomplete}" if incomplete else "")
    tests = [
        Case(nodeid, module, *stream.results.get(nodeid, not_run)) for nodeid, module in collected.items()
    ]
    # results for tests the collection never announced: only a process that lies writes those
    uncollected = [nodeid for nodeid in stream.results if nodeid not in collected]
    exitstatus = (
        stream.exitstatus
        if stream.exitstatus is not None and not restarts
        else int(any(not t.ok for t in tests))
    )
    return Outcomes(
        exitstatus,
        tests,
        sorted(stream.collection_errors.items()),
        stream.imported,
        output,
        seconds,
        restarts,
        incomplete,
        stream.malformed,
        uncollected,
    )
