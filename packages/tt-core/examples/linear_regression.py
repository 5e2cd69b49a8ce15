"""tt-core demo: fit y = 3x - 2 with nothing but Tensor ops and autograd.

Run with `hatch run demo`. Prints the loss as it falls, the fitted parameters,
the memory the graph held for backward, and a float64 gradient check of the
same model. Exits non-zero if the fit misses, so CI can run it.
"""

from __future__ import annotations

import sys
import time

import tinytorch.core as tt


def main() -> int:
    tt.manual_seed(0)
    x = tt.randn(256, 1)
    y = 3 * x - 2 + 0.1 * tt.randn(256, 1)  # the line to recover, with noise
    w = tt.zeros(1, 1, requires_grad=True)
    b = tt.zeros(1, requires_grad=True)

    start = time.perf_counter()
    for step in range(201):
        loss = ((x @ w + b - y) ** 2).mean()
        if step == 0:
            print(f"graph held for backward: {tt.graph_nbytes(loss):,} bytes (batch of 256)")
        w.grad = b.grad = None
        loss.backward()
        with tt.no_grad():
            w.data -= 0.1 * w.grad.data
            b.data -= 0.1 * b.grad.data
        if step % 40 == 0:
            print(f"step {step:3d}  loss {loss.item():.5f}")
    elapsed = time.perf_counter() - start
    print(f"fitted y = {w.item():.3f} x {b.item():+.3f}  (true: 3x - 2) in {elapsed:.2f} s")

    x64, w64 = x.double(), w.detach().double().requires_grad_()
    tt.gradcheck(lambda w_: ((x64[:8] @ w_ - 1.0) ** 2).mean(), w64)
    print("gradcheck (float64 finite differences): ok")

    fitted = abs(w.item() - 3) < 0.05 and abs(b.item() + 2) < 0.05
    return 0 if fitted and loss.item() < 0.02 else 1


if __name__ == "__main__":
    sys.exit(main())
