"""Where a student's code runs while it is graded: an OS sandbox where the machine has one.

The threat: code a student wrote runs with the grader's rights. Inside a sandbox it can
write only to one folder (the grading run's own temporary work folder), cannot reach the
network, sees its own process tree only, and finds the folders the grader hides (the
reference solutions, the other students' copies) empty. Two implementations, tried in order
by ``auto``:

- ``bwrap`` (bubblewrap, Debian/Ubuntu package ``bubblewrap``): a read-only view of ``/``,
  the work folder bound writable, fresh ``/dev`` and ``/proc``, new network, PID, IPC and UTS
  namespaces, killed with its parent.
- ``unshare`` (util-linux): a user namespace mapped to root, new mount, network and PID
  namespaces; every mount is remounted read-only except the work folder.

``none`` runs the code with the grader's own rights (a warning says so). :func:`probe` checks
a sandbox for real (it runs, the work folder is writable, a folder outside it is not) before
any student code runs in it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["KINDS", "Sandbox", "SandboxError", "choose", "probe"]

KINDS = ("auto", "bwrap", "unshare", "none")


class SandboxError(Exception):
    """The sandbox asked for cannot run on this machine."""


@dataclass(frozen=True)
class Sandbox:
    """How to wrap a command: ``kind`` is bwrap, unshare or none."""

    kind: str
    hidden: tuple[Path, ...] = field(default=())  # shown empty inside (reference, other copies)

    def wrap(self, argv: Sequence[str], writable: Path, cwd: Path) -> list[str]:
        """``argv`` run inside the sandbox, able to write to ``writable`` only, started in ``cwd``."""
        if self.kind == "bwrap":
            return _bwrap(argv, writable, cwd, self.hidden)
        if self.kind == "unshare":
            return _unshare(argv, writable, cwd, self.hidden)
        return list(argv)

    def describe(self) -> str:
        if self.kind == "none":
            return "none: the student's code ran with your rights (no bwrap or unshare sandbox here)"
        what = {
            "bwrap": "bubblewrap",
            "unshare": "unshare (user, mount, network and PID namespaces)",
        }[self.kind]
        return f"{what}: writes only to its work folder, no network" + (
            f", {len(self.hidden)} folders hidden" if self.hidden else ""
        )


def _bwrap(argv: Sequence[str], writable: Path, cwd: Path, hidden: Sequence[Path]) -> list[str]:
    args = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for path in hidden:
        args += ["--tmpfs", str(path)]
    args += ["--bind", str(writable), str(writable)]
    args += ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
    args += ["--die-with-parent", "--new-session", "--chdir", str(cwd), "--", *argv]
    return args


# Run inside the new namespaces as "$0 WRITABLE CWD HIDDEN_COUNT HIDDEN... MOUNTS... -- ARGV":
# the work folder becomes a mount of its own, hidden folders get an empty read-only tmpfs,
# then every other mount is remounted read-only.
_UNSHARE_SCRIPT = r"""
set -e
writable=$1; cwd=$2; n=$3; shift 3
mount --bind "$writable" "$writable"
while [ "$n" -gt 0 ]; do mount -t tmpfs -o ro,size=4k tinytorch-hidden "$1"; shift; n=$((n - 1)); done
while [ "$1" != "--" ]; do
  [ "$1" = "$writable" ] || mount -o remount,bind,ro "$1" 2>/dev/null || true
  shift
done
shift
cd "$cwd"
exec "$@"
"""


def _mount_points() -> list[str]:
    """Every mount point of this process's mount namespace (``/proc/self/mountinfo``, decoded)."""
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        raw = line.split()[4]
        points.append(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), raw))  # \040: space
    return points


def _unshare(argv: Sequence[str], writable: Path, cwd: Path, hidden: Sequence[Path]) -> list[str]:
    head = ["unshare", "--user", "--map-root-user", "--mount", "--net", "--pid", "--fork"]
    head += ["--kill-child", "--mount-proc", "--propagation", "private"]
    mounts = [p for p in _mount_points() if p != "/proc" and not p.startswith("/proc/")]
    return [
        *head,
        "sh",
        "-c",
        _UNSHARE_SCRIPT,
        "tinytorch-sandbox",
        str(writable),
        str(cwd),
        str(len(hidden)),
        *map(str, hidden),
        *mounts,
        "--",
        *argv,
    ]


_PROBE = "echo ok > {inside} && ! (echo no > {outside}) 2>/dev/null && ! ls -A {hidden} | grep -q ."


def probe(kind: str) -> str | None:
    """Why sandbox ``kind`` does not work here (None when it does): it must run, let the code
    write to its work folder, refuse a write next to it and hide a hidden folder's files."""
    if kind == "none":
        return None
    if shutil.which(kind) is None:
        return f"{kind} is not installed"
    with tempfile.TemporaryDirectory(prefix="tinytorch-probe-") as tmp:
        root = Path(tmp)
        work, hidden = root / "work", root / "hidden"
        work.mkdir()
        hidden.mkdir()
        (hidden / "secret").write_text("x")
        script = _PROBE.format(inside=work / "inside", outside=root / "outside", hidden=hidden)
        box = Sandbox(kind, (hidden,))
        try:
            proc = subprocess.run(
                box.wrap(["sh", "-c", script], work, work),
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            return f"{kind} did not start: {err}"
        if proc.returncode != 0 or not (work / "inside").is_file() or (root / "outside").exists():
            said = (proc.stderr or proc.stdout).strip().splitlines()
            why = said[-1] if said else f"exit code {proc.returncode}"
            return f"{kind} did not isolate a test command ({why})"
    return None


def choose(kind: str = "auto", hidden: Sequence[Path] = ()) -> tuple[Sandbox, list[str]]:
    """The sandbox to grade in and the warnings to show. ``auto``: bwrap, else unshare, else
    none with a warning; a named kind that does not work raises :class:`SandboxError`."""
    if kind not in KINDS:
        raise SandboxError(f"--sandbox {kind!r}: choose one of {', '.join(KINDS)}")
    hidden = tuple(hidden)
    if kind != "auto":
        why = probe(kind)
        if why is not None:
            raise SandboxError(f"--sandbox {kind}: {why}")
        warnings = [] if kind != "none" else [_NONE_WARNING]
        return Sandbox(kind, hidden if kind != "none" else ()), warnings
    reasons = []
    for candidate in ("bwrap", "unshare"):
        why = probe(candidate)
        if why is None:
            return Sandbox(candidate, hidden), []
        reasons.append(why)
    return Sandbox("none"), [f"{_NONE_WARNING} ({'; '.join(reasons)})"]


_NONE_WARNING = (
    "no sandbox: the student's code runs with your rights and can write outside its work folder "
    "(install bubblewrap, or allow unprivileged user namespaces for unshare)"
)
