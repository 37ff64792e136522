"""A small deterministic encoder for tests (importable by any test module)."""

from __future__ import annotations

import hashlib

import numpy as np

from embeddings.normalize import char_ngrams, fold, to_cyrillic, words


class HashEncoder:
    """A small deterministic encoder: hashed character trigrams, L2-normalised.

    Good enough to rank the fixture pages by shared word pieces; it lets the
    index and search be tested without loading a model.
    """

    name = "test-hash"
    version = "1"
    dim = 256

    def __init__(self) -> None:
        self.calls = 0
        self.encoded = 0

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for w in words(to_cyrillic(fold(text))):
            for g in char_ngrams(w, 3):
                h = int.from_bytes(hashlib.blake2b(g.encode(), digest_size=4).digest(), "little")
                v[h % self.dim] += 1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def encode_queries(self, texts):
        return np.stack([self._vec(t) for t in texts])

    def encode_passages(self, texts):
        self.calls += 1
        self.encoded += len(texts)
        return np.stack([self._vec(t) for t in texts])
