"""The content loop: agencies check their pages from their staff chat.

`/review` lists an agency's pages that no agency has verified, or whose
verification is older than ``REVIEW_DAYS``. Staff read a page in both
languages and either confirm it (both languages, the content as they read
it) or propose a new text for one section of one language. Neither touches a
knowledge file: a maintainer writes them in with ``saual review apply`` (and
publishes with ``saual index``), since knowledge is reviewed like code. A
confirmation shows on the cards at once (:meth:`Reviews.refresh` lays the
confirmations over the catalogue), and only while the page still says what
was confirmed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import time
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from embeddings import (
    LANGS,
    AuditKind,
    CorpusError,
    PageContent,
    PageStatus,
    content_digest,
    parse_page,
    replace_section,
    review_kind,
    set_front_matter,
)

from ..storage import Review, ReviewKind, ReviewState, StaffChat, Storage
from .catalog import Catalog
from .gaps import Gap
from .ticket_rules import AgencyReport

logger = logging.getLogger(__name__)

# Kazakhstan has one time zone, UTC+5, since 1 March 2024: dates staff see and
# the dates written into the pages are Kazakhstan's.
KZ = dt.timezone(dt.timedelta(hours=5))
WEEK = 7 * 24 * 3600
DIGEST_HOUR = 9  # the weekly digest: Mondays from 09:00, Kazakhstan time
DIGEST_GAPS = 5  # groups of unanswered questions named in a weekly digest
DIGEST_LEASE = 15 * 60  # seconds a claim on a digest holds before another round may take it
SEEN_CHARS = 8  # how much of a content digest a button carries (64-byte callback data)
CORRECTION_CHARS = 3500  # one Telegram message holds 4096; a section is shorter
DUE_LIST = 30  # pages per /review list
LOCK_WAIT = 30.0  # seconds `saual review apply` waits for another one to finish


class ReviewError(Exception):
    """A review that cannot be taken or applied; the message says why."""


def kz_today(unix: float) -> dt.date:
    """The day it is at `unix` in Kazakhstan."""
    return dt.datetime.fromtimestamp(unix, KZ).date()


def kz_date(unix: float) -> str:
    return kz_today(unix).isoformat()


def iso_week(unix: float) -> str:
    year, week, _day = dt.datetime.fromtimestamp(unix, KZ).isocalendar()
    return f"{year}-W{week:02d}"


def clean_correction(text: str) -> str:
    """A staff member's new section text, as it may go into a page: control
    characters out (tabs and line breaks stay), no empty text, nothing longer
    than a section, no heading line that would start another section."""
    kept = "".join(ch for ch in text if ch in "\n\t"
                   or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    kept = "\n".join(line.rstrip() for line in kept.replace("\r\n", "\n").split("\n")).strip()
    if not kept:
        raise ReviewError("empty")
    if len(kept) > CORRECTION_CHARS:
        raise ReviewError("long")
    if any(line.lstrip().startswith("#") for line in kept.split("\n")) \
            or any(line.strip() == "---" for line in kept.split("\n")):
        raise ReviewError("heading")
    return kept


@dataclass(frozen=True)
class Due:
    """A page waiting for its agency's check."""

    id: str
    title: str
    reason: AuditKind  # UNVERIFIED or OVERDUE_REVIEW (:func:`embeddings.review_kind`)
    verified_on: str = ""


class Reviews:
    def __init__(self, storage: Storage, catalog: Catalog, *, review_days: int = 180,
                 clock: Callable[[], float] = time.time):
        self.storage = storage
        self.catalog = catalog
        self.review_days = review_days
        self.clock = clock

    # -- what the cards say ----------------------------------------------------------
    async def refresh(self) -> None:
        """Lay the confirmations stored by any instance over the catalogue."""
        confirmed = await self.storage.reviews.confirmations()
        self.catalog.confirm({topic: (r.agency, kz_date(r.created_at), r.page_digest)
                              for topic, r in confirmed.items()})

    def digest(self, topic_id: str) -> str:
        """The digest of the topic's content in service (the catalogue caches it per build)."""
        return self.catalog.digest(topic_id)

    # -- /review -------------------------------------------------------------------
    def due(self, agency: str, lang: str) -> list[Due]:
        """The agency's topics with a page in any language that is unverified or
        overdue (a correction of the Kazakh page leaves it a draft while the
        Russian one stays verified), titled in `lang`: unverified first, then the
        longest unchecked (by its oldest page)."""
        today = kz_today(self.clock())
        out = []
        for topic in self.catalog.agency_topics(agency):
            titled = self.catalog.page(topic, lang)
            if titled is None:
                continue
            reasons = []
            for other in LANGS:
                page = self.catalog.page(topic, other)
                if page is None or page.lang != other:
                    continue
                checked = page.checked
                verified = checked is not None and checked.verified
                on = checked.on if verified else ""
                reason = review_kind(verified, on, today, self.review_days)
                if reason is not None:
                    reasons.append((reason != AuditKind.UNVERIFIED, on, reason))
            if reasons:
                _, on, reason = min(reasons)
                out.append(Due(topic, titled.title, reason, on))
        return sorted(out, key=lambda d: (d.reason != AuditKind.UNVERIFIED, d.verified_on,
                                          d.title.casefold()))

    def owned(self, topic_id: str, agency: str) -> bool:
        """Whether `topic_id` is a page of `agency` (staff check only their own)."""
        return topic_id in self.catalog.agency_topics(agency)

    async def confirm(self, topic_id: str, agency: str, user_id: int, chat_id: int,
                      seen: str) -> Review:
        """Confirm the topic's pages as read (`seen`: the digest of what was shown)."""
        digest = self._check(topic_id, agency, seen)
        review = await self.storage.reviews.add(
            topic_id=topic_id, agency=agency, kind=ReviewKind.CONFIRM, page_digest=digest,
            user_id=user_id, chat_id=chat_id)
        logger.info("review %d: %s confirmed %s", review.id, agency, topic_id)
        await self.refresh()
        return review

    async def propose(self, topic_id: str, agency: str, lang: str, section: int, text: str,
                      user_id: int, chat_id: int, seen: str) -> Review:
        """Store a staff member's new text for one section, for maintainers."""
        digest = self._check(topic_id, agency, seen)
        page = self.catalog.page(topic_id, lang)
        if page is None or page.lang != lang or not 0 <= section < len(page.sections):
            raise ReviewError("section")
        body = clean_correction(text)
        review = await self.storage.reviews.add(
            topic_id=topic_id, agency=agency, kind=ReviewKind.CORRECTION, page_digest=digest,
            user_id=user_id, chat_id=chat_id, lang=lang, section=section,
            heading=page.sections[section].heading[:300], text=body)
        logger.info("review %d: %s proposed a correction of %s.%s section %d",
                    review.id, agency, topic_id, lang, section + 1)
        return review

    def _check(self, topic_id: str, agency: str, seen: str) -> str:
        """The topic's digest now, when `agency` owns it and `seen` (a digest or
        its first SEEN_CHARS characters, from a button) is still its content."""
        if not self.owned(topic_id, agency):
            raise ReviewError("owner")
        digest = self.digest(topic_id)
        if len(seen) < SEEN_CHARS or not digest.startswith(seen):
            raise ReviewError("changed")  # a newer build came while they read
        return digest

    # -- the weekly digest ---------------------------------------------------------------
    async def weekly(self, agency: str, lang: str, tickets: list[AgencyReport],
                     gaps: Sequence[Gap] = ()) -> Weekly:
        """What the agency's staff chat hears about once a week; `gaps`: the
        week's groups of unanswered questions routed to the agency."""
        now = self.clock()
        dislikes = await self.storage.feedback.negative_by_topic(now - WEEK)
        mine = set(self.catalog.agency_topics(agency))
        disliked = sorted(((self.catalog.title(t, lang) or t, n) for t, n in dislikes.items()
                           if t in mine), key=lambda item: (-item[1], item[0]))
        report = next((r for r in tickets if r.agency == agency), None)
        return Weekly(agency, self.due(agency, lang), report.open if report else 0,
                      report.overdue if report else 0, disliked,
                      [g for g in gaps if g.agency == agency][:DIGEST_GAPS])

    async def send_digests(self, chats: list[StaffChat], tickets: list[AgencyReport],
                           say: Callable[[int, str, Weekly], Awaitable[bool]],
                           gaps: Callable[[float], Awaitable[Sequence[Gap]]] | None = None
                           ) -> int:
        """Send each linked staff chat its weekly digest once a week (Monday from
        DIGEST_HOUR, Kazakhstan time, or the first round after it): the instance
        that claims the week sends; one that cannot send gives the claim back,
        and a claim not marked sent within DIGEST_LEASE (its instance was
        killed) is taken again by a later round.
        `gaps(since)` gives the gap report's groups (computed once a round, and
        only when a digest is due: it encodes the week's unanswered questions).
        How many were sent."""
        now = self.clock()
        local = dt.datetime.fromtimestamp(now, KZ)
        monday = (local - dt.timedelta(days=local.weekday())).replace(
            hour=DIGEST_HOUR, minute=0, second=0, microsecond=0)
        if local < monday:
            return 0
        week, sent = iso_week(now), 0
        groups: Sequence[Gap] | None = None
        for chat in chats:
            lease = await self.storage.reviews.claim_digest(chat.agency, week, DIGEST_LEASE)
            if lease is None:
                continue
            try:
                if groups is None:
                    groups = await gaps(now - WEEK) if gaps is not None else ()
                ok = await say(chat.chat_id, chat.lang, await self.weekly(
                    chat.agency, chat.lang, tickets, groups))
            except BaseException:
                await self.storage.reviews.release_digest(chat.agency, week, lease)
                raise
            if not await self.storage.reviews.digest_sent(chat.agency, week, lease):
                logger.warning("weekly digest for %s: the claim ran out while sending; "
                               "another instance may send it too", chat.agency)
            if ok:
                sent += 1
            else:  # the chat is gone: nobody to tell this week
                logger.warning("weekly digest for %s: staff chat %d is gone", chat.agency,
                               chat.chat_id)
        return sent


@dataclass(frozen=True)
class Weekly:
    """One agency's weekly digest."""

    agency: str
    due: list[Due]  # pages to verify
    open_questions: int  # citizens' questions waiting for the agency
    overdue_questions: int
    disliked: list[tuple[str, int]]  # (page title, 👎 in the last 7 days)
    # the gap report's groups routed here: unanswered needs (label, how many
    # asked, and why each is there)
    gaps: list[Gap] = field(default_factory=list)


# -- what a maintainer does: saual review list / apply / reject ----------------------

def page_files(knowledge_dir: Path, topic_id: str) -> dict[str, Path]:
    """The topic's page files, by language."""
    found: dict[str, Path] = {}
    for lang in LANGS:
        for path in sorted((knowledge_dir / "pages").glob(f"*/{topic_id}.{lang}.md")):
            found.setdefault(lang, path)
    return found


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@contextlib.asynccontextmanager
async def _knowledge_lock(knowledge_dir: Path, wait: float | None = None):
    """Hold the knowledge folder for one `saual review apply` at a time (an
    advisory lock on the folder itself, released when the process ends
    however it ends): two maintainers applying two corrections of one page at
    once both read the old file, and the second write lost the first."""
    try:
        import fcntl
    except ImportError:  # not POSIX: nothing to lock with; one maintainer at a time
        yield
        return
    fd = os.open(knowledge_dir, os.O_RDONLY)
    try:
        deadline = time.monotonic() + (LOCK_WAIT if wait is None else wait)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ReviewError(f"another `saual review apply` is writing into "
                                      f"{knowledge_dir}; try again when it is done") from None
                await asyncio.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


async def apply_review(storage: Storage, knowledge_dir: Path, review_id: int,
                       today: str, *, force: bool = False) -> list[Path]:
    """Write a pending review into the page files; the paths written. A review
    made on content the files no longer have is refused (with `force`, a
    correction is written when its section still has the same heading). One
    apply at a time reads and writes the files (:func:`_knowledge_lock`)."""
    if not knowledge_dir.is_dir():
        raise ReviewError(f"no knowledge folder at {knowledge_dir}")
    async with _knowledge_lock(knowledge_dir):
        return await _apply(storage, knowledge_dir, review_id, today, force=force)


async def _apply(storage: Storage, knowledge_dir: Path, review_id: int, today: str, *,
                 force: bool) -> list[Path]:
    review = await storage.reviews.get(review_id)
    if review is None:
        raise ReviewError(f"no review #{review_id}")
    if review.state != ReviewState.PENDING:
        raise ReviewError(f"review #{review_id} is {review.state} already")
    files = page_files(knowledge_dir, review.topic_id)
    if not files:
        raise ReviewError(f"review #{review_id}: no page files for topic {review.topic_id!r} "
                          f"under {knowledge_dir / 'pages'}")
    texts = {lang: path.read_text(encoding="utf-8") for lang, path in files.items()}
    try:
        docs = {lang: parse_page(text, str(files[lang].relative_to(knowledge_dir)))
                for lang, text in texts.items()}
    except CorpusError as exc:
        raise ReviewError(f"review #{review_id}: the page does not load now: {exc}") from exc
    current = content_digest(PageContent.of(d) for d in docs.values())
    changed = current != review.page_digest
    new: dict[str, str] = {}
    if review.kind == ReviewKind.CONFIRM:
        if changed:
            raise ReviewError(f"review #{review_id}: the pages of {review.topic_id} changed "
                              "after the staff confirmed them; ask the agency to review "
                              "them again (saual review reject " + str(review_id) + ")")
        stamp = {"status": str(PageStatus.VERIFIED), "verified_by": review.agency,
                 "verified_on": kz_date(review.created_at)}
        new = {lang: set_front_matter(text, stamp, str(files[lang]))
               for lang, text in texts.items()}
    else:
        doc = docs.get(review.lang)
        if doc is None:
            raise ReviewError(f"review #{review_id}: no {review.lang} page of "
                              f"{review.topic_id}")
        index = review.section if review.section is not None else -1
        same_heading = 0 <= index < len(doc.sections) \
            and doc.sections[index].heading == review.heading
        if changed and not (force and same_heading):
            raise ReviewError(
                f"review #{review_id}: {files[review.lang]} changed after the correction "
                "was proposed" + ("; --force writes it into the section of the same heading"
                                  if same_heading else
                                  f"; its section {review.heading!r} is not where it was"))
        text = replace_section(texts[review.lang], index, review.text, str(files[review.lang]))
        # New text that no agency has checked as part of the whole page: a draft.
        new = {review.lang: set_front_matter(
            text, {"updated": today, "status": str(PageStatus.DRAFT), "verified_by": None,
                   "verified_on": None}, str(files[review.lang]))}
    for lang, text in new.items():
        try:
            parse_page(text, str(files[lang].relative_to(knowledge_dir)))
        except CorpusError as exc:
            raise ReviewError(f"review #{review_id}: the page would not load: {exc}") from exc
    # The files first, then the decision: a failed write leaves the review
    # pending and the files as they were (a decision first left a review
    # "applied" that no file held); a review rejected meanwhile is undone.
    written: list[str] = []
    try:
        for lang, text in new.items():
            _write(files[lang], text)
            written.append(lang)
    except OSError as exc:
        _restore(files, texts, written)
        raise ReviewError(f"review #{review_id}: could not write {files[lang]}: {exc}; "
                          "the page files are as they were") from exc
    if not await storage.reviews.decide(review_id, ReviewState.APPLIED):
        _restore(files, texts, written)
        raise ReviewError(f"review #{review_id} was decided meanwhile; nothing written")
    return [files[lang] for lang in new]


def _restore(files: dict[str, Path], texts: dict[str, str], langs: list[str]) -> None:
    for lang in langs:
        _write(files[lang], texts[lang])


async def reject_review(storage: Storage, review_id: int) -> Review:
    review = await storage.reviews.get(review_id)
    if review is None:
        raise ReviewError(f"no review #{review_id}")
    if not await storage.reviews.decide(review_id, ReviewState.REJECTED):
        raise ReviewError(f"review #{review_id} is {review.state} already")
    return review
