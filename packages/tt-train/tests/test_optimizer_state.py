"""Optimizer.load_state_dict refuses state that `step()` could not use, naming the entry, and
changes nothing: None or non-numeric values, unknown or missing entries, malformed groups."""

import numpy as np
import pytest
from tt_train_helpers import set_grads

from tinytorch.nn import Parameter
from tinytorch.train.optim import SGD, Adam


def stepped(make):
    params = [Parameter(np.ones((2, 3), dtype=np.float32)), Parameter(np.ones(3, dtype=np.float32))]
    opt = make(params)
    set_grads(params)
    opt.step()
    return opt


def same(a, b):
    """Two optimizer state dicts hold the same groups and the same state (arrays by value)."""
    if a["param_groups"] != b["param_groups"] or a["state"].keys() != b["state"].keys():
        return False
    return all(
        s.keys() == b["state"][i].keys() and all(np.array_equal(v, b["state"][i][k]) for k, v in s.items())
        for i, s in a["state"].items()
    )


@pytest.mark.module07
@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (None, r"state 'momentum_buffer' of parameter 0 is NoneType, expected a numeric array"),
        ([1.0, 2.0, 3.0], r"state 'momentum_buffer' of parameter 0 is list, expected a numeric array"),
        (
            np.array([[1, None, 3]] * 2, dtype=object),
            r"state 'momentum_buffer' of parameter 0 is dtype object",
        ),
    ],
    ids=["None", "list", "object-array"],
)
def test_sgd_load_state_dict_refuses_a_value_that_is_not_an_array(bad, message):
    saved = stepped(lambda ps: SGD(ps, lr=0.1, momentum=0.9)).state_dict()
    saved["state"][0]["momentum_buffer"] = bad
    opt = stepped(lambda ps: SGD(ps, lr=0.5, momentum=0.5))
    before = opt.state_dict()
    with pytest.raises(ValueError, match=rf"SGD\.load_state_dict: {message}"):
        opt.load_state_dict(saved)
    assert same(opt.state_dict(), before)


@pytest.mark.module07
def test_sgd_load_state_dict_refuses_unknown_entries_and_bad_groups():
    opt = stepped(lambda ps: SGD(ps, lr=0.5, momentum=0.5))
    before = opt.state_dict()
    saved = stepped(lambda ps: SGD(ps, lr=0.1, momentum=0.9)).state_dict()
    cases = [
        ({"state": {0: {"exp_avg": np.zeros((2, 3))}}}, r"unknown entries \['exp_avg'\]"),
        ({"param_groups": [{**saved["param_groups"][0], "lr": None}]}, r"parameter group 0: TypeError"),
        ({"param_groups": [{**saved["param_groups"][0], "params": [0, 0]}]}, "repeats a parameter index"),
        ({"param_groups": [{"params": [0, 1]}]}, r"no hyperparameter\(s\) \['dampening', 'lr'"),
        ({"state": {"0": {"momentum_buffer": np.zeros((2, 3))}, 0: {}}}, "given twice"),
    ]
    for change, message in cases:
        with pytest.raises(ValueError, match=message):
            opt.load_state_dict({**saved, **change})
        assert same(opt.state_dict(), before)


@pytest.mark.module11
@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda s: s.pop("exp_avg_sq"),
            r"parameter 1 has unknown entries \[\], missing entries \['exp_avg_sq'\]",
        ),
        (lambda s: s.update(step=None), r"state 'step' of parameter 1 is None, expected an int >= 0"),
        (lambda s: s.update(step=2.5), r"state 'step' of parameter 1 is 2.5, expected an int >= 0"),
    ],
    ids=["missing-array", "step-None", "step-float"],
)
def test_adam_load_state_dict_refuses_state_step_could_not_use(edit, message):
    saved = stepped(lambda ps: Adam(ps, lr=0.1)).state_dict()
    edit(saved["state"][1])
    opt = stepped(lambda ps: Adam(ps, lr=0.5))
    before = opt.state_dict()
    with pytest.raises(ValueError, match=message) as raised:
        opt.load_state_dict(saved)
    assert str(raised.value).startswith("Adam.load_state_dict: ")
    assert same(opt.state_dict(), before)
