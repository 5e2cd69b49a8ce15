"""Module 15 (generation): sampling, the KV cache, strings through a tokenizer, batches, seeds.

Greedy generation is compared with nanoGPT's generate loop in PyTorch on a model holding the same
weights: its tokens are stored in tests/fixtures/generate.npz.
"""

import numpy as np
import pytest

import tinytorch.core as tc
from tinytorch.core import Tensor
from tinytorch.text import GPTConfig, KVCache, TinyGPT
from tinytorch.text.gpt import sample_next

pytestmark = pytest.mark.module15

CONFIG = GPTConfig(vocab_size=11, block_size=16, n_layer=2, n_head=2, n_embd=16)


class LetterTokenizer:
    """The smallest tokenizer: 'a' -> 0, 'b' -> 1, ..."""

    def encode(self, text):
        return [ord(c) - ord("a") for c in text]

    def decode(self, ids):
        return "".join(chr(ord("a") + i) for i in ids)


@pytest.fixture
def model():
    tc.manual_seed(0)
    m = TinyGPT(CONFIG)
    for p in m.parameters():  # sharper than the 0.02 init: distributions far from uniform
        p.data += np.random.default_rng(p.size).standard_normal(p.shape).astype(np.float32) * 0.3
    return m


@pytest.mark.parametrize("use_cache", [True, False])
def test_greedy_tokens_equal_nanogpts(use_cache, stored):
    """12 new tokens after 3: past block_size 8, so the window slides too."""
    model = TinyGPT(GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=8))
    model.load_state_dict(stored("generate", "state/"))
    data = stored("generate")
    out = model.generate(data["prompt"], 12, temperature=0, use_cache=use_cache)
    assert out.shape == (2, 15) and out.dtype == np.int64
    np.testing.assert_array_equal(out.data, data["tokens"])
    single = model.generate(data["prompt"][1].tolist(), 12, temperature=0, use_cache=use_cache)
    assert single.shape == (15,) and single.tolist() == data["tokens"][1].tolist()


@pytest.mark.parametrize("temperature", [0, 0.8, 1.5])
@pytest.mark.parametrize("top_k", [None, 3])
def test_kv_cache_gives_exactly_the_same_tokens(model, temperature, top_k):
    prompt = np.array([[1, 2, 3], [4, 4, 0], [10, 9, 8]])
    # 30 new tokens: past block_size 16, so the window slides too
    cached = model.generate(prompt, 30, temperature=temperature, top_k=top_k, seed=5, use_cache=True)
    plain = model.generate(prompt, 30, temperature=temperature, top_k=top_k, seed=5, use_cache=False)
    assert cached.shape == (3, 33)
    np.testing.assert_array_equal(cached.data, plain.data)


def test_kv_cache_logits_match_the_full_forward(model):
    ids = np.array([[1, 5, 2, 7, 3]])
    caches = [KVCache(1, 2, CONFIG.block_size, 8, np.float32) for _ in range(CONFIG.n_layer)]
    first = model._forward_cached(ids[:, :3], caches, 0)
    np.testing.assert_allclose(first, model(ids[:, :3])[0].data[:, -1], atol=1e-5)
    for t in (3, 4):
        step = model._forward_cached(ids[:, t : t + 1], caches, t)
        np.testing.assert_allclose(step, model(ids[:, : t + 1])[0].data[:, -1], atol=1e-5)
    assert caches[0].length == 5


def test_seeds_reproduce_and_differ(model):
    a = model.generate([1, 2], 20, seed=1)
    b = model.generate([1, 2], 20, seed=1)
    c = model.generate([1, 2], 20, seed=2)
    np.testing.assert_array_equal(a.data, b.data)
    assert not np.array_equal(a.data, c.data)
    tc.manual_seed(7)  # without seed: tinytorch.core's global generator
    d = model.generate([1, 2], 20)
    tc.manual_seed(7)
    e = model.generate([1, 2], 20)
    np.testing.assert_array_equal(d.data, e.data)


def test_batch_rows_are_generated_independently(model):
    batch = model.generate([[1, 2, 3], [3, 2, 1]], 10, temperature=0)
    np.testing.assert_array_equal(batch.data[0], model.generate([1, 2, 3], 10, temperature=0).data)
    np.testing.assert_array_equal(batch.data[1], model.generate([3, 2, 1], 10, temperature=0).data)


def test_string_prompt_through_the_tokenizer(model):
    model.tokenizer = LetterTokenizer()
    text = model.generate("abc", 6, temperature=0)
    assert isinstance(text, str) and len(text) == 9 and text.startswith("abc")
    ids = model.generate([0, 1, 2], 6, temperature=0)
    assert text == LetterTokenizer().decode(ids.tolist())


def test_top_k_and_temperature_sampling():
    logits = np.log(np.array([[0.5, 0.3, 0.15, 0.05]] * 20000))
    draws = sample_next(logits, 1.0, None, np.random.default_rng(0))
    np.testing.assert_allclose(np.bincount(draws, minlength=4) / 20000, [0.5, 0.3, 0.15, 0.05], atol=0.01)
    top2 = sample_next(logits, 1.0, 2, np.random.default_rng(0))
    np.testing.assert_allclose(np.bincount(top2, minlength=4) / 20000, [0.625, 0.375, 0, 0], atol=0.01)
    cold = sample_next(logits, 0.05, None, np.random.default_rng(0))
    assert np.mean(cold == 0) > 0.99  # low temperature: almost greedy
    np.testing.assert_array_equal(sample_next(logits[:3], 0, None, None), [0, 0, 0])
    np.testing.assert_array_equal(sample_next(logits[:3], 2.0, 1, np.random.default_rng(0)), [0, 0, 0])


def test_generation_builds_no_graph_and_restores_the_mode(model):
    model.train()
    out = model.generate([1, 2], 5, seed=0)
    assert out.grad_fn is None and not out.requires_grad
    assert all(p.grad is None for p in model.parameters())
    assert model.training
    model.eval()
    model.generate([1, 2], 2, seed=0)
    assert not model.training


def test_zero_new_tokens_returns_the_prompt(model):
    assert model.generate([3, 4], 0).tolist() == [3, 4]
    assert model.generate(Tensor(np.array([3, 4])), 2, temperature=0).shape == (4,)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (("abc", 3), {}, TypeError, "needs model.tokenizer"),
        (([1, 11], 3), {}, IndexError, r"token id 11 is out of range"),
        (([], 3), {}, ValueError, "T >= 1"),
        (([1], -1), {}, ValueError, "max_new_tokens must be >= 0"),
        (([1], 2.5), {}, TypeError, "max_new_tokens must be an int"),
        (([1], 3), {"temperature": -1}, ValueError, "temperature must be"),
        (([1], 3), {"top_k": 0}, ValueError, "top_k must be"),
    ],
)
def test_generate_errors(model, args, kwargs, error, match):
    with pytest.raises(error, match=match):
        model.generate(*args, **kwargs)


def test_cache_overflow_is_an_error():
    cache = KVCache(1, 1, 4, 2, np.float32)
    cache.append(np.zeros((1, 1, 3, 2), np.float32), np.zeros((1, 1, 3, 2), np.float32))
    with pytest.raises(ValueError, match="do not fit"):
        cache.append(np.zeros((1, 1, 2, 2), np.float32), np.zeros((1, 1, 2, 2), np.float32))


def test_works_with_the_packages_char_tokenizer(model):
    from tinytorch.text import CharTokenizer

    tok = CharTokenizer.fit("abcdefghijk")  # 11 characters: the model's vocabulary
    model.tokenizer = tok
    text = model.generate("abc", 5, temperature=0)
    assert isinstance(text, str) and text.startswith("abc") and len(text) == 8
    assert tok.encode(text) == model.generate(tok.encode("abc"), 5, temperature=0).tolist()


# ------------------------------------------------------------------ non-finite logits


@pytest.mark.parametrize("use_cache", [True, False])
@pytest.mark.parametrize("temperature", [1.0, 0])
def test_non_finite_logits_are_an_error_naming_the_step(model, use_cache, temperature):
    """As torch.multinomial: NaN logits raise instead of drawing token 0 again and again.

    A NaN position embedding at position 4 makes the logits read there NaN: with a prompt of
    3 tokens (positions 0-2), those are the logits of the 3rd new token, at position 5."""
    model.transformer.wpe.weight.data[4] = np.nan
    with pytest.raises(
        RuntimeError,
        match=r"generate: new token 3 of 6 \(sequence position 5\): sample_next: probability tensor "
        r"contains either `inf`, `nan` or element < 0: row 0 of the logits \(2, 11\) holds 11 nan",
    ):
        model.generate([[1, 2, 3], [4, 5, 6]], 6, temperature=temperature, seed=0, use_cache=use_cache)
    # the first two new tokens are still fine
    assert model.generate([1, 2, 3], 2, temperature=temperature, seed=0, use_cache=use_cache).shape == (5,)


def test_sample_next_refuses_non_finite_logits():
    rng = np.random.default_rng(0)
    logits = np.zeros((3, 5))
    logits[1, 2] = np.nan
    logits[1, 4] = np.inf
    for temperature in (1.0, 0.5, 0):
        with pytest.raises(
            RuntimeError,
            match=r"^sample_next: probability tensor contains either `inf`, `nan` or element < 0: "
            r"row 1 of the logits \(3, 5\) holds 1 nan \(first at token id 2\) and 1 \+inf "
            r"\(first at token id 4\); 1 of 3 rows affected",
        ):
            sample_next(logits, temperature, None, rng)
    masked = np.zeros((2, 4))
    masked[1] = -np.inf
    with pytest.raises(RuntimeError, match=r"row 1 of the logits \(2, 4\) holds only -inf"):
        sample_next(masked, 1.0, 2, rng)
    # -inf entries (masked tokens) are fine while a row keeps a finite one: they are never drawn
    masked[1, 3] = 0.0
    masked[0, :2] = -np.inf
    draws = np.stack([sample_next(masked, 1.0, None, rng) for _ in range(200)])
    assert set(draws[:, 0].tolist()) == {2, 3} and set(draws[:, 1].tolist()) == {3}
