"""The error function erf(x) on NumPy arrays (given code, used by exact GELU).

It lives in tt-core now (`tinytorch.core.special`, behind `tinytorch.core.erf`);
this module keeps the old import path working.
"""

from tinytorch.core.special import erf

__all__ = ["erf"]
