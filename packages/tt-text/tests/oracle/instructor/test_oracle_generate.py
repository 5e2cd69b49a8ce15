"""Module 15 against PyTorch (instructor-only): greedy generation equals nanoGPT's generate loop on
the twin model. A release drops this folder; student copies compare with the tokens it produced,
stored in tests/fixtures/generate.npz (tests/test_generate.py)."""

import numpy as np
import pytest
import torch
from tt_text_nanogpt import TorchGPT, nanogpt_greedy

import tinytorch.core as tc
from tinytorch.text import GPTConfig, TinyGPT

pytestmark = [pytest.mark.oracle, pytest.mark.module15]


@pytest.mark.parametrize("use_cache", [True, False])
def test_greedy_generation_equals_nanogpts(use_cache):
    config = GPTConfig(vocab_size=17, block_size=10, n_layer=2, n_head=2, n_embd=16)
    tc.manual_seed(0)
    ours = TinyGPT(config)
    r = np.random.default_rng(0)
    for p in ours.parameters():
        p.data += (r.standard_normal(p.shape) * 0.3).astype(np.float32)
    theirs = TorchGPT(config)
    theirs.load_tinytorch(ours.state_dict())
    prompt = np.array([[1, 2, 3], [16, 0, 5]])
    with torch.no_grad():
        expected = nanogpt_greedy(theirs, torch.from_numpy(prompt), 25, config.block_size)
    out = ours.generate(prompt, 25, temperature=0, use_cache=use_cache)
    np.testing.assert_array_equal(out.data, expected.numpy())
