"""Module 13 (given code) against PyTorch: float (additive) masks in
F.scaled_dot_product_attention (forward and every gradient, the mask's included),
and nn.MultiheadAttention's key_padding_mask, attn_mask, need_weights and
average_attn_weights, with copied weights, in float32 and float64."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from tt_text_oracle import assert_matches

import tinytorch.text.functional as F
from tinytorch.core import Tensor
from tinytorch.text import MultiHeadAttention, mha_state_to_torch

pytestmark = [pytest.mark.oracle, pytest.mark.module13]

DTYPES = [np.dtype(np.float32), np.dtype(np.float64)]
TORCH_DTYPE = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}


def float_mask(shape, dtype, seed=1, blocked=0.3):
    """Random biases with some -inf entries, never a whole row of them."""
    r = np.random.default_rng(seed)
    mask = r.standard_normal(shape)
    mask[r.random(shape) < blocked] = -np.inf
    mask[..., 0] = np.where(np.isneginf(mask[..., 0]), 0.5, mask[..., 0])
    return mask.astype(dtype)


# (query, key, value, mask) shapes: mask broadcasting over batch and heads
SDPA_CASES = {
    "2d": ((6, 4), (9, 4), (9, 5), (6, 9)),
    "batch_mask_LS": ((2, 6, 4), (2, 9, 4), (2, 9, 3), (6, 9)),
    "heads_mask_N1LS": ((2, 3, 6, 4), (2, 3, 9, 4), (2, 3, 9, 4), (2, 1, 6, 9)),
    "heads_mask_full": ((2, 3, 6, 4), (2, 3, 9, 4), (2, 3, 9, 4), (2, 3, 6, 9)),
    "mask_row_1S": ((2, 3, 6, 4), (2, 3, 9, 4), (2, 3, 9, 4), (1, 9)),
    "broadcast_qkv": ((2, 1, 5, 4), (1, 3, 7, 4), (2, 3, 7, 4), (1, 3, 5, 7)),
    "one_query_one_key": ((2, 1, 4), (2, 1, 4), (2, 1, 2), (1, 1)),
    "empty_batch": ((0, 6, 4), (0, 9, 4), (0, 9, 3), (6, 9)),
    "no_queries": ((2, 0, 4), (2, 9, 4), (2, 9, 3), (0, 9)),
}


def leaves(shapes, dtype, seed=0):
    r = np.random.default_rng(seed)
    return [r.standard_normal(s).astype(dtype) for s in shapes]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", list(SDPA_CASES))
def test_sdpa_float_mask_forward_and_backward(case, dtype):
    *shapes, mask_shape = SDPA_CASES[case]
    arrays = [*leaves(shapes, dtype), float_mask(mask_shape, dtype)]
    ours = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = F.scaled_dot_product_attention(*ours[:3], mask=ours[3])
    expected = TF.scaled_dot_product_attention(*theirs[:3], attn_mask=theirs[3])
    assert_matches(out, expected, f"{case} forward")
    grad = np.random.default_rng(5).standard_normal(out.shape).astype(dtype)
    out.backward(grad)
    expected.backward(torch.from_numpy(grad))
    for label, a, b in zip(["query", "key", "value", "mask"], ours, theirs, strict=True):
        # torch leaves None where nothing flows (an empty batch); ours holds zeros
        want = torch.zeros(b.shape, dtype=b.dtype) if b.grad is None else b.grad
        assert_matches(a.grad, want, f"{case} d{label}")


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_sdpa_attn_mask_keyword_and_bool_mask_equal_torch(dtype):
    q, k, v = (torch.from_numpy(a) for a in leaves([(2, 5, 4), (2, 7, 4), (2, 7, 4)], dtype))
    allowed = np.random.default_rng(3).random((5, 7)) > 0.5
    allowed[:, 2] = True
    expected = TF.scaled_dot_product_attention(q, k, v, attn_mask=torch.from_numpy(allowed))
    tq, tk, tv = (Tensor(x.numpy()) for x in (q, k, v))
    assert_matches(F.scaled_dot_product_attention(tq, tk, tv, attn_mask=Tensor(allowed)), expected, "bool")
    additive = np.where(allowed, 0.0, -np.inf).astype(dtype)
    assert_matches(F.scaled_dot_product_attention(tq, tk, tv, attn_mask=additive), expected, "0/-inf")


def twin_mha(dtype, embed=8, heads=2, seed=0):
    torch.manual_seed(seed)
    theirs = torch.nn.MultiheadAttention(embed, heads, batch_first=True).to(TORCH_DTYPE[dtype])
    with torch.no_grad():  # non-zero biases, so that their gradients are compared too
        theirs.in_proj_bias.normal_()
        theirs.out_proj.bias.normal_()
    ours = MultiHeadAttention(embed, heads, dtype=dtype)
    ours.load_torch_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def padding(batch, keys, kind, dtype, seed=2):
    pad = np.zeros((batch, keys), bool)
    pad[0, -2:] = True  # the first sequence is 2 shorter
    pad[-1, np.random.default_rng(seed).integers(1, keys)] = True
    return (
        pad
        if kind == "bool"
        else np.where(pad, -np.inf, 0.0).astype(dtype) + 0.1 * np.arange(keys, dtype=dtype)
    )


def torch_causal(length, keys, kind, dtype):
    blocked = np.triu(np.ones((length, keys), bool), k=1)
    return blocked if kind == "bool" else np.where(blocked, -np.inf, 0.0).astype(dtype)


MHA_CASES = {
    "key_padding_bool": {"key_padding_mask": "bool"},
    "key_padding_float": {"key_padding_mask": "float"},
    "attn_mask_bool": {"attn_mask": "bool"},
    "attn_mask_float": {"attn_mask": "float"},
    "attn_mask_3d_float": {"attn_mask": "float3d"},
    "both_bool": {"attn_mask": "bool", "key_padding_mask": "bool"},
    "both_float": {"attn_mask": "float", "key_padding_mask": "float"},
    "weights_per_head": {"attn_mask": "float", "key_padding_mask": "float", "average_attn_weights": False},
    "no_masks": {},
}


def mha_masks(spec, batch, heads, length, keys, dtype):
    masks = {}
    if "key_padding_mask" in spec:
        masks["key_padding_mask"] = padding(batch, keys, spec["key_padding_mask"], dtype)
    kind = spec.get("attn_mask")
    if kind == "float3d":
        masks["attn_mask"] = float_mask((batch * heads, length, keys), dtype, seed=4)
    elif kind == "float":
        masks["attn_mask"] = float_mask((length, keys), dtype, seed=4)
    elif kind == "bool":
        masks["attn_mask"] = torch_causal(length, keys, "bool", dtype)
    return masks


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("case", list(MHA_CASES))
def test_multihead_attention_masks_and_weights_match_torch(case, need_weights, dtype):
    spec = MHA_CASES[case]
    ours, theirs = twin_mha(dtype)
    batch, length, keys, embed = 3, 5, 6, 8
    x, memory = leaves([(batch, length, embed), (batch, keys, embed)], dtype, seed=7)
    masks = mha_masks(spec, batch, 2, length, keys, dtype)
    average = spec.get("average_attn_weights", True)
    q_ours, m_ours = Tensor(x, requires_grad=True), Tensor(memory, requires_grad=True)
    q_theirs, m_theirs = torch.tensor(x, requires_grad=True), torch.tensor(memory, requires_grad=True)
    out, weights = ours(
        q_ours,
        m_ours,
        m_ours,
        need_weights=need_weights,
        average_attn_weights=average,
        **{k: Tensor(v) for k, v in masks.items()},
    )
    expected, expected_weights = theirs(
        q_theirs,
        m_theirs,
        m_theirs,
        need_weights=need_weights,
        average_attn_weights=average,
        **{k: torch.from_numpy(v) for k, v in masks.items()},
    )
    assert_matches(out, expected, f"{case} output")
    if need_weights:
        assert_matches(weights, expected_weights, f"{case} weights")
    else:
        assert weights is None and expected_weights is None
    r = np.random.default_rng(9)
    grad_out = r.standard_normal(out.shape).astype(dtype)
    loss_ours, loss_theirs = out * Tensor(grad_out), expected * torch.from_numpy(grad_out)
    if need_weights:  # the weights are differentiable on both sides
        grad_w = r.standard_normal(weights.shape).astype(dtype)
        loss_ours = loss_ours.sum() + (weights * Tensor(grad_w)).sum()
        loss_theirs = loss_theirs.sum() + (expected_weights * torch.from_numpy(grad_w)).sum()
    loss_ours.sum().backward()
    loss_theirs.sum().backward()
    assert_matches(q_ours.grad, q_theirs.grad, f"{case} d query")
    assert_matches(m_ours.grad, m_theirs.grad, f"{case} d key/value")
    our_grads = mha_state_to_torch({name: p.grad.data for name, p in ours.named_parameters()})
    for name, p in theirs.named_parameters():
        assert_matches(our_grads[name], p.grad, f"{case} d {name}")


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_key_padding_with_is_causal_equals_torchs_causal_attn_mask(dtype):
    ours, theirs = twin_mha(dtype)
    x = leaves([(3, 6, 8)], dtype, seed=3)[0]
    pad = padding(3, 6, "bool", dtype)
    pad[:, 0] = False  # the first key stays visible to every query
    out = ours(Tensor(x), key_padding_mask=pad, is_causal=True)
    expected, _ = theirs(
        *(torch.from_numpy(x),) * 3,
        key_padding_mask=torch.from_numpy(pad),
        attn_mask=torch.from_numpy(torch_causal(6, 6, "bool", dtype)),
    )
    assert_matches(out, expected, "causal + padding")


def test_a_fully_padded_sequence_is_an_error_where_torch_gives_nan():
    ours, theirs = twin_mha(np.dtype(np.float32))
    x = leaves([(2, 3, 8)], np.float32)[0]
    pad = np.zeros((2, 3), bool)
    pad[0] = True
    expected, _ = theirs(*(torch.from_numpy(x),) * 3, key_padding_mask=torch.from_numpy(pad))
    assert torch.isnan(expected[0]).all() and not torch.isnan(expected[1]).any()
    with pytest.raises(ValueError, match="attend to no key at all"):
        ours(Tensor(x), key_padding_mask=pad)
