"""Fit the abstention model on a labelled question set.

    python scripts/calibrate.py [--questions FILE[:odd|:even] ...]

Runs every question through the engine over the published index, collects the
three inputs of the confidence model (the best chunk's cosine, the
IDF-weighted coverage of the question's stems by the best topic, and the share
of stems no page contains), fits a
logistic regression (in-scope = 1, out-of-scope = 0) and prints the
coefficients and, per threshold, the out-of-scope false-answer rate and the
in-scope abstain rate, for `SearchConfig` in embeddings/search.py.

Fit on tests/fixtures/calibration.jsonl, a set written for this purpose; do
not fit on a set you then report as held out.
"""

from __future__ import annotations

import argparse
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
    features, labels = [], []
    for q in questions:
        r = engine.search(q.q)
        features.append([10 * (r.best_cosine - 0.85), r.coverage, r.unknown])
        labels.append(1.0 if q.expected else 0.0)
    x = np.c_[np.array(features), np.ones(len(features))]
    y = np.array(labels)
    w = np.zeros(x.shape[1])
    for _ in range(50_000):  # plain gradient descent: two features, a few hundred rows
        p = 1 / (1 + np.exp(-x @ w))
        w -= 0.3 * (x.T @ (p - y) / len(y) + args.l2 * np.r_[w[:-1], 0.0])
    print(f"confidence_dense_weight: float = {w[0]:.3f}")
    print(f"confidence_coverage_weight: float = {w[1]:.3f}")
    print(f"confidence_unknown_weight: float = {w[2]:.3f}")
    print(f"confidence_bias: float = {w[3]:.3f}")
    p = 1 / (1 + np.exp(-x @ w))
    for t in np.arange(0.3, 0.75, 0.05):
        confident = p >= t
        false_answers = confident[y == 0].mean()
        abstains = (~confident[y == 1]).mean()
        print(f"min_confidence {t:.2f}: out-of-scope false answers {false_answers:.3f}, "
              f"in-scope abstains {abstains:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
