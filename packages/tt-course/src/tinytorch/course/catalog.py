"""What the course is made of: packages, modules, milestones, datasets (data only, no imports).

Every ``tinytorch`` subcommand reads these tables; nothing here imports a phase
package, so tt-course runs in any environment and discovers what is installed.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinytorch.course.release import MODULES

__all__ = [
    "DATASETS",
    "MILESTONES",
    "MODULES",
    "MODULE_PACKAGES",
    "PACKAGES",
    "PHASE_PACKAGES",
    "Milestone",
    "MilestoneStep",
    "module_range",
]

#: Distribution name -> import name, in phase order (tt-course last: it is the tooling, not a phase).
PACKAGES: dict[str, str] = {
    "tt-core": "tinytorch.core",
    "tt-nn": "tinytorch.nn",
    "tt-train": "tinytorch.train",
    "tt-vision": "tinytorch.vision",
    "tt-text": "tinytorch.text",
    "tt-course": "tinytorch.course",
}
PHASE_PACKAGES: tuple[str, ...] = ("tt-core", "tt-nn", "tt-train", "tt-vision", "tt-text")

#: Module number -> the packages whose code and tests belong to it; the first one holds the guide.
#: Module 05's backward halves of the nn ops live in tt-nn; module 10 is DataLoader (tt-train)
#: plus the MNIST dataset (tt-vision).
MODULE_PACKAGES: dict[int, tuple[str, ...]] = {
    1: ("tt-core",),
    2: ("tt-core",),
    3: ("tt-nn",),
    4: ("tt-nn",),
    5: ("tt-core", "tt-nn"),
    6: ("tt-nn",),
    7: ("tt-train",),
    8: ("tt-train",),
    9: ("tt-vision",),
    10: ("tt-train", "tt-vision"),
    11: ("tt-train",),
    12: ("tt-train",),
    13: ("tt-text",),
    14: ("tt-text",),
    15: ("tt-text",),
}


def module_range(first: int, last: int) -> tuple[int, ...]:
    return tuple(range(first, last + 1))


@dataclass(frozen=True)
class MilestoneStep:
    """One script of a milestone and the modules whose code it runs (all must be done)."""

    script: str  # relative to the repository root
    needs: tuple[int, ...]


@dataclass(frozen=True)
class Milestone:
    title: str
    steps: tuple[MilestoneStep, ...]

    @property
    def needs(self) -> tuple[int, ...]:
        return tuple(sorted({m for step in self.steps for m in step.needs}))


#: The course's four milestones, in order. A step needs every module whose solution code it
#: executes: XOR inference runs Tensor, ReLU and Linear forward (01-04, milestone 1); XOR training
#: adds autograd, mse_loss, SGD (05-08, milestone 2). The MNIST CNN trains with Conv2d/MaxPool2d
#: (09), DataLoader and the MNIST dataset (10), Adam (11) and the Trainer's callbacks and
#: checkpoint (12). The GPT needs everything but convolution: batches (10), AdamW (11),
#: schedules and gradient clipping (12), attention, the transformer and generation (13-15).
#: Each script states the same modules in its ``NEEDS`` (checked by tt-course's tests).
MILESTONES: dict[str, Milestone] = {
    "xor-inference": Milestone(
        "1. XOR inference (phase 1)", (MilestoneStep("milestones/xor_inference.py", module_range(1, 4)),)
    ),
    "xor-training": Milestone(
        "2. XOR training (phase 2)", (MilestoneStep("milestones/xor_training.py", module_range(1, 8)),)
    ),
    "mnist": Milestone(
        "3. CNN on MNIST (phase 3)", (MilestoneStep("milestones/mnist_cnn.py", module_range(1, 12)),)
    ),
    "gpt": Milestone(
        "4. TinyGPT on tiny-shakespeare (phase 4)",
        (MilestoneStep("milestones/gpt_shakespeare.py", module_range(1, 8) + module_range(10, 15)),),
    ),
}

#: Dataset -> (package that reads it, {path relative to a data folder: pinned sha256}).
#: The same checksums as ../shared/data/SOURCES.md; the folder layout is that of ../shared/data.
DATASETS: dict[str, tuple[str, dict[str, str]]] = {
    "MNIST": (
        "tt-vision",
        {
            "mnist/train-images-idx3-ubyte.gz": (
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"
            ),
            "mnist/train-labels-idx1-ubyte.gz": (
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"
            ),
            "mnist/t10k-images-idx3-ubyte.gz": (
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
            ),
            "mnist/t10k-labels-idx1-ubyte.gz": (
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
            ),
        },
    ),
    "tiny-shakespeare": (
        "tt-text",
        {"shakespeare/input.txt": "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"},
    ),
}
