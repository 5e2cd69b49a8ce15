"""Peak RSS of a whole milestone run, tinytorch against the same run in PyTorch.

    python benchmarks/milestone_rss.py mnist [--epochs 5]

Runs, one after the other, each in its own child process:

1. `milestones/mnist_cnn.py` (tinytorch: the milestone itself, without plots), and
2. the same run in PyTorch (this file with `--torch-twin`): the same network,
   initialisation scheme, data (loaded by tinytorch.vision.MNIST, so both
   processes hold the same NumPy arrays), batch size, optimizer and epochs.

and prints each child's peak resident set size (`os.wait4`'s `ru_maxrss`: the
most physical memory the process ever held, libraries included) and wall time.
Exits 1 if tinytorch's peak RSS is not below PyTorch's (the issue's target).
Needs torch: `hatch run oracle:python benchmarks/milestone_rss.py mnist`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_child(command: list[str]) -> tuple[int, float, int]:
    """(peak RSS in bytes, wall seconds, exit code) of `command`, run to completion."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss * 1024, time.perf_counter() - start, process.returncode  # Linux: KiB


def torch_twin(epochs: int, seed: int) -> None:
    """The MNIST milestone in PyTorch: same model, data, batch, Adam lr 1e-3, epochs."""
    import torch
    from torch import nn

    from tinytorch.vision import MNIST

    torch.manual_seed(seed)
    train, test = MNIST(train=True), MNIST(train=False)
    mean, std = 0.1307, 0.3081

    def arrays(ds: MNIST) -> tuple[torch.Tensor, torch.Tensor]:
        # uint8 images, converted per batch, as tinytorch's MNIST does: the same data in memory
        return torch.from_numpy(ds.data.reshape(-1, 1, 28, 28)), torch.from_numpy(ds.targets)

    def normalise(images: torch.Tensor) -> torch.Tensor:
        return (images.float() / 255 - mean) / std

    x_train, y_train = arrays(train)
    x_test, y_test = arrays(test)
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 5 * 5, 10),
    )  # fmt: skip
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        order = torch.randperm(len(x_train))
        for i in range(0, len(order), 64):
            idx = order[i : i + 64]
            optimizer.zero_grad()
            loss = loss_fn(model(normalise(x_train[idx])), y_train[idx])
            loss.backward()
            optimizer.step()
        print(f"torch epoch {epoch + 1}: last batch loss {loss.item():.4f}", flush=True)
    with torch.no_grad():
        correct = sum(
            int((model(normalise(x_test[i : i + 1000])).argmax(1) == y_test[i : i + 1000]).sum())
            for i in range(0, len(x_test), 1000)
        )
    print(f"torch test accuracy {correct / len(x_test):.4f}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("milestone", choices=["mnist"])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--torch-twin", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.torch_twin:
        torch_twin(args.epochs, args.seed)
        return 0

    with tempfile.TemporaryDirectory() as out:
        tinytorch_run = ["milestones/mnist_cnn.py", "--no-plots", "--out", out, "--min-accuracy", "0"]
        ours = run_child([sys.executable, *tinytorch_run, "--epochs", str(args.epochs)])
    theirs = run_child([sys.executable, __file__, "mnist", "--torch-twin", "--epochs", str(args.epochs)])
    for name, (_, _, code) in (("tinytorch", ours), ("pytorch", theirs)):
        if code != 0:
            print(f"{name} run failed with exit code {code}", file=sys.stderr)
            return 1
    mib = 2**20
    print(f"\nMNIST milestone, {args.epochs} epochs: peak RSS and wall time of the whole run")
    print(f"  tinytorch {ours[0] / mib:8.1f} MiB  {ours[1]:7.1f} s")
    print(f"  pytorch   {theirs[0] / mib:8.1f} MiB  {theirs[1]:7.1f} s")
    print(f"  ratio     {ours[0] / theirs[0]:8.2f}     {ours[1] / theirs[1]:7.2f}   (tinytorch / pytorch)")
    if ours[0] >= theirs[0]:
        print("target missed: tinytorch's peak RSS is not below PyTorch's", file=sys.stderr)
        return 1
    print("target met: tinytorch's peak RSS is below PyTorch's")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
