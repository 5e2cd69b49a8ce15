"""tinytorch check-leaks: a planted leak is found in every release it ships in; this repository has none."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinytorch.course.cli import main
from tinytorch.course.leaks import find_leaks, format_leaks, normalise

MARK = "#" * 3
ROOT = next(p for p in Path(__file__).resolve().parents if (p / "hatch.toml").is_file())

BODY = """\
    scores = q @ k.swapaxes(-1, -2) / math.sqrt(d)
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights /= weights.sum(axis=-1, keepdims=True)
    return weights @ v
"""


def make_repo(root: Path) -> Path:
    (root / "packages/x/src/x").mkdir(parents=True)
    (root / "hatch.toml").write_text("")
    (root / "packages/x/src/x/attention.py").write_text(
        f"def attention(q, k, v):\n    {MARK} BEGIN SOLUTION 13\n{BODY}    {MARK} END SOLUTION\n"
    )
    (root / "packages/x/README.md").write_text("# x\n\nAttention is softmax(QK^T / sqrt(d)) V.\n")
    return root


def test_normalise_ignores_layout_and_trivia() -> None:
    assert normalise("   total  =  compute(x,  y)   # why  ") == "total = compute(x, y)"
    assert normalise(">>> weights = np.exp(scores)  # doctest") == "weights = np.exp(scores)"
    assert normalise("    return out") is None  # too short to identify a solution
    assert normalise("# a comment line, however long it is") is None


def test_a_planted_leak_is_found_in_every_release_that_strips_its_block(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    assert find_leaks(repo) == []
    guide = repo / "packages/x/guide.md"
    # Three lines of the body, re-indented and re-spaced, with a line between them that is trivial.
    guide.write_text(
        "Like this:\n\n```python\nscores = q @ k.swapaxes(-1,  -2) / math.sqrt(d)\n\n"
        "scores = scores - scores.max(axis=-1, keepdims=True)\n  weights = np.exp(scores)\n```\n"
    )
    (leak,) = find_leaks(repo)
    assert (leak.path, leak.line, leak.body.module, leak.first, leak.last) == (
        "packages/x/guide.md",
        4,
        13,
        0,
        12,
    )
    report = format_leaks([leak])
    assert "packages/x/guide.md:4: module 13's block at packages/x/src/x/attention.py:2" in report
    assert "(releases through 00..12)" in report
    guide.write_text("Two lines are not a leak:\n" + "\n".join(BODY.splitlines()[:2]) + "\n")
    assert find_leaks(repo) == []


def test_a_test_file_reimplementing_the_body_verbatim_is_a_leak(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "packages/x/tests").mkdir()
    (repo / "packages/x/tests/test_attention.py").write_text("def naive(q, k, v):\n" + BODY)
    (leak,) = find_leaks(repo)
    assert leak.path == "packages/x/tests/test_attention.py"


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "repo")
    assert main(["check-leaks", "--root", str(repo)]) == 0
    assert capsys.readouterr().out.startswith("No leaks")
    (repo / "packages/x/notes.txt").write_text(BODY)
    assert main(["check-leaks", "--root", str(repo)]) == 1
    assert "1 leak(s)" in capsys.readouterr().out


def test_no_release_of_this_repository_leaks() -> None:
    """The course's own check, for every release through 00..14 (CI runs `hatch run leak-check` too)."""
    leaks = find_leaks(ROOT)
    assert not leaks, format_leaks(leaks)
