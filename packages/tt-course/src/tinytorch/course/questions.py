"""The guides' systems-thinking questions, the student's answer sheets, and the answer keys.

- Every guide of module NN (``packages/*/guides/NN-*.md``, the catalog's guide first) has one
  or more sections headed "Systems-thinking questions" holding a numbered list; the module's
  questions are all of them in order, numbered 1..n across the guides (:func:`module_questions`).
- A release writes one answer sheet per module into the copy, ``answers/NN-<slug>.md``
  (:func:`answer_sheet`); the student writes below each quoted question. ``tinytorch grade``
  reads the sheets back (:func:`read_sheet`), counts the questions answered and keeps the text.
- The instructor's answer key of module NN is ``instructor/answers/NN-<slug>.md`` (instructor-
  only: releases drop it), with one ``## Q<k> ...`` section per question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tinytorch.course.release import MODULES

__all__ = [
    "ANSWERS_DIR",
    "KEYS_DIR",
    "MAX_SHEET_BYTES",
    "Question",
    "answer_sheet",
    "guide_questions",
    "module_guides",
    "module_questions",
    "read_sheet",
    "sheet_name",
]

#: Where a copy's answer sheets live, relative to its root.
ANSWERS_DIR = "answers"
#: Where the reference's answer keys live (instructor-only).
KEYS_DIR = "instructor/answers"
#: Larger sheets are not read by ``grade`` (a note says so).
MAX_SHEET_BYTES = 512 * 1024

_HEADING = re.compile(r"^#{1,6}\s")
_QUESTIONS_HEADING = re.compile(r"^#{1,6}\s+(?:\d+\.\s*)?Systems-thinking questions\s*$", re.IGNORECASE)
_ITEM = re.compile(r"^(\d+)\.\s+(.*)$")
_SHEET_QUESTION = re.compile(r"^## Q(\d+)\s*$", re.MULTILINE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


@dataclass(frozen=True)
class Question:
    """Question ``number`` (1-based within its module) and its text, from ``guide``."""

    number: int
    guide: str
    text: str


def guide_questions(text: str) -> list[str]:
    """The numbered items of every "Systems-thinking questions" section of a guide, in order."""
    questions: list[str] = []
    inside = False
    for line in text.splitlines():
        if _HEADING.match(line):
            inside = bool(_QUESTIONS_HEADING.match(line))
            continue
        if not inside:
            continue
        item = _ITEM.match(line)
        if item:
            questions.append(item.group(2).strip())
        elif questions and line.startswith((" ", "\t")) and line.strip():
            questions[-1] += " " + line.strip()
    return questions


def module_guides(root: Path, module: int) -> list[Path]:
    """Module ``module``'s guides below ``root``: the catalog's guide first, then the others by name."""
    main = root / MODULES[module][1]
    others = sorted(p for p in root.glob(f"packages/*/guides/{module:02d}-*.md") if p != main)
    return [p for p in [main, *others] if p.is_file()]


def module_questions(root: Path, module: int) -> list[Question]:
    """Every systems-thinking question of module ``module``, numbered 1..n across its guides."""
    found: list[Question] = []
    for guide in module_guides(root, module):
        for text in guide_questions(guide.read_text(encoding="utf-8")):
            found.append(Question(len(found) + 1, guide.relative_to(root).as_posix(), text))
    return found


def sheet_name(module: int) -> str:
    """``answers/05-autograd.md``: the stem of the module's catalog guide."""
    return f"{ANSWERS_DIR}/{Path(MODULES[module][1]).stem}.md"


def answer_sheet(module: int, questions: list[Question]) -> str:
    """The empty answer sheet of one module, as a release writes it."""
    name, guide = MODULES[module]
    lines = [
        f"# Module {module:02d} ({name}): your answers",
        "",
        f"The systems-thinking questions of {guide}. Write each answer below its question, with the "
        "numbers you measured and the command you ran. Keep the `## Q` headings: "
        "`tinytorch grade` reads this file.",
    ]
    for q in questions:
        lines += ["", f"## Q{q.number}", "", f"> {q.text}", "", "<!-- your answer below this line -->", ""]
    return "\n".join(lines) + "\n"


def read_sheet(text: str) -> dict[int, str]:
    """Question number -> the student's answer (quoted question and comments removed; may be empty)."""
    answers: dict[int, str] = {}
    parts = _SHEET_QUESTION.split(text)
    for number, body in zip(parts[1::2], parts[2::2], strict=True):
        body = _COMMENT.sub("", body)
        kept = [line for line in body.splitlines() if not line.lstrip().startswith(">")]
        answers[int(number)] = "\n".join(kept).strip()
    return answers
