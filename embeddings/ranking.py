"""Fusion and ranking: from two score vectors over chunks to ranked topics.

Both vectors (cosine to the question, BM25) are put on one scale within the
question and added with a fixed weight (:func:`fuse`); a topic scores as its
best chunk plus a share of its second best (:func:`topic_scores`).
:class:`TopicStats` holds what the abstention model reads from a build: which
stems each topic contains and how rare each is, and which topics are
out-of-scope redirects.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from .index import LoadedIndex
from .pages import DocKind
from .topicmodel import NONE, TopicModel


def zscore(scores: np.ndarray) -> np.ndarray:
    """The scores less their mean, over their standard deviation (all 0 when flat)."""
    std = float(scores.std())
    if std < 1e-9:
        return np.zeros_like(scores)
    return (scores - float(scores.mean())) / std


def rrf(scores: np.ndarray, k: int = 60) -> np.ndarray:
    """Reciprocal rank, 1 / (k + rank), the best score ranking 1."""
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1)
    return 1.0 / (k + ranks)


def fuse(lexical: np.ndarray, dense: np.ndarray, lexical_weight: float,
         fusion: str = "zscore") -> np.ndarray:
    """One score per chunk: z-scores (or reciprocal ranks, for comparison) of
    both vectors, the lexical one weighing `lexical_weight`."""
    w = lexical_weight
    if fusion == "rrf":
        return w * rrf(lexical) + (1 - w) * rrf(dense)
    return w * zscore(lexical) + (1 - w) * zscore(dense)


def topic_scores(chunk_topic: np.ndarray, fused: np.ndarray, n_topics: int,
                 second_weight: float) -> np.ndarray:
    """A topic scores as its best chunk plus a share of its second best (when
    positive): a page that answers with two sections, or in both languages,
    beats one that matches a single stray paragraph."""
    order = np.lexsort((-fused, chunk_topic))  # by topic, best chunk first
    topics = chunk_topic[order]
    starts = np.flatnonzero(np.r_[True, topics[1:] != topics[:-1]])
    scores = np.full(n_topics, -np.inf)
    scores[topics[starts]] = fused[order[starts]]
    seconds = starts + 1
    has_second = (seconds < len(order)) & np.isin(seconds, starts, invert=True)
    seconds = seconds[has_second]
    scores[topics[seconds]] += second_weight * np.maximum(fused[order[seconds]], 0)
    return scores


class TopicStats:
    """Which stems each topic contains, how rare each stem is across topics, and
    which topics are out-of-scope redirects (their words are not knowledge: a
    question about hunting licences is no better covered for naming one)."""

    def __init__(self, index: LoadedIndex):
        stems: list[set[str]] = [set() for _ in index.topic_ids]
        redirect = np.zeros(len(index.topic_ids), dtype=bool)
        for i, chunk in enumerate(index.chunks):
            doc = index.documents[(chunk.doc_id, chunk.lang)]
            topic = int(index.chunk_doc[i])
            if doc.kind == DocKind.REDIRECT:
                redirect[topic] = True
                continue
            text = f"{doc.title} {chunk.heading} {chunk.text}"
            stems[topic].update(index.analyzer.analyze(text, chunk.lang).keys)
        self.stems = stems
        self.redirect = redirect
        self.df = Counter(s for topic in stems for s in topic)
        self.n = int((~redirect).sum())
        model = index.topic_model
        self.model = (TopicProbabilities(model, index.topic_ids, redirect)
                      if model is not None else None)

    def idf(self, stem: str) -> float:
        return math.log((self.n + 1) / (self.df.get(stem, 0) + 0.5))

    def coverage(self, stems: list[str], topic: int) -> tuple[float, float]:
        """IDF-weighted shares of the question's stems that the topic contains,
        and that no page contains at all; unseen words weigh the most."""
        total = sum(self.idf(s) for s in stems)
        if not total:
            return 0.0, 1.0
        found = sum(self.idf(s) for s in stems if s in self.stems[topic])
        unseen = sum(self.idf(s) for s in stems if s not in self.df)
        return found / total, unseen / total


class TopicProbabilities:
    """The topic model's probabilities laid out by the build's topic order."""

    def __init__(self, model: TopicModel, topic_ids: list[str], redirect: np.ndarray):
        column = {c: i for i, c in enumerate(model.classes)}
        self.model = model
        self.columns = np.array([column.get(t, -1) for t in topic_ids], dtype=np.int64)
        self.known = self.columns >= 0
        self.redirect = redirect
        self.none = column.get(NONE)

    def probabilities(self, vector: np.ndarray, terms: list[str]) -> tuple[np.ndarray, float]:
        """(P per topic of the build, P(no page answers)).

        An out-of-scope theme is a class of its own; in a model trained before
        it was (themes as "no page answers") it gets that probability. A topic
        the model was not trained on (a Q&A answer published after the build's
        model) gets the best page's probability, so the model neither favours
        nor hides it: retrieval decides.
        """
        p = self.model.probabilities(vector, terms)
        none = float(p[self.none]) if self.none is not None else 0.0
        topic = np.where(self.known, p[np.maximum(self.columns, 0)], 0.0)
        best = float(topic.max()) if self.known.any() else 1.0
        return np.where(self.known, topic, np.where(self.redirect, none, best)), none
