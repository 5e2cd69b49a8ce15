"""Module 04: Module and Parameter — registration, traversal, modes, state dicts, repr.

Models here are built from the module-04 layers (Linear, Sequential, Dropout),
so these tests grade those too; nothing calls backward (that is module 05).
"""

import numpy as np
import pytest

import tinytorch.core as tc
from tinytorch.core import Tensor
from tinytorch.nn import Dropout, Linear, Module, Parameter, ReLU, Sequential

pytestmark = pytest.mark.module04


class TwoLayer(Module):
    """A custom model: a Linear, a nested Sequential, a plain attribute, a buffer."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = Linear(3, 4)
        self.block = Sequential(ReLU(), Dropout(0.5), Linear(4, 2))
        self.scale = 2.0  # not a parameter
        self.register_buffer("steps", Tensor([0.0]))

    def forward(self, x: Tensor) -> Tensor:
        return self.block(self.fc1(x)) * self.scale


def test_parameter_is_a_tensor_that_requires_grad_and_shares_memory():
    a = np.ones((2, 3), dtype=np.float32)
    p = Parameter(a)
    assert isinstance(p, Tensor) and p.requires_grad and p.is_leaf
    assert np.shares_memory(p.data, a)
    assert not Parameter(a, requires_grad=False).requires_grad
    assert (
        repr(Parameter(Tensor([1.0, 2.0]))) == "Parameter containing:\nTensor([1., 2.], requires_grad=True)"
    )
    with pytest.raises(TypeError, match="only floating-point"):
        Parameter(np.arange(3))
    layer = Linear(2, 3)  # layers hold Parameters
    assert isinstance(layer.weight, Parameter) and isinstance(layer.bias, Parameter)


def test_parameters_are_registered_in_order_with_pytorch_names():
    tc.manual_seed(0)
    model = TwoLayer()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["fc1.weight", "fc1.bias", "block.2.weight", "block.2.bias"]
    assert [p.shape for p in model.parameters()] == [(4, 3), (4,), (2, 4), (2,)]
    assert all(isinstance(p, Parameter) for p in model.parameters())
    assert [name for name, _ in model.named_children()] == ["fc1", "block"]
    assert [type(m).__name__ for m in model.children()] == ["Linear", "Sequential"]
    assert [name for name, _ in model.named_modules()] == [
        "",
        "fc1",
        "block",
        "block.0",
        "block.1",
        "block.2",
    ]
    assert [name for name, _ in model.named_buffers()] == ["steps"]


def test_a_shared_layer_is_counted_once():
    shared = Linear(2, 2)
    model = Sequential(shared, ReLU(), shared)
    assert len(list(model.parameters())) == 2
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]


def test_reassigning_and_deleting_attributes_updates_the_registry():
    model = TwoLayer()
    model.fc1 = ReLU()  # a module replaced by a parameter-free one
    assert [n for n, _ in model.named_parameters()] == ["block.2.weight", "block.2.bias"]
    del model.block
    assert list(model.parameters()) == []
    model.extra = Parameter(np.zeros(3, dtype=np.float32))
    assert [n for n, _ in model.named_parameters()] == ["extra"]


def test_assigning_before_super_init_is_a_clear_error():
    class Broken(Module):
        def __init__(self) -> None:
            self.fc = Linear(2, 2)

    with pytest.raises(AttributeError, match=r"Broken: call super\(\).__init__\(\)"):
        Broken()


def test_forward_must_be_defined_and_call_runs_it():
    with pytest.raises(NotImplementedError, match="Module must define forward"):
        Module()(Tensor([1.0]))
    model = TwoLayer().eval()
    assert model(tc.randn(5, 3)).shape == (5, 2)


def test_train_and_eval_reach_every_descendant():
    model = TwoLayer()
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model.block.eval()  # a sub-tree alone
    assert model.training and model.fc1.training and not model.block[1].training


def test_zero_grad_clears_or_zeroes_every_gradient():
    model = TwoLayer()
    for p in model.parameters():
        p.grad = Tensor(np.ones(p.shape, dtype=np.float32))
    model.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.data.any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_requires_grad_toggles_every_parameter():
    model = TwoLayer().requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_state_dict_round_trip_restores_every_value():
    tc.manual_seed(1)
    source = TwoLayer()
    source.steps.data[...] = 7
    state = source.state_dict()
    assert list(state) == ["fc1.weight", "fc1.bias", "block.2.weight", "block.2.bias", "steps"]
    assert all(isinstance(v, np.ndarray) for v in state.values())
    state["fc1.bias"][...] = 99  # a copy: the model is unaffected
    assert not np.any(source.fc1.bias.data == 99)

    target = TwoLayer()  # different random weights
    weight_before = target.fc1.weight.data
    target.load_state_dict(source.state_dict())
    for (name, a), (_, b) in zip(source.state_dict().items(), target.state_dict().items(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert target.fc1.weight.data is weight_before  # loaded in place: optimizers keep their tensors
    assert target.fc1.weight._version == 1  # and recorded as changed: graphs that saved it are stale
    x = tc.randn(4, 3)
    np.testing.assert_array_equal(source.eval()(x).data, target.eval()(x).data)


def test_load_state_dict_accepts_tensors_and_checks_keys_and_shapes():
    model = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
    state = {k: Tensor(np.full(v.shape, 0.5, dtype=np.float32)) for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    assert np.all(model[0].weight.data == 0.5)

    with pytest.raises(KeyError, match=r"missing keys \['2.bias'\], unexpected keys \['2.b'\]"):
        model.load_state_dict({**{k: v for k, v in state.items() if k != "2.bias"}, "2.b": np.zeros(1)})
    bad = dict(state, **{"0.weight": np.zeros((2, 3))})
    with pytest.raises(ValueError, match=r"'0.weight' has shape \(2, 3\) in the state dict but \(3, 2\)"):
        model.load_state_dict(bad)
    assert np.all(model[0].weight.data == 0.5)  # nothing changed by a failed load

    model.load_state_dict({"0.bias": np.ones(3)}, strict=False)
    np.testing.assert_array_equal(model[0].bias.data, [1, 1, 1])


@pytest.mark.parametrize(
    "bad",
    [None, [0.0, None, 0.0], np.array([0.0, None, 0.0], dtype=object), [1.0, 2.0, 3.0], "abc"],
    ids=["None", "list-with-None", "object-array", "list", "str"],
)
def test_load_state_dict_refuses_a_value_that_is_not_an_array_naming_the_key(bad):
    """A None inside the state once became NaN in the bias ([0, nan, 0]) without a word."""
    model = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
    before = model.state_dict()
    with pytest.raises(TypeError, match=r"load_state_dict into Sequential: '0\.bias' .*expected an array"):
        model.load_state_dict({**before, "0.bias": bad})
    with pytest.raises(TypeError, match=r"'0\.bias'"):
        model.load_state_dict({"0.bias": bad}, strict=False)
    for name, value in before.items():  # nothing changed
        np.testing.assert_array_equal(model.state_dict()[name], value, err_msg=name)


def test_repr_is_an_indented_tree_like_pytorch():
    model = TwoLayer()
    assert repr(model) == (
        "TwoLayer(\n"
        "  (fc1): Linear(in_features=3, out_features=4, bias=True)\n"
        "  (block): Sequential(\n"
        "    (0): ReLU()\n"
        "    (1): Dropout(p=0.5)\n"
        "    (2): Linear(in_features=4, out_features=2, bias=True)\n"
        "  )\n"
        ")"
    )


def test_repr_puts_extra_repr_on_its_own_line_when_there_are_children():
    class Scaled(Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = Linear(2, 2)

        def extra_repr(self) -> str:
            return "scale=2"

    assert (
        repr(Scaled()) == "Scaled(\n  scale=2\n  (inner): Linear(in_features=2, out_features=2, bias=True)\n)"
    )


def test_eval_mode_turns_dropout_off_and_restores_every_submodules_mode():
    from tinytorch.nn import eval_mode

    tc.manual_seed(0)
    drop, inner = Dropout(0.5), Dropout(0.5)
    model = Sequential(drop, Sequential(inner))
    inner.eval()  # a submodule in eval mode stays so afterwards
    x = tc.ones(1000)
    with eval_mode(model) as same:
        assert same is model and not any(m.training for m in model.modules())
        assert model(x) is x  # the identity: dropout is off
    assert drop.training and model.training and not inner.training
    with pytest.raises(KeyError), eval_mode(model):
        raise KeyError("the block fails")
    assert drop.training and not inner.training  # restored on the way out of an error
    dropped = drop(x).data  # training again: about half are zeroed, the rest scaled by 2
    assert set(np.unique(dropped)) == {0.0, 2.0} and 400 < (dropped == 0).sum() < 600


class _TorchLike:
    """What load_state_dict and as_array see of a torch tensor: .detach().numpy()."""

    def __init__(self, array: np.ndarray) -> None:
        self.array = array

    def detach(self) -> "_TorchLike":
        return self

    def numpy(self) -> np.ndarray:
        return self.array


def test_as_array_reads_tensors_torch_tensors_and_arrays_and_load_state_dict_uses_it():
    from tinytorch.nn.module import as_array

    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert as_array(Tensor(w)) is not None and np.shares_memory(as_array(Tensor(w)), Tensor(w).data)
    np.testing.assert_array_equal(as_array(_TorchLike(w)), w)
    np.testing.assert_array_equal(as_array([[1, 2]]), [[1, 2]])
    layer = Linear(3, 2)
    layer.load_state_dict({"weight": _TorchLike(w), "bias": _TorchLike(np.ones(2, np.float32))})
    np.testing.assert_array_equal(layer(tc.ones(1, 3)).data, [[4.0, 13.0]])
