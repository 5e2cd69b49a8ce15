"""Module 13: scaled dot-product attention (fused and reference), SelfAttention, MultiHeadAttention.

Values are compared with PyTorch's F.scaled_dot_product_attention in float64, stored with their
inputs in tests/fixtures/attention.npz (`hatch run oracle:test` compares with PyTorch directly).
"""

import numpy as np
import pytest

import tinytorch.core as tc
import tinytorch.text.functional as TF
from tinytorch.core import Tensor, gradcheck, graph_nbytes
from tinytorch.text import MultiHeadAttention, SelfAttention, mha_state_from_torch, mha_state_to_torch
from tinytorch.text.multi_head_attention import PackedSelfAttention

pytestmark = pytest.mark.module13

VERSIONS = {"fused": TF.scaled_dot_product_attention, "reference": TF.scaled_dot_product_attention_reference}


def leaf(*shape, seed=0):
    return Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def some_mask(length, key_length, seed=0):
    mask = np.random.default_rng(seed).random((length, key_length)) > 0.4
    mask[:, 0] = True  # every query may attend to something
    return Tensor(mask)


@pytest.mark.parametrize("version", list(VERSIONS))
@pytest.mark.parametrize("case", ["plain", "mask", "causal", "cross-length"])
def test_values_equal_pytorchs(version, case, stored):
    data = stored("attention")
    length = 7 if case == "cross-length" else 5  # keys: all 7, or the first 5 (as many as queries)
    q, k, v = (Tensor(data[name]) for name in "qkv")
    k, v = k[:, :, :length], v[:, :, :length]
    kwargs = {"mask": Tensor(data["mask"])} if case == "mask" else {"is_causal": case == "causal"}
    out = VERSIONS[version](q, k, v, **kwargs)
    assert out.shape == (2, 3, 5, 6)
    np.testing.assert_allclose(out.data, data[f"out/{case}"], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("version", list(VERSIONS))
@pytest.mark.parametrize("case", ["plain", "mask", "causal", "broadcast"])
def test_gradcheck_attention(version, case):
    fn = VERSIONS[version]
    q, k, v = leaf(2, 2, 4, 3), leaf(2, 2, 4, 3, seed=1), leaf(2, 2, 4, 5, seed=2)
    if case == "broadcast":  # keys and values shared by every head
        k, v = leaf(2, 1, 4, 3, seed=1), leaf(1, 1, 4, 5, seed=2)
    kwargs = {"mask": some_mask(4, 4)} if case == "mask" else {"is_causal": case == "causal"}
    assert gradcheck(lambda q, k, v: fn(q, k, v, **kwargs), q, k, v)


def test_fused_and_reference_agree_in_float32_forward_and_backward():
    r = np.random.default_rng(0)
    arrays = [r.standard_normal((3, 4, 16, 8), dtype=np.float32) for _ in range(3)]
    grad = r.standard_normal((3, 4, 16, 8), dtype=np.float32)
    results = []
    for fn in VERSIONS.values():
        xs = [Tensor(a, requires_grad=True) for a in arrays]
        out = fn(*xs, is_causal=True)
        out.backward(grad)
        results.append([out.data, *(x.grad.data for x in xs)])
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_the_fused_graph_keeps_less_than_the_composed_one():
    q, k, v = (Tensor(np.ones((2, 4, 32, 8), np.float32), requires_grad=True) for _ in range(3))
    fused = graph_nbytes(TF.scaled_dot_product_attention(q, k, v, is_causal=True))
    composed = graph_nbytes(TF.scaled_dot_product_attention_reference(q, k, v, is_causal=True))
    scores = 2 * 4 * 32 * 32 * 4
    assert fused == 3 * q.data.nbytes + scores  # q, k, v and the probabilities
    assert composed > fused + scores


@pytest.mark.parametrize("version", list(VERSIONS))
def test_causality_future_tokens_leave_earlier_outputs_bit_identical(version):
    r = np.random.default_rng(0)
    x = r.standard_normal((2, 3, 10, 8), dtype=np.float32)
    changed = x.copy()
    changed[..., 6:, :] = r.standard_normal(changed[..., 6:, :].shape) * 100
    a = VERSIONS[version](Tensor(x), Tensor(x), Tensor(x), is_causal=True).data
    b = VERSIONS[version](Tensor(changed), Tensor(changed), Tensor(changed), is_causal=True).data
    np.testing.assert_array_equal(a[..., :6, :], b[..., :6, :])
    assert not np.array_equal(a[..., 6:, :], b[..., 6:, :])


def test_mask_true_means_may_attend():
    q = Tensor(np.zeros((1, 1, 2)))
    k = Tensor(np.zeros((1, 3, 2)))
    v = Tensor(np.array([[[1.0], [10.0], [100.0]]]))
    only_middle = Tensor(np.array([[False, True, False]]))
    assert TF.scaled_dot_product_attention(q, k, v, mask=only_middle).item() == 10.0
    assert TF.scaled_dot_product_attention(q, k, v).item() == pytest.approx(37.0)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (((2, 5, 4), (2, 5, 3), (2, 5, 4)), {}, ValueError, "same last dimension"),
        (((2, 5, 4), (2, 6, 4), (2, 5, 4)), {}, ValueError, "same length S"),
        (((2, 5, 4), (3, 5, 4), (3, 5, 4)), {}, ValueError, "batch dimensions do not broadcast"),
        (((4,), (5, 4), (5, 4)), {}, ValueError, r"must have shape \(\.\.\., length, features\)"),
        (((5, 4), (5, 4), (5, 4)), {"mask": np.ones((5, 5)), "is_causal": False}, TypeError, "bool"),
        (((5, 4), (5, 4), (5, 4)), {"mask": np.ones((4, 5), bool)}, ValueError, "does not broadcast"),
        (((5, 4), (5, 4), (5, 4)), {"mask": np.zeros((5, 5), bool)}, ValueError, "attend to no key"),
        (
            ((5, 4), (5, 4), (5, 4)),
            {"mask": np.ones((5, 5), bool), "is_causal": True},
            ValueError,
            "not both",
        ),
    ],
)
def test_bad_inputs_are_clear_errors(args, kwargs, error, match):
    q, k, v = (Tensor(np.ones(s, np.float32)) for s in args)
    for fn in VERSIONS.values():
        with pytest.raises(error, match=match):
            fn(q, k, v, **kwargs)


def test_dropout_on_attention_probabilities():
    q, k, v = (
        Tensor(np.random.default_rng(i).standard_normal((2, 8, 4)), requires_grad=True) for i in range(3)
    )
    tc.manual_seed(0)
    a = TF.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    tc.manual_seed(0)
    b = TF.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    plain = TF.scaled_dot_product_attention(q, k, v)
    np.testing.assert_array_equal(a.data, b.data)  # reproducible by seed
    assert not np.allclose(a.data, plain.data)

    def seeded(q, k, v):  # the same dropout mask in every call gradcheck makes
        tc.manual_seed(1)
        return TF.scaled_dot_product_attention(q, k, v, dropout_p=0.3)

    assert gradcheck(seeded, q, k, v)


def test_packed_self_attention_equals_split_heads_attention():
    qkv = leaf(2, 6, 3 * 8)
    out = PackedSelfAttention.apply(qkv, n_head=2, is_causal=True, dropout_p=0.0)
    b, t, _ = qkv.shape
    q, k, v = (qkv[:, :, i * 8 : (i + 1) * 8].reshape(b, t, 2, 4).transpose(1, 2) for i in range(3))
    expected = (
        TF.scaled_dot_product_attention_reference(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, 8)
    )
    np.testing.assert_allclose(out.data, expected.data, atol=1e-12)
    assert gradcheck(lambda x: PackedSelfAttention.apply(x, n_head=2, is_causal=True, dropout_p=0.0), qkv)


def float64_module(module):
    for p in module.parameters():
        p.data = p.data.astype(np.float64)
    return module


def test_single_head_self_attention(stored):
    head = SelfAttention(8, head_size=4)
    data = stored("attention", "head/")  # PyTorch's causal attention of x's projections, in float64
    head.load_state_dict({name: data[name] for name in ("query.weight", "key.weight", "value.weight")})
    out = head(Tensor(data["x"]), is_causal=True)
    assert out.shape == (2, 5, 4) and out.dtype == np.float32
    np.testing.assert_allclose(out.data, data["out"], atol=1e-5)
    head = float64_module(SelfAttention(4, bias=True))
    x = leaf(2, 3, 4)
    assert gradcheck(lambda x, *ps: head(x, is_causal=True), x, *head.parameters())


def test_multi_head_attention_gradcheck_and_shapes():
    tc.manual_seed(0)
    mha = float64_module(MultiHeadAttention(6, 3))
    x, memory = leaf(2, 4, 6), leaf(2, 5, 6, seed=1)
    assert mha(x).shape == (2, 4, 6)
    assert mha(x, memory).shape == (2, 4, 6)  # cross-attention: queries from x, keys/values from memory
    assert gradcheck(lambda x, *ps: mha(x, is_causal=True), x, *mha.parameters())
    assert gradcheck(lambda x, m: mha(x, m, mask=some_mask(4, 5)), x, memory)
    per_batch = Tensor(np.stack([some_mask(4, 4, seed=s).data for s in (0, 1)]))
    assert gradcheck(lambda x: mha(x, mask=per_batch), x)


def test_multi_head_attention_causality_is_bit_exact():
    tc.manual_seed(0)
    mha = MultiHeadAttention(16, 4)
    x = np.random.default_rng(0).standard_normal((2, 12, 16), dtype=np.float32)
    changed = x.copy()
    changed[:, 8:] += 5
    a, b = mha(Tensor(x), is_causal=True).data, mha(Tensor(changed), is_causal=True).data
    np.testing.assert_array_equal(a[:, :8], b[:, :8])


def test_multi_head_attention_errors_and_init():
    with pytest.raises(ValueError, match=r"embed_dim \(10\) must be divisible by num_heads \(4\)"):
        MultiHeadAttention(10, 4)
    mha = MultiHeadAttention(8, 2)
    with pytest.raises(ValueError, match=r"query must have shape \(B, T, 8\), got \(2, 5, 6\)"):
        mha(Tensor(np.ones((2, 5, 6), np.float32)))
    assert np.all(mha.q_proj.bias.data == 0) and np.all(mha.out_proj.bias.data == 0)
    bound = np.sqrt(6 / (8 + 24))
    assert np.abs(mha.q_proj.weight.data).max() <= bound
    assert sorted(mha.state_dict()) == sorted(
        f"{p}.{w}" for p in ("q_proj", "k_proj", "v_proj", "out_proj") for w in ("weight", "bias")
    )


def test_torch_state_conversion_round_trip():
    mha = MultiHeadAttention(8, 2)
    state = mha.state_dict()
    torch_style = mha_state_to_torch(state)
    assert torch_style["in_proj_weight"].shape == (24, 8) and torch_style["in_proj_bias"].shape == (24,)
    back = mha_state_from_torch(torch_style)
    assert sorted(back) == sorted(state)
    for key in state:
        np.testing.assert_array_equal(back[key], state[key])
    with pytest.raises(KeyError, match="in_proj_weight"):
        mha_state_from_torch({"out_proj.weight": state["out_proj.weight"]})
