"""Milestone 4's run in PyTorch: the same model, data, batches, schedule and evaluation.

    hatch run oracle:python benchmarks/milestone_gpt_torch.py [--iters 2000] [--seed 1337] [--gelu none|tanh]

The model is nanoGPT's GPT (packages/tt-text/tests/oracle/tt_text_oracle.py:
TorchGPT, weight-tied, nanoGPT's initialisation); the loop mirrors
`tinytorch.text.training.train_on_shakespeare` step for step: the batches come
from the same `TextData.get_batch` with the same seeded generator, AdamW with
decay on the matrices only, betas (0.9, 0.99), warm-up then cosine (nanoGPT's
get_lr), clipping at 1.0, and the final estimate over 200 batches of each split
drawn with seed + 1. It prints the same final line as the milestone, so the
two validation losses and tokens/s can be compared for one configuration.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "packages" / "tt-text" / "tests" / "oracle"))
from tt_text_oracle import TorchGPT

from tinytorch.text import GPTConfig, ShakespeareDataset
from tinytorch.text.training import TrainConfig


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--iters", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--gelu", choices=["none", "tanh"], default="none", help="nanoGPT: none (exact)")
    args = parser.parse_args(argv)
    cfg = TrainConfig(max_iters=args.iters, seed=args.seed)
    data = ShakespeareDataset("char")
    torch.manual_seed(args.seed)
    config = GPTConfig(vocab_size=data.vocab_size, bias=False, gelu=args.gelu)
    model = TorchGPT(config)
    params = list(model.parameters())
    optimizer = torch.optim.AdamW(
        [
            {"params": [p for p in params if p.dim() >= 2], "weight_decay": cfg.weight_decay},
            {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
        ],
        lr=cfg.learning_rate,
        betas=cfg.betas,
    )

    def get_lr(it: int) -> float:  # nanoGPT's train.py
        if it < cfg.warmup_iters:
            return cfg.learning_rate * (it + 1) / (cfg.warmup_iters + 1)
        if it > cfg.decay_iters:
            return cfg.min_lr
        ratio = (it - cfg.warmup_iters) / (cfg.decay_iters - cfg.warmup_iters)
        return cfg.min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (cfg.learning_rate - cfg.min_lr)

    def estimate(iters: int) -> dict[str, float]:
        model.eval()
        out = {}
        with torch.no_grad():
            for split in ("train", "val"):
                rng = np.random.default_rng(cfg.seed + 1)
                losses = []
                for _ in range(iters):
                    x, y = data.get_batch(split, cfg.batch_size, config.block_size, rng)
                    losses.append(model(torch.from_numpy(x), torch.from_numpy(y))[1].item())
                out[split] = float(np.mean(losses))
        model.train()
        return out

    batches = np.random.default_rng(cfg.seed)
    train_seconds = 0.0
    start = time.perf_counter()
    for it in range(cfg.max_iters):
        if it % cfg.eval_interval == 0:
            e = estimate(cfg.eval_iters)
            print(f"iter {it:5d}: train loss {e['train']:.4f}, val loss {e['val']:.4f}", flush=True)
        step = time.perf_counter()
        for group in optimizer.param_groups:
            group["lr"] = get_lr(it)
        x, y = data.get_batch("train", cfg.batch_size, config.block_size, batches)
        _, loss = model(torch.from_numpy(x), torch.from_numpy(y))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
        optimizer.step()
        train_seconds += time.perf_counter() - step
    final = estimate(cfg.final_eval_iters)
    tokens_per_second = cfg.max_iters * cfg.batch_size * config.block_size / train_seconds
    print(
        f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads, gelu={args.gelu}: "
        f"final ({cfg.final_eval_iters} batches each): train loss {final['train']:.4f}, "
        f"val loss {final['val']:.4f} = {data.bits_per_char(final['val']):.3f} bits/char; "
        f"{tokens_per_second:,.0f} tokens/s, {time.perf_counter() - start:.1f} s in all"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
