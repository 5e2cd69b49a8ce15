"""tinytorch.course: the ``tinytorch`` command for students and instructors.

It imports none of the phase packages (tinytorch.core, .nn, .train, ...) and
needs only the standard library. So far: ``tinytorch release`` (see
:mod:`tinytorch.course.release`).
"""

# The ``release`` function is not re-exported: ``tinytorch.course.release`` stays the module.
from tinytorch.course.release import MODULES, MarkerError, ReleaseError, ReleaseResult

__all__ = ["MODULES", "MarkerError", "ReleaseError", "ReleaseResult"]
__version__ = "0.1.0"
