"""Tamper evidence for a grading run: tests renamed per run, and canaries planted among them.

The grader cannot stop code it runs from lying in its own process (patching pytest, rewriting
the outcome stream, exiting early with a forged report). It makes such lies show:

- every test function of the grading copy of the suite gets a fresh random name, so code that
  forges results for tests it knows by name (the student's copy holds the same tests) finds
  none of them;
- canaries, tests with the same kind of random names and outcomes the grader knows (some must
  pass, some must fail), are planted between the real tests of every file. A run that reports
  a canary wrongly, or skips one while the tests around it ran, was tampered with.

What this does not catch: code written against this grader specifically, which reads the
suite on disk, recognises the canaries and forges the rest. Such code sits in the student's
copy, where a reviewer finds it; the docs (``instructors.md``) say so.
"""

from __future__ import annotations

import ast
import random
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Disguise", "disguise_suite", "random_test_name"]

_ALPHABET = string.ascii_lowercase + string.digits


def random_test_name(rng: random.Random) -> str:
    """``test_`` and 12 random letters or digits: real tests and canaries look alike."""
    return "test_" + "".join(rng.choice(_ALPHABET) for _ in range(12))


@dataclass
class Disguise:
    """What :func:`disguise_suite` did: renamed tests and planted canaries, by node id."""

    renamed: dict[str, str] = field(default_factory=dict)  # disguised "file::[Class::]name" -> real
    canaries: dict[str, str] = field(default_factory=dict)  # node id -> "passed" or "failed"

    def real(self, nodeid: str) -> str:
        """The reported node id with the real test name put back (parametrization kept)."""
        base, bracket, params = nodeid.partition("[")
        return self.renamed.get(base, base) + bracket + params


def _canary(name: str, passes: bool, rng: random.Random, markers: Iterable[str] = ()) -> str:
    values = [rng.randint(2, 97) for _ in range(rng.randint(3, 6))]
    total = sum(values) + (0 if passes else rng.choice((-1, 1)) * rng.randint(1, 9))
    decorators = "".join(f"@pytest.mark.{m}\n" for m in markers)
    return f"\n\n{decorators}def {name}():\n    values = {values}\n    assert sum(values) == {total}\n\n"


def _test_defs(tree: ast.Module) -> list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, str]]:
    """Test functions pytest collects: ``test*`` at module level and in ``Test*`` classes,
    each with its node-id prefix inside the file (``name`` or ``Class::name``)."""
    found: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, str]] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
            found.append((node, node.name))
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name.startswith("test"):
                    found.append((item, f"{node.name}::{item.name}"))
    return found


def _disguise_file(
    path: Path, prefix: str, outcomes: list[str], rng: random.Random, disguise: Disguise
) -> None:
    """Rename the tests of one file (node ids start with ``prefix``) and plant its canaries."""
    source = path.read_text(encoding="utf-8")
    if not source.endswith("\n"):
        source += "\n"
    tree = ast.parse(source, filename=str(path))
    lines = source.splitlines(keepends=True)
    # Rename every test whose name appears nowhere else in the file (a test referred to by name,
    # e.g. reused as a helper, keeps it).
    for node, local in _test_defs(tree):
        if len(re.findall(rf"\b{re.escape(node.name)}\b", source)) != 1:
            continue
        new = random_test_name(rng)
        line = lines[node.lineno - 1]
        lines[node.lineno - 1] = re.sub(rf"\bdef\s+{re.escape(node.name)}\b", f"def {new}", line, count=1)
        disguise.renamed[f"{prefix}::{local.removesuffix(node.name)}{new}"] = f"{prefix}::{local}"
    # Canaries go before randomly chosen top-level tests (decorators included) or at the end.
    starts = [
        min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    ]
    # A file whose tests carry their module markers one by one (not one ``pytestmark``) gives its
    # canaries every module marker it uses, so a run of any of those modules selects them.
    markers = sorted(set(re.findall(r"\bpytest\.mark\.(module\d\d)\b", source)))
    inserts: dict[int, list[str]] = {}
    for outcome in outcomes:
        name = random_test_name(rng)
        inserts.setdefault(rng.choice([*starts, len(lines)]), []).append(
            _canary(name, outcome == "passed", rng, markers)
        )
        disguise.canaries[f"{prefix}::{name}"] = outcome
    out: list[str] = []
    for index, line in enumerate([*lines, ""]):
        out += inserts.get(index, [])
        out.append(line)
    path.write_text("".join(out), encoding="utf-8")


def disguise_suite(root: Path, files: Iterable[Path], rng: random.Random | None = None) -> Disguise:
    """Rename the tests of ``files`` (below ``root``, the pytest rootdir) and plant canaries.

    Each file gets one or two canaries, each passing or failing at random; a run always holds
    at least one of each kind.
    """
    rng = rng if rng is not None else random.SystemRandom()
    files = sorted(files)
    counts = [2 if len(files) == 1 else rng.randint(1, 2) for _ in files]
    outcomes = [rng.choice(("passed", "failed")) for _ in range(sum(counts))]
    if len(set(outcomes)) == 1 and outcomes:  # make sure both kinds are there
        flip = rng.randrange(len(outcomes))
        outcomes[flip] = "failed" if outcomes[flip] == "passed" else "passed"
    disguise = Disguise()
    for path, count in zip(files, counts, strict=True):
        mine, outcomes = outcomes[:count], outcomes[count:]
        _disguise_file(path, path.relative_to(root).as_posix(), mine, rng, disguise)
    return disguise
