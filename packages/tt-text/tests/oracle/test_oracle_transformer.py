"""Module 14 against PyTorch: LayerNorm (fused and reference), and a whole pre-norm block against
torch.nn.TransformerEncoderLayer(norm_first=True) holding the same weights: forward and every gradient.

The whole TinyGPT is compared with nanoGPT's model in PyTorch by the instructor-only tests
(instructor/test_oracle_gpt.py); student copies check it against values PyTorch computed, stored
in tests/fixtures (tests/test_gpt.py)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from tt_text_oracle import assert_matches

import tinytorch.core as tc
import tinytorch.text.functional as F
from tinytorch.core import Tensor
from tinytorch.text import TransformerBlock

pytestmark = [pytest.mark.oracle, pytest.mark.module14]

DTYPES = [np.dtype(np.float32), np.dtype(np.float64)]
TORCH_DTYPE = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}
LAYER_NORMS = {"fused": F.layer_norm, "reference": F.layer_norm_reference}


@pytest.mark.parametrize("version", list(LAYER_NORMS))
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", ["affine", "no-bias", "no-affine", "2-d shape"])
def test_layer_norm_matches_torch(version, dtype, case):
    r = np.random.default_rng(0)
    shape = (4, 5) if case == "2-d shape" else (5,)
    x = (r.standard_normal((3, 4, 5)) * 4 + 2).astype(dtype)
    w = r.standard_normal(shape).astype(dtype) if case != "no-affine" else None
    b = r.standard_normal(shape).astype(dtype) if case in ("affine", "2-d shape") else None
    ours = [Tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    theirs = [torch.from_numpy(a).requires_grad_(True) if a is not None else None for a in (x, w, b)]
    out = LAYER_NORMS[version](ours[0], shape, ours[1], ours[2])
    expected = torch.nn.functional.layer_norm(theirs[0], shape, theirs[1], theirs[2], eps=1e-5)
    assert_matches(out.data, expected, f"{case}: forward")
    grad = r.standard_normal(x.shape).astype(dtype)
    out.backward(grad)
    expected.backward(torch.from_numpy(grad))
    for name, a, t in zip(("x", "weight", "bias"), ours, theirs, strict=True):
        if a is not None:
            assert_matches(a.grad.data, t.grad, f"{case}: gradient of {name}")


# torch.nn.TransformerEncoderLayer's parameter -> TransformerBlock's (q | k | v stacked alike)
ENCODER_LAYER_NAMES = {
    "self_attn.in_proj_weight": "attn.c_attn.weight",
    "self_attn.in_proj_bias": "attn.c_attn.bias",
    "self_attn.out_proj.weight": "attn.c_proj.weight",
    "self_attn.out_proj.bias": "attn.c_proj.bias",
    "linear1.weight": "mlp.c_fc.weight",
    "linear1.bias": "mlp.c_fc.bias",
    "linear2.weight": "mlp.c_proj.weight",
    "linear2.bias": "mlp.c_proj.bias",
    "norm1.weight": "ln_1.weight",
    "norm1.bias": "ln_1.bias",
    "norm2.weight": "ln_2.weight",
    "norm2.bias": "ln_2.bias",
}


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("gelu", ["tanh", "none"])
def test_block_matches_torch_pre_norm_encoder_layer(dtype, gelu):
    tc.manual_seed(0)
    ours = TransformerBlock(16, 4, gelu=gelu)
    r = np.random.default_rng(0)
    for p in ours.parameters():  # off the init (LayerNorms start at 1 and 0), in the dtype
        p.data = (p.data + r.standard_normal(p.shape) * 0.1).astype(dtype)
    theirs = torch.nn.TransformerEncoderLayer(
        16,
        4,
        dim_feedforward=64,
        dropout=0.0,
        activation=lambda t: TF.gelu(t, approximate=gelu),
        batch_first=True,
        norm_first=True,
    ).to(TORCH_DTYPE[dtype])
    state = ours.state_dict()
    theirs.load_state_dict({k: torch.from_numpy(state[v]) for k, v in ENCODER_LAYER_NAMES.items()})
    x = r.standard_normal((3, 10, 16)).astype(dtype)
    xt, xtorch = Tensor(x, requires_grad=True), torch.from_numpy(x).requires_grad_(True)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(10, dtype=TORCH_DTYPE[dtype])
    out, expected = ours(xt), theirs(xtorch, src_mask=causal, is_causal=True)
    assert_matches(out.data, expected, "block forward")
    grad = r.standard_normal(out.shape).astype(dtype)
    out.backward(grad)
    expected.backward(torch.from_numpy(grad))
    assert_matches(xt.grad.data, xtorch.grad, "block input gradient")
    ours_by_name = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        assert_matches(ours_by_name[ENCODER_LAYER_NAMES[name]].grad.data, p.grad, f"gradient of {name}")
