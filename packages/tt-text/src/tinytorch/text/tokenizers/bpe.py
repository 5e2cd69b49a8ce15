"""Byte-level byte-pair encoding (module 15), in the style of GPT-2 and minbpe.

A text is turned into its UTF-8 bytes, and every byte is a token (ids
0..255), so any string can be encoded — no unknown characters, ever. Training
then repeats one step until the vocabulary is full: find the most frequent
pair of adjacent tokens, give it a new id (256, 257, ...) and replace every
occurrence. Encoding replays the learned merges in the order they were
learned; decoding concatenates each token's bytes.

Pre-split. Like GPT-2, the text is first cut into chunks (words with their
leading space, runs of digits, of punctuation, of whitespace) and merges never
cross a chunk boundary, so " the" becomes a token but "e t" never does. GPT-2's
pattern needs the `regex` module's \\p{L}/\\p{N}; `GPT2_SPLIT_PATTERN` is the
same pattern in the standard library's `re`:

    GPT-2:  's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+
    here:   '(?:[sdmt]|ll|ve|re)| ?[^\\W\\d_]+| ?\\d+| ?(?:[^\\s\\w]|_)+|\\s+(?!\\S)|\\s+

`[^\\W\\d_]` (word characters that are neither decimal digits nor "_") is
every letter plus the non-decimal numerals (Ⅻ, ², ½), which GPT-2 counts as
numbers; `\\d` is the decimal digits only. The two splits differ on those
rare characters alone; on ASCII text they are identical. `pattern=None` turns
pre-splitting off (minbpe's BasicTokenizer: the whole text is one chunk).
Either way the chunks concatenate back to the text, so decode(encode(s)) == s.

Ties. When two pairs are equally frequent, the smaller (left id, right id)
pair is merged first (as Hugging Face's trainer does). This makes training
deterministic and reproduces the Wikipedia example: "aaabdaaabac" merges
"aa" -> Z, then "ab" -> Y, then "ZY" -> X, giving "XdXac".

Two trainers, one result. `train_reference` is the readable loop the student
writes (count all pairs, merge the best, repeat): O(merges x text), minutes on
tiny-shakespeare. `train_merges` is given code with exactly the same merges
(tested against `train_reference`) in under a second: identical chunks are
counted once with their frequency, the tokens live in a linked list, every
pair knows the positions where it occurs, and a merge updates the pair counts
only around the positions it changes (a heap finds the next best pair).
`BPETokenizer.train` uses it; guide 15 measures the two.
"""

from __future__ import annotations

import heapq
import itertools
import re
from collections import Counter
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

__all__ = [
    "GPT2_SPLIT_PATTERN",
    "BPETokenizer",
    "count_pairs",
    "merge_pair",
    "split_text",
    "train_merges",
    "train_reference",
]

#: GPT-2's pre-split pattern, written for the standard library's `re` (see the module docstring).
GPT2_SPLIT_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+"""

Pair = tuple[int, int]

# Chunks longer than this are encoded by the vectorised NumPy pass (one sweep over the
# array per merge); shorter ones by the per-chunk loop. Both give the same ids.
_NUMPY_ENCODE_MIN_LENGTH = 512


def split_text(text: str, pattern: str | re.Pattern[str] | None) -> list[str]:
    """The chunks BPE works within: `pattern`'s matches in order, or [text] if pattern is None.

    The chunks always concatenate back to `text` (checked: a pattern that skips
    characters would make encoding lose them)."""
    ### BEGIN SOLUTION 15
    if pattern is None:
        return [text] if text else []
    compiled = re.compile(pattern) if isinstance(pattern, str) else pattern
    chunks = compiled.findall(text)
    ### END SOLUTION
    if sum(map(len, chunks)) != len(text):
        raise ValueError(
            f"BPE pre-split pattern {compiled.pattern!r} does not cover the whole text "
            "(its matches must concatenate back to the text)"
        )
    return chunks


# ------------------------------------------------------------------ the readable version


def count_pairs(ids: Sequence[int], counts: dict[Pair, int] | None = None) -> dict[Pair, int]:
    """Add the count of every adjacent pair in `ids` to `counts` (overlapping: "aaa" has ("a","a") twice)."""
    counts = {} if counts is None else counts
    ### BEGIN SOLUTION 15
    for pair in itertools.pairwise(ids):
        counts[pair] = counts.get(pair, 0) + 1
    ### END SOLUTION
    return counts


def merge_pair(ids: Sequence[int], pair: Pair, new_id: int) -> list[int]:
    """`ids` with every occurrence of `pair` replaced by `new_id`, left to right ("aaa" -> [Z, "a"])."""
    ### BEGIN SOLUTION 15
    merged: list[int] = []
    i = 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            merged.append(new_id)
            i += 2
        else:
            merged.append(ids[i])
            i += 1
    return merged
    ### END SOLUTION


def _check_vocab_size(vocab_size: int) -> int:
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int | np.integer) or vocab_size < 256:
        raise ValueError(
            f"BPE training: vocab_size must be an integer >= 256 (the byte tokens), got {vocab_size!r}"
        )
    return int(vocab_size)


def _out_of_pairs(done: int, wanted: int) -> ValueError:
    return ValueError(
        f"BPE training: the text ran out of pairs to merge after {done} merges "
        f"(vocabulary {256 + done}); vocab_size={256 + wanted} needs {wanted}. "
        "Use more text or a smaller vocab_size"
    )


def train_reference(text: str, vocab_size: int, pattern: str | None = GPT2_SPLIT_PATTERN) -> list[Pair]:
    """The merges BPE learns from `text`, by the plain loop: count every pair, merge the most
    frequent (ties: the smaller pair), repeat. O(merges x len(text)): for small texts and tests."""
    num_merges = _check_vocab_size(vocab_size) - 256
    chunks = [list(chunk.encode("utf-8")) for chunk in split_text(text, pattern)]
    merges: list[Pair] = []
    ### BEGIN SOLUTION 15
    for new_id in range(256, 256 + num_merges):
        counts: dict[Pair, int] = {}
        for ids in chunks:
            count_pairs(ids, counts)
        if not counts:
            raise _out_of_pairs(len(merges), num_merges)
        best = min(counts, key=lambda pair: (-counts[pair], pair))
        chunks = [merge_pair(ids, best, new_id) for ids in chunks]
        merges.append(best)
    ### END SOLUTION
    return merges


# ------------------------------------------------------------- the fast version (given)


def train_merges(chunk_counts: dict[bytes, int], num_merges: int) -> list[Pair]:
    """The same merges as `train_reference`, from each distinct chunk's bytes and frequency.

    Given code, not a student block: the tuned twin of `train_reference` (~700x faster for a
    1,000-token BPE on tiny-shakespeare, guide 15), tested to give the same merges.

    Data structures (all flat Python lists over the distinct chunks, concatenated):
    `tokens[i]` the token at position i (-1 once merged away), `nxt`/`prv` the
    linked list inside each chunk (-1 at its ends), `weight[i]` the frequency of
    i's chunk; `counts[pair]` the weighted number of occurrences, `where[pair]`
    the positions i where (tokens[i], tokens[nxt[i]]) was `pair` — possibly stale,
    so each is re-checked before use; `heap` holds (-count, pair), also
    re-checked against `counts` when popped. A merge visits only the positions
    of its pair and changes only the counts of the pairs around them.
    """
    tokens: list[int] = []
    weight: list[int] = []
    nxt: list[int] = []
    prv: list[int] = []
    for chunk, frequency in chunk_counts.items():
        start, length = len(tokens), len(chunk)
        tokens.extend(chunk)
        weight.extend([frequency] * length)
        prv.extend(range(start - 1, start + length - 1))
        nxt.extend(range(start + 1, start + length + 1))
        prv[start] = -1
        nxt[-1] = -1

    counts: dict[Pair, int] = {}
    where: dict[Pair, list[int]] = {}
    for i in range(len(tokens) - 1):
        if nxt[i] != -1:
            pair = (tokens[i], tokens[i + 1])
            counts[pair] = counts.get(pair, 0) + weight[i]
            where.setdefault(pair, []).append(i)
    heap = [(-count, pair) for pair, count in counts.items()]
    heapq.heapify(heap)

    changed: set[Pair] = set()  # the pairs whose count the current merge changed

    def add(pair: Pair, delta: int, position: int) -> None:
        counts[pair] = counts.get(pair, 0) + delta
        changed.add(pair)
        if delta > 0:
            where.setdefault(pair, []).append(position)

    merges: list[Pair] = []
    while len(merges) < num_merges:
        while heap:  # pop until an entry is current (counts change after entries are pushed)
            negative_count, best = heapq.heappop(heap)
            if negative_count < 0 and counts.get(best) == -negative_count:
                break
        else:
            raise _out_of_pairs(len(merges), num_merges)
        new_id = 256 + len(merges)
        left, right = best
        changed.clear()
        # Left to right, so that runs like "aaaa" merge as (aa)(aa), as merge_pair does.
        for i in sorted(set(where.pop(best))):
            j = nxt[i]
            if j == -1 or tokens[i] != left or tokens[j] != right:
                continue  # stale: this position changed since it was recorded
            w = weight[i]
            before, after = prv[i], nxt[j]
            if before != -1:
                add((tokens[before], left), -w, before)
            if after != -1:
                add((right, tokens[after]), -w, j)
            counts[best] -= w
            tokens[i], tokens[j] = new_id, -1
            nxt[i] = after
            if after != -1:
                prv[after] = i
            if before != -1:
                add((tokens[before], new_id), w, before)
            if after != -1:
                add((new_id, tokens[after]), w, i)
        del counts[best]
        for pair in changed:
            count = counts.get(pair, 0)
            if count > 0:
                heapq.heappush(heap, (-count, pair))
            elif pair in counts:
                del counts[pair]
        merges.append(best)
    return merges


# ------------------------------------------------------------------------------ encoding


def _encode_chunk_loop(ids: list[int], ranks: dict[Pair, int]) -> list[int]:
    """Apply the merges to one chunk: repeatedly merge the present pair learned first."""
    ### BEGIN SOLUTION 15
    while len(ids) >= 2:
        pair = min(itertools.pairwise(ids), key=lambda p: ranks.get(p, 1 << 62))
        if pair not in ranks:
            break
        ids = merge_pair(ids, pair, ranks[pair])
    return ids
    ### END SOLUTION


def _encode_chunk_numpy(ids: np.ndarray, merges: Sequence[Pair]) -> np.ndarray:
    """Apply the merges to one long chunk: one vectorised sweep over the array per merge, in
    the order they were learned. Same ids as the loop: a merge only creates pairs that contain
    its new token, which were all learned later, so no earlier merge can apply again.
    Given code: the tuned twin of `_encode_chunk_loop` (tested equal to it), for a text
    encoded without pre-split, where the loop would rescan one 1 MB chunk per merge."""
    ids = np.asarray(ids, dtype=np.int32)
    for rank, (left, right) in enumerate(merges):
        if ids.size < 2:
            break
        positions = np.flatnonzero((ids[:-1] == left) & (ids[1:] == right))
        if positions.size == 0:
            continue
        if left == right:  # a run "aaaa" matches at 0, 1, 2: keep 0 and 2, like merge_pair
            index = np.arange(positions.size)
            run_start = np.maximum.accumulate(np.where(np.diff(positions, prepend=-2) != 1, index, 0))
            positions = positions[(index - run_start) % 2 == 0]
        ids[positions] = 256 + rank
        ids = np.delete(ids, positions + 1)
    return ids


# ----------------------------------------------------------------------------- the class


class BPETokenizer:
    """Byte-level BPE: ids 0..255 are the bytes, id 256 + k is merge k.

        tok = BPETokenizer.train(text, vocab_size=1000)   # a new, trained tokenizer
        ids = tok.encode("To be, or not to be")
        tok.decode(ids) == "To be, or not to be"           # for every str
        tok.save("bpe.json"); BPETokenizer.load("bpe.json") == tok

    `merges[k] = (left, right)`: the pair of existing ids that token 256 + k
    replaces. `pattern` is the pre-split regex (None: none); it is part of the
    tokenizer and saved with it, since the same merges split differently mean
    different ids.
    """

    def __init__(self, merges: Iterable[Sequence[int]], pattern: str | None = GPT2_SPLIT_PATTERN) -> None:
        checked: list[Pair] = []
        seen: dict[Pair, int] = {}
        for rank, merge in enumerate(merges):
            try:
                pair = tuple(int(x) for x in merge) if len(merge) == 2 else None
            except (TypeError, ValueError):
                pair = None
            if pair is None or not all(0 <= x < 256 + rank for x in pair):
                raise ValueError(
                    f"BPETokenizer: merge {rank} is {merge!r}; expected two ids of existing tokens "
                    f"(0 <= id < {256 + rank})"
                )
            left, right = pair
            if (left, right) in seen:
                raise ValueError(
                    f"BPETokenizer: merge {rank} repeats merge {seen[left, right]}, {[left, right]}"
                )
            seen[left, right] = rank
            checked.append((left, right))
        self._merges = checked
        self._ranks = {pair: 256 + rank for rank, pair in enumerate(checked)}  # pair -> its new id
        self._pattern_text = pattern
        self._pattern = re.compile(pattern) if pattern is not None else None
        vocab = [bytes([byte]) for byte in range(256)]
        for left, right in checked:
            vocab.append(vocab[left] + vocab[right])
        self._vocab = vocab

    @classmethod
    def train(cls, text: str, vocab_size: int, *, pattern: str | None = GPT2_SPLIT_PATTERN) -> BPETokenizer:
        """Learn vocab_size - 256 merges from `text` (fast; same merges as `train_reference`).

        ValueError if vocab_size < 256 or the text has fewer pairs left than merges wanted."""
        if not isinstance(text, str):
            raise TypeError(f"BPETokenizer.train: expected a str, got {type(text).__name__}")
        num_merges = _check_vocab_size(vocab_size) - 256
        chunk_counts = Counter(chunk.encode("utf-8") for chunk in split_text(text, pattern))
        return cls(train_merges(dict(chunk_counts), num_merges), pattern=pattern)

    @property
    def vocab_size(self) -> int:
        return 256 + len(self._merges)

    @property
    def merges(self) -> list[Pair]:
        """The learned merges in order (a copy)."""
        return list(self._merges)

    @property
    def pattern(self) -> str | None:
        return self._pattern_text

    def token_bytes(self, token: int) -> bytes:
        """The bytes token `token` stands for."""
        return self._vocab[check_ids("BPETokenizer.token_bytes", [token], self.vocab_size)[0]]

    def _encode_bytes(self, data: bytes) -> list[int]:
        if len(data) >= _NUMPY_ENCODE_MIN_LENGTH:
            return _encode_chunk_numpy(np.frombuffer(data, dtype=np.uint8), self._merges).tolist()
        return _encode_chunk_loop(list(data), self._ranks)

    def encode(self, text: str) -> list[int]:
        """The token ids of `text` (any str without lone surrogates)."""
        if not isinstance(text, str):
            raise TypeError(f"BPETokenizer.encode: expected a str, got {type(text).__name__}")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise ValueError(
                f"BPETokenizer.encode: the text is not valid Unicode: {text[error.start]!r} at position "
                f"{error.start} cannot be written as UTF-8 (a lone surrogate)"
            ) from None
        ### BEGIN SOLUTION 15
        ids: list[int] = []
        cache: dict[str, list[int]] = {}  # a text repeats its words: encode each distinct chunk once
        for chunk in split_text(text, self._pattern):
            chunk_ids = cache.get(chunk)
            if chunk_ids is None:
                chunk_ids = cache[chunk] = self._encode_bytes(chunk.encode("utf-8"))
            ids.extend(chunk_ids)
        return ids
        ### END SOLUTION

    def decode_bytes(self, ids: Iterable[int] | np.ndarray) -> bytes:
        """The bytes of `ids` (a sequence or 1-D integer array); ValueError names an id out of range."""
        checked = check_ids("BPETokenizer.decode", ids, self.vocab_size)
        ### BEGIN SOLUTION 15
        vocab = self._vocab
        return b"".join([vocab[token] for token in checked])
        ### END SOLUTION

    def decode(self, ids: Iterable[int] | np.ndarray) -> str:
        """The text of `ids`. Sampled ids can split a character's UTF-8 bytes; such bytes
        decode to U+FFFD (as GPT-2 and minbpe do). Ids from `encode` always decode exactly."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    def save(self, path: PathLike) -> Path:
        """Write merges and pattern as a verified JSON tokenizer file (atomically). Returns the path."""
        payload = {"pattern": self._pattern_text, "merges": [list(pair) for pair in self._merges]}
        return write_tokenizer_file(path, "bpe", payload)

    @classmethod
    def load(cls, path: PathLike) -> BPETokenizer:
        """Read a file written by `save`; TokenizerFileError if it is damaged or of another type."""
        _, payload = read_tokenizer_file(path, "bpe")
        return cls.from_payload(payload, source=str(path))

    @classmethod
    def from_payload(cls, payload: dict[str, object], source: str = "<payload>") -> BPETokenizer:
        merges, pattern = payload.get("merges"), payload.get("pattern")
        if not isinstance(merges, list) or not (pattern is None or isinstance(pattern, str)):
            raise TokenizerFileError(
                f"{source}: a bpe tokenizer needs 'merges' (a list) and 'pattern' (str or null)"
            )
        try:
            if not all(isinstance(m, list) and all(type(x) is int for x in m) for m in merges):
                raise ValueError("every merge must be a list of two integer ids")
            return cls(merges, pattern=pattern)
        except (ValueError, re.error) as error:
            raise TokenizerFileError(f"{source}: {error}") from None

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, BPETokenizer)
            and self._merges == other._merges
            and self._pattern_text == other._pattern_text
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        split = (
            "GPT-2 split" if self._pattern_text == GPT2_SPLIT_PATTERN else f"pattern={self._pattern_text!r}"
        )
        return f"BPETokenizer(vocab_size={self.vocab_size}, {split})"
