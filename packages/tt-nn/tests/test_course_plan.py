"""Module 04: the course plan's phase-1 milestone code runs as written, with guide 04's setup.

The plan's line (`PLAN_*`) is executed exactly as the plan writes it, after the setup blocks
(`SETUP_*`) that guide 04 shows verbatim: tt-course's tests/test_course_plan_guides.py checks
that every `PLAN_*` and `SETUP_*` string below appears in `GUIDE_PATH`, so the guide and this
test cannot drift apart.
"""

import numpy as np
import pytest

pytestmark = pytest.mark.module04

GUIDE_PATH = "packages/tt-nn/guides/04-layers.md"

SETUP_NETWORK = """\
import numpy as np
import tinytorch.core as tt
from tinytorch.nn import Linear, ReLU, Sequential

tt.manual_seed(0)
net = Sequential([Linear(2, 4), ReLU(), Linear(4, 1)])
xor_input = tt.Tensor(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32))
"""

SETUP_XOR_WEIGHTS = """\
net.load_state_dict(
    {
        "0.weight": np.array([[1, 1], [1, 1], [0, 0], [0, 0]], dtype=np.float32),
        "0.bias": np.array([0, -1, 0, 0], dtype=np.float32),
        "2.weight": np.array([[1, -2, 0, 0]], dtype=np.float32),
        "2.bias": np.array([0], dtype=np.float32),
    }
)
"""

#: The course plan, phase 1: a network of tinytorch.nn layers applied to the XOR inputs.
PLAN_PHASE1 = """\
net(xor_input)
"""


def test_phase1_net_of_xor_input_runs_as_written():
    namespace: dict = {}
    exec(SETUP_NETWORK, namespace)
    output = eval(PLAN_PHASE1, namespace)
    assert output.shape == (4, 1) and output.dtype == np.float32
    # the random network's forward, computed here in NumPy from its own weights
    state = namespace["net"].state_dict()
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    hidden = np.maximum(x @ state["0.weight"].T + state["0.bias"], 0)
    np.testing.assert_allclose(output.numpy(), hidden @ state["2.weight"].T + state["2.bias"], rtol=1e-6)

    exec(SETUP_XOR_WEIGHTS, namespace)
    np.testing.assert_array_equal(eval(PLAN_PHASE1, namespace).numpy(), [[0], [1], [1], [0]])  # XOR, exactly
