"""Module 15: train_on_shakespeare (the milestone-4 loop) on a small text and a small TinyGPT."""

import math

import numpy as np
import pytest

import tinytorch.core as tc
from tinytorch.text import CharTokenizer, GPTConfig, TextData, TinyGPT
from tinytorch.text.training import TrainConfig, estimate_loss, train_on_shakespeare

pytestmark = pytest.mark.module15

TEXT = "to be or not to be, that is the question.\n" * 60  # 2,520 characters, 17 distinct


def small_run(seed: int = 0, iters: int = 40):
    data = TextData(TEXT, CharTokenizer.fit(TEXT))
    tc.manual_seed(seed)
    model = TinyGPT(GPTConfig(vocab_size=data.vocab_size, block_size=16, n_layer=1, n_head=2, n_embd=16))
    config = TrainConfig(
        max_iters=iters,
        learning_rate=1e-2,
        min_lr=1e-3,
        batch_size=8,
        warmup_iters=5,
        eval_interval=20,
        eval_iters=2,
        final_eval_iters=4,
        seed=seed,
    )
    return data, model, train_on_shakespeare(model, data, config, log=None)


def test_training_learns_and_reports_consistent_numbers():
    data, model, result = small_run()
    assert len(result.losses) == 40
    assert np.mean(result.losses[-5:]) < 0.7 * np.mean(result.losses[:5])  # it learns the repeated line
    assert result.val_loss < math.log(data.vocab_size)  # better than uniform guessing
    # the evaluations: iterations 0 and 20 (eval_iters batches) and the final one
    assert [e["iter"] for e in result.evals] == [0, 20, 40]
    assert result.evals[-1]["val"] == result.val_loss and result.evals[-1]["train"] == result.train_loss
    assert result.val_bits_per_char == pytest.approx(data.bits_per_char(result.val_loss, "val"))
    assert result.tokens_per_second == pytest.approx(40 * 8 * 16 / result.train_seconds)
    assert 0 < result.train_seconds <= result.wall_seconds
    # the final estimate is estimate_loss with the config's eval_seed, on the trained model
    again = estimate_loss(model, data, 4, 8, 16, seed=result.config.eval_seed)
    assert again == {"train": result.train_loss, "val": result.val_loss}


def test_training_is_reproducible_from_its_seed():
    _, _, first = small_run(seed=3, iters=10)
    _, _, second = small_run(seed=3, iters=10)
    _, _, other = small_run(seed=4, iters=10)
    assert first.losses == second.losses and first.val_loss == second.val_loss
    assert first.losses != other.losses


class RecordingData(TextData):
    """TextData that records every window it hands out."""

    def __init__(self, text: str) -> None:
        super().__init__(text, CharTokenizer.fit(text))
        self.seen: list[tuple[str, np.ndarray]] = []

    def get_batch(self, split, batch_size, block_size, generator=None):  # type: ignore[no-untyped-def]
        x, y = super().get_batch(split, batch_size, block_size, generator)
        self.seen.append((split, x))
        return x, y


def test_batches_come_from_their_own_stream_not_the_models():
    # tc.manual_seed(seed) made the weights from default_rng(seed): the training batches and
    # the estimates must come from other streams (cfg.batch_seed, cfg.eval_seed).
    data = RecordingData(TEXT)
    tc.manual_seed(2)
    model = TinyGPT(GPTConfig(vocab_size=data.vocab_size, block_size=16, n_layer=1, n_head=2, n_embd=16))
    cfg = TrainConfig(max_iters=3, warmup_iters=1, eval_interval=10, eval_iters=1, final_eval_iters=1, seed=2)
    train_on_shakespeare(model, data, cfg, log=None)
    train_windows = [x for split, x in data.seen if split == "train"]
    # estimate at 0 (1 train batch), then 3 training batches, then the final estimate (1)
    assert len(train_windows) == 5

    fresh = TextData(TEXT, CharTokenizer.fit(TEXT))

    def first(seed):
        return fresh.get_batch("train", 12, 16, np.random.default_rng(seed))[0]

    assert np.array_equal(train_windows[1], first(cfg.batch_seed))
    assert np.array_equal(train_windows[0], first(cfg.eval_seed))
    assert np.array_equal(train_windows[4], first(cfg.eval_seed))
    assert not any(np.array_equal(w, first(cfg.seed)) for w in train_windows)


def test_the_schedule_follows_nanogpt():
    _, _, result = small_run(iters=40)
    lrs = [e["lr"] for e in result.evals]
    assert lrs[0] == pytest.approx(1e-2 / 6)  # warm-up: lr * (it + 1) / (warmup + 1) at it = 0
    assert lrs[-1] == pytest.approx(1e-3)  # cosine decayed to min_lr at max_iters


def test_config_errors():
    with pytest.raises(ValueError, match="max_iters must be an int >= 1"):
        TrainConfig(max_iters=0)
    with pytest.raises(ValueError, match="warmup_iters"):
        TrainConfig(max_iters=50, warmup_iters=100)
