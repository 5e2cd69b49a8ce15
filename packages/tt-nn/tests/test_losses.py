"""Module 06: loss values, stability, the fused vs readable cross-entropy, gradients, errors.

Expected values are PyTorch's (torch.nn.functional, float64), stored in tests/fixtures/losses.npz
with their inputs; `hatch run oracle:test` compares with PyTorch directly, on random cases.
"""

import warnings

import numpy as np
import pytest

import tinytorch.core as tc
import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch.core import Tensor, gradcheck

pytestmark = pytest.mark.module06

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((5, 4)) * 3  # float64
TARGET = np.array([0, 3, 1, 1, 2])


def labels(values) -> Tensor:
    return Tensor(np.asarray(values), dtype="int64")


def leaf(array) -> Tensor:
    return Tensor(np.array(array, dtype=np.float64), requires_grad=True)


# ------------------------------------------------------------------- values


@pytest.mark.parametrize("fn", [F.cross_entropy, F.cross_entropy_reference], ids=["fused", "reference"])
@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_cross_entropy_values_and_reductions(fn, eps, stored):
    data, expected = stored("losses"), stored("losses", f"ce{eps}/")
    x, t = Tensor(data["logits"]), labels(data["target"])
    np.testing.assert_allclose(fn(x, t, label_smoothing=eps).item(), expected["mean"], rtol=1e-13)
    np.testing.assert_allclose(fn(x, t, "sum", eps).item(), expected["sum"], rtol=1e-13)
    none = fn(x, t, reduction="none", label_smoothing=eps)
    assert none.shape == (5,) and none.dtype == tc.float64
    np.testing.assert_allclose(none.data, expected["none"], rtol=1e-13)


@pytest.mark.parametrize("fn", [F.cross_entropy, F.cross_entropy_reference], ids=["fused", "reference"])
def test_cross_entropy_with_extra_dims_and_unbatched(fn, stored):
    data, extra = stored("losses"), stored("losses", "extra/")
    out = fn(Tensor(extra["x"]), labels(extra["target"]), reduction="none")  # (N, C, d1, d2)
    assert out.shape == (2, 4, 5)
    np.testing.assert_allclose(out.data, extra["none"], rtol=1e-13)
    single = fn(Tensor(data["logits"][0]), labels(data["target"][0]))  # (C,) with a 0-d target
    assert single.shape == () and single.item() == pytest.approx(data["single"], rel=1e-13)


@pytest.mark.parametrize("fn", [F.cross_entropy, F.cross_entropy_reference], ids=["fused", "reference"])
def test_cross_entropy_is_stable_at_logits_of_1e4(fn):
    x = Tensor([[1e4, 0.0, -1e4], [-1e4, -1e4, 1e4]], requires_grad=True)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        loss = fn(x, labels([0, 1]), reduction="none")
        loss.sum().backward()
    np.testing.assert_allclose(loss.data, [0.0, 2e4])
    np.testing.assert_allclose(x.grad.data, [[0, 0, 0], [0, -1, 1]], atol=1e-6)


def test_nll_of_log_softmax_is_cross_entropy(stored):
    data = stored("losses")
    x, t = Tensor(data["logits"]), labels(data["target"])
    for reduction in ("mean", "sum", "none"):
        np.testing.assert_allclose(
            F.nll_loss(F.log_softmax(x, dim=1), t, reduction).data,
            F.cross_entropy(x, t, reduction).data,
            rtol=1e-13,
        )
    np.testing.assert_allclose(nn.NLLLoss()(x, t).item(), data["nll_of_logits"], rtol=1e-13, atol=1e-15)


def test_mse_values(stored):
    mse = stored("losses", "mse/")
    a, b = Tensor(mse["a"]), Tensor(mse["b"])
    assert F.mse_loss(a, b).item() == pytest.approx(mse["mean"], rel=1e-13)
    assert nn.MSELoss("sum")(a, b).item() == pytest.approx(mse["sum"], rel=1e-13)
    np.testing.assert_allclose(F.mse_loss(a, b, "none").data, mse["none"], rtol=1e-13)


def test_bce_values_and_pytorchs_clamp_at_0_and_1(stored):
    bce = stored("losses", "bce/")
    np.testing.assert_allclose(
        F.binary_cross_entropy(Tensor(bce["p"]), Tensor(bce["target"]), "none").data, bce["none"], rtol=1e-13
    )
    x = leaf([0.0, 1.0, 0.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = nn.BCELoss("none")(x, Tensor([1.0, 0.0, 0.0, 1.0], dtype="float64"))
        loss.sum().backward()
    np.testing.assert_array_equal(loss.data, [100.0, 100.0, 0.0, 0.0])  # log 0 -> -100, not -inf
    assert np.all(np.isfinite(x.grad.data))


def test_bce_with_logits_is_stable_and_equals_bce_of_sigmoid():
    x = RNG.standard_normal(6) * 4
    t = RNG.uniform(0, 1, size=6)
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(Tensor(x), Tensor(t), "none").data,
        F.binary_cross_entropy(F.sigmoid(Tensor(x)), Tensor(t), "none").data,
        rtol=1e-12,
    )
    big = Tensor([1000.0, -1000.0, 1000.0, -1000.0], requires_grad=True)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        loss = nn.BCEWithLogitsLoss("none")(big, Tensor([1.0, 0.0, 0.0, 1.0]))
        loss.sum().backward()
    np.testing.assert_array_equal(loss.data, [0.0, 0.0, 1000.0, 1000.0])
    np.testing.assert_array_equal(big.grad.data, [0.0, 0.0, 1.0, -1.0])


# ---------------------------------------------------------------- gradients

GRADCHECKS = {
    "cross_entropy": lambda x: F.cross_entropy(x, labels(TARGET)),
    "cross_entropy_sum_smoothing": lambda x: F.cross_entropy(x, labels(TARGET), "sum", 0.2),
    "cross_entropy_none": lambda x: F.cross_entropy(x, labels(TARGET), "none"),
    "cross_entropy_reference": lambda x: F.cross_entropy_reference(x, labels(TARGET), label_smoothing=0.2),
    "nll": lambda x: F.nll_loss(x, labels(TARGET)),
    "mse": lambda x: F.mse_loss(x, Tensor(LOGITS * 0.5)),
    "bce": lambda x: F.binary_cross_entropy(F.sigmoid(x), Tensor(np.abs(np.sin(LOGITS)))),
    "bce_with_logits": lambda x: F.binary_cross_entropy_with_logits(x, Tensor(np.abs(np.sin(LOGITS))), "sum"),
}


@pytest.mark.parametrize("name", list(GRADCHECKS))
def test_gradcheck_every_loss_wrt_its_input(name):
    assert gradcheck(GRADCHECKS[name], leaf(LOGITS))


def test_gradcheck_cross_entropy_with_extra_dims():
    t = labels(RNG.integers(0, 3, size=(2, 4)))
    assert gradcheck(
        lambda x: F.cross_entropy(x, t, label_smoothing=0.1), leaf(RNG.standard_normal((2, 3, 4)))
    )


def test_gradcheck_wrt_targets_of_elementwise_losses():
    p = leaf(RNG.uniform(0.05, 0.95, size=(3, 2)))
    t = leaf(RNG.uniform(0, 1, size=(3, 2)))
    assert gradcheck(F.mse_loss, p, t)
    assert gradcheck(F.binary_cross_entropy, p, t)
    assert gradcheck(F.binary_cross_entropy_with_logits, leaf(RNG.standard_normal((3, 2))), t)


def test_fused_and_reference_cross_entropy_give_pytorchs_gradient(stored):
    data = stored("losses")
    grads = []
    for fn in (F.cross_entropy, F.cross_entropy_reference):
        x = leaf(data["logits"])
        fn(x, labels(data["target"]), label_smoothing=0.1).backward()
        grads.append(x.grad.data)
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grads[0], data["ce0.1/grad"], rtol=1e-12, atol=1e-15)


LOSS_MODULES = [
    (nn.CrossEntropyLoss(label_smoothing=0.05), lambda: labels(TARGET)),
    (nn.NLLLoss(), lambda: labels(TARGET)),
    (nn.MSELoss(), lambda: Tensor(np.zeros((5, 4), dtype=np.float32))),
    (nn.BCEWithLogitsLoss(), lambda: Tensor(np.ones((5, 4), dtype=np.float32))),
]


@pytest.mark.parametrize(("loss_fn", "target"), LOSS_MODULES, ids=lambda v: type(v).__name__)
def test_backward_works_from_every_loss_module_through_a_model(loss_fn, target):
    tc.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4))
    loss = loss_fn(model(tc.randn(5, 3)), target())
    assert loss.shape == () and loss.dtype == tc.float32
    loss.backward()
    assert all(p.grad is not None and p.grad.dtype == tc.float32 for p in model.parameters())
    bce = nn.BCELoss()(nn.Sigmoid()(model(tc.randn(5, 3))), Tensor(np.ones((5, 4), dtype=np.float32)))
    bce.backward()


# ------------------------------------------------------------------- errors

BAD_INPUTS = [
    (
        lambda: F.cross_entropy(Tensor(LOGITS), labels([0, 1, 4, 0, 0])),
        IndexError,
        r"cross_entropy \(CrossEntropyLoss\): target values must be class indices in \[0, 4\) "
        r"for input of shape \(5, 4\), got values from 0 to 4",
    ),
    (lambda: nn.CrossEntropyLoss()(Tensor(LOGITS), labels([0, 1, -1, 0, 0])), IndexError, "from -1 to 1"),
    (
        lambda: F.cross_entropy(Tensor(LOGITS), Tensor(TARGET, dtype="float64")),
        TypeError,
        r"cross_entropy \(CrossEntropyLoss\): target must hold int64 class indices, got dtype float64",
    ),
    (
        lambda: F.cross_entropy(Tensor(LOGITS), labels([0, 1])),
        ValueError,
        r"input of shape \(5, 4\) \(N, C, d1, \.\.\.\) needs a target of shape \(5,\), got \(2,\)",
    ),
    (lambda: F.cross_entropy(Tensor(LOGITS), TARGET), TypeError, "target must be a Tensor of int64"),
    (lambda: F.cross_entropy(Tensor(LOGITS), labels(TARGET), "avg"), ValueError, "reduction must be 'mean'"),
    (lambda: nn.CrossEntropyLoss(label_smoothing=1.5), ValueError, r"label_smoothing must be in \[0, 1\]"),
    (lambda: F.nll_loss(Tensor(LOGITS), labels([[0]])), ValueError, r"nll_loss \(NLLLoss\): input of shape"),
    (
        lambda: nn.MSELoss()(Tensor(LOGITS), Tensor(LOGITS[0])),
        ValueError,
        r"mse_loss \(MSELoss\): input has shape \(5, 4\) but target has shape \(4,\)",
    ),
    (
        lambda: F.mse_loss(Tensor(LOGITS), Tensor(LOGITS).float()),
        TypeError,
        "target has dtype float32 but input",
    ),
    (
        lambda: nn.BCELoss()(Tensor(LOGITS), Tensor(LOGITS)),
        ValueError,
        r"binary_cross_entropy \(BCELoss\): input must hold probabilities in \[0, 1\]",
    ),
    (
        lambda: F.binary_cross_entropy_with_logits(Tensor(LOGITS), Tensor(LOGITS[:2])),
        ValueError,
        r"\(BCEWithLogitsLoss\): input has shape \(5, 4\) but target has shape \(2, 4\)",
    ),
    (lambda: nn.MSELoss(reduction="max"), ValueError, "MSELoss: reduction must be"),
]


@pytest.mark.parametrize(("call", "error", "match"), BAD_INPUTS)
def test_bad_input_is_a_clear_error_naming_the_loss_and_shapes(call, error, match):
    assert F.cross_entropy(Tensor(LOGITS), labels(TARGET)).shape == ()  # module 06's code runs first
    with pytest.raises(error, match=match):
        call()
