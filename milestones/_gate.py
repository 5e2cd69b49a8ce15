"""Run a milestone script; stop with a clear message at code the student has not written yet.

In a student release, a solution block of an unfinished module is
``raise NotImplementedError("Module NN (name): write this in <guide>")``. A milestone that
reaches one stops with the message ``tinytorch milestones`` prints, instead of a traceback.
Each script states the modules it needs (``NEEDS``); tt-course's tests keep those equal to
the course catalog.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

_NOT_WRITTEN = re.compile(r"Module (\d\d) \(([^)]*)\): write this in ([^\s\"]+)")
_ROOT = Path(__file__).resolve().parents[1]


def _modules(needs: str) -> set[int]:
    """``"01-08, 10-15"`` -> {1, ..., 8, 10, ..., 15}."""
    numbers: set[int] = set()
    for part in needs.split(","):
        first, _, last = part.strip().partition("-")
        numbers.update(range(int(first), int(last or first) + 1))
    return numbers


def _unwritten(needs: set[int]) -> dict[int, tuple[str, str, int]]:
    """Module -> (name, guide, places) for the needed modules whose code still raises."""
    found: dict[int, tuple[str, str, int]] = {}
    for path in sorted(_ROOT.glob("packages/*/src/**/*.py")):
        for match in _NOT_WRITTEN.finditer(path.read_text(encoding="utf-8", errors="replace")):
            module = int(match.group(1))
            if module in needs:
                name, guide, places = found.get(module, (match.group(2), match.group(3), 0))
                found[module] = (name, guide, places + 1)
    return dict(sorted(found.items()))


def run(needs: str, main: Callable[[], int], script: str) -> int:
    """``main()``'s exit code, or 1 with "needs modules ..." when it reaches unwritten code."""
    try:
        return main()
    except NotImplementedError as err:
        reached = _NOT_WRITTEN.fullmatch(str(err))
        if reached is None:
            raise
        missing = _unwritten(_modules(needs)) or {
            int(reached.group(1)): (reached.group(2), reached.group(3), 1)
        }
        shown = Path(script).resolve()
        print(
            f"{shown.relative_to(_ROOT) if shown.is_relative_to(_ROOT) else shown} needs modules {needs}; "
            "not done yet: "
            + "; ".join(
                f"{m:02d} {name} ({places} solution block{'s' * (places > 1)} not written)"
                for m, (name, _, places) in missing.items()
            )
            + "."
        )
        first = min(missing)
        guide = missing[first][1]
        print(f"Finish them first (`tinytorch test {first:02d}`, guide {guide}), then run it again.")
        return 1
