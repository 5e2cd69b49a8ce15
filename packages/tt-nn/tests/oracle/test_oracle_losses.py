"""Module 06: every loss — value and gradient, every reduction, label smoothing — matches PyTorch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tt_nn_oracle import DTYPES, check, float_arrays

import tinytorch.nn as nn
import tinytorch.nn.functional as F

pytestmark = [pytest.mark.oracle, pytest.mark.module06]

REDUCTIONS = st.sampled_from(["mean", "sum", "none"])
SMOOTHING = st.sampled_from([0.0, 0.1, 0.37, 1.0])


@st.composite
def class_problem(draw, dtype, scale=8.0):
    """Logits (N, C), (N, C, d1[, d2]) or (C,), and int64 targets of the matching shape."""
    n, c = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    extra = draw(st.sampled_from([None, (), (3,), (2, 2)]))
    shape, target_shape = ((c,), ()) if extra is None else ((n, c, *extra), (n, *extra))
    logits = draw(float_arrays(dtype, shape, -scale, scale))
    target = draw(hnp.arrays(np.int64, target_shape, elements=st.integers(0, c - 1)))
    return logits, target


FUSED_AND_REFERENCE = {"fused": F.cross_entropy, "reference": F.cross_entropy_reference}


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("version", list(FUSED_AND_REFERENCE))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_cross_entropy_matches_torch(version, dtype, data):
    logits, target = data.draw(class_problem(dtype))
    reduction, eps = data.draw(REDUCTIONS), data.draw(SMOOTHING)
    fn = FUSED_AND_REFERENCE[version]
    check(
        lambda x, t: fn(x, t, reduction=reduction, label_smoothing=eps),
        lambda x, t: TF.cross_entropy(x, t, reduction=reduction, label_smoothing=eps),
        [logits, target],
        grads=[True],
        data=data,
        what=f"{version} cross_entropy{logits.shape}, {reduction}, eps={eps}",
    )


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_cross_entropy_module_at_logits_of_1e4_matches_torch(dtype, data):
    logits, target = data.draw(class_problem(dtype, scale=1e4))
    eps = data.draw(SMOOTHING)
    check(
        nn.CrossEntropyLoss(label_smoothing=eps),
        torch.nn.CrossEntropyLoss(label_smoothing=eps),
        [logits, target],
        grads=[True],
        data=data,
        what=f"CrossEntropyLoss{logits.shape} at 1e4",
    )


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_nll_loss_matches_torch(dtype, data):
    logits, target = data.draw(class_problem(dtype))
    reduction = data.draw(REDUCTIONS)
    check(
        lambda x, t: nn.NLLLoss(reduction)(x, t),
        lambda x, t: TF.nll_loss(x, t, reduction=reduction),
        [logits, target],
        grads=[True],
        data=data,
        what=f"nll_loss{logits.shape}, {reduction}",
    )


@st.composite
def pair(draw, dtype, input_range, target_range):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
    return draw(float_arrays(dtype, shape, *input_range)), draw(float_arrays(dtype, shape, *target_range))


# (tinytorch, torch, input range, target range, gradient wrt the target too)
ELEMENTWISE_LOSSES = {
    "mse": (F.mse_loss, TF.mse_loss, (-4, 4), (-4, 4), True),
    "bce": (F.binary_cross_entropy, TF.binary_cross_entropy, (2**-10, 1 - 2**-10), (0, 1), True),
    "bce_at_0_and_1": (F.binary_cross_entropy, TF.binary_cross_entropy, (0, 1), (0, 1), False),
    "bce_with_logits": (
        F.binary_cross_entropy_with_logits,
        TF.binary_cross_entropy_with_logits,
        (-50, 50),
        (0, 1),
        True,
    ),
    "bce_with_logits_extreme": (
        F.binary_cross_entropy_with_logits,
        TF.binary_cross_entropy_with_logits,
        (-1000, 1000),
        (0, 1),
        True,
    ),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", list(ELEMENTWISE_LOSSES))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_elementwise_losses_match_torch(name, dtype, data):
    tt_fn, torch_fn, input_range, target_range, target_grad = ELEMENTWISE_LOSSES[name]
    if name == "bce_at_0_and_1":  # exact 0s and 1s: the log clamp at -100 and the 1e-12 floor
        shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=2, max_side=4))
        x = data.draw(hnp.arrays(dtype, shape, elements=st.sampled_from([0.0, 1.0, 0.5, 1e-3])))
        t = data.draw(float_arrays(dtype, shape, 0, 1))
    elif name == "bce_with_logits_extreme":
        # Hard targets: with a soft target, PyTorch's (1 - t) x + max(-x, 0) cancels in float32
        # at |x| ~ 400 (an error of ~1e-5 on a loss of ~0.09), where max(x, 0) - x t does not.
        x, t = data.draw(pair(dtype, input_range, target_range))
        t = np.asarray(np.round(t))
    else:
        x, t = data.draw(pair(dtype, input_range, target_range))
    reduction = data.draw(REDUCTIONS)
    check(
        lambda a, b: tt_fn(a, b, reduction=reduction),
        lambda a, b: torch_fn(a, b, reduction=reduction),
        [x, t],
        grads=[True, target_grad],
        data=data,
        what=f"{name}{x.shape}, {reduction}",
    )


def test_loss_modules_match_torch_on_one_batch_and_in_repr():
    logits = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, -3.0]])
    classes = np.array([2, 0])
    probs = 1 / (1 + np.exp(-logits))
    for ours, theirs, target in [
        (nn.MSELoss(), torch.nn.MSELoss(), probs),
        (nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(), classes),
        (nn.NLLLoss(), torch.nn.NLLLoss(), classes),
        (nn.BCELoss(), torch.nn.BCELoss(), probs[::-1].copy()),
        (nn.BCEWithLogitsLoss(), torch.nn.BCEWithLogitsLoss(), probs),
    ]:
        inputs = probs if isinstance(ours, nn.BCELoss) else logits
        check(ours, theirs, [inputs, target], what=repr(ours))
        assert repr(ours) == repr(theirs)
