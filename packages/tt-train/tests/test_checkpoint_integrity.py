"""Module 12: a checkpoint restores exactly what was saved or raises CheckpointError, changing nothing.

- every single-bit flip anywhere in a small checkpoint (header, JSON metadata, tensors) is refused
  or restores the very same state: the checksum covers the metadata too;
- well-checksummed but semantically bad checkpoints (an RNG state of another kind, optimizer state
  missing entries or of the wrong shape, a bad epoch, scheduler or model dtype, bad Trainer extras)
  raise CheckpointError and leave model, optimizer, scheduler, RNG and Trainer untouched;
- temporaries of killed saves are removed by the next save of the same target, nothing else.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file
from tt_train_helpers import blobs, mlp, params_of, set_grads

import tinytorch.core as tc
from tinytorch.nn import CrossEntropyLoss
from tinytorch.train import CheckpointError, EarlyStopping, Trainer, load_checkpoint, save_checkpoint
from tinytorch.train import checkpoint as checkpoint_module
from tinytorch.train.data import DataLoader, TensorDataset
from tinytorch.train.optim import Adam
from tinytorch.train.optim.lr_scheduler import StepLR

pytestmark = pytest.mark.module12


def small(seed=0, lr=0.01):
    """A (2, 2) Linear, an Adam with state after one step and a StepLR after one step."""
    model = mlp(seed, sizes=(2, 2))
    opt = Adam(model.parameters(), lr=lr)
    scheduler = StepLR(opt, step_size=2, gamma=0.5)
    set_grads(list(model.parameters()), seed)
    opt.step()
    scheduler.step()
    return model, opt, scheduler


def canon(value):
    """A comparable form of nested dicts, lists, tuples, arrays and numbers (arrays by bytes)."""
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, dict):
        return tuple(sorted((str(k), canon(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(canon(v) for v in value)
    return (type(value).__name__, value)


def snapshot(model, opt, scheduler):
    return canon(
        {
            "model": params_of(model),
            "optimizer": opt.state_dict(),
            "scheduler": scheduler.state_dict(),
            "rng": tc.get_rng_state(),
        }
    )


def resign(path, edit):
    """Rewrite checkpoint `path` after `edit(tensors, state)` (which may return a new state),
    with a valid checksum: a well-formed file whose contents do not fit."""
    tensors, state = checkpoint_module.read_checkpoint(path)
    state = edit(tensors, state) or state  # an edit returns a new state or None
    metadata = {
        "format": checkpoint_module.FORMAT,
        "version": checkpoint_module.VERSION,
        "state": json.dumps(state),
    }
    metadata["sha256"] = checkpoint_module.checkpoint_digest(tensors, metadata)
    save_file(tensors, path, metadata=metadata)


# ---------------------------------------------------------------- bit flips


def test_every_single_bit_flip_is_refused_or_restores_the_same_state(tmp_path):
    """A battery of single-bit flips once found 153 of 2,380 that loaded a different state
    (RNG 87, lr/betas 41, Adam step 24, epoch 1): the checksum covered the tensors only."""
    model, opt, scheduler = small()
    tc.manual_seed(7)
    good = save_checkpoint(
        tmp_path / "good.safetensors",
        model,
        opt,
        scheduler,
        epoch=3,
        extra={"note": "hi", "n": 1},
        extra_arrays={"best": np.arange(3, dtype=np.float32)},
    ).read_bytes()
    saved = snapshot(model, opt, scheduler)
    target = small(seed=1, lr=0.5)  # another state, put back before every load
    tc.manual_seed(11)
    baseline = (
        target[0].state_dict(),
        target[1].state_dict(),
        target[2].state_dict(),
        tc.get_rng_state(),
    )

    def load(data):
        target[0].load_state_dict(baseline[0])
        target[1].load_state_dict(baseline[1])
        target[2].load_state_dict(baseline[2])
        tc.set_rng_state(baseline[3])
        path.write_bytes(data)
        ck = load_checkpoint(path, *target)
        return snapshot(*target), canon([ck.epoch, ck.extra, ck.extra_arrays, ck.rng_state])

    path = tmp_path / "flipped.safetensors"
    expected = load(good)
    assert expected[0] == saved  # the unflipped file restores what was saved
    changed, refused = [], 0
    for index in range(len(good)):  # ~1.3 KB: every bit of header, JSON metadata and tensors
        for bit in range(8):
            data = bytearray(good)
            data[index] ^= 1 << bit
            try:
                restored = load(bytes(data))
            except CheckpointError:
                refused += 1
                continue
            if restored != expected:
                changed.append((index, bit, chr(good[index])))
    assert not changed, (
        f"{len(changed)} of {8 * len(good)} single-bit flips loaded a different state "
        f"(byte, bit, original char): {changed[:10]}"
    )
    assert refused >= 8 * len(good) - 64  # all but flips in the header's padding are refused


def test_a_version_1_checkpoint_whose_metadata_is_not_checksummed_is_refused(tmp_path):
    model, opt, scheduler = small()
    path = save_checkpoint(tmp_path / "ck.safetensors", model, opt, scheduler)
    tensors, state = checkpoint_module.read_checkpoint(path)
    digest = checkpoint_module.checkpoint_digest(tensors, {})  # version 1: the tensors only
    save_file(
        tensors,
        path,
        metadata={
            "format": checkpoint_module.FORMAT,
            "version": "1",
            "sha256": digest,
            "state": json.dumps(state),
        },
    )
    before = snapshot(model, opt, scheduler)
    with pytest.raises(CheckpointError, match=r"version 1 .*cannot be verified"):
        load_checkpoint(path, model, opt, scheduler)
    assert snapshot(model, opt, scheduler) == before


# ----------------------------------------------- semantically bad, well checksummed


def _set(mapping, key, value):
    mapping[key] = value


def _pop(mapping, key):
    del mapping[key]


BAD = {
    "rng-of-another-kind": (
        lambda t, s: _set(s["rng"], "bit_generator", "MT19937"),
        r"global RNG state is not a PCG64 state",
    ),
    "rng-missing-inc": (lambda t, s: _pop(s["rng"]["state"], "inc"), r"global RNG state is not a PCG64"),
    "rng-not-a-dict": (lambda t, s: _set(s, "rng", [1, 2]), r"global RNG state is not a PCG64"),
    "epoch-negative": (lambda t, s: _set(s, "epoch", -1), r"epoch is -1, expected an int >= 0"),
    "epoch-a-string": (lambda t, s: _set(s, "epoch", "3"), r"epoch is '3'"),
    "state-not-an-object": (lambda t, s: [s], r"not a JSON object"),
    "extra-not-a-dict": (lambda t, s: _set(s, "extra", [1]), r"extra is a list"),
    "optimizer-array-missing": (
        lambda t, s: _pop(t, "optimizer.0.exp_avg_sq"),
        r"parameter 0 has unknown entries \[\], missing entries \['exp_avg_sq'\]",
    ),
    "optimizer-step-missing": (
        lambda t, s: _pop(s["optimizer"]["state"]["1"], "step"),
        r"missing entries \['step'\]",
    ),
    "optimizer-step-null": (
        lambda t, s: _set(s["optimizer"]["state"]["0"], "step", None),
        r"state 'step' of parameter 0 is None, expected an int >= 0",
    ),
    "optimizer-unknown-entry": (
        lambda t, s: _set(t, "optimizer.0.momentum_buffer", t["optimizer.0.exp_avg"]),
        r"unknown entries \['momentum_buffer'\]",
    ),
    "optimizer-array-of-another-shape": (
        lambda t, s: _set(t, "optimizer.1.exp_avg", np.zeros(5, dtype=np.float32)),
        r"state 'exp_avg' of parameter 1 has shape \(5,\) but the parameter has shape \(2,\)",
    ),
    "optimizer-array-index-not-a-number": (
        lambda t, s: _set(t, "optimizer.x.exp_avg", np.zeros(2, dtype=np.float32)),
        r"state for unknown parameter index 'x'",
    ),
    "optimizer-state-of-an-unknown-parameter": (
        lambda t, s: _set(s["optimizer"]["state"], "7", {"step": 1}),
        r"unknown parameter index '7'",
    ),
    "optimizer-lr-a-string": (
        lambda t, s: _set(s["optimizer"]["param_groups"][0], "lr", "fast"),
        r"parameter group 0: .*fast",
    ),
    "optimizer-lr-missing": (
        lambda t, s: _pop(s["optimizer"]["param_groups"][0], "lr"),
        r"parameter group 0 has no hyperparameter\(s\) \['lr'\]",
    ),
    "optimizer-betas-not-a-pair": (
        lambda t, s: _set(s["optimizer"]["param_groups"][0], "betas", [0.9]),
        r"parameter group 0: .*betas",
    ),
    "optimizer-params-not-a-list": (
        lambda t, s: _set(s["optimizer"]["param_groups"][0], "params", None),
        r"parameter group 0 has no 'params' list",
    ),
    "optimizer-two-groups": (
        lambda t, s: s["optimizer"]["param_groups"].append(dict(s["optimizer"]["param_groups"][0])),
        r"2 parameter group\(s\), this optimizer 1",
    ),
    "optimizer-not-a-dict": (lambda t, s: _set(s, "optimizer", "Adam"), r"the optimizer state is not a dict"),
    "scheduler-missing-key": (
        lambda t, s: _pop(s["scheduler"]["state"], "gamma"),
        r"the scheduler state holds .*, expected \['_last_lr', 'base_lrs', 'gamma'",
    ),
    "scheduler-value-of-another-type": (
        lambda t, s: _set(s["scheduler"]["state"], "last_epoch", "1"),
        r"the scheduler state.last_epoch is '1', expected an int",
    ),
    "scheduler-list-of-another-length": (
        lambda t, s: _set(s["scheduler"]["state"], "base_lrs", []),
        r"base_lrs is \[\], expected a list of 1",
    ),
    "model-array-of-another-dtype": (
        lambda t, s: _set(t, "model.0.bias", t["model.0.bias"].astype(np.int32)),
        r"'0\.bias' is int32 in the checkpoint but float32 in the model",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_checkpoint_that_does_not_fit_raises_and_changes_nothing(tmp_path, case):
    """85 corrupt checkpoints once raised KeyError or ValueError ("state must be for a PCG64
    RNG"), 57 of them after model and optimizer had been overwritten."""
    edit, message = BAD[case]
    path = save_checkpoint(tmp_path / "ck.safetensors", *small(), epoch=2)
    resign(path, edit)
    target = small(seed=1, lr=0.5)
    tc.manual_seed(5)
    before = snapshot(*target)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path, *target)
    assert snapshot(*target) == before


def trainer_run(directory, epochs=1):
    """A Trainer with a shuffled DataLoader, Adam, StepLR and early stopping; fit `epochs`."""
    model = mlp(0, sizes=(4, 3))
    opt = Adam(model.parameters(), lr=0.01)
    x, y = blobs(n=16)
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, generator=np.random.default_rng(3))
    trainer = Trainer(
        model,
        opt,
        CrossEntropyLoss(),
        scheduler=StepLR(opt, step_size=1, gamma=0.5),
        checkpoint_dir=directory,
        early_stopping=EarlyStopping(patience=5, monitor="loss"),
        progress=False,
    )
    trainer.fit(loader, epochs=epochs)
    return trainer, loader


def trainer_snapshot(trainer, loader):
    return (
        snapshot(trainer.model, trainer.optimizer, trainer.scheduler),
        trainer.epoch,
        canon(trainer.history),
        canon(loader.state_dict()),
        canon(trainer.early_stopping.state_dict()),
    )


TRAINER_BAD = {
    "history-not-a-list": (lambda t, s: _set(s["extra"], "history", {"epoch": 1}), r"the history is"),
    "loader-generator-of-another-kind": (
        lambda t, s: _set(s["extra"]["train_loader"]["generator"], "bit_generator", "MT19937"),
        r"the DataLoader's generator state is not a PCG64 state",
    ),
    "early-stopping-wait-missing": (
        lambda t, s: _pop(s["extra"]["early_stopping"], "wait"),
        r"the early stopping state's 'wait' is 'missing'",
    ),
    "early-stopping-best-weights-of-another-shape": (
        lambda t, s: _set(t, "extra.best.0.bias", np.zeros(7, dtype=np.float32)),
        r"the early stopping best weights .* do not fit the model's",
    ),
}


@pytest.mark.parametrize("case", list(TRAINER_BAD))
def test_a_resume_state_that_does_not_fit_the_trainer_raises_and_changes_nothing(tmp_path, case):
    edit, message = TRAINER_BAD[case]
    trainer_run(tmp_path / "a", epochs=2)
    path = tmp_path / "a" / "last.safetensors"
    resign(path, edit)
    trainer, loader = trainer_run(tmp_path / "b", epochs=1)
    tc.manual_seed(5)
    before = trainer_snapshot(trainer, loader)
    with pytest.raises(CheckpointError, match=message):
        trainer.fit(loader, epochs=3, resume=path)
    assert trainer_snapshot(trainer, loader) == before


# ------------------------------------------------------- temporaries of killed saves

# The grader runs tests in an isolated interpreter (python -I -S) whose imports come from
# sys.path, not the environment: the child gets the same path.
CHILD_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}

KILLED_SAVE = """
import sys, time
from pathlib import Path
from tinytorch.train.checkpoint import atomic_write

def write(tmp: Path) -> None:
    tmp.write_bytes(b"half a checkpoint" * 1000)
    print(tmp, flush=True)
    time.sleep(60)  # killed here

atomic_write(sys.argv[1], write)
"""


def test_the_next_save_removes_temporaries_of_killed_saves_and_nothing_else(tmp_path):
    """12 SIGKILLs mid-save once left 3-9 .tmp files (up to 34 MiB) beside last.safetensors,
    still there after later successful saves."""
    target = tmp_path / "last.safetensors"
    killed = []
    for _ in range(2):
        writer = subprocess.Popen(
            [sys.executable, "-c", KILLED_SAVE, str(target)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=CHILD_ENV,
        )
        line = writer.stdout.readline().strip()
        assert line, f"the saving process failed: {writer.communicate(timeout=30)[1]}"
        killed.append(Path(line))
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
        writer.stdout.close()
        writer.stderr.close()
        assert killed[-1].is_file() and killed[-1].parent == tmp_path  # left behind by the kill
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        host = checkpoint_module._HOST
        of_a_live_save = tmp_path / f".last.safetensors.{host}.{live.pid}.abcd_123.tmp"
        legacy_old = tmp_path / ".last.safetensors.q8x_2kfz.tmp"  # tt-train 0.2.0's naming
        legacy_recent = tmp_path / ".last.safetensors.zz9_3kfz.tmp"
        unrelated = [
            tmp_path / f".other.safetensors.{host}.{killed[0].name.split('.')[-3]}.abcd_123.tmp",
            tmp_path / f".last.safetensors.backup.{host}.1.abcd_123.tmp",
            tmp_path / "last.safetensors.tmp",
            tmp_path / "notes.txt",
        ]
        for path in [of_a_live_save, legacy_old, legacy_recent, *unrelated]:
            path.write_bytes(b"x")
        hours_ago = time.time() - 2 * 3600
        os.utime(legacy_old, (hours_ago, hours_ago))
        for path in unrelated:
            os.utime(path, (hours_ago, hours_ago))

        model, opt, scheduler = small()
        save_checkpoint(target, model, opt, scheduler, epoch=1)

        assert not any(path.exists() for path in killed), "a killed save's temporary is still there"
        assert not legacy_old.exists()
        for path in [of_a_live_save, legacy_recent, *unrelated]:
            assert path.exists(), f"{path.name} was removed"
        assert load_checkpoint(target, *small(seed=1)).epoch == 1
    finally:
        live.kill()
        live.wait()
