"""Module 15: CharTokenizer and BPETokenizer — encode/decode contracts, training, files."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinytorch.core.testing import forbid
from tinytorch.text.tokenizers import (
    GPT2_SPLIT_PATTERN,
    BPETokenizer,
    CharTokenizer,
    Tokenizer,
    TokenizerFileError,
    load_tokenizer,
    train_reference,
)
from tinytorch.text.tokenizers.bpe import (
    _encode_chunk_loop,
    _encode_chunk_numpy,
    count_pairs,
    merge_pair,
    split_text,
    train_merges,
)

pytestmark = pytest.mark.module15

SAMPLE = (
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n"
    "First Citizen:\nYou are all resolved rather to die than to famish?\n\nAll:\nResolved. resolved.\n\n"
    "Ünïcödé: naïve café, 東京, Привет мир, emoji 😉🎉, tabs\tand  spaces, numbers 12345 ½ ², under_score.\n"
)


def reference_merges(
    text: str, vocab_size: int, pattern: str | None = GPT2_SPLIT_PATTERN
) -> list[tuple[int, int]]:
    """The student's `train_reference`, which may not call the given `train_merges`."""
    with forbid(train_reference, "train_merges"):
        return train_reference(text, vocab_size, pattern)


def loop_encoding(ids: list[int], ranks: dict[tuple[int, int], int]) -> list[int]:
    """The student's `_encode_chunk_loop`, which may not call the given `_encode_chunk_numpy`."""
    with forbid(_encode_chunk_loop, "_encode_chunk_numpy"):
        return _encode_chunk_loop(ids, ranks)


# ------------------------------------------------------------------------------ CharTokenizer


def test_char_fit_vocabulary_is_sorted_set_like_nanogpt() -> None:
    text = "hello world\n"
    tok = CharTokenizer.fit(text)
    chars = sorted(set(text))
    assert tok.chars == chars
    assert tok.vocab_size == len(chars)
    stoi = {ch: i for i, ch in enumerate(chars)}  # nanoGPT's prepare.py
    assert tok.encode("hello") == [stoi[c] for c in "hello"]
    assert tok.encode("") == []
    assert tok.decode([]) == ""


def test_char_round_trip_and_array_input() -> None:
    tok = CharTokenizer.fit(SAMPLE)
    ids = tok.encode(SAMPLE)
    assert len(ids) == len(SAMPLE)
    assert all(type(i) is int for i in ids)
    assert tok.decode(ids) == SAMPLE
    assert tok.decode(np.array(ids, dtype=np.int64)) == SAMPLE
    assert tok.decode(np.array(ids, dtype=np.uint16)) == SAMPLE
    assert tok.decode(tuple(np.int32(i) for i in ids[:5])) == SAMPLE[:5]


@given(st.text(max_size=200))
@settings(max_examples=100, deadline=None)
def test_char_round_trip_property(text: str) -> None:
    if not text:
        return
    tok = CharTokenizer.fit(text)
    assert tok.decode(tok.encode(text)) == text
    assert tok.vocab_size == len(set(text))


def test_char_unseen_character_names_it_and_its_position() -> None:
    tok = CharTokenizer.fit("abc ")
    with pytest.raises(ValueError, match=r"character 'z' \(U\+007A\) at position 5 is not in the vocabulary"):
        tok.encode("abc az b")
    with pytest.raises(ValueError, match=r"'\\n' \(U\+000A\) at position 0"):
        tok.encode("\nabc")


def test_char_bad_ids_are_clear_errors() -> None:
    tok = CharTokenizer.fit("abc")
    with pytest.raises(
        ValueError, match=r"CharTokenizer.decode: id 3 at position 1 is out of range; expected 0 <= id < 3"
    ):
        tok.decode([0, 3])
    with pytest.raises(ValueError, match=r"id -1 at position 2"):
        tok.decode(np.array([0, 1, -1]))
    with pytest.raises(TypeError, match=r"integers, got 1.0 \(float\) at position 0"):
        tok.decode([1.0])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="dtype float32"):
        tok.decode(np.zeros(2, dtype=np.float32))
    with pytest.raises(ValueError, match=r"1-D.*shape \(1, 2\)"):
        tok.decode(np.zeros((1, 2), dtype=np.int64))
    with pytest.raises(TypeError, match="True"):
        tok.decode([True])
    with pytest.raises(TypeError, match="expected a str, got bytes"):
        tok.encode(b"abc")  # type: ignore[arg-type]


def test_char_constructor_checks_the_vocabulary() -> None:
    assert CharTokenizer("ba").encode("ab") == [1, 0]  # the given order is the id order
    with pytest.raises(ValueError, match="appears twice"):
        CharTokenizer("aba")
    with pytest.raises(ValueError, match="single characters"):
        CharTokenizer(["ab", "c"])
    with pytest.raises(ValueError, match="empty"):
        CharTokenizer.fit("")


def test_char_save_load_round_trip(tmp_path: Path) -> None:
    tok = CharTokenizer.fit(SAMPLE)
    path = tok.save(tmp_path / "sub" / "char.json")
    assert path == tmp_path / "sub" / "char.json"
    assert [p.name for p in path.parent.iterdir()] == ["char.json"]  # no temporary file left behind
    loaded = CharTokenizer.load(path)
    assert loaded == tok
    assert loaded.encode(SAMPLE) == tok.encode(SAMPLE)
    assert load_tokenizer(path) == tok
    assert isinstance(tok, Tokenizer)


# ------------------------------------------------------------------------ the file format


def corrupt(path: Path, edit: str) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    if edit == "payload":
        payload = document["tokenizer"]
        if "chars" in payload:
            payload["chars"] = payload["chars"][::-1]
        else:
            payload["merges"][0] = [payload["merges"][0][1], payload["merges"][0][0]]
    elif edit == "format":
        document["format"] = "something.else"
    elif edit == "version":
        document["version"] = 99
    elif edit == "type":
        document["type"] = "wordpiece"
    path.write_text(json.dumps(document), encoding="utf-8")


@pytest.mark.parametrize("kind", ["char", "bpe"])
@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ("payload", "checksum mismatch"),
        ("format", "not a tokenizer file"),
        ("version", "version 99"),
        ("truncate", "not valid UTF-8 JSON"),
        ("binary", "not valid UTF-8 JSON"),
    ],
)
def test_damaged_files_are_refused(tmp_path: Path, kind: str, edit: str, message: str) -> None:
    tok = CharTokenizer.fit(SAMPLE) if kind == "char" else BPETokenizer.train(SAMPLE, 280)
    path = tok.save(tmp_path / "tok.json")
    if edit == "truncate":
        path.write_bytes(path.read_bytes()[:-40])
    elif edit == "binary":
        path.write_bytes(b"\xff\xfe\x00garbage")
    else:
        corrupt(path, edit)
    cls = CharTokenizer if kind == "char" else BPETokenizer
    with pytest.raises(TokenizerFileError, match=message) as info:
        cls.load(path)
    assert str(path) in str(info.value)
    with pytest.raises(TokenizerFileError, match=message):
        load_tokenizer(path)


def test_wrong_tokenizer_type_is_refused(tmp_path: Path) -> None:
    path = CharTokenizer.fit("abc").save(tmp_path / "char.json")
    with pytest.raises(TokenizerFileError, match="holds a 'char' tokenizer, expected 'bpe'"):
        BPETokenizer.load(path)
    corrupt(path, "type")  # the checksum covers the payload only; the type is checked on its own
    with pytest.raises(TokenizerFileError, match="unknown tokenizer type 'wordpiece'"):
        load_tokenizer(path)


def test_a_consistent_but_invalid_payload_is_refused(tmp_path: Path) -> None:
    """A file whose checksum matches but whose merges are impossible (written by other code)."""
    from tinytorch.text.tokenizers.base import write_tokenizer_file

    good = write_tokenizer_file(
        tmp_path / "good.json", "bpe", {"pattern": None, "merges": [[97, 98], [256, 99]]}
    )
    assert BPETokenizer.load(good).encode("abcab") == [257, 256]  # a file written by hand works
    path = write_tokenizer_file(tmp_path / "bad.json", "bpe", {"pattern": None, "merges": [[97, 300]]})
    with pytest.raises(TokenizerFileError, match=r"merge 0 is \[97, 300\]"):
        BPETokenizer.load(path)
    path = write_tokenizer_file(tmp_path / "bad2.json", "char", {"chars": "aa"})
    with pytest.raises(TokenizerFileError, match="appears twice"):
        CharTokenizer.load(path)


# ------------------------------------------------------------------------ BPE: the pieces


def test_count_pairs_and_merge_pair() -> None:
    assert count_pairs([1, 2, 3, 1, 2]) == {(1, 2): 2, (2, 3): 1, (3, 1): 1}
    assert count_pairs([7, 7, 7]) == {(7, 7): 2}  # overlapping, as minbpe's get_stats
    counts = {(1, 2): 5}
    assert count_pairs([1, 2], counts) is counts and counts == {(1, 2): 6}
    assert merge_pair([1, 2, 3, 1, 2], (1, 2), 99) == [99, 3, 99]
    assert merge_pair([7, 7, 7], (7, 7), 99) == [99, 7]  # left to right, non-overlapping
    assert merge_pair([7, 7, 7, 7], (7, 7), 99) == [99, 99]
    assert merge_pair([], (7, 7), 99) == []


def test_wikipedia_example() -> None:
    """https://en.wikipedia.org/wiki/Byte_pair_encoding: aaabdaaabac -> ZabdZabac -> ZYdZYac -> XdXac."""
    a, b, c, d = (ord(ch) for ch in "abcd")
    z, y, x = 256, 257, 258
    for pattern in (None, GPT2_SPLIT_PATTERN):
        tok = BPETokenizer.train("aaabdaaabac", 259, pattern=pattern)
        assert tok.merges == [(a, a), (a, b), (z, y)]
        assert tok.encode("aaabdaaabac") == [x, d, x, a, c]
        assert tok.token_bytes(x) == b"aaab"
        assert tok.decode([x, d, x, a, c]) == "aaabdaaabac"
        assert reference_merges("aaabdaaabac", 259, pattern) == tok.merges


def test_gpt2_split_pattern_on_ascii() -> None:
    """The splits GPT-2's regex makes: `\\s+(?!\\S)` leaves the last whitespace character before a word
    to the next chunk, so "\\n\\nI" is "\\n", "\\n", "I" and "  x" is " ", " x"."""
    text = "Hello world's 123 !!  x\n\nI'll go_now, don't--ok?   "
    assert split_text(text, GPT2_SPLIT_PATTERN) == [
        "Hello", " world", "'s", " 123", " !!", " ", " x", "\n", "\n", "I", "'ll", " go", "_", "now", ",",
        " don", "'t", "--", "ok", "?", "   ",  # trailing whitespace stays whole
    ]  # fmt: skip
    assert split_text("", GPT2_SPLIT_PATTERN) == []
    assert split_text("abc", None) == ["abc"]
    with pytest.raises(ValueError, match="does not cover the whole text"):
        split_text("ab cd", r"\w+")


@given(st.text(max_size=300))
@settings(max_examples=200, deadline=None)
def test_split_covers_every_text(text: str) -> None:
    assert "".join(split_text(text, GPT2_SPLIT_PATTERN)) == text


# ------------------------------------------------------------------------ BPE: training

SMALL_ALPHABET = st.text(alphabet="ab c'é1\n", max_size=60)


@given(SMALL_ALPHABET, st.integers(0, 12), st.sampled_from([None, GPT2_SPLIT_PATTERN]))
@settings(max_examples=150, deadline=None)
def test_fast_training_equals_the_reference_loop(text: str, merges: int, pattern: str | None) -> None:
    try:
        expected = reference_merges(text, 256 + merges, pattern)
    except ValueError as error:
        with pytest.raises(ValueError, match=re.escape(str(error))):
            BPETokenizer.train(text, 256 + merges, pattern=pattern)
        return
    tok = BPETokenizer.train(text, 256 + merges, pattern=pattern)
    assert tok.merges == expected
    # encoding the training text with the merges gives what training ended with
    chunks = [list(chunk.encode()) for chunk in split_text(text, pattern)]
    for new_id, pair in enumerate(expected, start=256):
        chunks = [merge_pair(ids, pair, new_id) for ids in chunks]
    assert tok.encode(text) == [i for ids in chunks for i in ids]


def test_fast_training_equals_the_reference_on_shakespeare_like_text() -> None:
    text = SAMPLE * 3
    for pattern in (None, GPT2_SPLIT_PATTERN):
        assert BPETokenizer.train(text, 330, pattern=pattern).merges == reference_merges(text, 330, pattern)


def test_given_fast_trainer_equals_the_reference_on_real_shakespeare(shakespeare_data_dir: Path) -> None:
    """The given `train_merges` (heap and linked list, what BPETokenizer.train uses) learns the
    same merges as the student's `train_reference` on 20,000 characters of tiny-shakespeare."""
    text = (shakespeare_data_dir / "shakespeare" / "input.txt").read_text(encoding="ascii")[:20_000]
    expected = reference_merges(text, 256 + 60)
    chunk_counts = Counter(chunk.encode() for chunk in split_text(text, GPT2_SPLIT_PATTERN))
    assert train_merges(dict(chunk_counts), 60) == expected
    assert BPETokenizer.train(text, 256 + 60).merges == expected


def test_training_is_deterministic_and_learns_words() -> None:
    one = BPETokenizer.train(SAMPLE * 2, 320)
    two = BPETokenizer.train(SAMPLE * 2, 320)
    assert one == two
    assert one.vocab_size == 320
    tokens = {one.token_bytes(i) for i in range(256, 320)}
    assert b" speak" in tokens or b"peak" in tokens
    assert not any(b" " in tok[1:] for tok in tokens)  # merges never cross a word boundary
    assert len(one.encode(SAMPLE)) < 0.6 * len(SAMPLE.encode())


def test_training_errors() -> None:
    with pytest.raises(ValueError, match=r"vocab_size must be an integer >= 256.*255"):
        BPETokenizer.train("abc", 255)
    with pytest.raises(
        ValueError, match=r"ran out of pairs to merge after 2 merges .*vocab_size=300 needs 44"
    ):
        BPETokenizer.train("abc", 300, pattern=None)
    with pytest.raises(ValueError, match="ran out of pairs"):
        BPETokenizer.train("a.b.c", 257)  # the split leaves no pair inside a chunk
    with pytest.raises(TypeError, match="expected a str, got bytes"):
        BPETokenizer.train(b"abc", 300)  # type: ignore[arg-type]
    assert BPETokenizer.train("", 256).vocab_size == 256


# ------------------------------------------------------------------ BPE: encode and decode


@pytest.fixture(scope="module")
def trained() -> BPETokenizer:
    return BPETokenizer.train(SAMPLE * 4, 400)


@given(st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_bpe_round_trip_property(trained: BPETokenizer, text: str) -> None:
    ids = trained.encode(text)
    assert trained.decode(ids) == text
    assert all(0 <= i < trained.vocab_size for i in ids)
    assert len(ids) <= len(text.encode("utf-8"))


@given(st.text(max_size=200))
@settings(max_examples=100, deadline=None)
def test_bpe_without_split_round_trip_property(text: str) -> None:
    tok = _unsplit_tokenizer()
    assert tok.decode(tok.encode(text)) == text


_UNSPLIT: list[BPETokenizer] = []


def _unsplit_tokenizer() -> BPETokenizer:
    if not _UNSPLIT:
        _UNSPLIT.append(BPETokenizer.train(SAMPLE * 4, 400, pattern=None))
    return _UNSPLIT[0]


@given(st.lists(st.sampled_from([*b"ab c'\n", 0xC3, 0xA9]), max_size=400))
@settings(max_examples=150, deadline=None)
def test_numpy_encoding_equals_the_loop(data: list[int]) -> None:
    tok = BPETokenizer.train("aaab abab ba'c\nca aaaa bbb cc é" * 3, 280, pattern=None)
    ranks = {pair: 256 + rank for rank, pair in enumerate(tok.merges)}
    assert _encode_chunk_numpy(np.array(data, dtype=np.uint8), tok.merges).tolist() == loop_encoding(
        data, ranks
    )


def test_long_text_uses_numpy_path_with_the_same_result(trained: BPETokenizer) -> None:
    unsplit = _unsplit_tokenizer()
    long_text = SAMPLE * 5  # one chunk of > 512 bytes: the NumPy path
    ids = unsplit.encode(long_text)
    ranks = {pair: 256 + rank for rank, pair in enumerate(unsplit.merges)}
    assert ids == loop_encoding(list(long_text.encode()), ranks)
    assert unsplit.decode(ids) == long_text


def test_known_unicode_round_trip(trained: BPETokenizer) -> None:
    text = "hello world!!!? (안녕하세요!) lol123 😉"  # minbpe's test string
    ids = trained.encode(text)
    assert trained.decode(ids) == text
    assert trained.encode("") == []
    assert trained.decode([]) == ""


def test_bpe_decode_of_split_characters_and_bad_ids(trained: BPETokenizer) -> None:
    e_acute = list("é".encode())  # two bytes: C3 A9
    assert trained.decode(e_acute[:1]) == "\ufffd"
    assert trained.decode_bytes(e_acute[:1]) == b"\xc3"
    with pytest.raises(
        ValueError, match=r"BPETokenizer.decode: id 400 at position 0 is out of range; expected 0 <= id < 400"
    ):
        trained.decode([400])
    with pytest.raises(ValueError, match="id -3 at position 1"):
        trained.decode(np.array([5, -3]))
    with pytest.raises(ValueError, match=r"not valid Unicode: '\\ud800' at position 1"):
        trained.encode("a\ud800b")


def test_bpe_constructor_checks_merges() -> None:
    assert BPETokenizer([]).vocab_size == 256
    assert BPETokenizer([]).encode("hé") == [104, 0xC3, 0xA9]  # no merges: the UTF-8 bytes
    assert BPETokenizer([(97, 98), (256, 256)]).encode("ababab") == [257, 256]
    with pytest.raises(
        ValueError, match=r"merge 1 is \(256, 257\); expected two ids of existing tokens \(0 <= id < 257\)"
    ):
        BPETokenizer([(97, 98), (256, 257)])
    with pytest.raises(ValueError, match="merge 1 repeats merge 0"):
        BPETokenizer([(97, 98), (97, 98)])
    with pytest.raises(ValueError, match=r"merge 0 is \(1, 2, 3\)"):
        BPETokenizer([(1, 2, 3)])
    with pytest.raises(ValueError, match="merge 0 is 7"):
        BPETokenizer([7])  # type: ignore[list-item]


@pytest.mark.parametrize("pattern", [None, GPT2_SPLIT_PATTERN])
def test_bpe_save_load_round_trip(tmp_path: Path, pattern: str | None) -> None:
    tok = BPETokenizer.train(SAMPLE * 2, 300, pattern=pattern)
    path = tok.save(tmp_path / "bpe.json")
    loaded = BPETokenizer.load(path)
    assert loaded == tok and loaded.pattern == pattern
    assert loaded.encode(SAMPLE) == tok.encode(SAMPLE)
    assert load_tokenizer(path) == tok
    assert loaded != BPETokenizer.train(SAMPLE * 2, 300, pattern=None if pattern else GPT2_SPLIT_PATTERN)
