"""Milestone 1 (phase 1: modules 01-04): XOR inference with a two-layer network.

`net = Sequential([Linear(2, 4), ReLU(), Linear(4, 1)])` runs forward on the
four XOR points twice: with its random initial weights (any output, but the
right shapes), and with hand-set weights loaded through `load_state_dict`,
which compute XOR exactly. No training yet: that is milestone 2.

Run: `hatch run milestones:xor` (both XOR milestones). Exits non-zero on failure.
"""

from __future__ import annotations

import sys

import _gate  # milestones/_gate.py: a clear stop at a module not written yet
import numpy as np

import tinytorch.core as tt
from tinytorch.nn import Linear, ReLU, Sequential

NEEDS = "01-04"  # the modules this milestone runs (tt-course's catalog, kept equal by its tests)

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=np.float32)

# relu(x1 + x2) - 2 relu(x1 + x2 - 1) is XOR on {0, 1}^2; two hidden units stay unused.
XOR_WEIGHTS = {
    "0.weight": np.array([[1, 1], [1, 1], [0, 0], [0, 0]], dtype=np.float32),
    "0.bias": np.array([0, -1, 0, 0], dtype=np.float32),
    "2.weight": np.array([[1, -2, 0, 0]], dtype=np.float32),
    "2.bias": np.array([0], dtype=np.float32),
}


def main() -> int:
    tt.manual_seed(0)
    net = Sequential([Linear(2, 4), ReLU(), Linear(4, 1)])
    print(net)
    x = tt.Tensor(XOR_X)
    with tt.no_grad():
        random_out = net(x)
    print("random weights:   ", np.round(random_out.numpy().ravel(), 4))

    net.load_state_dict(XOR_WEIGHTS)
    with tt.no_grad():
        out = net(x)
    print("hand-set weights: ", out.numpy().ravel(), " (target", XOR_Y.ravel(), ")")
    ok = random_out.shape == (4, 1) and np.array_equal(out.numpy(), XOR_Y)
    print("milestone 1 (XOR inference):", "PASSED" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(_gate.run(NEEDS, main, __file__))
