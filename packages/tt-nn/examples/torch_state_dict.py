"""Weights from torch.nn into tinytorch.nn and back through state_dict() (needs torch: the oracle env)."""

import numpy as np
import torch

import tinytorch.nn as nn
from tinytorch.core import Tensor

torch.manual_seed(0)
ours = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))
theirs = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2))
ours.load_state_dict(theirs.state_dict())  # torch tensors are accepted as they are
x = np.random.default_rng(0).standard_normal((5, 4), dtype=np.float32)
print(np.abs(ours(Tensor(x)).data - theirs(torch.from_numpy(x)).detach().numpy()).max())
theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})  # and back
