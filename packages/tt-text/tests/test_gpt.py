"""Module 14: GPTConfig and TinyGPT (weight tying, nanoGPT init, forward and loss, gradients).

Logits, loss and the tied table's gradient are compared with nanoGPT's model in PyTorch holding
the same weights (float64), stored in tests/fixtures/gpt.npz.
"""

import math

import numpy as np
import pytest

import tinytorch.core as tc
from tinytorch.core import Tensor, gradcheck
from tinytorch.text import GPTConfig, TinyGPT

pytestmark = pytest.mark.module14

TINY = GPTConfig(vocab_size=7, block_size=5, n_layer=2, n_head=2, n_embd=8)


def float64_model(model):
    for p in model.parameters():
        p.data = p.data.astype(np.float64)
    return model


def test_config_defaults_are_the_cpu_shakespeare_run():
    c = GPTConfig()
    assert (c.vocab_size, c.block_size, c.n_layer, c.n_head, c.n_embd, c.dropout, c.bias) == (
        65,
        64,
        4,
        4,
        128,
        0.0,
        True,
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_embd": 10, "n_head": 4}, r"n_embd \(10\) must be divisible by n_head \(4\)"),
        ({"vocab_size": 0}, "vocab_size must be a positive int"),
        ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
        ({"gelu": "erf"}, "gelu must be"),
    ],
)
def test_config_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GPTConfig(**kwargs)


def test_constructor_keyword_errors_name_the_keywords():
    """TinyGPT's keyword checks (given code, gpt_config) name what was wrong and what is accepted."""
    with pytest.raises(TypeError, match=r"TinyGPT: unexpected keywords \['n_layer'\]; expected \[.*'layers'"):
        TinyGPT(n_layer=2)  # the config's name; the constructor's keyword is `layers`
    with pytest.raises(TypeError, match=r"not both \(got config and \['n_layer'\]\)"):
        TinyGPT(TINY, layers=2)
    with pytest.raises(TypeError, match="config must be a GPTConfig, got dict"):
        TinyGPT({"n_layer": 2})  # type: ignore[arg-type]
    assert TinyGPT(vocab_size=50, layers=None).config.n_layer == GPTConfig.n_layer  # None: not given


def test_course_plan_constructor_works_as_written():
    model = TinyGPT(vocab_size=1000, layers=6, heads=8)
    c = model.config
    assert (c.vocab_size, c.n_layer, c.n_head, c.n_embd, c.block_size) == (1000, 6, 8, 256, 64)
    assert len(model.transformer.h) == 6 and model.tokenizer is None
    logits, loss = model(np.zeros((1, 3), dtype=np.int64))
    assert logits.shape == (1, 1, 1000) and loss is None
    assert TinyGPT(vocab_size=50).config.n_embd == 128  # 4 heads of 32 by default
    with pytest.raises(TypeError, match="not both"):
        TinyGPT(TINY, layers=2)


def test_state_dict_keys_are_nanogpts():
    keys = list(TinyGPT(TINY).state_dict())
    assert keys[:4] == [
        "transformer.wte.weight",
        "transformer.wpe.weight",
        "transformer.h.0.ln_1.weight",
        "transformer.h.0.ln_1.bias",
    ]
    assert "transformer.h.1.attn.c_attn.weight" in keys and "transformer.h.1.mlp.c_proj.bias" in keys
    assert keys[-2:] == ["transformer.ln_f.weight", "transformer.ln_f.bias"]
    assert "lm_head.weight" not in keys  # tied: stored once, under its first name
    assert not any("bias" in k for k in TinyGPT(GPTConfig(n_layer=1, bias=False)).state_dict())


def test_weight_tying_shares_one_parameter_and_sums_both_gradients():
    tc.manual_seed(0)
    model = TinyGPT(TINY)
    assert model.lm_head.weight is model.transformer.wte.weight
    idx = np.array([[1, 2, 3]])
    _, loss = model(idx, idx)
    loss.backward()
    grad = model.transformer.wte.weight.grad.data
    assert np.all(grad[[0, 4, 5, 6]] != 0)  # never looked up, but scored by lm_head
    assert model.num_parameters(non_embedding=False) == sum(p.size for p in model.parameters())


def test_nanogpt_init():
    tc.manual_seed(0)
    config = GPTConfig(vocab_size=500, n_layer=8, n_embd=256, n_head=8)
    model = TinyGPT(config)
    params = dict(model.named_parameters())
    assert params["transformer.wte.weight"].data.std() == pytest.approx(0.02, rel=0.02)
    assert params["transformer.h.0.mlp.c_fc.weight"].data.std() == pytest.approx(0.02, rel=0.02)
    for name in ("transformer.h.0.attn.c_proj.weight", "transformer.h.3.mlp.c_proj.weight"):
        assert params[name].data.std() == pytest.approx(0.02 / math.sqrt(16), rel=0.03)
    assert np.all(params["transformer.h.0.attn.c_attn.bias"].data == 0)
    assert np.all(params["transformer.ln_f.weight"].data == 1)


def test_forward_shapes_and_initial_loss_near_log_vocab():
    tc.manual_seed(0)
    model = TinyGPT(GPTConfig(vocab_size=65, n_layer=2))
    r = np.random.default_rng(0)
    idx, targets = r.integers(0, 65, (4, 64)), r.integers(0, 65, (4, 64))
    logits, loss = model(idx, targets)
    assert logits.shape == (4, 64, 65) and loss.shape == ()
    assert loss.item() == pytest.approx(math.log(65), abs=0.1)  # small init: near-uniform predictions
    last, none = model(idx)
    assert none is None
    np.testing.assert_allclose(last.data[:, 0], logits.data[:, -1], atol=1e-5)


def test_logits_loss_and_tied_gradient_equal_nanogpts(stored):
    model = float64_model(TinyGPT(GPTConfig(vocab_size=7, block_size=5, n_layer=1, n_head=2, n_embd=8)))
    model.load_state_dict(stored("gpt", "state/"))
    data = stored("gpt")
    logits, loss = model(data["idx"], data["targets"])
    assert logits.shape == (2, 4, 7) and loss.shape == ()
    np.testing.assert_allclose(logits.data, data["logits"], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(loss.item(), data["loss"], rtol=1e-10)
    loss.backward()  # lm_head and wte are one parameter: its gradient sums both uses
    grad = model.transformer.wte.weight.grad.data
    np.testing.assert_allclose(grad, data["grad/transformer.wte.weight"], rtol=1e-9, atol=1e-10)
    last, none = model(data["idx"])
    assert none is None
    np.testing.assert_allclose(last.data, data["last_logits"], rtol=1e-10, atol=1e-10)


def test_gradcheck_whole_gpt_loss():
    tc.manual_seed(0)
    model = float64_model(TinyGPT(TINY))
    for p in model.parameters():  # bigger than the 0.02 init, so every path matters numerically
        p.data += np.random.default_rng(p.size).standard_normal(p.shape) * 0.3
    idx = np.array([[1, 2, 3, 1], [6, 0, 2, 2]])
    targets = np.array([[2, 3, 1, 4], [0, 2, 2, 5]])
    assert gradcheck(lambda *ps: model(idx, targets)[1], *model.parameters())


def test_forward_errors():
    model = TinyGPT(TINY)
    with pytest.raises(ValueError, match="sequence of length 6 is longer than block_size 5"):
        model(np.zeros((1, 6), dtype=np.int64))
    with pytest.raises(IndexError, match=r"token id 7 is out of range: ids must be in \[0, 7\)"):
        model(np.array([[1, 7]]))
    with pytest.raises(ValueError, match=r"idx must have shape \(B, T\)"):
        model(np.array([1, 2]))
    with pytest.raises(ValueError, match="targets have shape"):
        model(np.array([[1, 2]]), np.array([[1, 2, 3]]))
    with pytest.raises(TypeError, match="indices must be"):
        model(Tensor([[1.0, 2.0]]))


def test_dropout_only_in_training():
    tc.manual_seed(0)
    model = TinyGPT(GPTConfig(vocab_size=7, block_size=5, n_layer=1, n_head=2, n_embd=8, dropout=0.5))
    idx = np.array([[1, 2, 3]])
    a, b = model(idx, idx)[1].item(), model(idx, idx)[1].item()
    model.eval()
    c, d = model(idx, idx)[1].item(), model(idx, idx)[1].item()
    assert a != b and c == d
