"""Instructor-only (releases drop this folder): every guide question has a worked answer in its key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tinytorch.course.questions import KEYS_DIR, module_questions, sheet_name
from tinytorch.course.release import MODULES, plan_release

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "hatch.toml").is_file())


@pytest.mark.parametrize("module", list(MODULES))
def test_every_question_has_an_answer_in_the_instructors_key(module: int) -> None:
    """instructor/answers/NN-<slug>.md: one '## Q<k>' section per question of the module's guides."""
    questions = module_questions(ROOT, module)
    assert 5 <= len(questions) <= 20, f"module {module:02d} has {len(questions)} questions"
    key = ROOT / KEYS_DIR / Path(sheet_name(module)).name
    assert key.is_file(), f"no answer key {key.relative_to(ROOT)}"
    text = key.read_text(encoding="utf-8")
    assert text.startswith(f"# Module {module:02d} "), "the key's first line names its module"
    numbers = [int(n) for n in re.findall(r"^## Q(\d+)\b", text, re.MULTILINE)]
    assert numbers == list(range(1, len(questions) + 1)), f"{key.name}: sections {numbers}"
    sections = re.split(r"^## Q\d+\b.*$", text, flags=re.MULTILINE)[1:]
    short = [i + 1 for i, body in enumerate(sections) if len(body.split()) < 25]
    assert not short, f"{key.name}: questions {short} have no worked answer"


def test_no_release_holds_an_answer_key() -> None:
    for through in (0, 15):
        files = plan_release(ROOT, through).files
        leaked = [f for f in files if "instructor" in f.parts or f.parts[:2] == tuple(KEYS_DIR.split("/"))]
        assert not leaked, leaked
