"""Module 15: train_on_shakespeare (the milestone-4 loop) on a small text and a small TinyGPT."""

import math
import re
from pathlib import Path

import numpy as np
import pytest

import tinytorch.core as tc
from tinytorch.text import BPETokenizer, CharTokenizer, GPTConfig, ShakespeareDataset, TextData, TinyGPT
from tinytorch.text import training as training_module
from tinytorch.text.datasets import load_shakespeare, split_text_like_nanogpt
from tinytorch.text.gpt import DEFAULT_MAX_NEW_TOKENS
from tinytorch.text.training import TrainConfig, estimate_loss, train_on_shakespeare
from tinytorch.train import datafiles

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
    # the data's tokenizer is attached, so the model now speaks text
    assert model.tokenizer is data.tokenizer
    assert model.generate("to be", 5, temperature=0).startswith("to be")


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


# ------------------------------------------------ the course plan's code, on tiny-shakespeare

#: The course plan's phase-4 milestone, exactly as the plan writes it.
PLAN_CODE = """model = TinyGPT(vocab_size=1000, layers=6, heads=8)
train_on_shakespeare(model)
generated = model.generate("To be or not to be")
print(generated)
"""
#: The imports guide 15 shows with it, and nothing else.
PLAN_IMPORTS = "from tinytorch.text import TinyGPT, train_on_shakespeare\n"
GUIDE_15 = Path(__file__).resolve().parents[1] / "guides" / "15-generation.md"
#: A run of seconds instead of nanoGPT's 2,000 iterations (training.DEFAULT_CONFIG is the hook).
QUICK = TrainConfig(
    max_iters=6, batch_size=4, warmup_iters=1, eval_interval=1000, eval_iters=1, final_eval_iters=2
)


def _no_network(url: str, dest: Path) -> None:
    raise OSError(f"no network in tests: {url}")


@pytest.fixture
def quick_offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Short default training; the data from $TINYTORCH_DATA only, an empty cache, no downloads."""
    monkeypatch.setattr(training_module, "DEFAULT_CONFIG", QUICK)
    monkeypatch.setenv("TINYTORCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(datafiles, "urllib_download", _no_network)


def test_the_course_plans_milestone_code_runs_verbatim(
    shakespeare_data_dir: Path, quick_offline: None, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """train_on_shakespeare(model) picks tiny-shakespeare and a BPE of the model's 1,000 tokens,
    attaches it, and generate continues a string by its default 200 tokens."""
    generated_ids: list[tuple[np.ndarray, int, np.ndarray]] = []
    generate_ids = TinyGPT._generate_ids

    def recording(self, idx, max_new_tokens, *args):  # type: ignore[no-untyped-def]
        out = generate_ids(self, idx, max_new_tokens, *args)
        generated_ids.append((idx.copy(), max_new_tokens, out.copy()))
        return out

    monkeypatch.setattr(TinyGPT, "_generate_ids", recording)
    tc.manual_seed(0)
    namespace: dict[str, object] = {}
    exec(compile(PLAN_IMPORTS + PLAN_CODE, "<the course plan, phase 4>", "exec"), namespace)
    model, generated = namespace["model"], namespace["generated"]
    assert isinstance(model, TinyGPT) and isinstance(generated, str)

    # the tokenizer: a BPE trained to 1,000 tokens on tiny-shakespeare's train split, attached
    tok = model.tokenizer
    assert isinstance(tok, BPETokenizer) and tok.vocab_size == 1000
    text = load_shakespeare("tiny-shakespeare", data_dir=shakespeare_data_dir, download=False).text
    assert tok == BPETokenizer.train(split_text_like_nanogpt(text)[0], 1000)

    # generate: the prompt's ids, 200 new tokens by default, decoded back into the string printed
    ((prompt_ids, new_tokens, ids),) = generated_ids
    assert new_tokens == DEFAULT_MAX_NEW_TOKENS == 200
    assert prompt_ids.tolist() == [tok.encode("To be or not to be")]
    assert ids.shape == (1, prompt_ids.shape[1] + 200)
    assert generated == tok.decode(ids[0]) and generated.startswith("To be or not to be")
    out = capsys.readouterr().out
    assert out.endswith(generated + "\n")

    # it trained on tiny-shakespeare (the log names the data) and learnt something in 6 steps
    assert "data: ShakespeareDataset('tiny-shakespeare', tokenizer=BPETokenizer(vocab_size=1000" in out
    final = re.search(r"final \(2 batches each\): train loss ([\d.]+), val loss ([\d.]+)", out)
    assert final is not None, out
    assert float(final[2]) < math.log(1000) - 0.3  # uniform guessing: ln 1000 = 6.91

    if GUIDE_15.is_file():  # the guide shows exactly this code (the tests may run from an install)
        assert PLAN_IMPORTS + "\n" + PLAN_CODE in GUIDE_15.read_text(encoding="utf-8")


def test_without_data_the_tokenizer_fits_the_model(shakespeare_data_dir: Path, quick_offline: None) -> None:
    def small(vocab_size: int, tokenizer: object = None) -> TinyGPT:
        tc.manual_seed(0)
        return TinyGPT(vocab_size=vocab_size, layers=1, heads=2, block_size=16, tokenizer=tokenizer)

    # 65 = tiny-shakespeare's characters: nanoGPT's char tokenizer
    model = small(65)
    result = train_on_shakespeare(model, log=None)
    assert isinstance(model.tokenizer, CharTokenizer) and model.tokenizer.vocab_size == 65
    assert len(result.losses) == QUICK.max_iters
    assert model.generate("To be", 10, temperature=0).startswith("To be")

    # a tokenizer the model already has is the one used
    char = model.tokenizer
    other = small(65, tokenizer=char)
    train_on_shakespeare(other, log=None)
    assert other.tokenizer is char

    # sizes no tokenizer has: named, with the sizes that work
    with pytest.raises(
        ValueError, match=r"vocab_size \(100\) fits no tokenizer .* characters are 65 .*>= 256"
    ):
        train_on_shakespeare(small(100), log=None)

    # explicit data that does not fit the model, or clashes with its tokenizer
    data = ShakespeareDataset.for_vocab_size(65, data_dir=shakespeare_data_dir, download=False)
    assert isinstance(data.tokenizer, CharTokenizer)
    with pytest.raises(
        ValueError, match="the data's tokenizer has 65 tokens, but the model's vocab_size is 64"
    ):
        train_on_shakespeare(small(64), data, log=None)
    clash = small(65, tokenizer=CharTokenizer(data.tokenizer.chars[::-1]))
    with pytest.raises(ValueError, match=r"model.tokenizer \(CharTokenizer.*\) is not the data's tokenizer"):
        train_on_shakespeare(clash, data, log=None)
    with pytest.raises(ValueError, match="vocab_size must be a positive int"):
        ShakespeareDataset.for_vocab_size(0, data_dir=shakespeare_data_dir, download=False)
