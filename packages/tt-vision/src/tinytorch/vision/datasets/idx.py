"""The IDX file format of MNIST (module 10).

An IDX file is a header and then raw array bytes, all big-endian:

    offset 0: 0x00 0x00        two zero bytes
    offset 2: type code        0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
    offset 3: ndim             number of dimensions
    offset 4: ndim x uint32    the size of each dimension
    then:     prod(dims) items of that type, C order

So MNIST's images start with the magic number 0x00000803 (uint8, 3
dimensions: N, 28, 28) and its labels with 0x00000801 (uint8, 1 dimension:
N). `parse_idx` reads the header and views the payload as an array (the
student's part, module 10); the given `check_header` and `check_payload`
check all of it — magic, dimensions, exact length — and raise `IDXError`
naming the file, instead of returning garbage for a truncated or corrupted
file.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np

from tinytorch.train.datafiles import DataError

__all__ = ["IDX_DTYPES", "IDXError", "encode_idx", "parse_idx", "read_idx"]

#: IDX type code -> big-endian NumPy dtype.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class IDXError(DataError, ValueError):
    """A file that is not a well-formed IDX file (or not the one expected)."""


def parse_idx(
    data: bytes | bytearray | memoryview,
    *,
    name: str = "<bytes>",
    magic: int | None = None,
    shape: tuple[int | None, ...] | None = None,
) -> np.ndarray:
    """The array stored in the IDX bytes `data`, without copying them.

    `name` is used in error messages. `magic` (e.g. 0x00000803) and `shape`
    (None for "any size", e.g. (None, 28, 28)) are checked when given. The
    result has the file's dtype in native byte order (uint8 for MNIST),
    shape = the header's dimensions, and shares memory with `data` when no
    byte swap is needed (writable exactly when `data` is).

    Raises IDXError for a header that is too short, nonzero leading bytes, an
    unknown type code, an unexpected magic or shape, or a payload that is
    shorter or longer than the dimensions say.
    """
    view = memoryview(data).cast("B")
    check_header(view, name, magic)  # given: the magic number, and room for the dimensions
    ### BEGIN SOLUTION 10
    dtype, ndim = IDX_DTYPES[view[2]], view[3]  # byte 2: the type code, byte 3: the number of dims
    dims = tuple(int.from_bytes(view[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))  # uint32 each
    ### END SOLUTION
    check_payload(view, dims, dtype, name, shape)  # given: the expected shape, the exact length
    ### BEGIN SOLUTION 10
    array = np.frombuffer(view, dtype=dtype, count=math.prod(dims), offset=4 + 4 * ndim).reshape(dims)
    return array if dtype.isnative else array.astype(dtype.newbyteorder("="))  # native byte order
    ### END SOLUTION


def check_header(view: memoryview, name: str, magic: int | None) -> None:
    """IDXError unless `view` starts with an IDX magic number (`magic` if given) and all the
    dimensions it announces (bytes 4 .. 4 + 4·ndim)."""
    if len(view) < 4:
        raise IDXError(f"IDX file {name}: {len(view)} bytes, too short for the 4-byte magic number")
    found = int.from_bytes(view[:4], "big")
    if view[0] != 0 or view[1] != 0 or view[2] not in IDX_DTYPES:
        raise IDXError(
            f"IDX file {name}: magic number 0x{found:08x} is not an IDX header "
            "(expected 0x0000TTNN: two zero bytes, a type code, the number of dimensions)"
        )
    if magic is not None and found != magic:
        raise IDXError(f"IDX file {name}: magic number 0x{found:08x}, expected 0x{magic:08x}")
    ndim, header = view[3], 4 + 4 * view[3]
    if len(view) < header:
        raise IDXError(
            f"IDX file {name}: truncated header ({len(view)} bytes, {ndim} dimensions need {header})"
        )


def check_payload(
    view: memoryview, dims: tuple[int, ...], dtype: np.dtype, name: str, shape: tuple[int | None, ...] | None
) -> None:
    """IDXError unless `dims` match `shape` (None: any size) and `view` holds exactly the header
    and prod(dims) items of `dtype`."""
    if shape is not None and (
        len(shape) != len(dims)
        or any(want is not None and want != got for want, got in zip(shape, dims, strict=True))
    ):
        expected = "(" + ", ".join("N" if s is None else str(s) for s in shape) + ")"
        raise IDXError(f"IDX file {name}: dimensions {dims}, expected {expected}")
    # math.prod of Python ints: an int64 product of four uint32 dims can wrap around
    expected_bytes = 4 + 4 * len(dims) + math.prod(dims) * dtype.itemsize
    if len(view) != expected_bytes:
        problem = "truncated" if len(view) < expected_bytes else "has trailing bytes"
        raise IDXError(
            f"IDX file {name}: {problem}: {len(view)} bytes, but dimensions {dims} of "
            f"{dtype.name} need {expected_bytes}"
        )


def encode_idx(array: np.ndarray) -> bytes:
    """The IDX bytes of `array` (the inverse of `parse_idx`); dtype must be one of `IDX_DTYPES`."""
    codes = [
        c for c, d in IDX_DTYPES.items() if (d.kind, d.itemsize) == (array.dtype.kind, array.dtype.itemsize)
    ]
    if not codes:
        raise TypeError(f"encode_idx: dtype {array.dtype} has no IDX type code")
    code, dtype = codes[0], IDX_DTYPES[codes[0]]
    header = bytes([0, 0, code, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + np.ascontiguousarray(array, dtype=dtype).tobytes()


def read_idx(
    path: str | os.PathLike[str],
    *,
    magic: int | None = None,
    shape: tuple[int | None, ...] | None = None,
) -> np.ndarray:
    """Read an IDX file, gzip-compressed when its name ends in `.gz`, and `parse_idx` it.

    Raises IDXError naming the file when it is not valid gzip, is truncated,
    or is not the expected IDX array; FileNotFoundError when it is missing.
    """
    path = Path(path)
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise IDXError(
                f"IDX file {path}: not a valid gzip file (truncated or corrupted?): {err}"
            ) from None
    return parse_idx(bytearray(raw), name=str(path), magic=magic, shape=shape)
