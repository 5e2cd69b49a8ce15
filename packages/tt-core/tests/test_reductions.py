"""The given reductions (issue 15): std, any/all, argmin, logsumexp, norm; PyTorch's
dim=/keepdim= names for every reduction; var/std with no degrees of freedom left.

Forward values, dtypes, edge shapes and errors (module 02), gradients (module 05).
"""

import math
import warnings

import numpy as np
import pytest

import tinytorch.core as tt
from tinytorch.core import ArgumentError, DimensionError, DTypeError, ShapeError, Tensor

RNG = np.random.default_rng(11)
M = np.array([[3.0, 1.0, 4.0], [1.0, -5.0, 9.0]])


def f64(*shape: int) -> Tensor:
    return Tensor(RNG.standard_normal(shape), requires_grad=True)


# ------------------------------------------------------------------- forward


@pytest.mark.module02
def test_std_values_and_correction():
    x = Tensor([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(x.std().item(), math.sqrt(5 / 3), rtol=1e-6)  # unbiased default
    np.testing.assert_allclose(x.std(correction=0).item(), math.sqrt(1.25), rtol=1e-6)
    np.testing.assert_allclose(x.std(unbiased=False).item(), math.sqrt(1.25), rtol=1e-6)
    assert x.std().dtype == tt.float32
    t = Tensor(M)
    np.testing.assert_allclose(t.std(1).data, M.std(1, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(t.std(dim=0, keepdim=True).data, M.std(0, ddof=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(t.std(axis=(0, 1)).item(), M.std(ddof=1), rtol=1e-12)
    assert t.std(-1, keepdims=True).shape == (2, 1)
    assert Tensor(np.full((2, 3), 0.1)).std(1).tolist() == [0.0, 0.0]  # exactly 0, not ~1e-17


@pytest.mark.module02
def test_var_and_std_with_no_degrees_of_freedom_warn_and_give_inf_or_nan():
    # inputs built outside pytest.warns: a missing module shows as its NotImplementedError
    pair, column, empty, wide_empty, spread = (
        Tensor([1.0, 2.0]),
        Tensor([[1.0], [2.0]]),
        Tensor(np.ones(0)),
        Tensor(np.ones((3, 0))),
        Tensor([1.0, 3.0]),
    )
    with pytest.warns(UserWarning, match=r"var\(\): degrees of freedom is <= 0: 2 element\(s\)"):
        out = pair.var(correction=2)
    assert out.item() == np.inf  # 0.5 / 0
    with pytest.warns(UserWarning, match=r"std\(\): degrees of freedom is <= 0: 1 element\(s\)"):
        out = column.std(dim=1)
    assert out.shape == (2,) and np.all(np.isnan(out.data))  # 0 / 0
    with pytest.warns(UserWarning, match=r"var\(\): degrees of freedom"):
        out = empty.var()
    assert np.isnan(out.item())
    with pytest.warns(UserWarning, match=r"std\(\): degrees of freedom"):
        out = wide_empty.std(1)
    assert out.shape == (3,)
    with pytest.warns(UserWarning, match=r"std\(\): degrees of freedom"):
        out = spread.std(correction=3)
    assert out.item() == np.inf


@pytest.mark.module02
@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_warning_names_the_count_and_the_correction(op):
    one, two, spread = Tensor([3.0]), Tensor([1.0, 2.0]), Tensor([1.0, 3.0])  # outside pytest.warns
    with pytest.warns(
        UserWarning, match=rf"{op}\(\): degrees of freedom is <= 0: 1 element\(s\).*correction=1"
    ):
        out = getattr(one, op)()
    assert math.isnan(out.item())
    with pytest.warns(UserWarning, match="correction=2"):
        out = getattr(two, op)(correction=2)
    assert out.item() == math.inf
    with warnings.catch_warnings():  # degrees of freedom left: no warning
        warnings.simplefilter("error")
        assert getattr(spread, op)().item() == pytest.approx(2.0 if op == "var" else math.sqrt(2))


@pytest.mark.module02
def test_any_and_all():
    t = Tensor(np.array([[1, 0, 2], [0, 0, 0]]))
    assert t.any().item() is True and t.all().item() is False
    assert t.any(1).tolist() == [True, False]
    assert t.all(dim=0, keepdim=True).tolist() == [[False, False, False]]
    assert Tensor([0.5, -1.0]).all().item() is True
    assert Tensor(np.array([True, False])).any(0).dtype == tt.bool_
    assert Tensor(np.ones(0)).any().item() is False and Tensor(np.ones(0)).all().item() is True
    assert Tensor(np.ones((2, 0))).any(1).tolist() == [False, False]
    x = Tensor([1.0], requires_grad=True)
    assert x.any().grad_fn is None


@pytest.mark.module02
def test_argmin():
    t = Tensor(M)
    assert t.argmin().item() == 4 and t.argmin().dtype == tt.int64
    assert t.argmin(1).tolist() == [1, 1]
    assert t.argmin(dim=0, keepdim=True).tolist() == [[1, 1, 0]]
    assert Tensor([2.0, 1.0, 1.0]).argmin().item() == 1  # the first on ties
    assert Tensor(np.ones((0, 3))).argmin(1).shape == (0,)
    assert Tensor(5.0).argmin().item() == 0


@pytest.mark.module02
def test_logsumexp():
    np.testing.assert_allclose(Tensor([0.0, 0.0]).logsumexp().item(), math.log(2), rtol=1e-6)
    big = Tensor([1000.0, 1000.0])  # exp overflows: computed as max + log(sum(exp(x - max)))
    np.testing.assert_allclose(big.logsumexp().item(), 1000 + math.log(2), rtol=1e-6)
    t = Tensor(M)
    np.testing.assert_allclose(t.logsumexp(1).data, np.log(np.exp(M).sum(1)), rtol=1e-12)
    assert t.logsumexp(dim=0, keepdim=True).shape == (1, 3)
    assert Tensor([-np.inf, -np.inf]).logsumexp().item() == -np.inf
    assert Tensor(np.ones(0)).logsumexp().item() == -np.inf
    ints = Tensor(np.array([1, 2]))
    assert ints.logsumexp().dtype == tt.float32
    np.testing.assert_allclose(ints.logsumexp().item(), np.log(np.e + np.e**2), rtol=1e-6)


@pytest.mark.module02
def test_norm_values():
    v = Tensor(np.array([3.0, -4.0, 0.0]))
    assert v.norm().item() == 5.0  # "fro", the default: the 2-norm of all elements
    assert v.norm(2).item() == 5.0 and v.norm(1).item() == 7.0
    assert v.norm(float("inf")).item() == 4.0 and v.norm(-float("inf")).item() == 0.0
    assert v.norm(0).item() == 2.0  # the number of nonzeros
    np.testing.assert_allclose(v.norm(3).item(), (27 + 64) ** (1 / 3), rtol=1e-12)
    t = Tensor(M)
    np.testing.assert_allclose(t.norm(dim=1).data, np.sqrt((M**2).sum(1)), rtol=1e-12)
    np.testing.assert_allclose(t.norm(1, dim=0, keepdim=True).data, [[4, 6, 13]])
    np.testing.assert_allclose(t.norm("fro", (0, 1)).item(), np.sqrt((M**2).sum()), rtol=1e-12)
    assert Tensor(np.ones((2, 3, 4))).norm().item() == pytest.approx(math.sqrt(24))
    assert Tensor(np.ones(0)).norm().item() == 0.0 and Tensor(np.ones(0)).norm(1).item() == 0.0
    assert Tensor(np.ones((0, 3))).norm(float("inf"), dim=1).shape == (0,)
    assert Tensor([3.0, 4.0]).norm().dtype == tt.float32


@pytest.mark.module02
def test_dim_and_keepdim_aliases_for_every_reduction():
    t = Tensor(M)
    for name in ("sum", "mean", "max", "min", "var", "std", "logsumexp", "norm"):
        by_torch_names = getattr(t, name)(dim=1, keepdim=True)
        by_numpy_names = getattr(t, name)(axis=1, keepdims=True)
        assert by_torch_names.shape == (2, 1), name
        np.testing.assert_array_equal(by_torch_names.data, by_numpy_names.data)
    assert t.argmax(dim=1).tolist() == [2, 2]
    np.testing.assert_allclose(t.var(dim=1, unbiased=False).data, M.var(1), rtol=1e-12)
    assert t.sum(dim=(0, 1)).item() == M.sum()
    values = t.max(dim=1)  # values only (PyTorch: a (values, indices) pair)
    assert isinstance(values, Tensor) and values.tolist() == [4, 9]


# -------------------------------------------------------------------- errors


@pytest.mark.module02
def test_reduction_errors_name_the_op():
    t = Tensor(M)
    with pytest.raises(ArgumentError, match=r"sum: got both axis=0 and dim=1; give one of them"):
        t.sum(0, dim=1)
    with pytest.raises(ArgumentError, match=r"std: got both keepdims and keepdim"):
        t.std(keepdims=True, keepdim=True)
    with pytest.raises(ArgumentError, match=r"mean: got both keepdims and keepdim"):
        t.mean(keepdims=True, keepdim=True)
    with pytest.raises(DTypeError, match=r"std: expected a floating-point tensor, got int64"):
        Tensor(np.array([1, 2])).std()
    with pytest.raises(DTypeError, match=r"std: expected a floating-point tensor, got bool"):
        (tt.arange(3) > 0).std()
    with pytest.raises(  # PyTorch raises too; the message says how to get a mean
        DTypeError, match=r"mean: expected a floating-point tensor, got int64.*x.float\(\).mean\(\)"
    ):
        Tensor(np.array([1, 2])).mean()
    with pytest.raises(DTypeError, match=r"norm: expected a floating-point tensor, got bool"):
        Tensor(np.array([True])).norm()
    with pytest.raises(ArgumentError, match=r"norm: unsupported p='nuc'"):
        t.norm("nuc")
    with pytest.raises(ArgumentError, match=r"norm: p='fro' is a matrix norm: dim must be one or two dims"):
        Tensor(np.ones((2, 2, 2))).norm("fro", dim=(0, 1, 2))
    with pytest.raises(ShapeError, match=r"norm: p=-inf over dim 0 of an empty tensor \(shape \(0,\)\)"):
        Tensor(np.ones(0)).norm(-float("inf"))
    with pytest.raises(ShapeError, match=r"norm: p=inf over dim 0 of an empty tensor \(shape \(0, 3\)\)"):
        Tensor(np.ones((0, 3))).norm(float("inf"), dim=0)
    with pytest.raises(
        DimensionError, match=r"logsumexp: axis 2 is out of range for a tensor of shape \(2, 3\)"
    ):
        t.logsumexp(2)
    with pytest.raises(DimensionError, match=r"std: axis -3 is out of range"):
        t.std(dim=-3)
    with pytest.raises(DimensionError, match=r"argmin: axis 0 of shape \(0, 3\) is empty"):
        Tensor(np.ones((0, 3))).argmin(0)
    with pytest.raises(DimensionError, match=r"argmin: empty tensor of shape \(0, 3\) has no argmin"):
        Tensor(np.ones((0, 3))).argmin()
    with pytest.raises(DimensionError, match=r"any: axis 1 is out of range"):
        Tensor([1.0]).any(1)


# ----------------------------------------------------------------- gradients


@pytest.mark.module05
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"dim": 1}, {"dim": (0, 2), "keepdim": True}, {"dim": -1, "correction": 0}, {"correction": 2}],
)
def test_std_gradcheck(kwargs):
    assert tt.gradcheck(lambda a: a.std(**kwargs), f64(3, 4, 5))


@pytest.mark.module05
def test_std_gradient_of_a_constant_slice_is_zero():
    x = Tensor(np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]]), requires_grad=True)
    x.std(1).sum().backward()
    np.testing.assert_array_equal(x.grad.data[0], [0, 0, 0])
    assert np.all(np.isfinite(x.grad.data[1])) and x.grad.data[1].any()


@pytest.mark.module05
@pytest.mark.parametrize("kwargs", [{}, {"dim": 0}, {"dim": (1, 2), "keepdim": True}, {"dim": -1}])
def test_logsumexp_gradcheck(kwargs):
    assert tt.gradcheck(lambda a: a.logsumexp(**kwargs), f64(2, 3, 4))
    assert tt.gradcheck(lambda a: (a * 300).logsumexp(**kwargs), f64(2, 3, 4))  # exp would overflow


@pytest.mark.module05
def test_logsumexp_gradient_is_softmax():
    x = Tensor(RNG.uniform(-50, 50, (2, 5)), requires_grad=True)
    x.logsumexp(dim=1).sum().backward()
    e = np.exp(x.data - x.data.max(axis=1, keepdims=True))
    np.testing.assert_allclose(x.grad.data, e / e.sum(axis=1, keepdims=True), rtol=1e-12)


@pytest.mark.module05
@pytest.mark.parametrize(
    ("p", "kwargs"),
    [
        ("fro", {}),
        (2, {"dim": 1}),
        (1, {"dim": (0, 2)}),
        (3, {"dim": -1, "keepdim": True}),
        (0.5, {}),
        (float("inf"), {"dim": 1}),
        (-float("inf"), {}),
        ("fro", {"dim": (0, 1)}),
    ],
)
def test_norm_gradcheck(p, kwargs):
    assert tt.gradcheck(lambda a: a.norm(p, **kwargs), f64(2, 3, 4))


@pytest.mark.module05
def test_norm_gradient_at_zero_is_zero_and_p0_has_none():
    for fn in (lambda t: t.norm(dim=1), lambda t: t.norm(), lambda t: t.norm(1), lambda t: t.norm(3, dim=0)):
        x = Tensor(np.zeros((2, 3)), requires_grad=True)
        fn(x).sum().backward()
        np.testing.assert_array_equal(x.grad.data, np.zeros((2, 3)))
    y = Tensor(np.array([1.0, -2.0, 0.0]), requires_grad=True)
    y.norm(0).backward()
    np.testing.assert_array_equal(y.grad.data, np.zeros(3))
    z = Tensor(np.array([3.0, -3.0, 1.0]), requires_grad=True)  # a tie for max |z|: split
    z.norm(float("inf")).backward()
    np.testing.assert_allclose(z.grad.data, [0.5, -0.5, 0.0])


@pytest.mark.module02
def test_logsumexp_and_norm_functions():
    x = Tensor([[3.0, -4.0], [0.0, 1.0]])
    assert tt.norm(x).item() == pytest.approx(math.sqrt(26))
    assert tt.norm(x, 1, dim=1).tolist() == [7.0, 1.0]
    assert tt.norm(x, p=math.inf, dim=0, keepdim=True).tolist() == [[3.0, 4.0]]
    np.testing.assert_allclose(tt.logsumexp(x, 1).data, np.log(np.exp(x.data).sum(1)), rtol=1e-6)
    assert tt.logsumexp(x, dim=0, keepdim=True).shape == (1, 2)
    with pytest.raises(ArgumentError, match="logsumexp: got both axis=0 and dim=1"):
        tt.logsumexp(x, 0, dim=1)
