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
