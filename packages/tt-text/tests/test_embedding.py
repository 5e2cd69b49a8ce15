"""Module 13: Embedding (lookup + scatter-add backward), learned and sinusoidal positions."""

import numpy as np
import pytest

import tinytorch.core as tc
import tinytorch.text.functional as TF
from tinytorch.core import Tensor, gradcheck
from tinytorch.text import Embedding, PositionalEmbedding, SinusoidalPositionalEncoding
from tinytorch.text.functional import embedding_backward

pytestmark = pytest.mark.module13


def test_lookup_returns_the_rows_of_the_table():
    emb = Embedding(10, 4)
    idx = np.array([[3, 0, 3], [9, 1, 2]])
    out = emb(idx)
    assert out.shape == (2, 3, 4) and out.dtype == np.float32
    np.testing.assert_array_equal(out.data, emb.weight.data[idx])
    np.testing.assert_array_equal(emb(Tensor(idx)).data, out.data)  # an int64 Tensor works too


def test_init_is_standard_normal_and_reproducible():
    tc.manual_seed(3)
    a = Embedding(1000, 64)
    tc.manual_seed(3)
    b = Embedding(1000, 64)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert abs(a.weight.data.mean()) < 0.01 and abs(a.weight.data.std() - 1) < 0.01
    assert repr(a) == "Embedding(1000, 64)"


def test_backward_adds_the_gradients_of_repeated_ids():
    emb = Embedding(5, 3)
    idx = np.array([2, 0, 2, 2])
    grad = np.arange(12, dtype=np.float32).reshape(4, 3)
    emb(idx).backward(grad)
    expected = np.zeros((5, 3), np.float32)
    expected[2] = grad[0] + grad[2] + grad[3]
    expected[0] = grad[1]
    np.testing.assert_array_equal(emb.weight.grad.data, expected)


@pytest.mark.parametrize("vocab", [3, 65, 5000])
def test_backward_scatter_adds_like_a_loop_over_the_ids(vocab):
    r = np.random.default_rng(vocab)
    idx = r.integers(0, vocab, (12, 64))
    grad = r.standard_normal((12, 64, 8))
    expected = np.zeros((vocab, 8))
    for i, row in zip(idx.reshape(-1), grad.reshape(-1, 8), strict=True):
        expected[i] += row
    np.testing.assert_allclose(embedding_backward(grad, idx, vocab), expected, atol=1e-12)
    assert embedding_backward(grad[:0], idx[:0], vocab).shape == (vocab, 8)


def test_gradcheck_embedding():
    weight = Tensor(np.random.default_rng(0).standard_normal((7, 3)), requires_grad=True)
    idx = np.array([[1, 1, 2], [6, 1, 0]])
    assert gradcheck(lambda w: TF.embedding(idx, w), weight)


@pytest.mark.parametrize("bad", [-1, 10, 99])
def test_out_of_range_ids_are_clear_errors(bad):
    emb = Embedding(10, 4)
    with pytest.raises(IndexError, match=rf"token id {bad} is out of range: ids must be in \[0, 10\)"):
        emb(np.array([1, bad]))


def test_float_ids_and_bad_sizes_are_errors():
    emb = Embedding(10, 4)
    with pytest.raises(TypeError, match="indices must be"):
        emb(Tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="num_embeddings must be a positive int"):
        Embedding(0, 4)
    with pytest.raises(ValueError, match="embedding_dim must be a positive int"):
        Embedding(4, 2.5)


def test_learned_positions_are_rows_0_to_t():
    pos = PositionalEmbedding(8, 4)
    out = pos(np.zeros((2, 5), dtype=np.int64))
    assert out.shape == (5, 4)
    np.testing.assert_array_equal(out.data, pos.weight.data[:5])
    np.testing.assert_array_equal(pos(1, offset=6).data, pos.weight.data[6:7])
    with pytest.raises(ValueError, match="need max_len > 8"):
        pos(9)
    out.backward(np.ones((5, 4), np.float32))
    assert pos.weight.grad.data[:5].sum() == 20 and pos.weight.grad.data[5:].sum() == 0


def test_sinusoidal_encoding_formula():
    pe = SinusoidalPositionalEncoding(50, 6)
    table = pe(50).data
    p, i = 7, 1  # PE[p, 2i] = sin(p / 10000^(2i/D)), PE[p, 2i+1] = cos(...)
    angle = p / 10000 ** (2 * i / 6)
    assert table[p, 2 * i] == pytest.approx(np.sin(angle), abs=1e-6)
    assert table[p, 2 * i + 1] == pytest.approx(np.cos(angle), abs=1e-6)
    np.testing.assert_array_equal(table[0, 0::2], 0)
    np.testing.assert_array_equal(table[0, 1::2], 1)
    assert list(pe.parameters()) == [] and "pe" in pe.state_dict()
    np.testing.assert_array_equal(pe(3, offset=4).data, table[4:7])
    assert SinusoidalPositionalEncoding(4, 5)(4).shape == (4, 5)  # an odd width works
    with pytest.raises(ValueError, match="need max_len"):
        pe(51)
