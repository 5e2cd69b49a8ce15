"""The ``tinytorch`` command.

``tinytorch release --through N --out DIR [--root PATH]`` writes a student copy of
the repository (see :mod:`tinytorch.course.release`) and prints a one-paragraph
summary. Exit codes: 0 done, 2 refused (bad arguments, bad markers, unusable DIR;
nothing written).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tinytorch.course.release import MODULES, ReleaseError, ReleaseResult, find_root, release

__all__ = ["main", "summary"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tinytorch", description="TinyTorch course tools.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    rel = commands.add_parser(
        "release",
        help="copy the repository with the solutions of modules > N stripped",
        description="Copy the repository into DIR, replacing every solution block of a module > N "
        "by a NotImplementedError that points at the module's guide.",
    )
    rel.add_argument("--through", type=int, required=True, metavar="N", help="last module kept (0..15)")
    rel.add_argument("--out", type=Path, required=True, metavar="DIR", help="empty folder outside the repo")
    rel.add_argument(
        "--root", type=Path, default=None, help="repository root (default: nearest hatch.toml upwards)"
    )
    return parser


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary(result: ReleaseResult) -> str:
    """One paragraph: what was stripped per module and what to do next."""
    if result.stripped:
        blocks = _count(sum(result.stripped.values()), "solution block")
        per_module = ", ".join(
            f"{m:02d} {MODULES[m][0]} ({_count(n, 'block')})" for m, n in result.stripped.items()
        )
        stripped = f"stripped {blocks} in {_count(result.files_stripped, 'file')}: {per_module}"
    else:
        stripped = "stripped no solution blocks"
    kept = (
        f"modules 01-{result.through:02d} keep their solutions"
        if result.through
        else "no module keeps its solutions"
    )
    return (
        f"Released {result.root} through module {result.through:02d} into {result.out}: "
        f"copied {_count(result.files_copied, 'file')} and {stripped}; {kept}. "
        f"Next steps: cd {result.out} && hatch run test "
        f"(tests of modules > {result.through:02d} fail until the student writes them)."
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``tinytorch`` command with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "release":
            root = args.root if args.root is not None else find_root(Path.cwd())
            print(summary(release(root, args.out, args.through)))
    except ReleaseError as err:
        print(f"tinytorch {args.command}: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
