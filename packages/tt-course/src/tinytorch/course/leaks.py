"""The leak check (``tinytorch check-leaks``): no release hands over a stripped solution.

For every ``through`` N in 0..14, the release through N (computed by
:func:`~tinytorch.course.release.plan_release`, nothing written) must not hold three or
more consecutive non-trivial lines of a solution block it strips -- in any file: code,
tests, guides, READMEs, docstrings.

Lines are compared normalised: leading and trailing whitespace gone, runs of whitespace
made one space, doctest prompts (``>>>``, ``...``) and inline ``  # comments`` dropped.
A line is *trivial* -- skipped on both sides, so it neither makes nor breaks a run --
when it is blank, a comment, or shorter than :data:`MIN_CHARS` characters (``else:``,
``return out``, a closing bracket). Three consecutive non-trivial lines of a stripped
body, found as three consecutive non-trivial lines anywhere in the release, are a leak.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tinytorch.course.release import _BEGIN, _END, MODULES, plan_release

__all__ = ["MIN_CHARS", "WINDOW", "Leak", "find_leaks", "format_leaks", "normalise", "solution_bodies"]

#: Consecutive non-trivial lines that make a leak.
WINDOW = 3
#: Shorter normalised lines are trivial.
MIN_CHARS = 12

_SPACE = re.compile(r"\s+")
_PROMPT = re.compile(r"^(>>>|\.\.\.)( |$)")
_INLINE_COMMENT = re.compile(r"\s{2,}#.*$")


def normalise(line: str) -> str | None:
    """``line`` as compared, or None when it is trivial."""
    text = _PROMPT.sub("", line.strip())
    text = _INLINE_COMMENT.sub("", text)
    text = _SPACE.sub(" ", text).strip()
    if len(text) < MIN_CHARS or text.startswith("#"):
        return None
    return text


def _significant(lines: list[str]) -> list[tuple[int, str]]:
    """(1-based line number, normalised text) of the non-trivial lines."""
    kept = []
    for number, line in enumerate(lines, start=1):
        text = normalise(line)
        if text is not None:
            kept.append((number, text))
    return kept


@dataclass(frozen=True)
class Body:
    """One solution block: module, where it is, its lines."""

    module: int
    path: str
    line: int  # the BEGIN line
    lines: tuple[str, ...]


def solution_bodies(text: str, path: str) -> Iterator[Body]:
    """Every solution block of ``text`` (validated markers assumed: see ``strip_source``)."""
    module, start, lines = 0, 0, list[str]()
    for number, line in enumerate(text.splitlines(), start=1):
        begin = _BEGIN.match(line)
        if begin:
            module, start, lines = int(begin.group(2).strip()), number, []
        elif _END.match(line) and module:
            yield Body(module, path, start, tuple(lines))
            module = 0
        elif module:
            lines.append(line)


@dataclass(frozen=True)
class Leak:
    """Lines of a stripped body found in releases ``first``..``last`` at ``path:line``."""

    path: str
    line: int
    body: Body
    lines: tuple[str, ...]
    first: int
    last: int


def _text(data: bytes) -> str | None:
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def find_leaks(root: Path, throughs: range = range(len(MODULES))) -> list[Leak]:
    """Every leak in the releases through each N of ``throughs``, one entry per place and body."""
    found: dict[tuple[str, int, str, int], Leak] = {}
    bodies: list[Body] = []
    for through in throughs:
        plan = plan_release(root, through)
        if not bodies:  # every block of the tree, read once
            for rel in plan.files:
                if rel.suffix == ".py" and not (root / rel).is_symlink():
                    text = (root / rel).read_text(encoding="utf-8")
                    bodies.extend(solution_bodies(text, rel.as_posix()))
        windows: dict[tuple[str, ...], Body] = {}
        for body in bodies:
            if body.module <= through:
                continue
            texts = [t for _, t in _significant(list(body.lines))]
            for i in range(len(texts) - WINDOW + 1):
                windows.setdefault(tuple(texts[i : i + WINDOW]), body)
        for rel in plan.files:
            if (root / rel).is_symlink():
                continue
            released = _text(plan.read(rel))
            if released is None:
                continue
            kept = _significant(released.splitlines())
            previous: Body | None = None
            for i in range(len(kept) - WINDOW + 1):
                key = tuple(t for _, t in kept[i : i + WINDOW])
                source, same_run = windows.get(key), previous
                previous = source
                if source is None or source == same_run:  # consecutive windows of one body: one leak
                    continue
                place = (rel.as_posix(), kept[i][0], source.path, source.line)
                old = found.get(place)
                first = through if old is None else old.first
                found[place] = Leak(rel.as_posix(), kept[i][0], source, key, first, through)
    return sorted(found.values(), key=lambda k: (k.path, k.line))


def format_leaks(leaks: list[Leak], throughs: range = range(len(MODULES))) -> str:
    """A report: one paragraph per leak, or the all-clear."""
    span = f"{throughs.start:02d}..{throughs.stop - 1:02d}"
    if not leaks:
        return f"No leaks: no release through {span} holds {WINDOW} consecutive lines of a body it strips."
    lines = [f"{len(leaks)} leak(s): a release holds lines of a solution it strips."]
    for leak in leaks:
        body = leak.body
        releases = f"{leak.first:02d}" if leak.first == leak.last else f"{leak.first:02d}..{leak.last:02d}"
        lines.append(
            f"{leak.path}:{leak.line}: module {body.module:02d}'s block at {body.path}:{body.line} "
            f"(releases through {releases})"
        )
        lines += [f"    {text}" for text in leak.lines]
    return "\n".join(lines)
