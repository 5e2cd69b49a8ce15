"""Make a student release of the repository: strip the solutions of later modules.

Contract of :func:`release`:

- Copies the repository tree rooted at ``root`` (the folder holding ``hatch.toml``)
  into ``out``, skipping caches and build output (:data:`SKIP_DIRS`, ``*.egg-info``).
- In every ``.py`` file under ``root/packages``, each solution block of a module
  greater than ``through`` -- from its ``### BEGIN SOLUTION NN`` line through its
  ``### END SOLUTION`` line -- becomes one line, at the BEGIN line's indentation::

      raise NotImplementedError("Module NN (<name>): write this in <guide path>")

  Blocks of modules ``<= through`` are copied unchanged, markers included.
- File modes and line endings are preserved; every other file is copied byte for byte.
- Everything is validated before anything is written: ``through`` must be 0..15,
  ``out`` must be empty or absent and outside ``root``, and every marker must be
  well formed (otherwise :class:`MarkerError` names the file and line).
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "MODULES",
    "SKIP_DIRS",
    "MarkerError",
    "ReleaseError",
    "ReleaseResult",
    "find_root",
    "release",
    "strip_source",
]

#: Module number -> (name, guide path relative to the repository root).
MODULES: dict[int, tuple[str, str]] = {
    1: ("setup", "packages/tt-core/guides/01-setup.md"),
    2: ("tensor", "packages/tt-core/guides/02-tensor.md"),
    3: ("activations", "packages/tt-nn/guides/03-activations.md"),
    4: ("layers", "packages/tt-nn/guides/04-layers.md"),
    5: ("autograd", "packages/tt-core/guides/05-autograd.md"),
    6: ("losses", "packages/tt-nn/guides/06-losses.md"),
    7: ("optimizers", "packages/tt-train/guides/07-optimizers.md"),
    8: ("training", "packages/tt-train/guides/08-training.md"),
    9: ("convolution", "packages/tt-vision/guides/09-convolution.md"),
    10: ("data loading", "packages/tt-train/guides/10-data-loading.md"),
    11: ("adaptive optimizers", "packages/tt-train/guides/11-adaptive-optimizers.md"),
    12: ("training techniques", "packages/tt-train/guides/12-training-techniques.md"),
    13: ("attention", "packages/tt-text/guides/13-attention.md"),
    14: ("transformers", "packages/tt-text/guides/14-transformers.md"),
    15: ("generation", "packages/tt-text/guides/15-generation.md"),
}

#: Directory names never copied into a release.
SKIP_DIRS = frozenset(
    {
        ".git",
        "__pycache__",
        ".benchmarks",
        ".hypothesis",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".import_linter_cache",
        "build",
        "dist",
    }
)

_BEGIN = re.compile(r"^([ \t]*)### BEGIN SOLUTION\b(.*?)[ \t]*$")
_END = re.compile(r"^([ \t]*)### END SOLUTION\b(.*?)[ \t]*$")
_NUMBER = re.compile(r"[ \t]+(\d\d)")


class ReleaseError(Exception):
    """A release that cannot be made; nothing has been written."""


class MarkerError(ReleaseError):
    """A malformed solution marker at ``path:line``."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line


@dataclass
class ReleaseResult:
    """What :func:`release` did: blocks stripped per module number, files written."""

    root: Path
    out: Path
    through: int
    stripped: dict[int, int] = field(default_factory=dict)
    files_copied: int = 0
    files_stripped: int = 0


def _replacement(module: int) -> str:
    name, guide = MODULES[module]
    return f'raise NotImplementedError("Module {module:02d} ({name}): write this in {guide}")'


def strip_source(text: str, through: int, path: str = "<string>") -> tuple[str, dict[int, int]]:
    """Return ``text`` with the blocks of modules > ``through`` replaced, and the count per module.

    Validates every marker in ``text`` (also those of kept blocks) and raises
    :class:`MarkerError` naming ``path`` and the 1-based line of the fault.
    Line endings are kept: the replacement line ends like its BEGIN line.
    """
    out: list[str] = []
    counts: dict[int, int] = {}
    open_block: tuple[int, str, int] | None = None  # (module, indent, line number)
    for lineno, line in enumerate(text.splitlines(keepends=True), start=1):
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        begin, end = _BEGIN.match(body), _END.match(body)
        if begin:
            if open_block is not None:
                raise MarkerError(
                    path, lineno, f"nested BEGIN SOLUTION (block open since line {open_block[2]})"
                )
            number = _NUMBER.fullmatch(begin.group(2))
            if number is None:
                raise MarkerError(path, lineno, "BEGIN SOLUTION needs a two-digit module number 01..15")
            module = int(number.group(1))
            if module not in MODULES:
                raise MarkerError(path, lineno, f"module number {number.group(1)} is outside 01..15")
            open_block = (module, begin.group(1), lineno)
            if module > through:
                counts[module] = counts.get(module, 0) + 1
                out.append(begin.group(1) + _replacement(module) + ending)
                continue
        elif end:
            if open_block is None:
                raise MarkerError(path, lineno, "END SOLUTION without BEGIN SOLUTION")
            if end.group(2):
                raise MarkerError(path, lineno, "END SOLUTION takes no argument")
            module, indent, _ = open_block
            if end.group(1) != indent:
                raise MarkerError(
                    path, lineno, f"END SOLUTION indented differently from its BEGIN (line {open_block[2]})"
                )
            open_block = None
            if module > through:
                continue
        elif open_block is not None and open_block[0] > through:
            continue
        out.append(line)
    if open_block is not None:
        raise MarkerError(path, open_block[2], "BEGIN SOLUTION without END SOLUTION")
    return "".join(out), counts


def find_root(start: Path) -> Path:
    """Return the nearest folder at or above ``start`` that holds ``hatch.toml``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "hatch.toml").is_file():
            return folder
    raise ReleaseError(f"no hatch.toml in {start} or any folder above it: not a TinyTorch repository")


def _skipped(name: str) -> bool:
    return name in SKIP_DIRS or name.endswith(".egg-info")


def _walk(root: Path) -> list[Path]:
    """Every file (or symlink) to copy, relative to ``root``, in sorted order."""
    files: list[Path] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not _skipped(d))
        base = Path(folder)
        files.extend((base / n).relative_to(root) for n in sorted(names))
        # Symlinked directories are not descended into by os.walk: copy them as links.
        files.extend((base / d).relative_to(root) for d in dirs if (base / d).is_symlink())
    return files


def _check_out(root: Path, out: Path) -> None:
    if out == root or root in out.parents:
        raise ReleaseError(f"output folder {out} is inside the source tree {root}")
    if out.exists():
        if not out.is_dir():
            raise ReleaseError(f"output path {out} exists and is not a folder")
        if any(out.iterdir()):
            raise ReleaseError(f"output folder {out} is not empty")


def release(root: Path, out: Path, through: int) -> ReleaseResult:
    """Copy ``root`` to ``out`` with the solutions of modules > ``through`` stripped.

    Raises :class:`ReleaseError` (or :class:`MarkerError`) before writing anything
    when ``through`` is not 0..15, ``out`` is non-empty or inside ``root``, or a
    marker is malformed.
    """
    if not 0 <= through <= len(MODULES):
        raise ReleaseError(f"--through must be 0..{len(MODULES)}, got {through}")
    root, out = root.resolve(), out.resolve()
    if not (root / "hatch.toml").is_file():
        raise ReleaseError(f"{root} holds no hatch.toml: not a TinyTorch repository")
    _check_out(root, out)

    result = ReleaseResult(root=root, out=out, through=through)
    stripped: dict[Path, bytes] = {}
    files = _walk(root)
    for rel in files:
        src = root / rel
        if rel.parts[0] == "packages" and rel.suffix == ".py" and not src.is_symlink():
            text = src.read_bytes().decode("utf-8")
            new, counts = strip_source(text, through, rel.as_posix())
            if counts:
                stripped[rel] = new.encode("utf-8")
                for module, n in counts.items():
                    result.stripped[module] = result.stripped.get(module, 0) + n

    out.mkdir(parents=True, exist_ok=True)
    for rel in files:
        src, dst = root / rel, out / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(src), dst)
        elif rel in stripped:
            dst.write_bytes(stripped[rel])
            shutil.copymode(src, dst)
            result.files_stripped += 1
        else:
            shutil.copy2(src, dst)
        result.files_copied += 1
    result.stripped = dict(sorted(result.stripped.items()))
    return result
