"""Broadcasting, backwards (module 05).

When NumPy broadcasts an input of shape (3, 1) against (2, 3, 4), each input
element is used many times: along the new leading axis and along the axis where
it had size 1. The chain rule adds up the gradient of every use, so the
backward of a broadcasting op *sums* the incoming gradient over exactly those
axes, giving back the input's shape. Every broadcasting op's backward goes
through this one helper.
"""

from __future__ import annotations

import numpy as np


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum `grad` (shaped like a broadcast result) down to `shape`.

    Example: grad (2, 3, 4) -> shape (3, 1) sums over axis 0 (added by
    broadcasting) and axis 2 (size 1 in the input), then drops axis 0.
    """
    ### BEGIN SOLUTION 05
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)  # axes broadcasting put in front
    if lead:  # (np.asarray: a full reduction gives a NumPy scalar, we return arrays)
        grad = np.asarray(grad.sum(axis=tuple(range(lead))))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad
    ### END SOLUTION
