"""Make a student release of the repository: strip the solutions of later modules.

Contract of :func:`release`:

- Copies the repository tree rooted at ``root`` (the folder holding ``hatch.toml``)
  into ``out``, skipping caches and build output (:data:`SKIP_DIRS`, ``*.egg-info``)
  and every folder named ``instructor`` (:data:`INSTRUCTOR_DIR`: answer keys, fixture
  generators, reference re-implementations -- material that never reaches a student).
- In every ``.py`` file, each solution block of a module greater than ``through`` --
  from its ``### BEGIN SOLUTION NN`` line through its ``### END SOLUTION`` line --
  becomes one line, at the BEGIN line's indentation::

      raise NotImplementedError("Module NN (<name>): write this in <guide path>")

  Blocks of modules ``<= through`` are copied unchanged, markers included.
- Writes :data:`STAMP` (``RELEASE.json``) at the top of the copy: the ``through`` it was
  made with, so the copy's tools know they run in a student release; and one answer sheet
  per module, ``answers/NN-<slug>.md``, holding the guides' systems-thinking questions
  (:mod:`tinytorch.course.questions`; a sheet already in the source is kept).
- File modes and line endings are preserved; every other file is copied byte for byte.
- Everything is validated before anything is written: ``through`` must be 0..15,
  ``out`` must be empty or absent and outside ``root``, every ``.py`` file must be UTF-8
  and every marker well formed -- a comment line that mentions BEGIN/END SOLUTION but
  is not exactly a marker (``## BEGIN SOLUTION 07``, ``### begin solution 07``) is
  refused too, since it would ship its block verbatim. :class:`MarkerError` names the
  file and line.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "INSTRUCTOR_DIR",
    "MODULES",
    "SKIP_DIRS",
    "STAMP",
    "MarkerError",
    "ReleaseError",
    "ReleasePlan",
    "ReleaseResult",
    "find_root",
    "plan_release",
    "read_stamp",
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

#: Folders of this name, at any depth, are instructor-only: a release drops them.
INSTRUCTOR_DIR = "instructor"

#: Written at the top of every release: ``{"through": N}``.
STAMP = "RELEASE.json"

_BEGIN = re.compile(r"^([ \t]*)### BEGIN SOLUTION\b(.*?)[ \t]*$")
_END = re.compile(r"^([ \t]*)### END SOLUTION\b(.*?)[ \t]*$")
_NUMBER = re.compile(r"[ \t]+(\d\d)")
# A comment line that mentions the marker words in any other spelling (## ..., lower case, _).
_MARKER_LIKE = re.compile(r"^[ \t]*#.*\b(BEGIN|END)[ \t_-]*SOLUTION", re.IGNORECASE)


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
        if not (begin or end) and _MARKER_LIKE.match(body):
            raise MarkerError(
                path,
                lineno,
                f"{body.strip()!r} looks like a solution marker but is not one "
                "(write '### BEGIN SOLUTION NN' or '### END SOLUTION'); it would ship its block",
            )
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
    return name in SKIP_DIRS or name == INSTRUCTOR_DIR or name.endswith(".egg-info")


def _walk(root: Path) -> list[Path]:
    """Every file (or symlink) to copy, relative to ``root``, in sorted order."""
    files: list[Path] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not _skipped(d))
        base = Path(folder)
        files.extend((base / n).relative_to(root) for n in sorted(names))
        # Symlinked directories are not descended into by os.walk: copy them as links.
        files.extend((base / d).relative_to(root) for d in dirs if (base / d).is_symlink())
    return [f for f in files if f.as_posix() != STAMP]


def _check_out(root: Path, out: Path) -> None:
    if out == root or root in out.parents:
        raise ReleaseError(f"output folder {out} is inside the source tree {root}")
    for parent in out.parents:
        if parent.exists() and not parent.is_dir():
            raise ReleaseError(f"output path {out}: {parent} exists and is not a folder")
    if out.exists():
        if not out.is_dir():
            raise ReleaseError(f"output path {out} exists and is not a folder")
        if any(out.iterdir()):
            raise ReleaseError(f"output folder {out} is not empty")


@dataclass
class ReleasePlan:
    """What a release through ``through`` holds, before anything is written.

    ``files`` lists every path copied (relative to ``root``, sorted); ``stripped`` maps
    those whose solution blocks were replaced to their new bytes.
    """

    root: Path
    through: int
    files: list[Path]
    stripped: dict[Path, bytes] = field(default_factory=dict)
    blocks: dict[int, int] = field(default_factory=dict)

    def read(self, rel: Path) -> bytes:
        """The bytes ``rel`` has in the release."""
        return self.stripped[rel] if rel in self.stripped else (self.root / rel).read_bytes()


def plan_release(root: Path, through: int) -> ReleasePlan:
    """Validate ``root`` and compute the release through ``through`` (nothing is written)."""
    if not 0 <= through <= len(MODULES):
        raise ReleaseError(f"--through must be 0..{len(MODULES)}, got {through}")
    root = root.resolve()
    if not (root / "hatch.toml").is_file():
        raise ReleaseError(f"{root} holds no hatch.toml: not a TinyTorch repository")
    plan = ReleasePlan(root=root, through=through, files=_walk(root))
    for rel in plan.files:
        src = root / rel
        if rel.suffix != ".py" or src.is_symlink():
            continue
        try:
            text = src.read_bytes().decode("utf-8")
        except UnicodeDecodeError as err:
            line = src.read_bytes()[: err.start].count(b"\n") + 1
            raise MarkerError(rel.as_posix(), line, f"not UTF-8 ({err.reason} at byte {err.start})") from None
        new, counts = strip_source(text, through, rel.as_posix())
        if counts:
            plan.stripped[rel] = new.encode("utf-8")
            for module, n in counts.items():
                plan.blocks[module] = plan.blocks.get(module, 0) + n
    plan.blocks = dict(sorted(plan.blocks.items()))
    return plan


def read_stamp(root: Path) -> int | None:
    """The ``through`` of the release at ``root``, or None when ``root`` is not a release."""
    try:
        data = json.loads((root / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    through = data.get("through") if isinstance(data, dict) else None
    return through if isinstance(through, int) and 0 <= through <= len(MODULES) else None


def release(root: Path, out: Path, through: int) -> ReleaseResult:
    """Copy ``root`` to ``out`` with the solutions of modules > ``through`` stripped.

    Raises :class:`ReleaseError` (or :class:`MarkerError`) before writing anything
    when ``through`` is not 0..15, ``out`` is non-empty or inside ``root``, a ``.py``
    file is not UTF-8, or a marker is malformed.
    """
    plan = plan_release(root, through)
    root, out = plan.root, out.resolve()
    _check_out(root, out)

    result = ReleaseResult(root=root, out=out, through=through, stripped=plan.blocks)
    out.mkdir(parents=True, exist_ok=True)
    for rel in plan.files:
        src, dst = root / rel, out / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(src), dst)
        elif rel in plan.stripped:
            dst.write_bytes(plan.stripped[rel])
            shutil.copymode(src, dst)
            result.files_stripped += 1
        else:
            shutil.copy2(src, dst)
        result.files_copied += 1
    from tinytorch.course.questions import answer_sheet, module_questions, sheet_name

    for module in MODULES:
        sheet = out / sheet_name(module)
        if not sheet.exists():
            sheet.parent.mkdir(exist_ok=True)
            sheet.write_text(answer_sheet(module, module_questions(root, module)), encoding="utf-8")
    # A release of a release holds no more than its source did.
    source = read_stamp(root)
    stamp = through if source is None else min(source, through)
    (out / STAMP).write_text(json.dumps({"through": stamp}) + "\n", encoding="utf-8")
    return result
