"""Milestone 4's run in PyTorch, and nanoGPT's own run in PyTorch and in TinyTorch.

    hatch run oracle:python benchmarks/milestone_gpt_torch.py [--seed 1337] [--gelu none|tanh]
    hatch run oracle:python benchmarks/milestone_gpt_torch.py --protocol nanogpt [--engine torch|tinytorch]

The model is nanoGPT's GPT (packages/tt-text/tests/oracle/tt_text_oracle.py:
TorchGPT, weight-tied, nanoGPT's initialisation, its modules built in
nanoGPT's order); the optimiser is nanoGPT's: AdamW with decay on the
matrices only, betas (0.9, 0.99), warm-up then cosine (its get_lr), clipping
at 1.0.

`--protocol milestone` (default) mirrors `tinytorch.text.training.train_on_shakespeare`
step for step: batches from `TextData.get_batch` with the same seeded NumPy
generators (`TrainConfig.batch_seed`, `eval_seed`), the final estimate over 200
batches of each split. Only the initial weights differ (torch draws them). It
prints the same final line as `hatch run milestones:gpt`, so the two validation
losses and tokens/s compare for one configuration.

`--protocol nanogpt` is nanoGPT's train.py with its README's CPU command
(`config/train_shakespeare_char.py --device=cpu --compile=False --eval_iters=20
--block_size=64 --batch_size=12 --n_layer=4 --n_head=4 --n_embd=128
--max_iters=2000 --lr_decay_iters=2000 --dropout=0.0`): one torch generator,
seeded once (train.py: 1337), draws the initial weights and then every batch
with torch.randint in train.py's order, including the 20-batch estimates
every 250 iterations. The "step 2000" line is the figure nanoGPT's README
reports ("a loss of only 1.88"). Then the same final model is measured over
`--final-eval-iters` batches (a torch generator seeded with seed + 1), the
milestone's kind of estimate.

`--engine tinytorch` (nanogpt protocol only) trains TinyTorch's TinyGPT on
exactly those draws: the initial weights torch drew, the same batch windows,
the same estimate windows. Only the arithmetic differs. `--engine both` trains
the two side by side on the same draws and prints both at every estimate;
`--max-diff D` fails the run if the final validation losses differ by more
than D (`hatch run oracle:gpt-nanogpt`: the full 2,000 iterations, about 26 minutes on a
slow machine).

`--stop-after N` trains only the first N iterations of that same run and then
measures the final estimate: the schedule (warm-up, cosine decay over
`--iters`) is unchanged, so the draws, learning rates and step lines up to N
are exactly the full run's first ones (`--iters N` instead shortens the
schedule: a different run). CI replays 300 iterations, the step 0 and step 250
estimates included (`hatch run oracle:gpt-nanogpt-ci`).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "packages" / "tt-text" / "tests" / "oracle"))
from tt_text_oracle import TorchGPT

import tinytorch.core as tt
from tinytorch.text import GPTConfig, ShakespeareDataset, TinyGPT
from tinytorch.text.datasets.batching import Split
from tinytorch.text.training import TrainConfig
from tinytorch.train.optim import AdamW, clip_grad_norm_


class TorchEngine:
    """nanoGPT's model and optimiser in PyTorch."""

    name = f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads)"

    def __init__(self, model: TorchGPT, cfg: TrainConfig) -> None:
        self.model = model
        self.params = list(model.parameters())
        self.optimizer = torch.optim.AdamW(
            [
                {"params": [p for p in self.params if p.dim() >= 2], "weight_decay": cfg.weight_decay},
                {"params": [p for p in self.params if p.dim() < 2], "weight_decay": 0.0},
            ],
            lr=cfg.learning_rate,
            betas=cfg.betas,
        )
        self.grad_clip = cfg.grad_clip

    def step(self, x: np.ndarray, y: np.ndarray, lr: float) -> float:
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        _, loss = self.model(torch.from_numpy(x), torch.from_numpy(y))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, self.grad_clip)
        self.optimizer.step()
        return float(loss.item())

    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        self.model.eval()
        with torch.no_grad():
            value = self.model(torch.from_numpy(x), torch.from_numpy(y))[1].item()
        self.model.train()
        return float(value)


class TinyTorchEngine:
    """TinyTorch's TinyGPT and AdamW, started from a TorchGPT's initial weights."""

    name = "TinyTorch"

    def __init__(self, start: TorchGPT, config: GPTConfig, cfg: TrainConfig) -> None:
        self.model = TinyGPT(config)
        state = {k: v.detach().numpy().copy() for k, v in start.state_dict().items()}
        del state["lm_head.weight"]  # tied: TinyGPT keeps the one table as transformer.wte.weight
        self.model.load_state_dict(state)
        params = list(self.model.parameters())
        self.params = params
        self.optimizer = AdamW(
            [
                {"params": [p for p in params if p.ndim >= 2], "weight_decay": cfg.weight_decay},
                {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
            ],
            lr=cfg.learning_rate,
            betas=cfg.betas,
        )
        self.grad_clip = cfg.grad_clip

    def step(self, x: np.ndarray, y: np.ndarray, lr: float) -> float:
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        _, loss = self.model(tt.Tensor(x), tt.Tensor(y))
        self.optimizer.zero_grad()
        loss.backward()
        clip_grad_norm_(self.params, self.grad_clip)
        self.optimizer.step()
        return float(loss.item())

    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        self.model.eval()
        with tt.no_grad():
            value = self.model(tt.Tensor(x), tt.Tensor(y))[1].item()
        self.model.train()
        return float(value)


def nanogpt_lr(cfg: TrainConfig, it: int) -> float:
    """nanoGPT's get_lr: linear warm-up, cosine decay to min_lr at lr_decay_iters."""
    if it < cfg.warmup_iters:
        return cfg.learning_rate * (it + 1) / (cfg.warmup_iters + 1)
    if it > cfg.decay_iters:
        return cfg.min_lr
    ratio = (it - cfg.warmup_iters) / (cfg.decay_iters - cfg.warmup_iters)
    return cfg.min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (cfg.learning_rate - cfg.min_lr)


def torch_batch(
    ids: np.ndarray, batch_size: int, block_size: int, generator: torch.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """nanoGPT's get_batch: window starts from torch.randint (the global generator by default)."""
    starts = torch.randint(len(ids) - block_size, (batch_size,), generator=generator).numpy()
    x = np.stack([ids[i : i + block_size] for i in starts]).astype(np.int64)
    y = np.stack([ids[i + 1 : i + 1 + block_size] for i in starts]).astype(np.int64)
    return x, y


def measure_noise(engine: Any, val: np.ndarray, cfg: TrainConfig, block: int, draws: int) -> None:
    """How far a random-window estimate of one model's validation loss strays from the whole split's."""
    n = (len(val) - 1) // block  # the whole split as consecutive windows: every target token once
    x = val[: n * block].reshape(n, block).astype(np.int64)
    y = val[1 : n * block + 1].reshape(n, block).astype(np.int64)
    step = cfg.batch_size
    whole = sum(
        engine.loss(x[i : i + step], y[i : i + step]) * len(x[i : i + step]) for i in range(0, n, step)
    )
    per_batch = np.array(
        [
            [engine.loss(*torch_batch(val, cfg.batch_size, block, gen)) for _ in range(cfg.final_eval_iters)]
            for gen in (torch.Generator().manual_seed(k) for k in range(draws))
        ]
    )  # (draws, final_eval_iters)
    print(f"{engine.name}: whole val split ({n} windows of {block}): {whole / n:.4f}")
    sizes = [cfg.final_eval_iters]
    if cfg.final_eval_iters % cfg.eval_iters == 0:
        sizes.append(cfg.eval_iters)  # nanoGPT's estimates: the same batches, in groups of 20
    for size in sizes:
        means = per_batch.reshape(-1, size).mean(axis=1)
        print(
            f"{engine.name}: {len(means)} estimates of {size} batches: mean {means.mean():.4f}, "
            f"sd {means.std():.4f}, min {means.min():.4f}, max {means.max():.4f}"
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--protocol", choices=["milestone", "nanogpt"], default="milestone")
    parser.add_argument("--engine", choices=["torch", "tinytorch", "both"], default="torch")
    parser.add_argument("--iters", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--gelu", choices=["none", "tanh"], default="none", help="nanoGPT: none (exact)")
    parser.add_argument("--final-eval-iters", type=int, default=200, help="batches per split at the end")
    parser.add_argument(
        "--noise-draws",
        type=int,
        default=0,
        metavar="K",
        help="after training, re-estimate the final val loss K times (--final-eval-iters batches each,\n"
        "torch generators seeded 0..K-1; in groups of 20 batches too) and over the whole val split",
    )
    parser.add_argument(
        "--stop-after",
        type=int,
        metavar="N",
        help="train the first N of --iters iterations (the same schedule and draws: a prefix of the\n"
        "full run), then the final estimate",
    )
    parser.add_argument(
        "--max-diff", type=float, help="--engine both: exit 1 if the final val losses differ by more"
    )
    args = parser.parse_args(argv)
    if args.engine != "torch" and args.protocol != "nanogpt":
        parser.error("--engine tinytorch/both needs --protocol nanogpt (`milestones:gpt` is TinyTorch's run)")
    tt.retain_freed_memory()  # as the milestone does; one malloc policy for both engines in this process
    cfg = TrainConfig(seed=args.seed, final_eval_iters=args.final_eval_iters)
    if args.iters != cfg.max_iters:  # as the milestone: a shorter run keeps the schedule's shape
        cfg = replace(cfg, max_iters=args.iters, warmup_iters=min(100, args.iters // 20))
    stop = cfg.max_iters if args.stop_after is None else args.stop_after
    if not 0 < stop <= cfg.max_iters:
        parser.error(f"--stop-after {stop}: expected 1..{cfg.max_iters} (the run's --iters)")
    data = ShakespeareDataset("char")
    config = GPTConfig(vocab_size=data.vocab_size, bias=False, gelu=args.gelu)  # block 64, 4x4x128
    ids = {split: data.ids(split) for split in ("train", "val")}
    torch.manual_seed(args.seed)  # nanoGPT: torch.manual_seed(1337), then the model draws its weights
    model = TorchGPT(config)
    engines: list[Any] = []
    if args.engine in ("tinytorch", "both"):  # a copy of torch's initial weights
        engines.append(TinyTorchEngine(model, config, cfg))
    if args.engine in ("torch", "both"):
        engines.insert(0, TorchEngine(model, cfg))
    block, batch = config.block_size, cfg.batch_size

    if args.protocol == "nanogpt":  # everything from torch's global generator, in train.py's order

        def next_batch(split: Split) -> tuple[np.ndarray, np.ndarray]:
            return torch_batch(ids[split], batch, block)

    else:  # the milestone's NumPy generator (TextData.get_batch)
        batches = np.random.default_rng(cfg.batch_seed)

        def next_batch(split: Split) -> tuple[np.ndarray, np.ndarray]:
            return data.get_batch(split, batch, block, batches)

    def windows(split: Split, iters: int, stream: bool) -> list[tuple[np.ndarray, np.ndarray]]:
        """nanoGPT's periodic estimates draw from the training stream; the milestone's estimates
        (and every final one) from a fresh generator: cfg.eval_seed, or torch's seeded seed + 1."""
        if stream:
            return [next_batch(split) for _ in range(iters)]
        if args.protocol == "nanogpt":
            gen = torch.Generator().manual_seed(cfg.seed + 1)
            return [torch_batch(ids[split], batch, block, gen) for _ in range(iters)]
        rng = np.random.default_rng(cfg.eval_seed)
        return [data.get_batch(split, batch, block, rng) for _ in range(iters)]

    def estimate(iters: int, stream: bool = False) -> list[dict[str, float]]:
        """Each engine's mean loss over the same `iters` batches of each split."""
        out: list[dict[str, float]] = [{} for _ in engines]
        for split in ("train", "val"):
            draws = windows(split, iters, stream)
            for result, engine in zip(out, engines, strict=True):
                result[split] = float(np.mean([engine.loss(x, y) for x, y in draws]))
        return out

    def show(label: str, estimates: list[dict[str, float]]) -> str:
        return f"{label}: " + "; ".join(
            f"{e.name}: train loss {r['train']:.4f}, val loss {r['val']:.4f}"
            for e, r in zip(engines, estimates, strict=True)
        )

    seconds = [0.0 for _ in engines]
    start = time.perf_counter()
    if args.protocol == "nanogpt":
        x, y = next_batch("train")  # train.py fetches the first batch before its loop
    for it in range(stop + 1):
        # --stop-after prints no extra step line at `stop`: every line it prints is one of the full run's
        if args.protocol == "nanogpt" and (it % cfg.eval_interval == 0 or it == cfg.max_iters):
            print(show(f"step {it}", estimate(cfg.eval_iters, stream=True)), flush=True)
        elif it % cfg.eval_interval == 0 and it < cfg.max_iters:
            print(show(f"iter {it:5d}", estimate(cfg.eval_iters)), flush=True)
        if it == stop:
            break
        if args.protocol == "nanogpt":
            step_x, step_y = x, y
            x, y = next_batch("train")  # train.py draws the next batch between forward and backward
        else:
            step_x, step_y = next_batch("train")
        for i, engine in enumerate(engines):
            step_start = time.perf_counter()
            engine.step(step_x, step_y, nanogpt_lr(cfg, it))
            seconds[i] += time.perf_counter() - step_start
    final = estimate(cfg.final_eval_iters)
    if args.protocol == "nanogpt" and stop == cfg.max_iters:
        print(f"nanoGPT's figure is the step {cfg.max_iters} line above ({cfg.eval_iters} batches per split)")
    elif stop < cfg.max_iters:
        print(
            f"stopped after {stop} of {cfg.max_iters} iterations (--stop-after): the full run's first {stop}"
        )
    tokens = stop * batch * block
    stopped = f", {stop} of {cfg.max_iters} iterations" if stop < cfg.max_iters else ""
    for engine, result, secs in zip(engines, final, seconds, strict=True):
        print(
            f"{engine.name}, protocol {args.protocol}, seed {args.seed}, gelu={args.gelu}{stopped}: "
            f"final ({cfg.final_eval_iters} batches each): train loss {result['train']:.4f}, "
            f"val loss {result['val']:.4f} = {data.bits_per_char(result['val']):.3f} bits/char; "
            f"{tokens / secs:,.0f} tokens/s"
        )
    print(f"{time.perf_counter() - start:.1f} s in all")
    if args.noise_draws:
        for engine in engines:
            measure_noise(engine, ids["val"], cfg, block, args.noise_draws)
    if len(engines) == 2:
        diff = abs(final[0]["val"] - final[1]["val"])
        ok = args.max_diff is None or diff <= args.max_diff
        bound = "" if args.max_diff is None else f" ({'<=' if ok else '>'} {args.max_diff})"
        print(f"{'' if ok else 'FAILED: '}final val loss, |TinyTorch - PyTorch| = {diff:.4f}{bound}")
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
