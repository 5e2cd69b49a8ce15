"""Module 10: the IDX parser checks magic numbers, dimensions and lengths, and names the file."""

import gzip
import math
import re

import numpy as np
import pytest

from tinytorch.train.datafiles import DataError
from tinytorch.vision.datasets import IDXError, encode_idx, parse_idx, read_idx

pytestmark = pytest.mark.module10

IMAGES, LABELS = 0x00000803, 0x00000801


def images(n=5, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)


def test_encode_idx_writes_the_documented_header():
    raw = encode_idx(images(3))
    assert raw[:4] == bytes([0, 0, 0x08, 3])
    assert raw[4:16] == (3).to_bytes(4, "big") + (28).to_bytes(4, "big") + (28).to_bytes(4, "big")
    assert len(raw) == 16 + 3 * 28 * 28


def test_parse_valid_images_and_labels():
    x = images()
    parsed = parse_idx(encode_idx(x), magic=IMAGES, shape=(None, 28, 28))
    assert parsed.dtype == np.uint8 and parsed.shape == (5, 28, 28)
    np.testing.assert_array_equal(parsed, x)
    y = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    np.testing.assert_array_equal(parse_idx(encode_idx(y), magic=LABELS, shape=(None,)), y)


def test_parse_does_not_copy_and_keeps_writability():
    raw = bytearray(encode_idx(images()))
    parsed = parse_idx(raw)
    assert parsed.flags.writeable
    raw[16] = 255 - raw[16]
    assert parsed[0, 0, 0] == raw[16]  # a view of the bytes
    assert not parse_idx(bytes(raw)).flags.writeable


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_every_idx_type_round_trips_in_native_byte_order(dtype):
    x = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    parsed = parse_idx(encode_idx(x))
    assert parsed.dtype == np.dtype(dtype) and parsed.dtype.isnative
    np.testing.assert_array_equal(parsed, x)


def test_wrong_magic_is_named():
    with pytest.raises(IDXError, match=r"labels\.idx: magic number 0x00000803, expected 0x00000801"):
        parse_idx(encode_idx(images()), name="labels.idx", magic=LABELS)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"\x01\x00\x08\x01" + bytes(8), "0x01000801 is not an IDX header"),  # nonzero leading byte
        (b"\x00\x00\x07\x01" + bytes(8), "0x00000701 is not an IDX header"),  # unknown type code
        (b"PK\x03\x04" + bytes(8), "0x504b0304 is not an IDX header"),  # a zip file
        (b"\x00\x00", "2 bytes, too short"),
    ],
)
def test_not_an_idx_header(raw, problem):
    with pytest.raises(IDXError, match=f"IDX file f: .*{problem}"):
        parse_idx(raw, name="f")


def test_truncated_header():
    with pytest.raises(IDXError, match=r"truncated header .*3 dimensions need 16"):
        parse_idx(encode_idx(images())[:10], name="f")


def test_truncated_payload():
    raw = encode_idx(images())
    with pytest.raises(IDXError, match=rf"f: truncated: {len(raw) - 1} bytes.*need {len(raw)}"):
        parse_idx(raw[:-1], name="f")


@pytest.mark.parametrize(
    "dims",
    [
        (2**32 - 1, 2**32 - 1),  # 2^64 - 2^33 + 1 items: an int64 product wraps to a negative size
        (2**16, 2**16, 2**16, 2**16),  # 2^64 items: an int64 product wraps to 0, "matching" a bare header
    ],
)
def test_header_whose_size_overflows_int64_is_named_not_wrapped(tmp_path, dims):
    """Sizes are Python ints: the error names the file, the dimensions, the true size the header
    claims (never a wrapped one) and the size present; no reshape error from NumPy."""
    header = bytes([0, 0, 0x08, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)
    claimed = len(header) + math.prod(dims)
    assert claimed > 2**63  # beyond int64
    path = tmp_path / "huge.idx"
    path.write_bytes(header)
    expected = (
        rf"IDX file {re.escape(str(path))}: truncated: {len(header)} bytes, "
        rf"but dimensions {re.escape(str(dims))} of uint8 need {claimed}$"
    )
    with pytest.raises(IDXError, match=expected):
        read_idx(path)
    with pytest.raises(
        IDXError, match=rf"IDX file f: truncated: {len(header) + 7} bytes, .* need {claimed}$"
    ):
        parse_idx(header + bytes(7), name="f")


def test_trailing_bytes():
    with pytest.raises(IDXError, match="trailing bytes"):
        parse_idx(encode_idx(images()) + b"\x00", name="f")


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros((5, 28, 27), np.uint8), r"dimensions \(5, 28, 27\), expected \(N, 28, 28\)"),
        (np.zeros((5, 784), np.uint8), r"dimensions \(5, 784\), expected \(N, 28, 28\)"),
    ],
)
def test_wrong_dimensions(array, message):
    with pytest.raises(IDXError, match=message):
        parse_idx(encode_idx(array), name="f", shape=(None, 28, 28))


def test_idx_error_is_a_data_error_and_a_value_error():
    with pytest.raises(DataError, match="too short"):
        parse_idx(b"")
    with pytest.raises(ValueError, match="too short"):
        parse_idx(b"")


def test_read_idx_gzip_and_plain(tmp_path):
    x = images()
    (tmp_path / "a.idx").write_bytes(encode_idx(x))
    (tmp_path / "a.idx.gz").write_bytes(gzip.compress(encode_idx(x)))
    np.testing.assert_array_equal(read_idx(tmp_path / "a.idx", magic=IMAGES), x)
    np.testing.assert_array_equal(read_idx(tmp_path / "a.idx.gz", magic=IMAGES), x)


def test_read_idx_bad_gzip_names_the_file(tmp_path):
    path = tmp_path / "bad.gz"
    path.write_bytes(b"this is not gzip at all")
    with pytest.raises(IDXError, match=rf"{path}: not a valid gzip file"):
        read_idx(path)


def test_read_idx_truncated_gzip_names_the_file(tmp_path):
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(encode_idx(images()))[:-100])
    with pytest.raises(IDXError, match=rf"{path}: not a valid gzip file"):
        read_idx(path)


def test_read_idx_valid_gzip_of_truncated_idx_names_the_file(tmp_path):
    path = tmp_path / "short.gz"
    path.write_bytes(gzip.compress(encode_idx(images())[:-5]))
    with pytest.raises(IDXError, match=rf"{path}: truncated"):
        read_idx(path, magic=IMAGES)


def test_encode_idx_refuses_other_dtypes():
    with pytest.raises(TypeError, match="no IDX type code"):
        encode_idx(np.zeros(3, np.uint16))
