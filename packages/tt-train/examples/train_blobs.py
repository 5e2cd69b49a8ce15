"""Train a small classifier with the Trainer: DataLoader, AdamW, warm-up + cosine per batch,
early stopping, a checkpoint every epoch, then resume from it.

Run: `hatch run train:python packages/tt-train/examples/train_blobs.py`
"""

import tempfile
from pathlib import Path

import numpy as np

import tinytorch.core as tc
from tinytorch.nn import CrossEntropyLoss, Linear, ReLU, Sequential
from tinytorch.train import EarlyStopping, Trainer
from tinytorch.train.data import DataLoader, TensorDataset, random_split
from tinytorch.train.optim import AdamW
from tinytorch.train.optim.lr_scheduler import CosineWarmup

# 1,200 points in 3 Gaussian blobs (8 features)
rng = np.random.default_rng(0)
centres = rng.normal(0, 1.5, (3, 8))
labels = rng.integers(0, 3, 1200)
features = (centres[labels] + rng.normal(0, 1.0, (1200, 8))).astype(np.float32)
train_set, val_set = random_split(TensorDataset(features, labels), [0.8, 0.2], seed=0)
train = DataLoader(train_set, batch_size=32, shuffle=True, seed=0)  # 30 batches per epoch
val = DataLoader(val_set, batch_size=256)

tc.manual_seed(0)
model = Sequential(Linear(8, 32), ReLU(), Linear(32, 3))
optimizer = AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
scheduler = CosineWarmup(optimizer, warmup_steps=30, total_steps=300)  # stepped per batch
with tempfile.TemporaryDirectory() as tmp:
    trainer = Trainer(
        model,
        optimizer,
        CrossEntropyLoss(),
        scheduler=scheduler,
        scheduler_interval="batch",
        early_stopping=EarlyStopping(patience=3),
        checkpoint_dir=tmp,
    )
    for logs in trainer.fit(train, epochs=5, val=val):
        print(
            f"epoch {logs['epoch']}: loss {logs['loss']:.3f} acc {logs['accuracy']:.3f}  "
            f"val_loss {logs['val_loss']:.3f} val_acc {logs['val_accuracy']:.3f}  lr {logs['lr']:.5f}"
        )
    checkpoint = Path(tmp) / "last.safetensors"
    print(f"checkpoint: {checkpoint.name}, {checkpoint.stat().st_size:,} bytes")

    # A new process would rebuild everything, then continue the run from the checkpoint:
    tc.manual_seed(1)
    model2 = Sequential(Linear(8, 32), ReLU(), Linear(32, 3))
    optimizer2 = AdamW(model2.parameters(), lr=3e-3, weight_decay=0.01)
    trainer2 = Trainer(
        model2,
        optimizer2,
        CrossEntropyLoss(),
        scheduler=CosineWarmup(optimizer2, warmup_steps=30, total_steps=300),
        scheduler_interval="batch",
        early_stopping=EarlyStopping(patience=3),
    )
    history = trainer2.fit(train, epochs=8, val=val, resume=checkpoint)
    print(f"resumed at epoch {history[5]['epoch']}, final val_accuracy {history[-1]['val_accuracy']:.3f}")
    print(trainer2.evaluate(val))
