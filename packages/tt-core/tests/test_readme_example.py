"""The README's "How another course adds an op" example runs as written (and autograd.py's
docstring shows the same op)."""

import re
from pathlib import Path

import pytest

import tinytorch.core.autograd as autograd

pytestmark = pytest.mark.module05

README = Path(__file__).parents[1] / "README.md"


def _example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## How another course adds an op") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_op_passes_gradcheck_and_the_engine_docstring_shows_it():
    code = _example()
    assert "assert gradcheck(Hypot.apply" in code
    assert re.search(r"return unbroadcast\(.*\)", code).group(0) in autograd.__doc__
    exec(compile(code, str(README), "exec"), {})  # ends with `assert gradcheck(Hypot.apply, x, y)`
