"""Benchmarks of tt-text's tokenizers and Shakespeare data (guide 15, "Tokenization" and "Data").

Measurements quoted by the guide, no speed targets: BPE training time for a
1,000-token vocabulary on tiny-shakespeare (the issue asks for seconds, not
minutes), the fast trainer against the readable reference loop on a slice,
encode/decode throughput and compression (tokens per character) for the char
and BPE tokenizers, and one nanoGPT batch. tiny-shakespeare is read from
$TINYTORCH_DATA (or the cache) without downloading; without it these fail.

    hatch run bench -k bench_text_data
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tinytorch.text.datasets import TextData, load_shakespeare
from tinytorch.text.tokenizers import BPETokenizer, CharTokenizer, train_reference

Measure = Callable[..., Any]

group = pytest.mark.benchmark

VOCAB = 1000


@pytest.fixture(scope="module")
def text() -> str:
    return load_shakespeare("tiny-shakespeare", download=False).text


@pytest.fixture(scope="module")
def tokenizers(text: str) -> dict[str, Any]:
    return {
        "char": CharTokenizer.fit(text),
        "bpe-1000": BPETokenizer.train(text, VOCAB),
        "bpe-1000-no-split": BPETokenizer.train(text, VOCAB, pattern=None),
    }


# ------------------------------------------- BPE training, vocabulary 1,000, whole corpus

SPLITS = {"gpt2-split": "default", "no-split": None}


@group(group="guide-bpe-train-1000-tiny-shakespeare")
@pytest.mark.parametrize("split", list(SPLITS))
def test_guide_bpe_train(measure: Measure, text: str, split: str) -> None:
    """BPETokenizer.train(text, 1000): 744 merges over 1,115,394 characters."""
    kwargs = {} if SPLITS[split] == "default" else {"pattern": None}
    tok = measure(lambda: BPETokenizer.train(text, VOCAB, **kwargs), role="guide", rounds=3, warmup_rounds=1)
    assert tok.vocab_size == VOCAB


# ----------------------------- the fast trainer vs the readable loop, on a 50,000-char slice

SLICE, SLICE_VOCAB = 50_000, 400


@group(group="guide-bpe-train-fast-vs-reference-50k")
@pytest.mark.parametrize("version", ["fast", "reference"])
def test_guide_bpe_fast_vs_reference(measure: Measure, text: str, version: str) -> None:
    """144 merges on the first 50,000 characters: the same merges, two algorithms."""
    part = text[:SLICE]
    if version == "fast":
        merges = measure(lambda: BPETokenizer.train(part, SLICE_VOCAB).merges, role="guide", rounds=5)
    else:
        merges = measure(
            lambda: train_reference(part, SLICE_VOCAB), role="baseline", rounds=2, warmup_rounds=0
        )
    assert merges == BPETokenizer.train(part, SLICE_VOCAB).merges


# ------------------------------------------------------- encode / decode the whole corpus


@group(group="guide-encode-tiny-shakespeare")
@pytest.mark.parametrize("name", ["char", "bpe-1000", "bpe-1000-no-split"])
def test_guide_encode(measure: Measure, text: str, tokenizers: dict[str, Any], name: str) -> None:
    """tok.encode(whole corpus) -> list[int]; the char tokenizer is the baseline."""
    tok = tokenizers[name]
    ids = tok.encode(text)
    role = "baseline" if name == "char" else "guide"
    measure(
        lambda: tok.encode(text),
        role=role,
        rounds=5,
        warmup_rounds=1,
        tokens=len(ids),
        tokens_per_char=round(len(ids) / len(text), 4),
        chars_per_token=round(len(text) / len(ids), 3),
    )


@group(group="guide-decode-tiny-shakespeare")
@pytest.mark.parametrize("name", ["char", "bpe-1000"])
def test_guide_decode(measure: Measure, text: str, tokenizers: dict[str, Any], name: str) -> None:
    tok = tokenizers[name]
    ids = np.asarray(tok.encode(text), dtype=np.int64)
    result = measure(lambda: tok.decode(ids), role="baseline" if name == "char" else "guide", rounds=5)
    assert result == text


# ------------------------------------------------------------------------ one nanoGPT batch


@group(group="guide-get-batch-12x64")
@pytest.mark.parametrize("name", ["char", "bpe-1000"])
def test_guide_get_batch(measure: Measure, text: str, tokenizers: dict[str, Any], name: str) -> None:
    """get_batch("train", 12, 64): nanoGPT's CPU config, x and y int64 (12, 64)."""
    data = TextData(text, tokenizers[name])
    rng = np.random.default_rng(0)
    x, _ = measure(
        lambda: data.get_batch("train", 12, 64, rng),
        role="guide",
        rounds=2000,
        train_tokens=data.num_tokens("train"),
        split_bytes=data.ids("train").nbytes,
    )
    assert x.shape == (12, 64)
