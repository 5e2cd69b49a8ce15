"""Module 12: checkpoints (atomic, verified), early stopping, schedules and clipping in fit, resume."""

import json
import os

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import save_file
from tt_train_helpers import batches, blobs, mlp, params_of

import tinytorch.core as tc
from tinytorch.nn import CrossEntropyLoss
from tinytorch.train import (
    CheckpointError,
    EarlyStopping,
    Trainer,
    load_checkpoint,
    save_checkpoint,
)
from tinytorch.train import checkpoint as checkpoint_module
from tinytorch.train.data import DataLoader, TensorDataset
from tinytorch.train.optim import SGD, Adam, AdamW
from tinytorch.train.optim.lr_scheduler import CosineWarmup, ReduceLROnPlateau, StepLR

pytestmark = pytest.mark.module12


def trained(seed=0, steps=3, sizes=(4, 8, 3)):
    """A model, an Adam with state and a scheduler after a few steps."""
    model = mlp(seed, sizes=sizes)
    opt = Adam(model.parameters(), lr=0.01)
    scheduler = StepLR(opt, step_size=2, gamma=0.5)
    x, y = blobs(n=16, features=sizes[0], classes=sizes[-1])
    data = batches(x, y, 8)
    Trainer(model, opt, CrossEntropyLoss(), scheduler=scheduler).fit(data, epochs=steps)
    return model, opt, scheduler


# ------------------------------------------------------------------ save / load


def test_round_trip_restores_model_optimizer_scheduler_and_rng(tmp_path):
    model, opt, scheduler = trained()
    tc.manual_seed(42)
    path = save_checkpoint(tmp_path / "ck.safetensors", model, opt, scheduler, epoch=3, extra={"note": "hi"})
    rng_next = tc.randn(3).data
    model2 = mlp(seed=1)
    opt2 = Adam(model2.parameters(), lr=0.5)
    scheduler2 = StepLR(opt2, step_size=2, gamma=0.5)
    ck = load_checkpoint(path, model2, opt2, scheduler2)
    assert ck.epoch == 3 and ck.extra == {"note": "hi"}
    for name, value in params_of(model).items():
        np.testing.assert_array_equal(params_of(model2)[name], value)
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"] == 0.005
    for p, p2 in zip(model.parameters(), model2.parameters(), strict=True):
        assert opt2.state[p2]["step"] == opt.state[p]["step"] == 6
        np.testing.assert_array_equal(opt2.state[p2]["exp_avg_sq"], opt.state[p]["exp_avg_sq"])
    assert scheduler2.last_epoch == scheduler.last_epoch == 3
    np.testing.assert_array_equal(tc.randn(3).data, rng_next)  # the global RNG continues identically


def test_the_file_is_plain_safetensors_with_json_metadata(tmp_path):
    model, opt, scheduler = trained()
    path = save_checkpoint(tmp_path / "ck.safetensors", model, opt, scheduler, epoch=1)
    with safe_open(path, framework="np") as f:
        keys = set(f.keys())
        meta = f.metadata()
    assert {"model.0.weight", "model.2.bias", "optimizer.0.exp_avg", "optimizer.3.exp_avg_sq"} <= keys
    state = json.loads(meta["state"])
    assert meta["format"] == "tinytorch.train.checkpoint" and len(meta["sha256"]) == 64
    assert state["optimizer"]["class"] == "Adam" and state["optimizer"]["state"]["0"] == {"step": 6}
    assert state["scheduler"]["state"]["last_epoch"] == 3 and "bit_generator" in state["rng"]
    assert list(tmp_path.iterdir()) == [path]  # no temporary files left behind


def test_truncated_file_is_a_clear_error(tmp_path):
    model, opt, _ = trained()
    path = save_checkpoint(tmp_path / "ck.safetensors", model, opt)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])
    with pytest.raises(CheckpointError, match="truncated or corrupted"):
        load_checkpoint(path, mlp())


def test_garbage_file_is_a_clear_error(tmp_path):
    path = tmp_path / "ck.safetensors"
    path.write_bytes(os.urandom(1000))
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        load_checkpoint(path, mlp())
    with pytest.raises(CheckpointError, match="no such file"):
        load_checkpoint(tmp_path / "missing.safetensors", mlp())


def test_foreign_safetensors_file_is_refused(tmp_path):
    """A safetensors file of a checkpoint's very tensors, without its metadata, is refused."""
    model, opt, _ = trained()
    path = tmp_path / "weights.safetensors"
    save_file(checkpoint_module.name_tensors(model, opt.state_dict()["state"], {}), path)
    with pytest.raises(CheckpointError, match="not a tinytorch checkpoint"):
        load_checkpoint(path, mlp())
    save_file({"0.weight": np.zeros((8, 4), dtype=np.float32)}, path, metadata={"format": "pt"})
    with pytest.raises(CheckpointError, match="not a tinytorch checkpoint"):
        load_checkpoint(path, mlp())


def test_tensors_are_named_by_part_and_split_back():
    """name_tensors: model.<key>, optimizer.<param index>.<name> (arrays only), extra.<key>;
    split_tensors gives the three parts back, the optimizer's by param index."""
    model, opt, _ = trained()
    best = {"0.weight": np.ones((8, 4), dtype=np.float32)}
    tensors = checkpoint_module.name_tensors(model, opt.state_dict()["state"], best)
    assert set(tensors) == (
        {f"model.{key}" for key in model.state_dict()}
        | {f"optimizer.{i}.{name}" for i in range(4) for name in ("exp_avg", "exp_avg_sq")}
        | {"extra.0.weight"}
    )  # Adam's scalar "step" is not an array: it goes into the JSON state
    np.testing.assert_array_equal(
        tensors["optimizer.3.exp_avg"], opt.state[list(model.parameters())[3]]["exp_avg"]
    )
    model_arrays, optimizer_arrays, extra_arrays = checkpoint_module.split_tensors(
        {**tensors, "other.x": np.zeros(1)}
    )
    assert model_arrays.keys() == model.state_dict().keys() and extra_arrays.keys() == best.keys()
    assert optimizer_arrays.keys() == {"0", "1", "2", "3"}
    assert optimizer_arrays["3"].keys() == {"exp_avg", "exp_avg_sq"}
    np.testing.assert_array_equal(optimizer_arrays["3"]["exp_avg"], tensors["optimizer.3.exp_avg"])


def test_a_flipped_byte_fails_the_checksum(tmp_path):
    model, _, _ = trained()
    path = save_checkpoint(tmp_path / "ck.safetensors", model)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF  # inside the last tensor's bytes
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="checksum mismatch"):
        load_checkpoint(path, mlp())


def test_loading_into_a_model_of_another_shape_raises_and_changes_nothing(tmp_path):
    model, opt, _ = trained()
    path = save_checkpoint(tmp_path / "ck.safetensors", model, opt)
    other = mlp(sizes=(4, 16, 3))
    before = params_of(other)
    with pytest.raises(
        CheckpointError, match=r"'0\.weight' has shape \(8, 4\) in the checkpoint but \(16, 4\)"
    ):
        load_checkpoint(path, other)
    with pytest.raises(CheckpointError, match="missing keys"):
        load_checkpoint(path, mlp(sizes=(4, 8, 8, 3)))
    for name, value in params_of(other).items():
        np.testing.assert_array_equal(value, before[name])


def test_optimizer_of_another_class_is_refused(tmp_path):
    model, opt, _ = trained()
    path = save_checkpoint(tmp_path / "ck.safetensors", model, opt)
    fresh = mlp(seed=3)
    before = params_of(fresh)
    with pytest.raises(CheckpointError, match="saved optimizer is a Adam, not a AdamW"):
        load_checkpoint(path, fresh, AdamW(fresh.parameters()))
    np.testing.assert_array_equal(params_of(fresh)["0.weight"], before["0.weight"])


def test_a_failed_write_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    model, opt, _ = trained()
    path = save_checkpoint(tmp_path / "ck.safetensors", model, opt, epoch=1)
    good = path.read_bytes()

    def crash(tensors, filename, metadata=None):  # half a file, then the disk is full
        with open(filename, "wb") as f:
            f.write(b"\x00" * 64)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoint_module, "save_file", crash)
    with pytest.raises(OSError, match="No space left"):
        save_checkpoint(path, model, opt, epoch=2)
    assert path.read_bytes() == good and list(tmp_path.iterdir()) == [path]
    assert load_checkpoint(path, mlp(), Adam(mlp().parameters())).epoch == 1


# ------------------------------------------------------------- early stopping


def test_early_stopping_counts_patience_and_min_delta():
    model = mlp()
    stopper = EarlyStopping(patience=2, min_delta=0.1)
    decisions = [stopper.update(e, {"val_loss": v}, model) for e, v in enumerate([1.0, 0.95, 0.85, 0.8], 1)]
    # 0.95 is not 0.1 better than 1.0 (wait 1); 0.85 is (reset); 0.8 is not (wait 1)
    assert decisions == [False, False, False, False] and stopper.best == 0.85 and stopper.wait == 1
    assert stopper.update(5, {"val_loss": 0.9}, model) is True and stopper.stopped_epoch == 5
    with pytest.raises(KeyError, match="EarlyStopping monitors 'val_loss'"):
        stopper.update(6, {"loss": 1.0}, model)


def test_early_stopping_a_nan_epoch_never_improves():
    model, nan = mlp(), float("nan")
    stopper = EarlyStopping(patience=2, restore_best=False)
    # a NaN first epoch is the baseline, beaten by the next finite value; a later NaN is a bad epoch
    decisions = [stopper.update(e, {"val_loss": v}, model) for e, v in enumerate([nan, 1.0, nan], 1)]
    assert decisions == [False, False, False] and stopper.best == 1.0 and stopper.best_epoch == 2
    assert stopper.update(4, {"val_loss": nan}, model) is True and stopper.stopped_epoch == 4
    maximum = EarlyStopping(patience=1, monitor="val_accuracy", mode="max", restore_best=False)
    decisions = [maximum.update(e, {"val_accuracy": v}, model) for e, v in enumerate([nan, 0.1, nan], 1)]
    assert decisions == [False, False, True] and maximum.best == 0.1 and maximum.best_epoch == 2


def test_early_stopping_in_fit_stops_and_restores_the_best_weights():
    x, y = blobs(n=32)
    model = mlp()
    kept = {}

    def remember(trainer, epoch, logs):
        kept[logs["epoch"]] = params_of(trainer.model)

    # "max" of a falling training loss: epoch 1 stays the best, so patience 2 stops at epoch 3
    stopper = EarlyStopping(patience=2, monitor="loss", mode="max")
    trainer = Trainer(
        model,
        SGD(model.parameters(), lr=0.1),
        CrossEntropyLoss(),
        early_stopping=stopper,
        callbacks=[remember],
    )
    history = trainer.fit(batches(x, y, 8), epochs=10)
    assert len(history) == 3 and stopper.best_epoch == 1 and stopper.stopped_epoch == 3
    for name, value in params_of(model).items():
        np.testing.assert_array_equal(value, kept[1][name])


def test_early_stopping_arguments():
    with pytest.raises(ValueError, match="invalid patience=-1"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="invalid mode='up'"):
        EarlyStopping(mode="up")
    stopper = EarlyStopping(patience=0, restore_best=False)
    model = mlp()
    assert stopper.update(1, {"val_loss": 1.0}, model) is False
    assert stopper.update(2, {"val_loss": 1.0}, model) is True and not stopper.restore(model)


# ---------------------------------------------------- schedules and clipping in fit


def test_epoch_schedule_in_fit():
    trainer_model = mlp()
    opt = SGD(trainer_model.parameters(), lr=0.1)
    x, y = blobs(n=16)
    trainer = Trainer(trainer_model, opt, CrossEntropyLoss(), scheduler=StepLR(opt, step_size=2, gamma=0.1))
    history = trainer.fit(batches(x, y, 8), epochs=5)
    np.testing.assert_allclose([h["lr"] for h in history], [0.1, 0.1, 0.01, 0.01, 0.001])


def test_batch_schedule_steps_once_per_optimizer_step():
    model = mlp()
    opt = SGD(model.parameters(), lr=1.0)
    scheduler = CosineWarmup(opt, warmup_steps=3, total_steps=12)
    x, y = blobs(n=32)
    seen = []
    trainer = Trainer(
        model,
        opt,
        CrossEntropyLoss(),
        scheduler=scheduler,
        scheduler_interval="batch",
        grad_accum_steps=2,
        callbacks=[lambda trainer, epoch, logs: seen.append(logs["lr"])],
    )
    trainer.fit(batches(x, y, 4), epochs=2)  # 8 batches = 4 optimizer steps per epoch
    assert scheduler.last_epoch == 8
    assert seen[0] == 0.25 == _lr_at(0)  # (t + 1) / (warmup + 1) at t = 0
    assert seen[1] == _lr_at(4)


def _lr_at(t, warmup=3, total=12):
    opt = SGD(mlp().parameters(), lr=1.0)
    scheduler = CosineWarmup(opt, warmup_steps=warmup, total_steps=total)
    for _ in range(t):
        scheduler.step()
    return opt.param_groups[0]["lr"]


def test_reduce_on_plateau_gets_the_validation_loss():
    model = mlp()
    opt = SGD(model.parameters(), lr=0.1)
    plateau = ReduceLROnPlateau(opt, patience=0, factor=0.5)
    x, y = blobs(n=32)
    val = batches(x[:16], (y[:16] + 1) % 3, 16)  # wrong labels: the validation loss rises as training fits
    trainer = Trainer(model, opt, CrossEntropyLoss(), scheduler=plateau)
    history = trainer.fit(batches(x, y, 8), epochs=4, val=val)
    assert plateau.last_epoch == 4 and plateau.best == history[0]["val_loss"]
    # epoch 1 sets the best; each later epoch is worse and halves the lr for the next one
    assert [h["lr"] for h in history] == [0.1, 0.1, 0.05, 0.025]
    with pytest.raises(ValueError, match="once per epoch"):
        Trainer(model, opt, CrossEntropyLoss(), scheduler=plateau, scheduler_interval="batch")


def test_gradient_clipping_in_fit_bounds_the_update():
    x, y = blobs(n=8)
    model, reference = mlp(), mlp()
    lr, max_norm = 1.0, 1e-3
    Trainer(model, SGD(model.parameters(), lr=lr), CrossEntropyLoss(), clip_grad_norm=max_norm).fit(
        batches(x, y, 8), epochs=1
    )
    moved = np.sqrt(sum(((params_of(model)[k] - v) ** 2).sum() for k, v in params_of(reference).items()))
    assert moved == pytest.approx(lr * max_norm, rel=1e-3)


# ------------------------------------------------------------------ resume


def run(tmp_path, epochs, resume=False, dropout=0.0, early=False):
    """Adam + CosineWarmup per batch, a shuffled DataLoader, a checkpoint every epoch."""
    tc.manual_seed(0)
    model = mlp(seed=0 if not resume else 7, sizes=(4, 16, 3), dropout=dropout)  # resumed: other init
    opt = Adam(model.parameters(), lr=0.02)
    scheduler = CosineWarmup(opt, warmup_steps=3, total_steps=40)
    x, y = blobs(n=80)
    loader = DataLoader(TensorDataset(x[:60], y[:60]), batch_size=8, shuffle=True, seed=11)
    val = DataLoader(TensorDataset(x[60:], y[60:]), batch_size=10)
    trainer = Trainer(
        model,
        opt,
        CrossEntropyLoss(),
        scheduler=scheduler,
        scheduler_interval="batch",
        checkpoint_dir=tmp_path,
        early_stopping=EarlyStopping(patience=10) if early else None,
    )
    history = trainer.fit(
        loader, epochs=epochs, val=val, resume=tmp_path / "last.safetensors" if resume else None
    )
    return model, history


@pytest.mark.parametrize("dropout", [0.0, 0.3], ids=["no-dropout", "dropout"])
def test_interrupted_and_resumed_run_is_bit_identical(tmp_path, dropout):
    straight, history = run(tmp_path / "a", 4, dropout=dropout, early=True)
    run(tmp_path / "b", 2, dropout=dropout, early=True)
    tc.manual_seed(999)  # whatever happens between the runs
    resumed, resumed_history = run(tmp_path / "b", 4, resume=True, dropout=dropout, early=True)
    for name, value in params_of(straight).items():
        np.testing.assert_array_equal(params_of(resumed)[name], value)
    assert [h["epoch"] for h in resumed_history] == [1, 2, 3, 4]
    assert [h["loss"] for h in resumed_history] == [h["loss"] for h in history]
    assert [h["lr"] for h in resumed_history] == [h["lr"] for h in history]


def test_resumed_run_on_a_dataset_continues_the_same_shuffled_order(tmp_path):
    """fit(dataset, ...) builds its own shuffled DataLoader; the checkpoint keeps its generator."""
    x, y = blobs(n=100)

    def fit(epochs, directory, resume=False):
        tc.manual_seed(0)
        model = mlp(seed=0 if not resume else 7)
        trainer = Trainer(
            model, SGD(model.parameters(), lr=0.1, momentum=0.9), CrossEntropyLoss(), batch_size=16
        )
        trainer.checkpoint_dir = directory
        trainer.fit(TensorDataset(x, y), epochs, resume=directory / "last.safetensors" if resume else None)
        return params_of(model), [h["loss"] for h in trainer.history]

    straight, losses = fit(4, tmp_path / "a")
    fit(2, tmp_path / "b")
    tc.manual_seed(999)  # whatever happens between the runs
    resumed, resumed_losses = fit(4, tmp_path / "b", resume=True)
    assert resumed_losses == losses
    for name, value in straight.items():
        np.testing.assert_array_equal(resumed[name], value)


def test_resume_into_another_shape_is_a_clear_error(tmp_path):
    run(tmp_path, 1)
    model = mlp(sizes=(4, 5, 3))
    trainer = Trainer(model, Adam(model.parameters()), CrossEntropyLoss())
    x, y = blobs(n=8)
    with pytest.raises(CheckpointError, match="does not fit Sequential"):
        trainer.fit(batches(x, y, 8), epochs=2, resume=tmp_path / "last.safetensors")
