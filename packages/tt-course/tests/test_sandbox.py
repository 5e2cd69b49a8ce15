"""The grading sandbox: chosen by what works here, and checked for real before it is trusted."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tinytorch.course import sandbox
from tinytorch.course.sandbox import Sandbox, SandboxError, choose, probe


def test_an_unknown_or_unusable_sandbox_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SandboxError, match="--sandbox 'docker': choose one of auto, bwrap, unshare, none"):
        choose("docker")
    monkeypatch.setattr(sandbox.shutil, "which", lambda _name: None)
    with pytest.raises(SandboxError, match="--sandbox bwrap: bwrap is not installed"):
        choose("bwrap")
    box, warnings = choose("auto")  # nothing works: no sandbox, and a warning that says so
    assert box.kind == "none" and "no sandbox" in warnings[0] and "bwrap is not installed" in warnings[0]
    assert choose("none") == (Sandbox("none"), [sandbox._NONE_WARNING])


def test_the_probe_notices_a_sandbox_that_does_not_isolate(
    monkeypatch: pytest.MonkeyPatch, need_sandbox: Callable[[str], None]
) -> None:
    """A wrapper that runs the command unconfined must not pass for a sandbox."""
    need_sandbox("bwrap")
    monkeypatch.setattr(Sandbox, "wrap", lambda self, argv, writable, cwd: list(argv))
    assert "did not isolate a test command" in (probe("bwrap") or "")


@pytest.mark.parametrize("kind", ["bwrap", "unshare"])
def test_inside_the_sandbox_only_the_work_folder_is_writable(
    tmp_path: Path, kind: str, need_sandbox: Callable[[str], None]
) -> None:
    need_sandbox(kind)
    work, hidden = tmp_path / "work", tmp_path / "reference"
    work.mkdir()
    hidden.mkdir()
    (hidden / "solution.py").write_text("answer = 42\n")
    script = (
        f"echo in > {work}/in.txt; echo out > {tmp_path}/out.txt; echo home > $HOME/tinytorch-probe.txt; "
        f"ls {hidden}; python3 -c 'import socket; socket.create_connection((\"1.1.1.1\", 53), timeout=2)'"
    )
    box = Sandbox(kind, (hidden,))
    proc = subprocess.run(box.wrap(["sh", "-c", script], work, work), capture_output=True, text=True)
    assert (work / "in.txt").read_text() == "in\n"
    assert not (tmp_path / "out.txt").exists()
    assert not (Path.home() / "tinytorch-probe.txt").exists()
    assert "solution.py" not in proc.stdout  # the hidden folder looks empty
    assert proc.returncode != 0  # the network is unreachable: the last command fails
