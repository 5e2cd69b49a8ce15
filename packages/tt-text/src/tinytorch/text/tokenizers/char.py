"""Character-level tokenizer (module 15): one token per character, as nanoGPT's
`shakespeare_char` does.

    tok = CharTokenizer.fit(text)      # vocabulary = sorted(set(text)), id = position
    ids = tok.encode("To be")          # list[int]
    tok.decode(ids) == "To be"

The vocabulary is fitted once, from a training text; a character it has never
seen cannot be encoded (a ValueError names the character and its position —
mapping it to some id would silently feed the model a different text).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from tinytorch.text.tokenizers.base import (
    PathLike,
    TokenizerFileError,
    check_ids,
    read_tokenizer_file,
    write_tokenizer_file,
)

__all__ = ["CharTokenizer"]


def _describe(char: str) -> str:
    """'é' (U+00E9): readable even for whitespace and control characters."""
    return f"{char!r} (U+{ord(char):04X})"


class CharTokenizer:
    """Maps each character of a fixed vocabulary to its index in that vocabulary.

    Build it with `CharTokenizer.fit(text)` (vocabulary `sorted(set(text))`, so
    ids equal nanoGPT's `stoi` for the same text: on tiny-shakespeare "\\n" is 0,
    " " is 1, "a" is 39) or directly from a vocabulary, `CharTokenizer("abc")`
    (characters in id order, each once).
    """

    def __init__(self, chars: Iterable[str]) -> None:
        vocabulary = list(chars)
        for position, char in enumerate(vocabulary):
            if not isinstance(char, str) or len(char) != 1:
                raise ValueError(
                    f"CharTokenizer: the vocabulary must be single characters, "
                    f"got {char!r} at position {position}"
                )
        if len(set(vocabulary)) != len(vocabulary):
            repeated = next(c for i, c in enumerate(vocabulary) if c in vocabulary[:i])
            raise ValueError(
                f"CharTokenizer: character {_describe(repeated)} appears twice in the vocabulary"
            )
        if not vocabulary:
            raise ValueError("CharTokenizer: the vocabulary is empty")
        self._itos: list[str] = vocabulary
        self._stoi: dict[str, int] = {char: index for index, char in enumerate(vocabulary)}

    @classmethod
    def fit(cls, text: str) -> CharTokenizer:
        """A tokenizer whose vocabulary is every distinct character of `text`, sorted by code point."""
        if not isinstance(text, str):
            raise TypeError(f"CharTokenizer.fit: expected a str, got {type(text).__name__}")
        if not text:
            raise ValueError("CharTokenizer.fit: the text is empty, so there is no vocabulary to fit")
        ### BEGIN SOLUTION 15
        return cls(sorted(set(text)))
        ### END SOLUTION

    @property
    def vocab_size(self) -> int:
        """Number of distinct tokens (ids are 0 .. vocab_size - 1)."""
        return len(self._itos)

    @property
    def chars(self) -> list[str]:
        """The vocabulary in id order (a copy)."""
        return list(self._itos)

    def encode(self, text: str) -> list[int]:
        """One id per character of `text`; ValueError names the first character not in the vocabulary."""
        if not isinstance(text, str):
            raise TypeError(f"CharTokenizer.encode: expected a str, got {type(text).__name__}")
        ### BEGIN SOLUTION 15
        stoi = self._stoi
        try:
            return [stoi[char] for char in text]
        except KeyError:
            # Only on failure: find where, so the message can say it.
            position = next(i for i, char in enumerate(text) if char not in stoi)
            raise ValueError(
                f"CharTokenizer.encode: character {_describe(text[position])} at position {position} "
                f"is not in the vocabulary ({self.vocab_size} characters, fitted on the training text)"
            ) from None
        ### END SOLUTION

    def decode(self, ids: Iterable[int] | np.ndarray) -> str:
        """The text of `ids` (a sequence or 1-D integer array); ValueError names an id out of range."""
        checked = check_ids("CharTokenizer.decode", ids, self.vocab_size)
        ### BEGIN SOLUTION 15
        itos = self._itos
        return "".join([itos[token] for token in checked])
        ### END SOLUTION

    def save(self, path: PathLike) -> Path:
        """Write the vocabulary as a verified JSON tokenizer file (atomically). Returns the path."""
        return write_tokenizer_file(path, "char", {"chars": "".join(self._itos)})

    @classmethod
    def load(cls, path: PathLike) -> CharTokenizer:
        """Read a file written by `save`; TokenizerFileError if it is damaged or of another type."""
        _, payload = read_tokenizer_file(path, "char")
        return cls.from_payload(payload, source=str(path))

    @classmethod
    def from_payload(cls, payload: dict[str, object], source: str = "<payload>") -> CharTokenizer:
        chars = payload.get("chars")
        if not isinstance(chars, str):
            raise TokenizerFileError(f"{source}: a char tokenizer needs 'chars', a string")
        try:
            return cls(chars)
        except ValueError as error:
            raise TokenizerFileError(f"{source}: {error}") from None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CharTokenizer) and self._itos == other._itos

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        preview: Sequence[str] = self._itos if self.vocab_size <= 12 else [*self._itos[:10], "..."]
        return f"CharTokenizer(vocab_size={self.vocab_size}, chars={''.join(preview)!r})"
