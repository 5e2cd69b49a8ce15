"""Module 13 against PyTorch: Embedding, F.scaled_dot_product_attention (mask semantics, is_causal),
nn.MultiheadAttention with copied weights (forward and every gradient)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from tt_text_oracle import assert_matches, torch_state

import tinytorch.text.functional as F
from tinytorch.core import Tensor
from tinytorch.text import Embedding, MultiHeadAttention, mha_state_to_torch

pytestmark = [pytest.mark.oracle, pytest.mark.module13]

DTYPES = [np.dtype(np.float32), np.dtype(np.float64)]
TORCH_DTYPE = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}
VERSIONS = {"fused": F.scaled_dot_product_attention, "reference": F.scaled_dot_product_attention_reference}


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_embedding_forward_and_scatter_add_backward(dtype):
    r = np.random.default_rng(0)
    weight = r.standard_normal((11, 6)).astype(dtype)
    idx = r.integers(0, 11, (4, 9))  # many repeats
    grad = r.standard_normal((4, 9, 6)).astype(dtype)
    ours = Embedding(11, 6, dtype=dtype)
    ours.load_state_dict({"weight": weight})
    theirs = torch.nn.Embedding(11, 6).to(TORCH_DTYPE[dtype])
    theirs.load_state_dict({"weight": torch.from_numpy(weight)})
    out, expected = ours(idx), theirs(torch.from_numpy(idx))
    assert_matches(out.data, expected, "embedding forward")
    out.backward(grad)
    expected.backward(torch.from_numpy(grad))
    assert_matches(ours.weight.grad.data, theirs.weight.grad, "embedding weight gradient")


def attention_case(dtype, case, seed=0):
    r = np.random.default_rng(seed)
    length, key_length = (6, 9) if case in ("cross", "mask") else (7, 7)
    q = r.standard_normal((2, 3, length, 4)).astype(dtype)
    k = r.standard_normal((2, 3, key_length, 4)).astype(dtype)
    v = r.standard_normal((2, 3, key_length, 5)).astype(dtype)
    if case == "broadcast":  # one key/value set for every head
        k, v = k[:, :1], v[:, :1]
    mask = None
    if case in ("mask", "batch-mask"):
        shape = (length, key_length) if case == "mask" else (2, 1, length, key_length)
        mask = r.random(shape) > 0.5
        mask[..., 0] = True
    return q, k, v, mask


@pytest.mark.parametrize("version", list(VERSIONS))
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", ["plain", "causal", "cross", "mask", "batch-mask", "broadcast"])
def test_sdpa_matches_torch_forward_and_backward(version, dtype, case):
    q, k, v, mask = attention_case(dtype, case)
    causal = case == "causal"
    xs = [Tensor(a, requires_grad=True) for a in (q, k, v)]
    ts = [torch.from_numpy(a).requires_grad_(True) for a in (q, k, v)]
    tt_mask = None if mask is None else Tensor(mask)
    torch_mask = None if mask is None else torch.from_numpy(mask)  # the same convention: True = attend
    out = VERSIONS[version](*xs, mask=tt_mask, is_causal=causal)
    expected = TF.scaled_dot_product_attention(*ts, attn_mask=torch_mask, is_causal=causal)
    assert_matches(out.data, expected, f"{case}: forward")
    grad = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    out.backward(grad)
    expected.backward(torch.from_numpy(grad))
    for name, x, t in zip("qkv", xs, ts, strict=True):
        assert_matches(x.grad.data, t.grad, f"{case}: gradient of {name}")


def test_is_causal_is_aligned_top_left_like_torch():
    q, k, v, _ = attention_case(np.dtype(np.float64), "cross")  # L = 6 queries, S = 9 keys
    out = F.scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), is_causal=True)
    expected = TF.scaled_dot_product_attention(*map(torch.from_numpy, (q, k, v)), is_causal=True)
    assert_matches(out.data, expected, "is_causal with L != S")


def twin_mha(dtype, embed_dim=12, num_heads=3, bias=True):
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(embed_dim, num_heads, bias=bias, batch_first=True)
    theirs = theirs.to(TORCH_DTYPE[dtype])
    with torch.no_grad():  # torch starts the biases at 0: make them matter
        for name, p in theirs.named_parameters():
            if "bias" in name:
                p.normal_()
    ours = MultiHeadAttention(embed_dim, num_heads, bias=bias, dtype=dtype)
    ours.load_torch_state_dict(theirs.state_dict())  # in_proj_weight split into q/k/v
    return ours, theirs


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", ["self", "causal", "mask", "cross", "no-bias"])
def test_multihead_attention_with_torch_weights(dtype, case):
    ours, theirs = twin_mha(dtype, bias=case != "no-bias")
    r = np.random.default_rng(0)
    x = r.standard_normal((2, 5, 12)).astype(dtype)
    memory = r.standard_normal((2, 7, 12)).astype(dtype) if case == "cross" else x
    xt, mt = Tensor(x, requires_grad=True), Tensor(memory, requires_grad=True)
    xtorch = torch.from_numpy(x).requires_grad_(True)
    mtorch = torch.from_numpy(memory).requires_grad_(True) if case == "cross" else xtorch
    kwargs, torch_kwargs = {}, {}
    if case == "causal":
        kwargs["is_causal"] = True
        # torch's MHA wants the mask too; its boolean attn_mask means True = *blocked*
        torch_kwargs = {"attn_mask": torch.ones(5, 5, dtype=torch.bool).triu(1), "is_causal": True}
    if case == "mask":
        allowed = r.random((5, 5)) > 0.5
        allowed[:, 0] = True
        kwargs["mask"] = Tensor(allowed)
        torch_kwargs["attn_mask"] = torch.from_numpy(~allowed)  # the opposite convention
    out = ours(xt, mt if case == "cross" else None, **kwargs)
    expected, _ = theirs(xtorch, mtorch, mtorch, need_weights=False, **torch_kwargs)
    assert_matches(out.data, expected, f"{case}: forward")
    grad = r.standard_normal(out.shape).astype(dtype)
    out.backward(grad)
    expected.backward(torch.from_numpy(grad))
    assert_matches(xt.grad.data, xtorch.grad, f"{case}: input gradient")
    torch_grads = {name: p.grad.numpy() for name, p in theirs.named_parameters()}
    our_grads = mha_state_to_torch({name: p.grad.data for name, p in ours.named_parameters()})
    assert sorted(our_grads) == sorted(torch_grads)
    for name, g in our_grads.items():
        assert_matches(g, torch_grads[name], f"{case}: gradient of {name}")


def test_weights_go_back_into_torch():
    ours = MultiHeadAttention(8, 2)
    theirs = torch.nn.MultiheadAttention(8, 2, batch_first=True)
    theirs.load_state_dict(torch_state(mha_state_to_torch(ours.state_dict())))
    x = np.random.default_rng(0).standard_normal((3, 4, 8)).astype(np.float32)
    expected, _ = theirs(*(torch.from_numpy(x),) * 3, need_weights=False)
    assert_matches(ours(Tensor(x)).data, expected, "tinytorch -> torch")
