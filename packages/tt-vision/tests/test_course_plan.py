"""Module 11: the course plan's phase-3 milestone code runs as written, with guide 10-mnist's setup.

The plan's two lines (`PLAN_*`) are executed exactly as the plan writes them, after the setup
blocks (`SETUP_*`) that guide 10-mnist shows verbatim: the course plan's CNN, Adam, the real
MNIST (from `$TINYTORCH_DATA` in CI, else the user's cache or a download, as test_mnist.py's
real-data tests), and the guide's quick look of 2,000 training images. Module 11 because the
setup trains with Adam (Conv2d, MNIST and `fit` taking a Dataset come before). tt-course's
tests/test_course_plan_guides.py checks that every `PLAN_*` and `SETUP_*` string below appears
in `GUIDE_PATH`, so the guide and this test cannot drift apart.
"""

import pytest

pytestmark = pytest.mark.module11

GUIDE_PATH = "packages/tt-vision/guides/10-mnist.md"

SETUP_CNN = """\
import tinytorch.core as tt
from tinytorch.nn import CrossEntropyLoss, Flatten, Linear, ReLU, Sequential
from tinytorch.train import Adam, Trainer
from tinytorch.vision import MNIST, Conv2d, MaxPool2d
from tinytorch.vision.transforms import MNIST_MEAN, MNIST_STD, Normalize

tt.manual_seed(0)
mnist_train = MNIST(train=True, transform=Normalize(MNIST_MEAN, MNIST_STD))
mnist_test = MNIST(train=False, transform=Normalize(MNIST_MEAN, MNIST_STD))
model = Sequential([
    Conv2d(1, 16, 3), ReLU(), MaxPool2d(2),  # (B, 16, 13, 13)
    Conv2d(16, 32, 3), ReLU(), MaxPool2d(2),  # (B, 32, 5, 5)
    Flatten(), Linear(32 * 5 * 5, 10),  # (B, 10) logits
])  # fmt: skip
trainer = Trainer(model, Adam(model.parameters(), lr=1e-3), CrossEntropyLoss())


def evaluate(data):
    return trainer.evaluate(data)["accuracy"]
"""

SETUP_QUICK_LOOK = """\
from tinytorch.train import Subset

mnist_train = Subset(mnist_train, range(2000))
"""

#: The course plan, phase 3.
PLAN_PHASE3 = """\
trainer.fit(mnist_train, epochs=5)
accuracy = evaluate(mnist_test)
"""


def test_phase3_fit_and_evaluate_on_mnist_run_as_written():
    namespace: dict = {}
    exec(SETUP_CNN, namespace)
    exec(SETUP_QUICK_LOOK, namespace)
    exec(PLAN_PHASE3, namespace)
    trainer = namespace["trainer"]
    assert [h["epoch"] for h in trainer.history] == [1, 2, 3, 4, 5]
    assert trainer.history[-1]["loss"] < 0.5 * trainer.history[0]["loss"]
    accuracy = namespace["accuracy"]
    assert isinstance(accuracy, float)
    # 93.8% with seed 0 (guide 10-mnist); chance is 10%
    assert accuracy > 0.85, f"test accuracy {accuracy:.4f} after 5 epochs on 2,000 images"
