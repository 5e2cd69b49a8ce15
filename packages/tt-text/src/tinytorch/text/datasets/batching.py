"""Text as token ids, split 90/10, served as random windows (module 15), as nanoGPT's train.py does.

    data = TextData(text, CharTokenizer.fit(text))
    x, y = data.get_batch("train", batch_size=12, block_size=64, generator=np.random.default_rng(0))
    # x, y: int64 (12, 64); y[b, t] == x[b, t + 1]: the next token at every position

The split is nanoGPT's: the first 90% of the *characters* are training text,
the rest validation, and each part is encoded on its own — so a char model
and a BPE model are validated on exactly the same text, and their losses can
be compared in bits per character (`bits_per_char`).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from tinytorch.core import generator as global_generator
from tinytorch.text.tokenizers import Tokenizer

__all__ = ["Split", "TextData", "split_text_like_nanogpt"]

Split = Literal["train", "val"]
_SPLITS: tuple[Split, ...] = ("train", "val")


def split_text_like_nanogpt(text: str, train_fraction: float = 0.9) -> tuple[str, str]:
    """(train, val): text[:n] and text[n:], n = int(len(text) * train_fraction), as nanoGPT's prepare.py."""
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train_fraction must be strictly between 0 and 1, got {train_fraction}")
    ### BEGIN SOLUTION 15
    n = int(len(text) * train_fraction)
    return text[:n], text[n:]
    ### END SOLUTION


class TextData:
    """A tokenizer and the token ids of a text's train and val splits.

    `text`: the whole corpus. `tokenizer`: anything with encode/decode/vocab_size
    (a CharTokenizer, a BPETokenizer). The ids are stored in the smallest
    unsigned dtype that holds the vocabulary (uint16 below 65,536 tokens, as
    nanoGPT's train.bin), and widened to int64 only per batch.
    """

    def __init__(
        self, text: str, tokenizer: Tokenizer, *, train_fraction: float = 0.9, name: str = "text"
    ) -> None:
        if not isinstance(text, str):
            raise TypeError(f"TextData: expected the corpus as a str, got {type(text).__name__}")
        self.name = name
        self.tokenizer = tokenizer
        self.train_fraction = train_fraction
        dtype = np.uint16 if tokenizer.vocab_size <= 1 << 16 else np.int32
        parts = split_text_like_nanogpt(text, train_fraction)
        self.num_chars: dict[Split, int] = {}
        self._ids: dict[Split, np.ndarray] = {}
        for split, part in zip(_SPLITS, parts, strict=True):
            self.num_chars[split] = len(part)
            self._ids[split] = np.asarray(tokenizer.encode(part), dtype=dtype)

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.vocab_size

    def ids(self, split: Split) -> np.ndarray:
        """The token ids of `split` ("train" or "val"), 1-D (read-only view)."""
        view = self._ids[self._check_split("ids", split)].view()
        view.flags.writeable = False
        return view

    def num_tokens(self, split: Split) -> int:
        return int(self._ids[self._check_split("num_tokens", split)].size)

    def tokens_per_char(self, split: Split = "train") -> float:
        """Tokens per character of `split`: 1.0 for a char tokenizer, ~0.4 for BPE-1000 on Shakespeare."""
        return self.num_tokens(split) / max(self.num_chars[split], 1)

    def bits_per_char(self, loss: float, split: Split = "val") -> float:
        """A mean cross-entropy `loss` (nats per token) on `split`, in bits per character:
        loss x tokens / chars / ln 2. Comparable across tokenizers on the same text."""
        return loss * self.num_tokens(split) / self.num_chars[split] / math.log(2)

    def get_batch(
        self,
        split: Split,
        batch_size: int,
        block_size: int,
        generator: np.random.Generator | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """`batch_size` random windows of `block_size` tokens from `split`: (x, y), int64 (B, T).

        Window b starts at i_b, drawn uniformly from [0, len - block_size) with
        `generator` (default: tinytorch.core's global generator, so
        `tinytorch.core.manual_seed` reproduces the batches); x[b] = ids[i_b : i_b + T]
        and y[b] = ids[i_b + 1 : i_b + T + 1], the next token at every position.
        """
        ids = self._ids[self._check_split("get_batch", split)]
        for label, value in (("batch_size", batch_size), ("block_size", block_size)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"get_batch: {label} must be a positive integer, got {value!r}")
        if block_size >= ids.size:
            raise ValueError(
                f"get_batch: block_size={block_size} needs a {split} split longer than {block_size} tokens "
                f"(each window needs block_size + 1 tokens for its targets); the {split} split has {ids.size}"
            )
        rng = global_generator() if generator is None else generator
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"get_batch: generator must be a numpy.random.Generator, got {type(rng).__name__}"
            )
        ### BEGIN SOLUTION 15
        starts = rng.integers(0, ids.size - block_size, size=batch_size)  # (B,)
        positions = starts[:, None] + np.arange(block_size)  # (B, T)
        x = ids[positions].astype(np.int64)  # one gather for the whole batch, (B, T)
        y = ids[positions + 1].astype(np.int64)  # the same windows one token later, (B, T)
        return x, y
        ### END SOLUTION

    def _check_split(self, method: str, split: Split) -> Split:
        if split not in _SPLITS:
            raise ValueError(f"{type(self).__name__}.{method}: split must be 'train' or 'val', got {split!r}")
        return split

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.name!r}, tokenizer={self.tokenizer!r}, "
            f"train={self.num_tokens('train'):,} tokens, val={self.num_tokens('val'):,} tokens)"
        )
