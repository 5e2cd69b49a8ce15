"""The guides' questions, the answer sheets a release writes, and the instructor's answer keys."""

from __future__ import annotations

from pathlib import Path

from tinytorch.course.questions import (
    answer_sheet,
    guide_questions,
    module_questions,
    read_sheet,
)

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "hatch.toml").is_file())

GUIDE = """# Module 99

## 3. Memory
1. Not a question: a numbered step outside the questions section.

## 5. Systems-thinking questions

1. First question,
   continued on a second line.
2. Second question.

## Part two

### 5. Systems-thinking questions
1. Third, in another part of the guide.
"""


def test_questions_come_from_every_questions_section_in_order() -> None:
    assert guide_questions(GUIDE) == [
        "First question, continued on a second line.",
        "Second question.",
        "Third, in another part of the guide.",
    ]


def test_an_answer_sheet_reads_back_only_what_the_student_wrote() -> None:
    questions = module_questions(ROOT, 2)
    sheet = answer_sheet(2, questions)
    assert read_sheet(sheet) == {q.number: "" for q in questions}
    written = sheet.replace("## Q2\n", "## Q2\n\nA stride of 0.\n> quoted, so not mine\n", 1)
    assert read_sheet(written)[2] == "A stride of 0."


def test_students_guide_lists_every_test_that_passes_on_given_code() -> None:
    """students.md names each test of check.CANNOT_FAIL_ALLOWED, so a student is not misled by them."""
    from tinytorch.course.check import CANNOT_FAIL_ALLOWED

    guide = (ROOT / "packages/tt-course/guides/students.md").read_text(encoding="utf-8")
    section = guide[guide.index("**Tests that pass before you write anything.**") :]
    rows = [
        r
        for r in section[: section.index("The tests of `packages/tt-course`")].splitlines()
        if r.startswith("|")
    ]
    for nodeid in CANNOT_FAIL_ALLOWED:  # a test id, or a whole file of tests of given library code
        path, _, name = nodeid.partition("::")
        wanted = [f"`{Path(path).name}`"] + ([f"`{name}`"] if name else [])
        row = next((r for r in rows if all(w in r for w in wanted)), None)
        assert row is not None, f"students.md does not list {nodeid}"
