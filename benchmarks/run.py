"""Run the benchmark suite and print its summary: `python benchmarks/run.py [--name LABEL] [pytest args]`.

`--name alice` saves the run in pytest-benchmark's own storage, .benchmarks/
at the repository root (git-ignored), as `.benchmarks/<machine>/NNNN_alice.json`
(`--benchmark-save=alice --benchmark-storage=...`). Every other argument goes
to pytest unchanged (e.g. `-k matmul`, `--benchmark-compare`). At the end, the
summary table (benchmarks/summary.py) compares tinytorch with its baselines.

`hatch run bench` runs this in the `oracle` environment, where PyTorch is
installed; run elsewhere, the PyTorch baselines are reported as not measured.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

import pytest
from summary import summarize

BENCHMARKS = Path(__file__).resolve().parent
STORAGE = BENCHMARKS.parent / ".benchmarks"


def run_label(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", text):
        raise argparse.ArgumentTypeError(f"{text!r}: use letters, digits, '.', '_' and '-'")
    return text


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        "--name", type=run_label, metavar="LABEL", help="save this run in .benchmarks under LABEL"
    )
    args, pytest_args = parser.parse_known_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        json_path = Path(tmp) / "run.json"
        options = [str(BENCHMARKS), f"--benchmark-storage={STORAGE}", f"--benchmark-json={json_path}"]
        if args.name:
            options.append(f"--benchmark-save={args.name}")
        code = pytest.main([*options, "-p", "no:cacheprovider", *pytest_args])
        if json_path.exists():
            print()
            print(summarize(json.loads(json_path.read_text())))
    return int(code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
