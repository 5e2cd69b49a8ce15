"""Module 10: ToTensor, Normalize, Compose: values, per-image vs per-batch, bad input."""

import numpy as np
import pytest

from tinytorch.core import Tensor
from tinytorch.vision.transforms import Compose, Normalize, ToTensor

pytestmark = pytest.mark.module10


def rng():
    return np.random.default_rng(0)


def test_to_tensor_grayscale_uint8():
    image = rng().integers(0, 256, size=(28, 28), dtype=np.uint8)
    out = ToTensor()(image)
    assert isinstance(out, Tensor) and out.shape == (1, 28, 28) and out.data.dtype == np.float32
    np.testing.assert_array_equal(out.data[0], image.astype(np.float32) / np.float32(255))
    assert ToTensor()(np.array([[0, 255]], np.uint8)).data.tolist() == [[[0.0, 1.0]]]


def test_to_tensor_moves_channels_first():
    image = rng().integers(0, 256, size=(4, 5, 3), dtype=np.uint8)
    out = ToTensor()(image)
    assert out.shape == (3, 4, 5)
    np.testing.assert_array_equal(out.data[2], image[:, :, 2] / np.float32(255))


def test_to_tensor_keeps_floats_and_passes_tensors_through():
    image = rng().random((4, 5)).astype(np.float64)
    out = ToTensor()(image)
    assert out.data.dtype == np.float32
    np.testing.assert_allclose(out.data[0], image, rtol=1e-7)
    t = Tensor(np.zeros((1, 2, 2), np.float32))
    assert ToTensor()(t) is t


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (np.zeros(5, np.uint8), ValueError, r"shape \(5,\)"),
        (np.zeros((2, 2), np.int32), TypeError, "dtype int32"),
        ([[1, 2]], TypeError, "got list"),
    ],
)
def test_to_tensor_bad_input(value, error, message):
    with pytest.raises(error, match=f"ToTensor: .*{message}"):
        ToTensor()(value)


def test_normalize_one_channel_mnist():
    x = rng().random((1, 28, 28)).astype(np.float32)
    out = Normalize((0.1307,), (0.3081,))(Tensor(x))
    assert out.shape == (1, 28, 28) and out.data.dtype == np.float32
    expected = (x - np.float32(0.1307)) / np.float32(0.3081)
    np.testing.assert_array_equal(out.data, expected)


def test_normalize_per_channel():
    x = rng().random((3, 4, 4)).astype(np.float32)
    mean, std = (0.1, 0.5, 0.9), (0.2, 0.3, 0.4)
    out = Normalize(mean, std)(Tensor(x)).data
    for c in range(3):
        np.testing.assert_allclose(out[c], (x[c] - mean[c]) / std[c], rtol=1e-6)


def test_normalize_batch_equals_each_image():
    batch = rng().random((6, 3, 5, 5)).astype(np.float32)
    normalize = Normalize((0.1, 0.5, 0.9), (0.2, 0.3, 0.4))
    out = normalize(Tensor(batch)).data
    for i in range(6):
        np.testing.assert_array_equal(out[i], normalize(Tensor(batch[i])).data)


def test_normalize_does_not_modify_its_input():
    x = Tensor(np.ones((1, 2, 2), np.float32))
    Normalize(0.5, 0.25)(x)
    assert x.data.tolist() == [[[1.0, 1.0], [1.0, 1.0]]]


def test_normalize_keeps_float64():
    out = Normalize(0.5, 0.25)(Tensor(np.ones((1, 2, 2), np.float64)))
    assert out.data.dtype == np.float64 and out.data[0, 0, 0] == 2.0


@pytest.mark.parametrize(
    ("mean", "std", "message"),
    [
        ((0.1, 0.2), (0.3,), "one number per channel"),
        ((0.1,), (0.0,), "std must be positive"),
        ((0.1,), (-1.0,), "std must be positive"),
    ],
)
def test_normalize_bad_arguments(mean, std, message):
    with pytest.raises(ValueError, match=f"Normalize: .*{message}"):
        Normalize(mean, std)


@pytest.mark.parametrize("shape", [(3, 5, 5), (2, 3, 5, 5), (28, 28)])
def test_normalize_wrong_channels(shape):
    with pytest.raises(ValueError, match=rf"Normalize: .*C = 2, got shape \({shape[0]}"):
        Normalize((0.1, 0.2), (0.3, 0.4))(Tensor(np.zeros(shape, np.float32)))


def test_normalize_refuses_integer_pixels():
    with pytest.raises(TypeError, match="use ToTensor first"):
        Normalize(0.5, 0.5)(Tensor(np.zeros((1, 2, 2), np.int64)))


def test_compose_applies_in_order_and_is_batched_when_all_are():
    pipeline = Compose([ToTensor(), Normalize(0.5, 0.5)])
    out = pipeline(np.full((2, 2), 255, np.uint8))
    assert out.shape == (1, 2, 2) and np.all(out.data == 1.0)
    assert pipeline.batched
    double = Compose([lambda t: Tensor(t.data * 2), Normalize(0.5, 0.5)])
    assert not double.batched
    assert np.all(double(Tensor(np.ones((1, 2, 2), np.float32))).data == 3.0)
    assert "Normalize(mean=[0.5], std=[0.5])" in repr(pipeline)


def test_compose_refuses_non_callables():
    with pytest.raises(TypeError, match="not callable"):
        Compose([ToTensor(), 3])
