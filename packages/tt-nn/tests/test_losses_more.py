"""Issue 15's losses: cross_entropy / nll_loss with weight, ignore_index and probability targets,
BCEWithLogits with weight / pos_weight, L1, smooth L1, Huber. Values from the definitions,
gradcheck in float64, edge cases (all ignored, empty, K-dim) and clear errors."""

import numpy as np
import pytest

import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch.core import ArgumentError, DTypeError, ShapeError, Tensor, gradcheck

pytestmark = pytest.mark.module06

RNG = np.random.default_rng(15)
LOGITS = RNG.normal(size=(5, 4))
TARGET = np.array([0, 3, -100, 1, 3])
WEIGHT = np.array([0.5, 1.0, 2.0, 1.5])


def labels(values):
    return Tensor(np.asarray(values, dtype=np.int64))


def log_softmax(x, axis=1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def weighted_nll(logp, target, weight, ignore, eps=0.0):
    """PyTorch's definition: per-sample losses and the mean's denominator."""
    keep = target != ignore
    safe = np.where(keep, target, 0)
    wt = weight[safe] * keep
    nll = -logp[np.arange(len(target)), safe] * wt
    smooth = -(logp * weight).sum(axis=1) * keep
    return (1 - eps) * nll + eps / logp.shape[1] * smooth, wt.sum()


@pytest.mark.parametrize("eps", [0.0, 0.2])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_weight_and_ignore_values(reduction, eps):
    losses, denom = weighted_nll(log_softmax(LOGITS), TARGET, WEIGHT, -100, eps)
    want = {"mean": losses.sum() / denom, "sum": losses.sum(), "none": losses}[reduction]
    out = F.cross_entropy(Tensor(LOGITS), labels(TARGET), reduction, eps, weight=Tensor(WEIGHT))
    np.testing.assert_allclose(out.data, want, rtol=1e-12)
    module = nn.CrossEntropyLoss(reduction, eps, weight=Tensor(WEIGHT))
    np.testing.assert_allclose(module(Tensor(LOGITS), labels(TARGET)).data, want, rtol=1e-12)
    # ignore only (no weight): the mean is over the kept samples
    losses, denom = weighted_nll(log_softmax(LOGITS), TARGET, np.ones(4), -100, eps)
    want = {"mean": losses.sum() / denom, "sum": losses.sum(), "none": losses}[reduction]
    np.testing.assert_allclose(F.cross_entropy(Tensor(LOGITS), labels(TARGET), reduction, eps).data, want)


def test_ignore_index_may_be_a_class_and_the_plain_case_stays_fused():
    target = np.array([0, 3, 2, 1, 3])
    losses, denom = weighted_nll(log_softmax(LOGITS), target, np.ones(4), 3)
    out = F.cross_entropy(Tensor(LOGITS), labels(target), ignore_index=3)
    np.testing.assert_allclose(out.data, losses.sum() / denom)
    assert denom == 3
    plain = F.cross_entropy(Tensor(LOGITS, requires_grad=True), labels(target))
    assert type(plain.grad_fn).__name__ == "CrossEntropyBackward"  # module 06's fused Function
    general = F.cross_entropy(Tensor(LOGITS, requires_grad=True), labels(target), ignore_index=3)
    assert type(general.grad_fn).__name__ == "WeightedNLLBackward"


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_weight_and_ignore_values(reduction):
    logp = log_softmax(LOGITS)
    losses, denom = weighted_nll(logp, TARGET, WEIGHT, -100)
    want = {"mean": losses.sum() / denom, "sum": losses.sum(), "none": losses}[reduction]
    out = F.nll_loss(Tensor(logp), labels(TARGET), reduction, weight=Tensor(WEIGHT))
    np.testing.assert_allclose(out.data, want, rtol=1e-12)
    out = nn.NLLLoss(reduction, weight=Tensor(WEIGHT), ignore_index=-100)(Tensor(logp), labels(TARGET))
    np.testing.assert_allclose(out.data, want, rtol=1e-12)


def test_k_dim_inputs_match_the_flattened_problem():
    x = RNG.normal(size=(2, 4, 3))  # (N, C, d1)
    t = np.array([[0, -100, 3], [2, 2, -100]])
    flat_x, flat_t = x.transpose(0, 2, 1).reshape(-1, 4), t.reshape(-1)
    for reduction in ("mean", "sum", "none"):
        out = F.cross_entropy(Tensor(x), labels(t), reduction, 0.1, weight=Tensor(WEIGHT))
        want = F.cross_entropy(Tensor(flat_x), labels(flat_t), reduction, 0.1, weight=Tensor(WEIGHT))
        np.testing.assert_allclose(out.data, want.data.reshape(out.shape), rtol=1e-12)
        assert out.shape == (t.shape if reduction == "none" else ())


def test_all_ignored_and_empty_batches():
    x = Tensor(LOGITS, requires_grad=True)
    with np.errstate(invalid="raise", divide="raise"):  # nan by design, without a NumPy warning
        loss = F.cross_entropy(x, labels([-100] * 5), weight=Tensor(WEIGHT), label_smoothing=0.1)
        assert np.isnan(loss.data)
        loss.backward()
    np.testing.assert_array_equal(x.grad.data, 0)  # PyTorch's: no sample, no gradient
    assert F.nll_loss(Tensor(LOGITS), labels([-100] * 5), "sum").data == 0
    np.testing.assert_array_equal(F.nll_loss(Tensor(LOGITS), labels([-100] * 5), "none").data, 0)
    empty = Tensor(np.zeros((0, 4)), requires_grad=True)
    assert np.isnan(F.cross_entropy(empty, labels([]), weight=Tensor(WEIGHT)).data)
    assert np.isnan(F.cross_entropy(empty, Tensor(np.zeros((0, 4)))).data)
    assert F.nll_loss(empty, labels([]), "none", ignore_index=1).shape == (0,)


@pytest.mark.parametrize("eps", [0.0, 0.3])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_probability_targets(reduction, eps):
    probs = RNG.dirichlet(np.ones(4), size=5)
    smoothed = probs * (1 - eps) + eps / 4
    terms = -(log_softmax(LOGITS) * smoothed * WEIGHT).sum(axis=1)
    want = {"mean": terms.mean(), "sum": terms.sum(), "none": terms}[reduction]
    out = F.cross_entropy(Tensor(LOGITS), Tensor(probs), reduction, eps, weight=Tensor(WEIGHT))
    np.testing.assert_allclose(out.data, want, rtol=1e-12)
    # (C,) input: one sample
    one = F.cross_entropy(Tensor(LOGITS[0]), Tensor(probs[0]), reduction)
    np.testing.assert_allclose(one.data, -(log_softmax(LOGITS[:1]) * probs[:1]).sum())


def test_gradcheck_class_losses():
    x = Tensor(RNG.normal(size=(2, 4, 3)), requires_grad=True)
    t = labels([[0, -100, 3], [2, 1, 2]])
    w = Tensor(WEIGHT)
    for reduction in ("mean", "sum", "none"):
        assert gradcheck(lambda a, r=reduction: F.cross_entropy(a, t, r, 0.2, weight=w), x)
        assert gradcheck(lambda a, r=reduction: F.nll_loss(a, t, r, weight=w), x)
        assert gradcheck(lambda a, r=reduction: F.cross_entropy(a, t.clip(0, 3), r, ignore_index=2), x)
    p = Tensor(RNG.dirichlet(np.ones(4), size=(2, 3)).transpose(0, 2, 1).copy(), requires_grad=True)
    assert gradcheck(lambda a, b: F.cross_entropy(a, b, "mean", 0.1, weight=w), x, p)


def test_bce_with_logits_weights():
    x = RNG.normal(size=(3, 4)) * 5
    t = RNG.uniform(size=(3, 4))
    pos = np.array([0.5, 1.0, 2.0, 3.0])
    w = RNG.uniform(0.5, 2, size=(3, 4))
    log_sig = -np.logaddexp(0, -x)  # log sigmoid(x)
    log_one_minus = -np.logaddexp(0, x)  # log(1 - sigmoid(x))
    want = -w * (pos * t * log_sig + (1 - t) * log_one_minus)
    out = F.binary_cross_entropy_with_logits(
        Tensor(x), Tensor(t), "none", weight=Tensor(w), pos_weight=Tensor(pos)
    )
    np.testing.assert_allclose(out.data, want, rtol=1e-10)
    loss = nn.BCEWithLogitsLoss(pos_weight=Tensor(pos))(Tensor(x), Tensor(t))
    np.testing.assert_allclose(loss.data, (want / w).mean(), rtol=1e-10)
    big = F.binary_cross_entropy_with_logits(
        Tensor([1000.0, -1000.0]), Tensor([0.0, 1.0]), "none", pos_weight=Tensor([2.0])
    )
    np.testing.assert_allclose(big.data, [1000.0, 2000.0])  # stable at any logit
    xs, ts = Tensor(x, requires_grad=True), Tensor(t, requires_grad=True)
    assert gradcheck(
        lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight=Tensor(w), pos_weight=Tensor(pos)),
        xs,
        ts,
    )
    assert gradcheck(
        lambda a: F.binary_cross_entropy_with_logits(a, Tensor(t), "sum", weight=Tensor(w[0])), xs
    )


def smooth_l1(d, beta):
    return np.abs(d) if beta == 0 else np.where(np.abs(d) < beta, 0.5 * d * d / beta, np.abs(d) - 0.5 * beta)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses(reduction):
    x, t = RNG.normal(size=(3, 4)) * 2, RNG.normal(size=(3, 4))
    d = x - t
    red = {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction]
    np.testing.assert_allclose(F.l1_loss(Tensor(x), Tensor(t), reduction).data, red(np.abs(d)))
    np.testing.assert_allclose(nn.L1Loss(reduction)(Tensor(x), Tensor(t)).data, red(np.abs(d)))
    for beta in (0.0, 0.5, 1.0, 3.0):
        out = nn.SmoothL1Loss(reduction, beta=beta)(Tensor(x), Tensor(t))
        np.testing.assert_allclose(out.data, red(smooth_l1(d, beta)), rtol=1e-12)
    for delta in (0.5, 1.0, 3.0):
        out = F.huber_loss(Tensor(x), Tensor(t), reduction, delta=delta)
        np.testing.assert_allclose(out.data, red(delta * smooth_l1(d, delta)), rtol=1e-12)
        np.testing.assert_allclose(nn.HuberLoss(reduction, delta)(Tensor(x), Tensor(t)).data, out.data)
    assert F.l1_loss(Tensor(np.float32([1.0])), Tensor(np.float32([3.0]))).dtype == np.float32


def test_regression_gradients():
    x = Tensor(RNG.normal(size=(3, 4)) * 2, requires_grad=True)
    t = Tensor(RNG.normal(size=(3, 4)), requires_grad=True)
    assert gradcheck(lambda a, b: F.l1_loss(a, b), x, t)
    assert gradcheck(lambda a, b: F.smooth_l1_loss(a, b, "sum", beta=0.7), x, t)
    assert gradcheck(lambda a, b: F.huber_loss(a, b, "none", delta=1.3), x, t)
    z = Tensor(np.zeros(3), requires_grad=True)  # d = 0: gradient 0, as PyTorch's sign
    F.l1_loss(z, Tensor(np.zeros(3))).backward()
    np.testing.assert_array_equal(z.grad.data, 0)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: F.cross_entropy(Tensor(LOGITS), labels([0, 7, -100, 1, 1])),
            IndexError,
            r"cross_entropy \(CrossEntropyLoss\): target values must be class indices in \[0, 4\) .*"
            r"\(target 7 is out of bounds and is not ignore_index=-100\)",
        ),
        (
            lambda: F.nll_loss(Tensor(LOGITS), labels([0, -1, 0, 1, 1]), ignore_index=-2),
            IndexError,
            r"nll_loss \(NLLLoss\): .*target -1 is out of bounds and is not ignore_index=-2",
        ),
        (
            lambda: F.cross_entropy(Tensor(LOGITS), Tensor(np.zeros(5))),  # float, not the input's shape
            DTypeError,
            r"cross_entropy \(CrossEntropyLoss\): target must hold int64 class indices, got dtype float64 "
            r"\(.*class probabilities: a float target of the input's shape\)",
        ),
        (
            lambda: F.cross_entropy(Tensor(LOGITS), labels([0, 1])),
            ValueError,
            r"cross_entropy .* input of shape \(5, 4\) .* needs a target of shape \(5,\), got \(2,\)",
        ),
        (
            lambda: F.cross_entropy(Tensor(LOGITS), labels(TARGET), weight=Tensor(WEIGHT[:3])),
            ShapeError,
            r"cross_entropy \(CrossEntropyLoss\): weight must have one entry per class, "
            r"shape \(4,\) .* got \(3,\)",
        ),
        (
            lambda: F.nll_loss(Tensor(LOGITS), labels(TARGET), weight=Tensor(WEIGHT.astype(np.float32))),
            DTypeError,
            r"nll_loss \(NLLLoss\): weight has dtype float32 but input has float64",
        ),
        (
            lambda: F.cross_entropy(Tensor(LOGITS), labels(TARGET), weight=WEIGHT),
            TypeError,
            "cross_entropy .*: weight must be a Tensor of shape \\(4,\\) or None, got ndarray",
        ),
        (
            lambda: F.cross_entropy(Tensor(LOGITS), Tensor(LOGITS.astype(np.float32))),
            DTypeError,
            r"cross_entropy .*: probability target has dtype float32 but input has float64",
        ),
        (
            lambda: F.cross_entropy(Tensor(LOGITS), Tensor(LOGITS), ignore_index=0),
            ArgumentError,
            r"cross_entropy .*: ignore_index is not supported for floating point target, got 0",
        ),
        (
            lambda: F.cross_entropy(Tensor(LOGITS), labels(TARGET), reduction="avg"),
            ValueError,
            r"cross_entropy .*: reduction must be 'mean', 'sum' or 'none', got 'avg'",
        ),
        (lambda: nn.NLLLoss("batchmean"), ValueError, "NLLLoss: reduction must be"),
        (
            lambda: F.binary_cross_entropy_with_logits(
                Tensor(LOGITS), Tensor(LOGITS), pos_weight=Tensor(WEIGHT[:3])
            ),
            ShapeError,
            r"binary_cross_entropy_with_logits .*: pos_weight of shape \(3,\) "
            r"does not broadcast to .* \(5, 4\)",
        ),
        (
            lambda: F.binary_cross_entropy_with_logits(
                Tensor(LOGITS), Tensor(LOGITS), weight=Tensor(np.ones((2, 5, 4)))
            ),
            ShapeError,
            r"weight of shape \(2, 5, 4\) does not broadcast to the input's shape \(5, 4\)",
        ),
        (
            lambda: nn.BCEWithLogitsLoss(pos_weight=Tensor(np.float32([1.0])))(
                Tensor(LOGITS), Tensor(LOGITS)
            ),
            DTypeError,
            "pos_weight has dtype float32 but input has float64",
        ),
        (
            lambda: F.smooth_l1_loss(Tensor(LOGITS), Tensor(LOGITS), beta=-1.0),
            ArgumentError,
            r"smooth_l1_loss \(SmoothL1Loss\): beta must be >= 0 .* got -1.0",
        ),
        (
            lambda: nn.HuberLoss(delta=0.0)(Tensor(LOGITS), Tensor(LOGITS)),
            ArgumentError,
            r"huber_loss \(HuberLoss\): delta must be > 0 .* got 0.0",
        ),
        (
            lambda: F.l1_loss(Tensor(LOGITS), Tensor(LOGITS[0])),
            ShapeError,
            r"l1_loss \(L1Loss\): input has shape \(5, 4\) but target has shape \(4,\)",
        ),
        (
            lambda: F.huber_loss(Tensor(LOGITS), Tensor(LOGITS.astype(np.float32))),
            DTypeError,
            r"huber_loss \(HuberLoss\): target has dtype float32 but input has float64",
        ),
        (lambda: nn.L1Loss("max"), ValueError, "L1Loss: reduction must be"),
        (
            lambda: F.cross_entropy(Tensor(LOGITS), labels(TARGET), Tensor(WEIGHT)),
            TypeError,
            r"cross_entropy .*: got a Tensor where reduction goes; pass a class weight as weight=",
        ),
        (lambda: nn.NLLLoss(Tensor(WEIGHT)), TypeError, "NLLLoss: got a Tensor where reduction goes"),
    ],
)
def test_bad_input_is_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_weights_are_buffers_in_the_state_dict():
    loss = nn.CrossEntropyLoss(weight=Tensor(WEIGHT.copy()))
    assert list(loss.state_dict()) == ["weight"]
    loss.load_state_dict({"weight": np.array([1.0, 2.0, 3.0, 4.0])})
    np.testing.assert_array_equal(loss.weight.data, [1.0, 2.0, 3.0, 4.0])
    assert list(nn.BCEWithLogitsLoss(pos_weight=Tensor(WEIGHT)).state_dict()) == ["pos_weight"]
    assert nn.CrossEntropyLoss().state_dict() == {} and nn.NLLLoss(ignore_index=3).ignore_index == 3
