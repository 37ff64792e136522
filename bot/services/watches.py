"""Answer-change notices: "notify me if this changes" under an answer card, and
one message per material change of the page to each citizen who asked for it.

A watch is (citizen, topic, the page's language the citizen read). It lapses
:data:`LAPSE` seconds (90 days) after it was set, or after the citizen last
asked about the topic while watching it: the notice goes to those who asked
about the topic lately and opted in.

Changes are found by comparing each index build a bot instance loads (at
start-up and on every reload) with the facts stored for each page
(``page_facts``), never by one process remembering the previous build: an
instance started after the new build was published finds the change too. A
page's facts are its numbers, dates, links and sections
(:mod:`embeddings.facts`); a typo fix or a reworded sentence changes none of
them, and is stored without a notice. A page seen for the first time is only
stored; a page withdrawn from the build is left as it was. An instance that
serves an older build than the one a page's stored facts were read from (build
ids begin with their build time) leaves them alone, so an instance lagging
behind never turns a change back and announces it. See
:mod:`bot.storage.watches` for how several instances loading the same build
queue one notice per change.

A citizen who paused all announcements (/stop) or blocked the bot gets none;
the notice is written in the citizen's language (the page's, if none was
chosen), by :func:`bot.delivery.render_change`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from embeddings import Facts, LoadedIndex, index_facts, material_changes, other

from ..storage import Notice, Storage

logger = logging.getLogger(__name__)

LAPSE = 90 * 24 * 3600.0  # seconds a watch lives after it was set or renewed


@dataclass(frozen=True)
class CheckReport:
    """What one comparison of a build with the stored facts did."""

    pages: int = 0  # knowledge pages in the build
    new: int = 0  # seen for the first time: stored, no notice
    changed: int = 0  # material changes this instance recorded
    reworded: int = 0  # facts stored again without a material change (a heading reworded)
    notices: int = 0  # notices queued (a change nobody watches queues none)
    recipients: int = 0  # outbox rows queued


class Watches:
    def __init__(self, storage: Storage, *, clock: Callable[[], float] = time.time,
                 lapse: float = LAPSE):
        self.storage = storage
        self.clock = clock
        self.lapse = lapse

    def _live_since(self, now: float) -> float:
        return now - self.lapse

    async def set(self, user_id: int, topic_id: str, lang: str, on: bool) -> None:
        """Start watching `topic_id`'s page in `lang` (again: its 90 days start
        over), or stop."""
        await self.storage.users.get_or_create(user_id)
        await self.storage.watches.set(user_id, topic_id, lang, on, self.clock())
        logger.info("user %d %s topic %s (%s)", user_id,
                    "watches" if on else "stopped watching", topic_id, lang)

    async def watching(self, user_id: int, topic_id: str) -> bool:
        now = self.clock()
        return await self.storage.watches.get(user_id, topic_id, self._live_since(now)) \
            is not None

    async def asked(self, user_id: int, topic_id: str) -> bool:
        """The citizen was answered with `topic_id`'s page: a live watch of it
        counts from now. True when the citizen watches it."""
        now = self.clock()
        return await self.storage.watches.renew(user_id, topic_id, now, self._live_since(now))

    async def check(self, index: LoadedIndex) -> CheckReport:
        """Compare `index`'s knowledge pages with the stored facts: store new
        pages, queue a notice per material change to the page's live watchers."""
        facts = await asyncio.to_thread(index_facts, index)
        stored = await self.storage.page_facts.all()
        now = self.clock()
        live_since = self._live_since(now)
        fresh = [(topic, lang, f.digest, f.to_json()) for (topic, lang), f in facts.items()
                 if (topic, lang) not in stored]
        if fresh:
            await self.storage.page_facts.first_seen(fresh, index.build_id, now)
        changed = reworded = notices = recipients = stale = 0
        for key, new in facts.items():
            before = stored.get(key)
            if before is None or before.digest == new.digest:
                continue
            if index.build_id < before.build:  # build ids begin with their build time
                stale += 1  # this instance serves an older build than the one stored
                continue
            topic, lang = key
            try:
                changes = material_changes(Facts.from_json(before.facts), new)
            except ValueError as exc:  # a damaged row: start again from this build
                logger.warning("page %s (%s): stored facts unreadable (%s); replaced",
                               topic, lang, exc)
                changes = []
            notice = None
            if changes:
                titles = {code: doc.title for code in (lang, other(lang))
                          if (doc := index.documents.get((topic, code))) is not None}
                notice = Notice(title_kk=titles.get("kk") or titles[lang],
                                title_ru=titles.get("ru") or titles[lang],
                                changes=tuple(dict.fromkeys(c.kind.value for c in changes)))
            moved, announcement = await self.storage.page_facts.advance(
                before, new.digest, new.to_json(), index.build_id, now, notice=notice,
                live_since=live_since)
            if not moved:
                continue  # another instance recorded this change (and queued its notice)
            if not changes:
                reworded += 1
                continue
            changed += 1
            logger.info("page %s (%s) changed in build %s: %s; %s", topic, lang,
                        index.build_id, "; ".join(str(c) for c in changes),
                        f"notice {announcement.id} to {announcement.recipients} watchers"
                        if announcement else "nobody watches it")
            if announcement is not None:
                notices += 1
                recipients += announcement.recipients
        if stale:
            logger.warning("build %s is older than the one %d pages' facts were read from: "
                           "those left as they are", index.build_id, stale)
        lapsed = await self.storage.watches.forget_lapsed(live_since)
        if lapsed:
            logger.info("%d page watches lapsed", lapsed)
        return CheckReport(len(facts), len(fresh), changed, reworded, notices, recipients)
