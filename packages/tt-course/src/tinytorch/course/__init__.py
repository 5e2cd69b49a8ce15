"""tinytorch.course: the ``tinytorch`` command for students and instructors.

It imports none of the phase packages (tinytorch.core, .nn, .train, ...) and
needs only the standard library (NumPy and the tests run in subprocesses). Subcommands:
doctor, status, test, milestones, release, grade, bench, check-releases (see
:mod:`tinytorch.course.cli`).
"""

# The ``release`` function is not re-exported: ``tinytorch.course.release`` stays the module.
from tinytorch.course.release import MODULES, MarkerError, ReleaseError, ReleaseResult

__all__ = ["MODULES", "MarkerError", "ReleaseError", "ReleaseResult"]
__version__ = "0.4.0"
