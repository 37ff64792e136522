"""Retrieval metrics on question sets (JSON Lines, format in DESIGN.md).

A question is ``{"q", "lang", "expected": [ids], "kind"?}``; an empty
`expected` marks an out-of-scope question, where the right answer is to
abstain. hit@k counts a question when an expected id is among the first k
distinct topics returned, whatever the engine decides to do with them; the
decisions are counted apart: answers to out-of-scope questions, in-scope
questions neither answered nor clarified (abstentions), and clarifying
questions (with how often the right page was among the options).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .corpus import read_jsonl
from .errors import CorpusError, Problem
from .results import Decision
from .search import SearchEngine


@dataclass(frozen=True)
class Question:
    q: str
    lang: str
    expected: tuple[str, ...]
    kind: str = ""


def load_questions(path: Path | str) -> list[Question]:
    path = Path(path)
    problems: list[Problem] = []
    out: list[Question] = []
    for n, row in read_jsonl(path, problems):
        if not isinstance(row.get("q"), str) or not row["q"].strip():
            problems.append(Problem(str(path), n, "q", "missing question text"))
            continue
        expected = row.get("expected", [])
        if not isinstance(expected, list):
            problems.append(Problem(str(path), n, "expected", "must be a list of ids"))
            continue
        out.append(Question(row["q"], str(row.get("lang", "")), tuple(expected),
                            str(row.get("kind") or "")))
    if problems:
        raise CorpusError(problems)
    return out


def _rate(values: list[float]) -> float | None:
    return round(float(np.mean(values)), 4) if values else None


def _summary(rows: list[dict]) -> dict:
    scoped = [r for r in rows if r["expected"]]
    oos = [r for r in rows if not r["expected"]]
    out = {"n": len(rows), "n_in_scope": len(scoped), "n_out_of_scope": len(oos)}
    for k in (1, 3, 5):
        out[f"hit@{k}"] = _rate([r["rank"] is not None and r["rank"] < k for r in scoped])
    out["mrr@10"] = _rate([1 / (r["rank"] + 1) if r["rank"] is not None and r["rank"] < 10
                           else 0.0 for r in scoped])
    return out


def evaluate(engine: SearchEngine, questions: Iterable[Question], k: int = 10) -> dict:
    """Run every question once; return the metrics as one JSON-ready dict."""
    rows = []
    latencies = []
    for question in questions:
        started = time.perf_counter()
        result = engine.search(question.q, k=k)
        latencies.append((time.perf_counter() - started) * 1000)
        ids = [h.id for h in result.hits]
        rank = next((i for i, h in enumerate(ids) if h in question.expected), None)
        clarify = result.decision == Decision.CLARIFY
        rows.append({
            "expected": question.expected, "rank": rank, "lang": question.lang,
            "kind": question.kind, "confident": result.confident, "clarify": clarify,
            "offered": clarify and rank is not None and rank < result.options,
            "lang_match": bool(result.hits) and result.hits[0].lang == question.lang,
        })
    metrics = _summary(rows)
    metrics["by_lang"] = {
        lang: _summary(group) for lang, group in sorted(_group(rows, "lang").items())
    }
    metrics["by_kind"] = {
        kind: _summary(group) for kind, group in sorted(_group(rows, "kind").items()) if kind
    }
    scoped = [r for r in rows if r["expected"]]
    oos = [r for r in rows if not r["expected"]]
    metrics["oos_false_answer_rate"] = _rate([r["confident"] for r in oos])
    metrics["oos_clarify_rate"] = _rate([r["clarify"] for r in oos])
    # Neither answered nor asked which page is meant.
    metrics["in_scope_abstain_rate"] = _rate([not r["confident"] and not r["clarify"]
                                              for r in scoped])
    metrics["clarify_rate"] = _rate([r["clarify"] for r in scoped])
    # Of the in-scope questions the engine asked about, how many were offered the right page.
    metrics["clarify_right"] = _rate([r["offered"] for r in scoped if r["clarify"]])
    metrics["lang_match@1"] = _rate([r["lang_match"] for r in scoped])
    lat = np.array(latencies) if latencies else np.zeros(1)
    metrics["latency_ms"] = {"p50": round(float(np.percentile(lat, 50)), 2),
                             "p95": round(float(np.percentile(lat, 95)), 2)}
    return metrics


def _group(rows: list[dict], key: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        out[r[key]].append(r)
    return out
