"""Module 14: LayerNorm (fused and reference), the MLP, the pre-norm transformer block.

The MLP's and the block's values are compared with PyTorch's (nanoGPT's block holding the same
weights, in float64), stored in tests/fixtures/transformer.npz.
"""

import numpy as np
import pytest

import tinytorch.core as tc
import tinytorch.text.functional as TF
from tinytorch.core import Tensor, gradcheck, graph_nbytes
from tinytorch.nn import functional as NF
from tinytorch.nn.activations import GELUFunction
from tinytorch.text import MLP, CausalSelfAttention, LayerNorm, TransformerBlock

pytestmark = pytest.mark.module14

LAYER_NORMS = {"fused": TF.layer_norm, "reference": TF.layer_norm_reference}


def leaf(*shape, seed=0, scale=1.0):
    return Tensor(np.random.default_rng(seed).standard_normal(shape) * scale, requires_grad=True)


def float64_module(module):
    for p in module.parameters():
        p.data = p.data.astype(np.float64)
    return module


@pytest.mark.parametrize("version", list(LAYER_NORMS))
def test_layer_norm_normalises_the_last_axes(version):
    x = Tensor(np.random.default_rng(0).normal(3.0, 5.0, (4, 6, 10)))
    out = LAYER_NORMS[version](x, 10).data
    np.testing.assert_allclose(out.mean(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=-1), 1, atol=1e-5)  # var / (var + eps)
    out2 = LAYER_NORMS[version](x, (6, 10)).data
    np.testing.assert_allclose(out2.mean(axis=(1, 2)), 0, atol=1e-12)
    w, b = Tensor(np.full(10, 2.0)), Tensor(np.full(10, -1.0))
    np.testing.assert_allclose(LAYER_NORMS[version](x, 10, w, b).data, 2 * out - 1, atol=1e-12)


@pytest.mark.parametrize("version", list(LAYER_NORMS))
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_gradcheck_layer_norm(version, affine):
    fn = LAYER_NORMS[version]
    x, w, b = leaf(3, 4, 5, scale=3), leaf(5, seed=1), leaf(5, seed=2)
    if affine == "both":
        assert gradcheck(lambda x, w, b: fn(x, 5, w, b), x, w, b)
    elif affine == "weight":
        assert gradcheck(lambda x, w: fn(x, 5, w, None), x, w)
    else:
        assert gradcheck(lambda x: fn(x, 5), x)
    x2, w2, b2 = leaf(2, 3, 4), leaf(3, 4, seed=1), leaf(3, 4, seed=2)
    assert gradcheck(lambda x, w, b: fn(x, (3, 4), w, b), x2, w2, b2)


@pytest.mark.parametrize("version", list(LAYER_NORMS))
def test_layer_norm_bias_without_weight_over_several_axes(version):
    """A bias and no weight, normalised over (3, 4): the bias gradient has the bias's shape."""
    x, b = leaf(2, 3, 4, scale=3), leaf(3, 4, seed=2)
    assert gradcheck(lambda x, b: LAYER_NORMS[version](x, (3, 4), None, b), x, b)


def test_fused_layer_norm_matches_reference_in_float32_and_keeps_less():
    r = np.random.default_rng(0)
    x0 = r.standard_normal((12, 64, 128), dtype=np.float32)
    grad = r.standard_normal((12, 64, 128), dtype=np.float32)
    results, graphs = [], []
    for fn in LAYER_NORMS.values():
        ln = LayerNorm(128)
        x = Tensor(x0, requires_grad=True)
        out = fn(x, 128, ln.weight, ln.bias)
        graphs.append(graph_nbytes(out))
        out.backward(grad)
        results.append([out.data, x.grad.data, ln.weight.grad.data, ln.bias.grad.data])
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
    assert graphs[0] < graphs[1]


def test_layer_norm_module_like_torch():
    ln = LayerNorm(8)
    assert np.all(ln.weight.data == 1) and np.all(ln.bias.data == 0)
    assert LayerNorm(8, bias=False).bias is None
    assert list(LayerNorm(8, elementwise_affine=False).parameters()) == []
    assert repr(ln) == "LayerNorm((8,), eps=1e-05, elementwise_affine=True)"
    with pytest.raises(
        ValueError, match=r"input of shape \(2, 7\) does not end with normalized_shape \(8,\)"
    ):
        ln(Tensor(np.ones((2, 7), np.float32)))
    with pytest.raises(TypeError, match="float64 but the weight is float32"):
        ln(Tensor(np.ones((2, 8))))
    with pytest.raises(ValueError, match="normalized_shape must be"):
        LayerNorm(0)


def test_mlp_shapes_and_gelu_choice(stored):
    mlp = MLP(8)
    assert mlp.c_fc.weight.shape == (32, 8) and mlp.c_proj.weight.shape == (8, 32)
    assert mlp.gelu.approximate == "tanh" and MLP(8, gelu="none").gelu.approximate == "none"
    data = stored("transformer", "mlp/")  # PyTorch's values for these weights, in float64
    x = data.pop("x")
    expected = data.pop("out")
    mlp.load_state_dict(data)
    out = mlp(Tensor(x))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="gelu must be"):
        MLP(8, gelu="relu")


@pytest.mark.parametrize("gelu", ["tanh", "none"])
def test_mlp_gelu_is_tinytorch_nn_gelu(gelu):
    """One GELU Function for both forms: the MLP's activation node is tinytorch.nn's GELU (no
    second tanh-GELU Function in tt-text), holding its values."""
    mlp = MLP(8, gelu=gelu)
    x = Tensor(np.random.default_rng(0).standard_normal((2, 3, 8), dtype=np.float32))
    out = mlp(x)
    nodes, stack = [], [out.grad_fn]
    while stack:  # every node of the graph, from the output back to the leaves
        node = stack.pop()
        if node is not None and not isinstance(node, Tensor):
            nodes.append(node)
            stack.extend(node.parents)
    activations = [node for node in nodes if "GELU" in type(node).__name__]
    found = [type(node).fn for node in activations]
    assert found == [GELUFunction], f"the MLP's activation nodes: {activations}"
    expected = mlp.c_proj(NF.gelu(mlp.c_fc(x), approximate=gelu))
    np.testing.assert_array_equal(out.data, expected.data)


def test_block_equals_nanogpts_pre_norm_block(stored):
    block = float64_module(TransformerBlock(8, 2))
    block.load_state_dict(stored("transformer", "block/state/"))
    data = stored("transformer", "block/")
    x = Tensor(data["x"])
    np.testing.assert_allclose(block(x).data, data["out"], rtol=1e-10, atol=1e-10)
    for p in (*block.attn.c_proj.parameters(), *block.mlp.c_proj.parameters()):
        p.data[...] = 0  # both branches output 0: the block is the identity
    np.testing.assert_array_equal(block(x).data, x.data)


def test_gradcheck_whole_block():
    tc.manual_seed(0)
    block = float64_module(TransformerBlock(8, 2))
    x = leaf(2, 4, 8)
    assert gradcheck(lambda x, *ps: block(x), x, *block.parameters())


def test_block_is_causal_bit_exact():
    tc.manual_seed(0)
    block = TransformerBlock(16, 4)
    x = np.random.default_rng(0).standard_normal((3, 10, 16), dtype=np.float32)
    changed = x.copy()
    changed[:, 7:] = -changed[:, 7:]
    np.testing.assert_array_equal(block(Tensor(x)).data[:, :7], block(Tensor(changed)).data[:, :7])


def test_block_errors():
    with pytest.raises(
        ValueError, match=r"CausalSelfAttention: embed_dim \(10\) must be divisible by num_heads \(3\)"
    ):
        CausalSelfAttention(10, 3)
    with pytest.raises(ValueError, match="dropout probability"):
        TransformerBlock(8, 2, dropout=1.5)
