"""What a search returns: hits, the result with its confidence, snippets."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from .pages import DocKind


@dataclass(frozen=True)
class Hit:
    """One topic found: its page in the question's language when there is one,
    with the page's best section as the snippet."""

    id: str
    title: str
    lang: str
    url: str
    score: float
    snippet: str
    section: str
    summary: str = ""
    category: str = ""
    agency: str = ""
    kind: DocKind = DocKind.PAGE
    fallback: bool = False  # the page is not in the question's language
    status: str = ""  # the page's PageStatus
    verified_by: str = ""  # the agency that verified it (id), when verified
    verified_on: str = ""


class Decision(StrEnum):
    """What the engine does with a question."""

    ANSWER = "answer"  # the first hit answers it
    CLARIFY = "clarify"  # the first `options` hits are close: ask which one is meant
    ABSTAIN = "abstain"  # no page answers it


@dataclass(frozen=True)
class SearchResult:
    """The topics found for one question, and whether the engine answers."""

    query: str
    lang: str
    confident: bool
    confidence: float
    hits: list[Hit] = field(default_factory=list)  # pages and published answers only
    normalized: str = ""
    # the confidence model's inputs, for calibration and debugging
    best_cosine: float = 0.0
    coverage: float = 0.0
    unknown: float = 0.0
    # An out-of-scope theme (knowledge/out_of_scope.yaml) that matched the
    # question better than any page: the engine then does not answer (confident
    # is False) and this says which agency handles the theme instead.
    elsewhere: Hit | None = None
    decision: Decision = Decision.ABSTAIN
    options: int = 0  # with CLARIFY: how many of the first hits to offer
    # A government theme was recognised (some page or out-of-scope theme is
    # likelier than none): only then is "ask an agency" worth offering.
    on_topic: bool = False

    def as_json(self) -> dict:
        out = {
            "lang": self.lang,
            "confident": self.confident,
            "decision": str(self.decision),
            "results": [
                {"id": h.id, "title": h.title, "lang": h.lang, "url": h.url,
                 "score": round(h.score, 4), "snippet": h.snippet}
                for h in self.hits
            ],
        }
        if self.elsewhere is not None:
            e = self.elsewhere
            out["elsewhere"] = {"id": e.id, "title": e.title, "agency": e.agency, "url": e.url}
        return out


def make_snippet(text: str, limit: int) -> str:
    """Cut a section at a paragraph or sentence end near `limit` characters."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)
    if cut < limit // 2:
        ends = [m.end() for m in re.finditer(r"[.!?…](\s|$)", text[:limit])]
        cut = ends[-1] if ends and ends[-1] > limit // 2 else text.rfind(" ", 0, limit)
    return text[: max(cut, 1)].rstrip() + " …"
