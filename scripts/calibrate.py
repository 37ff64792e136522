"""Fit the abstention model on a labelled question set.

    python scripts/calibrate.py [--questions FILE[:odd|:even] ...]

Runs every question through the engine over the published index, collects the
inputs of the confidence model (the best chunk's cosine, the IDF-weighted
coverage of the question's stems by the best topic, the share of stems no page
contains and, when the build has a topic model, the log-probability it gives
the first topic), fits a logistic regression and prints the coefficients and,
per threshold, the out-of-scope false-answer rate, the in-scope abstain rate
and (with a topic model) the clarifying-question rate, for `SearchConfig` in
embeddings/search.py; with a topic model, also the same rates per floor of the
model's probability of the first topic (`model_min_probability`) at the
threshold in use. Without a topic model the target is "in scope"; with
one, "the first topic is right" (so a wrong first topic is not answered but
asked about).

Fit on tests/fixtures/calibration.jsonl, a set written for this purpose; do
not fit on a set you then report as held out.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from bot.config import Settings
from embeddings import SearchEngine, load_questions, make_encoder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=str, action="append",
                        help="a question set, repeatable; PATH:odd or PATH:even keeps "
                             "every other line (the other half stays held out)")
    parser.add_argument("--l2", type=float, default=0.01)
    args = parser.parse_args()
    settings = Settings()
    encoder = make_encoder(settings.encoder)
    engine = SearchEngine.open(settings.index_dir, encoder, settings.search_config())
    questions = []
    for spec in args.questions or ["tests/fixtures/calibration.jsonl"]:
        path, _, half = spec.partition(":")
        loaded = load_questions(Path(path))
        if half:
            loaded = loaded[1::2] if half == "odd" else loaded[0::2]
        questions += loaded
    model = engine.index.topic_model is not None
    stats = engine._state[2]
    features, labels, scoped, elsewhere, tops = [], [], [], [], []
    for q in questions:
        r = engine.search(q.q)
        row = [10 * (r.best_cosine - 0.85), r.coverage, r.unknown]
        if model:
            scored = engine.score(engine.fit_query(q.q))
            top = 0.0
            if scored is not None and r.hits:
                topic_p, _ = stats.model.probabilities(scored.vector, scored.terms)
                top = float(topic_p[engine.index.topic_ids.index(r.hits[0].id)])
            row.append(math.log(top + 1e-6))
            tops.append(top)
        features.append(row)
        right = bool(q.expected) and bool(r.hits) and r.hits[0].id in q.expected
        labels.append(1.0 if (right if model else q.expected) else 0.0)
        scoped.append(bool(q.expected))
        elsewhere.append(r.elsewhere is not None)
    x = np.c_[np.array(features), np.ones(len(features))]
    y = np.array(labels)
    w = np.zeros(x.shape[1])
    for _ in range(50_000):  # plain gradient descent: a few features, a few hundred rows
        p = 1 / (1 + np.exp(-x @ w))
        w -= 0.3 * (x.T @ (p - y) / len(y) + args.l2 * np.r_[w[:-1], 0.0])
    names = (["model_dense_weight", "model_coverage_weight", "model_unknown_weight",
              "model_topic_weight", "model_bias"] if model else
             ["confidence_dense_weight", "confidence_coverage_weight",
              "confidence_unknown_weight", "confidence_bias"])
    for name, value in zip(names, w, strict=True):
        print(f"{name}: float = {value:.3f}")
    p = 1 / (1 + np.exp(-x @ w))
    scope = np.array(scoped)
    free = ~np.array(elsewhere)
    threshold = "model_min_confidence" if model else "min_confidence"
    # With a topic model the engine answers only when the model also gives the
    # first topic SearchConfig.model_min_probability: the rates per threshold
    # count that floor, so that "in-scope not answered" (asked about or
    # abstained) is what citizens would get.
    top = np.array(tops) if model else np.ones(len(labels))
    floor_in_use = engine.config.model_min_probability if model else 0.0
    if model:
        print(f"(per threshold: at model_min_probability {floor_in_use:.2f}, the floor in use)")
    for t in np.arange(0.3, 0.91, 0.05):
        confident = (p >= t) & (top >= floor_in_use) & free
        line = (f"{threshold} {t:.2f}: out-of-scope false answers "
                f"{confident[~scope].mean():.3f}, in-scope not answered "
                f"{(~confident[scope]).mean():.3f}")
        if model:
            for c in (0.35, 0.45):
                clarify = ~confident & (p >= c) & free
                line += (f"; clarify from {c:.2f}: in-scope {clarify[scope].mean():.3f}, "
                         f"abstains {(~confident & ~clarify)[scope].mean():.3f}")
        print(line)
    if model:
        # The second condition to answer: the model's own probability of the
        # first topic (SearchConfig.model_min_probability), at the threshold in use.
        t, c = engine.config.model_min_confidence, engine.config.clarify_confidence
        for floor in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5):
            confident = (p >= t) & (top >= floor) & free
            clarify = ~confident & (p >= c) & free
            print(f"model_min_probability {floor:.1f} (model_min_confidence {t:.2f}, clarify "
                  f"from {c:.2f}): out-of-scope false answers {confident[~scope].mean():.3f}, "
                  f"in-scope clarify {clarify[scope].mean():.3f}, abstains "
                  f"{(~confident & ~clarify)[scope].mean():.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
