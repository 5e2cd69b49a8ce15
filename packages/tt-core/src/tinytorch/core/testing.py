"""Given code the tests grade with: `forbid`, which keeps a student's block from calling its given twin.

Where a tuned version is given beside the student's textbook one (`stable_sigmoid_inplace`
beside `stable_sigmoid`, `train_merges` beside `train_reference`, `adam_update` beside
`Adam.update`), a block that only calls the twin would pass every test of the rule. The tests
that grade the student's version run it under `forbid`, so such a block fails, naming both.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

__all__ = ["forbid"]


@contextmanager
def forbid(student: Callable[..., Any], given: str) -> Iterator[None]:
    """Inside the `with` block, calling the given function `given` raises AssertionError.

    `given` is looked up in the module of `student` (where the student's code finds it); that
    object is replaced under every name any loaded `tinytorch` module binds it to (an alias or a
    re-export refuses too), and put back on leaving the block, also after an error.

        with forbid(stable_sigmoid, "stable_sigmoid_inplace"):
            expected = stable_sigmoid(x)  # the student's rule, not the given twin
    """
    original = getattr(sys.modules[student.__module__], given)
    message = f"{student.__qualname__} must compute the rule itself, not call the given {given}"

    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        raise AssertionError(message)

    modules = [m for name, m in list(sys.modules.items()) if name.split(".")[0] == "tinytorch" and m]
    bound = [(m, name) for m in modules for name, value in list(vars(m).items()) if value is original]
    for module, name in bound:
        setattr(module, name, refuse)
    try:
        yield
    finally:
        for module, name in bound:
            setattr(module, name, original)
