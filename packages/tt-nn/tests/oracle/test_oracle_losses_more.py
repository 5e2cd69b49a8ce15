"""Issue 15: cross_entropy / nll_loss with weight, ignore_index and probability targets,
BCEWithLogits with weight / pos_weight, L1, smooth L1 and Huber match PyTorch (forward and
backward, float32 and float64, every reduction, K-dim inputs, all-ignored and empty batches)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tt_nn_oracle import DTYPES, check, float_arrays, shapes

import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch.core import Tensor

pytestmark = [pytest.mark.oracle, pytest.mark.module06]

REDUCTIONS = st.sampled_from(["mean", "sum", "none"])
SMOOTHING = st.sampled_from([0.0, 0.1, 0.37])


@st.composite
def class_problem(draw, dtype):
    """Logits (N, C), (N, C, d1[, d2]) or (C,); int64 targets, some equal to ignore_index;
    a class weight or None."""
    n, c = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    extra = draw(st.sampled_from([None, (), (3,), (2, 2)]))
    shape, target_shape = ((c,), ()) if extra is None else ((n, c, *extra), (n, *extra))
    logits = draw(float_arrays(dtype, shape, -8, 8))
    ignore = draw(st.sampled_from([-100, -1, 0, c - 1]))
    target = draw(hnp.arrays(np.int64, target_shape, elements=st.sampled_from([*range(c), ignore])))
    weight = draw(st.one_of(st.none(), float_arrays(dtype, (c,), 0.125, 3)))
    return logits, target, ignore, weight


def torch_weight(w):
    return None if w is None else torch.from_numpy(w)


def tt_weight(w):
    return None if w is None else Tensor(w)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_cross_entropy_weight_ignore_smoothing_match_torch(dtype, data):
    logits, target, ignore, w = data.draw(class_problem(dtype))
    reduction, eps = data.draw(REDUCTIONS), data.draw(SMOOTHING)
    if reduction == "mean" and not (target != ignore).any():
        return  # all ignored: nan (test_all_ignored_is_nan_with_zero_gradient)
    check(
        lambda x, t: F.cross_entropy(x, t, reduction, eps, weight=tt_weight(w), ignore_index=ignore),
        lambda x, t: TF.cross_entropy(
            x, t, torch_weight(w), ignore_index=ignore, reduction=reduction, label_smoothing=eps
        ),
        [logits, target],
        grads=[True],
        data=data,
        what=f"cross_entropy {reduction} eps={eps} ignore={ignore} weight={w is not None}",
    )


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_nll_loss_weight_ignore_match_torch(dtype, data):
    logits, target, ignore, w = data.draw(class_problem(dtype))
    reduction = data.draw(REDUCTIONS)
    if reduction == "mean" and not (target != ignore).any():
        return
    check(
        lambda x, t: nn.NLLLoss(reduction, weight=tt_weight(w), ignore_index=ignore)(x, t),
        lambda x, t: torch.nn.NLLLoss(torch_weight(w), ignore_index=ignore, reduction=reduction)(x, t),
        [logits, target],
        grads=[True],
        data=data,
        what=f"nll_loss {reduction} ignore={ignore}",
    )


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_cross_entropy_probability_targets_match_torch(dtype, data):
    n, c = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 5))
    extra = data.draw(st.sampled_from([None, (), (3,), (2, 2)]))
    shape = (c,) if extra is None else (n, c, *extra)
    logits = data.draw(float_arrays(dtype, shape, -8, 8))
    probs = data.draw(float_arrays(dtype, shape, 0, 1))
    w = data.draw(st.one_of(st.none(), float_arrays(dtype, (c,), 0.125, 3)))
    reduction, eps = data.draw(REDUCTIONS), data.draw(SMOOTHING)
    module = nn.CrossEntropyLoss(reduction, eps, weight=tt_weight(w))
    check(
        module,
        lambda x, t: TF.cross_entropy(x, t, torch_weight(w), reduction=reduction, label_smoothing=eps),
        [logits, probs],
        grads=[True, True],
        data=data,
        what=f"cross_entropy probabilities {reduction} eps={eps}",
    )


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("eps", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_all_ignored_is_nan_with_zero_gradient(fn, weighted, eps, dtype):
    if fn == "nll_loss" and eps:
        return
    logits = np.random.default_rng(0).normal(size=(3, 4)).astype(dtype)
    target = np.array([-100, -100, -100])
    w = np.arange(1, 5, dtype=dtype) if weighted else None
    extra = {"label_smoothing": eps} if eps else {}
    x, tx = Tensor(logits, requires_grad=True), torch.from_numpy(logits).requires_grad_(True)
    ours = getattr(F, fn)(x, Tensor(target), weight=tt_weight(w), **extra)
    theirs = getattr(TF, fn)(tx, torch.from_numpy(target), torch_weight(w), **extra)
    assert np.isnan(ours.data) and torch.isnan(theirs)
    assert ours.dtype == dtype
    ours.backward()
    theirs.backward()
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())
    np.testing.assert_array_equal(x.grad.data, 0)
    for reduction in ("sum", "none"):  # zero losses, not nan
        kw = {"weight": tt_weight(w), "reduction": reduction, **extra}
        want = getattr(TF, fn)(tx, torch.from_numpy(target), torch_weight(w), reduction=reduction, **extra)
        np.testing.assert_array_equal(
            getattr(F, fn)(Tensor(logits), Tensor(target), **kw).data, want.detach()
        )


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.filterwarnings("ignore:Mean of empty slice:RuntimeWarning")  # the fused path's mean of nothing
def test_empty_batches_match_torch(reduction, dtype):
    logits, index, probs = np.zeros((0, 3), dtype), np.zeros(0, np.int64), np.zeros((0, 3), dtype)
    w = np.ones(3, dtype)
    cases = [
        (
            lambda x: F.cross_entropy(x, Tensor(index), reduction),
            lambda x: TF.cross_entropy(x, torch.from_numpy(index), reduction=reduction),
        ),
        (
            lambda x: F.cross_entropy(x, Tensor(index), reduction, weight=Tensor(w)),
            lambda x: TF.cross_entropy(x, torch.from_numpy(index), torch.from_numpy(w), reduction=reduction),
        ),
        (
            lambda x: F.nll_loss(x, Tensor(index), reduction, ignore_index=1),
            lambda x: TF.nll_loss(x, torch.from_numpy(index), ignore_index=1, reduction=reduction),
        ),
        (
            lambda x: F.cross_entropy(x, Tensor(probs), reduction),
            lambda x: TF.cross_entropy(x, torch.from_numpy(probs), reduction=reduction),
        ),
        (
            lambda x: F.l1_loss(x, Tensor(probs), reduction),
            lambda x: TF.l1_loss(x, torch.from_numpy(probs), reduction=reduction),
        ),
        (
            lambda x: F.huber_loss(x, Tensor(probs), reduction),
            lambda x: TF.huber_loss(x, torch.from_numpy(probs), reduction=reduction),
        ),
    ]
    with np.errstate(invalid="ignore", divide="ignore"):
        for ours, theirs in cases:
            out, want = ours(Tensor(logits)), theirs(torch.from_numpy(logits))
            assert out.shape == tuple(want.shape) and out.dtype == dtype
            np.testing.assert_array_equal(out.data, want.numpy())


@st.composite
def bce_problem(draw, dtype):
    shape = draw(shapes(1, 3))
    x = draw(float_arrays(dtype, shape, -30, 30))
    t = draw(float_arrays(dtype, shape, 0, 1))
    # PyTorch's broadcasting: pos_weight (C,) over the last dim, or any shape that broadcasts
    wshape = draw(st.sampled_from([shape[-1:], (), shape, (1,) * len(shape)]))
    pos = draw(st.one_of(st.none(), float_arrays(dtype, wshape, 0.125, 4)))
    weight = draw(st.one_of(st.none(), float_arrays(dtype, draw(st.sampled_from([shape[-1:], shape])), 0, 2)))
    return x, t, pos, weight


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_bce_with_logits_weights_match_torch(dtype, data):
    x, t, pos, weight = data.draw(bce_problem(dtype))
    reduction = data.draw(REDUCTIONS)
    check(
        lambda a, b: nn.BCEWithLogitsLoss(reduction, weight=tt_weight(weight), pos_weight=tt_weight(pos))(
            a, b
        ),
        lambda a, b: TF.binary_cross_entropy_with_logits(
            a, b, torch_weight(weight), reduction=reduction, pos_weight=torch_weight(pos)
        ),
        [x, t],
        grads=[True, True],
        data=data,
        what=f"bce_with_logits {reduction} pos={None if pos is None else pos.shape}",
    )


REGRESSION = {
    "l1": (lambda r: nn.L1Loss(r), lambda r: torch.nn.L1Loss(reduction=r)),
    "smooth_l1": (lambda r: nn.SmoothL1Loss(r), lambda r: torch.nn.SmoothL1Loss(reduction=r)),
    "smooth_l1-beta0.5": (
        lambda r: nn.SmoothL1Loss(r, 0.5),
        lambda r: torch.nn.SmoothL1Loss(reduction=r, beta=0.5),
    ),
    "smooth_l1-beta0": (
        lambda r: nn.SmoothL1Loss(r, 0.0),
        lambda r: torch.nn.SmoothL1Loss(reduction=r, beta=0.0),
    ),
    "huber": (lambda r: nn.HuberLoss(r), lambda r: torch.nn.HuberLoss(reduction=r)),
    "huber-delta2.5": (lambda r: nn.HuberLoss(r, 2.5), lambda r: torch.nn.HuberLoss(reduction=r, delta=2.5)),
    "functional-huber": (
        lambda r: lambda a, b: F.huber_loss(a, b, r, delta=0.7),
        lambda r: lambda a, b: TF.huber_loss(a, b, reduction=r, delta=0.7),
    ),
    "functional-smooth_l1": (
        lambda r: lambda a, b: F.smooth_l1_loss(a, b, r, beta=2.0),
        lambda r: lambda a, b: TF.smooth_l1_loss(a, b, reduction=r, beta=2.0),
    ),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", list(REGRESSION))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_regression_losses_match_torch(case, dtype, data):
    shape = data.draw(st.one_of(shapes(0, 3), st.just((2, 0))), label="shape")
    x = data.draw(float_arrays(dtype, shape, -4, 4))
    # ties (d = 0) and the kinks (|d| = beta) included: target = x + a few fixed offsets
    offsets = data.draw(hnp.arrays(dtype, shape, elements=st.sampled_from([0.0, 0.5, -0.5, 1.0, -2.5, 3.0])))
    t = np.asarray(x + offsets, dtype)
    reduction = data.draw(REDUCTIONS)
    if reduction == "mean" and x.size == 0:
        return  # nan (test_empty_batches_match_torch)
    ours, theirs = REGRESSION[case]
    check(
        ours(reduction), theirs(reduction), [x, t], grads=[True, True], data=data, what=f"{case} {reduction}"
    )


def test_loss_state_dicts_match_torch():
    w = np.array([1.0, 2.0, 0.5], np.float32)
    for ours, theirs in [
        (nn.CrossEntropyLoss(weight=Tensor(w)), torch.nn.CrossEntropyLoss(weight=torch.from_numpy(w))),
        (nn.NLLLoss(weight=Tensor(w)), torch.nn.NLLLoss(weight=torch.from_numpy(w))),
        (
            nn.BCEWithLogitsLoss(pos_weight=Tensor(w)),
            torch.nn.BCEWithLogitsLoss(pos_weight=torch.from_numpy(w)),
        ),
        (
            nn.BCEWithLogitsLoss(weight=Tensor(w), pos_weight=Tensor(w)),
            torch.nn.BCEWithLogitsLoss(weight=torch.from_numpy(w), pos_weight=torch.from_numpy(w)),
        ),
        (nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()),
        (nn.HuberLoss(), torch.nn.HuberLoss()),
    ]:
        mine, want = ours.state_dict(), theirs.state_dict()
        assert list(mine) == list(want)
        for key in mine:
            np.testing.assert_array_equal(mine[key], want[key].numpy())
        assert repr(ours).split("(")[0] == repr(theirs).split("(")[0]


def test_probability_target_errors_match_torch():
    x, p = np.zeros((2, 3), np.float32), np.full((2, 3), 1 / 3, np.float32)
    with pytest.raises(RuntimeError, match="ignore_index is not supported"):
        TF.cross_entropy(torch.from_numpy(x), torch.from_numpy(p), ignore_index=1)
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point target"):
        F.cross_entropy(Tensor(x), Tensor(p), ignore_index=1)
    # a negative ignore_index other than the default is accepted by both
    want = TF.cross_entropy(torch.from_numpy(x), torch.from_numpy(p), ignore_index=-3)
    np.testing.assert_allclose(F.cross_entropy(Tensor(x), Tensor(p), ignore_index=-3).data, want.numpy())
