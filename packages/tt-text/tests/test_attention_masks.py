"""Module 13 (given code): float (additive) masks in scaled_dot_product_attention and
MultiHeadAttention's key_padding_mask, attn_mask and need_weights — gradcheck in
float64, equivalences with the bool masks, and errors naming the shapes."""

import numpy as np
import pytest

import tinytorch.core as tc
import tinytorch.text.functional as TF
from tinytorch.core import ArgumentError, DTypeError, ShapeError, Tensor, gradcheck
from tinytorch.text import MultiHeadAttention

pytestmark = pytest.mark.module13


def leaf(*shape, seed=0, dtype=np.float64):
    return Tensor(np.random.default_rng(seed).standard_normal(shape).astype(dtype), requires_grad=True)


def bias(*shape, seed=1, dtype=np.float64, requires_grad=True):
    r = np.random.default_rng(seed)
    b = r.standard_normal(shape)
    b[r.random(shape) < 0.3] = -np.inf
    b[..., 0] = 0.0  # every query keeps a key
    return Tensor(b.astype(dtype), requires_grad=requires_grad)


def float64_module(module):
    for p in module.parameters():
        p.data = p.data.astype(np.float64)
    return module


@pytest.mark.parametrize(
    ("q", "k", "v", "m"),
    [
        ((5, 3), (7, 3), (7, 2), (5, 7)),
        ((2, 2, 5, 3), (2, 2, 7, 3), (2, 2, 7, 3), (2, 1, 5, 7)),
        ((2, 1, 5, 3), (1, 2, 7, 3), (2, 2, 7, 3), (1, 7)),
    ],
)
def test_gradcheck_float_mask_every_input(q, k, v, m):
    finite = Tensor(np.random.default_rng(2).standard_normal(m), requires_grad=True)  # gradcheck needs finite
    assert gradcheck(TF.scaled_dot_product_attention, leaf(*q), leaf(*k, seed=1), leaf(*v, seed=2), finite)
    blocked = bias(*m, requires_grad=False)
    assert gradcheck(
        lambda a, b, c: TF.scaled_dot_product_attention(a, b, c, blocked), leaf(*q), leaf(*k), leaf(*v)
    )


def test_a_zero_and_minus_inf_mask_equals_the_bool_mask():
    q, k, v = leaf(2, 5, 4), leaf(2, 6, 4, seed=1), leaf(2, 6, 3, seed=2)
    allowed = np.random.default_rng(4).random((5, 6)) > 0.5
    allowed[:, 1] = True
    additive = Tensor(np.where(allowed, 0.0, -np.inf))
    np.testing.assert_allclose(
        TF.scaled_dot_product_attention(q, k, v, attn_mask=additive).data,
        TF.scaled_dot_product_attention(q, k, v, Tensor(allowed)).data,
        rtol=1e-13,
        atol=1e-14,
    )


def test_a_constant_mask_changes_nothing_and_a_bias_shifts_attention():
    q, k, v = leaf(1, 4), leaf(3, 4, seed=1), Tensor(np.array([[1.0], [10.0], [100.0]]))
    plain = TF.scaled_dot_product_attention(q, k, v).item()
    assert TF.scaled_dot_product_attention(q, k, v, np.full((1, 3), 7.0)).item() == pytest.approx(
        plain, rel=1e-13
    )
    toward_last = TF.scaled_dot_product_attention(q, k, v, np.array([[0.0, 0.0, 50.0]])).item()
    assert toward_last == pytest.approx(100.0, rel=1e-12)


def test_float32_mask_keeps_float32_and_the_mask_gets_a_gradient():
    q, k, v = (
        leaf(2, 4, 3, dtype=np.float32),
        leaf(2, 5, 3, dtype=np.float32),
        leaf(2, 5, 3, dtype=np.float32),
    )
    m = bias(4, 5, dtype=np.float32)
    out = TF.scaled_dot_product_attention(q, k, v, m)
    assert out.dtype == np.float32 and out.shape == (2, 4, 3)
    out.sum().backward()
    assert m.grad.shape == (4, 5) and m.grad.dtype == np.float32
    assert np.all(m.grad.data[np.isneginf(m.data)] == 0)  # blocked scores get no gradient


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"mask": np.zeros((4, 5), np.float32)},
            DTypeError,
            r"float mask must have the query's dtype float64, got float32",
        ),
        (
            {"mask": np.zeros((3, 5))},
            ShapeError,
            r"mask of shape \(3, 5\) does not broadcast to the scores' shape \(2, 4, 5\)",
        ),
        ({"mask": np.zeros((3, 4, 5))}, ShapeError, r"mask of shape \(3, 4, 5\) does not broadcast"),
        ({"mask": np.full((4, 5), -np.inf)}, ValueError, r"attend to no key at all .*all -inf"),
        ({"mask": np.zeros((4, 5)), "is_causal": True}, ArgumentError, "not both"),
        (
            {"mask": np.ones((4, 5), bool), "attn_mask": np.ones((4, 5), bool)},
            ArgumentError,
            "mask or attn_mask",
        ),
        ({"mask": np.ones((4, 5), np.int64)}, TypeError, "bool"),
    ],
)
def test_float_mask_errors(kwargs, error, match):
    q, k, v = leaf(2, 4, 3), leaf(2, 5, 3), leaf(2, 5, 3)
    with pytest.raises(error, match=match):
        TF.scaled_dot_product_attention(q, k, v, **kwargs)


def mha(dtype=np.float64):
    tc.manual_seed(0)
    return float64_module(MultiHeadAttention(6, 2)) if dtype == np.float64 else MultiHeadAttention(6, 2)


def test_mha_gradcheck_with_key_padding_float_mask_and_weights():
    layer = mha()
    x, memory = leaf(2, 3, 6), leaf(2, 4, 6, seed=1)
    pad = np.array([[False, False, True, True], [False, False, False, True]])
    additive = Tensor(np.random.default_rng(3).standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda a, b: layer(a, b, key_padding_mask=pad), x, memory)
    assert gradcheck(lambda a, b, m: layer(a, b, attn_mask=m), x, memory, additive)

    def both(a, b):
        out, weights = layer(a, b, key_padding_mask=pad, need_weights=True, average_attn_weights=False)
        return out.sum() + (weights * weights).sum()

    assert gradcheck(both, x, memory)


def test_mha_mask_conventions_agree():
    """Ours (True = may attend) and PyTorch's attn_mask (True = may not) and the causal flag."""
    layer = mha()
    x = leaf(2, 4, 6)
    causal = np.triu(np.ones((4, 4), bool), k=1)
    expected = layer(x, is_causal=True).data
    np.testing.assert_allclose(layer(x, mask=~causal).data, expected, rtol=1e-13)
    np.testing.assert_allclose(layer(x, attn_mask=causal).data, expected, rtol=1e-13)
    np.testing.assert_allclose(layer(x, attn_mask=np.where(causal, -np.inf, 0.0)).data, expected, rtol=1e-13)
    out, weights = layer(x, is_causal=True, need_weights=True)
    np.testing.assert_allclose(out.data, expected, rtol=1e-13)
    assert weights.shape == (2, 4, 4) and np.all(weights.data[:, causal] == 0)
    np.testing.assert_allclose(weights.data.sum(-1), 1.0, rtol=1e-13)


def test_mha_padding_hides_the_padded_keys():
    layer = mha()
    x = leaf(2, 3, 6)
    memory = leaf(2, 5, 6, seed=1)
    pad = np.zeros((2, 5), bool)
    pad[0, 3:] = True
    changed = memory.data.copy()
    changed[0, 3:] += 10.0  # what padding hides may be anything
    a = layer(x, memory, key_padding_mask=pad).data
    b = layer(x, Tensor(changed), key_padding_mask=pad).data
    np.testing.assert_allclose(a[0], b[0], rtol=1e-13)
    assert not np.allclose(layer(x, memory).data[0], layer(x, Tensor(changed)).data[0])  # unpadded: it shows


def test_mha_need_weights_false_returns_the_pair_and_default_the_output():
    layer = mha(np.float32)
    x = Tensor(np.random.default_rng(0).standard_normal((2, 3, 6)).astype(np.float32))
    out = layer(x)
    pair = layer(x, need_weights=False)
    assert isinstance(out, Tensor) and pair[1] is None
    np.testing.assert_array_equal(pair[0].data, out.data)
    weighted, weights = layer(x, need_weights=True)
    assert weights.dtype == np.float32 and weights.shape == (2, 3, 3)
    np.testing.assert_allclose(weighted.data, out.data, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"key_padding_mask": np.zeros((2, 5), bool)},
            ShapeError,
            r"key_padding_mask of shape \(2, 5\), expected \(B, S\) = \(2, 4\)",
        ),
        (
            {"key_padding_mask": np.zeros((4,), bool)},
            ShapeError,
            r"key_padding_mask of shape \(4,\), expected \(B, S\)",
        ),
        (
            {"attn_mask": np.zeros((2, 3, 4), bool)},
            ShapeError,
            r"a 3-D attn_mask must be \(B \* num_heads, L, S\) = \(4, 3, 4\)",
        ),
        (
            {"attn_mask": np.zeros((3, 5))},
            ShapeError,
            r"attn_mask of shape \(3, 5\) does not broadcast to \(B, num_heads, L, S\) = \(2, 2, 3, 4\)",
        ),
        ({"mask": np.zeros((5, 3, 4), bool)}, ShapeError, r"mask of shape \(5, 1, 3, 4\) does not broadcast"),
        (
            {"attn_mask": np.zeros((3, 4), np.float32)},
            DTypeError,
            r"float attn_mask must have the query's dtype float64, got float32",
        ),
        (
            {"key_padding_mask": np.zeros((2, 4), np.int64)},
            TypeError,
            r"key_padding_mask: mask must be a bool Tensor",
        ),
        ({"mask": np.ones((3, 4), bool), "attn_mask": np.zeros((3, 4), bool)}, ArgumentError, "not both"),
        ({"key_padding_mask": np.ones((2, 4), bool)}, ValueError, "attend to no key at all"),
        ({"mask": np.ones((3, 4), bool), "is_causal": True, "need_weights": True}, ArgumentError, "not both"),
    ],
)
def test_mha_mask_errors_name_the_shapes(kwargs, error, match):
    layer = mha()
    with pytest.raises(error, match=match):
        layer(leaf(2, 3, 6), leaf(2, 4, 6, seed=1), **kwargs)
