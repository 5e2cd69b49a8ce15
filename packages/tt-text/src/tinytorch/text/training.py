"""Train a language model on Shakespeare the way nanoGPT does (milestone 4).

    data = ShakespeareDataset("char")
    model = TinyGPT(GPTConfig(vocab_size=data.vocab_size, bias=False))
    result = train_on_shakespeare(model, data)  # nanoGPT's CPU run: 2,000 iterations
    result.val_loss                              # mean over `final_eval_iters` validation batches

or, as the course plan writes it, with the data and its tokenizer chosen to fit the model:

    model = TinyGPT(vocab_size=1000, layers=6, heads=8)
    train_on_shakespeare(model)                  # tiny-shakespeare, a BPE of 1,000 tokens
    generated = model.generate("To be or not to be")  # a string: the tokenizer is attached

Without `data`, the model's own tokenizer is used if it has one; otherwise
`ShakespeareDataset.for_vocab_size(model.config.vocab_size)`: characters if the
vocabulary is the corpus's 65 characters, else a byte-level BPE trained to that
size (>= 256). Either way the data's tokenizer becomes `model.tokenizer` (if it
had none), so `generate` takes and returns strings.

The loop is nanoGPT's `train.py` with its `config/train_shakespeare_char.py`
and the CPU command of its README (block 64, batch 12, 2,000 iterations,
lr decay over 2,000): AdamW with betas (0.9, 0.99), weight decay 0.1 on the
matrices only (embeddings and Linear weights; biases and LayerNorm gains
undecayed), linear warm-up for 100 iterations then cosine decay from 1e-3 to
1e-4, gradient clipping at norm 1.0, and every `eval_interval` iterations an
estimate of the train and validation loss over `eval_iters` random batches.
Batches and estimates come from their own seeded generators (`batch_seed`,
`eval_seed`), independent of the model's initial draws, so a run is reproducible.

`DEFAULT_CONFIG` is the config used when none is given (nanoGPT's 2,000
iterations); replacing it shortens every default run at once — the tests do,
to run the course plan's code verbatim in seconds.

Given code: it only calls what the student has built (the model, AdamW,
CosineWarmup, clip_grad_norm_, get_batch, the tokenizers and the corpus lookup).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from tinytorch.core import Tensor, no_grad
from tinytorch.nn import Module, eval_mode
from tinytorch.text.datasets import ShakespeareDataset, TextData
from tinytorch.text.gpt import TinyGPT
from tinytorch.train.optim import AdamW, clip_grad_norm_
from tinytorch.train.optim.lr_scheduler import CosineWarmup

__all__ = [
    "DEFAULT_CONFIG",
    "TrainConfig",
    "TrainResult",
    "attach_tokenizer",
    "estimate_loss",
    "shakespeare_for",
    "train_on_shakespeare",
]


@dataclass(frozen=True)
class TrainConfig:
    """nanoGPT's shakespeare_char settings for its CPU run (its README: "a loss of only 1.88")."""

    max_iters: int = 2000
    batch_size: int = 12
    block_size: int | None = None  # None: the model's block_size
    learning_rate: float = 1e-3
    min_lr: float = 1e-4
    warmup_iters: int = 100
    lr_decay_iters: int | None = None  # None: max_iters
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.99)
    grad_clip: float = 1.0
    eval_interval: int = 250
    eval_iters: int = 20  # per split, at every eval_interval (the CPU command's value)
    final_eval_iters: int = 200  # per split, once at the end: the reported losses (nanoGPT's default)
    seed: int = 1337

    def __post_init__(self) -> None:
        for name in ("max_iters", "batch_size", "eval_interval", "eval_iters", "final_eval_iters"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"TrainConfig: {name} must be an int >= 1, got {value!r}")
        if not 0 <= self.warmup_iters < self.decay_iters:
            raise ValueError(
                f"TrainConfig: need 0 <= warmup_iters ({self.warmup_iters}) "
                f"< lr_decay_iters ({self.decay_iters})"
            )

    @property
    def decay_iters(self) -> int:
        return self.max_iters if self.lr_decay_iters is None else self.lr_decay_iters

    # Two streams of their own. A model seeded with tinytorch.core.manual_seed(seed) draws its
    # weights from np.random.default_rng(seed); batches drawn from that same stream would be
    # functions of the very bits that made the weights (nanoGPT draws both from one torch
    # generator, one after the other, so its batches never repeat the initialisation's bits).
    @property
    def batch_seed(self) -> tuple[int, int]:
        """Seed of the training batches' generator (NumPy SeedSequence entropy)."""
        return (self.seed, 1)

    @property
    def eval_seed(self) -> tuple[int, int]:
        """Seed of every loss estimate's generator: each estimate sees the same windows."""
        return (self.seed, 2)


#: What `train_on_shakespeare` trains with when no config is given: nanoGPT's CPU run. A module
#: attribute, read at each call: `training.DEFAULT_CONFIG = TrainConfig(max_iters=200)` shortens
#: every run that does not pass a config (the course plan's `train_on_shakespeare(model)`).
DEFAULT_CONFIG = TrainConfig()


@dataclass
class TrainResult:
    """What a run measured. Losses are mean cross-entropies in nats per token."""

    config: TrainConfig
    train_loss: float  # over final_eval_iters batches after the last iteration
    val_loss: float
    val_bits_per_char: float  # val_loss per character, in bits: comparable across tokenizers
    losses: list[float] = field(default_factory=list)  # every iteration's training-batch loss
    evals: list[dict[str, float]] = field(default_factory=list)  # {iter, train, val, lr, time}
    train_seconds: float = 0.0  # the iterations only (evaluations excluded)
    wall_seconds: float = 0.0  # everything, evaluations included
    tokens_per_second: float = 0.0  # training tokens (batch x block) per training second

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def estimate_loss(
    model: Module,
    data: TextData,
    eval_iters: int,
    batch_size: int,
    block_size: int,
    seed: int | Sequence[int],
) -> dict[str, float]:
    """Mean loss over `eval_iters` random batches of each split, in eval mode, without a graph.

    Each call draws its batches from a generator seeded with `seed`, so two
    models (or two checkpoints) are compared on the same windows."""
    out = {}
    with eval_mode(model), no_grad():
        for split in ("train", "val"):
            rng = np.random.default_rng(seed)
            losses = [
                model(*map(Tensor, data.get_batch(split, batch_size, block_size, rng)))[1].item()
                for _ in range(eval_iters)
            ]
            out[split] = float(np.mean(losses))
    return out


def shakespeare_for(model: TinyGPT) -> ShakespeareDataset:
    """The Shakespeare data for `model`: tokenized with `model.tokenizer` if it has one, else with
    a tokenizer of exactly `model.config.vocab_size` tokens (`ShakespeareDataset.for_vocab_size`:
    characters at 65, a BPE trained to that size from 256 up; ValueError otherwise)."""
    tokenizer = getattr(model, "tokenizer", None)
    if tokenizer is not None:
        return ShakespeareDataset(tokenizer)
    try:
        return ShakespeareDataset.for_vocab_size(model.config.vocab_size)
    except ValueError as error:
        raise ValueError(
            f"train_on_shakespeare: no data given, and the model's vocab_size "
            f"({model.config.vocab_size}) fits no tokenizer of the corpus: {error}"
        ) from None


def attach_tokenizer(model: TinyGPT, data: TextData) -> None:
    """Give `model` the data's tokenizer (if it has none), so generate takes and returns strings.

    ValueError if the data has more tokens than the model's vocabulary, or if the model already
    holds a different tokenizer: it would learn one tokenizer's ids and generate with the other's."""
    if data.vocab_size > model.config.vocab_size:
        raise ValueError(
            f"train_on_shakespeare: the data's tokenizer has {data.vocab_size} tokens, but the model's "
            f"vocab_size is {model.config.vocab_size}: ids >= {model.config.vocab_size} have no embedding"
        )
    current = getattr(model, "tokenizer", None)
    if current is None:
        model.tokenizer = data.tokenizer
    elif current is not data.tokenizer and current != data.tokenizer:
        raise ValueError(
            f"train_on_shakespeare: model.tokenizer ({current!r}) is not the data's tokenizer "
            f"({data.tokenizer!r}); the model would learn the data's ids and generate with another "
            "tokenizer's. Set model.tokenizer = data.tokenizer (or None) first"
        )


def train_on_shakespeare(
    model: TinyGPT,
    data: TextData | None = None,
    config: TrainConfig | None = None,
    log: Callable[[str], None] | None = print,
) -> TrainResult:
    """Train `model` (forward(idx, targets) -> (logits, loss)) on `data` as nanoGPT does; see the module doc.

    data: a TextData; None loads tiny-shakespeare with a tokenizer that fits the model
    (`shakespeare_for`). The data's tokenizer becomes `model.tokenizer` if it had none
    (`attach_tokenizer`). config: None is `DEFAULT_CONFIG` (nanoGPT's 2,000 iterations).
    `log` receives one line per evaluation and per 100 iterations (None: silent).
    Returns the final train/val losses, every iteration's loss and the timings.
    """
    say = log or (lambda _: None)
    if data is None:
        start = time.perf_counter()
        data = shakespeare_for(model)
        say(f"data: {data!r} ({time.perf_counter() - start:.1f} s)")
    attach_tokenizer(model, data)
    cfg = config or DEFAULT_CONFIG
    block_size = cfg.block_size or model.config.block_size
    decay = [p for p in model.parameters() if p.ndim >= 2]  # matmul weights and embeddings
    no_decay = [p for p in model.parameters() if p.ndim < 2]  # biases, LayerNorm gains
    optimizer = AdamW(
        [
            {"params": decay, "weight_decay": cfg.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=cfg.learning_rate,
        betas=cfg.betas,
    )
    schedule = CosineWarmup(optimizer, cfg.warmup_iters, cfg.decay_iters, min_lr=cfg.min_lr)
    batches = np.random.default_rng(cfg.batch_seed)
    result = TrainResult(cfg, train_loss=float("nan"), val_loss=float("nan"), val_bits_per_char=float("nan"))
    start = time.perf_counter()
    train_seconds = 0.0

    def evaluate(iteration: int, iters: int) -> None:
        losses = estimate_loss(model, data, iters, cfg.batch_size, block_size, cfg.eval_seed)
        entry = {"iter": iteration, **losses, "lr": optimizer.param_groups[0]["lr"], "time": train_seconds}
        result.evals.append(entry)
        say(
            f"iter {iteration:5d}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f} "
            f"({iters} batches each; {train_seconds:.1f} s training)"
        )

    model.train()
    for iteration in range(cfg.max_iters):
        if iteration % cfg.eval_interval == 0:
            evaluate(iteration, cfg.eval_iters)
        step_start = time.perf_counter()
        x, y = data.get_batch("train", cfg.batch_size, block_size, batches)
        _, loss = model(Tensor(x), Tensor(y))
        optimizer.zero_grad()
        loss.backward()
        clip_grad_norm_(model.parameters(), cfg.grad_clip)
        optimizer.step()
        schedule.step()
        train_seconds += time.perf_counter() - step_start
        result.losses.append(loss.item())
        if iteration % 100 == 0 or iteration == cfg.max_iters - 1:
            tokens_per_second = (iteration + 1) * cfg.batch_size * block_size / train_seconds
            say(f"iter {iteration:5d}: loss {result.losses[-1]:.4f}, {tokens_per_second:,.0f} tokens/s")

    final = estimate_loss(model, data, cfg.final_eval_iters, cfg.batch_size, block_size, cfg.eval_seed)
    result.train_loss, result.val_loss = final["train"], final["val"]
    result.val_bits_per_char = data.bits_per_char(result.val_loss, "val")
    result.evals.append(
        {"iter": cfg.max_iters, **final, "lr": optimizer.param_groups[0]["lr"], "time": train_seconds}
    )
    result.train_seconds = train_seconds
    result.tokens_per_second = cfg.max_iters * cfg.batch_size * block_size / train_seconds
    result.wall_seconds = time.perf_counter() - start
    say(
        f"final ({cfg.final_eval_iters} batches each): train loss {result.train_loss:.4f}, "
        f"val loss {result.val_loss:.4f} = {result.val_bits_per_char:.3f} bits/char; "
        f"{result.tokens_per_second:,.0f} tokens/s, {result.wall_seconds:.1f} s in all"
    )
    return result
