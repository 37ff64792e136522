"""Questions and answers: search, the question log, feedback, other answers."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from embeddings import Decision, DocKind, Hit, SearchEngine, SearchResult

from ..storage import GROUP, PRIVATE, TRANSIENT_DB_ERRORS, Storage
from .catalog import Catalog, Checked, Entry
from .masking import mask
from .observe import UNOBSERVED, AnswerOutcome, Observer
from .regions import Directory
from .watches import Watches

logger = logging.getLogger(__name__)

VOTES = (1, -1)
__all__ = ["GROUP", "PRIVATE", "Answer", "Answers", "Hit", "Offers", "outcome_of"]


@dataclass(frozen=True)
class Answer:
    """The outcome of one question.

    `best` is the page to show when the engine is confident; `clarify` the
    close topics to choose from when it asks which one is meant; otherwise
    `suggestions` holds the close topics worth offering (possibly none).
    """

    question_id: int  # 0: not logged (the database was unavailable)
    lang: str
    confident: bool
    best: Hit | None = None
    suggestions: list[Hit] = field(default_factory=list)
    others: int = 0  # how many further results "other answers" can show
    # an out-of-scope theme that matched best: the agency to turn to instead
    elsewhere: Hit | None = None
    checked: Checked | None = None  # whether an agency verified `best`'s page
    clarify: list[Hit] = field(default_factory=list)  # "did you mean ... or ...?"
    # A government theme was recognised: "ask the agency" is worth offering
    # (not for a weather question or a recipe).
    ask_agency: bool = True
    watching: bool = False  # the citizen asked to hear of changes to `best`'s page


@dataclass(frozen=True)
class Offers:
    """The pages to offer for a question outside a conversation (inline mode):
    the confident answer first, or the topics it might mean; none for a
    question no page covers (`ask_agency`: a government theme, worth asking an
    agency about in the bot)."""

    lang: str
    pages: list[Hit]
    ask_agency: bool = True


def outcome_of(result: SearchResult) -> AnswerOutcome:
    """What a citizen gets for `result`: the first hit as the answer, a
    clarifying question among the first hits, the agency of an out-of-scope
    theme, or no answer (close topics offered at most)."""
    if result.confident and result.hits:
        return AnswerOutcome.ANSWERED
    if result.decision == Decision.CLARIFY and len(result.hits) > 1:
        return AnswerOutcome.CLARIFIED
    if result.elsewhere is not None:
        return AnswerOutcome.REDIRECTED
    return AnswerOutcome.ABSTAINED


class Answers:
    def __init__(
        self,
        engine: SearchEngine,
        storage: Storage,
        catalog: Catalog,
        directory: Directory,
        *,
        results: int = 5,
        suggest_min_confidence: float = 0.1,
        suggestions: int = 3,
        watches: Watches | None = None,
        observer: Observer = UNOBSERVED,
    ):
        self.engine = engine
        self.storage = storage
        self.catalog = catalog
        self.directory = directory
        self.results = results
        self.suggest_min_confidence = suggest_min_confidence
        self.suggestions = suggestions
        self.watches = watches
        self.observer = observer

    async def ask(self, user_id: int, text: str, *, chat_type: str = PRIVATE) -> Answer:
        """Answer `text`; the question is logged masked, under the user's id, with
        where it was asked (`chat_type`: one of :data:`bot.storage.CHAT_TYPES`)."""
        started = time.perf_counter()
        result = await self.engine.asearch(text, k=self.results)
        searched = time.perf_counter() - started
        hits = result.hits
        outcome = outcome_of(result)
        try:
            # The user's record is missing when the database was unavailable at
            # first contact (Users.seen): write it now, the question refers to it.
            # Masked whole, then cut as a search cuts it (no NUL or lone surrogate,
            # which a database refuses): cut first, an IIN across the cut would
            # keep up to 11 digits, which no identifier's pattern fits.
            await self.storage.users.get_or_create(user_id)
            question_id = await self.storage.questions.add(
                user_id=user_id, text=self.engine.fit_query(mask(text)), lang=result.lang,
                topic_id=hits[0].id if hits else None, confidence=result.confidence,
                confident=result.confident, results=[h.id for h in hits],
                outcome=outcome.value, chat_type=chat_type,
            )
        except TRANSIENT_DB_ERRORS as exc:  # the answer comes from the index: give it
            logger.warning("question from user %d not logged: database unavailable (%s)",
                           user_id, type(exc).__name__)
            question_id = 0
        logger.info("question %d from user %d: lang=%s %s confidence=%.3f top=%s%s",
                    question_id, user_id, result.lang, result.decision, result.confidence,
                    hits[0].id if hits else None,
                    f" elsewhere={result.elsewhere.id}" if result.elsewhere else "")
        self.observer.answered(outcome, searched)
        if outcome == AnswerOutcome.ANSWERED:
            best = hits[0]
            checked = self.catalog.checked(best.id, best.status, best.verified_by, best.verified_on,
                                           best.lang)
            return Answer(question_id, result.lang, True, best, others=len(hits) - 1,
                          checked=checked, watching=await self._asked(user_id, best))
        if outcome == AnswerOutcome.CLARIFIED:
            return Answer(question_id, result.lang, False, clarify=hits[: result.options])
        close = hits[: self.suggestions] if self._suggestable(result) else []
        return Answer(question_id, result.lang, False, suggestions=close,
                      elsewhere=result.elsewhere, ask_agency=result.on_topic)

    async def offers(self, text: str, limit: int = 3) -> Offers:
        """Up to `limit` knowledge pages for `text`, best first. Nothing is logged:
        inline queries arrive as the user types, a fragment at a time."""
        result = await self.engine.asearch(text, k=max(self.results, limit))
        pages = [h for h in result.hits if h.kind == DocKind.PAGE]
        outcome = outcome_of(result)
        if outcome == AnswerOutcome.ANSWERED and result.hits[0].kind == DocKind.PAGE:
            return Offers(result.lang, pages[:limit])
        if outcome == AnswerOutcome.CLARIFIED:
            chosen = [h for h in result.hits[: result.options] if h.kind == DocKind.PAGE]
            return Offers(result.lang, chosen[:limit])
        return Offers(result.lang,
                      pages[: min(limit, self.suggestions)] if self._suggestable(result) else [],
                      ask_agency=result.on_topic)

    def _suggestable(self, result: SearchResult) -> bool:
        """Whether the close topics of a question the engine does not answer are
        worth offering. Pages that merely share a word with a theme no page
        covers (a hunting licence and the military ID) are not, nor any page for
        a question on no government theme at all."""
        return result.confidence >= self.suggest_min_confidence \
            and result.elsewhere is None and result.on_topic

    async def _asked(self, user_id: int, best: Hit) -> bool:
        """Asking about a watched page again renews the watch; whether there is one."""
        if self.watches is None or best.kind != DocKind.PAGE:
            return False
        try:
            return await self.watches.asked(user_id, best.id)
        except TRANSIENT_DB_ERRORS as exc:  # the answer does not wait for the database
            logger.warning("watch of user %d not renewed: database unavailable (%s)",
                           user_id, type(exc).__name__)
            return False

    def agency_name(self, agency: str, lang: str) -> str:
        """An agency's name in `lang` (its id when the directory does not know it)."""
        return self.directory.name(agency, lang)

    async def vote(self, question_id: int, user_id: int, value: int) -> bool:
        """Store 👍 (1) or 👎 (-1) for an answer; False when there is no such question."""
        if value not in VOTES:
            raise ValueError(f"a vote is 1 or -1, not {value!r}")
        if await self.storage.questions.get(question_id) is None:
            return False
        await self.storage.users.get_or_create(user_id)
        await self.storage.feedback.set(question_id, user_id, value)
        logger.info("feedback %+d on question %d from user %d", value, question_id, user_id)
        return True

    async def own_question(self, question_id: int, user_id: int) -> str:
        """The text of the question `question_id` as logged (masked) when `user_id`
        asked it; "" for another person's question, or none."""
        record = await self.storage.questions.get(question_id)
        return record.text if record and record.user_id == user_id else ""

    async def others(self, question_id: int, lang: str) -> list[Entry]:
        """The results after the first, titled in `lang`, for topics still served."""
        record = await self.storage.questions.get(question_id)
        if record is None:
            return []
        out = []
        for topic in record.results[1:]:
            title = self.catalog.title(topic, lang)
            if title:
                out.append(Entry(topic, title))
        return out
