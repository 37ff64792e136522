"""Agencies' RSS and Atom feeds: new items become announcements, once.

A feed is fetched by the fetcher the composition root passes in (bot.feedfetch,
on aiohttp: https only, public addresses only, bounded in size and time, by the
rules of bot.services.feedfetch) and parsed with feedparser off the event loop. An
item is known by its guid (else its link); the first poll of a new feed only
takes note of the items already there, so registering a feed does not flood
subscribers with its archive. A poll queues at most `max_items` new items, the
newest; the others are noted as seen and dropped, so a feed that suddenly
lists thousands of items cannot flood citizens. Each item's announcement
carries a dedupe key, so a crash between queueing it and noting it as seen
never queues it twice.

Item text is hostile: titles and summaries become plain text (tags dropped,
entities decoded), capped in length; announcements are sent as text with
entities, never parsed as markup. A body that declares XML entities is refused
before it is parsed: no RSS or Atom feed needs one, and feedparser's fallback
parser expands them without limit (a 140 KB feed of nested references took
2.5 GB and 12 s: "billion laughs").
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
import re
import time
from collections.abc import Callable

import feedparser

from embeddings import LANGS, Lang

from ..storage import Feed, Storage
from .announcements import MAX_TEXT, Announcements, Draft, valid_url
from .feedfetch import FeedError, FeedFetcher, FeedRefused, FeedsConfig
from .observe import UNOBSERVED, Observer

__all__ = ["FeedError", "FeedRefused", "Feeds", "FeedsConfig", "plain"]

logger = logging.getLogger(__name__)

TAG = re.compile(r"<[^>]+>")
BLANKS = re.compile(r"\n\s*\n+")
# Control characters and bidi overrides: a feed could hide or reorder text with them.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
MAX_KEY = 500  # characters of an item's guid or link kept as its key
MAX_FRAGMENT = 4 * MAX_TEXT  # characters of a title or summary looked at


def plain(fragment: str) -> str:
    """HTML of a feed's summary as plain text."""
    text = re.sub(r"(?i)<br\s*/?>|</p>", "\n", fragment[:MAX_FRAGMENT])
    text = CONTROL.sub("", html.unescape(TAG.sub("", text)))
    return BLANKS.sub("\n\n", "\n".join(line.strip() for line in text.splitlines())).strip()


_ENTITY_DECLARATION = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)


def declares_entities(raw: bytes) -> bool:
    """Whether an XML body declares entities («<!ENTITY», anywhere: the lenient
    parser reads a declaration wherever it stands; a feed that quotes one in a
    CDATA section is refused too), as bytes in any ASCII-compatible encoding
    and as UTF-16 text."""
    if _ENTITY_DECLARATION.search(raw):
        return True
    if b"\x00" in raw[:64]:  # UTF-16 text
        return any(_ENTITY_DECLARATION.search(raw.decode(codec, errors="ignore").encode())
                   for codec in ("utf-16-le", "utf-16-be"))
    return False


class Feeds:
    def __init__(self, storage: Storage, announcements: Announcements, *, fetcher: FeedFetcher,
                 clock: Callable[[], float] = time.time,
                 config: FeedsConfig | None = None, observer: Observer = UNOBSERVED):
        """`fetcher(url)` returns a feed's body or raises FeedError; services cannot
        import an HTTP client, so there is no default (bot.feedfetch.Fetcher)."""
        self.storage = storage
        self.announcements = announcements
        self.clock = clock
        self.config = config or FeedsConfig()
        self.fetcher = fetcher
        self.observer = observer

    async def add(self, agency: str, url: str, lang: str = Lang.RU) -> Feed:
        if agency not in self.announcements.directory.agencies:
            raise ValueError(f"unknown agency {agency!r}")
        if not valid_url(url):
            raise ValueError(f"not an http(s) address: {url!r}")
        if not url.lower().startswith("https://") and not self.config.allow_loopback:
            raise ValueError(f"not an https address: {url!r}; feeds are fetched over https only")
        if lang not in LANGS:
            raise ValueError("the feed's language must be kk or ru")
        return await self.storage.feeds.add(agency, url, lang)

    async def poll(self, feed: Feed) -> int:
        """Queue the feed's new items; how many were queued."""
        raw = await self.fetcher(feed.url)
        if declares_entities(raw):
            raise FeedError(f"{feed.url}: the feed declares XML entities; refused unread "
                            "(expanding them could take all the memory)")
        parsed = await asyncio.to_thread(feedparser.parse, raw)
        if parsed.bozo and not parsed.entries:
            raise FeedError(f"{feed.url}: not a feed "
                            f"({type(parsed.get('bozo_exception')).__name__})")
        items: dict[str, dict] = {}
        for entry in parsed.entries:
            key = str(entry.get("id") or entry.get("link") or "")[:MAX_KEY]
            if key and key not in items:
                items[key] = entry
        new = await self.storage.feeds.unseen(feed.id, list(items))
        queued = 0
        if feed.polled_at is not None:
            take = new[:self.config.max_items]  # feeds list the newest first
            if len(new) > len(take):
                logger.warning("feed %d of %s: %d new items, queueing the newest %d",
                               feed.id, feed.agency, len(new), len(take))
            for key in reversed(take):
                queued += await self._queue(feed, key, items[key])
        await self.storage.feeds.mark_seen(feed.id, new, self.clock())
        return queued

    async def _queue(self, feed: Feed, key: str, entry: dict) -> int:
        title = plain(str(entry.get("title", "")))
        summary = plain(str(entry.get("summary", "")))
        body = "\n\n".join(p for p in (title, summary if summary != title else "") if p)
        link = str(entry.get("link", ""))
        if not body:
            return 0
        body = body[:MAX_TEXT]
        draft = Draft(text_kk=body if feed.lang == Lang.KK else "",
                      text_ru=body if feed.lang == Lang.RU else "",
                      url=link if valid_url(link) else "")
        dedupe = f"feed:{feed.id}:{hashlib.sha256(key.encode()).hexdigest()[:40]}"
        _found, created = await self.announcements.publish(feed.agency, draft, source="feed",
                                                           dedupe_key=dedupe)
        return int(created)

    async def poll_all(self) -> int:
        """Poll every feed; one feed's failure, whatever it is, is logged and
        recorded on that feed, and the others are polled all the same."""
        queued = 0
        for feed in await self.storage.feeds.all():
            try:
                queued += await self.poll(feed)
            except Exception as exc:  # a feed, however it fails, must not stop the others
                self.observer.polled(False)
                if isinstance(exc, FeedError):
                    logger.warning("feed %d of %s: %s", feed.id, feed.agency, exc)
                    error = str(exc)
                else:
                    logger.exception("feed %d of %s: poll failed", feed.id, feed.agency)
                    error = f"{type(exc).__name__}: {exc}"
                await self._note_failure(feed, error)
            else:
                self.observer.polled(True)
        return queued

    async def _note_failure(self, feed: Feed, error: str) -> None:
        try:
            await self.storage.feeds.note_error(feed.id, error, self.clock())
        except Exception:  # the database may be what failed
            logger.exception("feed %d of %s: could not record its error", feed.id, feed.agency)
