"""Module 08: the Trainer's loop — fit, evaluate, history, accuracy, accumulation, callbacks.

`fit` is compared with a PyTorch training loop's losses and parameters, stored in
tests/fixtures/trainer.npz.
"""

import numpy as np
import pytest
from tt_train_helpers import batches, blobs, mlp, params_of

from tinytorch.core import Tensor
from tinytorch.nn import BCEWithLogitsLoss, CrossEntropyLoss, Dropout, Linear, Module, MSELoss, Sequential
from tinytorch.train import Callback, Trainer, accuracy
from tinytorch.train.optim import SGD

pytestmark = pytest.mark.module08


def classifier_setup(lr=0.2, **kwargs):
    model = mlp()
    trainer = Trainer(model, SGD(model.parameters(), lr=lr, momentum=0.9), CrossEntropyLoss(), **kwargs)
    x, y = blobs()
    return trainer, batches(x[:64], y[:64], 16), batches(x[64:], y[64:], 16)


def test_fit_learns_and_records_history():
    trainer, train, val = classifier_setup()
    history = trainer.fit(train, epochs=6, val=val)
    assert history is trainer.history and len(history) == 6 and trainer.epoch == 6
    assert set(history[0]) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"}
    assert [h["epoch"] for h in history] == [1, 2, 3, 4, 5, 6]
    assert history[-1]["loss"] < 0.5 * history[0]["loss"]
    assert history[-1]["val_accuracy"] > 0.9
    assert all(h["lr"] == 0.2 and h["time"] > 0 for h in history)


def test_fit_without_validation_and_continuing():
    trainer, train, _ = classifier_setup()
    trainer.fit(train, epochs=2)
    assert "val_loss" not in trainer.history[0]
    trainer.fit(train, epochs=3)  # epochs counts in total: one more
    assert [h["epoch"] for h in trainer.history] == [1, 2, 3]


def test_epoch_loss_is_the_sample_weighted_mean_of_batch_losses():
    x, y = blobs(n=10)
    model = mlp()
    loss_fn = CrossEntropyLoss()
    whole = loss_fn(model(Tensor(x)), Tensor(y)).item()  # the mean over all 10 samples at once
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), loss_fn)
    assert trainer.evaluate(batches(x, y, 4))["loss"] == pytest.approx(whole, rel=1e-6)  # batches of 4, 4, 2
    assert trainer.evaluate(batches(x, y, 10))["loss"] == pytest.approx(whole, rel=1e-6)


@pytest.mark.parametrize("accum", [1, 2])
def test_fit_matches_a_pytorch_loop(accum, stored):
    """3 epochs over 6 batches of 8 (SGD with momentum; accumulating 2 batches per step, or not):
    each epoch's loss and the final parameters as a PyTorch loop computed them."""
    data = stored("trainer")
    model = mlp()  # Linear(4, 8), Tanh, Linear(8, 3)
    model.load_state_dict(stored("trainer", "start/"))
    trainer = Trainer(
        model, SGD(model.parameters(), lr=0.1, momentum=0.9), CrossEntropyLoss(), grad_accum_steps=accum
    )
    history = trainer.fit(batches(data["x"], data["y"], 8), epochs=3)
    np.testing.assert_allclose([h["loss"] for h in history], data[f"accum{accum}/losses"], rtol=1e-5)
    for name, value in stored("trainer", f"accum{accum}/params/").items():
        np.testing.assert_allclose(dict(model.named_parameters())[name].data, value, rtol=1e-5, atol=1e-6)


def test_evaluate_runs_in_eval_mode_without_gradients():
    modes = []

    class Spy(Module):
        def __init__(self):
            super().__init__()
            self.inner = mlp()

        def forward(self, x):
            modes.append(self.training)
            return self.inner(x)

    model = Spy()
    trainer, _, val = classifier_setup()
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), CrossEntropyLoss())
    logs = trainer.evaluate(val)
    assert set(logs) == {"loss", "accuracy"} and 0 <= logs["accuracy"] <= 1
    assert modes and not any(modes) and model.training  # eval inside, training mode restored after
    assert all(p.grad is None for p in model.parameters())


def test_dropout_is_active_in_training_only():
    model = Sequential(Linear(4, 64), Dropout(0.5), Linear(64, 3))
    x, y = blobs(n=32)
    trainer = Trainer(model, SGD(model.parameters(), lr=1e-9), CrossEntropyLoss())
    data = batches(x, y, 32)
    assert trainer.evaluate(data)["loss"] == trainer.evaluate(data)["loss"]  # deterministic in eval
    first = trainer.fit(data, epochs=1)[0]["loss"]
    assert first != pytest.approx(trainer.evaluate(data)["loss"], rel=1e-4)


def test_accuracy_multiclass_and_binary():
    logits = Tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.0, 0.0, 5.0], [1.0, 0.0, 0.0]])
    assert accuracy(logits, Tensor(np.array([0, 1, 1, 0]))) == 0.75
    binary = Tensor([[0.3], [-1.0], [2.0], [0.7]])
    targets = Tensor([[1.0], [0.0], [1.0], [0.0]])
    assert accuracy(binary, targets) == 0.75  # logits: > 0
    assert accuracy(binary, targets, threshold=0.5) == 0.5  # probabilities: > 0.5
    assert accuracy(binary.data.ravel(), np.array([1, 0, 1, 0])) == 0.75


def test_accuracy_rejects_mismatched_or_non_binary_targets():
    with pytest.raises(ValueError, match="class-index targets"):
        accuracy(Tensor(np.zeros((4, 3))), Tensor(np.zeros((4, 3))))
    with pytest.raises(ValueError, match="must be 0 or 1"):
        accuracy(Tensor(np.zeros((3, 1))), Tensor(np.array([[0.5], [1.0], [2.0]])))
    with pytest.raises(ValueError, match=r"binary outputs .* got outputs \(3, 1\) and targets \(2,\)"):
        accuracy(Tensor(np.zeros((3, 1))), Tensor(np.zeros(2)))
    with pytest.raises(ValueError, match=r"need a batch of outputs, got shape \(\)"):
        accuracy(Tensor(np.array(1.0)), Tensor(np.array(1.0)))
    assert accuracy(Tensor(np.zeros((2, 2))), Tensor(np.array([0, 1]))) == 0.5


def test_binary_classifier_with_logits():
    x, y = blobs(n=64, classes=2)
    model = mlp(sizes=(4, 8, 1))
    trainer = Trainer(model, SGD(model.parameters(), lr=0.5), BCEWithLogitsLoss())
    targets = y.astype(np.float32)[:, None]
    history = trainer.fit(batches(x, targets, 16), epochs=8)
    assert history[-1]["accuracy"] > 0.9


def test_regression_without_metrics():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    t = (x @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32)) + 0.3
    model = Linear(3, 1)
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), MSELoss(), metrics={})
    history = trainer.fit(batches(x, t, 16), epochs=30)
    assert set(history[-1]) == {"epoch", "loss", "lr", "time"}
    assert history[-1]["loss"] < 1e-3
    np.testing.assert_allclose(model.weight.data, [[1.0, -2.0, 0.5]], atol=0.02)


def test_gradient_accumulation_equals_one_big_batch():
    x, y = blobs(n=16)
    small, big = mlp(), mlp()
    Trainer(small, SGD(small.parameters(), lr=0.1), CrossEntropyLoss(), grad_accum_steps=2).fit(
        batches(x, y, 8), epochs=1
    )
    Trainer(big, SGD(big.parameters(), lr=0.1), CrossEntropyLoss()).fit(batches(x, y, 16), epochs=1)
    for name, value in params_of(small).items():
        np.testing.assert_allclose(value, params_of(big)[name], rtol=1e-5, atol=1e-6)


def test_an_incomplete_accumulation_group_still_steps():
    x, y = blobs(n=12)
    model = mlp()
    before = params_of(model)
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), CrossEntropyLoss(), grad_accum_steps=4)
    trainer.fit(batches(x, y, 4), epochs=1)  # 3 batches, never a full group of 4
    assert not np.array_equal(before["0.weight"], model[0].weight.data)
    assert all(p.grad is None for p in model.parameters())


def test_callbacks_see_every_batch_and_epoch():
    events = []

    class Recorder(Callback):
        def on_train_begin(self, trainer):
            events.append("begin")

        def on_batch_end(self, trainer, batch, logs):
            events.append(("batch", batch, sorted(logs)))

        def on_epoch_end(self, trainer, epoch, logs):
            events.append(("epoch", epoch, logs["epoch"]))

        def on_train_end(self, trainer):
            events.append("end")

    def plain(trainer, epoch, logs):
        events.append(("plain", epoch))

    trainer, train, _ = classifier_setup(callbacks=[Recorder(), plain])
    trainer.fit(train[:2], epochs=2)
    batch = ["accuracy", "loss"]
    assert events == [
        "begin",
        ("batch", 0, batch),
        ("batch", 1, batch),
        ("epoch", 0, 1),
        ("plain", 0),
        ("batch", 0, batch),
        ("batch", 1, batch),
        ("epoch", 1, 2),
        ("plain", 1),
        "end",
    ]


def test_a_callback_can_stop_training():
    def stop_after_two(trainer, epoch, logs):
        if logs["epoch"] == 2:
            trainer.stop_training = True

    trainer, train, _ = classifier_setup(callbacks=[stop_after_two])
    assert len(trainer.fit(train, epochs=10)) == 2


def test_no_progress_output_when_stdout_is_not_a_terminal(capsys):
    trainer, train, val = classifier_setup(progress=True)
    trainer.fit(train, epochs=1, val=val)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_bad_inputs_raise_clear_errors():
    trainer, train, _ = classifier_setup()
    with pytest.raises(ValueError, match="no batches"):
        trainer.fit([], epochs=1)
    with pytest.raises(TypeError, match=r"\(inputs, targets\) pair"):
        trainer.fit([train[0][0]], epochs=1)
    with pytest.raises(ValueError, match="invalid grad_accum_steps=0"):
        Trainer(mlp(), SGD(mlp().parameters(), lr=0.1), CrossEntropyLoss(), grad_accum_steps=0)
    with pytest.raises(ValueError, match="invalid epochs=-1"):
        trainer.fit(train, epochs=-1)
    assert len(trainer.fit(train, epochs=1)) == 1


def test_numpy_batches_are_accepted():
    x, y = blobs(n=32)
    model = mlp()
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), CrossEntropyLoss())
    history = trainer.fit([(x[:16], y[:16]), (x[16:], y[16:])], epochs=2)
    assert history[1]["loss"] < history[0]["loss"]
