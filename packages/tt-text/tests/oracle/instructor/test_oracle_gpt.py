"""Module 14 against PyTorch (instructor-only): a whole pre-norm block and a whole TinyGPT loss with
every gradient, against nanoGPT's model (tt_text_nanogpt.TorchGPT) holding the same weights.

A release drops this folder: the twin is module 14's model line for line. Student copies check
the block and TinyGPT against values it computed (tests/fixtures, instructor/fixtures/make_fixtures.py)."""

import numpy as np
import pytest
import torch
from tt_text_nanogpt import TorchBlock, TorchGPT
from tt_text_oracle import assert_matches

import tinytorch.core as tc
from tinytorch.core import Tensor
from tinytorch.text import GPTConfig, TinyGPT, TransformerBlock

pytestmark = [pytest.mark.oracle, pytest.mark.module14]

DTYPES = [np.dtype(np.float32), np.dtype(np.float64)]
TORCH_DTYPE = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}


def cast_module(module, dtype):
    for p in module.parameters():
        p.data = p.data.astype(dtype)
    return module


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("gelu", ["tanh", "none"])
def test_block_matches_torch_block(dtype, gelu):
    tc.manual_seed(0)
    ours = cast_module(TransformerBlock(16, 4, gelu=gelu), dtype)
    theirs = TorchBlock(16, 4, gelu=gelu).to(TORCH_DTYPE[dtype])
    r = np.random.default_rng(0)
    with torch.no_grad():  # LayerNorms start at 1 and 0 in both: move them off
        for p in theirs.parameters():
            p.add_(torch.from_numpy(r.standard_normal(tuple(p.shape)).astype(dtype) * 0.1))
    ours.load_state_dict(theirs.state_dict())
    x = r.standard_normal((3, 10, 16)).astype(dtype)
    xt, xtorch = Tensor(x, requires_grad=True), torch.from_numpy(x).requires_grad_(True)
    out, expected = ours(xt), theirs(xtorch)
    assert_matches(out.data, expected, "block forward")
    grad = r.standard_normal(out.shape).astype(dtype)
    out.backward(grad)
    expected.backward(torch.from_numpy(grad))
    assert_matches(xt.grad.data, xtorch.grad, "block input gradient")
    torch_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_matches(p.grad.data, torch_params[name].grad, f"gradient of {name}")


def twin_gpts(config, dtype):
    tc.manual_seed(0)
    ours = cast_module(TinyGPT(config), dtype)
    r = np.random.default_rng(1)
    for p in ours.parameters():  # away from the init, so that every path carries weight
        p.data += (r.standard_normal(p.shape) * 0.05).astype(dtype)
    theirs = TorchGPT(config).to(TORCH_DTYPE[dtype])
    theirs.load_tinytorch(ours.state_dict())
    return ours, theirs


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("gelu", ["tanh", "none"])
def test_whole_gpt_loss_and_every_gradient_match_nanogpt(dtype, gelu):
    config = GPTConfig(vocab_size=13, block_size=12, n_layer=2, n_head=2, n_embd=16, gelu=gelu)
    ours, theirs = twin_gpts(config, dtype)
    r = np.random.default_rng(2)
    idx, targets = r.integers(0, 13, (3, 12)), r.integers(0, 13, (3, 12))
    logits, loss = ours(idx, targets)
    t_logits, t_loss = theirs(torch.from_numpy(idx), torch.from_numpy(targets))
    assert_matches(logits.data, t_logits, "logits")
    assert_matches(loss.data, t_loss, "loss")
    loss.backward()
    t_loss.backward()
    torch_params = dict(theirs.named_parameters())  # the tied table under transformer.wte.weight
    names = [name for name, _ in ours.named_parameters()]
    assert sorted(names) == sorted(torch_params)
    for name, p in ours.named_parameters():
        assert_matches(p.grad.data, torch_params[name].grad, f"gradient of {name}")
    last, _ = ours(idx)
    assert_matches(last.data, theirs(torch.from_numpy(idx))[0], "logits of the last position")


def test_milestone_config_in_float32():
    ours, theirs = twin_gpts(GPTConfig(), np.dtype(np.float32))
    r = np.random.default_rng(3)
    idx, targets = r.integers(0, 65, (12, 64)), r.integers(0, 65, (12, 64))
    _, loss = ours(idx, targets)
    _, t_loss = theirs(torch.from_numpy(idx), torch.from_numpy(targets))
    assert_matches(loss.data, t_loss, "loss")
    loss.backward()
    t_loss.backward()
    torch_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_matches(p.grad.data, torch_params[name].grad, f"gradient of {name}", tol=1e-4)


def test_state_dict_round_trip_with_torch():
    config = GPTConfig(vocab_size=13, block_size=8, n_layer=1, n_head=2, n_embd=8)
    _, theirs = twin_gpts(config, np.dtype(np.float32))
    fresh = TinyGPT(config)
    state = {k: v for k, v in theirs.state_dict().items() if k != "lm_head.weight"}
    fresh.load_state_dict(state)
    idx = np.array([[1, 2, 3]])
    assert_matches(fresh(idx)[0].data, theirs(torch.from_numpy(idx))[0], "torch -> tinytorch")
    assert fresh.lm_head.weight is fresh.transformer.wte.weight
