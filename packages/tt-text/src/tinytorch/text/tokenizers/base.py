"""What every tokenizer shares: the `Tokenizer` protocol, id checks and the JSON file format.

A tokenizer file is one JSON document:

    {"format": "tinytorch.text.tokenizer", "version": 1, "type": "char" | "bpe",
     "sha256": "<hex digest of the canonical JSON of `tokenizer`>",
     "tokenizer": {...the type's own fields...}}

It is written atomically (a temporary file beside the target, fsync, rename),
so a crash leaves the old file or the new one, never half of one; reading
checks the format, the type and the checksum before anything is built, so a
truncated or hand-edited file is refused with a message naming the file.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from tinytorch.train.checkpoint import atomic_write

FORMAT = "tinytorch.text.tokenizer"
VERSION = 1
PathLike = str | os.PathLike[str]


class TokenizerFileError(ValueError):
    """A tokenizer file that is not one, is damaged, or holds another kind of tokenizer."""


@runtime_checkable
class Tokenizer(Protocol):
    """What the model side (TinyGPT.generate, the Shakespeare data) needs from a tokenizer."""

    @property
    def vocab_size(self) -> int: ...

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: Iterable[int] | np.ndarray) -> str: ...

    def save(self, path: PathLike) -> Path: ...


def check_ids(owner: str, ids: Iterable[int] | np.ndarray, vocab_size: int) -> list[int]:
    """`ids` as a list of Python ints, each in [0, vocab_size); otherwise a ValueError/TypeError
    naming `owner` (e.g. "CharTokenizer.decode"), the bad id and its position."""
    if isinstance(ids, np.ndarray) or (hasattr(ids, "__array__") and not isinstance(ids, list | tuple)):
        array = np.asarray(ids)
        if array.ndim != 1:
            raise ValueError(f"{owner}: expected a 1-D sequence of token ids, got shape {array.shape}")
        if array.size and array.dtype.kind not in "iu":
            raise TypeError(f"{owner}: token ids must be integers, got an array of dtype {array.dtype}")
        bad = np.flatnonzero((array < 0) | (array >= vocab_size))
        if bad.size:
            position = int(bad[0])
            raise ValueError(
                f"{owner}: id {int(array[position])} at position {position} is out of range; "
                f"expected 0 <= id < {vocab_size}"
            )
        return list(array.tolist())
    checked = list(ids)
    for position, token in enumerate(checked):
        if isinstance(token, bool) or not isinstance(token, int | np.integer):
            raise TypeError(
                f"{owner}: token ids must be integers, got {token!r} ({type(token).__name__}) "
                f"at position {position}"
            )
        if not 0 <= token < vocab_size:
            raise ValueError(
                f"{owner}: id {token} at position {position} is out of range; expected 0 <= id < {vocab_size}"
            )
    return [int(token) for token in checked]


def payload_digest(payload: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of `payload` (sorted keys, no spaces, ASCII)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def write_tokenizer_file(path: PathLike, kind: str, payload: dict[str, Any]) -> Path:
    """Write `payload` as a tokenizer file of type `kind`, atomically. Returns the path."""
    document = {
        "format": FORMAT,
        "version": VERSION,
        "type": kind,
        "sha256": payload_digest(payload),
        "tokenizer": payload,
    }
    text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    return atomic_write(path, write)


def read_tokenizer_file(path: PathLike, kind: str | None = None) -> tuple[str, dict[str, Any]]:
    """Read and verify a tokenizer file; returns (type, payload).

    Raises TokenizerFileError if the file is not valid UTF-8 JSON in this
    format, its checksum does not match, or (with `kind`) it holds another type.
    """
    source = Path(path)
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TokenizerFileError(f"{source}: not a tokenizer file (not valid UTF-8 JSON: {error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise TokenizerFileError(f"{source}: not a tokenizer file (expected format {FORMAT!r})")
    if document.get("version") != VERSION:
        raise TokenizerFileError(
            f"{source}: tokenizer file version {document.get('version')!r}, this code reads version {VERSION}"
        )
    found = document.get("type")
    payload = document.get("tokenizer")
    if not isinstance(payload, dict) or not isinstance(found, str):
        raise TokenizerFileError(f"{source}: tokenizer file without a 'type' and a 'tokenizer' object")
    if payload_digest(payload) != document.get("sha256"):
        raise TokenizerFileError(
            f"{source}: checksum mismatch: the tokenizer data was changed or damaged after it was written"
        )
    if kind is not None and found != kind:
        raise TokenizerFileError(f"{source}: holds a {found!r} tokenizer, expected {kind!r}")
    return found, payload
