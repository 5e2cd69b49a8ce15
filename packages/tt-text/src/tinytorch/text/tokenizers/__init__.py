"""Tokenizers (module 15): text <-> token ids.

- `CharTokenizer`: one id per character, vocabulary fitted on a text (nanoGPT's char model).
- `BPETokenizer`: byte-level byte-pair encoding (GPT-2 / minbpe style), trained in seconds.
- `load_tokenizer(path)`: read either kind from its verified JSON file.
"""

from __future__ import annotations

from tinytorch.text.tokenizers.base import PathLike, Tokenizer, TokenizerFileError, read_tokenizer_file
from tinytorch.text.tokenizers.bpe import GPT2_SPLIT_PATTERN, BPETokenizer, train_reference
from tinytorch.text.tokenizers.char import CharTokenizer

__all__ = [
    "GPT2_SPLIT_PATTERN",
    "BPETokenizer",
    "CharTokenizer",
    "Tokenizer",
    "TokenizerFileError",
    "load_tokenizer",
    "train_reference",
]


def load_tokenizer(path: PathLike) -> CharTokenizer | BPETokenizer:
    """The tokenizer saved at `path`, whichever kind it is (verified, see `base`)."""
    kind, payload = read_tokenizer_file(path)
    if kind == "char":
        return CharTokenizer.from_payload(payload, source=str(path))
    if kind == "bpe":
        return BPETokenizer.from_payload(payload, source=str(path))
    raise TokenizerFileError(f"{path}: unknown tokenizer type {kind!r} (expected 'char' or 'bpe')")
