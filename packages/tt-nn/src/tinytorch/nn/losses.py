"""Loss modules (module 06): each holds its options and calls the matching function.

`loss_fn(input, target)` returns a scalar Tensor (or, with reduction="none",
one loss per element), from which `loss.backward()` starts. Shapes and the
checks on them are documented with the functions in ops_loss.py.
"""

from __future__ import annotations

from tinytorch.core import ArgumentError, Tensor
from tinytorch.nn import ops_loss
from tinytorch.nn.module import Module


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = ops_loss.check_reduction(reduction, type(self).__name__)


class MSELoss(_Loss):
    """mean((input - target)^2). input, target: (*), the same shape."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return ops_loss.mse_loss(input, target, self.reduction)


class CrossEntropyLoss(_Loss):
    """Cross-entropy of logits (N, C) / (N, C, d1, ...) against int64 class indices (N,) / (N, d1, ...).

    `label_smoothing` eps mixes the one-hot target with the uniform distribution:
    (1 - eps) onehot + eps / C, as PyTorch.
    """

    def __init__(self, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        if not 0 <= label_smoothing <= 1:
            raise ArgumentError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing}")
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return ops_loss.cross_entropy(input, target, self.reduction, self.label_smoothing)


class NLLLoss(_Loss):
    """-input[n, target[n]] for log-probabilities input (N, C) and int64 targets (N,)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return ops_loss.nll_loss(input, target, self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities in [0, 1]; logs clamped to >= -100. (*), (*)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return ops_loss.binary_cross_entropy(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of sigmoid(logits), computed stably from the logits. (*), (*)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return ops_loss.binary_cross_entropy_with_logits(input, target, self.reduction)
