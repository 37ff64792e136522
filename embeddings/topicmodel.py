"""The topic model: which topic a question asks about, or none.

Retrieval scores a question against every chunk; it cannot tell "the same
words, another service" from the service itself (a Russian passport and the
Kazakh one). The topic model is trained by ``saual index`` on what the
knowledge base itself provides:

- positives: each page's example questions (``questions:``), title, summary
  and keyword list, each question also as citizens mistype it: Kazakh in Latin
  script (the project's transliteration in reverse), Kazakh without its own
  letters, Russian in Latin, one typo;
- the out-of-scope themes (``knowledge/out_of_scope.yaml``), each a class of
  its own from its title, keywords and questions: no page answers them, but
  the engine names the agency that does only when the model recognises the
  theme, not for any question no page answers (a recipe is not forest use);
- negatives (the class ``NONE``): the near-miss questions written for each
  topic (``knowledge/near_misses/``): a topic's words asking for something no
  page answers.

Each text goes through the engine's own query pipeline (transliteration and
typo correction against the index vocabulary), so the model sees a training
question exactly as it would see it asked. Its features are the frozen
encoder's query embedding and, beside it, TF-IDF weights of the analyzer's
lexical terms (stems, boundary 4-grams, synonym concepts); the model is one
multinomial logistic regression over both (scikit-learn's objective, fitted
with SciPy's L-BFGS). It is saved in the build as plain arrays
(``topic_model.npz``: no pickle) and scored with numpy.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

from .corpus import Corpus
from .gaps import PROJECTION_DIMS, PROJECTION_SHRINK, Projection, fit_projection
from .langs import Lang
from .normalize import Analyzer, loose
from .pages import DocKind

NONE = ""  # the class of questions no page answers
MODEL_VERSION = 1
# Training settings (measured on the project's question sets, /work/exp/run*.py):
# the inverse L2 strength as scikit-learn's C; 60 L-BFGS iterations gave the
# hit@1 of a fit run to convergence (148) in 40% of the time; a history of 5
# instead of SciPy's 10 took 41 s instead of 60 and 400 MB less, hit@1 within
# one question on every set. Started from the centred features and the class
# frequencies (fit_softmax), 40 iterations reach a lower loss than 60 did from
# zero, in 47-52 s instead of 78 on the 311 classes of 2026-12 (2 cores).
C = 20.0
MAX_ITER = 40
MAXCOR = 5
FILE = "topic_model.npz"


@dataclass(frozen=True)
class Example:
    text: str
    lang: str
    label: str  # a topic id, an out-of-scope theme's id, or NONE
    theme: bool = False  # the label is an out-of-scope theme's


# -- augmentation ----------------------------------------------------------

# How citizens type Kazakh and Russian on a Latin keyboard: the informal
# spellings the engine's transliteration reads back (embeddings.normalize).
_KK_LATIN = {
    "ә": "a", "ғ": "g", "қ": "q", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "і": "i",
}
_RU_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "sch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}


_LATIN = {**_RU_LATIN, **_KK_LATIN}


def to_latin(text: str) -> str:
    """`text` as typed on a Latin keyboard (lower case): the informal spelling
    of Kazakh and Russian letters (қ -> q, ә -> a, ш -> sh...). One table
    serves both languages, so a Kazakh word in a Russian question is typed
    in Latin too."""
    return "".join(_LATIN.get(ch, ch) for ch in text.casefold())


def with_typo(text: str, rng: random.Random) -> str:
    """One typo in one longer word: a letter dropped, doubled or two swapped."""
    words = text.split()
    long = [i for i, w in enumerate(words) if sum(ch.isalpha() for ch in w) >= 5]
    if not long:
        return text
    i = rng.choice(long)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    kind = rng.randrange(3)
    if kind == 0:
        w = w[:j] + w[j + 1:]
    elif kind == 1:
        w = w[:j] + w[j] + w[j:]
    else:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    words[i] = w
    return " ".join(words)


def variants(text: str, lang: str, rng: random.Random) -> list[str]:
    """The question and the ways citizens mistype it (distinct, the original first)."""
    out = [text, to_latin(text), with_typo(text, rng)]
    if lang == Lang.KK:
        out.append(" ".join(loose(w) for w in text.casefold().split()))
    return list(dict.fromkeys(out))


def examples(corpus: Corpus, near_misses: dict[str, dict[str, list[str]]] | None = None,
             seed: int = 13) -> list[Example]:
    """The training set the knowledge base provides (see the module docstring)."""
    rng = random.Random(seed)
    out: list[Example] = []
    for doc in corpus.documents:
        if doc.kind not in (DocKind.PAGE, DocKind.REDIRECT):
            continue  # published Q&A answers belong to the page they came from
        theme = doc.kind == DocKind.REDIRECT
        texts = [doc.title]
        if doc.summary and doc.summary != doc.title:
            texts.append(doc.summary)
        if doc.keywords:
            texts += [", ".join(doc.keywords), *doc.keywords]
        out.extend(Example(t, doc.lang, doc.id, theme) for t in texts)
        for q in doc.questions:
            out.extend(Example(v, doc.lang, doc.id, theme) for v in variants(q, doc.lang, rng))
    for by_lang in (near_misses or {}).values():
        for lang, questions in by_lang.items():
            for q in questions:
                out.extend(Example(v, lang, NONE) for v in variants(q, lang, rng))
    return out


# -- features --------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """A question as the engine reads it: the encoder's text and the lexical terms."""

    dense_text: str
    terms: list[str]


class Lexicon:
    """TF-IDF over the analyzer's terms: the lexical half of the features."""

    def __init__(self, terms: dict[str, int], idf: np.ndarray):
        self.terms = terms
        self.idf = idf

    @classmethod
    def fit(cls, docs: Sequence[Sequence[str]], min_df: int = 5) -> Lexicon:
        df = Counter(t for d in docs for t in set(d))
        kept = sorted(t for t, n in df.items() if n >= min_df)
        idf = np.array([np.log((1 + len(docs)) / (1 + df[t])) + 1 for t in kept],
                       dtype=np.float32)
        return cls({t: i for i, t in enumerate(kept)}, idf)

    def vector(self, terms: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(columns, L2-normalised weights) of one question's known terms."""
        counts = Counter(self.terms[t] for t in terms if t in self.terms)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        cols = np.fromiter(counts, dtype=np.int64)
        vals = np.array([counts[c] for c in cols], dtype=np.float32)
        vals = (1 + np.log(vals)) * self.idf[cols]
        return cols, vals / np.linalg.norm(vals)

    def matrix(self, docs: Sequence[Sequence[str]]):
        from scipy import sparse  # training only (scikit-learn brings it)

        rows, cols, vals = [], [], []
        for r, d in enumerate(docs):
            c, v = self.vector(d)
            rows.extend([r] * len(c))
            cols.extend(c.tolist())
            vals.extend(v.tolist())
        return sparse.csr_matrix((vals, (rows, cols)), shape=(len(docs), len(self.terms)),
                                 dtype=np.float32)


def training_digest(samples: Sequence[Example], prepared: Sequence[Prepared], encoder: str
                    ) -> str:
    """What a model is trained on, as one hash: the examples as read, their
    labels, the encoder and the training code's version."""
    h = hashlib.sha256(f"{MODEL_VERSION}\0{C}\0{MAX_ITER}\0{MAXCOR}\0{encoder}\0"
                       f"{PROJECTION_DIMS}\0{PROJECTION_SHRINK}\0".encode())
    for sample, p in zip(samples, prepared, strict=True):
        h.update(f"{sample.label}\0{p.dense_text}\0{' '.join(p.terms)}\0".encode())
    return h.hexdigest()


# -- the model -------------------------------------------------------------


@dataclass
class TopicModel:
    """Multinomial logistic regression over [dense embedding, TF-IDF terms]."""

    classes: list[str]  # topic ids; NONE for "no page answers this"
    dense_coef: np.ndarray  # classes x encoder dimension
    lexical_coef: np.ndarray  # classes x lexicon size
    intercept: np.ndarray  # classes
    lexicon: Lexicon
    info: dict  # what it was trained on, for the manifest
    # Fitted on the same examples: the gap report's paraphrase projection
    # (embeddings.gaps); None in a build made before it existed.
    paraphrase: Projection | None = None

    def probabilities(self, vector: np.ndarray, terms: Sequence[str]) -> np.ndarray:
        """P(class) for one question: its normalised query embedding and its terms."""
        z = self.dense_coef @ vector + self.intercept
        cols, vals = self.lexicon.vector(terms)
        if len(cols):
            z = z + self.lexical_coef[:, cols] @ vals
        z = z - z.max()
        p = np.exp(z)
        return p / p.sum()

    def save(self, folder: Path) -> None:
        paraphrase = {} if self.paraphrase is None else {
            "paraphrase_mean": self.paraphrase.mean.astype(np.float32),
            "paraphrase_matrix": self.paraphrase.matrix.astype(np.float32)}
        np.savez_compressed(
            folder / FILE,
            dense_coef=self.dense_coef.astype(np.float32),
            lexical_coef=self.lexical_coef.astype(np.float16),
            intercept=self.intercept.astype(np.float32),
            idf=self.lexicon.idf,
            **paraphrase,
        )
        meta = {"version": MODEL_VERSION, "classes": self.classes,
                "terms": sorted(self.lexicon.terms, key=self.lexicon.terms.__getitem__),
                "info": self.info}
        (folder / "topic_model.json").write_text(json.dumps(meta, ensure_ascii=False),
                                                 encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> TopicModel | None:
        """The build's model, or None for a build made without one."""
        if not (folder / FILE).exists():
            return None
        meta = json.loads((folder / "topic_model.json").read_text(encoding="utf-8"))
        if meta.get("version") != MODEL_VERSION:
            raise ValueError(f"topic model version {meta.get('version')} "
                             f"(this code reads {MODEL_VERSION})")
        with np.load(folder / FILE, allow_pickle=False) as arrays:
            dense = arrays["dense_coef"]
            lexical = arrays["lexical_coef"].astype(np.float32)
            intercept = arrays["intercept"]
            idf = arrays["idf"]
            paraphrase = Projection(arrays["paraphrase_mean"], arrays["paraphrase_matrix"]) \
                if "paraphrase_matrix" in arrays.files else None
        classes = [str(c) for c in meta["classes"]]
        terms = {str(t): i for i, t in enumerate(meta["terms"])}
        if not (dense.shape[0] == lexical.shape[0] == len(intercept) == len(classes)
                and lexical.shape[1] == len(terms) == len(idf)):
            raise ValueError(f"topic model arrays disagree: {dense.shape}, {lexical.shape}, "
                             f"{intercept.shape}, {len(classes)} classes, {len(terms)} terms")
        if paraphrase is not None and not (
                paraphrase.mean.shape == (dense.shape[1],)
                and paraphrase.matrix.shape[0] == dense.shape[1]):
            raise ValueError(f"paraphrase projection {paraphrase.matrix.shape} does not fit "
                             f"embeddings of dimension {dense.shape[1]}")
        return cls(classes, dense, lexical, intercept, Lexicon(terms, idf),
                   dict(meta.get("info", {})), paraphrase)


def train(
    samples: Sequence[Example],
    readings: Sequence[Prepared],
    embed: Callable[[list[str]], np.ndarray],
    *,
    c: float = C,
    max_iter: int = MAX_ITER,
) -> TopicModel:
    """Fit the model on `samples`, each read as the engine would read it
    (`readings`, in the same order); `embed` gives query embeddings of texts.

    `c` is the inverse strength of the L2 penalty, as scikit-learn's
    ``LogisticRegression(C=...)`` means it (the same objective).
    """
    # Typo variants that the query pipeline corrects back read exactly as the
    # question they came from: keep each reading once.
    seen: dict[tuple[str, tuple[str, ...], str], tuple[Example, Prepared]] = {}
    for sample, p in zip(samples, readings, strict=True):
        seen.setdefault((p.dense_text, tuple(p.terms), sample.label), (sample, p))
    samples = [sample for sample, _ in seen.values()]
    prepared = [p for _, p in seen.values()]
    vectors = np.ascontiguousarray(embed([p.dense_text for p in prepared]), dtype=np.float32)
    lexicon = Lexicon.fit([p.terms for p in prepared])
    lexical = lexicon.matrix([p.terms for p in prepared])
    classes = sorted({s.label for s in samples})
    position = {label: i for i, label in enumerate(classes)}
    y = np.array([position[s.label] for s in samples])
    dense_coef, lexical_coef, intercept, iterations = fit_softmax(
        vectors, lexical, y, len(classes), l2=1.0 / (c * len(samples)), max_iter=max_iter)
    # The paraphrases of pages, not the near misses nor the out-of-scope themes.
    pages = np.array([s.label != NONE and not s.theme for s in samples])
    paraphrase = fit_projection(vectors[pages], y[pages].tolist())
    info = {"examples": len(samples), "classes": len(classes),
            "none_examples": sum(1 for s in samples if s.label == NONE),
            "theme_examples": sum(1 for s in samples if s.theme),
            "terms": len(lexicon.terms), "c": c, "iterations": iterations,
            "paraphrase_dims": 0 if paraphrase is None else int(paraphrase.matrix.shape[1])}
    return TopicModel(classes, dense_coef, lexical_coef, intercept, lexicon, info, paraphrase)


def usable_cpus(cgroup: Path = Path("/sys/fs/cgroup/cpu.max")) -> int:
    """How many CPUs this process may keep busy: those it may run on (a
    container's or taskset's CPU set), fewer when a cgroup v2 quota allows less
    time than that (``docker run --cpus 2`` on a 32-core host: 2, where
    ``os.cpu_count()`` says 32)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    try:
        quota, period = cgroup.read_text(encoding="ascii").split()[:2]
        if quota != "max" and int(period) > 0:
            cpus = min(cpus, max(1, -(-int(quota) // int(period))))
    except (OSError, ValueError):
        pass  # no cgroup v2 limit readable: the CPU set is the limit
    return max(1, cpus)


def fit_softmax(dense: np.ndarray, lexical, y: np.ndarray, n_classes: int, *, l2: float,
                max_iter: int, workers: int | None = None,
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Multinomial logistic regression (mean cross-entropy + l2/2 |W|^2, the
    intercept unpenalised) over a dense block and a sparse block of features,
    by SciPy's L-BFGS.

    scikit-learn's LogisticRegression would take the two blocks only as one
    sparse matrix, and multiplying the dense 384 columns as sparse made a fit
    2.5 times slower (0.98 s against 0.38 s per product on the 22,560 training
    questions); here each block is multiplied as what it is, in float32, the
    sparse products split by rows over `workers` threads (SciPy releases the
    GIL there: 0.25 s -> 0.12 s on two cores).

    The fit starts where a few iterations would otherwise go: the dense block
    centred (its mean is folded back into the intercept, so the model and the
    penalty are the same) and the intercept at the classes' log frequencies.
    On the 30,123 questions of 311 classes that reached in 30 iterations a
    lower loss (0.387) than 60 iterations from zero had (0.405).
    """
    from scipy.optimize import minimize

    n, d = dense.shape
    v = lexical.shape[1]
    k = n_classes
    rows = np.arange(n)
    mean = dense.mean(axis=0, dtype=np.float64).astype(np.float32)
    centred = dense - mean
    workers = max(1, min(workers or usable_cpus(), 8))
    pool = ThreadPoolExecutor(workers)
    forward = _row_blocks(lexical.tocsr(), workers)
    backward = _row_blocks(lexical.T.tocsr(), workers)

    def sparse_product(blocks: list[tuple[int, int, object]], x: np.ndarray,
                       height: int) -> np.ndarray:
        out = np.empty((height, x.shape[1]), dtype=np.float32)

        def one(block: tuple[int, int, object]) -> None:
            start, stop, part = block
            out[start:stop] = part @ x

        list(pool.map(one, blocks))
        return out

    weights = (d + v) * k

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        wd = theta[: d * k].reshape(d, k).astype(np.float32)
        wl = theta[d * k: weights].reshape(v, k).astype(np.float32)
        z = sparse_product(forward, wl, n)
        z += centred @ wd
        z += theta[weights:].astype(np.float32)
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        total = p.sum(axis=1)
        w = theta[:weights]
        loss = float(np.mean(np.log(total) - z[rows, y])) + 0.5 * l2 * float(w @ w)
        p /= total[:, None]
        p[rows, y] -= 1.0
        p /= n
        grad = np.empty_like(theta)
        grad[: d * k] = (centred.T @ p).ravel()
        grad[d * k: weights] = sparse_product(backward, p, v).ravel()
        grad[:weights] += l2 * w
        grad[weights:] = p.sum(axis=0)
        return loss, grad

    theta0 = np.zeros(weights + k)
    counts = np.bincount(y, minlength=k)
    theta0[weights:] = np.log(np.maximum(counts, 1) / n)
    try:
        result = minimize(objective, theta0, jac=True, method="L-BFGS-B",
                          options={"maxiter": max_iter, "maxcor": MAXCOR})
    finally:
        pool.shutdown()
    x = result.x
    wd = x[: d * k].reshape(d, k)
    intercept = x[weights:] - mean.astype(np.float64) @ wd
    return (wd.T.astype(np.float32), x[d * k: weights].reshape(v, k).T.astype(np.float32),
            intercept.astype(np.float32), int(result.nit))


def _row_blocks(matrix, parts: int) -> list[tuple[int, int, object]]:
    """`matrix` (CSR) cut into `parts` bands of rows: (first row, end row, band)."""
    bounds = np.linspace(0, matrix.shape[0], parts + 1).astype(int)
    return [(int(a), int(b), matrix[a:b]) for a, b in pairwise(bounds) if b > a]


def analyzer_terms(analyzer: Analyzer, words: Sequence[str], lang: str) -> list[str]:
    """The lexical terms of a question's corrected words, as the search reads them."""
    return analyzer.analyze(" ".join(words), lang).terms(analyzer.ngram)
