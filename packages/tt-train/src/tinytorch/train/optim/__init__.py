"""tinytorch.train.optim: optimizers and learning-rate schedules (mirrors torch.optim).

`SGD` (module 07), `Adam` and `AdamW` (module 11) on the `Optimizer` base
(parameter groups, state, `zero_grad`, state dicts), and the given `RMSprop`
and `Adagrad` (torch.optim's rules, not course modules); schedules in
`tinytorch.train.optim.lr_scheduler` (module 12); `clip_grad_norm_` (module 12,
`torch.nn.utils.clip_grad_norm_` in PyTorch). `set_num_threads(n)` /
`get_num_threads()`: how many threads Adam's update of a large parameter
may use (default: one per core, at most 8).
"""

from tinytorch.train.optim import lr_scheduler
from tinytorch.train.optim.adagrad import Adagrad
from tinytorch.train.optim.adam import Adam, AdamW
from tinytorch.train.optim.clip import clip_grad_norm_
from tinytorch.train.optim.optimizer import Optimizer, get_num_threads, set_num_threads
from tinytorch.train.optim.rmsprop import RMSprop
from tinytorch.train.optim.sgd import SGD

__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "Optimizer",
    "RMSprop",
    "clip_grad_norm_",
    "get_num_threads",
    "lr_scheduler",
    "set_num_threads",
]
