"""Module 01 (given code): `forbid`, the guard the tests of a student's version run it under."""

from __future__ import annotations

import sys
import types

import pytest

from tinytorch.core.testing import forbid

pytestmark = pytest.mark.module01

SOURCE = '''
def tuned(x):
    """The given twin."""
    return 2 * x


def textbook(x):
    """A student's block that delegates instead of writing the rule."""
    return tuned(x)


def written(x):
    """A student's block that writes the rule."""
    return x + x
'''


def test_forbid_refuses_the_given_twin_then_restores_it(monkeypatch):
    home = types.ModuleType("tinytorch._forbid_example")
    exec(SOURCE, vars(home))
    alias = types.ModuleType("tinytorch._forbid_alias")
    alias.twin = home.tuned  # a re-export under another name
    monkeypatch.setitem(sys.modules, home.__name__, home)
    monkeypatch.setitem(sys.modules, alias.__name__, alias)
    tuned = home.tuned

    with forbid(home.textbook, "tuned"):
        assert home.written(3) == 6  # the rule written out runs
        message = "textbook must compute the rule itself, not call the given tuned"
        with pytest.raises(AssertionError, match=message):
            home.textbook(3)
        with pytest.raises(AssertionError, match=message):
            alias.twin(3)
    assert home.tuned is tuned and alias.twin is tuned and home.textbook(3) == 6

    with pytest.raises(ZeroDivisionError), forbid(home.textbook, "tuned"):
        1 / 0  # noqa: B018 - an error inside the block
    assert home.tuned is tuned and alias.twin is tuned
