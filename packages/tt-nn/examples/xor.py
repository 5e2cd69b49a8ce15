"""A tinytorch.nn model, its state-dict keys, and plain gradient descent on XOR."""

import tinytorch.core as tc
import tinytorch.nn as nn
from tinytorch.core import Tensor

tc.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
print(model)
print(list(model.state_dict()))

x = Tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y = Tensor([0, 1, 1, 0], dtype="int64")
loss_fn = nn.CrossEntropyLoss()
for _ in range(300):  # plain gradient descent (optimizers are tt-train's)
    model.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    for p in model.parameters():
        p.data -= 0.5 * p.grad.data
print(f"loss {loss.item():.4f}, predictions {model(x).argmax(axis=1).tolist()}")
