"""Shared machinery of tt-text's PyTorch-oracle tests: comparison helpers.

Tolerances: 1e-10 in float64 and 1e-5 in float32, relative to each value and,
as an absolute floor, to the largest expected magnitude (as tt-nn's oracle).

nanoGPT's model in PyTorch (`TorchGPT`, `TorchBlock`), which the whole-model
oracle tests and the benchmarks compare with, is instructor-only: it lives in
`instructor/tt_text_nanogpt.py`, which a release leaves out. In the reference
tree `tt_text_oracle.TorchGPT` and `tt_text_oracle.TorchBlock` still load it
from there.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tinytorch.core import Tensor

TOLERANCE = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-10}
_NANOGPT = Path(__file__).parent / "instructor"


def assert_matches(
    actual: np.ndarray | Tensor, expected: torch.Tensor | np.ndarray, what: str, tol: float | None = None
) -> None:
    if isinstance(actual, Tensor):
        actual = actual.data
    want = expected.detach().numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    assert actual.shape == want.shape, f"{what}: shape {actual.shape}, torch gives {want.shape}"
    assert actual.dtype == want.dtype, f"{what}: dtype {actual.dtype}, torch gives {want.dtype}"
    tol = TOLERANCE[actual.dtype] if tol is None else tol
    scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
    np.testing.assert_allclose(actual, want, rtol=tol, atol=tol * scale, err_msg=what)


def torch_state(state: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}


def __getattr__(name: str) -> Any:
    """TorchGPT, TorchBlock: nanoGPT's model from the instructor-only folder, when it is there."""
    if name not in ("TorchGPT", "TorchBlock"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if not (_NANOGPT / "tt_text_nanogpt.py").is_file():
        raise ImportError(
            f"{name} (nanoGPT's model in PyTorch) is instructor-only and not in this copy "
            f"({_NANOGPT.as_posix()} is left out of releases)"
        )
    if str(_NANOGPT) not in sys.path:
        sys.path.append(str(_NANOGPT))
    return getattr(importlib.import_module("tt_text_nanogpt"), name)
