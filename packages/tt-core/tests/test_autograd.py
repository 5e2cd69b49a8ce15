"""Module 05: the backward engine — accumulation, graph lifetime, grad modes, errors."""

import gc
from typing import ClassVar

import numpy as np
import pytest

import tinytorch.core as tt
from tinytorch.core import Tensor, graph_nbytes, no_grad, unbroadcast
from tinytorch.core.autograd import Context

pytestmark = pytest.mark.module05


def test_repr_shows_grad_fn():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert repr(x * 2) == "Tensor([2., 4.], grad_fn=<MulBackward>)"
    assert repr((x * 2).sum()) == "Tensor(6., grad_fn=<SumBackward>)"


def test_simple_chain_rule():
    x = Tensor([2.0, -3.0], requires_grad=True)
    y = (x * x * 3 + x).sum()  # dy/dx = 6x + 1
    y.backward()
    np.testing.assert_allclose(x.grad.data, [13.0, -17.0])
    assert x.grad.dtype == tt.float32


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: 2.5**x,
        lambda x: x**2.5,
        lambda x: 3.0 / x,
        lambda x: 1.0 - x * 2.0,
        lambda x: tt.maximum(x, 1.0),
    ],
)
def test_float32_gradients_stay_float32_with_python_scalars(fn):
    x = Tensor([0.5, 1.5], requires_grad=True)
    fn(x).sum().backward()
    assert x.grad.dtype == tt.float32


def test_value_reused_in_many_places_gets_every_contribution():
    x = Tensor([1.5], requires_grad=True)
    a = x * 2  # a used by four consumers below
    y = a * a + a.exp() + (a - x) * x
    # y = 4x^2 + e^{2x} + x^2  ->  dy/dx = 10x + 2 e^{2x}
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [10 * 1.5 + 2 * np.exp(3.0)], rtol=1e-6)


def test_gradients_accumulate_across_backward_calls():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3 + 2, 3 + 4])


def test_x_plus_x_does_not_alias_the_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Tensor([1.0, 1.0], requires_grad=True)
    (x + y).sum().backward()  # the same upstream array reaches both leaves
    x.grad.data += 100
    np.testing.assert_array_equal(y.grad.data, [1.0, 1.0])


def test_leaf_grads_are_writable_even_from_broadcast_views():
    x = Tensor([[1.0, 2.0]], requires_grad=True)
    x.sum().backward()  # Sum's backward returns a read-only broadcast view
    x.grad.data *= 2
    np.testing.assert_array_equal(x.grad.data, [[2.0, 2.0]])


def test_unbroadcast_sums_leading_and_stretched_axes():
    g = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    np.testing.assert_array_equal(unbroadcast(g, (3, 1)), g.sum(axis=(0, 2)).reshape(3, 1))
    np.testing.assert_array_equal(unbroadcast(g, (4,)), g.sum(axis=(0, 1)))
    np.testing.assert_array_equal(unbroadcast(g, ()), g.sum())
    assert unbroadcast(g, (2, 3, 4)) is g


def test_broadcast_gradient_has_input_shape():
    b = Tensor(np.zeros((3, 1)), dtype="float64", requires_grad=True)
    x = Tensor(np.ones((2, 3, 4)), dtype="float64")
    (x * b).sum().backward()
    assert b.grad.shape == (3, 1)
    np.testing.assert_array_equal(b.grad.data, np.full((3, 1), 8.0))


def test_max_ties_share_the_gradient():
    x = Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad.data, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)
    y = Tensor([1.0, 1.0], requires_grad=True)
    tt.maximum(y, Tensor([1.0, 0.0])).sum().backward()
    np.testing.assert_array_equal(y.grad.data, [0.5, 1.0])


def test_index_with_repeats_scatter_adds():
    x = Tensor([10.0, 20.0, 30.0], requires_grad=True)
    x[Tensor([0, 2, 0, 0], dtype="int64")].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 0.0, 1.0])


def test_long_chain_has_no_recursion_limit():
    x = Tensor([1.0], requires_grad=True)
    y = x
    for _ in range(50_000):
        y = y + 1e-3
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [1.0])


def test_no_grad_builds_no_graph_and_enable_grad_restores():
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        y = x * 2
        with tt.enable_grad():
            z = x * 2
    assert y.grad_fn is None and not y.requires_grad
    assert z.grad_fn is not None
    assert tt.is_grad_enabled()

    @no_grad()
    def infer(t):
        return t * 3

    assert infer(x).grad_fn is None


def test_detach_and_requires_grad_():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert d.grad_fn is None and not d.requires_grad
    assert np.shares_memory(d.data, y.data)  # same values, no copy, no graph
    w = tt.ones(2).requires_grad_()
    (w * d).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [2.0, 4.0])
    assert x.grad is None  # the detached branch sent nothing back
    with pytest.raises(RuntimeError, match="non-leaf"):
        (x * 2).requires_grad_(False)


def test_second_backward_through_freed_graph_is_a_clear_error():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"a second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [4.0, 8.0])


def test_backward_on_non_scalar_needs_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    with pytest.raises(RuntimeError, match=r"single-element output, got shape \(2,\)"):
        y.backward()
    with pytest.raises(ValueError, match=r"grad has shape \(3,\) but the output has shape \(2,\)"):
        y.backward(np.ones(3))
    y.backward(Tensor([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad.data, [3.0, 30.0])


def test_backward_without_grad_is_an_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tt.ones(2).sum().backward()


def test_backward_returning_wrong_shape_is_caught():
    class Bad(tt.Function):
        @staticmethod
        def forward(ctx, a):
            return a.sum()

        @staticmethod
        def backward(ctx, grad):
            return grad  # forgot to broadcast back to the input shape

    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"gradient of shape \(\) .* leaf of shape \(2,\)"):
        Bad.apply(x).backward()


def test_arrays_must_be_saved_with_save_for_backward():
    class Sneaky(tt.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.kept = a
            return a

    with pytest.raises(TypeError, match=r"ctx\.kept = <array>: keep arrays with ctx\.save_for_backward"):
        Sneaky.apply(Tensor([1.0], requires_grad=True))


def test_graph_nbytes_counts_saved_arrays_and_drops_after_backward():
    n = 100_000
    x = Tensor(np.ones(n, dtype=np.float32), requires_grad=True)
    y = x.exp()  # saves its output: 400 kB
    z = (y * y).sum()  # Mul saves y (the same buffer): counted once
    assert graph_nbytes(z) == 4 * n
    deep = x
    for _ in range(5):
        deep = deep * 1.5  # each Mul saves its input: five buffers of n floats
    assert graph_nbytes(deep.sum()) == 5 * 4 * n
    with no_grad():
        assert graph_nbytes(x.exp().exp()) == 0
    z.backward()
    assert graph_nbytes(z) == 0


def test_graph_has_no_reference_cycles():
    gc.collect()
    gc.disable()
    try:
        x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
        y = x
        for i in range(10_000):
            y = y * 1.0001 if i % 2 else y + 0.5
        y.sum().backward()
        del y
        assert gc.collect() == 0  # everything was freed by reference counting alone
        live_nodes = [o for o in gc.get_objects() if issubclass(type(o), Context)]
        assert live_nodes == []
    finally:
        gc.enable()


def test_retained_graph_is_freed_by_reference_counting_too():
    gc.collect()
    gc.disable()
    try:
        x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
        y = (x.exp() * x).sum()
        y.backward(retain_graph=True)
        del y
        assert gc.collect() == 0
    finally:
        gc.enable()


# ------------------------------------------------- in-place changes of saved data


def test_a_saved_input_changed_in_place_before_backward_is_an_error():
    """Issue 13: x changed in place between forward and backward gave x.grad = 2 * x_new
    (the wrong answer) instead of an error, as PyTorch's version counter gives."""
    x = Tensor([0.5, 1.5], requires_grad=True)
    y = (x * x).sum()  # mul saves x
    assert x._version == 0
    x.data -= 0.5  # what optimizer.step() does to a parameter ...
    tt.increment_version(x)  # ... and how it tells autograd
    assert x._version == 1
    with pytest.raises(
        RuntimeError,
        match=r"backward through mul: .*modified by an in-place operation: input 0 of mul "
        r"\(shape \(2,\)\) is at version 1, but mul saved it at version 0.*optimizer\.step\(\)",
    ):
        y.backward()


def test_views_and_detached_tensors_share_the_version_counter():
    w = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    x = Tensor(np.ones((4, 3), dtype=np.float32), requires_grad=True)
    y = (x @ w.T).sum()  # matmul saves the transposed *view* of w, not w
    tt.increment_version(w)  # w changed: so did its view
    with pytest.raises(RuntimeError, match=r"input 1 of matmul \(shape \(3, 2\)\) is at version 1"):
        y.backward()

    z = (x[1:] * 2.0).sum() * (x * x).sum()
    tt.increment_version(x.detach()[0])  # a view of a detached copy: still x's memory
    assert x._version == 1
    with pytest.raises(RuntimeError, match=r"input 0 of mul .* version 1, but mul saved it at version 0"):
        z.backward()


def test_a_saved_output_changed_in_place_is_an_error():
    x = Tensor([0.0, 1.0], requires_grad=True)
    y = x.exp()  # exp saves its output
    loss = (y + 1.0).sum()
    y.data[0] = 5.0
    tt.increment_version(y)
    with pytest.raises(RuntimeError, match=r"the output of exp \(shape \(2,\)\) is at version 1"):
        loss.backward()


def test_changes_to_data_no_backward_needs_are_fine():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x + 1.0).sum() + x.exp().sum()  # add saves nothing; exp saves only its output
    tt.increment_version(x)
    y.backward()
    np.testing.assert_allclose(x.grad.data, 1 + np.exp([1.0, 2.0]), rtol=1e-6)


def test_changes_between_iterations_are_fine_and_a_retained_graph_notices_them():
    x = Tensor([1.0, 2.0], requires_grad=True)
    for _ in range(3):  # forward, backward, update: the loop of every training script
        x.grad = None
        loss = (x * x).sum()
        loss.backward(retain_graph=True)
        np.testing.assert_allclose(x.grad.data, 2 * x.data)
        x.data -= 0.25 * x.grad.data
        tt.increment_version(x)
    with pytest.raises(RuntimeError, match="version 3, but mul saved it at version 2"):
        loss.backward()  # the retained graph saw x before the last update


# ------------------------------------------------------------ Pow at zero


@pytest.mark.parametrize("dtype", [tt.float32, tt.float64], ids=str)
def test_pow_gradients_at_zero_follow_pytorch(dtype):
    """d(a^b)/da is 0 where b == 0 and d(a^b)/db is 0 where a == 0 and b >= 0 (PyTorch's
    pow_backward_self / pow_backward_exponent), not 0 * inf = nan or 1 * log(0) = -inf."""
    a = Tensor([0.0, 0.0, 0.0, 0.0, 2.0], dtype=dtype, requires_grad=True)
    b = Tensor([0.0, 1.0, 2.0, 0.5, 0.0], dtype=dtype, requires_grad=True)
    (a**b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [0.0, 1.0, 0.0, np.inf, 0.0])  # 0.5 * 0^-0.5 = inf
    np.testing.assert_allclose(b.grad.data, [0.0, 0.0, 0.0, 0.0, np.log(2.0)], rtol=1e-6)

    x = Tensor([0.0, 1.0, -2.0], dtype=dtype, requires_grad=True)
    (x**0).sum().backward()  # x ** 0 == 1: gradient 0 everywhere, 0 included
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 0.0])

    for base in (0, 0.0):
        y = Tensor([0.0, 1.0, 2.5], dtype=dtype, requires_grad=True)
        (base**y).sum().backward()  # 0 ** y: constant where y >= 0
        np.testing.assert_array_equal(y.grad.data, [0.0, 0.0, 0.0])
        assert y.grad.dtype == dtype


# ----------------------------------------- leaves keep fresh gradients without a copy


class _Returns(tt.Function):
    """y = 2a + 2b whose backward returns what the test asks for, to watch what leaves keep."""

    returned: ClassVar[list] = []

    @staticmethod
    def forward(ctx, a, b, mode):
        ctx.mode = mode
        return 2 * a + 2 * b  # (*), inputs of one shape

    @staticmethod
    def backward(ctx, grad):
        if ctx.mode == "fresh":
            g = (2 * grad, 2 * grad)
        elif ctx.mode == "incoming":
            g = (grad, grad)  # the incoming gradient itself, twice
        else:
            g = (grad[::1], 2 * grad)  # a view of it, and a fresh array
        _Returns.returned[:] = g
        return g


def test_a_fresh_gradient_becomes_the_leafs_grad_without_a_copy():
    """run_node's contract with _accumulate: a gradient no one else holds is kept as is
    (copying each first gradient made the MLP step 2.2x slower); a shared one is copied."""
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    _Returns.apply(a, b, mode="fresh").backward(np.ones(2, dtype=np.float32))
    assert a.grad.data is _Returns.returned[0] and b.grad.data is _Returns.returned[1]

    for mode in ("incoming", "view"):
        a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
        upstream = np.ones(2, dtype=np.float32)
        _Returns.apply(a, b, mode=mode).backward(upstream)
        assert not np.shares_memory(a.grad.data, upstream), mode
        assert not np.shares_memory(a.grad.data, b.grad.data), mode
        a.grad.data *= 10  # e.g. gradient clipping: b's gradient and the caller's array stay
        np.testing.assert_array_equal(upstream, [1, 1])
        np.testing.assert_array_equal(b.grad.data, [1, 1] if mode == "incoming" else [2, 2])


def test_a_leaf_used_twice_accumulates_into_its_own_array():
    x = Tensor([1.0, 2.0], requires_grad=True)
    upstream = np.ones(2, dtype=np.float32)
    (x + x).backward(upstream)  # add returns the incoming gradient for both inputs
    np.testing.assert_array_equal(x.grad.data, [2, 2])
    np.testing.assert_array_equal(upstream, [1, 1])
    x.backward(upstream)  # backward on the leaf itself: its grad, not the caller's array
    np.testing.assert_array_equal(x.grad.data, [3, 3])
    np.testing.assert_array_equal(upstream, [1, 1])
