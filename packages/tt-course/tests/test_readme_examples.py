"""tt-core's README example op is the one autograd.py's docstring shows (tt-core's
test_docstring_example.py runs that one through gradcheck)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import tinytorch.core.autograd as autograd

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "hatch.toml").is_file())


def _code_lines(code: str) -> list[str]:
    """The class's code: no comments, blank lines or docstrings, dedented."""
    code = textwrap.dedent(code)
    body = code[code.index("class Hypot") :]
    body = re.sub(r'^\s*""".*?"""\n', "", body, flags=re.M | re.S)
    lines = [re.sub(r"\s+#.*$", "", line).rstrip() for line in body.splitlines()]
    code_lines = [line for line in lines if line.strip()]
    end = next((i for i, line in enumerate(code_lines) if not line.startswith((" ", "class"))), None)
    return code_lines[:end]


def test_the_readme_example_op_is_the_engine_docstrings() -> None:
    readme = (ROOT / "packages/tt-core/README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## How another course adds an op") :]
    readme_code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    docstring_code = re.search(r"::\n\n(.*?)\n\n\S", autograd.__doc__, re.S).group(1)
    readme_class, doc_class = _code_lines(readme_code), _code_lines(docstring_code)
    assert len(readme_class) >= 8, readme_class
    assert readme_class == doc_class
