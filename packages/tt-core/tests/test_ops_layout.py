"""pad, flip, roll, repeat, split, chunk, unflatten (given code).

Forward values, edge shapes and errors (module 02), gradients by gradcheck (module 05).
"""

import numpy as np
import pytest

import tinytorch.core as tt
from tinytorch.core import Tensor

RNG = np.random.default_rng(1)
X = np.arange(24.0).reshape(2, 3, 4)


def f64(*shape: int) -> Tensor:
    return Tensor(RNG.standard_normal(shape), requires_grad=True)


# ------------------------------------------------------------------- forward


@pytest.mark.module02
def test_pad_constant_order_value_and_cropping():
    out = tt.pad(Tensor(X), (1, 2))  # the last dim: 1 before, 2 after
    assert out.shape == (2, 3, 7)
    np.testing.assert_array_equal(out.data[..., 1:5], X)
    assert np.all(out.data[..., [0, 5, 6]] == 0)
    out = tt.pad(Tensor(X), (0, 0, 1, 0), value=-1.0)  # then the second-to-last
    assert out.shape == (2, 4, 4) and np.all(out.data[:, 0] == -1)
    np.testing.assert_array_equal(tt.pad(Tensor(X), (-1, -2)).data, X[..., 1:2])
    np.testing.assert_array_equal(tt.pad(Tensor(X), (-1, 1)).data[..., :3], X[..., 1:])
    assert tt.pad(Tensor(X), (-3, -1)).shape == (2, 3, 0)
    assert tt.pad(Tensor(X), (1, 1, 1, 1, 1, 1)).shape == (4, 5, 6)
    assert tt.pad(Tensor(3.0), ()).shape == ()
    ints = tt.pad(Tensor(np.arange(3)), (1, 0), value=7)
    assert ints.dtype == tt.int64 and ints.tolist() == [7, 0, 1, 2]
    assert tt.pad(Tensor(np.ones((2, 0))), (1, 1)).shape == (2, 2)


@pytest.mark.module02
def test_pad_modes():
    row = Tensor([[1.0, 2.0, 3.0]])
    assert tt.pad(row, (2, 2), mode="reflect").tolist() == [[3, 2, 1, 2, 3, 2, 1]]
    assert tt.pad(row, (2, 1), mode="replicate").tolist() == [[1, 1, 1, 2, 3, 3]]
    assert tt.pad(row, (3, 2), mode="circular").tolist() == [[1, 2, 3, 1, 2, 3, 1, 2]]
    assert tt.pad(row, (-1, 1), mode="reflect").tolist() == [[2, 3, 2]]
    assert tt.pad(row, (2, -1), mode="circular").tolist() == [[1, 2, 1, 2]]  # crop, then wrap
    out = tt.pad(Tensor(X), (1, 1, 2, 0), mode="reflect")
    np.testing.assert_array_equal(out.data, np.pad(X, ((0, 0), (2, 0), (1, 1)), mode="reflect"))
    out = tt.pad(Tensor(X), (3, 0, 1, 2), mode="replicate")
    np.testing.assert_array_equal(out.data, np.pad(X, ((0, 0), (1, 2), (3, 0)), mode="edge"))
    out = tt.pad(Tensor(X), (4, 1, 0, 3), mode="circular")
    np.testing.assert_array_equal(out.data, np.pad(X, ((0, 0), (0, 3), (4, 1)), mode="wrap"))


@pytest.mark.module02
def test_flip_and_roll():
    np.testing.assert_array_equal(tt.flip(Tensor(X), (0, -1)).data, X[::-1, :, ::-1])
    np.testing.assert_array_equal(Tensor(X).flip(1).data, X[:, ::-1])
    np.testing.assert_array_equal(Tensor(X).flip(0, 2).data, X[::-1, :, ::-1])
    out = Tensor(X).flip(())
    np.testing.assert_array_equal(out.data, X)
    assert not np.shares_memory(out.data, X)  # a copy, as torch.flip
    assert Tensor(2.0).flip(0).item() == 2.0
    np.testing.assert_array_equal(tt.roll(Tensor(X), 1).data, np.roll(X, 1))  # flattened
    np.testing.assert_array_equal(Tensor(X).roll(-5, -1).data, np.roll(X, -5, -1))
    np.testing.assert_array_equal(Tensor(X).roll((1, 2), (0, 2)).data, np.roll(X, (1, 2), (0, 2)))
    assert Tensor(2.0).roll(3).item() == 2.0
    assert Tensor(np.ones((0, 3))).roll(1, 0).shape == (0, 3)


@pytest.mark.module02
def test_repeat_tiles_like_torch_not_like_np_repeat():
    t = Tensor([[1.0, 2.0]])
    assert t.repeat(2, 2).tolist() == [[1, 2, 1, 2], [1, 2, 1, 2]]
    assert tt.repeat(t, 2, 1, 1).shape == (2, 1, 2)
    assert t.repeat((1, 3)).shape == (1, 6)
    assert t.repeat(0, 1).shape == (0, 2)
    assert Tensor(5.0).repeat(3).tolist() == [5, 5, 5]


@pytest.mark.module02
def test_split_and_chunk_return_views():
    t = Tensor(X)
    parts = t.split(3, -1)
    assert isinstance(parts, tuple) and [p.shape for p in parts] == [(2, 3, 3), (2, 3, 1)]
    assert all(np.shares_memory(p.data, X) for p in parts)
    np.testing.assert_array_equal(parts[1].data, X[..., 3:])
    assert [p.shape[2] for p in tt.split(t, [1, 0, 3], dim=2)] == [1, 0, 3]
    assert [p.shape[0] for p in t.split(5)] == [2]
    assert [p.shape for p in tt.split(Tensor(np.ones((0, 2))), 0)] == [(0, 2)]
    assert [p.shape[2] for p in t.chunk(3, -1)] == [2, 2]  # fewer pieces than asked
    assert [p.shape[0] for p in tt.chunk(Tensor(np.ones(5)), 4)] == [2, 2, 1]
    assert [p.shape[0] for p in tt.chunk(Tensor(np.ones(0)), 3)] == [0, 0, 0]


@pytest.mark.module02
def test_unflatten():
    t = Tensor(X)
    assert t.unflatten(-1, (2, 2)).shape == (2, 3, 2, 2)
    assert tt.unflatten(t, 2, (-1, 2)).shape == (2, 3, 2, 2)
    assert t.unflatten(1, [1, -1, 1]).shape == (2, 1, 3, 1, 4)
    np.testing.assert_array_equal(t.unflatten(0, (1, 2)).data, X[None])
    assert Tensor(np.ones((0, 2))).unflatten(0, (2, 0)).shape == (2, 0, 2)


# ----------------------------------------------------------------- gradients


@pytest.mark.module05
@pytest.mark.parametrize(
    ("pad", "mode"),
    [
        ((1, 2), "constant"),
        ((-1, 2, 1, -1), "constant"),
        ((2, 1, 1, 2), "reflect"),
        ((3, 1), "reflect"),  # an element copied several times: gradients add up
        ((-1, 2), "reflect"),
        ((4, 2, 1, 0), "replicate"),
        ((4, 3, 0, 2), "circular"),
        ((-1, 2), "circular"),
    ],
)
def test_pad_gradcheck(pad, mode):
    assert tt.gradcheck(lambda a: tt.pad(a, pad, mode=mode), f64(2, 3, 4))


@pytest.mark.module05
def test_flip_roll_repeat_gradcheck():
    x = f64(2, 3, 4)
    assert tt.gradcheck(lambda a: a.flip(0, 2), x)
    assert tt.gradcheck(lambda a: a.roll((1, -4), (1, 2)), x)
    assert tt.gradcheck(lambda a: a.roll(5), x)
    assert tt.gradcheck(lambda a: a.repeat(2, 1, 3), x)
    assert tt.gradcheck(lambda a: a.repeat(2, 1, 2, 1), x)


@pytest.mark.module05
def test_split_chunk_unflatten_gradcheck():
    x = f64(2, 5)
    assert tt.gradcheck(lambda a: tt.cat([p * (i + 1) for i, p in enumerate(a.split(2, 1))], 1), x)
    assert tt.gradcheck(lambda a: a.chunk(2)[1], x)  # only one piece used: the rest get 0
    assert tt.gradcheck(lambda a: a.split([1, 4], -1)[0] * 3, x)
    assert tt.gradcheck(lambda a: a.unflatten(0, (2, 1)), x)


# -------------------------------------------------------------------- errors


@pytest.mark.module02
@pytest.mark.parametrize(
    ("call", "err", "match"),
    [
        (lambda: tt.pad(Tensor(X), (1, 2, 3)), tt.ArgumentError, r"pad: .*\(1, 2, 3\) must have an even"),
        (lambda: tt.pad(Tensor(X), (1,) * 8), tt.ShapeError, r"pads 4 dims, but the input .*has 3"),
        (lambda: tt.pad(Tensor(X), (1, 2.0)), TypeError, r"pad: pad must be a tuple of ints"),
        (
            lambda: tt.pad(Tensor(X), (-3, -2)),
            tt.ShapeError,
            r"pad: padding \(-3, -2\) crops more than dim 2 holds \(size 4",
        ),
        (lambda: tt.pad(Tensor(X), (1, 1), mode="zeros"), tt.ArgumentError, r"pad: unknown mode 'zeros'"),
        (
            lambda: tt.pad(Tensor(X), (4, 2), mode="reflect"),
            tt.ShapeError,
            r"pad: mode 'reflect' needs padding smaller than the size of the dim: got \(4, 2\) "
            r"for dim 2 of shape \(2, 3, 4\)",
        ),
        (
            lambda: tt.pad(Tensor(X), (5, 0), mode="circular"),
            tt.ShapeError,
            r"'circular' needs padding at most",
        ),
        (
            lambda: tt.pad(Tensor(np.ones((2, 0))), (1, 0), mode="replicate"),
            tt.ShapeError,
            r"dim 1 of shape \(2, 0\): nothing to copy",
        ),
        (lambda: tt.pad(Tensor(X), (1, 1), mode="reflect", value=1.0), tt.ArgumentError, r"takes no value"),
        (lambda: tt.pad(Tensor(np.arange(3)), (1, 1), value=0.5), TypeError, r"pad: a float scalar"),
        (lambda: Tensor(X).flip(0, -3), tt.ShapeError, r"flip: dims \(0, -3\) name the same dim twice"),
        (lambda: Tensor(X).flip(3), tt.DimensionError, r"flip: dim 3 is out of range"),
        (lambda: Tensor(X).roll((1, 2), 0), tt.ArgumentError, r"roll: shifts \(1, 2\) and dims \(0,\)"),
        (lambda: Tensor(X).roll((1, 2)), tt.ArgumentError, r"roll: 2 shifts \(1, 2\) without dims"),
        (lambda: Tensor(2.0).roll(1, 0), tt.DimensionError, r"roll: dims \(0,\) given, but .* 0-d"),
        (lambda: Tensor(X).repeat(2, 2), tt.ShapeError, r"repeat: 2 sizes \(2, 2\) .*\(2, 3, 4\)"),
        (lambda: Tensor(X).repeat(-1, 1, 1), tt.ShapeError, r"repeat: negative dimension -1"),
        (lambda: Tensor(X).repeat(), TypeError, r"repeat: missing the repeat sizes"),
        (lambda: Tensor(X).split(0, -1), tt.ArgumentError, r"split: split_size must be positive .*got 0"),
        (lambda: Tensor(X).split(-1), tt.ArgumentError, r"split: split_size must be positive"),
        (lambda: Tensor(X).split([1, 2], -1), tt.ShapeError, r"split: section sizes \[1, 2\] add up to 3"),
        (lambda: Tensor(X).split([-1, 5], -1), tt.ArgumentError, r"split: section sizes must be non-neg"),
        (lambda: Tensor(2.0).split(1), tt.ShapeError, r"split: expects a tensor with at least 1 dim"),
        (lambda: Tensor(X).split(1, 3), tt.DimensionError, r"split: dim 3 is out of range"),
        (lambda: Tensor(X).chunk(0), tt.ArgumentError, r"chunk: chunks must be a positive int, got 0"),
        (lambda: Tensor(2.0).chunk(1), tt.ShapeError, r"chunk: expects a tensor with at least 1 dim"),
        (lambda: Tensor(X).unflatten(-1, (3, 2)), tt.ShapeError, r"unflatten: sizes \(3, 2\) don't multiply"),
        (lambda: Tensor(X).unflatten(-1, ()), tt.ShapeError, r"unflatten: sizes must be non-empty"),
        (lambda: Tensor(X).unflatten(1, (-1, -1)), tt.ShapeError, r"unflatten: only one size can be -1"),
        (lambda: Tensor(2.0).unflatten(0, (1,)), tt.DimensionError, r"unflatten: the input is a 0-d"),
        (lambda: Tensor(np.ones((0, 2))).unflatten(0, (-1, 0)), tt.ShapeError, r"-1 cannot be inferred"),
    ],
)
def test_errors_name_the_op_and_values(call, err, match):
    with pytest.raises(err, match=match):
        call()
