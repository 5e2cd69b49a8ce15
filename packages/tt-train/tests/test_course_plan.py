"""Module 07: the course plan's phase-2 milestone code runs as written, with guide 07's setup.

The plan's training loop (`PLAN_*`) is executed exactly as the plan writes it — without
`zero_grad`, module 07's lesson on gradient accumulation — after the setup (`SETUP_*`) that
guide 07 shows verbatim; then the guide's fixed loop. tt-course's
tests/test_course_plan_guides.py checks that every `PLAN_*` and `SETUP_*` string below appears
in `GUIDE_PATH`, so the guide and this test cannot drift apart.
"""

import numpy as np
import pytest

import tinytorch.core as tt
from tinytorch.nn import Linear, ReLU, Sequential
from tinytorch.nn.functional import mse_loss

pytestmark = pytest.mark.module07

GUIDE_PATH = "packages/tt-train/guides/07-optimizers.md"

SETUP_XOR = """\
import numpy as np
import tinytorch.core as tt
from tinytorch.nn import Linear, ReLU, Sequential
from tinytorch.nn.functional import mse_loss
from tinytorch.train.optim import SGD

tt.manual_seed(0)
net = Sequential([Linear(2, 4), ReLU(), Linear(4, 1)])
xor_input = tt.Tensor(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32))
xor_target = tt.Tensor(np.array([[0], [1], [1], [0]], dtype=np.float32))
optimizer = SGD(net.parameters(), lr=0.1)
"""

#: The course plan, phase 2, as it writes it: no zero_grad.
PLAN_PHASE2 = """\
for epoch in range(1000):
    output = net(xor_input)
    loss = mse_loss(output, xor_target)
    loss.backward()
    optimizer.step()
print(loss.data)
"""

#: Guide 07's fix.
SETUP_FIXED_LOOP = """\
for epoch in range(1000):
    optimizer.zero_grad()
    output = net(xor_input)
    loss = mse_loss(output, xor_target)
    loss.backward()
    optimizer.step()
print(loss.data)
"""

XOR_TARGET = np.array([[0], [1], [1], [0]], dtype=np.float32)


def fresh_gradient(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """dL/dp of the XOR loss at the weights `state`, in a network of its own (no accumulation)."""
    probe = Sequential([Linear(2, 4), ReLU(), Linear(4, 1)])
    probe.load_state_dict(state)
    x = tt.Tensor(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32))
    mse_loss(probe(x), tt.Tensor(XOR_TARGET)).backward()
    return {name: p.grad.numpy().copy() for name, p in probe.named_parameters()}


def test_phase2_loop_without_zero_grad_accumulates_and_learns_nothing(capsys):
    namespace: dict = {}
    exec(SETUP_XOR, namespace)
    net, optimizer = namespace["net"], namespace["optimizer"]
    # Watch the first steps: the weights each step starts from and the gradient it is given.
    seen: list[tuple[dict[str, np.ndarray], dict[str, np.ndarray]]] = []
    step = optimizer.step

    def watched_step() -> None:
        if len(seen) < 3:
            grads = {name: p.grad.numpy().copy() for name, p in net.named_parameters()}
            seen.append((net.state_dict(), grads))
        step()

    optimizer.step = watched_step
    exec(PLAN_PHASE2, namespace)

    loss = namespace["loss"]
    assert capsys.readouterr().out == str(loss.data) + "\n"  # print(loss.data): the last loss
    # what guide 07 says: after step k, p.grad = g_1 + ... + g_k, each g_i the gradient at step i
    total = {name: np.zeros_like(g) for name, g in seen[0][1].items()}
    for state, grads in seen:
        for name, g in fresh_gradient(state).items():
            total[name] += g
            np.testing.assert_allclose(grads[name], total[name], rtol=1e-5, atol=1e-7, err_msg=name)
    assert float(loss.data) > 0.05  # 1,000 steps of accumulated gradients: XOR not learned


def test_phase2_loop_with_zero_grad_learns_xor(capsys):
    namespace: dict = {}
    exec(SETUP_XOR, namespace)
    exec(SETUP_FIXED_LOOP, namespace)
    loss = namespace["loss"]
    assert capsys.readouterr().out == str(loss.data) + "\n"
    assert float(loss.data) < 0.01
    np.testing.assert_array_equal(namespace["output"].numpy() > 0.5, XOR_TARGET > 0.5)
