"""The gap report: what citizens asked that the knowledge does not answer.

Reads the question log (masked text only) from a date: the questions the bot
did not answer and the answers voted down (:meth:`QuestionRepo.gaps_source`),
groups their paraphrases (:func:`embeddings.gaps.cluster_questions`), names the
agency most likely to handle each group (the routing "ask an agency" uses:
:func:`.tickets.agency_scores`, summed over the group's most central
questions) and ranks the groups by how many questions they hold. The biggest
group that a new page would cover is what a maintainer writes next.

"Not answered" is every logged question with `confident` false. The log
records what the citizen got instead, and each group counts its questions by
that reason (:func:`bot.storage.gap_reason`): `abstained` (no page, or only
close pages offered: a page to write), `clarified` ("did you mean A or B?":
pages that overlap, or one that does not say plainly what it covers),
`redirected` (an out-of-scope theme's agency named), `voted-down` (a confident
answer with more 👎 than 👍: a page that is wrong or not enough), and
`not-recorded` for questions logged before reasons were recorded. A report
can keep one reason only. The log also records where each question was
asked (`private`, the bot's chat, or `group`, a community group that
mentioned the bot; none before it was recorded): each group counts its
questions by that too, and a report can keep one kind of chat.

Used by ``saual gaps`` and the weekly digest.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from embeddings import Agency, SearchEngine
from embeddings.gaps import DISTANCE, Cluster, cluster_questions

from ..storage import NOT_RECORDED, Storage, gap_reason
from .masking import PLACEHOLDERS
from .tickets import agency_scores

MAX_QUESTIONS = 2000  # the newest this many are clustered (encoding time grows with them)
ROUTE_QUESTIONS = 3  # a group's agency is read from its most central questions
EXAMPLES = 3  # example questions kept per group
LABEL_CHARS = 120
REFERENCE_TITLES = 200  # page titles per language that steady the language means
_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS.values()))


@dataclass(frozen=True)
class Gap:
    """One group of questions: its label (its most central question), the
    agency most likely to handle it (None: none recognised), how many questions
    it holds, a few examples (most central first), the count per language and
    per reason it is in the report (:func:`bot.storage.gap_reason`) and per
    kind of chat it was asked in (:data:`bot.storage.CHAT_TYPES`, or
    `not-recorded`)."""

    label: str
    agency: str | None
    count: int
    questions: list[str]
    langs: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)
    chats: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"label": self.label, "agency": self.agency, "count": self.count,
                "questions": self.questions, "langs": self.langs, "reasons": self.reasons,
                "chats": self.chats}


@dataclass(frozen=True)
class GapReport:
    """The groups, biggest first; `total` questions matched the period, the
    newest `clustered` of them were read (fewer when capped); `single` of
    those are like no other question and are in no group; `wordless` of them
    hold no word to group by (blank, punctuation, only a masked phone number
    or IIN: citizens who send their number and nothing else), and are in no
    group either."""

    gaps: list[Gap]
    total: int
    clustered: int
    single: int
    wordless: int = 0


def has_words(text: str) -> bool:
    """Whether `text` holds a word (a letter) besides the masking placeholders."""
    return any(ch.isalpha() for ch in _PLACEHOLDER.sub(" ", text))


def shown(text: str, limit: int = LABEL_CHARS) -> str:
    """`text` safe to print in a terminal or a message: control and format
    characters (escape sequences, bidirectional overrides) removed, white
    space collapsed, cut to `limit` characters."""
    kept = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    kept = " ".join(kept.split())
    return kept if len(kept) <= limit else kept[: limit - 1].rstrip() + "…"


def reference(engine: SearchEngine, per_lang: int = REFERENCE_TITLES) -> dict[str, np.ndarray]:
    """Query vectors of the knowledge's page titles per language (at most
    `per_lang` each): they steady a language's mean when few questions were
    asked in it (:func:`embeddings.gaps.centre`)."""
    titles: dict[str, list[str]] = {}
    for (_, lang), doc in sorted(engine.index.documents.items()):
        if len(titles.setdefault(lang, [])) < per_lang:
            titles[lang].append(doc.title)
    return {lang: engine.encoder.encode_queries(t) for lang, t in titles.items()}


def route(engine: SearchEngine, questions: list[str],
          agencies: Mapping[str, Agency]) -> str | None:
    """The agency most likely to handle these questions: agency scores summed
    over them; None when no question is on a government theme."""
    total: Counter[str] = Counter()
    on_topic = False
    for text in questions:
        text = engine.fit_query(text)
        result = engine.search(text, k=5)
        on_topic = on_topic or result.on_topic
        total.update(agency_scores(text, result, agencies))
    if not on_topic or not total:
        return None
    best = max(sorted(total), key=lambda a: total[a])
    return best if total[best] > 0 else None


def _most_first(counts: Counter[str]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


async def gap_report(
    storage: Storage,
    engine: SearchEngine,
    agencies: Mapping[str, Agency],
    since: float,
    *,
    agency: str | None = None,
    reason: str | None = None,
    chat_type: str | None = None,
    limit: int = 20,
    min_size: int = 2,
    max_questions: int = MAX_QUESTIONS,
    distance: float = DISTANCE,
) -> GapReport:
    """The groups of questions not answered (or voted down) since `since` (unix
    seconds), biggest first, at most `limit`; only `agency`'s when given (an id
    of `agencies`, else ValueError); only the questions there for `reason` when
    given (one of :data:`bot.storage.GAP_REASONS`, else ValueError); only those
    asked in `chat_type` when given (one of :data:`bot.storage.CHAT_TYPES`,
    else ValueError). A group has at least `min_size` questions;
    `distance` is where grouping stops (:func:`embeddings.gaps.cluster_questions`)."""
    if agency is not None and agency not in agencies:
        raise ValueError(f"unknown agency {agency!r}")
    source = await storage.questions.gaps_source(since, limit=max_questions, reason=reason,
                                                 chat_type=chat_type)
    read = source.questions
    records = [r for r in read if has_words(r.text)]
    texts = [r.text for r in records]
    model = engine.index.topic_model  # its paraphrase projection, when the build has one
    paraphrase = model.paraphrase if model is not None else None
    loop = asyncio.get_running_loop()
    # Encoding and searching are CPU work: off the event loop (the digest runs in the bot).
    clusters: list[Cluster] = await loop.run_in_executor(
        None, lambda: cluster_questions(texts, engine.encoder, reader=engine.reader,
                                        reference=reference(engine), distance=distance,
                                        projection=paraphrase)
        if texts else [])
    grouped = [c for c in clusters if c.size >= min_size]
    single = sum(c.size for c in clusters if c.size < min_size)

    def build() -> list[Gap]:
        gaps = []
        for c in grouped:  # biggest first
            if agency is None and len(gaps) >= limit:
                break
            owner = route(engine, c.questions[:ROUTE_QUESTIONS], agencies)
            if agency is not None and owner != agency:
                continue
            langs = Counter(records[i].lang for i in c.members)
            reasons = Counter(gap_reason(records[i]) for i in c.members)
            chats = Counter(records[i].chat_type or NOT_RECORDED for i in c.members)
            gaps.append(Gap(shown(c.label), owner, c.size,
                            [shown(q) for q in c.questions[:EXAMPLES]],
                            dict(sorted(langs.items())), _most_first(reasons),
                            _most_first(chats)))
        return gaps[:limit]

    gaps = await loop.run_in_executor(None, build)
    return GapReport(gaps, source.total, len(read), single, len(read) - len(records))
