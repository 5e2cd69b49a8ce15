"""tinytorch.train: optimizers, schedules, data loading, the Trainer, checkpoints."""

__version__ = "0.1.0"

__all__: list[str] = []
